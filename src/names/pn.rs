//! The DICOM Person Name structure of a decoded value (names.md §3.1): first value, up to three component groups,
//! up to five components each, trimmed, trailing empty components dropped.

use crate::charset::{is_han, split_values};

use super::token::{Token, is_latin_letter, tokens};

/// What script a component group is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Script {
    /// Nothing but delimiters and spaces.
    Empty,
    /// Holds at least one Han character.
    Han,
    /// Latin letters.
    Latin,
    /// Letters of another script (kana, hangul...) and nothing comparable.
    Other,
}

/// One component group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Group {
    /// Components, trimmed, trailing empty ones dropped.
    pub components: Vec<String>,
    /// The script of the group.
    pub script: Script,
}

/// A parsed PatientName value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Pn {
    /// The component groups in order (alphabetic, ideographic, phonetic); absent ones are empty.
    pub groups: Vec<Group>,
}

/// The Latin reading of a group: family tokens and given (+ middle) tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LatinName {
    /// The components as stored (for the exact comparison).
    pub components: Vec<String>,
    /// Family name words.
    pub family: Vec<Token>,
    /// Given and middle name words.
    pub given: Vec<Token>,
    /// Only one component is filled: surname and given name are not separated.
    pub single: bool,
    /// Characters in the group (for the 64-character truncation rule).
    pub chars: usize,
}

fn trim(s: &str) -> &str {
    s.trim_matches(|c: char| c.is_whitespace() || c == '\0')
}

impl Pn {
    /// Parses the first value of a decoded PN.
    pub fn parse(text: &str) -> Pn {
        let value = split_values(text).next().unwrap_or_default();
        let groups = value
            .splitn(3, '=')
            .map(|g| {
                let mut components: Vec<String> =
                    g.splitn(5, '^').map(|c| trim(c).to_string()).collect();
                while components.last().is_some_and(String::is_empty) {
                    components.pop();
                }
                let script = script_of(&components);
                Group { components, script }
            })
            .collect();
        Pn { groups }
    }

    /// Groups of a script, in the order they are searched for that script (Latin: 1, 3, 2; Han: 2, 1, 3).
    pub fn groups_of(&self, script: Script) -> impl Iterator<Item = &Group> {
        let order: [usize; 3] = if script == Script::Han {
            [1, 0, 2]
        } else {
            [0, 2, 1]
        };
        order
            .into_iter()
            .filter_map(|i| self.groups.get(i))
            .filter(move |g| g.script == script)
    }

    /// Every character that is not a delimiter or space.
    pub fn name_chars(&self) -> impl Iterator<Item = char> + '_ {
        self.groups
            .iter()
            .flat_map(|g| g.components.iter())
            .flat_map(|c| c.chars())
            .filter(|c| !c.is_whitespace())
    }
}

fn script_of(components: &[String]) -> Script {
    let mut chars = components.iter().flat_map(|c| c.chars());
    if chars.clone().any(is_han) {
        Script::Han
    } else if chars.clone().any(is_latin_letter) {
        Script::Latin
    } else if chars.any(char::is_alphanumeric) {
        Script::Other
    } else {
        Script::Empty
    }
}

impl Group {
    /// The Latin reading of the group (family = component 1, given = components 2 and 3).
    pub fn latin(&self) -> LatinName {
        let component = |i: usize| {
            self.components
                .get(i)
                .map(|c| tokens(c))
                .unwrap_or_default()
        };
        let family = component(0);
        let mut given = component(1);
        let mut middle = component(2);
        if let Some(first) = middle.first_mut() {
            first.glued = false;
        }
        given.append(&mut middle);
        let filled = self.components.iter().filter(|c| !c.is_empty()).count();
        LatinName {
            components: self.components.clone(),
            single: filled == 1 && !family.is_empty(),
            family,
            given,
            chars: self.components.iter().map(|c| c.chars().count()).sum(),
        }
    }

    /// Han (and other non-space) characters of the components `from..to`, joined.
    pub fn han_text(&self, from: usize, to: usize) -> String {
        self.components
            .iter()
            .skip(from)
            .take(to.saturating_sub(from))
            .flat_map(|c| c.chars())
            .filter(|c| !c.is_whitespace())
            .collect()
    }

    /// Number of filled components.
    pub fn filled(&self) -> usize {
        self.components.iter().filter(|c| !c.is_empty()).count()
    }
}

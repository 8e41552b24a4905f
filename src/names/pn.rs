//! The DICOM Person Name structure of a decoded value (docs/names-policy.md, "Reading the name"): every value,
//! every component group (three expected; more are kept and judged too), up to five components each, trimmed,
//! trailing empty components dropped.

use crate::charset::split_values;

use super::script::{Letters, letters};
use super::token::{Token, tokens};

/// What script a component group is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Script {
    /// Nothing but delimiters and spaces.
    Empty,
    /// Holds at least one Han character.
    Han,
    /// Latin letters.
    Latin,
    /// Kana (with or without kanji): compared through its Hepburn reading.
    Kana,
    /// Cyrillic or Greek: compared through the ICAO 9303 transliteration.
    Translit,
    /// Letters of another script (hangul...) or digits only: nothing comparable.
    Other,
}

/// One component group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Group {
    /// Components, trimmed, trailing empty ones dropped.
    pub components: Vec<String>,
    /// The script of the group.
    pub script: Script,
    /// A Latin group that also holds Cyrillic or Greek letters (look-alikes such as `Р` for `P`).
    pub mixed: bool,
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
        Pn::parse_value(split_values(text).next().unwrap_or_default())
    }

    /// Parses every value of a decoded PN (split on `\\`); empty values after the first are dropped.
    pub fn values(text: &str) -> Vec<Pn> {
        let mut out: Vec<Pn> = Vec::new();
        for (i, value) in split_values(text).enumerate() {
            if i == 0 || !trim(value).is_empty() {
                out.push(Pn::parse_value(value));
            }
        }
        out
    }

    /// Parses one value: every `=` group (a fourth group is not valid DICOM, but it is shown and judged too).
    fn parse_value(value: &str) -> Pn {
        let groups = value
            .split('=')
            .map(|g| {
                let mut components: Vec<String> =
                    g.splitn(5, '^').map(|c| trim(c).to_string()).collect();
                while components.last().is_some_and(String::is_empty) {
                    components.pop();
                }
                let (script, mixed) = script_of(&components);
                Group {
                    components,
                    script,
                    mixed,
                }
            })
            .collect();
        Pn { groups }
    }

    /// Whether a group holds kana or hangul: then its Han characters are Japanese kanji or Korean hanja, which
    /// must never be read as Chinese pinyin.
    pub fn japanese_or_korean(&self) -> bool {
        self.groups
            .iter()
            .flat_map(|g| g.components.iter())
            .flat_map(|c| c.chars())
            .any(|c| matches!(letters(c), Some(Letters::Kana | Letters::Hangul)))
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

    /// Every character of every component, components joined with `^` (for the invisible-character check).
    pub fn text(&self) -> String {
        self.groups
            .iter()
            .map(|g| g.components.join("^"))
            .collect::<Vec<_>>()
            .join("=")
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

/// The script of a group, and whether a Latin group also holds Cyrillic or Greek letters.
fn script_of(components: &[String]) -> (Script, bool) {
    let chars = components.iter().flat_map(|c| c.chars());
    let mut seen = [false; 7];
    for l in chars.clone().filter_map(letters) {
        seen[l as usize] = true;
    }
    let has = |l: Letters| seen[l as usize];
    let script = if has(Letters::Han) && !has(Letters::Kana) {
        Script::Han
    } else if has(Letters::Kana) {
        Script::Kana
    } else if has(Letters::Latin) {
        Script::Latin
    } else if has(Letters::Cyrillic) || has(Letters::Greek) {
        Script::Translit
    } else if chars.clone().any(char::is_alphanumeric) {
        Script::Other
    } else {
        Script::Empty
    };
    let mixed = script == Script::Latin
        && (has(Letters::Cyrillic) || has(Letters::Greek) || has(Letters::Other));
    (script, mixed)
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

    /// The group with each character replaced by `map` (or kept when it gives `None`), script re-derived.
    pub fn mapped(&self, map: impl Fn(char) -> Option<String>) -> Group {
        let components: Vec<String> = self
            .components
            .iter()
            .map(|c| {
                c.chars()
                    .map(|ch| map(ch).unwrap_or_else(|| ch.to_string()))
                    .collect()
            })
            .collect();
        let (script, mixed) = script_of(&components);
        Group {
            components,
            script,
            mixed,
        }
    }

    /// Number of filled components.
    pub fn filled(&self) -> usize {
        self.components.iter().filter(|c| !c.is_empty()).count()
    }
}

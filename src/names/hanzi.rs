//! Han characters and pinyin (docs/names-policy.md): heteronym readings, ü spellings, fuzzy pinyin, and whether a
//! passport name is pinyin at all.

use foldhash::HashSet;
use std::sync::OnceLock;

use pinyin::{ToPinyin, ToPinyinMulti};

use crate::charset::is_han;

/// Longest toneless syllable in upper-case passport spelling (`ZHUANG`).
const MAX_SYLLABLE: usize = 6;
/// Longest name the reading search accepts (characters; real names are far shorter).
const MAX_HAN: usize = 16;

/// Separators that mark a transliterated foreign name (`约翰·史密斯`).
pub(crate) fn is_interpunct(c: char) -> bool {
    matches!(
        c,
        '\u{B7}' | '\u{2022}' | '\u{30FB}' | '\u{2027}' | '\u{FF0E}' | '.' | '\u{2E31}'
    )
}

/// Passport spellings of a toneless reading: ü as `YU`, `V` or `U`.
fn spellings(plain: &str) -> Vec<String> {
    let upper = plain.to_uppercase();
    if upper.contains('Ü') {
        ["YU", "V", "U"]
            .iter()
            .map(|r| upper.replace('Ü', r))
            .collect()
    } else {
        vec![upper]
    }
}

/// The passport spellings of every reading of one character (`吕` → LYU, LV, LU).
pub(crate) fn spellings_of(c: char) -> Vec<String> {
    c.to_pinyin_multi()
        .into_iter()
        .flatten()
        .flat_map(|p| spellings(p.plain()))
        .collect()
}

/// Every toneless pinyin syllable in passport spelling, read once from the `pinyin` tables.
///
/// Hashed with foldhash: SipHash of the 27,000 readings was a third of building the table.
fn syllables() -> &'static HashSet<String> {
    static SET: OnceLock<HashSet<String>> = OnceLock::new();
    SET.get_or_init(|| {
        // 27,000 characters share about 400 readings: each is spelled once.
        let plain: HashSet<&'static str> = ('\u{3400}'..='\u{4DBF}')
            .chain('\u{4E00}'..='\u{9FFF}')
            .flat_map(|c| c.to_pinyin_multi().into_iter().flatten())
            .map(|p| p.plain())
            .filter(|p| p.contains(['a', 'e', 'i', 'o', 'u', 'ü']))
            .collect();
        plain
            .into_iter()
            .flat_map(spellings)
            .filter(|s| s.bytes().all(|b| b.is_ascii_uppercase()))
            .collect()
    })
}

/// Builds the syllable table now (see [`super::prepare`]).
pub(crate) fn prepare() {
    syllables();
}

/// Whether an upper-case `A`–`Z` string splits into pinyin syllables (`ZHANGSAN`, `LYU`; not `SMITH`).
pub(crate) fn is_pinyin(s: &str) -> bool {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_uppercase()) {
        return false;
    }
    let set = syllables();
    let mut reach = vec![false; s.len() + 1];
    if let Some(first) = reach.first_mut() {
        *first = true;
    }
    for start in 0..s.len() {
        if !reach.get(start).copied().unwrap_or(false) {
            continue;
        }
        let ends = (start + 1..=(start + MAX_SYLLABLE).min(s.len()))
            .filter(|&end| s.get(start..end).is_some_and(|syl| set.contains(syl)));
        for end in ends.collect::<Vec<_>>() {
            if let Some(r) = reach.get_mut(end) {
                *r = true;
            }
        }
    }
    reach.last().copied().unwrap_or(false)
}

/// The fuzzy-pinyin form of an upper-case syllable: zh/z, ch/c, sh/s, n/l, -ng/-n merged.
fn fuzzy(s: &str) -> String {
    let mut out = match (s.get(..2), s.get(2..), s.strip_prefix('N')) {
        (Some("ZH" | "CH" | "SH"), Some(rest), _) => {
            format!("{}{rest}", s.get(..1).unwrap_or_default())
        }
        (_, _, Some(rest)) => format!("L{rest}"),
        _ => s.to_string(),
    };
    if out.ends_with("NG") {
        out.pop();
    }
    out
}

/// The readings of one character: (passport spellings, toned form) per heteronym.
type CharReadings = Vec<(Vec<String>, &'static str)>;

/// Readings of each character: (passport spellings, toned form), every heteronym.
fn readings(chars: &[char]) -> Option<Vec<CharReadings>> {
    chars
        .iter()
        .map(|c| {
            let multi = c.to_pinyin_multi()?;
            Some(
                multi
                    .into_iter()
                    .map(|p| (spellings(p.plain()), p.with_tone()))
                    .collect(),
            )
        })
        .collect()
}

/// Finds a reading of the Han characters of `hanzi` (one heteronym per character) that spells `target`
/// (upper-case `A`–`Z`, no spaces); with `fuzzy_match`, syllables compare under fuzzy pinyin. Returns the toned
/// syllables of the reading found.
pub(crate) fn match_reading(
    hanzi: &str,
    target: &str,
    fuzzy_match: bool,
) -> Option<Vec<&'static str>> {
    let chars: Vec<char> = hanzi.chars().filter(|c| is_han(*c)).collect();
    if chars.is_empty() || chars.len() > MAX_HAN || target.is_empty() || !target.is_ascii() {
        return None;
    }
    let table = readings(&chars)?;
    let mut dead = vec![false; (chars.len() + 1) * (target.len() + 1)];
    let mut path = Vec::with_capacity(chars.len());
    search(&table, target, fuzzy_match, 0, 0, &mut dead, &mut path).then_some(path)
}

/// Depth-first search of the reading table with memoised dead ends (positions are bounded by the caller).
fn search(
    table: &[CharReadings],
    target: &str,
    fuzzy_match: bool,
    i: usize,
    pos: usize,
    dead: &mut [bool],
    path: &mut Vec<&'static str>,
) -> bool {
    let Some(options) = table.get(i) else {
        return pos == target.len();
    };
    let slot = i * (target.len() + 1) + pos;
    if dead.get(slot).copied().unwrap_or(true) {
        return false;
    }
    let rest = target.get(pos..).unwrap_or_default();
    for (spelled, toned) in options {
        for s in spelled {
            let lengths: Vec<usize> = if fuzzy_match {
                let want = fuzzy(s);
                (1..=MAX_SYLLABLE.min(rest.len()))
                    .filter(|&l| rest.get(..l).is_some_and(|p| fuzzy(p) == want))
                    .collect()
            } else if rest.starts_with(s.as_str()) {
                vec![s.len()]
            } else {
                Vec::new()
            };
            for l in lengths {
                path.push(toned);
                if search(table, target, fuzzy_match, i + 1, pos + l, dead, path) {
                    return true;
                }
                path.pop();
            }
        }
    }
    if let Some(d) = dead.get_mut(slot) {
        *d = true;
    }
    false
}

/// The default toned reading of a text: Han characters as pinyin, interpuncts kept, other characters dropped.
pub(crate) fn default_reading(text: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    for (c, p) in text.chars().zip(text.to_pinyin()) {
        if let Some(p) = p {
            out.push(p.with_tone());
        } else if is_interpunct(c) {
            out.push("·");
        }
    }
    out.join(" ")
}

/// The Han characters of a text in simplified form (OpenCC's traditional → simplified tables through
/// `hanconv`), other characters dropped: 張三 and 张三 are the same characters written two ways.
pub(crate) fn fold_han(text: &str) -> String {
    let han: String = text.chars().filter(|c| is_han(*c)).collect();
    hanconv::t2s(han)
}

//! Character sets: decode the raw bytes of DICOM text values with the declared Specific Character Set
//! (0008,0005), and recover text whose character set is missing or wrong.

use std::borrow::Cow;

use encoding_rs::Encoding;
use serde::Serialize;

/// A text value decoded from its raw bytes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct DecodedText {
    /// The decoded text, ISO 2022 escape sequences removed, trailing spaces and NULs trimmed.
    pub text: String,
    /// How the bytes were decoded.
    pub decoding: Decoding,
}

/// How a text value was decoded.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Decoding {
    /// Decoded with the declared character set (or plain ASCII); nothing to report.
    Declared,
    /// The declared character set was missing or did not fit the bytes; the text was recovered with `charset`
    /// (for example GB18030). `as_others_see_it` is what software trusting the declaration shows (for example
    /// `ÕÅÈý`).
    Recovered {
        charset: String,
        as_others_see_it: String,
    },
    /// Bytes that fit no known character set; invalid sequences were replaced with U+FFFD.
    Lossy,
}

impl DecodedText {
    /// Text decoded as declared.
    pub fn plain(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            decoding: Decoding::Declared,
        }
    }
}

/// The Specific Character Set (0008,0005) of a data set, parsed leniently (trimmed, upper-cased, every value).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SpecificCharacterSet {
    /// The defined terms as written, one per value, trimmed.
    pub terms: Vec<String>,
}

impl SpecificCharacterSet {
    /// Parses the raw value bytes of (0008,0005).
    pub fn from_raw(raw: &[u8]) -> Self {
        let text = String::from_utf8_lossy(raw);
        Self {
            terms: text
                .split('\\')
                .map(|t| t.trim_matches([' ', '\0']).to_string())
                .collect(),
        }
    }
}

/// ESC, the start of an ISO 2022 escape sequence.
const ESC: u8 = 0x1B;

/// How the declared character set decodes bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Codec {
    /// No usable declaration (absent, empty or unknown terms): default repertoire, with recovery.
    Undeclared,
    /// A Latin-script single-byte set, with recovery of mislabelled bytes; `None` is true ISO 8859-1.
    Latin(Option<&'static Encoding>),
    /// A non-Latin single-byte set (Cyrillic, Greek, Arabic, Hebrew, Thai).
    Single(&'static Encoding),
    /// `ISO_IR 192`.
    Utf8,
    /// `GB18030`, `GBK`, `GB2312`, `ISO 2022 IR 58` (escape sequences stripped).
    Gb,
    /// `ISO 2022 IR 87` / `ISO 2022 IR 159` / `ISO 2022 IR 149`: ISO 2022 code extensions, decoded fragment by
    /// fragment as pydicom does ([`decode_iso2022`]).
    Iso2022,
    /// `ISO_IR 13` alone, decoded as Shift_JIS.
    ShiftJis,
}

impl Codec {
    /// How strongly a term decides the decoding when several values are declared.
    fn rank(self) -> u8 {
        match self {
            Codec::Undeclared => 0,
            Codec::Latin(_) | Codec::Single(_) => 1,
            Codec::ShiftJis => 2,
            Codec::Utf8 | Codec::Gb | Codec::Iso2022 => 3,
        }
    }

    /// The codec of one defined term, matched leniently (case, spaces, `_` and `-` ignored).
    fn from_term(term: &str) -> Codec {
        let mut buf = [0u8; 24];
        let mut len = 0;
        for b in term.bytes().filter(u8::is_ascii_alphanumeric) {
            let Some(slot) = buf.get_mut(len) else {
                return Codec::Undeclared;
            };
            *slot = b.to_ascii_uppercase();
            len += 1;
        }
        let compact = buf.get(..len).unwrap_or_default();
        let number = compact
            .strip_prefix(b"ISO2022IR")
            .or_else(|| compact.strip_prefix(b"ISOIR"));
        match (compact, number) {
            (b"GB18030" | b"GBK" | b"GB2312", _) => Codec::Gb,
            (b"UTF8", _) => Codec::Utf8,
            (_, Some(b"6" | b"100")) => Codec::Latin(None),
            (_, Some(b"101")) => Codec::Latin(Some(encoding_rs::ISO_8859_2)),
            (_, Some(b"109")) => Codec::Latin(Some(encoding_rs::ISO_8859_3)),
            (_, Some(b"110")) => Codec::Latin(Some(encoding_rs::ISO_8859_4)),
            (_, Some(b"148")) => Codec::Latin(Some(encoding_rs::WINDOWS_1254)),
            (_, Some(b"203")) => Codec::Latin(Some(encoding_rs::ISO_8859_15)),
            (_, Some(b"144")) => Codec::Single(encoding_rs::ISO_8859_5),
            (_, Some(b"127")) => Codec::Single(encoding_rs::ISO_8859_6),
            (_, Some(b"126")) => Codec::Single(encoding_rs::ISO_8859_7),
            (_, Some(b"138")) => Codec::Single(encoding_rs::ISO_8859_8),
            (_, Some(b"166")) => Codec::Single(encoding_rs::WINDOWS_874),
            (_, Some(b"192")) => Codec::Utf8,
            (_, Some(b"58")) => Codec::Gb,
            (_, Some(b"87" | b"159" | b"149")) => Codec::Iso2022,
            (_, Some(b"13")) => Codec::ShiftJis,
            _ => Codec::Undeclared,
        }
    }
}

impl SpecificCharacterSet {
    /// The codec the declared terms select: the strongest term wins (a multi-byte set over a single-byte one),
    /// the first of equal strength; `ISO 2022 IR 13` with `ISO 2022 IR 87` is ISO-2022-JP.
    fn codec(&self) -> Codec {
        self.terms
            .iter()
            .map(|t| Codec::from_term(t))
            .fold(Codec::Undeclared, |best, c| {
                if c.rank() > best.rank() { c } else { best }
            })
    }
}

/// Decodes the raw bytes of a text value (PN, LO, SH, ST, LT, UT, UC) with the data set's character set.
/// The whole value is decoded before any splitting on `\`, `=` or `^`; ISO 2022 escape sequences are removed and
/// trailing spaces and NULs trimmed. Bytes that do not fit the declaration are recovered as GB18030 or UTF-8
/// when they clearly are (see [`Decoding::Recovered`]), otherwise decoded with U+FFFD ([`Decoding::Lossy`]).
pub fn decode(raw: &[u8], charset: &SpecificCharacterSet) -> DecodedText {
    let raw = trim_end_padding(raw);
    if raw.is_ascii() && !raw.contains(&ESC) {
        return DecodedText::plain(String::from_utf8_lossy(raw).into_owned());
    }
    let decoded = match charset.codec() {
        Codec::Undeclared => decode_western(&strip_escapes(raw), None, true),
        Codec::Latin(enc) => decode_western(&strip_escapes(raw), enc, false),
        Codec::Single(enc) => decode_strict(enc, &strip_escapes(raw)),
        Codec::Utf8 => decode_multibyte(encoding_rs::UTF_8, raw),
        Codec::Gb => decode_multibyte(encoding_rs::GB18030, &strip_escapes(raw)),
        Codec::Iso2022 => decode_iso2022(raw, &charset.terms),
        Codec::ShiftJis => decode_strict(encoding_rs::SHIFT_JIS, &strip_escapes(raw)),
    };
    let trimmed = decoded.text.trim_end_matches([' ', '\0']);
    if trimmed.len() == decoded.text.len() {
        decoded
    } else {
        DecodedText {
            text: trimmed.to_string(),
            decoding: decoded.decoding,
        }
    }
}

/// Splits a decoded value on `\` into its values (for VM > 1 elements), keeping empty values.
pub fn split_values(text: &str) -> impl Iterator<Item = &str> {
    text.split('\\')
}

/// True for a CJK unified or compatibility ideograph (Han character), including extensions A to H.
pub fn is_han(c: char) -> bool {
    matches!(c,
        '\u{3400}'..='\u{4DBF}'
        | '\u{4E00}'..='\u{9FFF}'
        | '\u{F900}'..='\u{FAFF}'
        | '\u{20000}'..='\u{323AF}'
        | '\u{3007}')
}

/// Removes trailing spaces and NULs (DICOM padding).
fn trim_end_padding(raw: &[u8]) -> &[u8] {
    let end = raw
        .iter()
        .rposition(|&b| b != b' ' && b != 0)
        .map_or(0, |i| i + 1);
    raw.get(..end).unwrap_or_default()
}

/// Removes ISO 2022 escape sequences: ESC, intermediate bytes 0x20–0x2F, one final byte 0x30–0x7E.
fn strip_escapes(raw: &[u8]) -> Cow<'_, [u8]> {
    if !raw.contains(&ESC) {
        return Cow::Borrowed(raw);
    }
    let mut out = Vec::with_capacity(raw.len());
    let mut bytes = raw.iter().copied().peekable();
    while let Some(b) = bytes.next() {
        if b != ESC {
            out.push(b);
            continue;
        }
        while bytes.next_if(|b| (0x20..=0x2F).contains(b)).is_some() {}
        bytes.next_if(|b| (0x30..=0x7E).contains(b));
    }
    Cow::Owned(out)
}

/// One character set an ISO 2022 escape sequence (or a Specific Character Set term) selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fragment {
    /// The default repertoire and ISO-IR 100 style single-byte sets, read as ISO 8859-1 (as pydicom does).
    Latin1,
    /// JIS X 0201 (ISO-IR 13 katakana in G1, ISO-IR 14 romaji in G0), read as Shift_JIS single bytes.
    Jisx0201,
    /// JIS X 0208 (ISO-IR 87), 7-bit pairs.
    Jisx0208,
    /// JIS X 0212 (ISO-IR 159), 7-bit pairs.
    Jisx0212,
    /// KS X 1001 (ISO-IR 149) in G1, read as EUC-KR.
    Ksx1001,
    /// GB 2312 (ISO-IR 58) in G1, read as GBK.
    Gb2312,
}

impl Fragment {
    /// The set a Specific Character Set term selects for text before any escape sequence.
    fn of_term(term: &str) -> Fragment {
        match Codec::from_term(term) {
            Codec::ShiftJis => Fragment::Jisx0201,
            _ => Fragment::Latin1,
        }
    }

    /// The set an escape sequence (ESC and what follows, up to 4 bytes) selects, with its length.
    fn of_escape(bytes: &[u8]) -> Option<(Fragment, usize)> {
        Some(match bytes {
            [ESC, b'$', b'(', b'D', ..] => (Fragment::Jisx0212, 4),
            [ESC, b'$', b')', b'C', ..] => (Fragment::Ksx1001, 4),
            [ESC, b'$', b')', b'A', ..] => (Fragment::Gb2312, 4),
            [ESC, b'$', b'B' | b'@', ..] => (Fragment::Jisx0208, 3),
            [ESC, b'(', b'J', ..] | [ESC, b')', b'I', ..] => (Fragment::Jisx0201, 3),
            [ESC, b'(' | b'-', _, ..] => (Fragment::Latin1, 3),
            _ => return None,
        })
    }

    /// Decodes bytes of this set; `true` when some bytes were malformed.
    fn decode(self, bytes: &[u8]) -> (String, bool) {
        let with = |enc: &'static Encoding, bytes: &[u8]| {
            let (text, malformed) = enc.decode_without_bom_handling(bytes);
            (text.into_owned(), malformed)
        };
        let pairs = |prefix: &[u8]| -> Vec<u8> {
            let mut out = Vec::with_capacity(bytes.len() * 2);
            for pair in bytes.chunks(2) {
                out.extend_from_slice(prefix);
                out.extend(pair.iter().map(|b| b | 0x80));
            }
            out
        };
        match self {
            Fragment::Latin1 => (latin1(bytes), false),
            Fragment::Jisx0201 => with(encoding_rs::SHIFT_JIS, bytes),
            Fragment::Jisx0208 => with(encoding_rs::EUC_JP, &pairs(&[])),
            Fragment::Jisx0212 => with(encoding_rs::EUC_JP, &pairs(&[0x8F])),
            Fragment::Ksx1001 => with(encoding_rs::EUC_KR, bytes),
            Fragment::Gb2312 => with(encoding_rs::GBK, bytes),
        }
    }

    /// Two-byte sets read the whole fragment; the others are in force only up to the next delimiter, after
    /// which the value's first character set applies again (PS3.5 §6.1.2.5.3; pydicom does the same).
    fn whole_fragment(self) -> bool {
        matches!(self, Fragment::Jisx0208 | Fragment::Jisx0212)
    }
}

/// Delimiters that end the effect of a single-byte escape sequence in a value.
fn is_delimiter(b: u8) -> bool {
    matches!(b, b'^' | b'=' | b'\\' | b'\r' | b'\n' | b'\t' | 0x0C)
}

/// Decodes a value written with ISO 2022 code extensions (Japanese `ISO 2022 IR 13/87/159`, Korean
/// `ISO 2022 IR 149`) as pydicom's `decode_bytes` does: text before the first escape sequence in the first term's
/// set; each fragment that starts with an escape sequence in the set it selects (JIS X 0208/0212 as pairs,
/// KS X 1001 and JIS X 0201 katakana as G1 bytes), single-byte sets only up to the next delimiter.
fn decode_iso2022(raw: &[u8], terms: &[String]) -> DecodedText {
    let first = terms
        .first()
        .map_or(Fragment::Latin1, |t| Fragment::of_term(t));
    let mut text = String::with_capacity(raw.len());
    let mut malformed = false;
    let mut push = |set: Fragment, bytes: &[u8], text: &mut String| {
        let (part, bad) = set.decode(bytes);
        malformed |= bad;
        text.push_str(&part);
    };
    let mut rest = raw;
    let head = rest.iter().position(|&b| b == ESC).unwrap_or(rest.len());
    let (before, after) = rest.split_at(head);
    push(first, before, &mut text);
    rest = after;
    while !rest.is_empty() {
        let (set, skip) = Fragment::of_escape(rest).unwrap_or((first, 1));
        let body = rest.get(skip..).unwrap_or_default();
        let end = body.iter().position(|&b| b == ESC).unwrap_or(body.len());
        let (fragment, next) = body.split_at(end);
        let cut = if set.whole_fragment() {
            fragment.len()
        } else {
            fragment
                .iter()
                .position(|&b| is_delimiter(b))
                .unwrap_or(fragment.len())
        };
        let (own, reset) = fragment.split_at(cut);
        push(set, own, &mut text);
        push(first, reset, &mut text);
        rest = next;
    }
    DecodedText {
        text,
        decoding: if malformed {
            Decoding::Lossy
        } else {
            Decoding::Declared
        },
    }
}

/// Decodes with `enc`; malformed sequences give a [`Decoding::Lossy`] text with U+FFFD.
fn decode_strict(enc: &'static Encoding, bytes: &[u8]) -> DecodedText {
    let (text, malformed) = enc.decode_without_bom_handling(bytes);
    let decoding = if malformed {
        Decoding::Lossy
    } else {
        Decoding::Declared
    };
    DecodedText {
        text: text.into_owned(),
        decoding,
    }
}

/// Decodes with a declared multi-byte set (UTF-8 or GB18030); bytes invalid there but valid in the other one are
/// recovered (GB18030 only under the Han-name guard).
fn decode_multibyte(enc: &'static Encoding, bytes: &[u8]) -> DecodedText {
    let (text, malformed) = enc.decode_without_bom_handling(bytes);
    if !malformed {
        return DecodedText {
            text: text.into_owned(),
            decoding: Decoding::Declared,
        };
    }
    let recovered = if enc == encoding_rs::UTF_8 {
        recover_gb(bytes).or_else(|| recover_latin1(bytes))
    } else {
        recover_utf8(bytes)
    };
    match recovered {
        Some((charset, good)) => DecodedText {
            text: good,
            decoding: Decoding::Recovered {
                charset: charset.to_string(),
                as_others_see_it: text.into_owned(),
            },
        },
        None => DecodedText {
            text: text.into_owned(),
            decoding: Decoding::Lossy,
        },
    }
}

/// Decodes bytes declared in a Latin set (`enc`, `None` = true ISO 8859-1) or undeclared: non-ASCII bytes that
/// are valid UTF-8, or GB18030 forming a plausible Chinese name, are recovered; otherwise the Latin reading is
/// kept (lossy when it needs C1 controls or unmapped bytes).
fn decode_western(bytes: &[u8], enc: Option<&'static Encoding>, undeclared: bool) -> DecodedText {
    let (latin, malformed) = match enc {
        None => (latin1(bytes), false),
        Some(enc) => {
            let (text, malformed) = enc.decode_without_bom_handling(bytes);
            (text.into_owned(), malformed)
        }
    };
    if bytes.is_ascii() {
        return DecodedText::plain(latin);
    }
    if let Some((charset, text)) = recover_utf8(bytes).or_else(|| recover_gb(bytes)) {
        return DecodedText {
            text,
            decoding: Decoding::Recovered {
                charset: charset.to_string(),
                as_others_see_it: latin,
            },
        };
    }
    let has_c1 = enc.is_none() && bytes.iter().any(|b| (0x80..=0x9F).contains(b));
    if malformed || (undeclared && has_c1) {
        let text = latin
            .chars()
            .map(|c| {
                if c.is_control() && c != '\u{1b}' {
                    '\u{FFFD}'
                } else {
                    c
                }
            })
            .collect();
        return DecodedText {
            text,
            decoding: Decoding::Lossy,
        };
    }
    DecodedText::plain(latin)
}

/// True ISO 8859-1: byte → U+00xx.
fn latin1(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| char::from(b)).collect()
}

/// Non-ASCII bytes that are valid UTF-8.
fn recover_utf8(bytes: &[u8]) -> Option<(&'static str, String)> {
    let text = std::str::from_utf8(bytes).ok()?;
    (!text.is_ascii()).then(|| ("ISO_IR 192", text.to_string()))
}

/// Bytes declared UTF-8 that are Latin-1 letters (`Müller` written by a Latin-1 system): every non-ASCII byte an
/// ISO 8859-1 letter, so the text is recovered rather than shown with U+FFFD.
fn recover_latin1(bytes: &[u8]) -> Option<(&'static str, String)> {
    let text = latin1(bytes);
    text.chars()
        .all(|c| c.is_ascii() || (c.is_alphabetic() && !c.is_control()))
        .then_some(("ISO_IR 100", text))
}

/// Bytes that are valid GB18030 and read as a Chinese name (the guard of docs/names-policy.md §2).
fn recover_gb(bytes: &[u8]) -> Option<(&'static str, String)> {
    let text = encoding_rs::GB18030.decode_without_bom_handling_and_without_replacement(bytes)?;
    plausible_han_text(&text).then(|| ("GB18030", text.into_owned()))
}

/// The guard against false recoveries: only Han and ASCII (plus CJK punctuation), at least two Han characters,
/// and no Han character touching an ASCII letter (`Müller` re-read as GBK gives `M黮ler`).
fn plausible_han_text(text: &str) -> bool {
    let mut han = 0usize;
    let mut prev: Option<char> = None;
    for c in text.chars() {
        let cjk_punct = matches!(c, '\u{B7}' | '\u{3000}'..='\u{303F}' | '\u{FF01}'..='\u{FF5E}');
        if !(c.is_ascii() || is_han(c) || cjk_punct) || (c.is_ascii_control() && c != '\u{1b}') {
            return false;
        }
        if let Some(p) = prev
            && ((is_han(c) && p.is_ascii_alphabetic()) || (is_han(p) && c.is_ascii_alphabetic()))
        {
            return false;
        }
        han += usize::from(is_han(c));
        prev = Some(c);
    }
    han >= 2
}

/// Makes text from the disc safe for a terminal: control characters (an ESC sequence in a PatientName could
/// clear the screen or fake a verdict), bidirectional controls (which reorder what follows) and the other
/// invisible characters ([`is_invisible`]: zero-width, soft hyphen, byte-order mark), which would hide what the
/// disc really holds, are shown as U+FFFD.
pub fn printable(text: &str) -> String {
    text.chars()
        .map(|c| if is_invisible(c) { '\u{FFFD}' } else { c })
        .collect()
}

/// Characters that show nothing, or reorder or join what follows, so that a foreign system shows, sorts or
/// searches a name differently: control characters, zero-width characters, the soft hyphen, the byte-order
/// mark and bidirectional controls (Unicode Default_Ignorable_Code_Point format characters).
pub fn is_invisible(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{AD}' | '\u{34F}' | '\u{61C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}'
            | '\u{180B}'..='\u{180F}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{206F}' | '\u{3164}' | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}' | '\u{FFA0}'
            | '\u{FFF0}'..='\u{FFF8}' | '\u{1D173}'..='\u{1D17A}' | '\u{E0000}'..='\u{E0FFF}')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cs(raw: &str) -> SpecificCharacterSet {
        SpecificCharacterSet::from_raw(raw.as_bytes())
    }

    fn recovered(d: &DecodedText) -> Option<(&str, &str)> {
        match &d.decoding {
            Decoding::Recovered {
                charset,
                as_others_see_it,
            } => Some((charset, as_others_see_it)),
            _ => None,
        }
    }

    #[test]
    fn ascii_is_trimmed_and_declared() {
        let d = decode(b"SMITH^JOHN \0", &cs("ISO_IR 100"));
        assert_eq!(d, DecodedText::plain("SMITH^JOHN"));
        assert_eq!(decode(b"  \0\0", &SpecificCharacterSet::default()).text, "");
    }

    #[test]
    fn j3_gb18030_example() {
        let raw = [
            0x57, 0x61, 0x6e, 0x67, 0x5e, 0x58, 0x69, 0x61, 0x6f, 0x44, 0x6f, 0x6e, 0x67, 0x3d,
            0xcd, 0xf5, 0x5e, 0xd0, 0xa1, 0xb6, 0xab, 0x3d,
        ];
        let d = decode(&raw, &cs("GB18030"));
        assert_eq!(d, DecodedText::plain("Wang^XiaoDong=王^小东="));
        assert_eq!(
            decode(&raw, &cs("gb18030 ")),
            d,
            "terms are matched leniently"
        );
    }

    #[test]
    fn k2_iso2022_ir58_escapes_removed() {
        let raw = [
            0x5A, 0x68, 0x61, 0x6E, 0x67, 0x5E, 0x58, 0x69, 0x61, 0x6F, 0x44, 0x6F, 0x6E, 0x67,
            0x3D, 0x1B, 0x24, 0x29, 0x41, 0xD5, 0xC5, 0x5E, 0x1B, 0x24, 0x29, 0x41, 0xD0, 0xA1,
            0xB6, 0xAB, 0x3D, 0x20,
        ];
        let d = decode(&raw, &cs("\\ISO 2022 IR 58"));
        assert_eq!(d, DecodedText::plain("Zhang^XiaoDong=张^小东="));
    }

    #[test]
    fn h32_half_width_katakana_under_ir13() {
        let raw = b"\xd4\xcf\xc0\xde^\xc0\xdb\xb3=\x1b$B;3ED\x1b(J^\x1b$BB@O:\x1b(J=";
        let d = decode(raw, &cs("ISO 2022 IR 13\\ISO 2022 IR 87"));
        assert_eq!(d, DecodedText::plain("ﾔﾏﾀﾞ^ﾀﾛｳ=山田^太郎="));
    }

    #[test]
    fn h3_yamada_iso2022_ir87() {
        let raw = [
            0x59, 0x61, 0x6D, 0x61, 0x64, 0x61, 0x5E, 0x54, 0x61, 0x72, 0x6F, 0x75, 0x3D, 0x1B,
            0x24, 0x42, 0x3B, 0x33, 0x45, 0x44, 0x1B, 0x28, 0x42, 0x5E, 0x1B, 0x24, 0x42, 0x42,
            0x40, 0x4F, 0x3A, 0x1B, 0x28, 0x42, 0x3D, 0x1B, 0x24, 0x42, 0x24, 0x64, 0x24, 0x5E,
            0x24, 0x40, 0x1B, 0x28, 0x42, 0x5E, 0x1B, 0x24, 0x42, 0x24, 0x3F, 0x24, 0x6D, 0x24,
            0x26, 0x1B, 0x28, 0x42,
        ];
        let d = decode(&raw, &cs("\\ISO 2022 IR 87"));
        assert_eq!(
            d,
            DecodedText::plain("Yamada^Tarou=山田^太郎=やまだ^たろう")
        );
    }

    #[test]
    fn i2_hong_gildong_iso2022_ir149() {
        let raw = [
            0x48, 0x6F, 0x6E, 0x67, 0x5E, 0x47, 0x69, 0x6C, 0x64, 0x6F, 0x6E, 0x67, 0x3D, 0x1B,
            0x24, 0x29, 0x43, 0xFB, 0xF3, 0x5E, 0x1B, 0x24, 0x29, 0x43, 0xD1, 0xCE, 0xD4, 0xD7,
            0x3D, 0x1B, 0x24, 0x29, 0x43, 0xC8, 0xAB, 0x5E, 0x1B, 0x24, 0x29, 0x43, 0xB1, 0xE6,
            0xB5, 0xBF,
        ];
        let d = decode(&raw, &cs("\\ISO 2022 IR 149"));
        assert_eq!(d, DecodedText::plain("Hong^Gildong=洪^吉洞=홍^길동"));
    }

    #[test]
    fn undeclared_gbk_is_recovered() {
        let raw = [0xCD, 0xF5, 0x5E, 0xD0, 0xA1, 0xB6, 0xAB];
        let d = decode(&raw, &SpecificCharacterSet::default());
        assert_eq!(d.text, "王^小东");
        assert_eq!(recovered(&d), Some(("GB18030", "Íõ^Ð¡¶«")));
        let unknown = decode(&raw, &cs("ISO_IR 999"));
        assert_eq!(unknown, d, "an unknown term is treated as undeclared");
    }

    #[test]
    fn gbk_under_iso_ir_100_is_recovered() {
        let d = decode(&[0xD5, 0xC5, 0xC8, 0xFD], &cs("ISO_IR 100"));
        assert_eq!(d.text, "张三");
        assert_eq!(recovered(&d), Some(("GB18030", "ÕÅÈý")));
    }

    #[test]
    fn trail_byte_0x5c_is_not_a_value_separator() {
        let raw = [0xCD, 0xF5, 0x5E, 0xAD, 0x5C];
        let d = decode(&raw, &cs("GB18030"));
        assert_eq!(d, DecodedText::plain("王^璡"));
        assert_eq!(split_values(&d.text).count(), 1);
        assert_eq!(decode(&raw, &cs("GBK")).text, "王^璡");
    }

    #[test]
    fn trail_byte_0x5e_is_not_a_component_separator() {
        let d = decode(&[0xC0, 0xEE, 0x5E, 0x8A, 0x5E], &cs("GBK"));
        assert_eq!(d, DecodedText::plain("李^奮"));
        assert_eq!(d.text.matches('^').count(), 1);
    }

    #[test]
    fn utf8_three_groups() {
        let name = "Yamada^Tarou=山田^太郎=やまだ^たろう";
        let d = decode(name.as_bytes(), &cs("ISO_IR 192"));
        assert_eq!(d, DecodedText::plain(name));
        assert_eq!(decode(name.as_bytes(), &cs("iso_ir_192")), d);
    }

    #[test]
    fn invalid_utf8_holding_gbk_is_recovered() {
        let d = decode(
            &[0xCD, 0xF5, 0x5E, 0xD0, 0xA1, 0xB6, 0xAB],
            &cs("ISO_IR 192"),
        );
        assert_eq!(d.text, "王^小东");
        let (charset, others) = recovered(&d).expect("recovered");
        assert_eq!(charset, "GB18030");
        assert!(others.contains('\u{FFFD}'));
    }

    #[test]
    fn utf8_without_declaration_is_recovered() {
        let d = decode("张三".as_bytes(), &SpecificCharacterSet::default());
        assert_eq!(d.text, "张三");
        assert_eq!(recovered(&d).map(|r| r.0), Some("ISO_IR 192"));
    }

    #[test]
    fn latin1_names_stay_latin1() {
        let latin1 = [
            b'M', 0xFC, b'l', b'l', b'e', b'r', b'^', b'J', 0xFC, b'r', b'g', b'e', b'n',
        ];
        for set in [cs("ISO_IR 100"), SpecificCharacterSet::default()] {
            assert_eq!(decode(&latin1, &set), DecodedText::plain("Müller^Jürgen"));
        }
        assert_eq!(
            decode(&[0x80], &cs("ISO_IR 100")).text,
            "\u{80}",
            "true Latin-1, not windows-1252"
        );
    }

    #[test]
    fn invalid_everywhere_is_lossy() {
        let d = decode(&[b'A', 0x81, 0x20, b'B'], &cs("GB18030"));
        assert_eq!(d.decoding, Decoding::Lossy);
        assert!(d.text.contains('\u{FFFD}'));
        let d = decode(&[b'A', 0x85, 0x86], &SpecificCharacterSet::default());
        assert_eq!(d.decoding, Decoding::Lossy);
        assert_eq!(d.text, "A\u{FFFD}\u{FFFD}");
    }

    #[test]
    fn one_han_character_is_not_recovered() {
        let d = decode(&[b'L', b'I', b'^', 0xD5, 0xC5], &cs("ISO_IR 100"));
        assert_eq!(d.decoding, Decoding::Declared);
        assert_eq!(d.text, "LI^ÕÅ");
    }
}

//! How many pages a PDF has, for the summary's "Radiology report: on the disc (PDF, 1 page)".
//!
//! A small bounded reader of the page tree rather than a PDF crate: the one well-kept crate (`lopdf`) pulls in
//! about twenty crates (encryption, parser combinators, clocks, random numbers) and loads every object and
//! content stream, while a page count needs only the trailer, the catalog and the `/Pages` tree. The reader
//! works on bytes the caller read under a cap, finds objects by their `N G obj` headers (so a damaged cross-
//! reference table does not matter), opens compressed object streams (PDF 1.5) with a budget on inflated bytes,
//! follows `/Root` → `/Pages` and counts the leaves of the page tree, each node visited once. Anything missing
//! or inconsistent gives `None` ("page count unknown"), never a guess; nothing is allocated from a declared
//! length.

use std::collections::{HashMap, HashSet};
use std::io::Read;

/// Bytes inflated from object streams, all streams of one PDF together.
const INFLATE_BUDGET: u64 = 64 * 1024 * 1024;
/// Nesting of arrays and dictionaries the value parser follows.
const MAX_DEPTH: usize = 32;
/// Page tree nodes visited (a report has a few pages; this only bounds hostile trees).
const MAX_NODES: usize = 100_000;

/// The number of pages of the PDF in `bytes`, or `None` when it cannot be told.
pub fn page_count(bytes: &[u8]) -> Option<u32> {
    std::panic::catch_unwind(|| Document::read(bytes).and_then(|d| d.pages())).unwrap_or(None)
}

/// A parsed PDF value (only what the page tree needs).
#[derive(Debug, Clone, PartialEq)]
enum Value {
    Name(Vec<u8>),
    Int(i64),
    Ref(u32),
    Array(Vec<Value>),
    Dict(Vec<(Vec<u8>, Value)>),
    Other,
}

impl Value {
    fn get(&self, key: &[u8]) -> Option<&Value> {
        match self {
            Value::Dict(entries) => entries.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    fn is_name(&self, key: &[u8], name: &[u8]) -> bool {
        matches!(self.get(key), Some(Value::Name(n)) if n == name)
    }
}

/// The objects of a PDF by number, and the `/Root` references of its trailers in file order.
struct Document {
    objects: HashMap<u32, Value>,
    roots: Vec<u32>,
}

impl Document {
    fn read(bytes: &[u8]) -> Option<Document> {
        if !bytes.starts_with(b"%PDF-") {
            return None;
        }
        let mut objects = HashMap::new();
        let mut packed: Vec<(Vec<u8>, usize)> = Vec::new();
        let mut roots = Vec::new();
        let mut budget = INFLATE_BUDGET;
        // Every byte is parsed about once: after an object, even one that does not parse, the search goes on
        // where its parse stopped, and a missing `endstream` is looked for once.
        let mut no_endstream_from = None;
        let mut at = 0;
        while let Some(found) = find(bytes, b"obj", at) {
            at = found + 3;
            let Some(number) = object_number(bytes, found) else {
                continue;
            };
            let mut lexer = Lexer::new(bytes, at);
            let Some(value) = lexer.value(0) else {
                at = at.max(lexer.at);
                continue;
            };
            if value.is_name(b"Type", b"XRef")
                && let Some(Value::Ref(root)) = value.get(b"Root")
            {
                roots.push((found, *root));
            }
            let stream = stream_range(bytes, lexer.at, &value, &mut no_endstream_from);
            if value.is_name(b"Type", b"ObjStm")
                && let Some(Value::Int(first)) = value.get(b"First")
                && let Ok(first) = usize::try_from(*first)
                && let Some(data) = stream.and_then(|r| stream_data(bytes, r, &value, &mut budget))
            {
                packed.push((data, first));
            }
            // A later definition (an incremental update) replaces an earlier one.
            objects.insert(number, value);
            // Stream data is binary: an `obj` inside it is not an object header.
            at = at.max(stream.map_or(lexer.at, |(_, end)| end));
        }
        let mut at = 0;
        while let Some(found) = find(bytes, b"trailer", at) {
            let mut lexer = Lexer::new(bytes, found + 7);
            if let Some(Value::Ref(root)) = lexer.value(0).as_ref().and_then(|t| t.get(b"Root")) {
                roots.push((found, *root));
            }
            at = lexer.at.max(found + 7);
        }
        for (data, first) in &packed {
            unpack(data, *first, &mut objects);
        }
        roots.sort_unstable();
        Some(Document {
            objects,
            roots: roots.into_iter().map(|(_, r)| r).collect(),
        })
    }

    /// Leaves of the page tree of the last trailer whose tree is whole.
    fn pages(&self) -> Option<u32> {
        self.roots.iter().rev().find_map(|&root| {
            let catalog = self.objects.get(&root)?;
            let Some(Value::Ref(pages)) = catalog.get(b"Pages") else {
                return None;
            };
            self.count(*pages)
        })
    }

    /// Counts the leaves under a `/Pages` node: every node must exist and be visited once.
    fn count(&self, top: u32) -> Option<u32> {
        let mut seen = HashSet::new();
        let mut stack = vec![top];
        let mut leaves: u32 = 0;
        while let Some(number) = stack.pop() {
            if !seen.insert(number) || seen.len() > MAX_NODES {
                return None;
            }
            let node = self.objects.get(&number)?;
            if node.is_name(b"Type", b"Page") {
                leaves = leaves.checked_add(1)?;
                continue;
            }
            let Some(Value::Array(kids)) = node.get(b"Kids") else {
                return None;
            };
            for kid in kids.iter().rev() {
                let Value::Ref(kid) = kid else {
                    return None;
                };
                stack.push(*kid);
            }
        }
        (leaves > 0).then_some(leaves)
    }
}

/// The object number of the `N G obj` header whose `obj` keyword is at `at`.
fn object_number(bytes: &[u8], at: usize) -> Option<u32> {
    let head = bytes.get(..at)?;
    if bytes.get(at + 3).is_some_and(|b| is_regular(*b)) {
        return None;
    }
    let rest = head.strip_suffix_ws()?;
    let (rest, _generation) = trailing_digits(rest)?;
    let rest = rest.strip_suffix_ws()?;
    let (rest, number) = trailing_digits(rest)?;
    if rest.last().is_some_and(|b| is_regular(*b)) {
        return None;
    }
    u32::try_from(number).ok()
}

/// Trimming the whitespace at the end of a byte slice, when there is some.
trait StripWs {
    fn strip_suffix_ws(&self) -> Option<&[u8]>;
}

impl StripWs for [u8] {
    fn strip_suffix_ws(&self) -> Option<&[u8]> {
        let end = self
            .iter()
            .rposition(|b| !is_space(*b))
            .map_or(0, |p| p + 1);
        (end < self.len()).then(|| self.get(..end)).flatten()
    }
}

/// The decimal number at the end of `bytes` (at most 10 digits) and what precedes it.
fn trailing_digits(bytes: &[u8]) -> Option<(&[u8], u64)> {
    let start = bytes
        .iter()
        .rposition(|b| !b.is_ascii_digit())
        .map_or(0, |p| p + 1);
    let digits = bytes.get(start..)?;
    if digits.is_empty() || digits.len() > 10 {
        return None;
    }
    let number = std::str::from_utf8(digits).ok()?.parse().ok()?;
    Some((bytes.get(..start)?, number))
}

/// Where the data of the stream whose dictionary ends at `at` lies: the declared `/Length` when `endstream`
/// follows it, else up to the next `endstream`. `no_endstream_from` remembers where a search found none.
fn stream_range(
    bytes: &[u8],
    at: usize,
    dict: &Value,
    no_endstream_from: &mut Option<usize>,
) -> Option<(usize, usize)> {
    let mut lexer = Lexer::new(bytes, at);
    lexer.skip_space();
    let after = bytes.get(lexer.at..)?.strip_prefix(b"stream")?;
    let after = after
        .strip_prefix(b"\r\n")
        .or_else(|| after.strip_prefix(b"\n"))
        .or_else(|| after.strip_prefix(b"\r"))?;
    let start = bytes.len() - after.len();
    let declared = match dict.get(b"Length") {
        Some(Value::Int(n)) => usize::try_from(*n).ok(),
        _ => None,
    };
    let end = declared
        .and_then(|n| start.checked_add(n))
        .filter(|&end| {
            let mut tail = Lexer::new(bytes, end);
            tail.skip_space();
            bytes
                .get(tail.at..)
                .is_some_and(|t| t.starts_with(b"endstream"))
        })
        .or_else(|| {
            if no_endstream_from.is_some_and(|from| start >= from) {
                return None;
            }
            let found = find(bytes, b"endstream", start);
            if found.is_none() {
                *no_endstream_from = Some(start);
            }
            found
        })?;
    Some((start, end))
}

/// The decoded data of a stream (unfiltered or Flate, no predictor), within the inflation budget.
fn stream_data(
    bytes: &[u8],
    (start, end): (usize, usize),
    dict: &Value,
    budget: &mut u64,
) -> Option<Vec<u8>> {
    let raw = bytes.get(start..end)?;
    let filter = dict.get(b"Filter");
    let flate = match filter {
        None => false,
        Some(Value::Name(n)) if n == b"FlateDecode" => true,
        Some(Value::Array(a)) if a == &[Value::Name(b"FlateDecode".to_vec())] => true,
        _ => return None,
    };
    if dict.get(b"DecodeParms").is_some() {
        return None;
    }
    if !flate {
        return Some(raw.to_vec());
    }
    let mut out = Vec::new();
    let read = flate2::read::ZlibDecoder::new(raw)
        .take(*budget)
        .read_to_end(&mut out);
    *budget = budget.saturating_sub(out.len() as u64);
    match read {
        Ok(_) => Some(out),
        // A stream cut short still holds the objects before the cut.
        Err(_) if !out.is_empty() => Some(out),
        Err(_) => None,
    }
}

/// Adds the objects of a decoded object stream (pairs of number and offset, then the objects from `first`),
/// without replacing objects defined outside any stream. Each object is read only up to the next one's offset,
/// so that hostile offsets cannot make the same bytes be parsed again and again.
fn unpack(data: &[u8], first: usize, objects: &mut HashMap<u32, Value>) {
    let mut header = Lexer::new(data, 0);
    let mut entries: Vec<(usize, u32)> = Vec::new();
    while header.at < first {
        let (Some(Token::Int(number)), Some(Token::Int(offset))) = (header.token(), header.token())
        else {
            break;
        };
        let (Ok(number), Some(at)) = (
            u32::try_from(number),
            usize::try_from(offset)
                .ok()
                .and_then(|o| o.checked_add(first)),
        ) else {
            break;
        };
        entries.push((at, number));
    }
    entries.sort_unstable();
    entries.dedup_by_key(|(at, _)| *at);
    for (i, &(at, number)) in entries.iter().enumerate() {
        let end = entries.get(i + 1).map_or(data.len(), |&(next, _)| next);
        let Some(bytes) = data.get(..end) else {
            continue;
        };
        let mut lexer = Lexer::new(bytes, at);
        if let Some(value) = lexer.value(0) {
            objects.entry(number).or_insert(value);
        }
    }
}

/// The first position of `needle` in `bytes` at or after `from`.
fn find(bytes: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    bytes
        .get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b'\x0C' | b'\0')
}

fn is_delimiter(b: u8) -> bool {
    matches!(
        b,
        b'(' | b')' | b'<' | b'>' | b'[' | b']' | b'{' | b'}' | b'/' | b'%'
    )
}

fn is_regular(b: u8) -> bool {
    !is_space(b) && !is_delimiter(b)
}

/// A lexical token.
#[derive(Debug, PartialEq)]
enum Token {
    Int(i64),
    Name(Vec<u8>),
    DictStart,
    DictEnd,
    ArrayStart,
    ArrayEnd,
    /// `R` after two integers makes a reference.
    R,
    Other,
}

/// Reads tokens and values from a position in a byte slice; every step advances.
struct Lexer<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Lexer<'a> {
    fn new(bytes: &'a [u8], at: usize) -> Self {
        Lexer { bytes, at }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    /// Skips whitespace and comments.
    fn skip_space(&mut self) {
        while let Some(b) = self.peek() {
            if is_space(b) {
                self.at += 1;
            } else if b == b'%' {
                while self.peek().is_some_and(|b| b != b'\n' && b != b'\r') {
                    self.at += 1;
                }
            } else {
                break;
            }
        }
    }

    fn token(&mut self) -> Option<Token> {
        self.skip_space();
        let b = self.peek()?;
        self.at += 1;
        Some(match b {
            b'/' => Token::Name(self.regular_run().to_vec()),
            b'[' => Token::ArrayStart,
            b']' => Token::ArrayEnd,
            b'<' if self.peek() == Some(b'<') => {
                self.at += 1;
                Token::DictStart
            }
            b'>' if self.peek() == Some(b'>') => {
                self.at += 1;
                Token::DictEnd
            }
            b'<' => {
                // A hex string.
                while self.peek().is_some_and(|b| b != b'>') {
                    self.at += 1;
                }
                self.at += 1;
                Token::Other
            }
            b'(' => {
                self.skip_string();
                Token::Other
            }
            b'0'..=b'9' | b'+' | b'-' | b'.' => {
                self.at -= 1;
                let run = self.regular_run();
                std::str::from_utf8(run)
                    .ok()
                    .and_then(|s| s.parse().ok())
                    .map_or(Token::Other, Token::Int)
            }
            _ if is_regular(b) => {
                self.at -= 1;
                if self.regular_run() == b"R" {
                    Token::R
                } else {
                    Token::Other
                }
            }
            _ => Token::Other,
        })
    }

    /// The run of regular characters from the current position (at least one byte is consumed by the caller).
    fn regular_run(&mut self) -> &'a [u8] {
        let start = self.at;
        while self.peek().is_some_and(is_regular) {
            self.at += 1;
        }
        self.bytes.get(start..self.at).unwrap_or_default()
    }

    /// Skips a literal string after its `(`: balanced parentheses, backslash escapes.
    fn skip_string(&mut self) {
        let mut depth = 1usize;
        while let Some(b) = self.peek() {
            self.at += 1;
            match b {
                b'\\' => self.at += 1,
                b'(' => depth += 1,
                b')' => {
                    depth -= 1;
                    if depth == 0 {
                        return;
                    }
                }
                _ => {}
            }
        }
    }

    /// One value; two integers followed by `R` are a reference.
    fn value(&mut self, depth: usize) -> Option<Value> {
        if depth > MAX_DEPTH {
            return None;
        }
        let token = self.token()?;
        self.value_from(token, depth)
    }

    fn value_from(&mut self, token: Token, depth: usize) -> Option<Value> {
        Some(match token {
            Token::Int(n) => {
                let save = self.at;
                if let (Some(Token::Int(_)), Some(Token::R)) = (self.token(), self.token()) {
                    Value::Ref(u32::try_from(n).ok()?)
                } else {
                    self.at = save;
                    Value::Int(n)
                }
            }
            Token::Name(n) => Value::Name(n),
            Token::ArrayStart => {
                let mut items = Vec::new();
                loop {
                    match self.token()? {
                        Token::ArrayEnd => break,
                        token => items.push(self.value_from_nested(token, depth)?),
                    }
                }
                Value::Array(items)
            }
            Token::DictStart => {
                let mut entries = Vec::new();
                loop {
                    match self.token()? {
                        Token::DictEnd => break,
                        Token::Name(key) => {
                            let value = self.value(depth + 1)?;
                            entries.push((key, value));
                        }
                        _ => return None,
                    }
                }
                Value::Dict(entries)
            }
            Token::DictEnd | Token::ArrayEnd => return None,
            Token::R | Token::Other => Value::Other,
        })
    }

    fn value_from_nested(&mut self, token: Token, depth: usize) -> Option<Value> {
        if depth >= MAX_DEPTH {
            return None;
        }
        self.value_from(token, depth + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A PDF with `pages` pages written as plain objects.
    fn plain(pages: usize) -> Vec<u8> {
        let kids: Vec<String> = (0..pages).map(|i| format!("{} 0 R", i + 3)).collect();
        let mut pdf = format!(
            "%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [{}] /Count {pages} >>\nendobj\n",
            kids.join(" ")
        );
        for i in 0..pages {
            pdf += &format!(
                "{} 0 obj\n<< /Type /Page /Parent 2 0 R /Contents {} 0 R >>\nendobj\n",
                i + 3,
                i + 3 + pages
            );
            pdf += &format!(
                "{} 0 obj\n<< /Length 20 >>\nstream\n99 0 obj (x) endobj\nendstream\nendobj\n",
                i + 3 + pages
            );
        }
        pdf += "trailer\n<< /Size 9 /Root 1 0 R >>\n%%EOF\n";
        pdf.into_bytes()
    }

    #[test]
    fn counts_the_leaves_of_the_page_tree() {
        assert_eq!(page_count(&plain(1)), Some(1));
        assert_eq!(page_count(&plain(3)), Some(3));
    }

    #[test]
    fn objects_in_a_compressed_object_stream_are_read() {
        use std::io::Write;
        let objects = [
            "<< /Type /Catalog /Pages 2 0 R >>",
            "<< /Type /Pages /Kids [3 0 R 4 0 R] /Count 2 >>",
            "<< /Type /Page >>",
            "<< /Type /Page >>",
        ];
        let mut header = String::new();
        let mut offset = 0;
        for (i, o) in objects.iter().enumerate() {
            header += &format!("{} {offset} ", i + 1);
            offset += o.len() + 1;
        }
        let mut raw = header.clone().into_bytes();
        raw.extend_from_slice(objects.join(" ").as_bytes());
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        z.write_all(&raw).expect("deflate");
        let data = z.finish().expect("deflate");
        let mut pdf = format!(
            "%PDF-1.5\n5 0 obj\n<< /Type /ObjStm /N 4 /First {} /Filter /FlateDecode /Length {} >>\nstream\n",
            header.len(),
            data.len()
        )
        .into_bytes();
        pdf.extend_from_slice(&data);
        pdf.extend_from_slice(b"\nendstream\nendobj\n6 0 obj\n<< /Type /XRef /Root 1 0 R /Size 7 >>\nstream\n\nendstream\nendobj\nstartxref\n0\n%%EOF\n");
        assert_eq!(page_count(&pdf), Some(2));
    }

    #[test]
    fn damaged_or_hostile_files_have_no_count() {
        let whole = plain(2);
        assert_eq!(page_count(b"%PDF-1.4\ngarbage"), None);
        assert_eq!(page_count(b"not a pdf"), None);
        // Cut before the trailer.
        assert_eq!(page_count(&whole[..whole.len() / 2]), None);
        // A page tree that loops back on itself.
        let looped = b"%PDF-1.4\n1 0 obj << /Pages 2 0 R >> endobj 2 0 obj << /Type /Pages /Kids [2 0 R] >> endobj trailer << /Root 1 0 R >>";
        assert_eq!(page_count(looped), None);
        // Deep nesting and a huge declared length.
        let mut deep = b"%PDF-1.4\n1 0 obj ".to_vec();
        deep.extend(std::iter::repeat_n(b'[', 100_000));
        assert_eq!(page_count(&deep), None);
        let huge = b"%PDF-1.4\n1 0 obj << /Length 99999999999 >> stream\nxx endstream endobj trailer << /Root 1 0 R >>";
        assert_eq!(page_count(huge), None);
        // Inputs that would be read again and again by a reader that restarts at every `obj`, `trailer` or
        // `stream` (a megabyte each: quadratic work would not finish).
        let mut unclosed = b"%PDF-1.4\n".to_vec();
        for i in 0..40_000 {
            unclosed.extend_from_slice(format!("{i} 0 obj << /A [ ").as_bytes());
        }
        assert_eq!(page_count(&unclosed), None);
        let mut streams = b"%PDF-1.4\n".to_vec();
        for i in 0..40_000 {
            streams.extend_from_slice(format!("{i} 0 obj << >> stream\n ").as_bytes());
        }
        assert_eq!(page_count(&streams), None);
        let trailers = b"%PDF-1.4\ntrailer << /Root [ ".repeat(40_000);
        assert_eq!(page_count(&trailers), None);
        // Every prefix of a good file, and the file with bytes overwritten: the reader itself never panics (not
        // only behind `catch_unwind`), and a cut file gives no count or the right one.
        let unguarded = |b: &[u8]| Document::read(b).and_then(|d| d.pages());
        for end in 0..whole.len() {
            let count = unguarded(&whole[..end]);
            assert!(
                count.is_none() || count == Some(2),
                "prefix {end}: {count:?}"
            );
        }
        let mut seed: u32 = 15;
        for _ in 0..2000 {
            let mut bent = whole.clone();
            for _ in 0..4 {
                seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
                let at = (seed >> 8) as usize % bent.len();
                bent[at] = (seed >> 24) as u8;
            }
            let _ = unguarded(&bent);
        }
    }
}

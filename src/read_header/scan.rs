//! The bounded DICOM reader shared by [`super::read_header`] and [`crate::dicomdir`].
//!
//! [`Source`] owns one buffered, read-only file handle and knows the file size and the current offset. It sniffs
//! the file type, reads the file meta group by hand (capped at 64 KiB), and hands the data set to a [`Walker`]:
//! an iterative walk on `dicom_parser`'s `StatefulDecoder` that checks every declared length against the bytes
//! left in the file before the value is read or skipped, caps sequence nesting, and stops at root-level Pixel
//! Data. A deflated data set is inflated through a bounded, forward-only reader ([`Source::data_set_syntax`]).

use std::borrow::Cow;
use std::cell::Cell;
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::Path;
use std::rc::Rc;
use std::sync::Arc;

use dicom_core::Tag;
use dicom_core::header::{DataElementHeader, Length, SequenceItemHeader, VR};
use dicom_encoding::decode::adaptive_le::StandardAdaptiveVRLittleEndianDecoder;
use dicom_encoding::decode::explicit_be::ExplicitVRBigEndianDecoder;
use dicom_encoding::decode::implicit_le::StandardImplicitVRLittleEndianDecoder;
use dicom_encoding::decode::{DecodeFrom, Error as DecodeError};
use dicom_encoding::snafu::GenerateImplicitData;
use dicom_encoding::text::SpecificCharacterSet;
use dicom_encoding::transfer_syntax::{
    Codec, DynDecoder, Endianness, TransferSyntax, TransferSyntaxIndex,
};
use dicom_parser::stateful::decode::{DynStatefulDecoder, StatefulDecoder};
use dicom_transfer_syntax_registry::TransferSyntaxRegistry;
use flate2::read::DeflateDecoder;

use super::{DefectKind, FileDefect, InflateBudget};
pub use tokens::Tokenizer;
pub(crate) use tokens::tag_key;
use tokens::{Encoding, Resume, Tokens};

mod tokens;

/// Read buffer size unless the caller knows better: one read covers a usual header, a second one a long vendor
/// header.
pub(crate) const BUF_CAPACITY: usize = 8 * 1024;
/// Largest read buffer a caller may ask for: a header sized hint cannot make every read this large or larger.
pub(crate) const MAX_BUF_CAPACITY: usize = 64 * 1024;
/// Largest file meta group accepted.
const MAX_META_BYTES: u64 = 64 * 1024;
/// Deepest sequence nesting accepted (real files stay well below 10).
pub(crate) const MAX_DEPTH: usize = 32;
/// A declared length running past the end of the file is taken for a cut file up to this size, and for a bogus
/// length beyond it.
const PLAUSIBLE_CUT: u64 = 64 << 20;
/// Most bytes of a deflated data set inflated: a deflate bomb costs this much inflating, and no allocation.
pub(crate) const MAX_INFLATED: u64 = 64 << 20;

/// Pixel Data (7FE0,0010).
pub(crate) const PIXEL_DATA: Tag = Tag(0x7FE0, 0x0010);
/// Implicit VR Little Endian.
pub(crate) const IMPLICIT_LE: &str = "1.2.840.10008.1.2";
/// Explicit VR Little Endian.
pub(crate) const EXPLICIT_LE: &str = "1.2.840.10008.1.2.1";
/// Explicit VR Big Endian (retired, still found in old raw data sets).
pub(crate) const EXPLICIT_BE: &str = "1.2.840.10008.1.2.2";

/// What the first bytes of a file say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sniff {
    /// Zero bytes.
    Empty,
    /// No `DICM` marker and no plausible first element.
    NoMarker,
    /// `DICM` at 128 or at 0; positioned on the file meta group.
    Part10,
    /// A data set without preamble and marker, positioned at 0. `meta` when it starts with group 0002.
    Raw {
        /// The first element is in group 0002 (a file meta group without `DICM`).
        meta: bool,
        /// Bytes 4–5 form a VR: explicit VR.
        explicit: bool,
        /// The first tag is group 0008 written big endian (`00 08`), with a VR: explicit VR big endian.
        big_endian: bool,
    },
}

/// The file meta attributes the scanner needs, as written (see [`trimmed`]); empty when absent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Meta {
    /// Transfer Syntax UID (0002,0010).
    pub transfer_syntax: MetaValue,
    /// Media Storage SOP Class UID (0002,0002).
    pub sop_class_uid: MetaValue,
    /// Media Storage SOP Instance UID (0002,0003).
    pub sop_instance_uid: MetaValue,
}

/// Longest file meta value kept inline: a UID is at most 64 bytes.
const INLINE_META: usize = 64;

/// One file meta value's bytes: inline, as every UID fits, so that reading a file's meta group allocates
/// nothing; a longer (malformed) value in a buffer of its checked length.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum MetaValue {
    Inline { bytes: [u8; INLINE_META], len: u8 },
    Long(Box<[u8]>),
}

impl Default for MetaValue {
    fn default() -> Self {
        Self::Inline {
            bytes: [0; INLINE_META],
            len: 0,
        }
    }
}

impl MetaValue {
    /// The bytes as read.
    pub(crate) fn raw(&self) -> &[u8] {
        match self {
            Self::Inline { bytes, len } => bytes.get(..usize::from(*len)).unwrap_or_default(),
            Self::Long(bytes) => bytes,
        }
    }
}

/// A byte source the reader can read and seek: a file, or (through [`super::read_header_from`]) any reader,
/// such as one that injects I/O faults in tests.
pub(crate) trait ReadSeek: Read + Seek {}

impl<T: Read + Seek> ReadSeek for T {}

/// One open file, read forward through one buffer.
pub(crate) struct Source {
    reader: BufReader<Box<dyn ReadSeek>>,
    size: u64,
    /// Absolute offset of the next byte the reader hands out.
    pos: Cell<u64>,
    /// Bytes seeked over without reading (pixel fragments).
    skipped: u64,
    /// For a deflated data set: how its compressed stream ended, found while measuring it.
    inflated: Option<Inflation>,
    /// The scan's inflation budget; without one, only [`MAX_INFLATED`] bounds a deflated data set.
    budget: Option<Arc<InflateBudget>>,
    /// What the walks over this source decode with.
    tokenizer: Tokenizer,
}

/// How the compressed stream of a deflated data set ended.
#[derive(Debug, Clone, Default)]
struct Inflation {
    /// Why the stream ended early (cut or corrupt), if it did.
    defect: Option<FileDefect>,
    /// The stream inflates to more than [`MAX_INFLATED`] bytes: only that many are read.
    capped: bool,
    /// Bytes of the file read to measure the stream (the meta group and the compressed bytes): what inflating
    /// the data set cost in file reads.
    file_bytes_read: u64,
}

impl Source {
    /// Opens `path` read-only (a regular file only, no link followed, never blocking) and takes its size from the
    /// open handle.
    pub(crate) fn open(path: &Path) -> io::Result<Self> {
        let (file, size) = crate::walk::open_media_file(path)?;
        Ok(Self::new(Box::new(file), size))
    }

    /// Reads from `reader`, positioned at its start, which holds `size` bytes.
    pub(crate) fn new(reader: Box<dyn ReadSeek>, size: u64) -> Self {
        Self::with_capacity(reader, size, BUF_CAPACITY)
    }

    /// [`Source::new`] reading `capacity` bytes at a time (between 1 byte and [`MAX_BUF_CAPACITY`]; no more than
    /// the file holds is allocated): a caller that knows the usual header size reads a header in one read.
    pub(crate) fn with_capacity(reader: Box<dyn ReadSeek>, size: u64, capacity: usize) -> Self {
        let capacity = capacity
            .min(MAX_BUF_CAPACITY)
            .min(usize::try_from(size).unwrap_or(usize::MAX))
            .max(1);
        Self {
            reader: BufReader::with_capacity(capacity, reader),
            size,
            pos: Cell::new(0),
            skipped: 0,
            inflated: None,
            budget: None,
            tokenizer: Tokenizer::Fast,
        }
    }

    /// Draws every inflated byte from `budget`.
    pub(crate) fn with_budget(mut self, budget: Arc<InflateBudget>) -> Self {
        self.budget = Some(budget);
        self
    }

    /// Walks the data set with `tokenizer` (the fast one unless changed).
    pub(crate) fn set_tokenizer(&mut self, tokenizer: Tokenizer) {
        self.tokenizer = tokenizer;
    }

    /// File size in bytes; for a deflated data set, once inflated, the offset where the inflated data ends.
    pub(crate) fn size(&self) -> u64 {
        self.size
    }

    /// For a deflated data set whose compressed stream is cut or corrupt: why. The inflated bytes before the
    /// damage are read as usual; this says the data set ends there.
    pub(crate) fn inflate_defect(&self) -> Option<FileDefect> {
        self.inflated.as_ref()?.defect.clone()
    }

    /// True when a deflated data set inflates to more than [`MAX_INFLATED`] bytes and was read only that far:
    /// its end, and so the length of its image data, is unknown.
    pub(crate) fn capped(&self) -> bool {
        self.inflated.as_ref().is_some_and(|i| i.capped)
    }

    /// Bytes actually read from the file so far (seeked-over pixel fragments excluded; for a deflated data set,
    /// the compressed bytes read, not the inflated ones).
    pub(crate) fn bytes_read(&self) -> u64 {
        match &self.inflated {
            Some(inflation) => inflation.file_bytes_read,
            None => self.pos.get().saturating_sub(self.skipped),
        }
    }

    fn left(&self) -> u64 {
        self.size.saturating_sub(self.pos.get())
    }

    fn read_exact(&mut self, buf: &mut [u8]) -> Result<(), FileDefect> {
        self.reader
            .read_exact(buf)
            .map_err(|e| io_defect(&e, self.pos.get(), "file ends inside the file meta group"))?;
        self.pos.set(self.pos.get() + buf.len() as u64);
        Ok(())
    }

    /// Moves by `delta` bytes (inside the buffer when possible).
    fn seek_by(&mut self, delta: i64) -> Result<(), FileDefect> {
        self.reader
            .seek_relative(delta)
            .map_err(|e| io_defect(&e, self.pos.get(), "seek failed"))?;
        self.pos.set(self.pos.get().saturating_add_signed(delta));
        Ok(())
    }

    /// Looks at the first 132 bytes and positions the reader where parsing starts.
    pub(crate) fn sniff(&mut self) -> Result<Sniff, FileDefect> {
        if self.size == 0 {
            return Ok(Sniff::Empty);
        }
        let mut head = [0u8; 132];
        let mut n = 0;
        while n < head.len() {
            match self.reader.read(&mut head[n..]) {
                Ok(0) => break,
                Ok(k) => n += k,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(io_defect(&e, n as u64, "")),
            }
        }
        self.pos.set(n as u64);
        let got = head.get(..n).unwrap_or_default();
        let (sniff, start) = if got.get(128..132) == Some(b"DICM") {
            (Sniff::Part10, 132)
        } else if got.get(..4) == Some(b"DICM") {
            (Sniff::Part10, 4)
        } else if let Some(&[g0, 0x00, _, _, v0, v1, _, _]) = got.get(..8)
            && (g0 == 0x08 || g0 == 0x02)
        {
            (
                Sniff::Raw {
                    meta: g0 == 0x02,
                    explicit: vr_of([v0, v1]).is_some(),
                    big_endian: false,
                },
                0,
            )
        } else if let Some(&[0x00, 0x08, _, _, v0, v1, _, _]) = got.get(..8)
            && vr_of([v0, v1]).is_some()
        {
            (
                Sniff::Raw {
                    meta: false,
                    explicit: true,
                    big_endian: true,
                },
                0,
            )
        } else {
            (Sniff::NoMarker, 0)
        };
        if sniff != Sniff::NoMarker {
            self.seek_by(start - n as i64)?;
        }
        Ok(sniff)
    }

    /// Reads the file meta group (explicit VR little endian) by hand: at most 64 KiB, every length checked
    /// against the group and the file, (0002,0000) optional.
    pub(crate) fn read_meta(&mut self) -> Result<Meta, FileDefect> {
        let start = self.pos.get();
        let mut group_end: Option<u64> = None;
        let mut meta = Meta::default();
        loop {
            let here = self.pos.get();
            if group_end.is_some_and(|end| here >= end) || (group_end.is_none() && self.left() == 0)
            {
                break;
            }
            if here - start >= MAX_META_BYTES {
                return Err(defect(
                    DefectKind::Malformed,
                    "file meta group longer than 64 KiB",
                ));
            }
            let mut head = [0u8; 8];
            self.read_exact(&mut head)?;
            let [g0, g1, e0, e1, v0, v1, l0, l1] = head;
            let tag = Tag(u16::from_le_bytes([g0, g1]), u16::from_le_bytes([e0, e1]));
            if tag.0 != 0x0002 {
                if group_end.is_some() {
                    return Err(defect(
                        DefectKind::Malformed,
                        format!("element {tag} inside the file meta group"),
                    ));
                }
                self.seek_by(-8)?;
                break;
            }
            let vr = vr_of([v0, v1]).ok_or_else(|| {
                defect(
                    DefectKind::Malformed,
                    format!("file meta element {tag} has no valid VR at offset {here}"),
                )
            })?;
            let len = if has_long_length(vr) {
                let mut long = [0u8; 4];
                self.read_exact(&mut long)?;
                u32::from_le_bytes(long)
            } else {
                u32::from(u16::from_le_bytes([l0, l1]))
            };
            if len == u32::MAX {
                return Err(defect(
                    DefectKind::Malformed,
                    format!("file meta element {tag} has an undefined length"),
                ));
            }
            let len = u64::from(len);
            let value_at = self.pos.get();
            if let Some(end) = group_end
                && value_at + len > end
            {
                return Err(defect(
                    DefectKind::BogusLength,
                    format!(
                        "{tag} declares {len} bytes, {} left in the file meta group",
                        // The element's header itself may cross the group's end (found by fuzzing).
                        end.saturating_sub(value_at)
                    ),
                ));
            }
            check_length(tag, len, value_at, self.size)?;
            if len > MAX_META_BYTES {
                return Err(defect(
                    DefectKind::BogusLength,
                    format!("{tag} declares {len} bytes in the file meta group"),
                ));
            }
            match tag.1 {
                0x0000 if len == 4 && group_end.is_none() && here == start => {
                    let mut value = [0u8; 4];
                    self.read_exact(&mut value)?;
                    let group_len = u64::from(u32::from_le_bytes(value));
                    if group_len > MAX_META_BYTES {
                        return Err(defect(
                            DefectKind::Malformed,
                            format!("file meta group length {group_len} exceeds 64 KiB"),
                        ));
                    }
                    if group_len > self.left() {
                        return Err(defect(
                            DefectKind::Truncated,
                            format!(
                                "file ends inside the file meta group ({group_len} bytes declared, {} left)",
                                self.left()
                            ),
                        ));
                    }
                    group_end = Some(self.pos.get() + group_len);
                }
                0x0002 | 0x0003 | 0x0010 => {
                    let value = match tag.1 {
                        0x0002 => &mut meta.sop_class_uid,
                        0x0003 => &mut meta.sop_instance_uid,
                        _ => &mut meta.transfer_syntax,
                    };
                    // `len` is at most MAX_META_BYTES, and within the file.
                    *value = match u8::try_from(len)
                        .ok()
                        .filter(|&n| usize::from(n) <= INLINE_META)
                    {
                        Some(n) => MetaValue::Inline {
                            bytes: [0; INLINE_META],
                            len: n,
                        },
                        None => MetaValue::Long(vec![0; len as usize].into_boxed_slice()),
                    };
                    let bytes = match value {
                        MetaValue::Inline { bytes, len } => &mut bytes[..usize::from(*len)],
                        MetaValue::Long(bytes) => &mut bytes[..],
                    };
                    self.read_exact(bytes)?;
                }
                _ => self.seek_by(len as i64)?,
            }
        }
        Ok(meta)
    }

    /// Transfer syntax for reading the data set that follows (a file that ends before it is cut): the registered
    /// one for `uid`; none declared, little endian (the walk settles explicit or implicit VR by the first
    /// element's VR bytes, as DCMTK and pydicom read such a file); an unknown or private UID, explicit or implicit
    /// VR little endian guessed from the first element. A deflated data set (PS3.5 A.5: raw deflate of explicit
    /// VR little endian) is inflated from here on.
    pub(crate) fn data_set_syntax(
        &mut self,
        uid: &str,
    ) -> Result<&'static TransferSyntax, FileDefect> {
        if self.left() == 0 {
            return Err(defect(
                DefectKind::Truncated,
                "file ends before its data set",
            ));
        }
        let registry: &'static TransferSyntaxRegistry = &TransferSyntaxRegistry;
        let uid = if uid.is_empty() { IMPLICIT_LE } else { uid };
        if let Some(ts) = registry.get(uid) {
            if matches!(ts.codec(), Codec::Dataset(_)) {
                self.inflate()?;
                return registry.get(EXPLICIT_LE).ok_or_else(|| {
                    defect(DefectKind::Malformed, "explicit VR little endian missing")
                });
            }
            return Ok(ts);
        }
        let mut head = [0u8; 6];
        let n = self
            .reader
            .read(&mut head)
            .map_err(|e| io_defect(&e, self.pos.get(), ""))?;
        self.reader
            .seek_relative(-(n as i64))
            .map_err(|e| io_defect(&e, self.pos.get(), ""))?;
        let guess = match head.get(..n) {
            Some(&[_, _, _, _, v0, v1]) if VR::from_binary([v0, v1]).is_some() => Some(EXPLICIT_LE),
            Some(&[0x08 | 0x02 | 0x10 | 0x20 | 0x28, 0x00, ..]) => Some(IMPLICIT_LE),
            _ => None,
        };
        guess.and_then(|g| registry.get(g)).ok_or_else(|| {
            defect(
                DefectKind::Malformed,
                format!(
                    "unknown transfer syntax {uid:?}: the data set encoding cannot be determined"
                ),
            )
        })
    }

    /// Replaces the reader, standing at the start of a deflated data set, with one that hands out the inflated
    /// bytes. A first pass inflates into a fixed buffer to learn the inflated size (at most [`MAX_INFLATED`]) and
    /// how the stream ends; `size` becomes the offset where the inflated data ends, so every length is checked
    /// against the inflated bytes, and the end of the data set is where the inflated data ends.
    fn inflate(&mut self) -> Result<(), FileDefect> {
        let start = self.pos.get();
        let empty: Box<dyn ReadSeek> = Box::new(io::Cursor::new(&[][..]));
        let reader = std::mem::replace(&mut self.reader, BufReader::with_capacity(0, empty));
        let buffered = reader.buffer().len() as i64;
        let mut inner = reader.into_inner();
        let io = |e: io::Error| io_defect(&e, start, "");
        let compressed_at = inner.seek(SeekFrom::Current(-buffered)).map_err(io)?;
        let mut inflation = Inflation::default();
        let mut total = 0u64;
        let mut decoder = DeflateDecoder::new(&mut inner);
        let mut chunk = [0u8; 8192];
        loop {
            match decoder.read(&mut chunk) {
                Ok(0) => break,
                Ok(n) => {
                    if self.budget.as_ref().is_some_and(|b| !b.take(n as u64)) {
                        inflation.defect = Some(defect(
                            DefectKind::Malformed,
                            format!("{} (after {total} inflated bytes)", InflateBudget::spent()),
                        ));
                        break;
                    }
                    total += n as u64;
                    if total > MAX_INFLATED {
                        total = MAX_INFLATED;
                        inflation.capped = true;
                        break;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
                    inflation.defect = Some(defect(
                        DefectKind::Truncated,
                        format!(
                            "file ends inside the compressed data set (after {total} inflated bytes)"
                        ),
                    ));
                    break;
                }
                Err(e) if e.kind() == io::ErrorKind::InvalidInput => {
                    inflation.defect = Some(defect(
                        DefectKind::Malformed,
                        format!("the compressed data set is corrupt after {total} inflated bytes"),
                    ));
                    break;
                }
                Err(e) => return Err(io(e)),
            }
        }
        drop(decoder);
        inflation.file_bytes_read = inner.stream_position().map_err(io)?;
        inner.seek(SeekFrom::Start(compressed_at)).map_err(io)?;
        let inflated = Inflated {
            decoder: DeflateDecoder::new(inner).take(total),
            pos: start,
            budget: self.budget.clone(),
        };
        self.reader = BufReader::with_capacity(BUF_CAPACITY, Box::new(inflated));
        self.size = start + total;
        self.inflated = Some(inflation);
        Ok(())
    }

    /// A guarded walk over the data set at the current position.
    pub(crate) fn walker(&mut self, ts: &TransferSyntax) -> Result<Walker<'_>, FileDefect> {
        let tokens = match self.tokenizer {
            Tokenizer::Fast => Tokens::Fast {
                stop_hint: 0,
                io: Counting {
                    inner: &mut self.reader,
                    pos: &self.pos,
                },
                encoding: if ts.endianness() == Endianness::Big {
                    Encoding::ExplicitBig
                } else {
                    Encoding::LittleUnknown
                },
            },
            Tokenizer::Reference => {
                let implicit = Rc::new(Cell::new(false));
                let decoder =
                    Self::reference_decoder(&mut self.reader, &self.pos, ts, implicit.clone());
                Tokens::Reference(decoder, implicit)
            }
        };
        Ok(Walker {
            tokens,
            pos: &self.pos,
            size: self.size,
            stack: Vec::new(),
            depth: 0,
            pending: None,
            scratch: Vec::new(),
            lenient: false,
            overran: false,
            implicit_un: None,
        })
    }

    /// dicom-rs's stateful decoder over `reader`, for the reference walk; it reads implicit VR little endian
    /// while `implicit` is set.
    fn reference_decoder<'a>(
        reader: &'a mut BufReader<Box<dyn ReadSeek>>,
        pos: &'a Cell<u64>,
        ts: &TransferSyntax,
        implicit: Rc<Cell<bool>>,
    ) -> DynStatefulDecoder<Counting<'a>> {
        let at = pos.get();
        let counting = Counting { inner: reader, pos };
        // Every registered big endian syntax is explicit VR big endian.
        let decoder: DynDecoder<Counting<'_>> = if ts.endianness() == Endianness::Little {
            Box::new(UnSwitch::new(ProbingLe::default(), implicit))
        } else {
            Box::new(UnSwitch::new(
                ExplicitVRBigEndianDecoder::default(),
                implicit,
            ))
        };
        StatefulDecoder::new_with_position(
            counting,
            decoder,
            ts.basic_decoder(),
            SpecificCharacterSet::default(),
            at,
        )
    }

    /// Walks encapsulated Pixel Data items from the current position by reading each 8-byte item header and
    /// seeking over its value, until the sequence delimiter.
    pub(crate) fn walk_fragments(&mut self) -> Fragments {
        let mut items = 0u32;
        loop {
            let at = self.pos.get();
            let cut = |items: u32| {
                defect(
                    DefectKind::Truncated,
                    format!(
                        "file ends inside the compressed image data after {items} fragments (offset {at})"
                    ),
                )
            };
            if self.left() < 8 {
                return Fragments {
                    items,
                    complete: false,
                    defect: Some(cut(items)),
                };
            }
            let mut head = [0u8; 8];
            if let Err(d) = self.read_exact(&mut head) {
                let d = if d.kind == DefectKind::Truncated {
                    cut(items)
                } else {
                    d
                };
                return Fragments {
                    items,
                    complete: false,
                    defect: Some(d),
                };
            }
            let [g0, g1, e0, e1, l0, l1, l2, l3] = head;
            let tag = Tag(u16::from_le_bytes([g0, g1]), u16::from_le_bytes([e0, e1]));
            let len = u32::from_le_bytes([l0, l1, l2, l3]);
            match tag {
                Tag(0xFFFE, 0xE0DD) => {
                    return Fragments {
                        items,
                        complete: true,
                        defect: None,
                    };
                }
                Tag(0xFFFE, 0xE000) if len != u32::MAX => {
                    let len = u64::from(len);
                    if len > self.left() {
                        let d = defect(
                            DefectKind::Truncated,
                            format!(
                                "file ends inside the compressed image data: fragment {} declares {len} bytes, {} left",
                                items + 1,
                                self.left()
                            ),
                        );
                        return Fragments {
                            items,
                            complete: false,
                            defect: Some(d),
                        };
                    }
                    if let Err(d) = self.seek_by(len as i64) {
                        return Fragments {
                            items,
                            complete: false,
                            defect: Some(d),
                        };
                    }
                    self.skipped += len;
                    items = items.saturating_add(1);
                }
                _ => {
                    let d = defect(
                        DefectKind::Malformed,
                        format!(
                            "unexpected {tag} (length {len}) among the image data fragments at offset {at}"
                        ),
                    );
                    return Fragments {
                        items,
                        complete: false,
                        defect: Some(d),
                    };
                }
            }
        }
    }
}

/// The inflated bytes of a deflated data set, numbered from the data set's offset in the file. Reads forward
/// only: a forward seek inflates and discards, a backward one fails. At most the bytes measured are handed out.
struct Inflated {
    decoder: io::Take<DeflateDecoder<Box<dyn ReadSeek>>>,
    pos: u64,
    /// The scan's budget: inflating again costs as much as measuring did.
    budget: Option<Arc<InflateBudget>>,
}

impl Inflated {
    fn charge(&self, bytes: u64) -> io::Result<()> {
        match &self.budget {
            Some(budget) if !budget.take(bytes) => Err(InflateBudget::spent()),
            _ => Ok(()),
        }
    }
}

impl Read for Inflated {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.decoder.read(buf)?;
        self.charge(n as u64)?;
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for Inflated {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let target = match to {
            SeekFrom::Start(at) => Some(at),
            SeekFrom::Current(delta) => self.pos.checked_add_signed(delta),
            SeekFrom::End(_) => None,
        }
        .filter(|&target| target >= self.pos)
        .ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                "deflated data is read forward only",
            )
        })?;
        let wanted = target - self.pos;
        let skipped = io::copy(&mut (&mut self.decoder).take(wanted), &mut io::sink())?;
        self.charge(skipped)?;
        self.pos += skipped;
        if skipped < wanted {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        Ok(target)
    }
}

/// Result of walking encapsulated Pixel Data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Fragments {
    /// Items walked, the Basic Offset Table included.
    pub items: u32,
    /// Whether the sequence delimiter was reached.
    pub complete: bool,
    /// Why the walk stopped early.
    pub defect: Option<FileDefect>,
}

/// Hands out bytes from the shared buffer and advances the shared offset; seeks move inside the buffer when they
/// can, so skipped values cost neither a copy nor an allocation.
struct Counting<'a> {
    inner: &'a mut BufReader<Box<dyn ReadSeek>>,
    pos: &'a Cell<u64>,
}

impl Read for Counting<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.pos.set(self.pos.get() + n as u64);
        Ok(n)
    }

    /// Element headers are read 2 and 4 bytes at a time: copied straight out of the buffer when it holds them.
    #[inline(always)]
    fn read_exact(&mut self, buf: &mut [u8]) -> io::Result<()> {
        let n = buf.len();
        match self.inner.buffer().get(..n) {
            Some(buffered) => {
                buf.copy_from_slice(buffered);
                self.inner.consume(n);
            }
            None => self.inner.read_exact(buf)?,
        }
        self.pos.set(self.pos.get() + n as u64);
        Ok(())
    }
}

impl Seek for Counting<'_> {
    fn seek(&mut self, to: io::SeekFrom) -> io::Result<u64> {
        let target = match to {
            io::SeekFrom::Start(at) => Some(at),
            io::SeekFrom::Current(delta) => self.pos.get().checked_add_signed(delta),
            io::SeekFrom::End(_) => None,
        }
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "seek outside the file"))?;
        let delta = i64::try_from(i128::from(target) - i128::from(self.pos.get()))
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "seek too far"))?;
        match usize::try_from(delta) {
            // A short skip past the end of the buffer reads on rather than paying for an lseek and a refill.
            Ok(mut left) if left <= BUF_CAPACITY => {
                while left > 0 {
                    let buffered = match self.inner.fill_buf() {
                        Ok(buffered) => buffered,
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                        Err(e) => return Err(e),
                    };
                    if buffered.is_empty() {
                        return Err(io::ErrorKind::UnexpectedEof.into());
                    }
                    let n = buffered.len().min(left);
                    self.inner.consume(n);
                    self.pos.set(self.pos.get() + n as u64);
                    left -= n;
                }
                return Ok(target);
            }
            _ => self.inner.seek_relative(delta)?,
        }
        self.pos.set(target);
        Ok(target)
    }
}

/// Where the walker is: the open sequences and items from the root down.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Frame {
    /// Inside a sequence; `items` counts the items started so far; `end` is the offset a defined-length sequence
    /// ends at.
    Seq {
        tag: Tag,
        items: u32,
        end: Option<u64>,
    },
    /// Inside the item with this index (from 0) of the enclosing sequence, whose header began at `offset`; `end`
    /// is the offset a defined-length item ends at.
    Item {
        index: u32,
        offset: u64,
        end: Option<u64>,
    },
}

/// What the walker found next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Event {
    /// A primitive element; its value is read with [`Walker::read_value`], or skipped by the next call.
    Element(Tag),
    /// A sequence (or undefined-length element) starts.
    SeqStart(Tag),
    /// An item starts; its header began at `offset`.
    ItemStart { offset: u64 },
    /// The current item ends.
    ItemEnd,
    /// The current sequence ends.
    SeqEnd,
    /// Root-level native Pixel Data: its value starts at `offset`; not read.
    PixelData { offset: u64, declared_length: u32 },
    /// Root-level encapsulated Pixel Data: the first item header is at `offset`, where the reader now stands.
    PixelSequence { offset: u64 },
    /// A root-level element after Pixel Data; not read.
    PastPixelData(Tag),
}

/// Longest value [`Walker::read_value`] reads: far beyond any attribute the scanner keeps.
const MAX_VALUE: u32 = 64 * 1024;

/// Item (FFFE,E000).
const ITEM: Tag = Tag(0xFFFE, 0xE000);
/// Item Delimitation Item (FFFE,E00D).
const ITEM_END: Tag = Tag(0xFFFE, 0xE00D);

/// A data set walk over a [`Tokens`] stream: element and item headers are decoded one by one, every declared
/// length is checked against the bytes left before anything else is read, values nobody asks for are seeked
/// over, sequences and items are tracked on an explicit stack (no recursion) capped at [`MAX_DEPTH`].
pub(crate) struct Walker<'a> {
    tokens: Tokens<'a>,
    pos: &'a Cell<u64>,
    size: u64,
    stack: Vec<Frame>,
    depth: usize,
    /// Value length of the last [`Event::Element`], until it is read or skipped.
    pending: Option<u32>,
    /// Holds a value the read buffer does not hold whole (at most [`MAX_VALUE`] bytes, present in the file).
    scratch: Vec<u8>,
    /// Tolerate defined lengths that overrun their container or the file, where that is safe (see
    /// [`Walker::tolerate_overruns`]).
    lenient: bool,
    /// A tolerated overrun was met.
    overran: bool,
    /// Inside the value of an element of VR UN and undefined length, read as implicit VR (a change in an explicit
    /// VR data set only): the index in `stack` of its sequence, and the encoding to return to when that ends.
    implicit_un: Option<(usize, Resume)>,
}

impl Walker<'_> {
    /// Tolerates two length inconsistencies that tools leave behind when they remove elements without fixing
    /// the lengths around them, where the data itself shows where things end: an item or sequence whose
    /// defined length runs past the end of the item or sequence holding it is ended there (its elements must
    /// end exactly there), and a root-level sequence whose defined length runs past the end of the file is
    /// ended at the end of the file when that falls between two complete items. A file cut inside an item or
    /// an element is still truncated. [`Walker::overran`] tells whether either was met.
    pub(crate) fn tolerate_overruns(&mut self) {
        self.lenient = true;
    }

    /// True when [`Walker::tolerate_overruns`] let an inconsistent length pass.
    pub(crate) fn overran(&self) -> bool {
        self.overran
    }

    /// Open sequences and items, outermost first.
    pub(crate) fn stack(&self) -> &[Frame] {
        &self.stack
    }

    /// Reads the value of the element just returned into `buf` (cleared first). Returns false, leaving the
    /// value to be skipped, when it is longer than any attribute the scanner keeps (or was already consumed).
    pub(crate) fn read_value(&mut self, buf: &mut Vec<u8>) -> Result<bool, FileDefect> {
        buf.clear();
        self.with_value(|raw| buf.extend_from_slice(raw))
    }

    /// Hands the value of the element just returned to `take`, without copying it when the read buffer holds
    /// it. Returns false, leaving the value to be skipped, when it is longer than any attribute the scanner
    /// keeps (or was already consumed).
    pub(crate) fn with_value(&mut self, take: impl FnOnce(&[u8])) -> Result<bool, FileDefect> {
        match self.pending {
            Some(len) if len <= MAX_VALUE => {
                self.pending = None;
                self.tokens.with_value(len, &mut self.scratch, take)?;
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    /// [`Walker::next_event`] for a caller that ignores the root-level primitive elements whose tags are not in
    /// `stops` (tag keys in ascending order, see [`tokens::tag_key`]): those may be skipped without an event (the
    /// fast tokenizer's tight loop, where the read buffer holds them). Sequences, items, Pixel Data and every
    /// defect are reported as by [`Walker::next_event`].
    #[inline]
    pub(crate) fn next_event_skipping(
        &mut self,
        stops: &[u32],
    ) -> Result<Option<Event>, FileDefect> {
        if let Some(len) = self.pending.take() {
            self.skip(u64::from(len))?;
        }
        if self.stack.is_empty()
            && let Some((tag, len)) = self.tokens.skip_unwanted_root(self.size, stops)
        {
            self.pending = Some(len);
            return Ok(Some(Event::Element(tag)));
        }
        self.next_event()
    }

    /// Next event; `Ok(None)` at a clean end of file on an element boundary at the root.
    pub(crate) fn next_event(&mut self) -> Result<Option<Event>, FileDefect> {
        if let Some(len) = self.pending.take() {
            self.skip(u64::from(len))?;
        }
        loop {
            if let Some(event) = self.close_defined()? {
                return Ok(Some(event));
            }
            let start = self.pos.get();
            match self.size.saturating_sub(start) {
                0 if self.stack.is_empty() => return Ok(None),
                0 if self.lenient
                    && matches!(self.stack[..], [Frame::Seq { end: Some(end), .. }] if end > start) =>
                {
                    self.overran = true;
                    self.pop();
                    return Ok(Some(Event::SeqEnd));
                }
                0 => {
                    return Err(defect(
                        DefectKind::Truncated,
                        format!("file ends inside a sequence at offset {start}"),
                    ));
                }
                1..8 => {
                    return Err(defect(
                        DefectKind::Truncated,
                        format!("file ends inside an element header at offset {start}"),
                    ));
                }
                _ => {}
            }
            let event = if let Some(Frame::Seq { .. }) = self.stack.last() {
                self.item_header(start)?
            } else {
                self.element_header(start)?
            };
            if let Some(event) = event {
                return Ok(Some(event));
            }
        }
    }

    /// Ends the innermost defined-length item or sequence when the reader stands at its end.
    #[inline]
    fn close_defined(&mut self) -> Result<Option<Event>, FileDefect> {
        let (end, event) = match self.stack.last() {
            Some(Frame::Seq { end: Some(end), .. }) => (*end, Event::SeqEnd),
            Some(Frame::Item { end: Some(end), .. }) => (*end, Event::ItemEnd),
            _ => return Ok(None),
        };
        let at = self.pos.get();
        if at < end {
            return Ok(None);
        }
        if at > end {
            return Err(defect(
                DefectKind::Malformed,
                format!("an element runs past the end of its item or sequence at offset {end}"),
            ));
        }
        self.pop();
        Ok(Some(event))
    }

    /// An item header where a sequence expects one: an item, or the sequence delimiter.
    fn item_header(&mut self, start: u64) -> Result<Option<Event>, FileDefect> {
        let header = self.tokens.item_header()?;
        let at = self.pos.get();
        match header {
            SequenceItemHeader::Item { len } => {
                let end = self.frame_end(ITEM, len, at)?;
                let Some(Frame::Seq { items, .. }) = self.stack.last_mut() else {
                    return Err(defect(
                        DefectKind::Malformed,
                        format!("item outside a sequence at offset {start}"),
                    ));
                };
                let index = *items;
                *items = items.saturating_add(1);
                self.stack.push(Frame::Item {
                    index,
                    offset: start,
                    end,
                });
                Ok(Some(Event::ItemStart { offset: start }))
            }
            SequenceItemHeader::SequenceDelimiter => {
                self.pop();
                Ok(Some(Event::SeqEnd))
            }
            SequenceItemHeader::ItemDelimiter => Err(defect(
                DefectKind::Malformed,
                format!("item delimiter outside an item at offset {start}"),
            )),
        }
    }

    /// An element header at the root or inside an item.
    #[inline]
    fn element_header(&mut self, start: u64) -> Result<Option<Event>, FileDefect> {
        let header = self.tokens.header()?;
        let at = self.pos.get();
        let (tag, len) = (header.tag, header.len);
        if tag.0 == 0x0000 {
            return Err(defect(
                DefectKind::Malformed,
                format!("zero bytes where the data set continues, at offset {start}"),
            ));
        }
        if tag == ITEM_END {
            return Ok(match self.stack.last() {
                Some(Frame::Item { .. }) => {
                    self.pop();
                    Some(Event::ItemEnd)
                }
                _ => None,
            });
        }
        let root = self.stack.is_empty();
        if tag == ITEM && !root {
            return Err(defect(
                DefectKind::Malformed,
                format!("an item starts inside an item, at offset {start}"),
            ));
        }
        if root && tag >= PIXEL_DATA {
            return Ok(Some(if tag != PIXEL_DATA || header.vr == VR::SQ {
                Event::PastPixelData(tag)
            } else if len.is_undefined() {
                Event::PixelSequence { offset: at }
            } else {
                Event::PixelData {
                    offset: at,
                    declared_length: len.0,
                }
            }));
        }
        if tag == PIXEL_DATA && header.vr != VR::SQ && len.is_undefined() {
            self.skip_fragments()?;
            return Ok(None);
        }
        if header.vr == VR::SQ || len.is_undefined() {
            let end = self.frame_end(tag, len, at)?;
            self.depth += 1;
            if self.depth > MAX_DEPTH {
                return Err(defect(
                    DefectKind::TooDeep,
                    format!(
                        "sequences nested deeper than {MAX_DEPTH} levels at {tag}, offset {at}"
                    ),
                ));
            }
            if header.vr == VR::UN && len.is_undefined() && self.implicit_un.is_none() {
                self.implicit_un = Some((self.stack.len(), self.tokens.enter_implicit()));
            }
            self.stack.push(Frame::Seq { tag, items: 0, end });
            return Ok(Some(Event::SeqStart(tag)));
        }
        check_length(tag, u64::from(len.0), at, self.size)?;
        self.pending = Some(len.0);
        Ok(Some(Event::Element(tag)))
    }

    /// Seeks over encapsulated Pixel Data nested in an item, fragment by fragment, to its sequence delimiter.
    fn skip_fragments(&mut self) -> Result<(), FileDefect> {
        loop {
            let start = self.pos.get();
            if self.size.saturating_sub(start) < 8 {
                return Err(defect(
                    DefectKind::Truncated,
                    format!("file ends inside nested image data at offset {start}"),
                ));
            }
            let header = self.tokens.item_header()?;
            match header {
                SequenceItemHeader::Item { len } if len.is_defined() => {
                    check_length(ITEM, u64::from(len.0), self.pos.get(), self.size)?;
                    self.skip(u64::from(len.0))?;
                }
                SequenceItemHeader::SequenceDelimiter => return Ok(()),
                _ => {
                    return Err(defect(
                        DefectKind::Malformed,
                        format!("unexpected item header among nested image data at offset {start}"),
                    ));
                }
            }
        }
    }

    /// Seeks over `len` value bytes (already checked against the bytes left).
    #[inline]
    fn skip(&mut self, len: u64) -> Result<(), FileDefect> {
        let to = self.pos.get().saturating_add(len);
        self.tokens.seek(to)
    }

    /// The end offset of an item or sequence of defined length, checked against the bytes left; `None` for an
    /// undefined length. A lenient walk ends a child that overruns its parent at the parent's end, and lets a
    /// root-level sequence run past the end of the file (checked when the file ends, in `next_event`).
    fn frame_end(&mut self, tag: Tag, len: Length, at: u64) -> Result<Option<u64>, FileDefect> {
        let Some(len) = len.get() else {
            return Ok(None);
        };
        let mut end = at + u64::from(len);
        if self.lenient {
            let parent = self.stack.iter().rev().find_map(|frame| match *frame {
                Frame::Seq { end, .. } | Frame::Item { end, .. } => end,
            });
            if let Some(parent) = parent
                && end > parent
            {
                end = parent;
                self.overran = true;
            }
            if self.stack.is_empty() && tag != ITEM && end > self.size {
                return Ok(Some(end));
            }
        }
        check_length(tag, end - at, at, self.size)?;
        Ok(Some(end))
    }

    /// Leaves the innermost item or sequence, and the implicit VR of a UN sequence with it.
    fn pop(&mut self) {
        if let Some(Frame::Seq { .. }) = self.stack.pop() {
            self.depth = self.depth.saturating_sub(1);
            if let Some((at, resume)) = self.implicit_un
                && at == self.stack.len()
            {
                self.tokens.leave_implicit(resume);
                self.implicit_un = None;
            }
        }
    }
}

/// Reads the first bytes of an element header into `head`, failing as dicom-rs's decoders fail on a cut tag.
fn read_header_bytes<S: ?Sized + Read>(source: &mut S, head: &mut [u8]) -> Result<(), DecodeError> {
    source
        .read_exact(head)
        .map_err(|source| DecodeError::ReadHeaderTag {
            backtrace: None,
            source,
        })
}

/// Explicit VR little endian element headers decoded without a string round trip for the VR (the adaptive
/// decoder's `VR::from_binary` parses the two bytes as UTF-8 and matches them as text, for every element).
/// Behaves as [`StandardAdaptiveVRLittleEndianDecoder`] once that has settled on explicit VR: item delimiters
/// (group FFFE) carry a 4-byte length and no VR, an unknown VR is read as UN with a 4-byte length.
#[derive(Default)]
struct ExplicitLe {
    items: StandardAdaptiveVRLittleEndianDecoder,
}

impl<S: ?Sized + Read> DecodeFrom<S> for ExplicitLe {
    fn decode_header(&self, source: &mut S) -> Result<(DataElementHeader, usize), DecodeError> {
        let mut head = [0u8; 8];
        read_header_bytes(source, &mut head[..4])?;
        let [g0, g1, e0, e1, ..] = head;
        let tag = Tag(u16::from_le_bytes([g0, g1]), u16::from_le_bytes([e0, e1]));
        if tag.0 == 0xFFFE {
            source
                .read_exact(&mut head[4..])
                .map_err(|source| DecodeError::ReadItemLength {
                    backtrace: GenerateImplicitData::generate(),
                    source,
                })?;
            let len = u32::from_le_bytes([head[4], head[5], head[6], head[7]]);
            return Ok((DataElementHeader::new(tag, VR::UN, Length(len)), 8));
        }
        source
            .read_exact(&mut head[4..])
            .map_err(|source| DecodeError::ReadVr {
                backtrace: GenerateImplicitData::generate(),
                source,
            })?;
        let vr = vr_of([head[4], head[5]]).unwrap_or(VR::UN);
        if has_long_length(vr) {
            let mut long = [0u8; 4];
            source
                .read_exact(&mut long)
                .map_err(|source| DecodeError::ReadLength {
                    backtrace: GenerateImplicitData::generate(),
                    source,
                })?;
            Ok((
                DataElementHeader::new(tag, vr, Length(u32::from_le_bytes(long))),
                12,
            ))
        } else {
            let len = u16::from_le_bytes([head[6], head[7]]);
            Ok((DataElementHeader::new(tag, vr, Length(u32::from(len))), 8))
        }
    }

    fn decode_item_header(&self, source: &mut S) -> Result<SequenceItemHeader, DecodeError> {
        DecodeFrom::<S>::decode_item_header(&self.items, source)
    }

    fn decode_tag(&self, source: &mut S) -> Result<Tag, DecodeError> {
        DecodeFrom::<S>::decode_tag(&self.items, source)
    }
}

/// The reference decoder of a little endian data set: explicit or implicit VR settled at the first element
/// outside group FFFE, as the fast tokenizer settles it (pydicom's and DCMTK's rule: explicit when the two bytes
/// after the tag spell a VR, whatever the transfer syntax declares); the headers themselves decoded by dicom-rs's
/// implicit VR decoder or [`ExplicitLe`].
#[derive(Default)]
struct ProbingLe {
    explicit: Cell<Option<bool>>,
    explicit_le: ExplicitLe,
    implicit_le: StandardImplicitVRLittleEndianDecoder,
}

impl<S: ?Sized + Read> DecodeFrom<S> for ProbingLe {
    /// Reads the header's bytes whole (8, then the 4 of a long length), as the fast tokenizer does, so that a cut
    /// file leaves both at the same offset; dicom-rs's decoders then decode them.
    fn decode_header(&self, source: &mut S) -> Result<(DataElementHeader, usize), DecodeError> {
        let mut head = [0u8; 12];
        read_header_bytes(source, &mut head[..8])?;
        // Item and delimiter headers carry no VR in either encoding: as the fast tokenizer, VR UN.
        if head[..2] == [0xFE, 0xFF] {
            return DecodeFrom::decode_header(&self.explicit_le, &mut &head[..8]);
        }
        let vr = vr_of([head[4], head[5]]);
        let explicit = *self.explicit.get().get_or_insert(vr.is_some());
        self.explicit.set(Some(explicit));
        if !explicit {
            return DecodeFrom::decode_header(&self.implicit_le, &mut &head[..8]);
        }
        let mut len = 8;
        if has_long_length(vr.unwrap_or(VR::UN)) {
            source
                .read_exact(&mut head[8..])
                .map_err(|source| DecodeError::ReadLength {
                    backtrace: GenerateImplicitData::generate(),
                    source,
                })?;
            len = 12;
        }
        DecodeFrom::decode_header(&self.explicit_le, &mut &head[..len])
    }

    fn decode_item_header(&self, source: &mut S) -> Result<SequenceItemHeader, DecodeError> {
        DecodeFrom::<S>::decode_item_header(&self.explicit_le, source)
    }

    fn decode_tag(&self, source: &mut S) -> Result<Tag, DecodeError> {
        DecodeFrom::<S>::decode_tag(&self.explicit_le, source)
    }
}

/// A reference decoder (`outer`) that reads implicit VR little endian while `implicit` is set: the walk sets it
/// inside the value of an explicit VR element of VR UN and undefined length (PS3.5 6.2.2, CP-246), as the fast
/// tokenizer switches its encoding. dicom-rs's decoders know nothing of that exception.
struct UnSwitch<D> {
    outer: D,
    implicit: Rc<Cell<bool>>,
    implicit_le: StandardImplicitVRLittleEndianDecoder,
    explicit_le: ExplicitLe,
}

impl<D> UnSwitch<D> {
    fn new(outer: D, implicit: Rc<Cell<bool>>) -> Self {
        Self {
            outer,
            implicit,
            implicit_le: StandardImplicitVRLittleEndianDecoder::default(),
            explicit_le: ExplicitLe::default(),
        }
    }
}

impl<S: ?Sized + Read, D: DecodeFrom<S>> DecodeFrom<S> for UnSwitch<D> {
    /// In implicit VR: the header's 8 bytes read whole (as [`ProbingLe`] and the fast tokenizer read them), then
    /// decoded by dicom-rs's implicit VR decoder; item and delimiter headers as VR UN, as everywhere.
    fn decode_header(&self, source: &mut S) -> Result<(DataElementHeader, usize), DecodeError> {
        if !self.implicit.get() {
            return self.outer.decode_header(source);
        }
        let mut head = [0u8; 8];
        read_header_bytes(source, &mut head)?;
        if head[..2] == [0xFE, 0xFF] {
            return DecodeFrom::decode_header(&self.explicit_le, &mut &head[..]);
        }
        DecodeFrom::decode_header(&self.implicit_le, &mut &head[..])
    }

    fn decode_item_header(&self, source: &mut S) -> Result<SequenceItemHeader, DecodeError> {
        if self.implicit.get() {
            DecodeFrom::<S>::decode_item_header(&self.explicit_le, source)
        } else {
            self.outer.decode_item_header(source)
        }
    }

    fn decode_tag(&self, source: &mut S) -> Result<Tag, DecodeError> {
        if self.implicit.get() {
            DecodeFrom::<S>::decode_tag(&self.explicit_le, source)
        } else {
            self.outer.decode_tag(source)
        }
    }
}

/// Every VR, in the order of [`VR_INDEX`]'s entries.
const VRS: [VR; 34] = [
    VR::AE,
    VR::AS,
    VR::AT,
    VR::CS,
    VR::DA,
    VR::DS,
    VR::DT,
    VR::FD,
    VR::FL,
    VR::IS,
    VR::LO,
    VR::LT,
    VR::OB,
    VR::OD,
    VR::OF,
    VR::OL,
    VR::OV,
    VR::OW,
    VR::PN,
    VR::SH,
    VR::SL,
    VR::SQ,
    VR::SS,
    VR::ST,
    VR::SV,
    VR::TM,
    VR::UC,
    VR::UI,
    VR::UL,
    VR::UN,
    VR::UR,
    VR::US,
    VR::UT,
    VR::UV,
];

/// The two bytes of each VR, in the order of [`VRS`].
const VR_NAMES: [&[u8; 2]; 34] = [
    b"AE", b"AS", b"AT", b"CS", b"DA", b"DS", b"DT", b"FD", b"FL", b"IS", b"LO", b"LT", b"OB",
    b"OD", b"OF", b"OL", b"OV", b"OW", b"PN", b"SH", b"SL", b"SQ", b"SS", b"ST", b"SV", b"TM",
    b"UC", b"UI", b"UL", b"UN", b"UR", b"US", b"UT", b"UV",
];

/// For two upper-case letters at `(first - b'A') * 26 + (second - b'A')`: 1 + the index of their VR in [`VRS`],
/// or 0 when they spell none. One load per element header instead of a chain of comparisons.
static VR_INDEX: [u8; 26 * 26] = {
    let mut table = [0u8; 26 * 26];
    let mut i = 0;
    while i < VR_NAMES.len() {
        let [a, b] = *VR_NAMES[i];
        table[(a - b'A') as usize * 26 + (b - b'A') as usize] = i as u8 + 1;
        i += 1;
    }
    table
};

/// How the fast tokenizer's skip loop reads an explicit VR element header, by the two VR bytes read as one
/// little endian `u16`: [`SKIP_SHORT`], [`SKIP_LONG`], or 0 to stop (a sequence, or no VR at all). All 65,536
/// pairs, so that one load classifies a header.
pub(super) static VR_SKIP: [u8; 1 << 16] = {
    let mut table = [0u8; 1 << 16];
    let mut i = 0;
    while i < VR_NAMES.len() {
        let [a, b] = *VR_NAMES[i];
        let vr = VRS[i];
        table[u16::from_le_bytes([a, b]) as usize] = if matches!(vr, VR::SQ) {
            0
        } else if has_long_length(vr) {
            SKIP_LONG
        } else {
            SKIP_SHORT
        };
        i += 1;
    }
    table
};

/// [`VR_SKIP`]: a 2-byte length follows the VR.
pub(super) const SKIP_SHORT: u8 = 1;
/// [`VR_SKIP`]: two reserved bytes and a 4-byte length follow the VR.
pub(super) const SKIP_LONG: u8 = 2;

/// The VR spelled by two bytes, matched as bytes.
#[inline]
fn vr_of([a, b]: [u8; 2]) -> Option<VR> {
    let (a, b) = (a.wrapping_sub(b'A'), b.wrapping_sub(b'A'));
    if a >= 26 || b >= 26 {
        return None;
    }
    let index = VR_INDEX[usize::from(a) * 26 + usize::from(b)];
    VRS.get(usize::from(index).checked_sub(1)?).copied()
}

/// VRs whose explicit-VR header has two reserved bytes and a 4-byte length.
const fn has_long_length(vr: VR) -> bool {
    matches!(
        vr,
        VR::OB
            | VR::OD
            | VR::OF
            | VR::OL
            | VR::OV
            | VR::OW
            | VR::SQ
            | VR::SV
            | VR::UC
            | VR::UN
            | VR::UR
            | VR::UT
            | VR::UV
    )
}

/// A declared length must fit in the bytes left: a plausible length that does not is a cut file, a huge one is
/// a bogus length.
fn check_length(tag: Tag, len: u64, at: u64, size: u64) -> Result<(), FileDefect> {
    let left = size.saturating_sub(at);
    if len <= left {
        return Ok(());
    }
    Err(if len <= PLAUSIBLE_CUT {
        defect(
            DefectKind::Truncated,
            format!("file ends inside {tag}: {len} bytes declared, {left} left"),
        )
    } else {
        defect(
            DefectKind::BogusLength,
            format!("{tag} declares {len} bytes, only {left} left in the file (offset {at})"),
        )
    })
}

/// ASCII text trimmed of spaces and NULs on both sides.
pub(crate) fn ascii(raw: &[u8]) -> String {
    trimmed(raw).into_owned()
}

/// [`ascii`] borrowed from `raw` when it is valid UTF-8 (as good as always): no allocation, and no lossy
/// conversion unless a byte is invalid.
pub(crate) fn trimmed(raw: &[u8]) -> Cow<'_, str> {
    let start = raw.iter().position(|b| !matches!(b, b' ' | 0));
    let end = raw.iter().rposition(|b| !matches!(b, b' ' | 0));
    match (start, end) {
        (Some(start), Some(end)) => {
            let raw = &raw[start..=end];
            // Validation alone (fast on ASCII, as nearly every value is); the lossy pass only for a bad byte.
            std::str::from_utf8(raw).map_or_else(|_| String::from_utf8_lossy(raw), Cow::Borrowed)
        }
        _ => Cow::Borrowed(""),
    }
}

/// First value of an IS (or a whole-number DS) as an integer.
pub(crate) fn integer(raw: &[u8]) -> Option<i64> {
    let first = match ascii_parts(raw) {
        Some(mut parts) => std::str::from_utf8(parts.next()?).ok()?,
        None => return integer_of(trimmed(raw).split('\\').next()?.trim()),
    };
    integer_of(first)
}

/// An IS, or a whole-number DS, as an integer.
fn integer_of(text: &str) -> Option<i64> {
    text.parse::<i64>().ok().or_else(|| {
        let value = text.parse::<f64>().ok()?;
        (value.fract() == 0.0 && value.abs() < 9.0e15).then_some(value as i64)
    })
}

/// The values of an ASCII value (as nearly every number is), each trimmed as [`trimmed`] and then `str::trim`
/// trim them, without a UTF-8 pass or a `char` split; `None` for any other value, which takes that path.
fn ascii_parts(raw: &[u8]) -> Option<impl Iterator<Item = &[u8]>> {
    if !raw.is_ascii() {
        return None;
    }
    let padding = |b: &u8| matches!(b, b' ' | 0);
    let start = raw.iter().position(|b| !padding(b)).unwrap_or(raw.len());
    let end = raw
        .iter()
        .rposition(|b| !padding(b))
        .map_or(start, |end| end + 1);
    let whitespace = |b: &u8| matches!(b, b' ' | b'\t' | b'\n' | 0x0B | 0x0C | b'\r');
    Some(
        raw[start..end.max(start)]
            .split(|&b| b == b'\\')
            .map(move |part| {
                let start = part
                    .iter()
                    .position(|b| !whitespace(b))
                    .unwrap_or(part.len());
                let end = part
                    .iter()
                    .rposition(|b| !whitespace(b))
                    .map_or(start, |end| end + 1);
                &part[start..end.max(start)]
            }),
    )
}

/// Exactly `N` DS values, all finite.
pub(crate) fn decimals<const N: usize>(raw: &[u8]) -> Option<[f64; N]> {
    let mut values = [0.0; N];
    match ascii_parts(raw) {
        Some(mut parts) => {
            for slot in &mut values {
                *slot = decimal(parts.next()?).filter(|v| v.is_finite())?;
            }
            parts.next().is_none().then_some(values)
        }
        None => {
            let text = trimmed(raw);
            let mut parts = text.split('\\');
            for slot in &mut values {
                let value: f64 = parts.next()?.trim().parse().ok()?;
                *slot = Some(value).filter(|v| v.is_finite())?;
            }
            parts.next().is_none().then_some(values)
        }
    }
}

/// One DS value as Rust's `parse` reads it, without its general algorithm for the usual value: a sign, at most
/// 2^53 as digits, a point and at most 22 decimals, no exponent. Then the digits and the power of ten are both
/// exact in an `f64`, and one correctly rounded division gives the correctly rounded value `parse` gives
/// (Clinger's fast path); anything else goes to `parse`.
fn decimal(text: &[u8]) -> Option<f64> {
    const EXACT: u64 = 1 << 53;
    const POWERS: [f64; 23] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
        1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ];
    let parse = || std::str::from_utf8(text).ok()?.parse().ok();
    let (negative, digits) = match text.split_first() {
        Some((b'-', rest)) => (true, rest),
        Some((b'+', rest)) => (false, rest),
        _ => (false, text),
    };
    let mut mantissa: u64 = 0;
    let (mut seen_digit, mut point, mut decimals) = (false, false, 0usize);
    for &b in digits {
        match b {
            b'0'..=b'9' => {
                mantissa = mantissa * 10 + u64::from(b - b'0');
                seen_digit = true;
                decimals += usize::from(point);
                if mantissa > EXACT {
                    return parse();
                }
            }
            b'.' if !point => point = true,
            _ => return parse(),
        }
    }
    let power = POWERS.get(decimals).filter(|_| seen_digit);
    let Some(power) = power else {
        return parse();
    };
    let magnitude = mantissa as f64 / power;
    Some(if negative { -magnitude } else { magnitude })
}

/// A US value in the file's byte order.
pub(crate) fn unsigned(raw: &[u8], big_endian: bool) -> Option<u16> {
    let bytes: [u8; 2] = raw.get(..2)?.try_into().ok()?;
    Some(if big_endian {
        u16::from_be_bytes(bytes)
    } else {
        u16::from_le_bytes(bytes)
    })
}

/// A defect with a detail.
pub(crate) fn defect(kind: DefectKind, detail: impl Into<String>) -> FileDefect {
    FileDefect {
        kind,
        detail: detail.into(),
    }
}

/// An OS error: end of file is truncation (`eof_detail`), anything else an I/O defect with the OS text.
pub(crate) fn io_defect(err: &io::Error, at: u64, eof_detail: &str) -> FileDefect {
    if err.kind() == io::ErrorKind::UnexpectedEof && !eof_detail.is_empty() {
        defect(DefectKind::Truncated, format!("{eof_detail} (offset {at})"))
    } else if InflateBudget::is_spent(err) {
        defect(DefectKind::Malformed, err.to_string())
    } else {
        defect(DefectKind::Io, err.to_string())
    }
}

/// Classifies a parser error by the `io::Error` in its source chain, if any.
fn parser_defect(err: &(dyn std::error::Error + 'static), at: u64) -> FileDefect {
    let mut chain = vec![err.to_string()];
    let mut kind = DefectKind::Malformed;
    let mut source = err.source();
    while let Some(e) = source {
        if let Some(io) = e.downcast_ref::<io::Error>() {
            kind = if io.kind() == io::ErrorKind::UnexpectedEof {
                DefectKind::Truncated
            } else if InflateBudget::is_spent(io) {
                DefectKind::Malformed
            } else {
                DefectKind::Io
            };
        }
        chain.push(e.to_string());
        source = e.source();
    }
    if kind == DefectKind::Truncated {
        chain.insert(0, "file ends inside an element".to_string());
    }
    defect(kind, format!("{} (offset {at})", chain.join(": ")))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Element header bytes: tag, then `rest` (VR and length as written).
    fn header(tag: Tag, rest: &[u8]) -> Vec<u8> {
        let mut out = [tag.0.to_le_bytes(), tag.1.to_le_bytes()].concat();
        out.extend_from_slice(rest);
        out
    }

    #[test]
    fn explicit_headers_decode_as_the_adaptive_decoder_decodes_them() {
        let adaptive = StandardAdaptiveVRLittleEndianDecoder::default();
        let tag = Tag(0x0009, 0x1010);
        // Settle the adaptive decoder on explicit VR with a first element.
        let first = header(Tag(0x0008, 0x0005), b"CS\x00\x00");
        DecodeFrom::<&[u8]>::decode_header(&adaptive, &mut first.as_slice()).expect("first");
        let mut cases: Vec<Vec<u8>> = [
            "AE", "AS", "AT", "CS", "DA", "DS", "DT", "FD", "FL", "IS", "LO", "LT", "OB", "OD",
            "OF", "OL", "OV", "OW", "PN", "SH", "SL", "SQ", "SS", "ST", "SV", "TM", "UC", "UI",
            "UL", "UN", "UR", "US", "UT", "UV", "ZZ", "\0\0",
        ]
        .iter()
        .map(|vr| {
            header(
                tag,
                &[vr.as_bytes(), &[0x10, 0x00, 0x20, 0x00, 0x30, 0x00]].concat(),
            )
        })
        .collect();
        cases.push(header(Tag(0xFFFE, 0xE00D), &[0, 0, 0, 0]));
        cases.push(header(Tag(0xFFFE, 0xE000), &[0xFF; 4]));
        for bytes in cases {
            let fast = DecodeFrom::<&[u8]>::decode_header(&ExplicitLe::default(), &mut &bytes[..])
                .expect("fast");
            let reference =
                DecodeFrom::<&[u8]>::decode_header(&adaptive, &mut &bytes[..]).expect("adaptive");
            let parts = |(h, n): (DataElementHeader, usize)| (h.tag, h.vr, h.len.0, n);
            assert_eq!(parts(fast), parts(reference), "{bytes:02X?}");
            assert!(
                DecodeFrom::<&[u8]>::decode_header(&ExplicitLe::default(), &mut &bytes[..7])
                    .is_err()
            );
        }
    }

    #[test]
    fn vr_table_spells_what_dicom_rs_spells() {
        for a in 0..=255u8 {
            for b in 0..=255u8 {
                assert_eq!(vr_of([a, b]), VR::from_binary([a, b]), "{a:02X} {b:02X}");
            }
        }
    }

    #[test]
    fn decimals_read_as_rust_parses_them() {
        let mut cases: Vec<String> = [
            "0",
            "-0",
            "+0",
            "1",
            "-1",
            ".5",
            "5.",
            "-.5",
            "+.25",
            "0.1",
            "0.3",
            "-125.000000",
            "1e3",
            "1E-3",
            "1.5e+2",
            "inf",
            "-inf",
            "NaN",
            ".",
            "",
            "-",
            "+",
            "1.2.3",
            "--1",
            "1-",
            " 1",
            "12a",
            "9007199254740992",
            "9007199254740993",
            "90071992547409921",
            "0.0000000000000000000001",
            "0.00000000000000000000001",
            "123456789.123456789",
            "1.7976931348623157e308",
            "0.000000000000000000000000000000000000001",
            "00000000000000000000000001.5",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        // Values as scanners write them: positions, spacings, orientation cosines of many lengths.
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let decimals = (x % 20) as usize;
            let whole = (x >> 8) % 100_000;
            let fraction = format!("{:020}", x >> 20);
            let sign = if x & 1 == 0 { "" } else { "-" };
            cases.push(format!("{sign}{whole}.{}", &fraction[..decimals]));
        }
        for case in &cases {
            let expected = case.parse::<f64>().ok();
            let got = decimal(case.as_bytes());
            assert_eq!(
                got.map(f64::to_bits),
                expected.map(f64::to_bits),
                "{case:?}: {got:?} != {expected:?}"
            );
        }
    }

    #[test]
    fn numbers_read_from_bytes_as_from_their_text() {
        // The reading before the byte path: the whole value trimmed as text, split, each part `str::trim`med.
        fn text_decimals<const N: usize>(raw: &[u8]) -> Option<[f64; N]> {
            let text = trimmed(raw);
            let mut parts = text.split('\\');
            let mut values = [0.0; N];
            for slot in &mut values {
                let value: f64 = parts.next()?.trim().parse().ok()?;
                *slot = Some(value).filter(|v| v.is_finite())?;
            }
            parts.next().is_none().then_some(values)
        }
        let text_integer = |raw: &[u8]| integer_of(trimmed(raw).split('\\').next()?.trim());
        let pieces: [&[u8]; 16] = [
            b"1",
            b"-2.5",
            b" 3 ",
            b"\0",
            b"\\",
            b"\t4\n",
            b"\x0b5",
            b"",
            b" ",
            b"1e2",
            b"+.5",
            b"7.",
            b"\xc2\xa06",
            b"\xff",
            b"12345678901234567890",
            b"-0",
        ];
        let bits = |v: Option<[f64; 3]>| v.map(|v| v.map(f64::to_bits));
        for a in pieces {
            for b in pieces {
                for c in pieces {
                    let raw = [a, b"\\", b, b"\\", c].concat();
                    assert_eq!(
                        bits(decimals::<3>(&raw)),
                        bits(text_decimals::<3>(&raw)),
                        "{raw:?}"
                    );
                    let raw = [a, b, c].concat();
                    let one = |v: Option<[f64; 1]>| v.map(|[v]| v.to_bits());
                    assert_eq!(
                        one(decimals::<1>(&raw)),
                        one(text_decimals::<1>(&raw)),
                        "{raw:?}"
                    );
                    assert_eq!(integer(&raw), text_integer(&raw), "{raw:?}");
                }
            }
        }
    }

    #[test]
    fn skip_table_classifies_every_pair_as_the_header_decoder_reads_it() {
        for a in 0..=255u8 {
            for b in 0..=255u8 {
                let expected = match vr_of([a, b]) {
                    None | Some(VR::SQ) => 0,
                    Some(vr) if has_long_length(vr) => SKIP_LONG,
                    Some(_) => SKIP_SHORT,
                };
                let class = VR_SKIP[usize::from(u16::from_le_bytes([a, b]))];
                assert_eq!(class, expected, "{a:02X} {b:02X}");
            }
        }
    }

    #[test]
    fn the_first_element_settles_the_encoding_by_its_vr_bytes_alone() {
        let first = |bytes: &[u8]| {
            let (h, n) = DecodeFrom::<&[u8]>::decode_header(&ProbingLe::default(), &mut &bytes[..])
                .expect("header");
            (h.tag, h.vr, h.len.0, n)
        };
        // Explicit UN, where the dictionary says DA (pydicom's rtdose_rle.dcm): explicit, not a length of "UN\0\0".
        let un = header(Tag(0x0008, 0x0012), b"UN\x00\x00\x08\x00\x00\x00");
        assert_eq!(first(&un[..]), (Tag(0x0008, 0x0012), VR::UN, 8, 12));
        // A VR the dictionary does not give the tag is still a VR.
        let ul = header(Tag(0x0008, 0x0005), b"UL\x04\x00");
        assert_eq!(first(&ul[..]), (Tag(0x0008, 0x0005), VR::UL, 4, 8));
        // No VR: implicit, the VR from the dictionary.
        let implicit = header(Tag(0x0008, 0x0005), b"\x0A\x00\x00\x00");
        assert_eq!(first(&implicit[..]), (Tag(0x0008, 0x0005), VR::CS, 10, 8));
        // Group FFFE settles nothing: the next element does.
        let decoder = ProbingLe::default();
        let bytes = [
            header(Tag(0xFFFE, 0xE00D), b"\x00\x00\x00\x00"),
            header(Tag(0x0008, 0x0012), b"\x08\x00\x00\x00"),
            header(Tag(0x0008, 0x0013), b"TM\x06\x00"),
        ]
        .concat();
        let mut source = &bytes[..];
        let mut next = || {
            let (h, n) = DecodeFrom::<&[u8]>::decode_header(&decoder, &mut source).expect("header");
            (h.tag, h.vr, h.len.0, n)
        };
        assert_eq!(next(), (Tag(0xFFFE, 0xE00D), VR::UN, 0, 8));
        assert_eq!(next(), (Tag(0x0008, 0x0012), VR::DA, 8, 8));
        // Settled as implicit: the next VR bytes are a length.
        assert_eq!(next(), (Tag(0x0008, 0x0013), VR::TM, 0x0006_4D54, 8));
        for cut in 0..un.len() {
            assert!(
                DecodeFrom::<&[u8]>::decode_header(&ProbingLe::default(), &mut &un[..cut]).is_err()
            );
        }
    }
}

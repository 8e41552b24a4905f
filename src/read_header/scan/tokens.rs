//! The tokenizer under the [`super::Walker`]: element and item headers, values and skips.
//!
//! [`Tokens::Fast`] decodes headers straight out of the read buffer (explicit and implicit VR little endian,
//! explicit VR big endian, with an explicit/implicit probe of the first element) and hands values out as slices of
//! that buffer, without a copy or an allocation. [`Tokens::Reference`] is dicom-rs's `StatefulDecoder`, which the
//! walker ran on before; it stays as the reference the fast one is checked against (differential test, fuzz
//! target). Both report the same [`FileDefect`] kinds; the walker above them checks every length.

use std::cell::Cell;
use std::io::{self, BufRead, Read, Seek, SeekFrom};
use std::rc::Rc;

use dicom_core::Tag;
use dicom_core::dictionary::{DataDictionary, DataDictionaryEntry};
use dicom_core::header::{DataElementHeader, Length, SequenceItemHeader, VR};
use dicom_dictionary_std::StandardDataDictionary;
use dicom_parser::stateful::decode::{DynStatefulDecoder, StatefulDecode};

use super::{
    Counting, DefectKind, FileDefect, SKIP_LONG, SKIP_SHORT, VR_SKIP, defect, has_long_length,
    parser_defect, vr_of,
};

/// Which tokenizer a walk runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Tokenizer {
    /// Headers decoded from the read buffer, values borrowed from it.
    #[default]
    Fast,
    /// dicom-rs's `StatefulDecoder`: the reference.
    Reference,
}

/// How the fast tokenizer reads element headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Encoding {
    /// Little endian, explicit or implicit VR not yet known: the first element outside group FFFE decides,
    /// whatever the transfer syntax declares (see [`decode_header`]).
    LittleUnknown,
    /// Explicit VR little endian.
    ExplicitLittle,
    /// Implicit VR little endian: the VR comes from the dictionary.
    ImplicitLittle,
    /// Explicit VR big endian.
    ExplicitBig,
}

/// The tokenizer a walk runs on.
pub(super) enum Tokens<'a> {
    /// Decodes from the read buffer.
    Fast {
        io: Counting<'a>,
        encoding: Encoding,
        /// Where in its stops the last skip run stopped (see [`Tokens::skip_unwanted_root`]).
        stop_hint: usize,
    },
    /// dicom-rs's stateful decoder; its decoder reads implicit VR little endian while the flag is set (see
    /// [`Tokens::enter_implicit`]).
    Reference(DynStatefulDecoder<Counting<'a>>, Rc<Cell<bool>>),
}

/// The encoding [`Tokens::enter_implicit`] left, for [`Tokens::leave_implicit`] to return to.
#[derive(Debug, Clone, Copy)]
pub(super) struct Resume(Option<Encoding>);

impl Tokens<'_> {
    /// The next element header.
    #[inline]
    pub(super) fn header(&mut self) -> Result<DataElementHeader, FileDefect> {
        match self {
            Tokens::Reference(decoder, _) => {
                let at = decoder.position();
                decoder.decode_header().map_err(|e| parser_defect(&e, at))
            }
            Tokens::Fast { io, encoding, .. } => {
                let at = io.pos.get();
                if let Some(head) = io.inner.buffer().get(..12) {
                    let (header, used) =
                        decode_header(head, encoding).ok_or_else(|| short_header(at))?;
                    io.inner.consume(used);
                    io.pos.set(at + used as u64);
                    return Ok(header);
                }
                // At the end of the buffer: the first 8 bytes, then the 4 of a long length if the VR has one.
                let mut head = [0u8; 12];
                read_exact(io, &mut head[..8], at)?;
                if let Some((header, _)) = decode_header(&head[..8], encoding) {
                    return Ok(header);
                }
                read_exact(io, &mut head[8..], at)?;
                let (header, _) = decode_header(&head, encoding).ok_or_else(|| short_header(at))?;
                Ok(header)
            }
        }
    }

    /// The next item header where a sequence expects one.
    pub(super) fn item_header(&mut self) -> Result<SequenceItemHeader, FileDefect> {
        match self {
            Tokens::Reference(decoder, _) => {
                let at = decoder.position();
                decoder
                    .decode_item_header()
                    .map_err(|e| parser_defect(&e, at))
            }
            Tokens::Fast { io, encoding, .. } => {
                let at = io.pos.get();
                let mut head = [0u8; 8];
                read_exact(io, &mut head, at)?;
                let big = *encoding == Encoding::ExplicitBig;
                let (tag, len) = tag_and_length(&head, big);
                match tag {
                    Tag(0xFFFE, 0xE000) => Ok(SequenceItemHeader::Item { len: Length(len) }),
                    Tag(0xFFFE, 0xE00D) if len == 0 => Ok(SequenceItemHeader::ItemDelimiter),
                    Tag(0xFFFE, 0xE0DD) => Ok(SequenceItemHeader::SequenceDelimiter),
                    _ => Err(defect(
                        DefectKind::Malformed,
                        format!("{tag} (length {len}) where an item was expected, at offset {at}"),
                    )),
                }
            }
        }
    }

    /// Hands the next `len` value bytes (already checked against the bytes left) to `take`: a slice of the read
    /// buffer when it holds them, else of `scratch`.
    #[inline]
    pub(super) fn with_value(
        &mut self,
        len: u32,
        scratch: &mut Vec<u8>,
        take: impl FnOnce(&[u8]),
    ) -> Result<(), FileDefect> {
        match self {
            Tokens::Reference(decoder, _) => {
                let at = decoder.position();
                scratch.clear();
                decoder
                    .read_to_vec(len, scratch)
                    .map_err(|e| parser_defect(&e, at))?;
                take(scratch);
            }
            Tokens::Fast { io, .. } => {
                let at = io.pos.get();
                let n = len as usize;
                if let Some(value) = io.inner.buffer().get(..n) {
                    take(value);
                    io.inner.consume(n);
                    io.pos.set(at + u64::from(len));
                } else {
                    scratch.clear();
                    scratch.resize(n, 0);
                    read_exact(io, scratch, at)?;
                    take(scratch);
                }
            }
        }
        Ok(())
    }

    /// Skips, inside the read buffer, the run of root-level elements ahead whose tags are not in `stops`, without
    /// an event for each: the tight loop of a header read, where most elements are neither wanted nor nested.
    /// `stops` holds tag keys ([`tag_key`]) in ascending order; the loop also stops at or past the last of them.
    /// As a data set's tags ascend, one pass along `stops` beside the elements tells a wanted one by a single
    /// comparison; a tag lower than the one before ends the run, so an element out of order is never skipped
    /// unseen. Only once the encoding is settled as little endian, and only over primitive elements of defined
    /// length whose header and value the buffer holds and whose value ends inside the file (`size`); it stops
    /// short of anything else (group 0000, a sequence, an undefined length, an unknown VR, the end of the
    /// buffer), which the walk then reads element by element, with every check.
    ///
    /// When the run ends at a wanted element that passes the same checks (primitive, of defined length, whole in
    /// the buffer and the file), its header is read too and its tag and value length returned: the walk hands
    /// it out without decoding its header again.
    #[inline]
    pub(super) fn skip_unwanted_root(&mut self, size: u64, stops: &[u32]) -> Option<(Tag, u32)> {
        let Tokens::Fast {
            io,
            encoding,
            stop_hint,
        } = self
        else {
            return None;
        };
        let explicit = match encoding {
            Encoding::ExplicitLittle => true,
            Encoding::ImplicitLittle => false,
            Encoding::LittleUnknown | Encoding::ExplicitBig => return None,
        };
        // Pixel Data and everything after it (group FFFE among them) always end the run.
        let last_stop = stops.last().map(|&s| s.min(tag_key(super::PIXEL_DATA)))?;
        let start = io.pos.get();
        let buffer = io.inner.buffer();
        // The buffer may hold bytes past the declared size (a source longer than it says): never skip into them.
        let left = usize::try_from(size.saturating_sub(start)).unwrap_or(usize::MAX);
        let limit = buffer.len().min(left);
        let key_of = |head: &[u8]| {
            let tag: [u8; 4] = head.get(..4)?.try_into().ok()?;
            Some(u32::from_le_bytes(tag).rotate_left(16))
        };
        // The first stop at or past the first element: found from where the last run stopped while the tags
        // ascend from there (a step or two on), else by bisection; later elements only move it forward.
        let mut next = match key_of(buffer) {
            Some(first)
                if stops
                    .get(..*stop_hint)
                    .is_some_and(|before| before.last().is_none_or(|&s| s < first)) =>
            {
                *stop_hint
            }
            Some(first) => stops.partition_point(|&s| s < first),
            None => 0,
        };
        let mut next_stop = stops.get(next).copied().unwrap_or(u32::MAX);
        // Group 0000 (below every key here) is never skipped.
        let mut previous = 0x0001_0000;
        let mut at = 0;
        let mut wanted = None;
        while let Some(head) = buffer.get(at..at + 12)
            && let Some(key) = key_of(head)
        {
            if key < previous || key >= last_stop {
                break;
            }
            let stop = key >= next_stop && {
                // Past stops the data set does not have: on to the next one it might.
                while stops.get(next).is_some_and(|&stop| stop < key) {
                    next += 1;
                }
                next_stop = stops.get(next).copied().unwrap_or(u32::MAX);
                key == next_stop
            };
            previous = key;
            // The VR and a short length, or 4 bytes of implicit length, as one load; each arm gives where the
            // element's value starts and ends, so no header size and length are merged between the arms.
            let rest = u32::from_le_bytes([head[4], head[5], head[6], head[7]]);
            let (value_at, len) = if explicit {
                match VR_SKIP[usize::from(rest as u16)] {
                    SKIP_SHORT => (at + 8, rest >> 16),
                    SKIP_LONG => match u32::from_le_bytes([head[8], head[9], head[10], head[11]]) {
                        u32::MAX => break,
                        len => (at + 12, len),
                    },
                    _ => break,
                }
            } else {
                if rest == u32::MAX || implicit_vr(Tag((key >> 16) as u16, key as u16)) == VR::SQ {
                    break;
                }
                (at + 8, rest)
            };
            let Some(end) = usize::try_from(len)
                .ok()
                .and_then(|len| value_at.checked_add(len))
                .filter(|&end| end <= limit)
            else {
                break;
            };
            if stop {
                wanted = Some((Tag((key >> 16) as u16, key as u16), len));
                at = value_at;
                break;
            }
            at = end;
        }
        io.inner.consume(at);
        io.pos.set(start + at as u64);
        *stop_hint = next;
        wanted
    }

    /// Reads implicit VR little endian from here on, whatever the data set's encoding, until
    /// [`Tokens::leave_implicit`]: PS3.5 6.2.2 (CP-246) encodes the value of an explicit VR element of VR UN and
    /// undefined length so, its items, everything nested in them and its sequence delimiter.
    pub(super) fn enter_implicit(&mut self) -> Resume {
        match self {
            Tokens::Reference(_, implicit) => {
                implicit.set(true);
                Resume(None)
            }
            Tokens::Fast { encoding, .. } => {
                Resume(Some(std::mem::replace(encoding, Encoding::ImplicitLittle)))
            }
        }
    }

    /// Returns to the encoding [`Tokens::enter_implicit`] left.
    pub(super) fn leave_implicit(&mut self, resume: Resume) {
        match (self, resume) {
            (Tokens::Reference(_, implicit), _) => implicit.set(false),
            (Tokens::Fast { encoding, .. }, Resume(Some(was))) => *encoding = was,
            (Tokens::Fast { .. }, Resume(None)) => {}
        }
    }

    /// Moves forward to `to` (already checked against the bytes left).
    #[inline]
    pub(super) fn seek(&mut self, to: u64) -> Result<(), FileDefect> {
        match self {
            Tokens::Reference(decoder, _) => {
                let at = decoder.position();
                decoder.seek(to).map_err(|e| parser_defect(&e, at))
            }
            Tokens::Fast { io, .. } => {
                let at = io.pos.get();
                // Skipping a value the buffer holds: the usual case, and only a cursor move.
                if let Some(delta) = to.checked_sub(at)
                    && let Ok(delta) = usize::try_from(delta)
                    && delta <= io.inner.buffer().len()
                {
                    io.inner.consume(delta);
                    io.pos.set(to);
                    return Ok(());
                }
                io.seek(SeekFrom::Start(to))
                    .map(|_| ())
                    .map_err(|e| io_error(&e, at))
            }
        }
    }
}

/// Decodes one element header from `head` (8 or 12 bytes): the header and the bytes it took, or `None` when it
/// needs the 4 bytes of a long length that `head` lacks. Settles a little endian `encoding` at the first element
/// outside group FFFE as pydicom and DCMTK do: explicit VR when the two bytes after its tag spell a VR, else
/// implicit. Not dicom-rs's dictionary cross-check, which reads a data set of explicit UN elements (pydicom's
/// `rtdose_rle.dcm`, pydicom-data's `explicit_VR-UN.dcm`) as implicit, its first length as the bytes `UN\0\0`.
#[inline(always)]
fn decode_header(head: &[u8], encoding: &mut Encoding) -> Option<(DataElementHeader, usize)> {
    let big = *encoding == Encoding::ExplicitBig;
    let (tag, short_len) = tag_and_length(head, big);
    if tag.0 == 0xFFFE {
        return Some((DataElementHeader::new(tag, VR::UN, Length(short_len)), 8));
    }
    let explicit = match *encoding {
        Encoding::ExplicitLittle | Encoding::ExplicitBig => true,
        Encoding::ImplicitLittle => false,
        Encoding::LittleUnknown => {
            let explicit = vr_of([head[4], head[5]]).is_some();
            *encoding = if explicit {
                Encoding::ExplicitLittle
            } else {
                Encoding::ImplicitLittle
            };
            explicit
        }
    };
    if !explicit {
        return Some((
            DataElementHeader::new(tag, implicit_vr(tag), Length(short_len)),
            8,
        ));
    }
    let vr = vr_of([head[4], head[5]]).unwrap_or(VR::UN);
    if !has_long_length(vr) {
        let bytes = [head[6], head[7]];
        let len = if big {
            u16::from_be_bytes(bytes)
        } else {
            u16::from_le_bytes(bytes)
        };
        return Some((DataElementHeader::new(tag, vr, Length(u32::from(len))), 8));
    }
    let long: [u8; 4] = head.get(8..12)?.try_into().ok()?;
    let len = if big {
        u32::from_be_bytes(long)
    } else {
        u32::from_le_bytes(long)
    };
    Some((DataElementHeader::new(tag, vr, Length(len)), 12))
}

/// The tag (bytes 0–3) and the 4-byte length (bytes 4–7) of an 8-byte header.
#[inline(always)]
fn tag_and_length(head: &[u8], big: bool) -> (Tag, u32) {
    let at = |i: usize| [head[i], head[i + 1]];
    let len = [head[4], head[5], head[6], head[7]];
    if big {
        (
            Tag(u16::from_be_bytes(at(0)), u16::from_be_bytes(at(2))),
            u32::from_be_bytes(len),
        )
    } else {
        (
            Tag(u16::from_le_bytes(at(0)), u16::from_le_bytes(at(2))),
            u32::from_le_bytes(len),
        )
    }
}

/// A tag as one number, `(group << 16) | element`: ordered as tags are.
pub(crate) const fn tag_key(tag: Tag) -> u32 {
    ((tag.0 as u32) << 16) | tag.1 as u32
}

/// The VR dicom-rs gives an implicit VR element: OW for Pixel Data and Overlay Data, else the dictionary's.
fn implicit_vr(tag: Tag) -> VR {
    if tag == Tag(0x7FE0, 0x0010) || (tag.0 >> 8 == 0x60 && tag.1 == 0x3000) {
        VR::OW
    } else {
        StandardDataDictionary
            .by_tag(tag)
            .map(|entry| entry.vr().relaxed())
            .unwrap_or(VR::UN)
    }
}

fn read_exact(io: &mut Counting<'_>, buf: &mut [u8], at: u64) -> Result<(), FileDefect> {
    io.read_exact(buf).map_err(|e| io_error(&e, at))
}

/// End of file inside a header or value is a cut file; any other error the OS's.
fn io_error(err: &io::Error, at: u64) -> FileDefect {
    if err.kind() == io::ErrorKind::UnexpectedEof {
        defect(
            DefectKind::Truncated,
            format!("file ends inside an element (offset {at})"),
        )
    } else {
        defect(DefectKind::Io, format!("{err} (offset {at})"))
    }
}

fn short_header(at: u64) -> FileDefect {
    defect(
        DefectKind::Truncated,
        format!("file ends inside an element header at offset {at}"),
    )
}

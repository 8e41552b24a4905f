//! Reading one file in the scanning process, in pieces of at most [`CHUNK`] bytes: the attributes before the
//! Pixel Data value, then each frame's bytes, located from the hardened header scan's record (native frames by
//! size; encapsulated frames by walking the fragment items, every length bounded by the bytes left, grouped into
//! frames by the Basic Offset Table, one fragment per frame, or the codestream's start marker). The rest of the
//! file is read through, so a damaged sector anywhere becomes a finding. Memory never follows a declared length:
//! a piece is allocated for bytes actually read, under a [`Permit`] of the phase's byte [`Budget`].

use std::io::{self, Read};
use std::sync::Arc;

use super::budget::{Budget, Permit};
use super::decode::{MAX_FRAME_BYTES, MAX_FRAMES, Problem, ProblemKind};
use crate::read_header::{InstanceRecord, PixelEncoding};

/// Largest piece read at once.
pub const CHUNK: u64 = 1 << 20;

/// Most bytes of attributes before the Pixel Data that a decoder is given (Siemens CSA blobs reach a few MB).
pub const MAX_HEADER_BYTES: u64 = 64 << 20;

/// Largest deflated file decoded whole (its pixel data cannot be located without inflating it).
pub const MAX_WHOLE_BYTES: u64 = 64 << 20;

const DEFLATED: &str = "1.2.840.10008.1.2.1.99";

/// What one piece of a file holds.
#[derive(Debug)]
pub enum Content {
    /// The bytes before the Pixel Data value (for encapsulated data: up to its first item), whence a decoder
    /// reads the attributes it needs.
    Header(Vec<u8>),
    /// Part of a frame's data, in file order.
    Chunk { frame: u32, bytes: Vec<u8> },
    /// The frame's data is complete (no chunk before it: the frame has no data).
    End { frame: u32 },
    /// Frames read whole that need no decoding (bit-packed).
    Intact { frames: u32 },
    /// A whole file whose pixel data cannot be located without inflating it: decoded in one piece.
    Whole(Vec<u8>),
    /// What reading found; no frame follows.
    Problem(Problem),
}

/// One piece and the budget it holds until dropped.
#[derive(Debug)]
pub struct Piece {
    /// The bytes or the event.
    pub content: Content,
    _permit: Option<Permit>,
}

impl Piece {
    /// A problem found outside [`split`] (opening the file).
    pub fn problem(problem: Problem) -> Self {
        Self::event(Content::Problem(problem))
    }

    /// A piece holding no budget, for tests of its consumers.
    #[cfg(test)]
    pub fn for_test(content: Content) -> Self {
        Self::event(content)
    }

    fn event(content: Content) -> Self {
        Self {
            content,
            _permit: None,
        }
    }
}

/// The frame layout the header declares, as the scanning process knows it.
struct Layout {
    frames: u32,
    frame_bytes: u64,
    bit_packed_bytes: Option<u64>,
}

impl Layout {
    fn of(record: &InstanceRecord, native: bool) -> Result<Self, Problem> {
        let (Some(rows), Some(columns), Some(bits)) =
            (record.rows, record.columns, record.bits_allocated)
        else {
            return Err(Problem::new(
                ProblemKind::Unsupported,
                None,
                "image data without Rows, Columns or Bits Allocated",
            ));
        };
        let declared_samples = record.samples_per_pixel.unwrap_or(1);
        // Native YBR_FULL_422 data holds two samples per pixel.
        let samples = if native && record.photometric.as_deref() == Some("YBR_FULL_422") {
            2
        } else {
            u64::from(declared_samples)
        };
        let frames = record.frames();
        let bits_per_frame = u64::from(rows) * u64::from(columns) * samples * u64::from(bits);
        let frame_bytes = bits_per_frame.div_ceil(8);
        if frame_bytes == 0 || frame_bytes > MAX_FRAME_BYTES || frames > MAX_FRAMES {
            return Err(Problem::new(
                ProblemKind::TooLarge,
                None,
                format!(
                    "declares {frames} frames of {rows} x {columns} x {declared_samples} samples x {bits} bits"
                ),
            ));
        }
        Ok(Self {
            frames,
            frame_bytes,
            bit_packed_bytes: (bits == 1).then(|| (u64::from(frames) * bits_per_frame).div_ceil(8)),
        })
    }
}

/// The file being read: position, size, and the budget its pieces draw on.
struct Source<'b, R> {
    reader: R,
    pos: u64,
    size: u64,
    budget: &'b Arc<Budget>,
}

impl<R: Read> Source<'_, R> {
    /// Reads up to `n` bytes (fewer only at the end of the file) under a permit.
    fn take(&mut self, n: u64) -> Result<(Vec<u8>, Permit), Problem> {
        let n = n.min(self.size.saturating_sub(self.pos));
        let permit = self.budget.take(n);
        let mut bytes = vec![0u8; n as usize];
        let mut got = 0;
        while got < bytes.len() {
            match self.reader.read(&mut bytes[got..]) {
                Ok(0) => break,
                Ok(k) => got += k,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(read_error(self.pos + got as u64, &e)),
            }
        }
        bytes.truncate(got);
        self.pos += got as u64;
        Ok((bytes, permit))
    }

    /// Reads `n` bytes (fewer at the end of the file) without keeping them.
    fn skip(&mut self, n: u64) -> Result<u64, Problem> {
        let mut scratch = [0u8; 64 << 10];
        let mut left = n;
        while left > 0 {
            let want = left.min(scratch.len() as u64) as usize;
            match self.reader.read(&mut scratch[..want]) {
                Ok(0) => break,
                Ok(k) => {
                    left -= k as u64;
                    self.pos += k as u64;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(read_error(self.pos, &e)),
            }
        }
        Ok(n - left)
    }

    fn left(&self) -> u64 {
        self.size.saturating_sub(self.pos)
    }
}

/// A read failure at `offset`: the medium is damaged.
pub fn read_error(offset: u64, error: &io::Error) -> Problem {
    Problem::new(
        ProblemKind::ReadError,
        None,
        format!("at byte {offset}: {error}"),
    )
}

/// Reads the `size` bytes of `reader`, the file `record` describes, handing its pieces to `emit` in file order
/// (`emit` returns false when nobody listens any more).
pub fn split(
    reader: impl Read,
    size: u64,
    record: &InstanceRecord,
    budget: &Arc<Budget>,
    emit: &mut dyn FnMut(Piece) -> bool,
) {
    let mut source = Source {
        reader,
        pos: 0,
        size,
        budget,
    };
    let outcome = pieces(&mut source, record, emit).and_then(|()| {
        let rest = source.left();
        source.skip(rest).map(|_| ())
    });
    if let Err(problem) = outcome {
        emit(Piece::event(Content::Problem(problem)));
    }
}

/// Emits the pieces of the file up to the end of its Pixel Data; `Err` is a read error.
fn pieces(
    source: &mut Source<impl Read>,
    record: &InstanceRecord,
    emit: &mut dyn FnMut(Piece) -> bool,
) -> Result<(), Problem> {
    let Some(info) = &record.pixel_data else {
        return Ok(());
    };
    let mut send = |content, permit| {
        emit(Piece {
            content,
            _permit: permit,
        })
    };
    if &*record.transfer_syntax == DEFLATED {
        if source.size > MAX_WHOLE_BYTES {
            send(
                Content::Problem(Problem::new(
                    ProblemKind::TooLarge,
                    None,
                    format!(
                        "deflated file of {} bytes: too large to decode here",
                        source.size
                    ),
                )),
                None,
            );
            return Ok(());
        }
        let (bytes, permit) = source.take(source.size)?;
        send(Content::Whole(bytes), Some(permit));
        return Ok(());
    }
    let native = matches!(info.encoding, PixelEncoding::Native { .. });
    let layout = match Layout::of(record, native) {
        Ok(layout) => layout,
        Err(problem) => {
            send(Content::Problem(problem), None);
            return Ok(());
        }
    };
    if info.offset > MAX_HEADER_BYTES {
        send(
            Content::Problem(Problem::new(
                ProblemKind::TooLarge,
                None,
                format!("{} bytes of attributes before the image data", info.offset),
            )),
            None,
        );
        return Ok(());
    }
    let (header, permit) = source.take(info.offset)?;
    if !send(Content::Header(header), Some(permit)) {
        return Ok(());
    }
    match info.encoding {
        PixelEncoding::Native { declared_length } => {
            native_frames(source, &layout, declared_length, &mut send)
        }
        PixelEncoding::Encapsulated { items, .. } => {
            encapsulated_frames(source, &layout, items.saturating_sub(1), &mut send)
        }
    }
}

type Send<'s> = dyn FnMut(Content, Option<Permit>) -> bool + 's;

/// Native frames follow each other, [`Layout::frame_bytes`] each; those the declared length does not hold
/// are missing (the consumer counts the frames ended).
fn native_frames(
    source: &mut Source<impl Read>,
    layout: &Layout,
    declared_length: u64,
    send: &mut Send,
) -> Result<(), Problem> {
    if let Some(needed) = layout.bit_packed_bytes {
        let read = source.skip(needed.min(declared_length))?;
        let content = if read < needed {
            Content::Problem(Problem::new(
                ProblemKind::FramesMissing,
                None,
                format!("{read} bytes of pixel data where {needed} are declared"),
            ))
        } else {
            Content::Intact {
                frames: layout.frames,
            }
        };
        send(content, None);
        return Ok(());
    }
    for frame in 0..layout.frames {
        if (u64::from(frame) + 1) * layout.frame_bytes > declared_length {
            return Ok(());
        }
        let mut left = layout.frame_bytes;
        while left > 0 {
            let (bytes, permit) = source.take(left.min(CHUNK))?;
            if bytes.is_empty() {
                return Ok(());
            }
            left -= bytes.len() as u64;
            if !send(Content::Chunk { frame, bytes }, Some(permit)) {
                return Ok(());
            }
        }
        if !send(Content::End { frame }, None) {
            return Ok(());
        }
    }
    Ok(())
}

/// Walks the fragment items: the Basic Offset Table first, then each fragment, read in chunks and assigned to
/// its frame; the walk stops at the sequence delimiter, or at an item whose header is damaged.
fn encapsulated_frames(
    source: &mut Source<impl Read>,
    layout: &Layout,
    fragments: u32,
    send: &mut Send,
) -> Result<(), Problem> {
    let damaged = |at: u64| {
        Content::Problem(Problem::new(
            ProblemKind::Corrupt,
            None,
            format!("the compressed image data's items are damaged at byte {at}"),
        ))
    };
    let Some((is_item, len)) = item_header(source)? else {
        send(damaged(source.pos), None);
        return Ok(());
    };
    if !is_item {
        // The sequence ends before its offset table: no frame at all.
        return Ok(());
    }
    let offsets = if len <= 4 * u64::from(MAX_FRAMES) {
        let (table, _permit) = source.take(len)?;
        basic_offsets(&table)
    } else {
        source.skip(len)?;
        Vec::new()
    };
    let first_fragment_at = source.pos;
    let mut current: Option<u32> = None;
    let mut fragment = 0u32;
    loop {
        let at = source.pos;
        let Some((is_item, len)) = item_header(source)? else {
            send(damaged(at), None);
            break;
        };
        if !is_item {
            break;
        }
        if len > source.left() {
            send(damaged(at), None);
            break;
        }
        let (first, permit) = source.take(len.min(CHUNK))?;
        let frame = if !offsets.is_empty() {
            let relative = at - first_fragment_at;
            (offsets.partition_point(|&o| o <= relative) as u32).saturating_sub(1)
        } else if layout.frames == 1 {
            0
        } else if fragments == layout.frames {
            fragment
        } else {
            match current {
                Some(frame) if !starts_codestream(&first) => frame,
                Some(frame) => frame + 1,
                None => 0,
            }
        };
        fragment += 1;
        // A new frame closes the one before and any it skipped (those have no data).
        let closed = match current {
            None => 0..frame,
            Some(c) if c < frame => c..frame,
            Some(_) => 0..0,
        };
        for f in closed.start..closed.end.min(layout.frames) {
            if !send(Content::End { frame: f }, None) {
                return Ok(());
            }
        }
        let frame = frame.max(current.unwrap_or(0));
        current = Some(frame);
        if frame >= layout.frames {
            source.skip(len - first.len() as u64)?;
            continue;
        }
        let mut left = len - first.len() as u64;
        if !send(
            Content::Chunk {
                frame,
                bytes: first,
            },
            Some(permit),
        ) {
            return Ok(());
        }
        while left > 0 {
            let (bytes, permit) = source.take(left.min(CHUNK))?;
            if bytes.is_empty() {
                break;
            }
            left -= bytes.len() as u64;
            if !send(Content::Chunk { frame, bytes }, Some(permit)) {
                return Ok(());
            }
        }
    }
    if let Some(frame) = current.filter(|&f| f < layout.frames) {
        send(Content::End { frame }, None);
    }
    Ok(())
}

/// The next item header: `Some((true, length))` for an item, `Some((false, 0))` for the sequence delimiter,
/// `None` for anything else or the file's end.
fn item_header(source: &mut Source<impl Read>) -> Result<Option<(bool, u64)>, Problem> {
    let (head, _permit) = source.take(8)?;
    let Ok(head) = <[u8; 8]>::try_from(head.as_slice()) else {
        return Ok(None);
    };
    let len = u32::from_le_bytes([head[4], head[5], head[6], head[7]]);
    Ok(match head[..4] {
        [0xFE, 0xFF, 0x00, 0xE0] if len != u32::MAX => Some((true, u64::from(len))),
        [0xFE, 0xFF, 0xDD, 0xE0] => Some((false, 0)),
        _ => None,
    })
}

/// The Basic Offset Table's offsets, if usable: starting at 0 and increasing.
fn basic_offsets(table: &[u8]) -> Vec<u64> {
    let offsets: Vec<u64> = table
        .chunks_exact(4)
        .map(|b| u64::from(u32::from_le_bytes([b[0], b[1], b[2], b[3]])))
        .collect();
    let usable = offsets.first() == Some(&0) && offsets.windows(2).all(|w| w[0] < w[1]);
    if usable { offsets } else { Vec::new() }
}

/// The fragment begins a JPEG, JPEG-LS or JPEG 2000 codestream (or a JP2 file).
fn starts_codestream(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0xFF, 0xD8])
        || bytes.starts_with(&[0xFF, 0x4F, 0xFF, 0x51])
        || bytes.starts_with(b"\0\0\0\x0cjP  ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::read_header::PixelDataInfo;

    /// A record of `frames` 4 x 4 8-bit frames whose encapsulated Pixel Data starts at byte 10.
    fn record(frames: u32, items: u32) -> InstanceRecord {
        InstanceRecord {
            transfer_syntax: "1.2.840.10008.1.2.4.90".into(),
            rows: Some(4),
            columns: Some(4),
            bits_allocated: Some(8),
            number_of_frames: Some(frames),
            pixel_data: Some(PixelDataInfo {
                offset: 10,
                encoding: PixelEncoding::Encapsulated {
                    items,
                    complete: true,
                },
            }),
            ..InstanceRecord::default()
        }
    }

    fn item(bytes: &[u8]) -> Vec<u8> {
        let mut out = vec![0xFE, 0xFF, 0x00, 0xE0];
        out.extend((bytes.len() as u32).to_le_bytes());
        out.extend(bytes);
        out
    }

    /// The file: 10 header bytes, the offset table, the fragments, the delimiter.
    fn file(offsets: &[u32], fragments: &[&[u8]]) -> Vec<u8> {
        let mut out = vec![1u8; 10];
        let table: Vec<u8> = offsets.iter().flat_map(|o| o.to_le_bytes()).collect();
        out.extend(item(&table));
        for fragment in fragments {
            out.extend(item(fragment));
        }
        out.extend([0xFE, 0xFF, 0xDD, 0xE0, 0, 0, 0, 0]);
        out
    }

    /// What `split` gives, as (frame, bytes) per frame ended, and the problems.
    fn frames_of(bytes: &[u8], record: &InstanceRecord) -> (Vec<(u32, Vec<u8>)>, Vec<ProblemKind>) {
        let (mut frames, mut problems, mut current) = (Vec::new(), Vec::new(), Vec::new());
        split(
            bytes,
            bytes.len() as u64,
            record,
            &Budget::new(64),
            &mut |piece| {
                match piece.content {
                    Content::Chunk { bytes, .. } => current.extend(bytes),
                    Content::End { frame } => frames.push((frame, std::mem::take(&mut current))),
                    Content::Problem(p) => problems.push(p.kind),
                    Content::Header(h) => assert_eq!(h, vec![1u8; 10]),
                    _ => {}
                }
                true
            },
        );
        (frames, problems)
    }

    const J2K: &[u8] = &[0xFF, 0x4F, 0xFF, 0x51, 9];

    #[test]
    fn frames_by_offset_table_one_per_fragment_and_start_marker() {
        // Offset table: fragments 1 and 2 make frame 0 (second item at 8 + 5), fragment 3 frame 1.
        let bytes = file(&[0, 26], &[J2K, &[7, 7, 7, 7, 7], J2K]);
        let (frames, problems) = frames_of(&bytes, &record(2, 4));
        assert_eq!(frames[0], (0, [J2K, &[7, 7, 7, 7, 7]].concat()));
        assert_eq!(frames[1], (1, J2K.to_vec()));
        assert!(problems.is_empty());
        // No table, as many fragments as frames.
        let (frames, _) = frames_of(&file(&[], &[&[1], &[2]]), &record(2, 3));
        assert_eq!(frames, vec![(0, vec![1]), (1, vec![2])]);
        // No table, more fragments than frames: a codestream start begins a frame.
        let (frames, _) = frames_of(&file(&[], &[J2K, &[5], J2K]), &record(2, 4));
        assert_eq!(frames, vec![(0, [J2K, &[5]].concat()), (1, J2K.to_vec())]);
        // One frame: all fragments.
        let (frames, _) = frames_of(&file(&[], &[&[1], &[2]]), &record(1, 3));
        assert_eq!(frames, vec![(0, vec![1, 2])]);
    }

    #[test]
    fn missing_frames_and_damaged_items() {
        // Fewer fragments than frames: only those are ended (the consumer counts the rest missing).
        let (frames, problems) = frames_of(&file(&[], &[J2K]), &record(3, 2));
        assert_eq!(frames.len(), 1);
        assert!(problems.is_empty());
        // An item that claims more bytes than the file holds: damaged, nothing allocated for it.
        let mut bytes = file(&[], &[J2K]);
        let at = bytes.len() - 8 - J2K.len() - 4;
        bytes[at..at + 4].copy_from_slice(&u32::MAX.wrapping_sub(1).to_le_bytes());
        let (frames, problems) = frames_of(&bytes, &record(1, 2));
        assert!(frames.is_empty());
        assert_eq!(problems, vec![ProblemKind::Corrupt]);
    }

    #[test]
    fn native_frames_by_size() {
        let mut record = record(3, 0);
        record.transfer_syntax = "1.2.840.10008.1.2.1".into();
        record.pixel_data = Some(PixelDataInfo {
            offset: 10,
            encoding: PixelEncoding::Native {
                declared_length: 40,
            },
        });
        let mut bytes = vec![1u8; 10];
        bytes.extend(0..40u8);
        // 16 bytes a frame: two whole frames in 40 bytes, the third missing.
        let (frames, _) = frames_of(&bytes, &record);
        assert_eq!(
            frames,
            vec![(0, (0..16).collect()), (1, (16..32).collect())]
        );
    }
}

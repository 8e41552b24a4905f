//! Reading one file in the scanning process, in pieces of at most [`CHUNK`] bytes: the attributes before the
//! Pixel Data value, then each frame's bytes, located from the hardened header scan's record (native frames by
//! size; encapsulated frames by walking the fragment items, every length bounded by the bytes left, grouped into
//! frames by the Extended Offset Table, checked against the fragments, the Basic Offset Table, one fragment per
//! frame, or the codestream's start marker). A deflated data set is inflated here, in the same pieces. The rest
//! of the file is read through, so a damaged sector anywhere becomes a finding. Memory never follows a declared
//! length: a piece is allocated for bytes actually read, under a [`Permit`] of the phase's byte [`Budget`].

use std::io::{self, Read};
use std::sync::Arc;

use flate2::read::DeflateDecoder;

use super::budget::{Budget, Permit};
use super::decode::{MAX_FRAME_BYTES, MAX_FRAMES, Problem, ProblemKind};
use crate::read_header::{InstanceRecord, PixelEncoding};

/// Largest piece read at once.
pub const CHUNK: u64 = 1 << 20;

/// Most bytes of attributes before the Pixel Data that a decoder is given (Siemens CSA blobs reach a few MB).
pub const MAX_HEADER_BYTES: u64 = 64 << 20;

/// Deflated Explicit VR Little Endian: the data set after the meta group is one raw deflate stream.
pub const DEFLATED: &str = "1.2.840.10008.1.2.1.99";

/// Explicit VR Little Endian, what a deflated data set is once inflated.
const EXPLICIT_LE: &[u8] = b"1.2.840.10008.1.2.1\0";

/// Largest file meta group read (as the header scan).
const MAX_META_BYTES: usize = 64 << 10;

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
        let samples = u64::from(if native {
            record.native_samples()
        } else {
            declared_samples
        });
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

/// A read failure at `offset`: the medium is damaged (or, inflating a deflated data set, its deflate stream).
pub fn read_error(offset: u64, error: &io::Error) -> Problem {
    if error.get_ref().is_some_and(|e| e.is::<DeflateDamage>()) {
        return Problem::new(
            ProblemKind::Corrupt,
            None,
            format!("its deflated data set is damaged after {offset} inflated bytes ({error})"),
        );
    }
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
    if &*record.transfer_syntax == DEFLATED {
        split_deflated(reader, size, record, budget, emit);
        return;
    }
    let mut source = Source {
        reader,
        pos: 0,
        size,
        budget,
    };
    let outcome = pieces(&mut source, record, None, emit).and_then(|()| {
        let rest = source.left();
        source.skip(rest).map(|_| ())
    });
    if let Err(problem) = outcome {
        emit(Piece::event(Content::Problem(problem)));
    }
}

/// [`split`] for a Deflated Explicit VR Little Endian file: read as the header scan read it (its meta group as
/// is, then its data set inflated, where the record's offsets point), in pieces under the same budget, so its
/// native frames are checked as an uncompressed file's are. At most [`MAX_HEADER_BYTES`] are inflated past the
/// Pixel Data; the rest of the file is read without inflating it, so a damaged sector there is still found.
fn split_deflated(
    reader: impl Read,
    size: u64,
    record: &InstanceRecord,
    budget: &Arc<Budget>,
    emit: &mut dyn FnMut(Piece) -> bool,
) {
    let mut raw = Counted {
        inner: reader,
        read: 0,
    };
    let mut start = Vec::new();
    if let Err(e) = (&mut raw)
        .take(132 + MAX_META_BYTES as u64)
        .read_to_end(&mut start)
    {
        emit(Piece::event(Content::Problem(read_error(
            start.len() as u64,
            &e,
        ))));
        return;
    }
    let Some(meta) = meta_group(&start) else {
        let problem = Problem::new(
            ProblemKind::Unsupported,
            None,
            "a deflated file whose meta group this tool cannot read",
        );
        emit(Piece::event(Content::Problem(problem)));
        return;
    };
    let ahead = start.split_off(meta.end);
    let mut source = Source {
        reader: Inflated {
            meta: io::Cursor::new(start),
            data_set: DeflateDecoder::new(Disc(io::Cursor::new(ahead).chain(&mut raw))),
        },
        pos: 0,
        size: u64::MAX,
        budget,
    };
    let mut outcome = pieces(&mut source, record, Some(EXPLICIT_LE), emit);
    if outcome.is_ok() {
        outcome = source.skip(MAX_HEADER_BYTES).map(drop);
    }
    drop(source);
    if outcome.is_ok() {
        let mut rest = Source {
            pos: raw.read,
            reader: &mut raw,
            size,
            budget,
        };
        let left = rest.left();
        outcome = rest.skip(left).map(drop);
    }
    if let Err(problem) = outcome {
        emit(Piece::event(Content::Problem(problem)));
    }
}

/// Where a file meta group lies in a file's first bytes.
struct MetaGroup {
    /// After the preamble and `DICM`, if any.
    start: usize,
    /// Each element: its number in group 2, and where it lies whole.
    elements: Vec<(u16, std::ops::Range<usize>)>,
    end: usize,
}

/// The file meta group at the start of `bytes` (explicit VR little endian group 2 elements, at most
/// [`MAX_META_BYTES`]); `None` when `bytes` do not begin with a whole one.
fn meta_group(bytes: &[u8]) -> Option<MetaGroup> {
    let start = if bytes.get(128..132) == Some(b"DICM") {
        132
    } else {
        0
    };
    let mut elements = Vec::new();
    let mut pos = start;
    while let Some(head) = bytes.get(pos..pos + 8)
        && head[..2] == [2, 0]
        && pos - start <= MAX_META_BYTES
    {
        let long = matches!(
            &head[4..6],
            b"OB" | b"OW" | b"OF" | b"SQ" | b"UT" | b"UN" | b"UC" | b"UR" | b"OD" | b"OL" | b"OV"
        );
        let (head_len, len) = if long {
            let len = bytes.get(pos + 8..pos + 12)?;
            (
                12,
                u32::from_le_bytes([len[0], len[1], len[2], len[3]]) as usize,
            )
        } else {
            (8, usize::from(u16::from_le_bytes([head[6], head[7]])))
        };
        let end = pos.checked_add(head_len)?.checked_add(len)?;
        if end > bytes.len() || len > MAX_META_BYTES {
            return None;
        }
        elements.push((u16::from_le_bytes([head[2], head[3]]), pos..end));
        pos = end;
    }
    (!elements.is_empty()).then_some(MetaGroup {
        start,
        elements,
        end: pos,
    })
}

/// The attributes before the Pixel Data as the decoder is given them: the meta group reduced to what dicom-rs
/// needs (a real scanner's meta group with, say, an 18-byte Source AE Title holding a control character, which
/// GDCM and dcmtk read, made dicom-rs refuse the whole file), with the transfer syntax `syntax` when given (a
/// deflated file's data set arrives inflated).
fn for_decoder(header: Vec<u8>, syntax: Option<&[u8]>) -> Vec<u8> {
    let Some(meta) = meta_group(&header) else {
        return header;
    };
    let mut group = Vec::new();
    for (element, whole) in meta.elements {
        match (element, syntax) {
            (0x0010, Some(uid)) => {
                group.extend([2, 0, 0x10, 0, b'U', b'I']);
                group.extend((uid.len() as u16).to_le_bytes());
                group.extend(uid);
            }
            (0x0001 | 0x0002 | 0x0003 | 0x0010 | 0x0012, _) => group.extend(&header[whole]),
            _ => {}
        }
    }
    let mut out = Vec::with_capacity(header.len());
    out.extend(&header[..meta.start]);
    out.extend([2, 0, 0, 0, b'U', b'L', 4, 0]);
    out.extend((group.len() as u32).to_le_bytes());
    out.extend(group);
    out.extend(&header[meta.end..]);
    out
}

/// A reader counting the bytes it gave.
struct Counted<R> {
    inner: R,
    read: u64,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        Ok(n)
    }
}

/// The compressed bytes under the inflater: their read errors are the disc's, marked so that [`Inflated`] can
/// tell them from the inflater's own.
struct Disc<R>(R);

/// A read error of the disc under the inflater.
#[derive(Debug)]
struct DiscError(io::Error);

impl std::fmt::Display for DiscError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for DiscError {}

impl<R: Read> Read for Disc<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0
            .read(buf)
            .map_err(|e| io::Error::new(e.kind(), DiscError(e)))
    }
}

/// The deflate stream is damaged (or cut): the inflater's error, not the disc's.
#[derive(Debug)]
struct DeflateDamage(String);

impl std::fmt::Display for DeflateDamage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DeflateDamage {}

/// A deflated file as the header scan sees it: the meta group, then the inflated data set.
struct Inflated<R: Read> {
    meta: io::Cursor<Vec<u8>>,
    data_set: DeflateDecoder<Disc<R>>,
}

impl<R: Read> Read for Inflated<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.meta.read(buf)?;
        if n > 0 {
            return Ok(n);
        }
        self.data_set.read(buf).map_err(|e| {
            if e.get_ref().is_some_and(|inner| inner.is::<DiscError>())
                || e.kind() == io::ErrorKind::Interrupted
            {
                e
            } else {
                io::Error::new(io::ErrorKind::InvalidData, DeflateDamage(e.to_string()))
            }
        })
    }
}

/// Emits the pieces of the file up to the end of its Pixel Data; `Err` is a read error.
fn pieces(
    source: &mut Source<impl Read>,
    record: &InstanceRecord,
    syntax: Option<&[u8]>,
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
    let table = match info.encoding {
        PixelEncoding::Encapsulated { .. } => extended_table(&header, layout.frames),
        PixelEncoding::Native { .. } => None,
    };
    if !send(Content::Header(for_decoder(header, syntax)), Some(permit)) {
        return Ok(());
    }
    match info.encoding {
        PixelEncoding::Native { declared_length } => {
            native_frames(source, &layout, declared_length, &mut send)
        }
        PixelEncoding::Encapsulated { items, .. } => {
            let table = match table {
                Some(Ok(table)) => Some(table),
                Some(Err(detail)) => {
                    send(Content::Problem(bad_table(None, detail)), None);
                    return Ok(());
                }
                None => None,
            };
            encapsulated_frames(source, &layout, items.saturating_sub(1), table, &mut send)
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
/// its frame (by the Extended Offset Table when the file has one); the walk stops at the sequence delimiter, at
/// an item whose header is damaged, or where the Extended Offset Table disagrees with the fragments.
fn encapsulated_frames(
    source: &mut Source<impl Read>,
    layout: &Layout,
    fragments: u32,
    mut table: Option<Extended>,
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
        let relative = at - first_fragment_at;
        let frame = match table.as_mut().map(|t| t.item(relative, len)) {
            Some(Ok(frame)) => Some(frame),
            Some(Err(problem)) => {
                send(Content::Problem(problem), None);
                return Ok(());
            }
            None => None,
        };
        let (first, permit) = source.take(len.min(CHUNK))?;
        let frame = if let Some(frame) = frame {
            frame
        } else if !offsets.is_empty() {
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
    if let Some(Err(problem)) = table.map(|t| t.finish(source.pos - first_fragment_at)) {
        send(Content::Problem(problem), None);
        return Ok(());
    }
    if let Some(frame) = current.filter(|&f| f < layout.frames) {
        send(Content::End { frame }, None);
    }
    Ok(())
}

/// The Extended Offset Table (7FE0,0001) and its Lengths (7FE0,0002), checked against the fragments as they
/// are walked: each offset must be where an item starts, each length must fit the frame's items.
#[derive(Debug)]
struct Extended {
    offsets: Vec<u64>,
    lengths: Vec<u64>,
    /// Frames begun so far.
    begun: usize,
    /// Value bytes of the current frame's items, and where its last item ends.
    value_bytes: u64,
    end: u64,
}

impl Extended {
    /// The frame of the item starting `at` bytes after the first fragment's item, of `len` value bytes.
    fn item(&mut self, at: u64, len: u64) -> Result<u32, Problem> {
        if let Some(&next) = self.offsets.get(self.begun)
            && next <= at
        {
            if next < at {
                return Err(bad_table(
                    Some(self.begun as u32),
                    format!("offset {next} falls inside a fragment"),
                ));
            }
            self.close()?;
            self.begun += 1;
        }
        self.value_bytes += len;
        self.end = at + 8 + len;
        Ok(self.begun.saturating_sub(1) as u32)
    }

    /// Checks the length of the frame that ends here (its items hold between its value bytes and its span).
    fn close(&mut self) -> Result<(), Problem> {
        let Some(frame) = self.begun.checked_sub(1) else {
            return Ok(());
        };
        let length = self.lengths[frame];
        let span = self.end.saturating_sub(self.offsets[frame] + 8);
        if length < std::mem::take(&mut self.value_bytes) || length > span {
            return Err(bad_table(
                Some(frame as u32),
                format!("length {length} does not fit the frame's fragments"),
            ));
        }
        Ok(())
    }

    /// After the last fragment, `end` bytes after the first: every offset must have been met.
    fn finish(mut self, end: u64) -> Result<(), Problem> {
        self.close()?;
        match self.offsets.get(self.begun) {
            Some(offset) => Err(bad_table(
                Some(self.begun as u32),
                format!("offset {offset} lies past the fragments' end ({end} bytes)"),
            )),
            None => Ok(()),
        }
    }
}

/// The Extended Offset Table disagrees with the fragments it indexes: a viewer that trusts it, as it may, loads
/// the wrong bytes.
fn bad_table(frame: Option<u32>, detail: String) -> Problem {
    Problem::new(
        ProblemKind::Corrupt,
        frame,
        format!("the Extended Offset Table is wrong: {detail}"),
    )
}

/// Reads the Extended Offset Table and its Lengths from the end of `header`, the bytes before the first fragment
/// item: the two are the last elements before the Pixel Data (tag order), so they are found backwards from its
/// element header, each element's length matching where it starts. `None` when the file has none; `Err` when
/// they do not hold one increasing offset from 0 and one length per frame.
fn extended_table(header: &[u8], frames: u32) -> Option<Result<Extended, String>> {
    // Encapsulated Pixel Data: explicit VR (OB, 12 bytes) or implicit VR (8 bytes), undefined length.
    const PIXEL_DATA: [u8; 4] = [0xE0, 0x7F, 0x10, 0x00];
    let tail = |n: usize| header.len().checked_sub(n).map(|at| &header[at..]);
    let explicit = tail(12).is_some_and(|t| t[..4] == PIXEL_DATA && t[8..] == [0xFF; 4]);
    let implicit = tail(8).is_some_and(|t| t[..4] == PIXEL_DATA && t[4..] == [0xFF; 4]);
    if !explicit && !implicit {
        return None;
    }
    let end = header.len() - if explicit { 12 } else { 8 };
    let lengths_at = element_ending_at(header, end, 0x0002, explicit)?;
    let offsets_at = element_ending_at(header, lengths_at.start, 0x0001, explicit)?;
    let values = |range: std::ops::Range<usize>| -> Result<Vec<u64>, String> {
        let bytes = &header[range];
        if !bytes.len().is_multiple_of(8) {
            return Err(format!("{} bytes, not a multiple of 8", bytes.len()));
        }
        Ok(bytes
            .chunks_exact(8)
            .map(|b| u64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]))
            .collect())
    };
    let table = values(offsets_at.value).and_then(|offsets| {
        let lengths = values(lengths_at.value)?;
        if offsets.len() != frames as usize || lengths.len() != offsets.len() {
            return Err(format!(
                "{} offsets and {} lengths for {frames} frames",
                offsets.len(),
                lengths.len()
            ));
        }
        if offsets.first() != Some(&0) || offsets.windows(2).any(|w| w[0] >= w[1]) {
            return Err("its offsets do not start at 0 and increase".to_string());
        }
        Ok(Extended {
            offsets,
            lengths,
            begun: 0,
            value_bytes: 0,
            end: 0,
        })
    });
    Some(table)
}

/// Where an element sits in the header bytes: from its tag, and its value.
struct Element {
    start: usize,
    value: std::ops::Range<usize>,
}

/// The element (7FE0,`element`), of VR OV when `explicit`, whose value ends at `end`, found by trying each value
/// length a table of up to [`MAX_FRAMES`] 8-byte entries can have (and any other, to report it).
fn element_ending_at(header: &[u8], end: usize, element: u16, explicit: bool) -> Option<Element> {
    let head = if explicit { 12 } else { 8 };
    let [lo, hi] = element.to_le_bytes();
    let most = end.checked_sub(head)?.min(8 * MAX_FRAMES as usize + 7);
    (0..=most).find_map(|len| {
        let start = end - len - head;
        let h = &header[start..start + head];
        let tag_matches = h[..4] == [0xE0, 0x7F, lo, hi];
        let declared = if explicit {
            (h[4..8] == *b"OV\0\0").then(|| u32::from_le_bytes([h[8], h[9], h[10], h[11]]))
        } else {
            Some(u32::from_le_bytes([h[4], h[5], h[6], h[7]]))
        };
        (tag_matches && declared == Some(len as u32)).then_some(Element {
            start,
            value: start + head..end,
        })
    })
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
                    Content::Header(h) => assert_eq!(h.len() as u64, header_len(record)),
                    _ => {}
                }
                true
            },
        );
        (frames, problems)
    }

    fn header_len(record: &InstanceRecord) -> u64 {
        record.pixel_data.as_ref().map_or(0, |p| p.offset)
    }

    const J2K: &[u8] = &[0xFF, 0x4F, 0xFF, 0x51, 9];

    /// A file whose header ends with an Extended Offset Table and its Lengths (explicit VR, or implicit), and
    /// its record.
    fn with_table(
        offsets: &[u64],
        lengths: &[u64],
        fragments: &[&[u8]],
        explicit: bool,
    ) -> (Vec<u8>, InstanceRecord) {
        let mut out = vec![1u8; 6];
        for (element, values) in [(1u8, offsets), (2, lengths)] {
            out.extend([0xE0, 0x7F, element, 0x00]);
            if explicit {
                out.extend([b'O', b'V', 0, 0]);
            }
            out.extend(((values.len() * 8) as u32).to_le_bytes());
            out.extend(values.iter().flat_map(|v| v.to_le_bytes()));
        }
        out.extend([0xE0, 0x7F, 0x10, 0x00]);
        if explicit {
            out.extend([b'O', b'B', 0, 0]);
        }
        out.extend([0xFF; 4]);
        let mut record = record(3, fragments.len() as u32 + 1);
        if let Some(p) = &mut record.pixel_data {
            p.offset = out.len() as u64;
        }
        out.extend(item(&[]));
        for fragment in fragments {
            out.extend(item(fragment));
        }
        out.extend([0xFE, 0xFF, 0xDD, 0xE0, 0, 0, 0, 0]);
        (out, record)
    }

    #[test]
    fn frames_by_the_extended_offset_table() {
        // Frame 1's fragments start with no codestream marker: only the table tells them from frame 0's.
        let fragments: &[&[u8]] = &[J2K, &[7; 5], &[8, 8, 8], &[9], J2K];
        let offsets = [0, 26, 46];
        for explicit in [true, false] {
            let (bytes, record) = with_table(&offsets, &[10, 4, 5], fragments, explicit);
            let (frames, problems) = frames_of(&bytes, &record);
            assert!(problems.is_empty(), "{problems:?}");
            assert_eq!(
                frames,
                vec![
                    (0, [J2K, &[7; 5]].concat()),
                    (1, vec![8, 8, 8, 9]),
                    (2, J2K.to_vec())
                ]
            );
        }
        // A length that also counts the item header between a frame's fragments fits too.
        let (bytes, record) = with_table(&offsets, &[10, 12, 5], fragments, true);
        assert!(frames_of(&bytes, &record).1.is_empty());
    }

    #[test]
    fn a_wrong_extended_offset_table_is_corrupt() {
        let fragments: &[&[u8]] = &[J2K, &[7; 5], &[8, 8, 8], &[9], J2K];
        for (offsets, lengths, frames_before) in [
            // An offset inside a fragment, a length shorter than the frame's data, one longer than its items,
            // an offset past the fragments.
            (&[0, 30, 46][..], &[10, 4, 5][..], 0),
            (&[0, 26, 46], &[10, 3, 5], 1),
            (&[0, 26, 46], &[10, 4, 6], 2),
            (&[0, 26, 200], &[10, 4, 5], 1),
            // Not one entry per frame; not increasing from 0.
            (&[0, 26], &[10, 4], 0),
            (&[0, 46, 26], &[10, 4, 5], 0),
            (&[4, 26, 46], &[10, 4, 5], 0),
        ] {
            let (bytes, record) = with_table(offsets, lengths, fragments, true);
            let (frames, problems) = frames_of(&bytes, &record);
            assert_eq!(
                problems,
                vec![ProblemKind::Corrupt],
                "{offsets:?} {lengths:?}"
            );
            assert_eq!(frames.len(), frames_before, "{offsets:?} {lengths:?}");
        }
        // Lengths whose value is not a multiple of 8.
        let (mut bytes, record) = with_table(&[0, 26, 46], &[10, 4, 5], fragments, false);
        let at = 6 + 8 + 24 + 4;
        bytes[at..at + 4].copy_from_slice(&20u32.to_le_bytes());
        bytes.drain(at + 4 + 20..at + 4 + 24);
        let mut record = record;
        if let Some(p) = &mut record.pixel_data {
            p.offset -= 4;
        }
        assert_eq!(frames_of(&bytes, &record).1, vec![ProblemKind::Corrupt]);
    }

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

//! One file's result from its pieces, in the scanning process: native frames are checked here (size, a blank
//! frame) without a decoder; compressed frames go one at a time to a [`Decoding`] (a worker process) and their
//! results are summed; frames the file lacks are counted missing.

use std::io::Cursor;
use std::path::Path;

use super::budget::Budget;
use super::decode::{Decoded, FrameDecoder, Problem, ProblemKind, missing};
use super::split::{Content, Piece, split};
use crate::read_header::{HeaderOutcome, InstanceRecord, PixelEncoding, read_header_from};

/// Where frames are decoded. `Err` means the decoder died: the reason, phrased as the file's problem.
pub trait Decoding {
    /// The file's attributes before its Pixel Data; the problems say why its frames cannot be decoded.
    fn header(&mut self, name: &str, bytes: &[u8]) -> Result<Decoded, String>;
    /// More bytes of the frame being sent.
    fn bytes(&mut self, bytes: &[u8]) -> Result<(), String>;
    /// Decodes the frame sent; the result counts it alone.
    fn frame(&mut self, index: u32, native: bool, thumbnail: bool) -> Result<Decoded, String>;
}

/// Most blank frames listed per file.
const BLANK_LISTED: usize = 16;

/// Whether the record's pixel data is stored uncompressed (its frames need no decoder).
pub fn is_native(record: &InstanceRecord) -> bool {
    matches!(
        record.pixel_data.as_ref().map(|p| &p.encoding),
        Some(PixelEncoding::Native { .. })
    )
}

/// Sums the pieces of the file `record` into its result; `thumbnail` asks for the middle frame's picture.
pub fn assemble(
    record: &InstanceRecord,
    pieces: impl IntoIterator<Item = Piece>,
    decoder: &mut dyn Decoding,
    thumbnail: bool,
) -> Decoded {
    let name = record.path.to_string_lossy();
    let native = is_native(record);
    let frames = record.frames();
    let middle = frames / 2;
    let unit = usize::from(record.bits_allocated.unwrap_or(8).div_ceil(8)).max(1);
    let mut decoded = Decoded {
        frames_declared: if record.pixel_data.is_some() {
            frames
        } else {
            0
        },
        ..Decoded::default()
    };
    // Decoding stopped for this file (a problem says why); frames ended; bytes of the current frame.
    let (mut stopped, mut ended, mut frame_len) = (false, 0u32, 0u64);
    let mut opened = false;
    let mut blank = Blank::default();
    for piece in pieces {
        if stopped {
            continue;
        }
        match piece.content {
            Content::Header(bytes) => {
                // Native frames need a decoder only to draw the thumbnail.
                if !native || thumbnail {
                    match decoder.header(&name, &bytes) {
                        Ok(header) if header.problems.is_empty() => opened = true,
                        Ok(header) if !native => {
                            decoded.problems.extend(header.problems);
                            stopped = true;
                        }
                        Ok(_) => {}
                        Err(reason) => stopped = crashed(&mut decoded, None, reason),
                    }
                }
            }
            Content::Problem(problem) => {
                decoded.problems.push(problem);
                stopped = true;
            }
            Content::Intact { frames } => {
                decoded.frames_decoded += frames;
                ended = frames;
            }
            Content::Chunk { frame, bytes } => {
                frame_len += bytes.len() as u64;
                if native {
                    blank.feed(&bytes, unit);
                }
                let wanted = opened && (!native || frame == middle);
                if wanted && let Err(reason) = decoder.bytes(&bytes) {
                    stopped = crashed(&mut decoded, Some(frame), reason);
                }
            }
            Content::End { frame } => {
                ended = frame + 1;
                if std::mem::take(&mut frame_len) == 0 {
                    decoded.problems.push(missing(frame, frames));
                    stopped = true;
                    continue;
                }
                let is_blank = std::mem::take(&mut blank).is_blank();
                if native {
                    decoded.frames_decoded += 1;
                    if is_blank && decoded.blank_frames.len() < BLANK_LISTED {
                        decoded.blank_frames.push(frame);
                    }
                    if opened && frame == middle {
                        // A picture the worker cannot draw is no finding: the frame's bytes are all there.
                        if let Ok(drawn) = decoder.frame(frame, true, true) {
                            decoded.thumbnail = drawn.thumbnail;
                        }
                    }
                    continue;
                }
                match decoder.frame(frame, false, thumbnail && frame == middle) {
                    Ok(one) => {
                        stopped = one
                            .problems
                            .iter()
                            .any(|p| p.kind == ProblemKind::Unsupported);
                        decoded.frames_decoded += one.frames_decoded;
                        let room = BLANK_LISTED.saturating_sub(decoded.blank_frames.len());
                        decoded
                            .blank_frames
                            .extend(one.blank_frames.into_iter().take(room));
                        decoded.problems.extend(one.problems);
                        decoded.thumbnail = decoded.thumbnail.take().or(one.thumbnail);
                    }
                    Err(reason) => stopped = crashed(&mut decoded, Some(frame), reason),
                }
            }
        }
    }
    if !stopped && record.pixel_data.is_some() && ended < frames {
        decoded.problems.push(missing(ended, frames));
    }
    decoded
}

/// Records that the decoder died on `frame`; decoding of the file stops.
fn crashed(decoded: &mut Decoded, frame: Option<u32>, reason: String) -> bool {
    decoded
        .problems
        .push(Problem::new(ProblemKind::DecoderCrashed, frame, reason));
    true
}

/// Whether every sample of a native frame, seen chunk by chunk, has one value.
#[derive(Default)]
struct Blank {
    first: Option<Vec<u8>>,
    varied: bool,
}

impl Blank {
    fn feed(&mut self, bytes: &[u8], unit: usize) {
        if self.varied {
            return;
        }
        let first = self
            .first
            .get_or_insert_with(|| bytes.get(..unit).unwrap_or_default().to_vec());
        self.varied = first.len() != unit || bytes.chunks(unit).any(|c| c != first.as_slice());
    }

    fn is_blank(&self) -> bool {
        self.first.is_some() && !self.varied
    }
}

/// Frames decoded in this process, for tests and tools that read a file they trust to be harmless.
struct InProcess<'s> {
    decoder: FrameDecoder,
    sink: &'s mut dyn FnMut(u32, &[u8]),
}

impl Decoding for InProcess<'_> {
    fn header(&mut self, _name: &str, bytes: &[u8]) -> Result<Decoded, String> {
        Ok(self.decoder.header(bytes))
    }

    fn bytes(&mut self, bytes: &[u8]) -> Result<(), String> {
        self.decoder.append(bytes);
        Ok(())
    }

    fn frame(&mut self, index: u32, native: bool, thumbnail: bool) -> Result<Decoded, String> {
        Ok(self.decoder.frame(index, native, thumbnail, self.sink))
    }
}

/// Decodes the DICOM file in `bytes` as the images phase does (header scan, split into frames, frame by frame),
/// in this process, handing each compressed frame that decodes to the declared size to `sink` (frame number,
/// samples little endian, pixel-interleaved as the decoder gives them). For tests: no isolation.
pub fn decode_file(bytes: &[u8], thumbnail: bool, sink: &mut dyn FnMut(u32, &[u8])) -> Decoded {
    let size = bytes.len() as u64;
    let record = match read_header_from(Cursor::new(bytes.to_vec()), size, Path::new("IM")) {
        HeaderOutcome::Instance(record) => record,
        _ => return Decoded::default(),
    };
    let mut pieces = Vec::new();
    split(bytes, size, &record, &Budget::new(u64::MAX), &mut |piece| {
        pieces.push(piece);
        true
    });
    let mut decoder = InProcess {
        decoder: FrameDecoder::default(),
        sink,
    };
    assemble(&record, pieces, &mut decoder, thumbnail)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::read_header::PixelDataInfo;

    /// A decoder that decodes every frame, except that it dies on frame `dies_on`.
    struct Fake {
        dies_on: Option<u32>,
    }

    impl Decoding for Fake {
        fn header(&mut self, _: &str, _: &[u8]) -> Result<Decoded, String> {
            Ok(Decoded::default())
        }
        fn bytes(&mut self, _: &[u8]) -> Result<(), String> {
            Ok(())
        }
        fn frame(&mut self, index: u32, _: bool, _: bool) -> Result<Decoded, String> {
            if Some(index) == self.dies_on {
                return Err("gone".into());
            }
            Ok(Decoded {
                frames_decoded: 1,
                ..Decoded::default()
            })
        }
    }

    fn record(frames: u32, native: bool) -> InstanceRecord {
        let encoding = if native {
            PixelEncoding::Native { declared_length: 0 }
        } else {
            PixelEncoding::Encapsulated {
                items: 0,
                complete: true,
            }
        };
        InstanceRecord {
            number_of_frames: Some(frames),
            bits_allocated: Some(8),
            pixel_data: Some(PixelDataInfo {
                offset: 0,
                encoding,
            }),
            ..InstanceRecord::default()
        }
    }

    fn frame(frame: u32, bytes: &[u8]) -> Vec<Piece> {
        vec![
            Piece::for_test(Content::Chunk {
                frame,
                bytes: bytes.to_vec(),
            }),
            Piece::for_test(Content::End { frame }),
        ]
    }

    #[test]
    fn frames_missing_blank_and_a_dead_decoder() {
        let header = || vec![Piece::for_test(Content::Header(vec![]))];
        let mut fake = Fake { dies_on: None };
        let pieces = [header(), frame(0, &[1]), frame(1, &[2])]
            .into_iter()
            .flatten();
        let d = assemble(&record(4, false), pieces, &mut fake, false);
        assert_eq!(d.frames_decoded, 2);
        assert_eq!(d.problems, vec![missing(2, 4)]);

        let pieces = [header(), frame(0, &[3, 3, 3]), frame(1, &[1, 2])]
            .into_iter()
            .flatten();
        let d = assemble(&record(2, true), pieces, &mut fake, false);
        assert_eq!((d.frames_decoded, d.blank_frames.clone()), (2, vec![0]));
        assert!(d.problems.is_empty());

        let mut dying = Fake { dies_on: Some(1) };
        let pieces = [header(), frame(0, &[1]), frame(1, &[2]), frame(2, &[3])]
            .into_iter()
            .flatten();
        let d = assemble(&record(3, false), pieces, &mut dying, false);
        assert_eq!(d.frames_decoded, 1);
        assert_eq!(d.problems.len(), 1);
        assert_eq!(d.problems[0].kind, ProblemKind::DecoderCrashed);
        assert_eq!(d.problems[0].frame, Some(1));
    }
}

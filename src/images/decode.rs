//! Decoding one file's frames, inside a worker process: hostile input meets third-party decoders here, so this
//! code runs only behind the isolation of [`super::worker`]. It checks what decoders do not: the codestream's own
//! size against the header, corruption that a decoder would smooth over, frames that are missing.

use std::panic::{AssertUnwindSafe, catch_unwind};

use dicom_core::value::{PixelFragmentSequence, PrimitiveValue, Value};
use dicom_core::{DataElement, VR};
use dicom_dictionary_std::tags;
use dicom_encoding::TransferSyntaxIndex;
use dicom_encoding::adapters::PixelDataObject;
use dicom_object::{DefaultDicomObject, OpenFileOptions};
use dicom_transfer_syntax_registry::TransferSyntaxRegistry;
use serde::{Deserialize, Serialize};

use super::codestream;
use super::entropy;
use super::thumbnail::{self, Pixels};
use super::tier2;

/// Largest decoded frame accepted (rows × columns × samples × bytes per sample), checked before any decoder
/// allocates: 256 MiB holds a 8192 × 8192 RGB 16-bit frame, far beyond any modality but whole-slide tiles.
pub const MAX_FRAME_BYTES: u64 = 256 << 20;

/// Most frames one object may declare.
pub const MAX_FRAMES: u32 = 100_000;

/// What decoding one file found: sent from the worker to the scanning process.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Decoded {
    /// Frames the header declares (0: no Pixel Data, nothing to decode).
    pub frames_declared: u32,
    /// Frames that decoded to the declared size.
    pub frames_decoded: u32,
    /// Frames whose every sample has one value (first few).
    pub blank_frames: Vec<u32>,
    /// What is wrong, if anything.
    pub problems: Vec<Problem>,
    /// The middle frame as a PNG data URI, when asked for and decodable.
    pub thumbnail: Option<String>,
}

/// One problem with a file's images.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    /// What kind.
    pub kind: ProblemKind,
    /// The frame concerned (0-based), if one.
    pub frame: Option<u32>,
    /// Technical detail (decoder message, sizes).
    pub detail: String,
}

/// Kinds of image problems.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProblemKind {
    /// The frame's compressed data is damaged: the decoder failed or reported corruption.
    Corrupt,
    /// The frame decodes to another size or sample layout than the header declares.
    WrongSize,
    /// Frames declared by the header are not in the file.
    FramesMissing,
    /// The decoder crashed, ran out of its memory or time on this file.
    DecoderCrashed,
    /// The operating system failed to read the file: the medium is damaged.
    ReadError,
    /// A transfer syntax (compression) this tool cannot decode.
    Unsupported,
    /// Declares frames larger than any real image: not decoded.
    TooLarge,
}

impl ProblemKind {
    /// True when the images cannot be trusted to open: a fail, not a warning.
    pub fn is_damage(self) -> bool {
        !matches!(self, ProblemKind::Unsupported | ProblemKind::TooLarge)
    }
}

impl Problem {
    /// A problem of `kind` with frame `frame`.
    pub fn new(kind: ProblemKind, frame: Option<u32>, detail: impl Into<String>) -> Self {
        Self {
            kind,
            frame,
            detail: detail.into(),
        }
    }
}

/// The header attributes decoding needs.
struct Layout {
    rows: u16,
    columns: u16,
    samples: u16,
    bits_allocated: u16,
    frames: u32,
    photometric: String,
}

impl Layout {
    fn of(obj: &DefaultDicomObject) -> Option<Self> {
        let uint = |tag| obj.get(tag).and_then(|e| e.to_int::<u32>().ok());
        Some(Self {
            rows: obj.rows()?,
            columns: obj.cols()?,
            samples: obj.samples_per_pixel().unwrap_or(1),
            bits_allocated: obj.bits_allocated()?,
            frames: uint(tags::NUMBER_OF_FRAMES).filter(|&n| n > 0).unwrap_or(1),
            photometric: obj
                .photometric_interpretation()
                .unwrap_or("")
                .to_uppercase(),
        })
    }

    /// Bytes of one decoded frame (YBR_FULL_422 native data holds two samples per pixel).
    fn frame_bytes(&self, native: bool) -> u64 {
        let samples = if native && self.photometric == "YBR_FULL_422" {
            2
        } else {
            u64::from(self.samples)
        };
        (u64::from(self.rows) * u64::from(self.columns) * samples * u64::from(self.bits_allocated))
            .div_ceil(8)
    }
}

const JPEG_FAMILY: &[&str] = &[
    "1.2.840.10008.1.2.4.50",
    "1.2.840.10008.1.2.4.51",
    "1.2.840.10008.1.2.4.57",
    "1.2.840.10008.1.2.4.70",
    "1.2.840.10008.1.2.4.80",
    "1.2.840.10008.1.2.4.81",
];
const JPEG2000_FAMILY: &[&str] = &[
    "1.2.840.10008.1.2.4.90",
    "1.2.840.10008.1.2.4.91",
    "1.2.840.10008.1.2.4.201",
    "1.2.840.10008.1.2.4.202",
    "1.2.840.10008.1.2.4.203",
];
const RLE: &str = "1.2.840.10008.1.2.5";

/// The worker's side of decoding a file frame by frame: the attributes before the Pixel Data are read once, then
/// each frame's bytes arrive, are decoded and dropped, so at most one frame is held.
#[derive(Default)]
pub struct FrameDecoder {
    header: Option<Result<DefaultDicomObject, Problem>>,
    data: Vec<u8>,
    overflow: bool,
}

impl FrameDecoder {
    /// Reads the attributes before the Pixel Data (`bytes` end with its element header); the problems say why
    /// the file cannot be decoded.
    pub fn header(&mut self, bytes: &[u8]) -> Decoded {
        let obj = OpenFileOptions::new()
            .read_until(tags::PIXEL_DATA)
            .from_reader(bytes)
            .map_err(|err| {
                Problem::new(
                    ProblemKind::Unsupported,
                    None,
                    format!("its data set, which this tool cannot read ({err})"),
                )
            });
        let problems = obj.as_ref().err().cloned().into_iter().collect();
        self.header = Some(obj);
        self.data.clear();
        Decoded {
            problems,
            ..Decoded::default()
        }
    }

    /// Appends bytes of the frame being received; beyond [`MAX_FRAME_BYTES`] they are dropped and the frame is
    /// reported too large.
    pub fn append(&mut self, bytes: &[u8]) {
        if self.data.len() as u64 + bytes.len() as u64 > MAX_FRAME_BYTES {
            self.overflow = true;
        } else if !self.overflow {
            self.data.extend_from_slice(bytes);
        }
    }

    /// Bytes of the frame received so far.
    pub fn pending(&self) -> u64 {
        self.data.len() as u64
    }

    /// Decodes the frame received, numbered `index` in its file, handing its pixels to `sink`; `native` says the
    /// bytes are uncompressed. The result counts this frame only.
    pub fn frame(
        &mut self,
        index: u32,
        native: bool,
        thumbnail: bool,
        sink: &mut dyn FnMut(u32, &[u8]),
    ) -> Decoded {
        let data = std::mem::take(&mut self.data);
        if std::mem::take(&mut self.overflow) {
            return Decoded {
                problems: vec![Problem::new(
                    ProblemKind::TooLarge,
                    Some(index),
                    format!("compressed frame larger than {MAX_FRAME_BYTES} bytes"),
                )],
                ..Decoded::default()
            };
        }
        let obj = match &mut self.header {
            Some(Ok(obj)) => obj,
            Some(Err(problem)) => {
                return Decoded {
                    problems: vec![problem.clone()],
                    ..Decoded::default()
                };
            }
            None => return Decoded::default(),
        };
        let value = if native {
            Value::Primitive(PrimitiveValue::U8(data.into()))
        } else {
            Value::PixelSequence(PixelFragmentSequence::new(Vec::<u32>::new(), vec![data]))
        };
        obj.put(DataElement::new(tags::PIXEL_DATA, VR::OB, value));
        obj.put(DataElement::new(
            tags::NUMBER_OF_FRAMES,
            VR::IS,
            PrimitiveValue::from("1"),
        ));
        let mut decoded = decode_object(obj, thumbnail, &mut |_, pixels| sink(index, pixels));
        for problem in &mut decoded.problems {
            problem.frame = problem.frame.map(|_| index);
        }
        for blank in &mut decoded.blank_frames {
            *blank = index;
        }
        decoded
    }
}

/// Decodes every frame of `obj`; makes the middle frame's thumbnail if `thumbnail`, and hands each frame that
/// decodes to the declared size to `sink` (frame number, samples little endian, pixel-interleaved as the
/// decoder gives them).
fn decode_object(
    obj: &DefaultDicomObject,
    thumbnail: bool,
    sink: &mut dyn FnMut(u32, &[u8]),
) -> Decoded {
    let mut decoded = Decoded::default();
    let Some(pixel_data) = obj.get(tags::PIXEL_DATA) else {
        return decoded;
    };
    let Some(layout) = Layout::of(obj) else {
        decoded.frames_declared = 1;
        decoded.problems.push(Problem::new(
            ProblemKind::Unsupported,
            None,
            "image data without Rows, Columns or Bits Allocated",
        ));
        return decoded;
    };
    decoded.frames_declared = layout.frames;
    let native = matches!(pixel_data.value(), Value::Primitive(_));
    let frame_bytes = layout.frame_bytes(native);
    if frame_bytes == 0 || frame_bytes > MAX_FRAME_BYTES || layout.frames > MAX_FRAMES {
        decoded.problems.push(Problem::new(
            ProblemKind::TooLarge,
            None,
            format!(
                "declares {} frames of {} x {} x {} samples x {} bits",
                layout.frames, layout.rows, layout.columns, layout.samples, layout.bits_allocated
            ),
        ));
        return decoded;
    }
    let middle = layout.frames / 2;
    let window = thumbnail::Window::of(obj);
    let mut on_frame = |decoded: &mut Decoded, frame: u32, data: &[u8]| {
        decoded.frames_decoded += 1;
        sink(frame, data);
        if is_blank(data, layout.bits_allocated) && decoded.blank_frames.len() < 16 {
            decoded.blank_frames.push(frame);
        }
        if thumbnail && frame == middle {
            decoded.thumbnail = thumbnail::render(
                &Pixels {
                    data,
                    rows: layout.rows,
                    columns: layout.columns,
                    samples: layout.samples,
                    bits_allocated: layout.bits_allocated,
                    signed: obj
                        .get(tags::PIXEL_REPRESENTATION)
                        .and_then(|e| e.to_int::<u16>().ok())
                        == Some(1),
                    photometric: &layout.photometric,
                },
                &window,
            );
        }
    };
    if native {
        decode_native(obj, &layout, frame_bytes, &mut decoded, &mut on_frame);
    } else {
        decode_encapsulated(obj, &layout, frame_bytes, &mut decoded, &mut on_frame);
    }
    decoded
}

fn decode_native(
    obj: &DefaultDicomObject,
    layout: &Layout,
    frame_bytes: u64,
    decoded: &mut Decoded,
    on_frame: &mut impl FnMut(&mut Decoded, u32, &[u8]),
) {
    let Some(data) = obj.fragment(0) else {
        return;
    };
    if layout.bits_allocated == 1 {
        // Bit-packed frames need not start on a byte: count them by size, and look no further.
        let needed = (u64::from(layout.frames) * frame_bytes * 8).div_ceil(8);
        if (data.len() as u64) < needed {
            decoded.problems.push(Problem::new(
                ProblemKind::FramesMissing,
                None,
                format!(
                    "{} bytes of pixel data where {needed} are declared",
                    data.len()
                ),
            ));
        } else {
            decoded.frames_decoded = layout.frames;
        }
        return;
    }
    let size = frame_bytes as usize;
    for frame in 0..layout.frames {
        let start = frame as usize * size;
        match data.get(start..start + size) {
            Some(bytes) => on_frame(decoded, frame, bytes),
            None => {
                decoded.problems.push(missing(frame, layout.frames));
                return;
            }
        }
    }
}

/// The problem of a file whose frames `from` (0-based) to the last of `frames` are not there.
pub(super) fn missing(from: u32, frames: u32) -> Problem {
    Problem::new(
        ProblemKind::FramesMissing,
        Some(from),
        format!(
            "frames {} to {frames} of {frames} are not in the file",
            from + 1
        ),
    )
}

fn decode_encapsulated(
    obj: &DefaultDicomObject,
    layout: &Layout,
    frame_bytes: u64,
    decoded: &mut Decoded,
    on_frame: &mut impl FnMut(&mut Decoded, u32, &[u8]),
) {
    let uid = obj.meta().transfer_syntax().trim_end_matches(['\0', ' ']);
    let reader = TransferSyntaxRegistry
        .get(uid)
        .and_then(|ts| ts.pixel_data_reader().map(|r| (ts.name(), r)));
    let Some((name, reader)) = reader else {
        decoded.problems.push(Problem::new(
            ProblemKind::Unsupported,
            None,
            format!("transfer syntax {uid}"),
        ));
        return;
    };
    for frame in 0..layout.frames {
        let data = obj.frame_pixel_data(frame).filter(|d| !d.is_empty());
        let Some(data) = data else {
            decoded.problems.push(missing(frame, layout.frames));
            return;
        };
        if let Some(problem) = inspect_stream(uid, name, &data, layout) {
            let stop = problem.kind == ProblemKind::Unsupported;
            decoded.problems.push(Problem {
                frame: Some(frame),
                ..problem
            });
            if stop {
                return;
            }
            continue;
        }
        let mut out = Vec::new();
        let result = catch_unwind(AssertUnwindSafe(|| {
            reader.decode_frame(obj, frame, &mut out)
        }));
        let problem = match result {
            Ok(Ok(())) if out.len() as u64 == frame_bytes => {
                on_frame(decoded, frame, &out);
                None
            }
            Ok(Ok(())) => Some(Problem::new(
                ProblemKind::WrongSize,
                Some(frame),
                format!(
                    "decodes to {} bytes, the header declares {frame_bytes}",
                    out.len()
                ),
            )),
            Ok(Err(err)) => {
                let text = err.to_string();
                let kind = if text.to_lowercase().contains("support") {
                    ProblemKind::Unsupported
                } else {
                    ProblemKind::Corrupt
                };
                Some(Problem::new(kind, Some(frame), format!("{name}: {text}")))
            }
            Err(panic) => Some(Problem::new(
                ProblemKind::DecoderCrashed,
                Some(frame),
                format!("the decoder panicked: {}", panic_text(&*panic)),
            )),
        };
        decoded.problems.extend(problem);
    }
}

/// Checks a compressed frame before decoding: its codestream's geometry against the header, corruption that
/// the decoder would hide, and features the decoder lacks.
fn inspect_stream(uid: &str, name: &str, data: &[u8], layout: &Layout) -> Option<Problem> {
    let geometry = if JPEG_FAMILY.contains(&uid) {
        codestream::jpeg(data)
    } else if JPEG2000_FAMILY.contains(&uid) {
        codestream::jpeg2000(data)
    } else if uid == RLE {
        let segments = u32::from(layout.samples) * u32::from(layout.bits_allocated.div_ceil(8));
        return codestream::rle_table_problem(data, segments)
            .map(|detail| Problem::new(ProblemKind::Corrupt, None, detail));
    } else {
        return None;
    };
    let Some(geometry) = geometry else {
        return Some(Problem::new(
            ProblemKind::Corrupt,
            None,
            format!("no {name} image header in the frame's data"),
        ));
    };
    let declared = (
        u32::from(layout.rows),
        u32::from(layout.columns),
        u32::from(layout.samples),
    );
    if (geometry.rows, geometry.columns, geometry.components) != declared {
        return Some(Problem::new(
            ProblemKind::WrongSize,
            None,
            format!(
                "the compressed image is {} x {} with {} samples, the header declares {} x {} with {}",
                geometry.rows,
                geometry.columns,
                geometry.components,
                declared.0,
                declared.1,
                declared.2
            ),
        ));
    }
    if JPEG2000_FAMILY.contains(&uid) {
        let damage = codestream::jpeg2000_tile_data_problem(data).or_else(|| {
            tier2::check(data)
                .err()
                .map(|e| format!("JPEG 2000 packets: {e}"))
        });
        if let Some(damage) = damage {
            return Some(Problem::new(ProblemKind::Corrupt, None, damage));
        }
    }
    if JPEG_FAMILY[..4].contains(&uid)
        && let Err(corruption) = entropy::check(data)
    {
        return Some(Problem::new(
            ProblemKind::Corrupt,
            None,
            format!("corrupt JPEG data: {corruption}"),
        ));
    }
    let is_dct = JPEG_FAMILY[..2].contains(&uid) && !geometry.lossless;
    if is_dct && geometry.precision > 8 {
        return Some(Problem::new(
            ProblemKind::Unsupported,
            None,
            format!("{name} with {}-bit samples", geometry.precision),
        ));
    }
    None
}

/// The message of a caught panic.
pub fn panic_text(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into())
}

/// Every sample of the frame has the same value.
fn is_blank(data: &[u8], bits_allocated: u16) -> bool {
    let unit = usize::from(bits_allocated.div_ceil(8)).max(1);
    match data.get(..unit) {
        Some(first) => data.chunks_exact(unit).all(|c| c == first),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_frames() {
        assert!(is_blank(&[7, 7, 7, 7], 8));
        assert!(is_blank(&[1, 2, 1, 2], 16));
        assert!(!is_blank(&[1, 2, 2, 1], 16));
        assert!(!is_blank(&[], 8));
    }

    #[test]
    fn unreadable_data_set_is_not_decoded() {
        let d = FrameDecoder::default().header(b"not a dicom file at all");
        assert_eq!(d.problems[0].kind, ProblemKind::Unsupported);
    }
}

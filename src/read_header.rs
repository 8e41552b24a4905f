//! Read header: one hardened, header-only pass over each file, giving one compact [`InstanceRecord`].
//!
//! The reader stops at Pixel Data without reading it, checks every declared length against the bytes left in
//! the file, bounds sequence nesting, and keeps text as raw bytes that [`crate::charset`] decodes.

mod budget;
pub(crate) mod scan;
mod shared;

use std::cell::{Cell, OnceCell};
use std::io::{Read, Seek};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use dicom_core::Tag;
use dicom_encoding::transfer_syntax::Endianness;
use serde::Serialize;

use crate::charset::{self, DecodedText, SpecificCharacterSet};
pub use budget::InflateBudget;
pub use scan::Tokenizer;
use scan::{Event, Frame, Sniff, Source, ascii, decimals, integer, tag_key, trimmed, unsigned};
use shared::{Shared, Values};

/// What reading one file's header gave.
#[derive(Debug, Clone)]
pub enum HeaderOutcome {
    /// A DICOM instance; `record.defect` says whether the file is damaged (for example cut inside Pixel Data).
    Instance(Box<InstanceRecord>),
    /// Not a DICOM file at all (no `DICM` marker and not a raw data set).
    NotDicom(NotDicom),
    /// Looks like DICOM but cannot be used: damaged before the identifying attributes, or the OS failed the read.
    Unreadable(FileDefect),
}

/// Why a file is not DICOM.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NotDicom {
    /// Zero bytes long.
    Empty,
    /// Some bytes, but no DICOM marker and no recognisable data set.
    NoMarker,
    /// Left by an operating system (`.DS_Store`, `._*`, `Thumbs.db`, a `$RECYCLE.BIN` folder, ...): never read,
    /// never taken for an image.
    SystemFile,
}

/// A problem found in a file that is, or claims to be, DICOM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileDefect {
    /// What kind of problem.
    pub kind: DefectKind,
    /// A short technical detail (tag, offset, OS error), shown after the plain message.
    pub detail: String,
}

/// Kinds of damage a header read can find.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DefectKind {
    /// The file ends before its declared content does (cut inside an element, or before its image data).
    Truncated,
    /// An element claims more bytes than the file has left.
    BogusLength,
    /// Sequences nested deeper than any real file needs.
    TooDeep,
    /// Structurally invalid DICOM (bad meta group, impossible tokens, unknown encoding).
    Malformed,
    /// The operating system could not read the file (bad sector, permission, ...).
    Io,
}

/// Where the Pixel Data element sits and how long it is, known without reading the pixels.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PixelDataInfo {
    /// File offset of the first value byte (for encapsulated data: of the first item header).
    pub offset: u64,
    /// Native (declared length) or encapsulated (fragments walked by seeking).
    pub encoding: PixelEncoding,
}

/// Native or encapsulated Pixel Data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum PixelEncoding {
    /// Uncompressed: the declared value length in bytes.
    Native { declared_length: u64 },
    /// Compressed: number of items walked (the Basic Offset Table included), and whether the sequence
    /// delimiter was reached.
    Encapsulated { items: u32, complete: bool },
}

/// The header attributes of one instance that the checks and the report need. Small: no pixel data, ever; the
/// values files share (UIDs of the study and series, dates, names) are `Arc`s that the scan shares between
/// records.
#[derive(Debug, Clone, Default)]
pub struct InstanceRecord {
    /// Path relative to the scanned root.
    pub path: PathBuf,
    /// File size in bytes.
    pub size: u64,
    /// True for DICOM Part 10 files (preamble or `DICM`), false for raw data sets without file meta.
    pub part10: bool,
    /// Transfer Syntax UID (0002,0010), or the one guessed for a raw data set.
    pub transfer_syntax: Arc<str>,
    /// SOP Class UID (0008,0016), else Media Storage SOP Class UID (0002,0002).
    pub sop_class_uid: Arc<str>,
    /// SOP Instance UID (0008,0018), else Media Storage SOP Instance UID (0002,0003).
    pub sop_instance_uid: String,
    /// Patient's Name (0010,0010), decoded.
    pub patient_name: Option<Arc<DecodedText>>,
    /// Patient ID (0010,0020), decoded.
    pub patient_id: Option<Arc<DecodedText>>,
    /// Issuer of Patient ID (0010,0021) and Other Patient IDs (0010,1000), decoded; boxed, as few files have
    /// them (for `--passport`).
    pub other_ids: Option<Box<OtherIds>>,
    /// Patient's Birth Date (0010,0030), as written (trimmed).
    pub patient_birth_date: Option<Arc<str>>,
    /// Study Instance UID (0020,000D).
    pub study_instance_uid: Arc<str>,
    /// Study Date (0008,0020), as written (trimmed).
    pub study_date: Option<Arc<str>>,
    /// Study Description (0008,1030), decoded.
    pub study_description: Option<Arc<DecodedText>>,
    /// Series Instance UID (0020,000E).
    pub series_instance_uid: Arc<str>,
    /// Series Number (0020,0011).
    pub series_number: Option<i64>,
    /// Modality (0008,0060).
    pub modality: Option<Arc<str>>,
    /// Series Description (0008,103E), decoded.
    pub series_description: Option<Arc<DecodedText>>,
    /// Series Date (0008,0021).
    pub series_date: Option<Arc<str>>,
    /// Acquisition Date (0008,0022).
    pub acquisition_date: Option<Arc<str>>,
    /// Content Date (0008,0023).
    pub content_date: Option<Arc<str>>,
    /// Image Type (0008,0008), values joined with `\`.
    pub image_type: Option<Arc<str>>,
    /// Instance Number (0020,0013).
    pub instance_number: Option<i64>,
    /// Acquisition Number (0020,0012).
    pub acquisition_number: Option<i64>,
    /// Images in Acquisition (0020,1002).
    pub images_in_acquisition: Option<i64>,
    /// Image Position (Patient) (0020,0032).
    pub image_position: Option<[f64; 3]>,
    /// Image Orientation (Patient) (0020,0037).
    pub image_orientation: Option<[f64; 6]>,
    /// Slice Thickness (0018,0050).
    pub slice_thickness: Option<f64>,
    /// Rows (0028,0010).
    pub rows: Option<u16>,
    /// Columns (0028,0011).
    pub columns: Option<u16>,
    /// Samples per Pixel (0028,0002).
    pub samples_per_pixel: Option<u16>,
    /// Bits Allocated (0028,0100).
    pub bits_allocated: Option<u16>,
    /// Photometric Interpretation (0028,0004), trimmed: the images phase sizes native YBR_FULL_422 frames by it.
    pub photometric: Option<Arc<str>>,
    /// Number of Frames (0028,0008).
    pub number_of_frames: Option<u32>,
    /// What tells the volumes of a 4D series apart (echo, time point, b-value...); `None` when the header has
    /// none of it (boxed: most CT images carry none).
    pub volume: Option<Box<VolumeTags>>,
    /// Geometry from the functional groups of an enhanced object; `None` for the usual single-frame image (boxed
    /// so that the records of those stay small).
    pub frame_geometry: Option<Box<FrameGeometry>>,
    /// Pixel Data (7FE0,0010) position and length; `None` when the object has none.
    pub pixel_data: Option<PixelDataInfo>,
    /// Damage found in a file whose identifying attributes were read (cut inside Pixel Data, ...).
    pub defect: Option<Box<FileDefect>>,
    /// Bytes of the file the reader actually consumed (header bytes), for the benchmark and the bytes-read figure;
    /// for a deflated data set, the file meta group and the compressed bytes read to inflate it.
    pub header_bytes: u64,
    /// What the home doctor's report shows beside the study and series; shared between the records that give
    /// the same (a series, usually), so that it costs one pointer per record.
    pub details: Option<Arc<RecordDetails>>,
}

/// Header fields only the report shows: where and why the study was done, and how the series was sliced.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct RecordDetails {
    /// Institution Name (0008,0080), decoded.
    pub institution: Option<String>,
    /// Referring Physician's Name (0008,0090), decoded.
    pub referring_physician: Option<String>,
    /// Accession Number (0008,0050).
    pub accession_number: Option<String>,
    /// Study Time (0008,0030), as written.
    pub study_time: Option<String>,
    /// Body Part Examined (0018,0015).
    pub body_part: Option<String>,
    /// Spacing Between Slices (0018,0088), mm, as written.
    pub spacing_between_slices: Option<String>,
}

/// The geometry an enhanced multi-frame object keeps in its functional groups.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FrameGeometry {
    /// Per-frame Image Position (Patient) from the Per-frame Functional Groups Sequence (5200,9230), in frame
    /// order.
    pub positions: Vec<[f64; 3]>,
    /// Image Orientation (Patient) from the Shared (or first Per-frame) Functional Groups.
    pub orientation: Option<[f64; 6]>,
}

/// The attributes that tell apart the volumes of a series whose slice positions repeat (diffusion, fMRI,
/// multi-echo, multi-phase), read so a missing image can be named by its volume.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct VolumeTags {
    /// Temporal Position Identifier (0020,0100): the time point of a dynamic or fMRI series.
    pub temporal_position: Option<i32>,
    /// Echo Numbers (0018,0086), first value.
    pub echo: Option<i32>,
    /// Trigger Time (0018,1060) in ms: the cardiac phase.
    pub trigger_time: Option<f32>,
    /// Diffusion b-value: Diffusion b-value (0018,9087), else the vendor's (Siemens (0019,100C), GE
    /// (0043,1039), Philips (2001,1003)).
    pub b_value: Option<f32>,
    /// Diffusion gradient direction: (0018,9089), else Siemens (0019,100E).
    pub gradient: Option<[f32; 3]>,
}

/// The patient identifiers besides Patient ID.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OtherIds {
    /// Issuer of Patient ID (0010,0021): says what Patient ID is (a hospital number, a passport...).
    pub issuer: Option<String>,
    /// Other Patient IDs (0010,1000), each value.
    pub ids: Vec<String>,
}

impl InstanceRecord {
    /// Per-frame positions of an enhanced object, in frame order; empty for single-frame images.
    pub fn frame_positions(&self) -> &[[f64; 3]] {
        self.frame_geometry
            .as_deref()
            .map_or(&[], |g| g.positions.as_slice())
    }

    /// Image Orientation (Patient) from the functional groups of an enhanced object.
    pub fn frame_orientation(&self) -> Option<[f64; 6]> {
        self.frame_geometry.as_ref().and_then(|g| g.orientation)
    }

    /// Number of frames, treating an absent or zero Number of Frames as one.
    pub fn frames(&self) -> u32 {
        self.number_of_frames.filter(|&n| n > 0).unwrap_or(1)
    }

    /// Samples per pixel as stored in native pixel data: YBR_FULL_422 holds two (two luminance samples share one
    /// pair of chrominance samples) whatever its Samples per Pixel of 3, as in real ultrasound files.
    pub fn native_samples(&self) -> u16 {
        if self.photometric.as_deref() == Some("YBR_FULL_422") {
            2
        } else {
            self.samples_per_pixel.unwrap_or(1)
        }
    }

    /// Expected size in bytes of native pixel data: rows × columns × samples × bits / 8 × frames.
    pub fn expected_pixel_bytes(&self) -> Option<u64> {
        let rows = u64::from(self.rows?);
        let columns = u64::from(self.columns?);
        let samples = u64::from(self.native_samples());
        let bits = u64::from(self.bits_allocated?);
        Some((rows * columns * samples * bits).div_ceil(8) * u64::from(self.frames()))
    }
}

/// Reads the header of one regular file. Never reads Pixel Data values, never panics on bad input, and never
/// allocates more than a small multiple of the bytes actually present in the file.
///
/// `path` is opened read-only; `relative` is what the record stores as its path.
pub fn read_header(path: &Path, relative: &Path) -> HeaderOutcome {
    match Source::open(path) {
        Ok(source) => read_source(source, relative),
        Err(e) => HeaderOutcome::Unreadable(FileDefect {
            kind: DefectKind::Io,
            detail: e.to_string(),
        }),
    }
}

thread_local! {
    /// Header bytes of the last file this thread read through [`read_header_budgeted`]: the files of one series
    /// have headers of about one size, so the next file's first read is sized from it.
    static LAST_HEADER: Cell<u64> = const { Cell::new(0) };
}

/// Bytes of the first read of a file whose header is expected to hold about `header` bytes: that with a
/// kilobyte to spare, in whole pages, so that a header longer than the default buffer (a vendor's private
/// groups) is read in one read instead of two; the default when nothing is known yet.
fn first_read_size(header: u64) -> usize {
    const PAGE: u64 = 4096;
    let wanted = header
        .saturating_add(1024)
        .div_ceil(PAGE)
        .saturating_mul(PAGE);
    usize::try_from(wanted)
        .unwrap_or(usize::MAX)
        .clamp(scan::BUF_CAPACITY, scan::MAX_BUF_CAPACITY)
}

/// [`read_header`] of an open media file or archive member, drawing every inflated byte from the scan's `budget`.
/// Its first read is sized from the header this thread read last (how much is read at a time changes nothing in
/// the outcome: the differential test reads at many sizes).
pub fn read_header_budgeted<R: Read + Seek + 'static>(
    source: R,
    size: u64,
    relative: &Path,
    budget: Arc<InflateBudget>,
) -> HeaderOutcome {
    let capacity = first_read_size(LAST_HEADER.get());
    let outcome = read_source(
        Source::with_capacity(Box::new(source), size, capacity).with_budget(budget),
        relative,
    );
    if let HeaderOutcome::Instance(record) = &outcome {
        LAST_HEADER.set(record.header_bytes);
    }
    outcome
}

/// [`read_header`] over any seekable byte source positioned at its start and holding `size` bytes: the seam
/// through which tests inject I/O errors, short reads and interrupted reads, and fuzzers feed bytes.
pub fn read_header_from<R: Read + Seek + 'static>(
    source: R,
    size: u64,
    relative: &Path,
) -> HeaderOutcome {
    read_header_with(source, size, relative, Tokenizer::Fast)
}

/// [`read_header_from`] with the tokenizer chosen: the differential test and the fuzz target read the same bytes
/// with [`Tokenizer::Fast`] and with dicom-rs as [`Tokenizer::Reference`], and require the same outcome.
pub fn read_header_with<R: Read + Seek + 'static>(
    source: R,
    size: u64,
    relative: &Path,
    tokenizer: Tokenizer,
) -> HeaderOutcome {
    read_header_buffered(source, size, relative, tokenizer, scan::BUF_CAPACITY)
}

/// [`read_header_with`] reading `capacity` bytes at a time (at most 64 KiB): the buffer's end falls elsewhere in
/// the header, which must change nothing (the differential test).
pub fn read_header_buffered<R: Read + Seek + 'static>(
    source: R,
    size: u64,
    relative: &Path,
    tokenizer: Tokenizer,
    capacity: usize,
) -> HeaderOutcome {
    let mut source = Source::with_capacity(Box::new(source), size, capacity);
    source.set_tokenizer(tokenizer);
    read_source(source, relative)
}

/// Two readings of the same bytes that disagree: the fast tokenizer's and dicom-rs's.
#[derive(Debug)]
pub struct Disagreement {
    /// What [`Tokenizer::Fast`] gave.
    pub fast: HeaderOutcome,
    /// What [`Tokenizer::Reference`] gave.
    pub reference: HeaderOutcome,
}

/// Reads `bytes` with both tokenizers: the fast outcome when both give the same record (or the same kind of
/// defect: the details are worded by each decoder), else both. The check of the differential test and the fuzz
/// target.
pub fn read_both(bytes: &[u8]) -> Result<HeaderOutcome, Box<Disagreement>> {
    read_both_buffered(bytes, scan::BUF_CAPACITY)
}

/// [`read_both`] with the fast tokenizer reading `capacity` bytes at a time (the reference reads 8 KiB at a
/// time): the outcome must not depend on where the read buffer ends.
pub fn read_both_buffered(
    bytes: &[u8],
    capacity: usize,
) -> Result<HeaderOutcome, Box<Disagreement>> {
    let read = |tokenizer, capacity| {
        let cursor = std::io::Cursor::new(bytes.to_vec());
        read_header_buffered(
            cursor,
            bytes.len() as u64,
            Path::new("IM"),
            tokenizer,
            capacity,
        )
    };
    let fast = read(Tokenizer::Fast, capacity);
    let reference = read(Tokenizer::Reference, scan::BUF_CAPACITY);
    if comparable(&fast) == comparable(&reference) {
        Ok(fast)
    } else {
        Err(Box::new(Disagreement { fast, reference }))
    }
}

/// An outcome with every defect's detail dropped, as text.
fn comparable(outcome: &HeaderOutcome) -> String {
    let kind_only = |d: &FileDefect| FileDefect {
        kind: d.kind,
        detail: String::new(),
    };
    match outcome {
        HeaderOutcome::Instance(record) => {
            let mut record = record.clone();
            record.defect = record.defect.map(|d| Box::new(kind_only(&d)));
            format!("{record:?}")
        }
        HeaderOutcome::Unreadable(defect) => format!("{:?}", kind_only(defect)),
        other => format!("{other:?}"),
    }
}

fn read_source(source: Source, relative: &Path) -> HeaderOutcome {
    shared::with_shared(|shared| read_sharing(source, relative, shared))
}

/// [`read_source`] with the reader thread's shared values and text buffers.
fn read_sharing(mut source: Source, relative: &Path, shared: &mut Shared) -> HeaderOutcome {
    let mut record = InstanceRecord {
        path: relative.to_path_buf(),
        size: source.size(),
        ..Default::default()
    };
    shared.raw.clear();
    let result = match source.sniff() {
        Ok(Sniff::Empty) => return HeaderOutcome::NotDicom(NotDicom::Empty),
        Ok(Sniff::NoMarker) => return HeaderOutcome::NotDicom(NotDicom::NoMarker),
        Ok(sniff) => scan(&mut source, sniff, &mut record, shared),
        Err(defect) => Err(defect),
    };
    // A cut or corrupt deflate stream ends the inflated data early: that, not where the walk ran out, is the
    // damage.
    let result = match (result, source.inflate_defect()) {
        (Ok(()), Some(cut)) => Err(cut),
        (Err(defect), Some(cut)) if defect.kind == DefectKind::Truncated => Err(cut),
        (result, _) => result,
    };
    record.header_bytes = source.bytes_read();
    shared.raw.decode_into(&mut record, &mut shared.values);
    match result {
        Ok(()) => HeaderOutcome::Instance(Box::new(record)),
        Err(defect)
            if record.sop_instance_uid.is_empty()
                || record.study_instance_uid.is_empty()
                || record.series_instance_uid.is_empty() =>
        {
            HeaderOutcome::Unreadable(defect)
        }
        Err(defect) => {
            record.defect = Some(Box::new(defect));
            HeaderOutcome::Instance(Box::new(record))
        }
    }
}

/// Common image storage SOP classes, whose objects always carry Pixel Data: a file of one of them that ends
/// cleanly between two elements before its image data was cut at an element boundary, unless its data set went
/// past [`ROWS`] without one (see [`scan`]).
const IMAGE_STORAGE: [&str; 16] = [
    "1.2.840.10008.5.1.4.1.1.1",
    "1.2.840.10008.5.1.4.1.1.1.1",
    "1.2.840.10008.5.1.4.1.1.1.2",
    "1.2.840.10008.5.1.4.1.1.2",
    "1.2.840.10008.5.1.4.1.1.2.1",
    "1.2.840.10008.5.1.4.1.1.3.1",
    "1.2.840.10008.5.1.4.1.1.4",
    "1.2.840.10008.5.1.4.1.1.4.1",
    "1.2.840.10008.5.1.4.1.1.6.1",
    "1.2.840.10008.5.1.4.1.1.7",
    "1.2.840.10008.5.1.4.1.1.12.1",
    "1.2.840.10008.5.1.4.1.1.12.2",
    "1.2.840.10008.5.1.4.1.1.20",
    "1.2.840.10008.5.1.4.1.1.128",
    "1.2.840.10008.5.1.4.1.1.130",
    "1.2.840.10008.5.1.4.1.1.481.1",
];

/// Rows (0028,0010): Type 1 wherever there is Pixel Data.
const ROWS: Tag = Tag(0x0028, 0x0010);

/// Reads the meta group (if any) and the data set into `record`; a defect stops the scan. Defects found in Pixel
/// Data (after the attributes) are stored in `record.defect` directly.
fn scan(
    source: &mut Source,
    sniff: Sniff,
    record: &mut InstanceRecord,
    shared: &mut Shared,
) -> Result<(), FileDefect> {
    record.part10 = sniff == Sniff::Part10;
    match sniff {
        Sniff::Raw {
            meta: false,
            explicit,
            big_endian,
        } => {
            let syntax = match (explicit, big_endian) {
                (_, true) => scan::EXPLICIT_BE,
                (true, false) => scan::EXPLICIT_LE,
                (false, false) => scan::IMPLICIT_LE,
            };
            record.transfer_syntax = shared.values.text(syntax.as_bytes());
        }
        _ => {
            let meta = source.read_meta()?;
            record.transfer_syntax = shared.values.text(meta.transfer_syntax.raw());
            record.sop_class_uid = shared.values.text(meta.sop_class_uid.raw());
            record.sop_instance_uid = ascii(meta.sop_instance_uid.raw());
        }
    }
    let ts = source.data_set_syntax(&record.transfer_syntax)?;
    let big_endian = ts.endianness() == Endianness::Big;
    // Where the data set ends: the file size, or for a deflated data set the inflated size.
    let data_end = source.size();
    let capped = source.capped();
    let mut walker = source.walker(ts)?;
    let mut multi_frame = MultiFrame::default();
    let mut float_pixels = false;
    // Whether a root element past Rows was read. An image object without Rows by then has none: ending cleanly,
    // it was not cut before its image but never had one (a stripped or test object such as pydicom's
    // `priv_SQ.dcm` and `UN_sequence.dcm`), and reads as a non-image object.
    let mut past_rows = false;
    let mut value = Vec::with_capacity(256);
    let fragments_at = loop {
        // Root elements neither taken nor Float or Double Float Pixel Data (7FE0,0008/0009) nor the first past
        // Rows are not reported.
        let stops = if past_rows {
            &ROOT_STOPS[..]
        } else {
            &ROOT_STOPS[..=ROOT_STOPS_PAST_ROWS]
        };
        let Some(event) = walker.next_event_skipping(stops)? else {
            let image_class = IMAGE_STORAGE.contains(&&*record.sop_class_uid);
            if (record.rows.is_some() || (image_class && !past_rows)) && !float_pixels {
                return Err(FileDefect {
                    kind: DefectKind::Truncated,
                    detail: "file ends before its image data".to_string(),
                });
            }
            return Ok(());
        };
        match event {
            Event::Element(tag) => {
                if walker.stack().is_empty() {
                    past_rows |= tag > ROWS;
                    float_pixels |= tag == Tag(0x7FE0, 0x0008) || tag == Tag(0x7FE0, 0x0009);
                    if root_wanted(tag) {
                        walker.with_value(|raw| take_root(tag, raw, big_endian, record, shared))?;
                    }
                } else if let Some(slot) = MultiFrame::slot(walker.stack(), tag)
                    && walker.read_value(&mut value)?
                {
                    multi_frame.take(slot, &value, record);
                }
            }
            Event::PixelData {
                offset,
                declared_length,
            } => {
                let declared = u64::from(declared_length);
                let present = data_end.saturating_sub(offset);
                record.pixel_data = Some(PixelDataInfo {
                    offset,
                    encoding: PixelEncoding::Native {
                        declared_length: declared,
                    },
                });
                if declared > present && !capped {
                    record.defect = Some(Box::new(FileDefect {
                        kind: DefectKind::Truncated,
                        detail: format!(
                            "file ends inside the image data: {present} of {declared} bytes present"
                        ),
                    }));
                }
                return Ok(());
            }
            Event::PixelSequence { offset } => break offset,
            Event::PastPixelData(_) => return Ok(()),
            Event::SeqStart(tag) => past_rows |= walker.stack().len() == 1 && tag > ROWS,
            Event::ItemStart { .. } | Event::ItemEnd | Event::SeqEnd => {}
        }
    };
    drop(walker);
    let fragments = source.walk_fragments();
    record.pixel_data = Some(PixelDataInfo {
        offset: fragments_at,
        encoding: PixelEncoding::Encapsulated {
            items: fragments.items,
            complete: fragments.complete,
        },
    });
    record.defect = fragments.defect.map(Box::new);
    Ok(())
}

/// The raw text attributes [`RawTexts`] keeps until the root Specific Character Set is known.
#[derive(Debug, Clone, Copy)]
enum Raw {
    Charset,
    PatientName,
    PatientId,
    Issuer,
    OtherIds,
    StudyDescription,
    SeriesDescription,
    Institution,
    ReferringPhysician,
    StudyTime,
    AccessionNumber,
    BodyPart,
    SpacingBetweenSlices,
}

impl Raw {
    /// How many kinds there are: the last one's index and one.
    const KINDS: usize = Raw::SpacingBetweenSlices as usize + 1;
}

/// Raw bytes of the text attributes, decoded once the root Specific Character Set is known. Kept per reader
/// thread and cleared for each file: its buffers are reused, not allocated per file.
#[derive(Default)]
struct RawTexts {
    /// The value of each [`Raw`], when the file has one.
    values: [RawValue; Raw::KINDS],
    /// Which vendor owns the private block whose b-value and gradient are read: (0019,0010) is
    /// `SIEMENS MR HEADER`, (0043,0010) `GEMS_PARM_01`, (2001,0010) `Philips Imaging DD 001`.
    private_owner: [bool; 3],
}

/// One raw value and whether the file has it.
#[derive(Default)]
struct RawValue {
    present: bool,
    bytes: Vec<u8>,
}

impl RawTexts {
    /// Forgets the last file's values, keeping the buffers.
    fn clear(&mut self) {
        for value in &mut self.values {
            value.present = false;
        }
        self.private_owner = [false; 3];
    }

    fn set(&mut self, kind: Raw, raw: &[u8]) {
        let value = &mut self.values[kind as usize];
        value.bytes.clear();
        value.bytes.extend_from_slice(raw);
        value.present = true;
    }

    fn get(&self, kind: Raw) -> Option<&[u8]> {
        let value = &self.values[kind as usize];
        value.present.then_some(value.bytes.as_slice())
    }

    /// Decodes the texts into `record`, sharing the values earlier files had through `values`.
    fn decode_into(&self, record: &mut InstanceRecord, values: &mut Values) {
        let charset_raw = self.get(Raw::Charset).unwrap_or_default();
        let made = OnceCell::new();
        let charset = || made.get_or_init(|| SpecificCharacterSet::from_raw(charset_raw));
        let mut decode = |kind| {
            self.get(kind)
                .map(|raw| values.decoded(raw, charset_raw, charset))
        };
        record.patient_name = decode(Raw::PatientName);
        record.patient_id = decode(Raw::PatientId);
        record.study_description = decode(Raw::StudyDescription);
        record.series_description = decode(Raw::SeriesDescription);
        let (issuer, other_ids) = (self.get(Raw::Issuer), self.get(Raw::OtherIds));
        if issuer.is_some() || other_ids.is_some() {
            let text = |raw: &[u8]| charset::decode(raw, charset()).text;
            record.other_ids = Some(Box::new(OtherIds {
                issuer: issuer.map(text).filter(|t| !t.trim().is_empty()),
                ids: other_ids
                    .map(text)
                    .map(|t| {
                        charset::split_values(&t)
                            .map(|v| v.trim().to_string())
                            .filter(|v| !v.is_empty())
                            .collect()
                    })
                    .unwrap_or_default(),
            }));
        }
        let details = [
            Raw::Institution,
            Raw::ReferringPhysician,
            Raw::StudyTime,
            Raw::AccessionNumber,
            Raw::BodyPart,
            Raw::SpacingBetweenSlices,
        ]
        .map(|kind| self.get(kind));
        let [
            institution,
            referring_physician,
            study_time,
            accession_number,
            body_part,
            spacing,
        ] = details;
        let [a, b, c, d, e, f] = details.map(Option::unwrap_or_default);
        record.details = values.details(&[a, b, c, d, e, f, charset_raw], || {
            let plain = |raw: Option<&[u8]>| {
                raw.map(|raw| charset::decode(raw, charset()).text)
                    .filter(|t| !t.trim().is_empty())
            };
            let as_written = |raw: Option<&[u8]>| raw.map(ascii).filter(|v| !v.is_empty());
            let details = RecordDetails {
                institution: plain(institution),
                referring_physician: plain(referring_physician),
                accession_number: as_written(accession_number),
                study_time: as_written(study_time),
                body_part: as_written(body_part),
                spacing_between_slices: as_written(spacing),
            };
            (details != RecordDetails::default()).then_some(details)
        });
    }
}

/// Root-level attributes [`take_root`] stores, in ascending order: only their values are read, the others are
/// seeked over.
const ROOT_WANTED: [Tag; 49] = [
    Tag(0x0008, 0x0005),
    Tag(0x0008, 0x0008),
    Tag(0x0008, 0x0016),
    Tag(0x0008, 0x0018),
    Tag(0x0008, 0x0020),
    Tag(0x0008, 0x0021),
    Tag(0x0008, 0x0022),
    Tag(0x0008, 0x0023),
    Tag(0x0008, 0x0030),
    Tag(0x0008, 0x0050),
    Tag(0x0008, 0x0060),
    Tag(0x0008, 0x0080),
    Tag(0x0008, 0x0090),
    Tag(0x0008, 0x1030),
    Tag(0x0008, 0x103E),
    Tag(0x0010, 0x0010),
    Tag(0x0010, 0x0020),
    Tag(0x0010, 0x0021),
    Tag(0x0010, 0x0030),
    Tag(0x0010, 0x1000),
    Tag(0x0018, 0x0015),
    Tag(0x0018, 0x0050),
    Tag(0x0018, 0x0086),
    Tag(0x0018, 0x0088),
    Tag(0x0018, 0x1060),
    Tag(0x0018, 0x9087),
    Tag(0x0018, 0x9089),
    Tag(0x0019, 0x0010),
    Tag(0x0019, 0x100C),
    Tag(0x0019, 0x100E),
    Tag(0x0020, 0x000D),
    Tag(0x0020, 0x000E),
    Tag(0x0020, 0x0011),
    Tag(0x0020, 0x0012),
    Tag(0x0020, 0x0013),
    Tag(0x0020, 0x0032),
    Tag(0x0020, 0x0037),
    Tag(0x0020, 0x0100),
    Tag(0x0020, 0x1002),
    Tag(0x0028, 0x0002),
    Tag(0x0028, 0x0004),
    Tag(0x0028, 0x0008),
    Tag(0x0028, 0x0010),
    Tag(0x0028, 0x0011),
    Tag(0x0028, 0x0100),
    Tag(0x0043, 0x0010),
    Tag(0x0043, 0x1039),
    Tag(0x2001, 0x0010),
    Tag(0x2001, 0x1003),
];

/// Where the fast tokenizer's skip loop stops at the root: the wanted attributes and group 7FE0 (Pixel Data, and
/// Float and Double Float Pixel Data, which the scan notes), as ascending tag keys. Built, and its order checked,
/// at compile time.
const ROOT_STOPS: [u32; ROOT_WANTED.len() + 1] = {
    let mut stops = [tag_key(Tag(0x7FE0, 0x0000)); ROOT_WANTED.len() + 1];
    let mut i = 0;
    while i < ROOT_WANTED.len() {
        stops[i] = tag_key(ROOT_WANTED[i]);
        assert!(i == 0 || stops[i - 1] < stops[i], "ROOT_WANTED must ascend");
        i += 1;
    }
    assert!(
        stops[i - 1] < stops[i],
        "ROOT_WANTED must end before group 7FE0"
    );
    stops
};

/// Where in [`ROOT_STOPS`] the key just past Rows is, (0028,0011): the stops up to it, as the skip loop also
/// stops at or past the last, report the first root element past Rows.
const ROOT_STOPS_PAST_ROWS: usize = {
    let mut i = 0;
    while ROOT_STOPS[i] != tag_key(ROWS) + 1 {
        i += 1;
    }
    i
};

fn root_wanted(tag: Tag) -> bool {
    ROOT_WANTED.binary_search(&tag).is_ok()
}

/// Stores a root-level value the record needs (one of [`root_wanted`]); ignores the rest.
fn take_root(tag: Tag, raw: &[u8], big_endian: bool, r: &mut InstanceRecord, shared: &mut Shared) {
    let Shared { values, raw: t } = shared;
    match (tag.0, tag.1) {
        (0x0008, 0x0005) => t.set(Raw::Charset, raw),
        (0x0008, 0x0008) => r.image_type = Some(values.text(raw)),
        (0x0008, 0x0018) => {
            let uid = trimmed(raw);
            if !uid.is_empty() {
                // Into the meta group's copy of (nearly always) the same UID: no second allocation.
                r.sop_instance_uid.clear();
                r.sop_instance_uid.push_str(&uid);
            }
        }
        (0x0008, 0x0016) | (0x0020, 0x000D) | (0x0020, 0x000E) => {
            let uid = values.text(raw);
            if !uid.is_empty() {
                match tag.1 {
                    0x0016 => r.sop_class_uid = uid,
                    0x000D => r.study_instance_uid = uid,
                    _ => r.series_instance_uid = uid,
                }
            }
        }
        (0x0008, 0x0020) => r.study_date = Some(values.text(raw)),
        (0x0008, 0x0021) => r.series_date = Some(values.text(raw)),
        (0x0008, 0x0022) => r.acquisition_date = Some(values.text(raw)),
        (0x0008, 0x0023) => r.content_date = Some(values.text(raw)),
        (0x0008, 0x0060) => r.modality = Some(values.text(raw)),
        (0x0008, 0x1030) => t.set(Raw::StudyDescription, raw),
        (0x0008, 0x103E) => t.set(Raw::SeriesDescription, raw),
        (0x0010, 0x0010) => t.set(Raw::PatientName, raw),
        (0x0010, 0x0020) => t.set(Raw::PatientId, raw),
        (0x0010, 0x0021) => t.set(Raw::Issuer, raw),
        (0x0010, 0x1000) => t.set(Raw::OtherIds, raw),
        (0x0010, 0x0030) => r.patient_birth_date = Some(values.text(raw)),
        (0x0018, 0x0050) => r.slice_thickness = decimals::<1>(raw).map(|[v]| v),
        (0x0020, 0x0011) => r.series_number = integer(raw),
        (0x0020, 0x0012) => r.acquisition_number = integer(raw),
        (0x0020, 0x0013) => r.instance_number = integer(raw),
        (0x0020, 0x0032) => r.image_position = decimals(raw),
        (0x0020, 0x0037) => r.image_orientation = decimals(raw),
        (0x0020, 0x1002) => r.images_in_acquisition = integer(raw),
        (0x0028, 0x0002) => r.samples_per_pixel = unsigned(raw, big_endian),
        (0x0028, 0x0004) => r.photometric = Some(values.text(raw)),
        (0x0028, 0x0008) => r.number_of_frames = integer(raw).and_then(|n| u32::try_from(n).ok()),
        (0x0028, 0x0010) => r.rows = unsigned(raw, big_endian),
        (0x0028, 0x0011) => r.columns = unsigned(raw, big_endian),
        (0x0028, 0x0100) => r.bits_allocated = unsigned(raw, big_endian),
        (0x0008, 0x0080) => t.set(Raw::Institution, raw),
        (0x0008, 0x0090) => t.set(Raw::ReferringPhysician, raw),
        // A value of only padding says nothing, and does not replace one that did.
        _ if !raw.iter().any(|&b| b != b' ' && b != 0)
            && matches!(
                (tag.0, tag.1),
                (0x0008, 0x0030 | 0x0050) | (0x0018, 0x0015 | 0x0088)
            ) => {}
        (0x0008, 0x0030) => t.set(Raw::StudyTime, raw),
        (0x0008, 0x0050) => t.set(Raw::AccessionNumber, raw),
        (0x0018, 0x0015) => t.set(Raw::BodyPart, raw),
        (0x0018, 0x0088) => t.set(Raw::SpacingBetweenSlices, raw),
        (0x0019, 0x0010) | (0x0043, 0x0010) | (0x2001, 0x0010) => {
            let (slot, owner) = match tag.0 {
                0x0019 => (0, "SIEMENS MR HEADER"),
                0x0043 => (1, "GEMS_PARM_01"),
                _ => (2, "Philips Imaging DD 001"),
            };
            t.private_owner[slot] = ascii(raw).eq_ignore_ascii_case(owner);
        }
        _ => take_volume(tag, raw, big_endian, r, t.private_owner),
    }
}

/// Stores an attribute that tells the volumes of a 4D series apart (see [`VolumeTags`]).
fn take_volume(tag: Tag, raw: &[u8], big_endian: bool, r: &mut InstanceRecord, owner: [bool; 3]) {
    let float = |i: usize, width: usize| binary_float(raw, i, width, big_endian);
    let direction = || {
        let v = [float(0, 8)?, float(1, 8)?, float(2, 8)?];
        Some(v.map(|c| c as f32))
    };
    let decimal = || decimals::<1>(raw).map(|[v]| v as f32);
    // Changed on a copy: most calls leave it empty, and a box made and freed for each was several allocations
    // per file.
    let mut v = r.volume.as_deref().copied().unwrap_or_default();
    match (tag.0, tag.1) {
        (0x0020, 0x0100) => v.temporal_position = integer(raw).and_then(|n| i32::try_from(n).ok()),
        (0x0018, 0x0086) => v.echo = integer(raw).and_then(|n| i32::try_from(n).ok()),
        (0x0018, 0x1060) => v.trigger_time = decimal(),
        (0x0018, 0x9087) => v.b_value = float(0, 8).map(|b| b as f32),
        (0x0018, 0x9089) => v.gradient = direction(),
        (0x0019, 0x100C) if owner[0] => v.b_value = v.b_value.or(decimal()),
        (0x0019, 0x100E) if owner[0] => v.gradient = v.gradient.or(direction()),
        // GE adds 10^9 to the b-value on some software versions.
        (0x0043, 0x1039) if owner[1] => {
            v.b_value = v
                .b_value
                .or(integer(raw).map(|b| (b % 1_000_000_000) as f32));
        }
        (0x2001, 0x1003) if owner[2] => v.b_value = v.b_value.or(float(0, 4).map(|b| b as f32)),
        _ => {}
    }
    match &mut r.volume {
        _ if v == VolumeTags::default() => r.volume = None,
        Some(kept) => **kept = v,
        None => r.volume = Some(Box::new(v)),
    }
}

/// The `i`-th FD (`width` 8) or FL (`width` 4) value of `raw`, when present and finite.
fn binary_float(raw: &[u8], i: usize, width: usize, big_endian: bool) -> Option<f64> {
    let bytes = raw.get(i * width..(i + 1) * width)?;
    let value = match (width, big_endian) {
        (8, false) => f64::from_le_bytes(bytes.try_into().ok()?),
        (8, true) => f64::from_be_bytes(bytes.try_into().ok()?),
        (_, false) => f64::from(f32::from_le_bytes(bytes.try_into().ok()?)),
        (_, true) => f64::from(f32::from_be_bytes(bytes.try_into().ok()?)),
    };
    value.is_finite().then_some(value)
}

/// Most per-frame positions kept for one object.
const MAX_FRAME_POSITIONS: usize = 10_000;

/// Per-frame Functional Groups Sequence (5200,9230).
const PER_FRAME_GROUPS: Tag = Tag(0x5200, 0x9230);
/// Shared Functional Groups Sequence (5200,9229).
const SHARED_GROUPS: Tag = Tag(0x5200, 0x9229);
/// Plane Position Sequence (0020,9113).
const PLANE_POSITION: Tag = Tag(0x0020, 0x9113);
/// Plane Orientation Sequence (0020,9116).
const PLANE_ORIENTATION: Tag = Tag(0x0020, 0x9116);

/// Collects enhanced multi-frame geometry from the functional group sequences.
#[derive(Default)]
struct MultiFrame {
    /// Index of the per-frame item whose position was taken last.
    last_frame: Option<u32>,
    /// Orientation from the shared functional groups, which wins over the first frame's.
    shared_orientation: bool,
}

/// A nested attribute [`MultiFrame`] keeps.
#[derive(Debug, Clone, Copy)]
enum Slot {
    /// Image Position (Patient) of the per-frame item with this index.
    FramePosition(u32),
    /// Image Orientation (Patient) of the shared functional groups.
    SharedOrientation,
    /// Image Orientation (Patient) of the first per-frame item.
    FirstFrameOrientation,
}

impl MultiFrame {
    /// The slot an element at this place fills, if any: only those values are read.
    fn slot(stack: &[Frame], tag: Tag) -> Option<Slot> {
        let [
            Frame::Seq { tag: groups, .. },
            Frame::Item { index, .. },
            Frame::Seq { tag: macro_seq, .. },
            Frame::Item { .. },
        ] = *stack
        else {
            return None;
        };
        match (groups, macro_seq, tag) {
            (PER_FRAME_GROUPS, PLANE_POSITION, Tag(0x0020, 0x0032)) => {
                Some(Slot::FramePosition(index))
            }
            (SHARED_GROUPS, PLANE_ORIENTATION, Tag(0x0020, 0x0037)) => {
                Some(Slot::SharedOrientation)
            }
            (PER_FRAME_GROUPS, PLANE_ORIENTATION, Tag(0x0020, 0x0037)) if index == 0 => {
                Some(Slot::FirstFrameOrientation)
            }
            _ => None,
        }
    }

    fn take(&mut self, slot: Slot, raw: &[u8], r: &mut InstanceRecord) {
        match slot {
            Slot::FramePosition(index) => {
                if self.last_frame.is_none_or(|last| index > last)
                    && r.frame_positions().len() < MAX_FRAME_POSITIONS
                    && let Some(position) = decimals(raw)
                {
                    r.frame_geometry
                        .get_or_insert_default()
                        .positions
                        .push(position);
                    self.last_frame = Some(index);
                }
            }
            Slot::SharedOrientation => {
                if let Some(orientation) = decimals(raw) {
                    r.frame_geometry.get_or_insert_default().orientation = Some(orientation);
                    self.shared_orientation = true;
                }
            }
            Slot::FirstFrameOrientation => {
                let orientation = decimals(raw);
                if !self.shared_orientation && (orientation.is_some() || r.frame_geometry.is_some())
                {
                    r.frame_geometry.get_or_insert_default().orientation = orientation;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dicom_core::value::{DataSetSequence, PixelFragmentSequence};
    use dicom_core::{DataElement, Length, PrimitiveValue, VR, dicom_value};
    use dicom_dictionary_std::{tags, uids};
    use dicom_object::{FileMetaTableBuilder, InMemDicomObject};

    const ROWS: u16 = 4;
    const COLUMNS: u16 = 3;

    fn image(pixels: bool) -> InMemDicomObject {
        let mut obj = InMemDicomObject::new_empty();
        let mut put = |tag, vr, value: PrimitiveValue| obj.put(DataElement::new(tag, vr, value));
        put(tags::SPECIFIC_CHARACTER_SET, VR::CS, "ISO_IR 192".into());
        put(
            tags::IMAGE_TYPE,
            VR::CS,
            dicom_value!(Strs, ["ORIGINAL", "PRIMARY", "AXIAL"]),
        );
        put(tags::SOP_CLASS_UID, VR::UI, uids::CT_IMAGE_STORAGE.into());
        put(tags::SOP_INSTANCE_UID, VR::UI, "1.2.3.4.5.6".into());
        put(tags::STUDY_DATE, VR::DA, "20240115".into());
        put(tags::MODALITY, VR::CS, "CT".into());
        put(tags::PATIENT_NAME, VR::PN, "Wang^XiaoDong=王^小东=".into());
        put(tags::PATIENT_ID, VR::LO, "P-001".into());
        put(tags::PATIENT_BIRTH_DATE, VR::DA, "19800402".into());
        put(tags::STUDY_INSTANCE_UID, VR::UI, "1.2.3.4".into());
        put(tags::SERIES_INSTANCE_UID, VR::UI, "1.2.3.4.5".into());
        put(tags::SERIES_NUMBER, VR::IS, "3".into());
        put(tags::INSTANCE_NUMBER, VR::IS, " 17".into());
        put(
            tags::IMAGE_POSITION_PATIENT,
            VR::DS,
            dicom_value!(Strs, ["-125.5", "10", "42.25"]),
        );
        put(
            tags::IMAGE_ORIENTATION_PATIENT,
            VR::DS,
            dicom_value!(Strs, ["1", "0", "0", "0", "1", "0"]),
        );
        put(tags::SAMPLES_PER_PIXEL, VR::US, PrimitiveValue::from(1_u16));
        put(tags::ROWS, VR::US, PrimitiveValue::from(ROWS));
        put(tags::COLUMNS, VR::US, PrimitiveValue::from(COLUMNS));
        put(tags::BITS_ALLOCATED, VR::US, PrimitiveValue::from(16_u16));
        if pixels {
            let words = vec![7_u16; usize::from(ROWS * COLUMNS)];
            put(tags::PIXEL_DATA, VR::OW, PrimitiveValue::U16(words.into()));
        }
        obj
    }

    fn part10(obj: InMemDicomObject, ts: &str) -> Vec<u8> {
        let file = obj
            .with_meta(FileMetaTableBuilder::new().transfer_syntax(ts))
            .expect("meta");
        let mut bytes = Vec::new();
        file.write_all(&mut bytes).expect("write");
        bytes
    }

    fn read_bytes(bytes: &[u8]) -> HeaderOutcome {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("IM000001");
        std::fs::write(&path, bytes).expect("write fixture");
        read_header(&path, Path::new("DICOM/IM000001"))
    }

    fn instance(outcome: HeaderOutcome) -> InstanceRecord {
        match outcome {
            HeaderOutcome::Instance(record) => *record,
            other => panic!("expected an instance, got {other:?}"),
        }
    }

    fn unreadable(outcome: HeaderOutcome) -> FileDefect {
        match outcome {
            HeaderOutcome::Unreadable(defect) => defect,
            other => panic!("expected unreadable, got {other:?}"),
        }
    }

    /// Offset of the first occurrence of `needle`.
    fn find(bytes: &[u8], needle: &[u8]) -> usize {
        bytes
            .windows(needle.len())
            .position(|w| w == needle)
            .expect("needle present")
    }

    /// Tag bytes, little endian.
    fn tag_le(tag: Tag) -> [u8; 4] {
        let [g0, g1] = tag.0.to_le_bytes();
        let [e0, e1] = tag.1.to_le_bytes();
        [g0, g1, e0, e1]
    }

    fn explicit(tag: Tag, vr: &[u8; 2], value: &[u8]) -> Vec<u8> {
        explicit_in(false, tag, vr, value)
    }

    /// An explicit VR element, little or big endian.
    fn explicit_in(big_endian: bool, tag: Tag, vr: &[u8; 2], value: &[u8]) -> Vec<u8> {
        let u16_bytes = |v: u16| {
            if big_endian {
                v.to_be_bytes()
            } else {
                v.to_le_bytes()
            }
        };
        let u32_bytes = |v: u32| {
            if big_endian {
                v.to_be_bytes()
            } else {
                v.to_le_bytes()
            }
        };
        let mut out = [u16_bytes(tag.0), u16_bytes(tag.1)].concat();
        out.extend_from_slice(vr);
        if matches!(vr, b"OB" | b"OW" | b"SQ" | b"UN" | b"UT") {
            out.extend_from_slice(&[0, 0]);
            out.extend_from_slice(&u32_bytes(value.len() as u32));
        } else {
            out.extend_from_slice(&u16_bytes(value.len() as u16));
        }
        out.extend_from_slice(value);
        out
    }

    fn implicit(tag: Tag, value: &[u8]) -> Vec<u8> {
        let mut out = tag_le(tag).to_vec();
        out.extend_from_slice(&(value.len() as u32).to_le_bytes());
        out.extend_from_slice(value);
        out
    }

    /// Preamble, `DICM` and a meta group with a group length, for `ts`.
    fn meta_bytes(ts: &str) -> Vec<u8> {
        let mut ts = ts.as_bytes().to_vec();
        if ts.len() % 2 == 1 {
            ts.push(0);
        }
        let mut group = explicit(Tag(0x0002, 0x0001), b"OB", &[0, 1]);
        group.extend(explicit(
            Tag(0x0002, 0x0002),
            b"UI",
            b"1.2.840.10008.5.1.4.1.1.2\0",
        ));
        group.extend(explicit(Tag(0x0002, 0x0003), b"UI", b"9.8.7.6\0"));
        group.extend(explicit(Tag(0x0002, 0x0010), b"UI", &ts));
        let mut out = vec![0; 128];
        out.extend_from_slice(b"DICM");
        out.extend(explicit(
            Tag(0x0002, 0x0000),
            b"UL",
            &(group.len() as u32).to_le_bytes(),
        ));
        out.extend(group);
        out
    }

    #[test]
    fn explicit_little_endian_image() {
        let bytes = part10(image(true), uids::EXPLICIT_VR_LITTLE_ENDIAN);
        let r = instance(read_bytes(&bytes));
        assert!(r.part10);
        assert_eq!(r.path, Path::new("DICOM/IM000001"));
        assert_eq!(r.size, bytes.len() as u64);
        assert_eq!(&*r.transfer_syntax, uids::EXPLICIT_VR_LITTLE_ENDIAN);
        assert_eq!(&*r.sop_class_uid, uids::CT_IMAGE_STORAGE);
        assert_eq!(r.sop_instance_uid, "1.2.3.4.5.6");
        assert_eq!(&*r.study_instance_uid, "1.2.3.4");
        assert_eq!(&*r.series_instance_uid, "1.2.3.4.5");
        assert_eq!(
            r.patient_id.as_ref().map(|t| t.text.as_str()),
            Some("P-001")
        );
        assert_eq!(r.patient_birth_date.as_deref(), Some("19800402"));
        assert_eq!(r.study_date.as_deref(), Some("20240115"));
        assert_eq!(r.modality.as_deref(), Some("CT"));
        assert_eq!(r.image_type.as_deref(), Some("ORIGINAL\\PRIMARY\\AXIAL"));
        assert_eq!(r.series_number, Some(3));
        assert_eq!(r.instance_number, Some(17));
        assert_eq!(r.image_position, Some([-125.5, 10.0, 42.25]));
        assert_eq!(r.image_orientation, Some([1.0, 0.0, 0.0, 0.0, 1.0, 0.0]));
        assert_eq!(
            (r.rows, r.columns, r.samples_per_pixel, r.bits_allocated),
            (Some(4), Some(3), Some(1), Some(16))
        );
        let declared = r.expected_pixel_bytes().expect("geometry");
        let pixel = r.pixel_data.expect("pixel data");
        assert_eq!(
            pixel.encoding,
            PixelEncoding::Native {
                declared_length: declared
            }
        );
        assert_eq!(pixel.offset + declared, bytes.len() as u64);
        assert_eq!(r.header_bytes, pixel.offset);
        assert_eq!(r.defect, None);
    }

    #[test]
    fn utf8_name_is_passed_to_charset_decoding() {
        let r = instance(read_bytes(&part10(
            image(true),
            uids::EXPLICIT_VR_LITTLE_ENDIAN,
        )));
        let name = r.patient_name.expect("name");
        assert_eq!(name.text, "Wang^XiaoDong=王^小东=");
    }

    #[test]
    fn implicit_little_endian_image() {
        let r = instance(read_bytes(&part10(
            image(true),
            uids::IMPLICIT_VR_LITTLE_ENDIAN,
        )));
        assert_eq!(&*r.transfer_syntax, uids::IMPLICIT_VR_LITTLE_ENDIAN);
        assert_eq!(r.rows, Some(ROWS));
        assert_eq!(&*r.series_instance_uid, "1.2.3.4.5");
        assert!(matches!(
            r.pixel_data,
            Some(PixelDataInfo {
                encoding: PixelEncoding::Native {
                    declared_length: 24
                },
                ..
            })
        ));
        assert_eq!(r.defect, None);
    }

    #[test]
    fn volume_tags_standard_and_vendor() {
        let with = |elements: Vec<DataElement<InMemDicomObject>>, ts: &str| {
            let mut obj = image(true);
            for element in elements {
                obj.put(element);
            }
            instance(read_bytes(&part10(obj, ts))).volume
        };
        let plain = image(true);
        assert_eq!(
            instance(read_bytes(&part10(plain, uids::EXPLICIT_VR_LITTLE_ENDIAN))).volume,
            None,
            "no volume attribute: no box"
        );
        for ts in [uids::EXPLICIT_VR_LITTLE_ENDIAN, "1.2.840.10008.1.2.2"] {
            let standard = with(
                vec![
                    DataElement::new(tags::ECHO_NUMBERS, VR::IS, PrimitiveValue::from("2")),
                    DataElement::new(
                        tags::TEMPORAL_POSITION_IDENTIFIER,
                        VR::IS,
                        PrimitiveValue::from("37"),
                    ),
                    DataElement::new(tags::TRIGGER_TIME, VR::DS, PrimitiveValue::from("412.5")),
                    DataElement::new(
                        tags::DIFFUSION_B_VALUE,
                        VR::FD,
                        PrimitiveValue::from(800.0_f64),
                    ),
                    DataElement::new(
                        tags::DIFFUSION_GRADIENT_ORIENTATION,
                        VR::FD,
                        PrimitiveValue::F64([0.6_f64, 0.8, 0.0][..].into()),
                    ),
                ],
                ts,
            )
            .expect("volume");
            assert_eq!(
                *standard,
                VolumeTags {
                    temporal_position: Some(37),
                    echo: Some(2),
                    trigger_time: Some(412.5),
                    b_value: Some(800.0),
                    gradient: Some([0.6, 0.8, 0.0]),
                },
                "{ts}"
            );
        }
        let private = |group: u16, creator: &str, element: DataElement<InMemDicomObject>| {
            with(
                vec![
                    DataElement::new(Tag(group, 0x0010), VR::LO, PrimitiveValue::from(creator)),
                    element,
                ],
                uids::EXPLICIT_VR_LITTLE_ENDIAN,
            )
            .and_then(|v| v.b_value)
        };
        let ge = DataElement::new(
            Tag(0x0043, 0x1039),
            VR::IS,
            dicom_value!(Strs, ["1000001000", "8", "0", "0"]),
        );
        assert_eq!(private(0x0043, "GEMS_PARM_01", ge.clone()), Some(1000.0));
        assert_eq!(
            private(0x0043, "OTHER VENDOR", ge),
            None,
            "another owner's block"
        );
        let philips =
            DataElement::new(Tag(0x2001, 0x1003), VR::FL, PrimitiveValue::from(500.0_f32));
        assert_eq!(
            private(0x2001, "Philips Imaging DD 001", philips),
            Some(500.0)
        );
        let siemens = DataElement::new(Tag(0x0019, 0x100C), VR::IS, PrimitiveValue::from("1500"));
        assert_eq!(private(0x0019, "SIEMENS MR HEADER", siemens), Some(1500.0));
    }

    #[test]
    fn big_endian_numbers() {
        let big_endian = "1.2.840.10008.1.2.2";
        let r = instance(read_bytes(&part10(image(true), big_endian)));
        assert_eq!(&*r.transfer_syntax, big_endian);
        assert_eq!(
            (r.rows, r.columns, r.bits_allocated),
            (Some(ROWS), Some(COLUMNS), Some(16))
        );
        assert_eq!(r.defect, None);
    }

    #[test]
    fn raw_data_sets_without_meta() {
        let registry = &dicom_transfer_syntax_registry::TransferSyntaxRegistry;
        for uid in [
            uids::IMPLICIT_VR_LITTLE_ENDIAN,
            uids::EXPLICIT_VR_LITTLE_ENDIAN,
        ] {
            let ts = dicom_encoding::transfer_syntax::TransferSyntaxIndex::get(registry, uid)
                .expect("ts");
            let mut bytes = Vec::new();
            image(true)
                .write_dataset_with_ts(&mut bytes, ts)
                .expect("write");
            let r = instance(read_bytes(&bytes));
            assert!(!r.part10);
            assert_eq!(&*r.transfer_syntax, uid);
            assert_eq!(r.sop_instance_uid, "1.2.3.4.5.6");
            assert_eq!(r.columns, Some(COLUMNS));
            assert!(r.pixel_data.is_some());
            assert_eq!(r.defect, None);
        }
    }

    #[test]
    fn dicm_without_preamble() {
        let bytes = part10(image(true), uids::EXPLICIT_VR_LITTLE_ENDIAN);
        let r = instance(read_bytes(&bytes[128..]));
        assert!(r.part10);
        assert_eq!(r.rows, Some(ROWS));
        assert_eq!(
            r.pixel_data.map(|p| p.offset + 24),
            Some(bytes.len() as u64 - 128)
        );
    }

    #[test]
    fn meta_without_group_length() {
        let bytes = meta_bytes(uids::EXPLICIT_VR_LITTLE_ENDIAN);
        let mut cut = bytes[..132].to_vec();
        cut.extend_from_slice(&bytes[132 + 12..]);
        cut.extend(explicit(tags::SOP_INSTANCE_UID, b"UI", b"1.2.3\0"));
        cut.extend(explicit(tags::STUDY_INSTANCE_UID, b"UI", b"1.2\0"));
        cut.extend(explicit(tags::SERIES_INSTANCE_UID, b"UI", b"1.2.4\0"));
        let r = instance(read_bytes(&cut));
        assert_eq!(&*r.transfer_syntax, uids::EXPLICIT_VR_LITTLE_ENDIAN);
        assert_eq!(&*r.sop_class_uid, "1.2.840.10008.5.1.4.1.1.2");
        assert_eq!(r.sop_instance_uid, "1.2.3");
        assert_eq!(&*r.study_instance_uid, "1.2");
    }

    fn encapsulated() -> Vec<u8> {
        let mut obj = image(false);
        let fragments = PixelFragmentSequence::new_fragments(vec![vec![0xAB; 100], vec![0xCD; 60]]);
        obj.put(DataElement::new(tags::PIXEL_DATA, VR::OB, fragments));
        part10(obj, uids::JPEG_LOSSLESS_SV1)
    }

    #[test]
    fn encapsulated_pixel_data_is_walked() {
        let bytes = encapsulated();
        let r = instance(read_bytes(&bytes));
        assert_eq!(&*r.transfer_syntax, uids::JPEG_LOSSLESS_SV1);
        let pixel = r.pixel_data.expect("pixel data");
        assert_eq!(
            pixel.encoding,
            PixelEncoding::Encapsulated {
                items: 3,
                complete: true
            }
        );
        assert_eq!(
            &bytes[pixel.offset as usize..pixel.offset as usize + 4],
            &[0xFE, 0xFF, 0x00, 0xE0]
        );
        assert_eq!(r.defect, None);
        assert_eq!(r.header_bytes, bytes.len() as u64 - 160);
    }

    #[test]
    fn encapsulated_without_delimiter_is_truncated() {
        let bytes = encapsulated();
        let r = instance(read_bytes(&bytes[..bytes.len() - 8]));
        assert_eq!(
            r.pixel_data.map(|p| p.encoding),
            Some(PixelEncoding::Encapsulated {
                items: 3,
                complete: false
            })
        );
        assert_eq!(r.defect.map(|d| d.kind), Some(DefectKind::Truncated));
        let r = instance(read_bytes(&bytes[..bytes.len() - 30]));
        assert_eq!(
            r.pixel_data.map(|p| p.encoding),
            Some(PixelEncoding::Encapsulated {
                items: 2,
                complete: false
            })
        );
        let defect = r.defect.expect("defect");
        assert_eq!(defect.kind, DefectKind::Truncated);
        assert!(
            defect.detail.contains("fragment 3 declares 60 bytes"),
            "{}",
            defect.detail
        );
    }

    fn enhanced(frames: usize) -> InMemDicomObject {
        let mut obj = image(false);
        obj.remove_element(tags::IMAGE_POSITION_PATIENT);
        obj.remove_element(tags::IMAGE_ORIENTATION_PATIENT);
        obj.put(DataElement::new(
            tags::NUMBER_OF_FRAMES,
            VR::IS,
            PrimitiveValue::from(frames.to_string()),
        ));
        let item_with = |seq, tag, values: Vec<String>| {
            let inner = InMemDicomObject::from_element_iter([DataElement::new(
                tag,
                VR::DS,
                PrimitiveValue::Strs(values.into()),
            )]);
            InMemDicomObject::from_element_iter([DataElement::new(
                seq,
                VR::SQ,
                DataSetSequence::new(vec![inner], Length::UNDEFINED),
            )])
        };
        let orientation = || ["0", "1", "0", "0", "0", "-1"].map(String::from).to_vec();
        let shared = item_with(
            tags::PLANE_ORIENTATION_SEQUENCE,
            tags::IMAGE_ORIENTATION_PATIENT,
            orientation(),
        );
        let per_frame: Vec<_> = (0..frames)
            .map(|i| {
                let z = format!("{}.5", i * 2);
                item_with(
                    tags::PLANE_POSITION_SEQUENCE,
                    tags::IMAGE_POSITION_PATIENT,
                    vec!["1".into(), "2".into(), z],
                )
            })
            .collect();
        obj.put(DataElement::new(
            SHARED_GROUPS,
            VR::SQ,
            DataSetSequence::new(vec![shared], Length::UNDEFINED),
        ));
        obj.put(DataElement::new(
            PER_FRAME_GROUPS,
            VR::SQ,
            DataSetSequence::new(per_frame, Length::UNDEFINED),
        ));
        let words = vec![1_u16; usize::from(ROWS * COLUMNS) * frames];
        obj.put(DataElement::new(
            tags::PIXEL_DATA,
            VR::OW,
            PrimitiveValue::U16(words.into()),
        ));
        obj
    }

    #[test]
    fn enhanced_multi_frame_positions() {
        for ts in [
            uids::EXPLICIT_VR_LITTLE_ENDIAN,
            uids::IMPLICIT_VR_LITTLE_ENDIAN,
        ] {
            let r = instance(read_bytes(&part10(enhanced(4), ts)));
            assert_eq!(r.number_of_frames, Some(4));
            assert_eq!(
                r.frame_positions(),
                [
                    [1.0, 2.0, 0.5],
                    [1.0, 2.0, 2.5],
                    [1.0, 2.0, 4.5],
                    [1.0, 2.0, 6.5]
                ]
            );
            assert_eq!(r.frame_orientation(), Some([0.0, 1.0, 0.0, 0.0, 0.0, -1.0]));
            assert_eq!(r.image_position, None);
            assert_eq!(r.expected_pixel_bytes(), Some(96));
            assert_eq!(r.defect, None);
        }
    }

    #[test]
    fn not_dicom() {
        assert!(matches!(
            read_bytes(b""),
            HeaderOutcome::NotDicom(NotDicom::Empty)
        ));
        let text = b"[autorun]\r\nopen=viewer.exe\r\nicon=viewer.ico\r\n".repeat(5);
        assert!(matches!(
            read_bytes(&text),
            HeaderOutcome::NotDicom(NotDicom::NoMarker)
        ));
        assert!(matches!(
            read_bytes(b"MZ"),
            HeaderOutcome::NotDicom(NotDicom::NoMarker)
        ));
    }

    #[test]
    fn missing_file_is_io() {
        let outcome = read_header(Path::new("/nonexistent/dicomcheck/IM0"), Path::new("IM0"));
        assert_eq!(unreadable(outcome).kind, DefectKind::Io);
    }

    /// Data set start with identity attributes for raw fixtures (implicit VR).
    fn implicit_start() -> Vec<u8> {
        let mut out = meta_bytes(uids::IMPLICIT_VR_LITTLE_ENDIAN);
        out.extend(implicit(tags::SOP_INSTANCE_UID, b"1.2.3\0"));
        out
    }

    #[test]
    fn bogus_pn_length_implicit() {
        let mut bytes = implicit_start();
        bytes.extend(tag_le(tags::PATIENT_NAME));
        bytes.extend(0xFFFF_FFF0_u32.to_le_bytes());
        bytes.extend(b"ZHANG^SAN ".repeat(20));
        let defect = unreadable(read_bytes(&bytes));
        assert_eq!(defect.kind, DefectKind::BogusLength);
        assert!(
            defect
                .detail
                .contains("(0010,0010) declares 4294967280 bytes, only 200 left"),
            "{}",
            defect.detail
        );
    }

    #[test]
    fn bogus_ut_and_ob_lengths_explicit_after_identity() {
        for (tag, vr) in [(Tag(0x0020, 0x4000), b"UT"), (Tag(0x0029, 0x1010), b"OB")] {
            let mut bytes = meta_bytes(uids::EXPLICIT_VR_LITTLE_ENDIAN);
            bytes.extend(explicit(tags::SOP_INSTANCE_UID, b"UI", b"1.2.3\0"));
            bytes.extend(explicit(tags::STUDY_INSTANCE_UID, b"UI", b"1.2\0"));
            bytes.extend(explicit(tags::SERIES_INSTANCE_UID, b"UI", b"1.2.4\0"));
            bytes.extend(tag_le(tag));
            bytes.extend(vr);
            bytes.extend([0, 0]);
            bytes.extend(0xF000_0000_u32.to_le_bytes());
            bytes.extend([b'x'; 64]);
            let r = instance(read_bytes(&bytes));
            assert_eq!(&*r.series_instance_uid, "1.2.4");
            let defect = r.defect.expect("defect");
            assert_eq!(defect.kind, DefectKind::BogusLength);
            assert!(
                defect
                    .detail
                    .contains(&format!("{tag} declares 4026531840 bytes, only 64 left")),
                "{}",
                defect.detail
            );
        }
    }

    #[test]
    fn bogus_meta_uid_length() {
        let mut bytes = vec![0; 128];
        bytes.extend(b"DICM");
        bytes.extend(explicit(Tag(0x0002, 0x0001), b"OB", &[0, 1]));
        bytes.extend(tag_le(Tag(0x0002, 0x0010)));
        bytes.extend(b"UN\0\0");
        bytes.extend(0xFFFF_FFF0_u32.to_le_bytes());
        bytes.extend(b"1.2.840.10008.1.2.1\0");
        let defect = unreadable(read_bytes(&bytes));
        assert_eq!(defect.kind, DefectKind::BogusLength);
        assert!(defect.detail.contains("(0002,0010)"), "{}", defect.detail);
        let mut with_group = meta_bytes(uids::EXPLICIT_VR_LITTLE_ENDIAN);
        let ts_at = find(&with_group, &tag_le(Tag(0x0002, 0x0010)));
        with_group[ts_at + 6..ts_at + 8].copy_from_slice(&0xFFFF_u16.to_le_bytes());
        with_group.extend([b'1'; 300]);
        assert_eq!(
            unreadable(read_bytes(&with_group)).kind,
            DefectKind::BogusLength
        );
    }

    #[test]
    fn huge_meta_group_length() {
        let mut bytes = meta_bytes(uids::EXPLICIT_VR_LITTLE_ENDIAN);
        bytes[140..144].copy_from_slice(&0x0100_0000_u32.to_le_bytes());
        assert_eq!(unreadable(read_bytes(&bytes)).kind, DefectKind::Malformed);
    }

    #[test]
    fn sequence_bomb_on_small_stack() {
        let mut bytes = implicit_start();
        for _ in 0..10_000 {
            bytes.extend(tag_le(Tag(0x0008, 0x1115)));
            bytes.extend(u32::MAX.to_le_bytes());
            bytes.extend(tag_le(Tag(0xFFFE, 0xE000)));
            bytes.extend(u32::MAX.to_le_bytes());
        }
        let outcome = std::thread::Builder::new()
            .stack_size(2 << 20)
            .spawn(move || read_bytes(&bytes))
            .expect("spawn")
            .join()
            .expect("no stack overflow");
        let defect = unreadable(outcome);
        assert_eq!(defect.kind, DefectKind::TooDeep);
    }

    #[test]
    fn cut_inside_meta() {
        let bytes = part10(image(true), uids::EXPLICIT_VR_LITTLE_ENDIAN);
        for cut in [150, 170, 190] {
            assert_eq!(
                unreadable(read_bytes(&bytes[..cut])).kind,
                DefectKind::Truncated,
                "cut at {cut}"
            );
        }
    }

    #[test]
    fn cut_inside_an_element() {
        let bytes = part10(image(true), uids::EXPLICIT_VR_LITTLE_ENDIAN);
        let name = find(&bytes, "Wang".as_bytes());
        let defect = unreadable(read_bytes(&bytes[..name + 5]));
        assert_eq!(defect.kind, DefectKind::Truncated);
        assert!(defect.detail.contains("(0010,0010)"), "{}", defect.detail);
        let rows = find(&bytes, &tag_le(tags::ROWS));
        for cut in [rows + 3, rows + 7] {
            let r = instance(read_bytes(&bytes[..cut]));
            assert_eq!(
                r.defect.map(|d| d.kind),
                Some(DefectKind::Truncated),
                "cut at {cut}"
            );
        }
    }

    #[test]
    fn cut_before_pixel_data() {
        let bytes = part10(image(true), uids::EXPLICIT_VR_LITTLE_ENDIAN);
        let pixel = find(&bytes, &tag_le(tags::PIXEL_DATA));
        let r = instance(read_bytes(&bytes[..pixel]));
        assert_eq!(r.pixel_data, None);
        assert_eq!(r.rows, Some(ROWS));
        let defect = r.defect.expect("defect");
        assert_eq!(defect.kind, DefectKind::Truncated);
        assert_eq!(defect.detail, "file ends before its image data");
        assert_eq!(r.header_bytes, pixel as u64);

        let mut report = image(false);
        report.put(DataElement::new(
            tags::SOP_CLASS_UID,
            VR::UI,
            PrimitiveValue::from("1.2.840.10008.5.1.4.1.1.88.11"),
        ));
        for tag in [
            tags::ROWS,
            tags::COLUMNS,
            tags::BITS_ALLOCATED,
            tags::SAMPLES_PER_PIXEL,
        ] {
            report.remove_element(tag);
        }
        let r = instance(read_bytes(&part10(report, uids::EXPLICIT_VR_LITTLE_ENDIAN)));
        assert_eq!((r.rows, r.pixel_data, r.defect), (None, None, None));
    }

    #[test]
    fn cut_inside_native_pixel_data() {
        let bytes = part10(image(true), uids::EXPLICIT_VR_LITTLE_ENDIAN);
        let r = instance(read_bytes(&bytes[..bytes.len() - 10]));
        assert_eq!(
            r.pixel_data.map(|p| p.encoding),
            Some(PixelEncoding::Native {
                declared_length: 24
            })
        );
        let defect = r.defect.expect("defect");
        assert_eq!(defect.kind, DefectKind::Truncated);
        assert_eq!(
            defect.detail,
            "file ends inside the image data: 14 of 24 bytes present"
        );
    }

    #[test]
    fn every_prefix_and_corruption_is_handled() {
        let bytes = part10(enhanced(2), uids::EXPLICIT_VR_LITTLE_ENDIAN);
        let rows_end = find(&bytes, &tag_le(tags::ROWS)) + 10;
        for cut in 0..bytes.len() {
            let outcome = read_bytes(&bytes[..cut]);
            if cut >= rows_end {
                let clean = matches!(&outcome, HeaderOutcome::Instance(r) if r.defect.is_none());
                assert!(!clean, "prefix of {cut} bytes read as intact");
            }
        }
        for at in (0..bytes.len()).step_by(3) {
            for value in [0x00, 0x7F, 0xFF] {
                let mut corrupt = bytes.clone();
                corrupt[at] = value;
                let _ = read_bytes(&corrupt);
            }
        }
    }

    #[test]
    fn explicit_declared_implicit_written() {
        let mut bytes = meta_bytes(uids::EXPLICIT_VR_LITTLE_ENDIAN);
        bytes.extend(implicit(tags::SOP_INSTANCE_UID, b"1.2.3\0"));
        bytes.extend(implicit(tags::PATIENT_NAME, b"SMITH^JOHN"));
        bytes.extend(implicit(tags::STUDY_INSTANCE_UID, b"1.2\0"));
        bytes.extend(implicit(tags::SERIES_INSTANCE_UID, b"1.2.4\0"));
        bytes.extend(implicit(tags::ROWS, &2_u16.to_le_bytes()));
        bytes.extend(implicit(tags::PIXEL_DATA, &[0; 8]));
        let r = instance(read_bytes(&bytes));
        assert_eq!(&*r.transfer_syntax, uids::EXPLICIT_VR_LITTLE_ENDIAN);
        assert_eq!(
            r.patient_name.as_deref().map(|t| t.text.as_str()),
            Some("SMITH^JOHN")
        );
        assert_eq!(r.rows, Some(2));
        assert_eq!(
            r.pixel_data.map(|p| p.encoding),
            Some(PixelEncoding::Native { declared_length: 8 })
        );
        assert_eq!(r.defect, None);
    }

    /// pydicom's `rtdose_rle.dcm` and pydicom-data's `explicit_VR-UN.dcm`: explicit VR UN for elements the
    /// dictionary types otherwise, the first one among them, under an explicit or an implicit syntax; Pixel Data
    /// of undefined length, encapsulated whatever its VR says.
    #[test]
    fn explicit_un_elements_and_encapsulated_pixel_data_of_any_vr() {
        for (ts, pixel_vr) in [
            (uids::RLE_LOSSLESS, b"OW"),
            (uids::JPEG2000, b"UN"),
            (uids::IMPLICIT_VR_LITTLE_ENDIAN, b"OB"),
        ] {
            let mut bytes = meta_bytes(ts);
            bytes.extend(explicit(tags::STUDY_DATE, b"UN", b"20030903"));
            bytes.extend(explicit(tags::SOP_INSTANCE_UID, b"UN", b"1.2.3\0"));
            bytes.extend(explicit(tags::PATIENT_NAME, b"UN", b"SMITH^JOHN"));
            bytes.extend(explicit(tags::STUDY_INSTANCE_UID, b"UN", b"1.2\0"));
            bytes.extend(explicit(tags::SERIES_INSTANCE_UID, b"UN", b"1.2.4\0"));
            bytes.extend(explicit(tags::ROWS, b"UN", &2_u16.to_le_bytes()));
            bytes.extend(tag_le(tags::PIXEL_DATA));
            bytes.extend(pixel_vr);
            bytes.extend([0, 0]);
            bytes.extend(u32::MAX.to_le_bytes());
            for (tag, value) in [
                (0xE000, &[][..]),
                (0xE000, &[0xAB_u8; 10][..]),
                (0xE0DD, &[][..]),
            ] {
                bytes.extend(tag_le(Tag(0xFFFE, tag)));
                bytes.extend((value.len() as u32).to_le_bytes());
                bytes.extend(value);
            }
            let r = instance(read_both(&bytes).unwrap_or_else(|d| panic!("{ts}: {d:?}")));
            assert_eq!(r.defect, None, "{ts}");
            assert_eq!(r.study_date.as_deref(), Some("20030903"), "{ts}");
            assert_eq!(r.sop_instance_uid, "1.2.3", "{ts}");
            assert_eq!(r.rows, Some(2), "{ts}");
            assert_eq!(
                r.pixel_data.map(|p| p.encoding),
                Some(PixelEncoding::Encapsulated {
                    items: 2,
                    complete: true
                }),
                "{ts}"
            );
        }
    }

    /// An explicit VR UN header of undefined length, little endian.
    fn un_undefined(tag: Tag) -> Vec<u8> {
        [&tag_le(tag)[..], b"UN\0\0", &[0xFF; 4]].concat()
    }

    /// An implicit VR header of undefined length (a sequence, or an unknown element read as one).
    fn undefined(tag: Tag) -> Vec<u8> {
        [&tag_le(tag)[..], &[0xFF; 4]].concat()
    }

    /// An item of undefined length holding `content`, with its delimiter.
    fn item(content: &[u8]) -> Vec<u8> {
        [
            &tag_le(Tag(0xFFFE, 0xE000))[..],
            &[0xFF; 4],
            content,
            &tag_le(Tag(0xFFFE, 0xE00D)),
            &[0; 4],
        ]
        .concat()
    }

    /// A sequence delimiter.
    fn seq_end() -> Vec<u8> {
        [&tag_le(Tag(0xFFFE, 0xE0DD))[..], &[0; 4]].concat()
    }

    /// Both tokenizers read `bytes` cut and corrupted at every byte alike.
    fn damage_reads_alike(bytes: &[u8]) {
        for at in 0..bytes.len() {
            read_both(&bytes[..at]).unwrap_or_else(|d| panic!("cut at {at}: {d:?}"));
            for value in [0x00, 0xFF, bytes[at] ^ 0x10] {
                let mut corrupt = bytes.to_vec();
                corrupt[at] = value;
                read_both(&corrupt).unwrap_or_else(|d| panic!("byte {at} = {value:#04x}: {d:?}"));
            }
        }
    }

    /// The value of a UN element of undefined length as pydicom's `UN_sequence.dcm` writes it (PS3.5 6.2.2,
    /// CP-246: implicit VR little endian): an item of undefined length holding a known sequence two deep, an
    /// unknown element of undefined length (a UN sequence again, inside the implicit VR), and a defined-length
    /// item; then its sequence delimiter.
    fn un_sequence_value() -> Vec<u8> {
        let sop = [
            implicit(
                tags::REFERENCED_SOP_CLASS_UID,
                b"1.2.840.10008.5.1.4.1.1.2\0",
            ),
            implicit(tags::REFERENCED_SOP_INSTANCE_UID, b"1.2.3.9\0"),
        ]
        .concat();
        let series = [
            undefined(tags::REFERENCED_SOP_SEQUENCE),
            item(&sop),
            seq_end(),
            implicit(tags::SERIES_INSTANCE_UID, b"9.9.9\0"),
        ]
        .concat();
        let private = [
            undefined(Tag(0x0009, 0x1011)),
            item(&implicit(Tag(0x0009, 0x1012), b"Nested SQ ")),
            seq_end(),
        ]
        .concat();
        let first = [
            undefined(tags::REFERENCED_SERIES_SEQUENCE),
            item(&series),
            seq_end(),
            private,
            implicit(tags::STUDY_INSTANCE_UID, b"9.9\0"),
        ]
        .concat();
        let second = implicit(tags::PATIENT_NAME, b"NOT^ROOT");
        [
            item(&first),
            tag_le(Tag(0xFFFE, 0xE000)).to_vec(),
            (second.len() as u32).to_le_bytes().to_vec(),
            second,
            seq_end(),
        ]
        .concat()
    }

    /// A UN element of undefined length in an explicit VR data set holds a sequence in implicit VR (PS3.5 6.2.2,
    /// CP-246): read so by both tokenizers, everything nested in it included, and explicit VR resumes after its
    /// delimiter up to the Pixel Data. A cut anywhere inside it is a cut file.
    #[test]
    fn un_of_undefined_length_is_a_sequence_in_implicit_vr() {
        let mut bytes = meta_bytes(uids::JPEG_LOSSLESS_SV1);
        bytes.extend(explicit(tags::SOP_INSTANCE_UID, b"UI", b"1.2.3\0"));
        let un_at = bytes.len();
        bytes.extend(un_undefined(Tag(0x0009, 0x1010)));
        bytes.extend(un_sequence_value());
        let un_end = bytes.len();
        bytes.extend(explicit(tags::PATIENT_NAME, b"PN", b"SMITH^JOHN"));
        bytes.extend(explicit(tags::STUDY_INSTANCE_UID, b"UI", b"1.2\0"));
        bytes.extend(explicit(tags::SERIES_INSTANCE_UID, b"UI", b"1.2.4\0"));
        bytes.extend(explicit(tags::ROWS, b"US", &2_u16.to_le_bytes()));
        bytes.extend(explicit(tags::PIXEL_DATA, b"OW", &[0; 8]));
        let r = instance(read_both(&bytes).unwrap_or_else(|d| panic!("{d:?}")));
        assert_eq!(r.defect, None);
        // The root's values, not the ones nested in the UN sequence.
        assert_eq!(
            r.patient_name.as_deref().map(|t| t.text.as_str()),
            Some("SMITH^JOHN")
        );
        assert_eq!(
            (&*r.study_instance_uid, &*r.series_instance_uid),
            ("1.2", "1.2.4")
        );
        assert_eq!(r.rows, Some(2));
        assert_eq!(
            r.pixel_data.map(|p| (p.offset, p.encoding)),
            Some((
                bytes.len() as u64 - 8,
                PixelEncoding::Native { declared_length: 8 }
            ))
        );
        // Under an implicit syntax the same bytes are still read (the first element settles explicit VR).
        let mut implicit_ts = meta_bytes(uids::IMPLICIT_VR_LITTLE_ENDIAN);
        implicit_ts.extend(&bytes[find(&bytes, &tag_le(tags::SOP_INSTANCE_UID))..]);
        assert_eq!(
            instance(read_both(&implicit_ts).expect("same")).defect,
            None
        );

        for cut in un_at + 1..un_end {
            let outcome =
                read_both(&bytes[..cut]).unwrap_or_else(|d| panic!("cut at {cut}: {d:?}"));
            let defect = match outcome {
                HeaderOutcome::Unreadable(defect) => defect,
                HeaderOutcome::Instance(r) => *r.defect.expect("a cut UN sequence is a defect"),
                other => panic!("cut at {cut}: {other:?}"),
            };
            assert_eq!(
                defect.kind,
                DefectKind::Truncated,
                "cut at {cut}: {defect:?}"
            );
        }
        damage_reads_alike(&bytes);
        // Without its sequence delimiter the UN sequence swallows the root elements after it: damaged.
        let mut open = bytes[..un_end - 8].to_vec();
        open.extend(&bytes[un_end..]);
        let outcome = read_both(&open).unwrap_or_else(|d| panic!("{d:?}"));
        assert!(
            matches!(&outcome, HeaderOutcome::Unreadable(_))
                || matches!(&outcome, HeaderOutcome::Instance(r) if r.defect.is_some()),
            "{outcome:?}"
        );
    }

    /// The same in explicit VR big endian: the UN sequence's value is implicit VR little endian all the same
    /// (PS3.5 6.2.2), and big endian resumes after its delimiter.
    #[test]
    fn un_of_undefined_length_in_big_endian_is_implicit_little_endian() {
        let be = |tag, vr, value: &[u8]| explicit_in(true, tag, vr, value);
        let mut bytes = meta_bytes(scan::EXPLICIT_BE);
        bytes.extend(be(tags::SOP_INSTANCE_UID, b"UI", b"1.2.3\0"));
        bytes.extend([
            0x00, 0x09, 0x10, 0x10, b'U', b'N', 0, 0, 0xFF, 0xFF, 0xFF, 0xFF,
        ]);
        bytes.extend(un_sequence_value());
        bytes.extend(be(tags::STUDY_INSTANCE_UID, b"UI", b"1.2\0"));
        bytes.extend(be(tags::SERIES_INSTANCE_UID, b"UI", b"1.2.4\0"));
        bytes.extend(be(tags::ROWS, b"US", &2_u16.to_be_bytes()));
        bytes.extend(be(tags::PIXEL_DATA, b"OW", &[0; 8]));
        let r = instance(read_both(&bytes).unwrap_or_else(|d| panic!("{d:?}")));
        assert_eq!(r.defect, None);
        assert_eq!((&*r.study_instance_uid, r.rows), ("1.2", Some(2)));
        assert_eq!(
            r.pixel_data.map(|p| p.encoding),
            Some(PixelEncoding::Native { declared_length: 8 })
        );
        damage_reads_alike(&bytes);
    }

    /// A meta group as `meta_bytes` writes it, without its (0002,0000) group length.
    fn meta_without_length(ts: &str) -> Vec<u8> {
        let bytes = meta_bytes(ts);
        [&bytes[..132], &bytes[132 + 12..]].concat()
    }

    /// The identity and image attributes and 8 bytes of Pixel Data, in implicit VR.
    fn implicit_image() -> Vec<u8> {
        [
            implicit(tags::SOP_INSTANCE_UID, b"1.2.3\0"),
            implicit(tags::PATIENT_NAME, b"SMITH^JOHN"),
            implicit(tags::STUDY_INSTANCE_UID, b"1.2\0"),
            implicit(tags::SERIES_INSTANCE_UID, b"1.2.4\0"),
            implicit(tags::ROWS, &2_u16.to_le_bytes()),
            implicit(tags::PIXEL_DATA, &[0; 8]),
        ]
        .concat()
    }

    /// pydicom's `no_meta_group_length.dcm`: a meta group without (0002,0000) is read while the group is 0002
    /// (as DCMTK and pydicom read it), and the implicit VR data set after it as usual. Cut inside the meta group
    /// or inside the data set, it is a cut file.
    #[test]
    fn meta_without_group_length_then_an_implicit_data_set() {
        let meta = meta_without_length(uids::IMPLICIT_VR_LITTLE_ENDIAN);
        let bytes = [&meta[..], &implicit_image()].concat();
        let r = instance(read_both(&bytes).unwrap_or_else(|d| panic!("{d:?}")));
        assert_eq!(r.defect, None);
        assert_eq!(&*r.transfer_syntax, uids::IMPLICIT_VR_LITTLE_ENDIAN);
        assert_eq!(&*r.sop_class_uid, "1.2.840.10008.5.1.4.1.1.2");
        assert_eq!((&*r.study_instance_uid, r.rows), ("1.2", Some(2)));
        assert_eq!(
            r.pixel_data.map(|p| (p.offset, p.encoding)),
            Some((
                bytes.len() as u64 - 8,
                PixelEncoding::Native { declared_length: 8 }
            ))
        );
        damage_reads_alike(&bytes);
        for cut in [140, meta.len() - 3, meta.len() + 5, bytes.len() - 20] {
            let outcome =
                read_both(&bytes[..cut]).unwrap_or_else(|d| panic!("cut at {cut}: {d:?}"));
            let kind = match outcome {
                HeaderOutcome::Unreadable(defect) => defect.kind,
                HeaderOutcome::Instance(r) => r.defect.expect("a defect").kind,
                other => panic!("cut at {cut}: {other:?}"),
            };
            assert_eq!(kind, DefectKind::Truncated, "cut at {cut}");
        }
    }

    /// pydicom's `meta_missing_tsyntax.dcm`: no Transfer Syntax UID (0002,0010). The data set's first element
    /// settles explicit or implicit VR little endian (its two VR bytes), whichever group it is in; the record
    /// keeps the empty UID (the integrity check warns of it). A data set that is neither stays a defect.
    #[test]
    fn missing_transfer_syntax_is_settled_by_the_first_element() {
        let meta = meta_bytes("");
        let mut meta = [&meta[..132], &meta[132..meta.len() - 8]].concat();
        let group = (meta.len() - 144) as u32;
        meta[140..144].copy_from_slice(&group.to_le_bytes());
        let private = Tag(0x0001, 0x0001);
        let explicit_set = [
            explicit(private, b"UN", b"Nested SQ "),
            explicit(tags::SOP_INSTANCE_UID, b"UI", b"1.2.3\0"),
            explicit(tags::STUDY_INSTANCE_UID, b"UI", b"1.2\0"),
            explicit(tags::SERIES_INSTANCE_UID, b"UI", b"1.2.4\0"),
            explicit(tags::ROWS, b"US", &2_u16.to_le_bytes()),
            explicit(tags::PIXEL_DATA, b"OW", &[0; 8]),
        ]
        .concat();
        let implicit_set = [
            undefined(private),
            item(&implicit(private, b"Nested SQ ")),
            seq_end(),
            implicit_image(),
        ]
        .concat();
        for (encoding, data_set) in [("explicit", explicit_set), ("implicit", implicit_set)] {
            let bytes = [&meta[..], &data_set].concat();
            let r = instance(read_both(&bytes).unwrap_or_else(|d| panic!("{encoding}: {d:?}")));
            assert_eq!(r.defect, None, "{encoding}");
            assert_eq!(&*r.transfer_syntax, "", "{encoding}");
            assert_eq!(
                (&*r.series_instance_uid, r.rows),
                ("1.2.4", Some(2)),
                "{encoding}"
            );
            assert_eq!(
                r.pixel_data.map(|p| p.encoding),
                Some(PixelEncoding::Native { declared_length: 8 }),
                "{encoding}"
            );
            damage_reads_alike(&bytes);
            let cut = &bytes[..bytes.len() - 20];
            let outcome = read_both(cut).unwrap_or_else(|d| panic!("{encoding}: {d:?}"));
            assert!(
                matches!(&outcome, HeaderOutcome::Instance(r) if r.defect.as_ref().is_some_and(|d| d.kind == DefectKind::Truncated)),
                "{encoding}: {outcome:?}"
            );
        }
        for junk in [[0u8; 64], [0x55; 64]] {
            let bytes = [&meta[..], &junk].concat();
            let outcome = read_both(&bytes).unwrap_or_else(|d| panic!("{d:?}"));
            assert!(
                matches!(&outcome, HeaderOutcome::Unreadable(d) if d.kind != DefectKind::Io),
                "{outcome:?}"
            );
        }
    }

    /// An image object without Pixel Data that ends cleanly is cut before its image, unless a root element past
    /// Rows was read without Rows: then it never had an image (pydicom's `priv_SQ.dcm`, an MR object of a private
    /// creator and a private sequence in a UN value; `UN_sequence.dcm`, a CT object of one UN sequence) and is
    /// read as a non-image object. One that ends before Rows (pydicom's `no_meta_group_length.dcm`) reads as a
    /// file cut there, and is one; so is a file that ends after its meta group.
    #[test]
    fn image_object_without_pixel_data_is_cut_unless_it_went_past_rows() {
        let meta = meta_bytes(uids::IMPLICIT_VR_LITTLE_ENDIAN);
        let creator = implicit(Tag(0x3F03, 0x0010), b"aaabbbccc MEDICAL SYSTEMS ");
        let nested = [
            tag_le(Tag(0xFFFE, 0xE000)).to_vec(),
            18_u32.to_le_bytes().to_vec(),
            implicit(tags::STUDY_INSTANCE_UID, b"1.2.3.4\0\0\0"),
        ]
        .concat();
        let private = implicit(Tag(0x3F03, 0x1001), &nested);
        let un = [un_undefined(Tag(0x4453, 0x100C)), un_sequence_value()].concat();
        let explicit_meta = meta_bytes(uids::EXPLICIT_VR_LITTLE_ENDIAN);
        for (label, bytes) in [
            ("private", [&meta[..], &creator, &private].concat()),
            ("UN sequence", [&explicit_meta[..], &un].concat()),
        ] {
            let r = instance(read_both(&bytes).unwrap_or_else(|d| panic!("{label}: {d:?}")));
            assert_eq!(&*r.sop_class_uid, "1.2.840.10008.5.1.4.1.1.2", "{label}");
            assert_eq!(
                (r.rows, r.pixel_data, r.defect),
                (None, None, None),
                "{label}"
            );
        }

        let image_type = implicit(tags::IMAGE_TYPE, b"ORIGINAL\\PRIMARY\\PORTAL ");
        let rows = implicit(tags::ROWS, &2_u16.to_le_bytes());
        for (label, bytes) in [
            ("before Rows", [&meta[..], &image_type].concat()),
            ("with Rows", [&meta[..], &rows, &creator, &private].concat()),
        ] {
            // Without Study and Series Instance UIDs, a defect leaves the file unreadable.
            let defect = unreadable(read_both(&bytes).unwrap_or_else(|d| panic!("{label}: {d:?}")));
            assert_eq!(defect.detail, "file ends before its image data", "{label}");
        }
        for meta in [
            meta,
            meta_bytes(uids::DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN),
            meta_bytes(""),
        ] {
            let defect = unreadable(read_both(&meta).unwrap_or_else(|d| panic!("{d:?}")));
            assert_eq!(defect.kind, DefectKind::Truncated);
        }
    }

    #[test]
    fn private_transfer_syntax_is_recorded() {
        let private = "1.2.826.0.1.3680043.99.1";
        let mut bytes = meta_bytes(private);
        bytes.extend(explicit(tags::SOP_INSTANCE_UID, b"UI", b"1.2.3\0"));
        bytes.extend(explicit(tags::MODALITY, b"CS", b"MR"));
        bytes.extend(explicit(tags::STUDY_INSTANCE_UID, b"UI", b"1.2\0"));
        bytes.extend(explicit(tags::SERIES_INSTANCE_UID, b"UI", b"1.2.4\0"));
        let r = instance(read_bytes(&bytes));
        assert_eq!(&*r.transfer_syntax, private);
        assert_eq!(r.modality.as_deref(), Some("MR"));

        let mut opaque = meta_bytes(private);
        opaque.extend([0x93, 0x17, 0x55, 0x01, 0x02, 0x03, 0x04, 0x05]);
        let defect = unreadable(read_bytes(&opaque));
        assert_eq!(defect.kind, DefectKind::Malformed);
        assert!(defect.detail.contains(private), "{}", defect.detail);
    }

    /// `obj` written in Deflated Explicit VR Little Endian: its explicit VR little endian data set, raw-deflated
    /// after a meta group that declares the deflated transfer syntax.
    fn deflated(obj: InMemDicomObject) -> Vec<u8> {
        let plain = part10(obj, uids::EXPLICIT_VR_LITTLE_ENDIAN);
        let group_len = u32::from_le_bytes(plain[140..144].try_into().expect("group length"));
        let data_set = &plain[144 + group_len as usize..];
        let mut out = meta_bytes(uids::DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN);
        let mut encoder =
            flate2::write::DeflateEncoder::new(&mut out, flate2::Compression::default());
        std::io::Write::write_all(&mut encoder, data_set).expect("deflate");
        encoder.finish().expect("deflate");
        out
    }

    #[test]
    fn deflated_data_set_is_inflated() {
        let bytes = deflated(image(true));
        let r = instance(read_bytes(&bytes));
        let plain = instance(read_bytes(&part10(
            image(true),
            uids::EXPLICIT_VR_LITTLE_ENDIAN,
        )));
        assert_eq!(
            &*r.transfer_syntax,
            uids::DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN
        );
        assert_eq!(r.size, bytes.len() as u64);
        // Bytes read from the file, compressed: never more than the file holds (found by fuzzing).
        assert!(r.header_bytes > 0 && r.header_bytes <= bytes.len() as u64);
        assert_eq!(r.sop_instance_uid, plain.sop_instance_uid);
        assert_eq!(r.series_instance_uid, plain.series_instance_uid);
        assert_eq!(r.patient_name, plain.patient_name);
        assert_eq!((r.rows, r.columns), (Some(ROWS), Some(COLUMNS)));
        assert_eq!(r.image_position, plain.image_position);
        assert_eq!(
            r.pixel_data.map(|p| p.encoding),
            Some(PixelEncoding::Native {
                declared_length: 24
            })
        );
        assert_eq!(r.defect, None);

        let r = instance(read_bytes(&deflated(enhanced(3))));
        assert_eq!(r.frame_positions().len(), 3);
        assert_eq!(r.defect, None);
    }

    #[test]
    fn deflated_data_sets_draw_on_the_scan_s_budget_and_stop_when_it_is_spent() {
        let bytes = deflated(image(true));
        let read = |budget: &Arc<InflateBudget>| {
            read_header_budgeted(
                std::io::Cursor::new(bytes.clone()),
                bytes.len() as u64,
                Path::new("IM"),
                budget.clone(),
            )
        };
        let ample = Arc::new(InflateBudget::new(1 << 20));
        assert_eq!(instance(read(&ample)).defect, None);
        let spent_once = (1 << 20) - ample.left();
        assert!(spent_once > 0, "inflating is charged");
        let scant = Arc::new(InflateBudget::new(spent_once / 4));
        let defect = match read(&scant) {
            HeaderOutcome::Instance(r) => *r.defect.expect("a defect"),
            HeaderOutcome::Unreadable(defect) => defect,
            other => panic!("{other:?}"),
        };
        assert_eq!(defect.kind, DefectKind::Malformed, "{defect:?}");
        assert!(defect.detail.contains("decompression bomb"), "{defect:?}");
    }

    #[test]
    fn every_cut_of_a_deflated_file_is_truncated() {
        let bytes = deflated(image(true));
        let data_at = meta_bytes(uids::DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN).len();
        for cut in data_at + 1..bytes.len() {
            let defect = match read_bytes(&bytes[..cut]) {
                HeaderOutcome::Instance(r) => *r.defect.expect("a cut file has a defect"),
                HeaderOutcome::Unreadable(defect) => defect,
                other => panic!("cut at {cut}: {other:?}"),
            };
            assert_eq!(
                defect.kind,
                DefectKind::Truncated,
                "cut at {cut}: {defect:?}"
            );
        }
    }

    #[test]
    fn inflated_pixel_data_shorter_than_declared_is_truncated() {
        let plain = part10(image(true), uids::EXPLICIT_VR_LITTLE_ENDIAN);
        let group_len = u32::from_le_bytes(plain[140..144].try_into().expect("group length"));
        // A complete deflate stream of a data set whose Pixel Data was cut: the inflated data ends early.
        let data_set = &plain[144 + group_len as usize..plain.len() - 10];
        let mut bytes = meta_bytes(uids::DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN);
        let mut encoder =
            flate2::write::DeflateEncoder::new(&mut bytes, flate2::Compression::fast());
        std::io::Write::write_all(&mut encoder, data_set).expect("deflate");
        encoder.finish().expect("deflate");
        let defect = instance(read_bytes(&bytes)).defect.expect("defect");
        assert_eq!(defect.kind, DefectKind::Truncated);
        assert_eq!(
            defect.detail,
            "file ends inside the image data: 14 of 24 bytes present"
        );
    }

    #[test]
    fn corrupt_deflate_stream_is_malformed() {
        let mut bytes = meta_bytes(uids::DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN);
        // A zlib header is not raw deflate: a stored block whose length check fails.
        bytes.extend([0x78, 0x9C, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06]);
        let defect = unreadable(read_bytes(&bytes));
        assert_eq!(defect.kind, DefectKind::Malformed);
        assert!(defect.detail.contains("corrupt"), "{}", defect.detail);
    }

    #[test]
    fn raw_big_endian_data_set_is_sniffed() {
        let part10 = part10(image(true), scan::EXPLICIT_BE);
        let group_len = u32::from_le_bytes(part10[140..144].try_into().expect("group length"));
        let raw = &part10[144 + group_len as usize..];
        assert_eq!(&raw[..2], &[0x00, 0x08]);
        let r = instance(read_bytes(raw));
        assert!(!r.part10);
        assert_eq!(&*r.transfer_syntax, scan::EXPLICIT_BE);
        assert_eq!(r.sop_instance_uid, "1.2.3.4.5.6");
        assert_eq!((r.rows, r.columns), (Some(ROWS), Some(COLUMNS)));
        assert_eq!(r.defect, None);
        let mut no_vr = raw.to_vec();
        no_vr[4..6].copy_from_slice(b"\x01\x02");
        assert!(matches!(
            read_bytes(&no_vr),
            HeaderOutcome::NotDicom(NotDicom::NoMarker)
        ));
    }
}

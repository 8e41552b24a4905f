//! Read header: one hardened, header-only pass over each file, giving one compact [`InstanceRecord`].
//!
//! The reader stops at Pixel Data without reading it, checks every declared length against the bytes left in
//! the file, bounds sequence nesting, and keeps text as raw bytes that [`crate::charset`] decodes.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::charset::DecodedText;

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

/// The header attributes of one instance that the checks and the report need. Small: no pixel data, ever.
#[derive(Debug, Clone, Default)]
pub struct InstanceRecord {
    /// Path relative to the scanned root.
    pub path: PathBuf,
    /// File size in bytes.
    pub size: u64,
    /// True for DICOM Part 10 files (preamble or `DICM`), false for raw data sets without file meta.
    pub part10: bool,
    /// Transfer Syntax UID (0002,0010), or the one guessed for a raw data set.
    pub transfer_syntax: String,
    /// SOP Class UID (0008,0016), else Media Storage SOP Class UID (0002,0002).
    pub sop_class_uid: String,
    /// SOP Instance UID (0008,0018), else Media Storage SOP Instance UID (0002,0003).
    pub sop_instance_uid: String,
    /// Specific Character Set (0008,0005) as written (values joined with `\`).
    pub specific_character_set: String,
    /// Patient's Name (0010,0010), decoded.
    pub patient_name: Option<DecodedText>,
    /// Patient ID (0010,0020), decoded.
    pub patient_id: Option<DecodedText>,
    /// Patient's Birth Date (0010,0030), as written (trimmed).
    pub patient_birth_date: Option<String>,
    /// Other Patient Names (0010,1001), decoded.
    pub other_patient_names: Option<DecodedText>,
    /// Study Instance UID (0020,000D).
    pub study_instance_uid: String,
    /// Study Date (0008,0020), as written (trimmed).
    pub study_date: Option<String>,
    /// Study Time (0008,0030), as written (trimmed).
    pub study_time: Option<String>,
    /// Study Description (0008,1030), decoded.
    pub study_description: Option<DecodedText>,
    /// Accession Number (0008,0050).
    pub accession_number: Option<String>,
    /// Institution Name (0008,0080), decoded.
    pub institution_name: Option<DecodedText>,
    /// Series Instance UID (0020,000E).
    pub series_instance_uid: String,
    /// Series Number (0020,0011).
    pub series_number: Option<i64>,
    /// Modality (0008,0060).
    pub modality: Option<String>,
    /// Series Description (0008,103E), decoded.
    pub series_description: Option<DecodedText>,
    /// Series Date (0008,0021).
    pub series_date: Option<String>,
    /// Acquisition Date (0008,0022).
    pub acquisition_date: Option<String>,
    /// Content Date (0008,0023).
    pub content_date: Option<String>,
    /// Image Type (0008,0008), values joined with `\`.
    pub image_type: Option<String>,
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
    /// Number of Frames (0028,0008).
    pub number_of_frames: Option<u32>,
    /// Per-frame Image Position (Patient) from the Per-frame Functional Groups Sequence (5200,9230), in frame
    /// order; empty for single-frame images.
    pub frame_positions: Vec<[f64; 3]>,
    /// Image Orientation (Patient) from the Shared (or first Per-frame) Functional Groups, for enhanced objects.
    pub frame_orientation: Option<[f64; 6]>,
    /// Pixel Data (7FE0,0010) position and length; `None` when the object has none.
    pub pixel_data: Option<PixelDataInfo>,
    /// Damage found in a file whose identifying attributes were read (cut inside Pixel Data, ...).
    pub defect: Option<FileDefect>,
    /// Bytes of the file the reader actually consumed (header bytes), for the benchmark and the bytes-read figure.
    pub header_bytes: u64,
}

impl InstanceRecord {
    /// Number of frames, treating an absent or zero Number of Frames as one.
    pub fn frames(&self) -> u32 {
        self.number_of_frames.filter(|&n| n > 0).unwrap_or(1)
    }

    /// Expected size in bytes of native pixel data: rows × columns × samples × bits / 8 × frames.
    pub fn expected_pixel_bytes(&self) -> Option<u64> {
        let rows = u64::from(self.rows?);
        let columns = u64::from(self.columns?);
        let samples = u64::from(self.samples_per_pixel.unwrap_or(1));
        let bits = u64::from(self.bits_allocated?);
        Some((rows * columns * samples * bits).div_ceil(8) * u64::from(self.frames()))
    }
}

/// Reads the header of one regular file. Never reads Pixel Data values, never panics on bad input, and never
/// allocates more than a small multiple of the bytes actually present in the file.
///
/// `path` is opened read-only; `relative` is what the record stores as its path.
pub fn read_header(path: &Path, relative: &Path) -> HeaderOutcome {
    let _ = (path, relative);
    unimplemented!("hardened header scanner")
}

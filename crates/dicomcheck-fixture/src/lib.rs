//! Synthetic discs for tests, the benchmark and the sample disc.
//!
//! A [`DiscSpec`] describes a patient, their studies and series, the folder layout and the extras found on real
//! media (DICOMDIR, viewer files); [`write_disc`] writes it as real DICOM Part 10 files with dicom-object's writer.
//! Everything is deterministic: UIDs come from [`DiscSpec::seed`] and indices, pixel content from the slice index,
//! so writing the same spec twice gives identical bytes. Spec-level options produce the defects the checks look
//! for (missing slices, instance-number gaps, duplicates, another patient's series, invalid dates, broken names);
//! [`truncate_file`], [`write_zero_byte`] and [`write_junk`] damage files after the fact.

use std::cell::Cell;
use std::fs;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::rc::Rc;

use dicom_core::value::{DataSetSequence, PixelFragmentSequence, PrimitiveValue};
use dicom_core::{DataElement, Length, Tag, VR};
use dicom_dictionary_std::{tags, uids};
use dicom_encoding::transfer_syntax::TransferSyntaxIndex;
use dicom_object::InMemDicomObject;
use dicom_object::meta::FileMetaTableBuilder;
use dicom_parser::dataset::DataToken;
use dicom_parser::dataset::read::DataSetReader;
use dicom_transfer_syntax_registry::TransferSyntaxRegistry;

/// Generates a builder-style setter for each listed public field.
macro_rules! setters {
    ($($(#[$doc:meta])* $name:ident: $ty:ty;)*) => {
        $(
            $(#[$doc])*
            #[must_use]
            pub fn $name(mut self, value: $ty) -> Self {
                self.$name = value.into();
                self
            }
        )*
    };
}

/// A whole disc: one patient (unless studies or series override it), their studies, and the media extras.
#[derive(Debug, Clone, PartialEq)]
pub struct DiscSpec {
    /// The patient every study and series belongs to unless overridden.
    pub patient: PatientSpec,
    /// The studies, in order; study `i` gets folder `ST00000{i+1}`.
    pub studies: Vec<StudySpec>,
    /// Folder layout of the image files.
    pub layout: Layout,
    /// Write a `DICOMDIR` at the root listing the files (series with `in_dicomdir = false` left out).
    pub dicomdir: bool,
    /// Write `AUTORUN.INF`, `VIEWER.EXE` (junk bytes) and `README.TXT` at the root.
    pub viewer_files: bool,
    /// Seed of every UID on the disc; two discs with different seeds share no UID.
    pub seed: u64,
}

impl Default for DiscSpec {
    fn default() -> Self {
        Self {
            patient: PatientSpec::default(),
            studies: Vec::new(),
            layout: Layout::DicomDir,
            dicomdir: true,
            viewer_files: false,
            seed: 1,
        }
    }
}

impl DiscSpec {
    /// A DICOMDIR-style disc for `patient` with no studies yet.
    pub fn new(patient: PatientSpec) -> Self {
        Self {
            patient,
            ..Self::default()
        }
    }

    /// Add a study.
    #[must_use]
    pub fn study(mut self, study: StudySpec) -> Self {
        self.studies.push(study);
        self
    }

    setters! {
        /// Set the folder layout.
        layout: Layout;
        /// Write a DICOMDIR or not.
        dicomdir: bool;
        /// Write viewer files or not.
        viewer_files: bool;
        /// Set the UID seed.
        seed: u64;
    }
}

/// Where the image files go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Layout {
    /// `DICOM/ST000001/SE000001/IM000001`: 8-character upper-case names, no extension.
    #[default]
    DicomDir,
    /// All files at the root, named `ST01_SE01_IM0001.dcm`.
    Flat,
}

/// The patient module: name, ID, birth date, sex, and the declared Specific Character Set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatientSpec {
    /// PatientName (0010,0010).
    pub name: NameSpec,
    /// PatientID (0010,0020).
    pub id: String,
    /// PatientBirthDate (0010,0030), raw; `None` leaves it out.
    pub birth_date: Option<String>,
    /// PatientSex (0010,0040); `None` leaves it out.
    pub sex: Option<String>,
    /// Specific Character Set (0008,0005) written in every file of this patient, raw and possibly multi-valued
    /// (`\ISO 2022 IR 58`); `None` leaves it out.
    pub charset: Option<String>,
}

impl Default for PatientSpec {
    fn default() -> Self {
        Self {
            name: NameSpec::Text("DOE^JANE".to_owned()),
            id: "PAT0001".to_owned(),
            birth_date: Some("19800402".to_owned()),
            sex: Some("F".to_owned()),
            charset: None,
        }
    }
}

impl PatientSpec {
    /// A patient with the given name as text and default ID, birth date and sex.
    pub fn new(name: &str) -> Self {
        Self {
            name: NameSpec::Text(name.to_owned()),
            ..Self::default()
        }
    }

    /// Write these bytes verbatim as PatientName (space-padded to even length).
    #[must_use]
    pub fn raw_name(mut self, bytes: &[u8]) -> Self {
        self.name = NameSpec::Raw(bytes.to_vec());
        self
    }

    /// Leave PatientName out.
    #[must_use]
    pub fn no_name(mut self) -> Self {
        self.name = NameSpec::Absent;
        self
    }

    /// Set the Specific Character Set.
    #[must_use]
    pub fn charset(mut self, charset: &str) -> Self {
        self.charset = Some(charset.to_owned());
        self
    }

    /// Set the PatientID.
    #[must_use]
    pub fn id(mut self, id: &str) -> Self {
        self.id = id.to_owned();
        self
    }

    setters! {
        /// Set the birth date (raw), or `None` to leave it out.
        birth_date: Option<String>;
        /// Set the sex, or `None` to leave it out.
        sex: Option<String>;
    }
}

/// How PatientName is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NameSpec {
    /// Text encoded with the patient's declared charset: none or `ISO_IR 6` (ASCII), `ISO_IR 100` (Latin-1),
    /// `ISO_IR 192` (UTF-8), `GB18030`, `GBK`, `GB2312`, or `ISO 2022 IR 58` (each component group holding
    /// Chinese characters gets `ESC $ ) A` and GB2312 bytes). Text the charset cannot hold fails the write.
    Text(String),
    /// Bytes written verbatim whatever the declared charset ("undeclared GBK", "GBK under ISO_IR 100", ...).
    Raw(Vec<u8>),
    /// No PatientName element.
    Absent,
}

/// One study: its date, time, description and series.
#[derive(Debug, Clone, PartialEq)]
pub struct StudySpec {
    /// StudyDate (0008,0020), raw so invalid dates can be written; `None` leaves it out.
    pub date: Option<String>,
    /// StudyTime (0008,0030), raw; `None` leaves it out.
    pub time: Option<String>,
    /// StudyDescription (0008,1030).
    pub description: String,
    /// The series, in order; series `j` gets folder `SE00000{j+1}`.
    pub series: Vec<SeriesSpec>,
    /// Another patient for the whole study (a second person's study on the disc).
    pub patient: Option<PatientSpec>,
}

impl Default for StudySpec {
    fn default() -> Self {
        Self {
            date: Some("20261120".to_owned()),
            time: Some("101500".to_owned()),
            description: "CT CHEST".to_owned(),
            series: Vec::new(),
            patient: None,
        }
    }
}

impl StudySpec {
    /// A study with this description, the default date and no series yet.
    pub fn new(description: &str) -> Self {
        Self {
            description: description.to_owned(),
            ..Self::default()
        }
    }

    /// Add a series.
    #[must_use]
    pub fn series(mut self, series: SeriesSpec) -> Self {
        self.series.push(series);
        self
    }

    /// Set the raw StudyDate.
    #[must_use]
    pub fn date(mut self, date: &str) -> Self {
        self.date = Some(date.to_owned());
        self
    }

    /// Leave StudyDate out.
    #[must_use]
    pub fn no_date(mut self) -> Self {
        self.date = None;
        self
    }

    setters! {
        /// Set the raw StudyTime, or `None` to leave it out.
        time: Option<String>;
        /// Belong to another patient.
        patient: Option<PatientSpec>;
    }
}

/// Patient orientation of the slices.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum Orientation {
    /// Rows along +x, columns along +y; normal +z.
    #[default]
    Axial,
    /// Rows along +y, columns along -z; normal -x.
    Sagittal,
    /// Rows along +x, columns along -z; normal +y.
    Coronal,
    /// Any direction cosines (row then column), as written in ImageOrientationPatient.
    Oblique([f64; 6]),
}

impl Orientation {
    /// The six direction cosines, row direction then column direction.
    pub fn cosines(self) -> [f64; 6] {
        match self {
            Self::Axial => [1.0, 0.0, 0.0, 0.0, 1.0, 0.0],
            Self::Sagittal => [0.0, 1.0, 0.0, 0.0, 0.0, -1.0],
            Self::Coronal => [1.0, 0.0, 0.0, 0.0, 0.0, -1.0],
            Self::Oblique(c) => c,
        }
    }

    /// The unit slice normal: row × column direction, normalised (zero if the directions are parallel).
    pub fn normal(self) -> [f64; 3] {
        let [r0, r1, r2, c0, c1, c2] = self.cosines();
        let n = [r1 * c2 - r2 * c1, r2 * c0 - r0 * c2, r0 * c1 - r1 * c0];
        let len = (n[0] * n[0] + n[1] * n[1] + n[2] * n[2]).sqrt();
        if len > 0.0 { n.map(|c| c / len) } else { n }
    }
}

/// The transfer syntax of a series' files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Syntax {
    /// Explicit VR Little Endian.
    #[default]
    ExplicitLe,
    /// Implicit VR Little Endian.
    ImplicitLe,
    /// JPEG Lossless SV1, encapsulated: an empty offset table and one fragment of fake JPEG bytes per frame.
    JpegLossless,
}

impl Syntax {
    /// The transfer syntax UID.
    pub fn uid(self) -> &'static str {
        match self {
            Self::ExplicitLe => uids::EXPLICIT_VR_LITTLE_ENDIAN,
            Self::ImplicitLe => uids::IMPLICIT_VR_LITTLE_ENDIAN,
            Self::JpegLossless => uids::JPEG_LOSSLESS_SV1,
        }
    }
}

/// One series: geometry, pixel format, encoding, and the defects to build in.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesSpec {
    /// Modality (0008,0060); also picks the SOP class (CT, MR, else Secondary Capture).
    pub modality: String,
    /// SeriesNumber (0020,0011); `None` uses the series' position in the study (1-based).
    pub number: Option<i32>,
    /// SeriesDescription (0008,103E).
    pub description: String,
    /// Number of slices in the stack (before `omit_slices`).
    pub slices: u32,
    /// Rows (0028,0010).
    pub rows: u16,
    /// Columns (0028,0011).
    pub columns: u16,
    /// BitsAllocated (0028,0100): 8 or 16 (BitsStored is 8 or 12).
    pub bits_allocated: u16,
    /// PixelSpacing (0028,0030): row spacing, column spacing, in mm.
    pub pixel_spacing: [f64; 2],
    /// Distance between neighbouring slices along the normal, in mm.
    pub slice_spacing: f64,
    /// Direction cosines.
    pub orientation: Orientation,
    /// ImagePositionPatient of slice 0.
    pub first_position: [f64; 3],
    /// ImagesInAcquisition (0020,1002); `None` leaves it out.
    pub images_in_acquisition: Option<i64>,
    /// ImageType (0008,0008) values.
    pub image_type: Vec<String>,
    /// One Enhanced CT/MR object holding every slice as a frame (per-frame and shared functional groups).
    pub multiframe: bool,
    /// Transfer syntax of the files.
    pub transfer_syntax: Syntax,
    /// Add a vendor-like header of about 250 elements, private groups and a few KB of private blobs.
    pub vendor_header: bool,
    /// SeriesDate, AcquisitionDate and ContentDate (raw); `None` uses the study's date.
    pub date: Option<String>,
    /// Slice indices (0-based) not written: their positions stay empty.
    pub omit_slices: Vec<u32>,
    /// Number the written slices 1..n contiguously; otherwise an omitted slice keeps its number (a gap).
    pub renumber: bool,
    /// Instance numbers skipped when numbering (a gap in InstanceNumber without a missing slice).
    /// Single-frame series only (a multi-frame object is instance 1).
    pub number_gaps: Vec<i32>,
    /// Slice indices (0-based) written twice: a second file with identical content (same SOP Instance UID).
    /// Single-frame series only.
    pub duplicate_slices: Vec<u32>,
    /// Extra displacement along the normal, in mm, of given slice indices (irregular spacing).
    pub shift_slices: Vec<(u32, f64)>,
    /// Echoes per slice position (a 4D series): each slice is written once per echo with Echo Numbers
    /// (0018,0086) 1, 2, ..., numbered echo by echo. Single-frame series only; 1 writes no Echo Numbers.
    pub echoes: u32,
    /// Images (echo index, slice index; 0-based) not written while the other echoes at that position are.
    pub omit_images: Vec<(u32, u32)>,
    /// Another patient for this series only.
    pub patient: Option<PatientSpec>,
    /// List this series in the DICOMDIR.
    pub in_dicomdir: bool,
}

impl Default for SeriesSpec {
    fn default() -> Self {
        Self {
            modality: "CT".to_owned(),
            number: None,
            description: "AXIAL 2.5MM".to_owned(),
            slices: 10,
            rows: 64,
            columns: 64,
            bits_allocated: 16,
            pixel_spacing: [0.7, 0.7],
            slice_spacing: 2.5,
            orientation: Orientation::Axial,
            first_position: [-22.4, -22.4, -100.0],
            images_in_acquisition: None,
            image_type: vec!["ORIGINAL".into(), "PRIMARY".into(), "AXIAL".into()],
            multiframe: false,
            transfer_syntax: Syntax::ExplicitLe,
            vendor_header: false,
            date: None,
            omit_slices: Vec::new(),
            renumber: false,
            number_gaps: Vec::new(),
            duplicate_slices: Vec::new(),
            shift_slices: Vec::new(),
            echoes: 1,
            omit_images: Vec::new(),
            patient: None,
            in_dicomdir: true,
        }
    }
}

impl SeriesSpec {
    /// An axial CT series of `slices` 64×64 16-bit slices.
    pub fn ct(slices: u32) -> Self {
        Self {
            slices,
            ..Self::default()
        }
    }

    /// An axial MR series of `slices` 64×64 16-bit slices, 5 mm apart.
    pub fn mr(slices: u32) -> Self {
        Self {
            modality: "MR".to_owned(),
            description: "T2 AXIAL".to_owned(),
            slices,
            pixel_spacing: [3.5, 3.5],
            slice_spacing: 5.0,
            first_position: [-112.0, -112.0, -30.0],
            image_type: vec!["ORIGINAL".into(), "PRIMARY".into(), "M".into()],
            ..Self::default()
        }
    }

    /// Set the description.
    #[must_use]
    pub fn description(mut self, description: &str) -> Self {
        self.description = description.to_owned();
        self
    }

    /// Set the modality.
    #[must_use]
    pub fn modality(mut self, modality: &str) -> Self {
        self.modality = modality.to_owned();
        self
    }

    /// Set the raw SeriesDate, AcquisitionDate and ContentDate.
    #[must_use]
    pub fn date(mut self, date: &str) -> Self {
        self.date = Some(date.to_owned());
        self
    }

    /// Set rows and columns.
    #[must_use]
    pub fn size(mut self, rows: u16, columns: u16) -> Self {
        self.rows = rows;
        self.columns = columns;
        self
    }

    /// Set ImageType.
    #[must_use]
    pub fn image_type(mut self, values: &[&str]) -> Self {
        self.image_type = values.iter().map(|v| (*v).to_owned()).collect();
        self
    }

    /// Leave out these slice indices (0-based).
    #[must_use]
    pub fn omit_slices(mut self, indices: &[u32]) -> Self {
        self.omit_slices = indices.to_vec();
        self
    }

    /// Skip these instance numbers when numbering.
    #[must_use]
    pub fn number_gaps(mut self, numbers: &[i32]) -> Self {
        self.number_gaps = numbers.to_vec();
        self
    }

    /// Write these slice indices (0-based) twice.
    #[must_use]
    pub fn duplicate_slices(mut self, indices: &[u32]) -> Self {
        self.duplicate_slices = indices.to_vec();
        self
    }

    /// Displace these slice indices along the normal by the given mm.
    #[must_use]
    pub fn shift_slices(mut self, shifts: &[(u32, f64)]) -> Self {
        self.shift_slices = shifts.to_vec();
        self
    }

    /// Belong to another patient.
    #[must_use]
    pub fn patient(mut self, patient: PatientSpec) -> Self {
        self.patient = Some(patient);
        self
    }

    setters! {
        /// Set the SeriesNumber, or `None` for the position in the study.
        number: Option<i32>;
        /// Set the number of slices.
        slices: u32;
        /// Set BitsAllocated (8 or 16).
        bits_allocated: u16;
        /// Set PixelSpacing.
        pixel_spacing: [f64; 2];
        /// Set the slice spacing.
        slice_spacing: f64;
        /// Set the orientation.
        orientation: Orientation;
        /// Set the position of slice 0.
        first_position: [f64; 3];
        /// Set ImagesInAcquisition, or `None` to leave it out.
        images_in_acquisition: Option<i64>;
        /// Write one multi-frame Enhanced object.
        multiframe: bool;
        /// Set the transfer syntax.
        transfer_syntax: Syntax;
        /// Add the vendor-like header.
        vendor_header: bool;
        /// Renumber the written slices contiguously.
        renumber: bool;
        /// List the series in the DICOMDIR or not.
        in_dicomdir: bool;
    }

    /// Write each slice position once per echo (see [`SeriesSpec::echoes`]).
    pub fn echoes(mut self, echoes: u32) -> Self {
        self.echoes = echoes.max(1);
        self
    }

    /// Leave out single images (echo index, slice index) of a multi-echo series.
    pub fn omit_images(mut self, images: &[(u32, u32)]) -> Self {
        self.omit_images = images.to_vec();
        self
    }

    /// ImagePositionPatient of slice `index`, including any shift.
    pub fn position(&self, index: u32) -> [f64; 3] {
        let shift: f64 = self
            .shift_slices
            .iter()
            .filter(|(k, _)| *k == index)
            .map(|(_, d)| d)
            .sum();
        let distance = f64::from(index) * self.slice_spacing + shift;
        let n = self.orientation.normal();
        let p = self.first_position;
        [
            p[0] + distance * n[0],
            p[1] + distance * n[1],
            p[2] + distance * n[2],
        ]
    }

    fn sop_class(&self) -> &'static str {
        match (self.modality.as_str(), self.multiframe) {
            ("CT", false) => uids::CT_IMAGE_STORAGE,
            ("CT", true) => uids::ENHANCED_CT_IMAGE_STORAGE,
            ("MR", false) => uids::MR_IMAGE_STORAGE,
            ("MR", true) => uids::ENHANCED_MR_IMAGE_STORAGE,
            (_, false) => uids::SECONDARY_CAPTURE_IMAGE_STORAGE,
            (_, true) => uids::MULTI_FRAME_GRAYSCALE_WORD_SECONDARY_CAPTURE_IMAGE_STORAGE,
        }
    }

    /// The slices written, with their instance numbers, in stack order.
    fn numbered_slices(&self) -> Vec<(u32, i32)> {
        let mut out = Vec::new();
        let mut number = 0i32;
        for index in 0..self.slices {
            let omitted = self.omit_slices.contains(&index);
            if omitted && self.renumber {
                continue;
            }
            number += 1;
            while self.number_gaps.contains(&number) {
                number += 1;
            }
            if !omitted {
                out.push((index, number));
            }
        }
        out
    }
}

/// What [`write_disc`] wrote; every path is relative to `root`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrittenDisc {
    /// The directory the disc was written to.
    pub root: PathBuf,
    /// The image files of each series, in spec order (study by study).
    pub series: Vec<WrittenSeries>,
    /// `DICOMDIR`, when one was written.
    pub dicomdir: Option<PathBuf>,
    /// Viewer files.
    pub other_files: Vec<PathBuf>,
}

impl WrittenDisc {
    /// Absolute path of a relative path of this disc.
    pub fn path(&self, relative: &Path) -> PathBuf {
        self.root.join(relative)
    }

    /// Every file written, relative, sorted.
    pub fn all_files(&self) -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = self
            .series
            .iter()
            .flat_map(|s| s.instances.iter().map(|i| i.path.clone()))
            .chain(self.dicomdir.iter().cloned())
            .chain(self.other_files.iter().cloned())
            .collect();
        files.sort();
        files
    }
}

/// The files of one series.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrittenSeries {
    /// Index of the study in [`DiscSpec::studies`].
    pub study: usize,
    /// Index of the series in [`StudySpec::series`].
    pub series: usize,
    /// StudyInstanceUID.
    pub study_instance_uid: String,
    /// SeriesInstanceUID.
    pub series_instance_uid: String,
    /// One entry per file, in writing order (stack order, duplicates right after their original).
    pub instances: Vec<WrittenInstance>,
}

/// One file of a series.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrittenInstance {
    /// Path relative to the disc root.
    pub path: PathBuf,
    /// SOPInstanceUID.
    pub sop_instance_uid: String,
    /// InstanceNumber.
    pub instance_number: i32,
    /// Slice index in the stack (0-based); the first frame's for a multi-frame object.
    pub slice: u32,
    /// Number of frames in the file (1 unless multi-frame).
    pub frames: u32,
}

/// A deterministic `2.25.<decimal>` UID from the seed and indices (a kind tag first, then the indices).
pub fn uid(seed: u64, parts: &[u64]) -> String {
    let mut state = splitmix(seed ^ 0x6469_636f_6d63_6865);
    for part in parts {
        state = splitmix(state ^ part.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    }
    let high = splitmix(state ^ 1);
    let low = splitmix(state ^ 2);
    let value = (u128::from(high) << 64 | u128::from(low)).max(1);
    format!("2.25.{value}")
}

fn splitmix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

const KIND_STUDY: u64 = 1;
const KIND_SERIES: u64 = 2;
const KIND_INSTANCE: u64 = 3;
const KIND_FRAME_OF_REFERENCE: u64 = 4;
const KIND_DICOMDIR: u64 = 5;

/// A decimal string (DS) value: at most 6 decimals, no trailing zeros, never `-0`.
pub fn ds(value: f64) -> String {
    let text = format!("{value:.6}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" {
        "0".to_owned()
    } else {
        text.to_owned()
    }
}

/// Encode a name for PatientName under a declared Specific Character Set (see [`NameSpec::Text`]).
pub fn encode_name(text: &str, charset: Option<&str>) -> io::Result<Vec<u8>> {
    let terms: Vec<String> = charset
        .unwrap_or("")
        .split('\\')
        .map(|t| t.trim().to_ascii_uppercase())
        .filter(|t| !t.is_empty())
        .collect();
    let has = |name: &str| terms.iter().any(|t| t == name);
    let unrepresentable = || invalid(format!("{text:?} cannot be written under {charset:?}"));
    if has("ISO 2022 IR 58") {
        return encode_iso2022_ir58(text).ok_or_else(unrepresentable);
    }
    let encoding = if has("ISO_IR 192") {
        encoding_rs::UTF_8
    } else if has("GB18030") {
        encoding_rs::GB18030
    } else if has("GBK") || has("GB2312") {
        encoding_rs::GBK
    } else if has("ISO_IR 100") {
        return text
            .chars()
            .map(|c| u8::try_from(u32::from(c)).ok())
            .collect::<Option<Vec<u8>>>()
            .ok_or_else(unrepresentable);
    } else if terms
        .iter()
        .all(|t| t == "ISO_IR 6" || t == "ISO 2022 IR 6")
    {
        return if text.is_ascii() {
            Ok(text.as_bytes().to_vec())
        } else {
            Err(unrepresentable())
        };
    } else {
        return Err(invalid(format!(
            "charset {charset:?} is not supported for text names; use NameSpec::Raw"
        )));
    };
    let (bytes, _, had_errors) = encoding.encode(text);
    if had_errors {
        return Err(unrepresentable());
    }
    Ok(bytes.into_owned())
}

/// GB2312 in G1 with `ESC $ ) A` at the start of each component holding non-ASCII text (PS3.5 K.2 style).
fn encode_iso2022_ir58(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut component = String::new();
    for c in text.chars().chain(std::iter::once('\0')) {
        if c == '^' || c == '=' || c == '\0' {
            if !component.is_ascii() {
                let (bytes, _, had_errors) = encoding_rs::GBK.encode(&component);
                let gb2312 = bytes
                    .iter()
                    .all(|b| b.is_ascii() || (0xA1..=0xFE).contains(b));
                if had_errors || !gb2312 {
                    return None;
                }
                out.extend_from_slice(b"\x1b$)A");
                out.extend_from_slice(&bytes);
            } else {
                out.extend_from_slice(component.as_bytes());
            }
            component.clear();
            if c != '\0' {
                out.push(c as u8);
            }
        } else {
            component.push(c);
        }
    }
    Some(out)
}

fn invalid(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, message)
}

/// PatientName bytes, space-padded to even length; `None` when the name is absent.
fn name_bytes(patient: &PatientSpec) -> io::Result<Option<Vec<u8>>> {
    let mut bytes = match &patient.name {
        NameSpec::Text(text) => encode_name(text, patient.charset.as_deref())?,
        NameSpec::Raw(bytes) => bytes.clone(),
        NameSpec::Absent => return Ok(None),
    };
    if bytes.len() % 2 == 1 {
        bytes.push(b' ');
    }
    Ok(Some(bytes))
}

fn put_str(obj: &mut InMemDicomObject, tag: Tag, vr: VR, value: &str) {
    obj.put(DataElement::new(tag, vr, value));
}

fn put_strs<S: AsRef<str>>(obj: &mut InMemDicomObject, tag: Tag, vr: VR, values: &[S]) {
    let values: Vec<String> = values.iter().map(|v| v.as_ref().to_owned()).collect();
    obj.put(DataElement::new(
        tag,
        vr,
        PrimitiveValue::Strs(values.into()),
    ));
}

fn put_ds(obj: &mut InMemDicomObject, tag: Tag, values: &[f64]) {
    let values: Vec<String> = values.iter().map(|v| ds(*v)).collect();
    put_strs(obj, tag, VR::DS, &values);
}

fn put_us(obj: &mut InMemDicomObject, tag: Tag, value: u16) {
    obj.put(DataElement::new(tag, VR::US, PrimitiveValue::from(value)));
}

fn put_sequence(obj: &mut InMemDicomObject, tag: Tag, items: Vec<InMemDicomObject>) {
    obj.put(DataElement::new(
        tag,
        VR::SQ,
        DataSetSequence::new(items, Length::UNDEFINED),
    ));
}

fn put_charset(obj: &mut InMemDicomObject, charset: Option<&str>) {
    if let Some(charset) = charset {
        let values: Vec<&str> = charset.split('\\').collect();
        put_strs(obj, tags::SPECIFIC_CHARACTER_SET, VR::CS, &values);
    }
}

fn put_patient(obj: &mut InMemDicomObject, patient: &PatientSpec) -> io::Result<()> {
    if let Some(bytes) = name_bytes(patient)? {
        obj.put(DataElement::new(
            tags::PATIENT_NAME,
            VR::PN,
            PrimitiveValue::U8(bytes.into()),
        ));
    }
    put_str(obj, tags::PATIENT_ID, VR::LO, &patient.id);
    if let Some(date) = &patient.birth_date {
        put_str(obj, tags::PATIENT_BIRTH_DATE, VR::DA, date);
    }
    if let Some(sex) = &patient.sex {
        put_str(obj, tags::PATIENT_SEX, VR::CS, sex);
    }
    Ok(())
}

/// Deterministic pixel value of pixel (x, y) of slice `slice`: rings that move with the slice.
fn pixel(x: u32, y: u32, slice: u32, max: u32) -> u32 {
    (x * x + y * y + slice * 97) / 4 % max
}

fn frame_pixels(spec: &SeriesSpec, slice: u32, out: &mut Vec<u8>) {
    let max = if spec.bits_allocated == 8 { 256 } else { 4096 };
    for y in 0..u32::from(spec.rows) {
        for x in 0..u32::from(spec.columns) {
            let value = pixel(x, y, slice, max);
            if spec.bits_allocated == 8 {
                out.push(value.to_le_bytes()[0]);
            } else {
                out.extend_from_slice(&value.to_le_bytes()[..2]);
            }
        }
    }
}

/// Fake JPEG bytes for one frame: SOI, some deterministic filler, EOI; even length.
fn fake_jpeg(slice: u32, len: usize) -> Vec<u8> {
    let mut out = vec![0xFF, 0xD8];
    let mut state = u64::from(slice);
    while out.len() < len.saturating_sub(2).max(2) {
        state = splitmix(state);
        out.push(state.to_le_bytes()[0] & 0x7F);
    }
    out.extend_from_slice(&[0xFF, 0xD9]);
    if out.len() % 2 == 1 {
        out.push(0);
    }
    out
}

fn put_pixel_data(obj: &mut InMemDicomObject, spec: &SeriesSpec, slices: &[u32]) {
    if spec.transfer_syntax == Syntax::JpegLossless {
        let frame_len = usize::from(spec.rows) * usize::from(spec.columns) / 4;
        let fragments: Vec<Vec<u8>> = slices.iter().map(|s| fake_jpeg(*s, frame_len)).collect();
        obj.put(DataElement::new(
            tags::PIXEL_DATA,
            VR::OB,
            PixelFragmentSequence::new(Vec::<u32>::new(), fragments),
        ));
        return;
    }
    let mut bytes = Vec::new();
    for slice in slices {
        frame_pixels(spec, *slice, &mut bytes);
    }
    if bytes.len() % 2 == 1 {
        bytes.push(0);
    }
    // Little-endian bytes written verbatim: OW for 16-bit pixels, OB for 8-bit.
    let vr = if spec.bits_allocated == 8 {
        VR::OB
    } else {
        VR::OW
    };
    obj.put(DataElement::new(
        tags::PIXEL_DATA,
        vr,
        PrimitiveValue::U8(bytes.into()),
    ));
}

/// Per-study and per-series values shared by every file of a series.
struct SeriesContext<'a> {
    spec: &'a SeriesSpec,
    study: &'a StudySpec,
    patient: &'a PatientSpec,
    study_index: usize,
    series_index: usize,
    study_uid: String,
    series_uid: String,
    frame_of_reference_uid: String,
}

fn build_instance(
    ctx: &SeriesContext<'_>,
    sop_instance_uid: &str,
    number: i32,
    slices: &[u32],
    echo: u32,
) -> io::Result<Vec<u8>> {
    let spec = ctx.spec;
    let mut obj = InMemDicomObject::new_empty();
    put_charset(&mut obj, ctx.patient.charset.as_deref());
    put_strs(&mut obj, tags::IMAGE_TYPE, VR::CS, &spec.image_type);
    put_str(&mut obj, tags::SOP_CLASS_UID, VR::UI, spec.sop_class());
    put_str(&mut obj, tags::SOP_INSTANCE_UID, VR::UI, sop_instance_uid);
    if let Some(date) = &ctx.study.date {
        put_str(&mut obj, tags::STUDY_DATE, VR::DA, date);
    }
    if let Some(date) = spec.date.as_ref().or(ctx.study.date.as_ref()) {
        put_str(&mut obj, tags::SERIES_DATE, VR::DA, date);
        put_str(&mut obj, tags::ACQUISITION_DATE, VR::DA, date);
        put_str(&mut obj, tags::CONTENT_DATE, VR::DA, date);
    }
    if let Some(time) = &ctx.study.time {
        put_str(&mut obj, tags::STUDY_TIME, VR::TM, time);
    }
    let accession = format!("ACC{:05}", ctx.study_index + 1);
    put_str(&mut obj, tags::ACCESSION_NUMBER, VR::SH, &accession);
    put_str(&mut obj, tags::MODALITY, VR::CS, &spec.modality);
    put_str(&mut obj, tags::MANUFACTURER, VR::LO, "DICOMCHECK FIXTURE");
    put_str(
        &mut obj,
        tags::STUDY_DESCRIPTION,
        VR::LO,
        &ctx.study.description,
    );
    put_str(
        &mut obj,
        tags::SERIES_DESCRIPTION,
        VR::LO,
        &spec.description,
    );
    put_patient(&mut obj, ctx.patient)?;
    put_ds(&mut obj, tags::SLICE_THICKNESS, &[spec.slice_spacing]);
    put_ds(
        &mut obj,
        tags::SPACING_BETWEEN_SLICES,
        &[spec.slice_spacing],
    );
    put_str(&mut obj, tags::STUDY_INSTANCE_UID, VR::UI, &ctx.study_uid);
    put_str(&mut obj, tags::SERIES_INSTANCE_UID, VR::UI, &ctx.series_uid);
    put_str(
        &mut obj,
        tags::STUDY_ID,
        VR::SH,
        &(ctx.study_index + 1).to_string(),
    );
    let series_number = spec
        .number
        .unwrap_or_else(|| i32::try_from(ctx.series_index + 1).unwrap_or(i32::MAX));
    put_str(
        &mut obj,
        tags::SERIES_NUMBER,
        VR::IS,
        &series_number.to_string(),
    );
    put_str(&mut obj, tags::INSTANCE_NUMBER, VR::IS, &number.to_string());
    if spec.echoes > 1 {
        put_str(
            &mut obj,
            tags::ECHO_NUMBERS,
            VR::IS,
            &(echo + 1).to_string(),
        );
    }
    put_str(
        &mut obj,
        tags::FRAME_OF_REFERENCE_UID,
        VR::UI,
        &ctx.frame_of_reference_uid,
    );
    if let Some(images) = spec.images_in_acquisition {
        put_str(
            &mut obj,
            tags::IMAGES_IN_ACQUISITION,
            VR::IS,
            &images.to_string(),
        );
    }
    let cosines = spec.orientation.cosines();
    if spec.multiframe {
        put_functional_groups(&mut obj, spec, slices);
        let frames = slices.len().to_string();
        put_str(&mut obj, tags::NUMBER_OF_FRAMES, VR::IS, &frames);
    } else if let Some(slice) = slices.first() {
        let position = spec.position(*slice);
        put_ds(&mut obj, tags::IMAGE_POSITION_PATIENT, &position);
        put_ds(&mut obj, tags::IMAGE_ORIENTATION_PATIENT, &cosines);
        let normal = spec.orientation.normal();
        let location: f64 = position.iter().zip(normal).map(|(p, n)| p * n).sum();
        put_ds(&mut obj, tags::SLICE_LOCATION, &[location]);
        put_ds(&mut obj, tags::PIXEL_SPACING, &spec.pixel_spacing);
    }
    put_us(&mut obj, tags::SAMPLES_PER_PIXEL, 1);
    put_str(
        &mut obj,
        tags::PHOTOMETRIC_INTERPRETATION,
        VR::CS,
        "MONOCHROME2",
    );
    put_us(&mut obj, tags::ROWS, spec.rows);
    put_us(&mut obj, tags::COLUMNS, spec.columns);
    let stored = if spec.bits_allocated == 8 { 8 } else { 12 };
    put_us(&mut obj, tags::BITS_ALLOCATED, spec.bits_allocated);
    put_us(&mut obj, tags::BITS_STORED, stored);
    put_us(&mut obj, tags::HIGH_BIT, stored - 1);
    put_us(&mut obj, tags::PIXEL_REPRESENTATION, 0);
    if spec.vendor_header {
        put_vendor_header(&mut obj, ctx, slices.first().copied().unwrap_or(0));
    }
    put_pixel_data(&mut obj, spec, slices);
    serialize(obj, spec.transfer_syntax.uid())
}

fn put_functional_groups(obj: &mut InMemDicomObject, spec: &SeriesSpec, slices: &[u32]) {
    let mut orientation = InMemDicomObject::new_empty();
    put_ds(
        &mut orientation,
        tags::IMAGE_ORIENTATION_PATIENT,
        &spec.orientation.cosines(),
    );
    let mut measures = InMemDicomObject::new_empty();
    put_ds(&mut measures, tags::PIXEL_SPACING, &spec.pixel_spacing);
    put_ds(&mut measures, tags::SLICE_THICKNESS, &[spec.slice_spacing]);
    put_ds(
        &mut measures,
        tags::SPACING_BETWEEN_SLICES,
        &[spec.slice_spacing],
    );
    let mut shared = InMemDicomObject::new_empty();
    put_sequence(
        &mut shared,
        tags::PLANE_ORIENTATION_SEQUENCE,
        vec![orientation],
    );
    put_sequence(&mut shared, tags::PIXEL_MEASURES_SEQUENCE, vec![measures]);
    put_sequence(obj, tags::SHARED_FUNCTIONAL_GROUPS_SEQUENCE, vec![shared]);

    let per_frame = slices
        .iter()
        .zip(1u32..)
        .map(|(slice, in_stack)| {
            let mut content = InMemDicomObject::new_empty();
            content.put(DataElement::new(
                tags::IN_STACK_POSITION_NUMBER,
                VR::UL,
                PrimitiveValue::from(in_stack),
            ));
            let mut position = InMemDicomObject::new_empty();
            put_ds(
                &mut position,
                tags::IMAGE_POSITION_PATIENT,
                &spec.position(*slice),
            );
            let mut frame = InMemDicomObject::new_empty();
            put_sequence(&mut frame, tags::FRAME_CONTENT_SEQUENCE, vec![content]);
            put_sequence(&mut frame, tags::PLANE_POSITION_SEQUENCE, vec![position]);
            frame
        })
        .collect();
    put_sequence(obj, tags::PER_FRAME_FUNCTIONAL_GROUPS_SEQUENCE, per_frame);
}

/// About 250 vendor-like elements: acquisition and display attributes, two private groups of parameters and a
/// private blob of a few KB, as scanners write them.
fn put_vendor_header(obj: &mut InMemDicomObject, ctx: &SeriesContext<'_>, slice: u32) {
    let texts: [(Tag, VR, &str); 24] = [
        (tags::INSTITUTION_NAME, VR::LO, "GENERAL HOSPITAL"),
        (tags::INSTITUTION_ADDRESS, VR::ST, "1 HOSPITAL ROAD, CITY"),
        (tags::REFERRING_PHYSICIAN_NAME, VR::PN, "HOUSE^GREGORY"),
        (tags::STATION_NAME, VR::SH, "CTSTATION01"),
        (tags::INSTITUTIONAL_DEPARTMENT_NAME, VR::LO, "RADIOLOGY"),
        (tags::PERFORMING_PHYSICIAN_NAME, VR::PN, "WILSON^JAMES"),
        (tags::OPERATORS_NAME, VR::PN, "TECH^ANNA"),
        (tags::MANUFACTURER_MODEL_NAME, VR::LO, "FIXTURE SCANNER 64"),
        (tags::DEVICE_SERIAL_NUMBER, VR::LO, "SN0042"),
        (tags::SOFTWARE_VERSIONS, VR::LO, "VA48A"),
        (tags::PROTOCOL_NAME, VR::LO, "ROUTINE"),
        (tags::BODY_PART_EXAMINED, VR::CS, "CHEST"),
        (tags::CONVOLUTION_KERNEL, VR::SH, "B30f"),
        (tags::PATIENT_POSITION, VR::CS, "HFS"),
        (tags::ROTATION_DIRECTION, VR::CS, "CW"),
        (tags::FILTER_TYPE, VR::SH, "FLAT"),
        (tags::RESCALE_TYPE, VR::LO, "HU"),
        (tags::POSITION_REFERENCE_INDICATOR, VR::LO, "SN"),
        (tags::REQUESTED_PROCEDURE_DESCRIPTION, VR::LO, "CT CHEST"),
        (tags::PERFORMED_PROCEDURE_STEP_ID, VR::SH, "PPS0001"),
        (
            tags::PERFORMED_PROCEDURE_STEP_START_DATE,
            VR::DA,
            "20261120",
        ),
        (tags::PERFORMED_PROCEDURE_STEP_START_TIME, VR::TM, "101500"),
        (
            tags::PERFORMED_PROCEDURE_STEP_DESCRIPTION,
            VR::LO,
            "CT CHEST",
        ),
        (tags::ACQUISITION_TIME, VR::TM, "101512.250000"),
    ];
    for (tag, vr, value) in texts {
        put_str(obj, tag, vr, value);
    }
    let numbers: [(Tag, f64); 16] = [
        (tags::KVP, 120.0),
        (tags::DATA_COLLECTION_DIAMETER, 500.0),
        (tags::RECONSTRUCTION_DIAMETER, 350.0),
        (tags::DISTANCE_SOURCE_TO_DETECTOR, 1085.6),
        (tags::DISTANCE_SOURCE_TO_PATIENT, 595.0),
        (tags::GANTRY_DETECTOR_TILT, 0.0),
        (tags::TABLE_HEIGHT, 160.5),
        (tags::GENERATOR_POWER, 24.0),
        (tags::FOCAL_SPOTS, 1.2),
        (tags::WINDOW_CENTER, 40.0),
        (tags::WINDOW_WIDTH, 400.0),
        (tags::RESCALE_INTERCEPT, -1024.0),
        (tags::RESCALE_SLOPE, 1.0),
        (tags::REVOLUTION_TIME, 0.5),
        (tags::SINGLE_COLLIMATION_WIDTH, 0.6),
        (tags::TOTAL_COLLIMATION_WIDTH, 38.4),
    ];
    for (tag, value) in numbers {
        put_ds(obj, tag, &[value]);
    }
    for (tag, value) in [
        (tags::EXPOSURE_TIME, "500"),
        (tags::X_RAY_TUBE_CURRENT, "240"),
        (tags::EXPOSURE, "120"),
        (tags::ACQUISITION_NUMBER, "1"),
    ] {
        put_str(obj, tag, VR::IS, value);
    }
    // Private group 0019: 100 acquisition parameters.
    put_str(obj, Tag(0x0019, 0x0010), VR::LO, "FIXTURE_ACQU_01");
    for e in 0..100u16 {
        let value = f64::from(e) * 1.25 + f64::from(slice);
        put_ds(obj, Tag(0x0019, 0x1000 + e), &[value]);
    }
    // Private group 0043: 100 mixed parameters.
    put_str(obj, Tag(0x0043, 0x0010), VR::LO, "FIXTURE_PARM_01");
    for e in 0..100u16 {
        let tag = Tag(0x0043, 0x1000 + e);
        match e % 3 {
            0 => {
                let value = i16::try_from(e).unwrap_or(0) - 50;
                obj.put(DataElement::new(tag, VR::SS, PrimitiveValue::from(value)));
            }
            1 => put_str(obj, tag, VR::LO, &format!("PARAM{e:03}")),
            _ => put_str(
                obj,
                tag,
                VR::SH,
                &format!("{:08X}", splitmix(u64::from(e)) >> 32),
            ),
        }
    }
    // Private group 0029: a CSA-like blob and a second smaller one.
    put_str(obj, Tag(0x0029, 0x0010), VR::LO, "FIXTURE CSA HEADER");
    let mut state = ctx.study_index as u64 * 1000 + ctx.series_index as u64;
    let mut blob = Vec::with_capacity(4096);
    while blob.len() < 4096 {
        state = splitmix(state);
        blob.extend_from_slice(&state.to_le_bytes());
    }
    obj.put(DataElement::new(
        Tag(0x0029, 0x1010),
        VR::OB,
        PrimitiveValue::U8(blob[..].into()),
    ));
    obj.put(DataElement::new(
        Tag(0x0029, 0x1020),
        VR::OB,
        PrimitiveValue::U8(blob[..1536].into()),
    ));
}

/// Serialise an object as a Part 10 file in memory.
fn serialize(obj: InMemDicomObject, transfer_syntax: &str) -> io::Result<Vec<u8>> {
    let file = obj
        .with_meta(FileMetaTableBuilder::new().transfer_syntax(transfer_syntax))
        .map_err(io::Error::other)?;
    let mut bytes = Vec::new();
    file.write_all(&mut bytes).map_err(io::Error::other)?;
    Ok(bytes)
}

/// Write `bytes` to `path` through a temporary file and a rename, so a failed write leaves no partial file.
fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent)?;
    }
    let mut tmp_name = path.file_name().unwrap_or_default().to_os_string();
    tmp_name.push(".partial");
    let tmp = path.with_file_name(tmp_name);
    let result = fs::File::create(&tmp)
        .and_then(|mut f| f.write_all(bytes))
        .and_then(|()| fs::rename(&tmp, path));
    if result.is_err() {
        // Best effort: the original error matters more than a failed clean-up.
        let _ = fs::remove_file(&tmp);
    }
    result
}

fn file_path(layout: Layout, study: usize, series: usize, file: usize) -> PathBuf {
    match layout {
        Layout::DicomDir => [
            "DICOM".to_owned(),
            format!("ST{:06}", study + 1),
            format!("SE{:06}", series + 1),
            format!("IM{:06}", file + 1),
        ]
        .iter()
        .collect(),
        Layout::Flat => PathBuf::from(format!(
            "ST{:02}_SE{:02}_IM{:04}.dcm",
            study + 1,
            series + 1,
            file + 1
        )),
    }
}

/// Write the disc described by `spec` under `root` (created if needed; existing files of the same names are
/// replaced). Returns the relative paths written per series.
pub fn write_disc(root: &Path, spec: &DiscSpec) -> io::Result<WrittenDisc> {
    fs::create_dir_all(root)?;
    let mut written = WrittenDisc {
        root: root.to_path_buf(),
        series: Vec::new(),
        dicomdir: None,
        other_files: Vec::new(),
    };
    let mut listed = Vec::new();
    for (study_index, study) in spec.studies.iter().enumerate() {
        let study_uid = uid(spec.seed, &[KIND_STUDY, study_index as u64]);
        for (series_index, series) in study.series.iter().enumerate() {
            let ids = [study_index as u64, series_index as u64];
            let ctx = SeriesContext {
                spec: series,
                study,
                patient: series
                    .patient
                    .as_ref()
                    .or(study.patient.as_ref())
                    .unwrap_or(&spec.patient),
                study_index,
                series_index,
                study_uid: study_uid.clone(),
                series_uid: uid(spec.seed, &[KIND_SERIES, ids[0], ids[1]]),
                frame_of_reference_uid: uid(spec.seed, &[KIND_FRAME_OF_REFERENCE, ids[0], ids[1]]),
            };
            let out = write_series(root, spec, &ctx)?;
            if series.in_dicomdir {
                listed.push((ctx.patient, study_index, written.series.len()));
            }
            written.series.push(out);
        }
    }
    if spec.dicomdir {
        let bytes = build_dicomdir(spec, &written, &listed)?;
        let path = PathBuf::from("DICOMDIR");
        write_atomic(&root.join(&path), &bytes)?;
        written.dicomdir = Some(path);
    }
    if spec.viewer_files {
        for (name, bytes) in viewer_files() {
            let path = PathBuf::from(name);
            write_atomic(&root.join(&path), &bytes)?;
            written.other_files.push(path);
        }
    }
    Ok(written)
}

fn write_series(
    root: &Path,
    disc: &DiscSpec,
    ctx: &SeriesContext<'_>,
) -> io::Result<WrittenSeries> {
    let spec = ctx.spec;
    let mut out = WrittenSeries {
        study: ctx.study_index,
        series: ctx.series_index,
        study_instance_uid: ctx.study_uid.clone(),
        series_instance_uid: ctx.series_uid.clone(),
        instances: Vec::new(),
    };
    let numbered = spec.numbered_slices();
    let ids = [ctx.study_index as u64, ctx.series_index as u64];
    let mut emit = |bytes: &[u8], sop: &str, number: i32, slice: u32, frames: u32| {
        let path = file_path(
            disc.layout,
            ctx.study_index,
            ctx.series_index,
            out.instances.len(),
        );
        write_atomic(&root.join(&path), bytes)?;
        out.instances.push(WrittenInstance {
            path,
            sop_instance_uid: sop.to_owned(),
            instance_number: number,
            slice,
            frames,
        });
        io::Result::Ok(())
    };
    if spec.multiframe {
        let slices: Vec<u32> = numbered.iter().map(|(s, _)| *s).collect();
        let sop = uid(disc.seed, &[KIND_INSTANCE, ids[0], ids[1], 0]);
        let bytes = build_instance(ctx, &sop, 1, &slices, 0)?;
        let frames = u32::try_from(slices.len()).unwrap_or(u32::MAX);
        emit(
            &bytes,
            &sop,
            1,
            slices.first().copied().unwrap_or(0),
            frames,
        )?;
    } else {
        let per_echo = i32::try_from(spec.slices).unwrap_or(i32::MAX);
        for echo in 0..spec.echoes.max(1) {
            for &(slice, number) in &numbered {
                if spec.omit_images.contains(&(echo, slice)) {
                    continue;
                }
                let key = u64::from(slice) | u64::from(echo) << 32;
                let sop = uid(disc.seed, &[KIND_INSTANCE, ids[0], ids[1], key]);
                let number = number.saturating_add(per_echo.saturating_mul(echo as i32));
                let bytes = build_instance(ctx, &sop, number, &[slice], echo)?;
                emit(&bytes, &sop, number, slice, 1)?;
                if spec.duplicate_slices.contains(&slice) {
                    emit(&bytes, &sop, number, slice, 1)?;
                }
            }
        }
    }
    Ok(out)
}

fn viewer_files() -> Vec<(&'static str, Vec<u8>)> {
    let autorun =
        b"[autorun]\r\nopen=VIEWER.EXE\r\nicon=VIEWER.EXE,0\r\nlabel=DICOM IMAGES\r\n".to_vec();
    let mut viewer = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff".to_vec();
    let mut state = 0x5649_4557u64;
    while viewer.len() < 2048 {
        state = splitmix(state);
        viewer.extend_from_slice(&state.to_le_bytes());
    }
    let readme = b"This disc holds DICOM images. Open VIEWER.EXE to view them.\r\n".to_vec();
    vec![
        ("AUTORUN.INF", autorun),
        ("VIEWER.EXE", viewer),
        ("README.TXT", readme),
    ]
}

/// Damage helpers: cut `path` to `new_len` bytes.
pub fn truncate_file(path: &Path, new_len: u64) -> io::Result<()> {
    fs::OpenOptions::new()
        .write(true)
        .open(path)?
        .set_len(new_len)
}

/// Replace `path` with a zero-byte file.
pub fn write_zero_byte(path: &Path) -> io::Result<()> {
    fs::write(path, [])
}

/// Replace `path` with `len` deterministic junk bytes that are not DICOM (no `DICM` marker anywhere).
pub fn write_junk(path: &Path, len: usize) -> io::Result<()> {
    let mut bytes = Vec::with_capacity(len);
    let mut state = len as u64;
    while bytes.len() < len {
        state = splitmix(state);
        // Keep every byte above b'M' so the ASCII marker `DICM` cannot appear.
        bytes.push(b'N' + state.to_le_bytes()[0] % 100);
    }
    fs::write(path, bytes)
}

// ---------------------------------------------------------------------------------------------------------------
// DICOMDIR

/// Directory record types, in hierarchy order.
const RECORD_TYPES: [&str; 4] = ["PATIENT", "STUDY", "SERIES", "IMAGE"];

/// One directory record before offsets are known: its attributes and its links, as indices into the record list.
struct Record {
    item: InMemDicomObject,
    next: Option<usize>,
    lower: Option<usize>,
}

/// Build the DICOMDIR: records PATIENT → STUDY → SERIES → IMAGE, written depth-first; written once with zero
/// offsets, the item offsets are read back with a position-counting `DataSetReader`, patched and written again.
fn build_dicomdir(
    spec: &DiscSpec,
    written: &WrittenDisc,
    listed: &[(&PatientSpec, usize, usize)],
) -> io::Result<Vec<u8>> {
    let records = dicomdir_records(spec, written, listed)?;
    let media_uid = uid(spec.seed, &[KIND_DICOMDIR]);
    let first = serialize_dicomdir(&records, &media_uid, None)?;
    let offsets = record_offsets(&first)?;
    if offsets.len() != records.len() {
        return Err(io::Error::other("DICOMDIR record count mismatch"));
    }
    let second = serialize_dicomdir(&records, &media_uid, Some(&offsets))?;
    if second.len() != first.len() {
        return Err(io::Error::other(
            "DICOMDIR size changed when patching offsets",
        ));
    }
    Ok(second)
}

/// A study index and the indices (into [`WrittenDisc::series`]) of its listed series.
type StudyGroup = (usize, Vec<usize>);

fn dicomdir_records(
    spec: &DiscSpec,
    written: &WrittenDisc,
    listed: &[(&PatientSpec, usize, usize)],
) -> io::Result<Vec<Record>> {
    // Group listed series by patient (first appearance), then by study.
    let mut patients: Vec<(&PatientSpec, Vec<StudyGroup>)> = Vec::new();
    for &(patient, study, series) in listed {
        let slot = match patients.iter().position(|(p, _)| *p == patient) {
            Some(i) => i,
            None => {
                patients.push((patient, Vec::new()));
                patients.len() - 1
            }
        };
        let studies = &mut patients[slot].1;
        match studies.iter_mut().find(|(s, _)| *s == study) {
            Some((_, list)) => list.push(series),
            None => studies.push((study, vec![series])),
        }
    }

    let mut records: Vec<Record> = Vec::new();
    let push = |records: &mut Vec<Record>, item: InMemDicomObject, previous: &mut Option<usize>| {
        let index = records.len();
        if let Some(p) = *previous {
            records[p].next = Some(index);
        }
        *previous = Some(index);
        records.push(Record {
            item,
            next: None,
            lower: None,
        });
        index
    };
    let mut previous_patient = None;
    for (patient, studies) in &patients {
        let mut item = record_item(RECORD_TYPES[0]);
        put_charset(&mut item, patient.charset.as_deref());
        put_patient(&mut item, patient)?;
        let p = push(&mut records, item, &mut previous_patient);
        let mut previous_study = None;
        for (study_index, series_list) in studies {
            let study = &spec.studies[*study_index];
            let Some(first_series) = series_list.first().map(|i| &written.series[*i]) else {
                continue;
            };
            let mut item = record_item(RECORD_TYPES[1]);
            if let Some(date) = &study.date {
                put_str(&mut item, tags::STUDY_DATE, VR::DA, date);
            }
            if let Some(time) = &study.time {
                put_str(&mut item, tags::STUDY_TIME, VR::TM, time);
            }
            put_str(
                &mut item,
                tags::ACCESSION_NUMBER,
                VR::SH,
                &format!("ACC{:05}", study_index + 1),
            );
            put_str(
                &mut item,
                tags::STUDY_DESCRIPTION,
                VR::LO,
                &study.description,
            );
            put_str(
                &mut item,
                tags::STUDY_INSTANCE_UID,
                VR::UI,
                &first_series.study_instance_uid,
            );
            put_str(
                &mut item,
                tags::STUDY_ID,
                VR::SH,
                &(study_index + 1).to_string(),
            );
            let s = push(&mut records, item, &mut previous_study);
            if records[p].lower.is_none() {
                records[p].lower = Some(s);
            }
            let mut previous_series = None;
            for written_index in series_list {
                let ws = &written.series[*written_index];
                let series = &study.series[ws.series];
                let mut item = record_item(RECORD_TYPES[2]);
                put_str(&mut item, tags::MODALITY, VR::CS, &series.modality);
                put_str(
                    &mut item,
                    tags::SERIES_INSTANCE_UID,
                    VR::UI,
                    &ws.series_instance_uid,
                );
                let number = series
                    .number
                    .unwrap_or_else(|| i32::try_from(ws.series + 1).unwrap_or(i32::MAX));
                put_str(&mut item, tags::SERIES_NUMBER, VR::IS, &number.to_string());
                let se = push(&mut records, item, &mut previous_series);
                if records[s].lower.is_none() {
                    records[s].lower = Some(se);
                }
                let mut previous_image = None;
                for instance in &ws.instances {
                    let mut item = record_item(RECORD_TYPES[3]);
                    let components: Vec<String> = instance
                        .path
                        .components()
                        .map(|c| c.as_os_str().to_string_lossy().into_owned())
                        .collect();
                    put_strs(&mut item, tags::REFERENCED_FILE_ID, VR::CS, &components);
                    put_str(
                        &mut item,
                        tags::REFERENCED_SOP_CLASS_UID_IN_FILE,
                        VR::UI,
                        series.sop_class(),
                    );
                    put_str(
                        &mut item,
                        tags::REFERENCED_SOP_INSTANCE_UID_IN_FILE,
                        VR::UI,
                        &instance.sop_instance_uid,
                    );
                    put_str(
                        &mut item,
                        tags::REFERENCED_TRANSFER_SYNTAX_UID_IN_FILE,
                        VR::UI,
                        series.transfer_syntax.uid(),
                    );
                    put_str(
                        &mut item,
                        tags::INSTANCE_NUMBER,
                        VR::IS,
                        &instance.instance_number.to_string(),
                    );
                    let im = push(&mut records, item, &mut previous_image);
                    if records[se].lower.is_none() {
                        records[se].lower = Some(im);
                    }
                }
            }
        }
    }
    Ok(records)
}

fn record_item(record_type: &str) -> InMemDicomObject {
    let mut item = InMemDicomObject::new_empty();
    put_ul(&mut item, tags::OFFSET_OF_THE_NEXT_DIRECTORY_RECORD, 0);
    put_us(&mut item, tags::RECORD_IN_USE_FLAG, 0xFFFF);
    put_ul(
        &mut item,
        tags::OFFSET_OF_REFERENCED_LOWER_LEVEL_DIRECTORY_ENTITY,
        0,
    );
    put_str(&mut item, tags::DIRECTORY_RECORD_TYPE, VR::CS, record_type);
    item
}

fn put_ul(obj: &mut InMemDicomObject, tag: Tag, value: u32) {
    obj.put(DataElement::new(tag, VR::UL, PrimitiveValue::from(value)));
}

fn serialize_dicomdir(
    records: &[Record],
    media_uid: &str,
    offsets: Option<&[u32]>,
) -> io::Result<Vec<u8>> {
    let offset = |index: Option<usize>| {
        index
            .and_then(|i| offsets.and_then(|o| o.get(i)))
            .copied()
            .unwrap_or(0)
    };
    let items: Vec<InMemDicomObject> = records
        .iter()
        .map(|r| {
            let mut item = r.item.clone();
            put_ul(
                &mut item,
                tags::OFFSET_OF_THE_NEXT_DIRECTORY_RECORD,
                offset(r.next),
            );
            put_ul(
                &mut item,
                tags::OFFSET_OF_REFERENCED_LOWER_LEVEL_DIRECTORY_ENTITY,
                offset(r.lower),
            );
            item
        })
        .collect();
    // The root entity is the chain of PATIENT records: the first record and the last one linked by `next`.
    let first_root = (!records.is_empty()).then_some(0);
    let mut last_root = first_root;
    while let Some(next) = last_root.and_then(|i| records.get(i)).and_then(|r| r.next) {
        last_root = Some(next);
    }
    let mut obj = InMemDicomObject::new_empty();
    put_str(&mut obj, tags::FILE_SET_ID, VR::CS, "DICOMCHECK");
    put_ul(
        &mut obj,
        tags::OFFSET_OF_THE_FIRST_DIRECTORY_RECORD_OF_THE_ROOT_DIRECTORY_ENTITY,
        offset(first_root),
    );
    put_ul(
        &mut obj,
        tags::OFFSET_OF_THE_LAST_DIRECTORY_RECORD_OF_THE_ROOT_DIRECTORY_ENTITY,
        offset(last_root),
    );
    put_us(&mut obj, tags::FILE_SET_CONSISTENCY_FLAG, 0);
    put_sequence(&mut obj, tags::DIRECTORY_RECORD_SEQUENCE, items);
    let file = obj
        .with_meta(
            FileMetaTableBuilder::new()
                .transfer_syntax(uids::EXPLICIT_VR_LITTLE_ENDIAN)
                .media_storage_sop_class_uid(uids::MEDIA_STORAGE_DIRECTORY_STORAGE)
                .media_storage_sop_instance_uid(media_uid),
        )
        .map_err(io::Error::other)?;
    let mut bytes = Vec::new();
    file.write_all(&mut bytes).map_err(io::Error::other)?;
    Ok(bytes)
}

/// A reader that counts the bytes it hands out.
struct Counting<R> {
    inner: R,
    count: Rc<Cell<u64>>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.set(self.count.get() + n as u64);
        Ok(n)
    }
}

/// File offsets of the items of the Directory Record Sequence, in file order, from a written DICOMDIR.
fn record_offsets(file: &[u8]) -> io::Result<Vec<u32>> {
    let malformed = || io::Error::other("cannot parse the DICOMDIR just written");
    // Preamble (128), `DICM` (4), then (0002,0000) UL: tag 4, VR 2, length 2, value 4.
    let group_length = file
        .get(140..144)
        .and_then(|b| <[u8; 4]>::try_from(b).ok())
        .map(u32::from_le_bytes)
        .ok_or_else(malformed)?;
    let dataset_start = 144 + u64::from(group_length);
    let dataset = file
        .get(usize::try_from(dataset_start).map_err(|_| malformed())?..)
        .ok_or_else(malformed)?;
    let ts = TransferSyntaxRegistry
        .get(uids::EXPLICIT_VR_LITTLE_ENDIAN)
        .ok_or_else(malformed)?;
    let count = Rc::new(Cell::new(0u64));
    let source = Counting {
        inner: dataset,
        count: Rc::clone(&count),
    };
    let reader = DataSetReader::new_with_ts(source, ts).map_err(io::Error::other)?;
    let mut offsets = Vec::new();
    let mut depth = 0usize;
    let mut in_records = false;
    for token in reader {
        match token.map_err(io::Error::other)? {
            DataToken::SequenceStart { tag, .. } => {
                if depth == 0 && tag == tags::DIRECTORY_RECORD_SEQUENCE {
                    in_records = true;
                }
                depth += 1;
            }
            DataToken::SequenceEnd => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    in_records = false;
                }
            }
            DataToken::ItemStart { .. } if in_records && depth == 1 => {
                let offset = dataset_start + count.get() - 8;
                let at = usize::try_from(offset).map_err(|_| malformed())?;
                if file.get(at..at + 4) != Some(&[0xFE, 0xFF, 0x00, 0xE0][..]) {
                    return Err(malformed());
                }
                offsets.push(u32::try_from(offset).map_err(|_| malformed())?);
            }
            DataToken::ItemStart { .. } => depth += 1,
            DataToken::ItemEnd if !(in_records && depth == 1) => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(offsets)
}

/// The sample disc of the README: `SMITH^JOHN`, a CT chest (24 axial slices) and an MR head (a localizer and two
/// series of 12 slices), DICOMDIR and viewer files. Complete and valid: `dicomcheck` passes it.
pub fn sample_disc() -> DiscSpec {
    let patient = PatientSpec::new("SMITH^JOHN")
        .charset("ISO_IR 100")
        .id("H2026-0042")
        .birth_date(Some("19800402".to_owned()))
        .sex(Some("M".to_owned()));
    let ct = StudySpec::new("CT CHEST WITH CONTRAST")
        .date("20261120")
        .series(
            SeriesSpec::ct(24)
                .description("CHEST 2.5MM")
                .images_in_acquisition(Some(24)),
        );
    let mr = StudySpec::new("MR HEAD")
        .date("20261118")
        .time(Some("143000".to_owned()))
        .series(
            SeriesSpec::mr(3)
                .description("LOCALIZER")
                .size(32, 32)
                .orientation(Orientation::Sagittal)
                .slice_spacing(10.0)
                .first_position([-10.0, -80.0, 80.0])
                .pixel_spacing([7.0, 7.0])
                .image_type(&["ORIGINAL", "PRIMARY", "LOCALIZER"]),
        )
        .series(SeriesSpec::mr(12).description("T2 TSE AXIAL"))
        .series(
            SeriesSpec::mr(12)
                .description("T1 SE SAGITTAL")
                .orientation(Orientation::Sagittal)
                .first_position([-27.5, -112.0, 112.0]),
        );
    DiscSpec::new(patient)
        .study(ct)
        .study(mr)
        .viewer_files(true)
        .seed(20261120)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ds_is_short_and_canonical() {
        assert_eq!(ds(0.7), "0.7");
        assert_eq!(ds(-22.4 + 0.1 * 3.0), "-22.1");
        assert_eq!(ds(-0.0000001), "0");
        assert_eq!(ds(120.0), "120");
        assert_eq!(ds(std::f64::consts::FRAC_1_SQRT_2), "0.707107");
        assert!(ds(-12_345.123_456_7).len() <= 16);
    }

    #[test]
    fn uids_are_valid_deterministic_and_distinct() {
        let a = uid(7, &[KIND_INSTANCE, 0, 0, 1]);
        assert_eq!(a, uid(7, &[KIND_INSTANCE, 0, 0, 1]));
        assert_ne!(a, uid(7, &[KIND_INSTANCE, 0, 0, 2]));
        assert_ne!(a, uid(8, &[KIND_INSTANCE, 0, 0, 1]));
        assert!(a.len() <= 64, "{a}");
        let digits = a.strip_prefix("2.25.").expect("2.25 root");
        assert!(digits.bytes().all(|b| b.is_ascii_digit()));
        assert!(!digits.starts_with('0'));
    }

    #[test]
    fn names_encode_per_charset() {
        assert_eq!(
            encode_name("王^小东", Some("GB18030")).unwrap(),
            b"\xcd\xf5^\xd0\xa1\xb6\xab"
        );
        assert_eq!(
            encode_name("王^小东", Some("GBK")).unwrap(),
            b"\xcd\xf5^\xd0\xa1\xb6\xab"
        );
        assert_eq!(
            encode_name("王", Some("ISO_IR 192")).unwrap(),
            "王".as_bytes()
        );
        assert_eq!(
            encode_name("MÜLLER", Some("ISO_IR 100")).unwrap(),
            b"M\xdcLLER"
        );
        assert_eq!(
            encode_name("Zhang^XiaoDong=章^小东=", Some("\\ISO 2022 IR 58")).unwrap(),
            b"Zhang^XiaoDong=\x1b$)A\xd5\xc2^\x1b$)A\xd0\xa1\xb6\xab="
        );
        assert!(encode_name("王", None).is_err());
        assert!(encode_name("王", Some("ISO_IR 100")).is_err());
        assert!(encode_name("SMITH", Some("ISO_IR 999")).is_err());
    }

    #[test]
    fn numbering_handles_omissions_gaps_and_renumbering() {
        let base = SeriesSpec::ct(5).omit_slices(&[2]);
        assert_eq!(base.numbered_slices(), vec![(0, 1), (1, 2), (3, 4), (4, 5)]);
        let renumbered = base.clone().renumber(true);
        assert_eq!(
            renumbered.numbered_slices(),
            vec![(0, 1), (1, 2), (3, 3), (4, 4)]
        );
        let gaps = SeriesSpec::ct(3).number_gaps(&[2]);
        assert_eq!(gaps.numbered_slices(), vec![(0, 1), (1, 3), (2, 4)]);
    }

    #[test]
    fn positions_follow_the_normal() {
        let series = SeriesSpec::ct(3)
            .orientation(Orientation::Sagittal)
            .slice_spacing(2.0)
            .first_position([1.0, 2.0, 3.0]);
        assert_eq!(Orientation::Sagittal.normal(), [-1.0, 0.0, 0.0]);
        assert_eq!(series.position(2), [-3.0, 2.0, 3.0]);
        let shifted = series.shift_slices(&[(1, 0.5)]);
        assert_eq!(shifted.position(1), [-1.5, 2.0, 3.0]);
    }

    #[test]
    fn junk_has_no_dicom_marker() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("junk");
        write_junk(&path, 4096).unwrap();
        let bytes = fs::read(&path).unwrap();
        assert_eq!(bytes.len(), 4096);
        assert!(!bytes.windows(4).any(|w| w == b"DICM"));
    }
}

//! DICOMDIR: the directory of a DICOM disc, read with the same bounded scanner as every other file.
//!
//! The records are followed through their byte offsets ((0004,1200) first root record, (0004,1400) next,
//! (0004,1420) lower level). When those offsets are zero, dangling or cyclic, the records are taken in file order
//! instead, which is how nearly every writer lays them out (depth-first). Only the leaf records (images, reports,
//! ...) come out, each with the patient, study and series records above it.

use std::collections::HashMap;
use std::io::{Read, Seek};
use std::path::Path;
use std::sync::Arc;

use dicom_core::Tag;
use dicom_encoding::transfer_syntax::Endianness;

use crate::charset::{self, DecodedText, SpecificCharacterSet};
use crate::read_header::scan::{Event, Frame, Sniff, Source, ascii, trimmed};
use crate::read_header::{DefectKind, FileDefect};

/// Most directory records read from one DICOMDIR (a full CD holds about 20 000).
const MAX_RECORDS: usize = 200_000;

/// Directory Record Sequence (0004,1220).
const RECORD_SEQUENCE: Tag = Tag(0x0004, 0x1220);

/// A DICOMDIR, flattened to its leaf records.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DicomDir {
    /// Leaf records (IMAGE, SR DOCUMENT, PRESENTATION, ...) in directory order, with their context.
    pub entries: Vec<DirEntry>,
    /// Number of PATIENT records.
    pub patients: usize,
    /// The PATIENT records' identities (name, ID, birth date), in file order: the DICOMDIR names a person too.
    pub patient_records: Vec<DirPatient>,
    /// Number of STUDY records.
    pub studies: usize,
    /// Number of SERIES records.
    pub series: usize,
    /// True when the record offsets were followed; false when they were zero, dangling or cyclic and the
    /// records were taken in file order.
    pub links_followed: bool,
    /// True when a record, or the record list, says it is longer than the data that holds it (the list or the
    /// file) while the records themselves are complete: a writer or editor left a stale length. The records
    /// were read up to where the data ends.
    pub length_overrun: bool,
}

/// The identity one PATIENT record gives.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DirPatient {
    /// Patient's Name, decoded with the record's own character set, else the DICOMDIR's.
    pub name: Option<Arc<DecodedText>>,
    /// Patient ID (0010,0020), decoded likewise.
    pub id: Option<DecodedText>,
    /// Patient's Birth Date (0010,0030) as written.
    pub birth_date: Option<Box<str>>,
}

/// One leaf directory record with the patient, study and series records it sits under.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DirEntry {
    /// Referenced File ID (0004,1500): its non-empty components, trimmed and joined with `\`, e.g.
    /// `DICOM\ST000001\IM000001`; empty when the record has none.
    pub file_id: Box<str>,
    /// Referenced SOP Instance UID in File (0004,1511).
    pub sop_instance_uid: Option<Box<str>>,
    /// Patient's Name of the PATIENT record, decoded with its own character set, else the DICOMDIR's (shared by
    /// every entry under that record).
    pub patient_name: Option<Arc<DecodedText>>,
    /// Study Instance UID of the STUDY record (shared by every entry under it).
    pub study_instance_uid: Option<Arc<str>>,
    /// Series Instance UID of the SERIES record (shared by every entry under it).
    pub series_instance_uid: Option<Arc<str>>,
}

/// Why a DICOMDIR could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DicomDirError {
    /// Empty, or not DICOM at all.
    #[error("the DICOMDIR is not a DICOM file")]
    NotDicom,
    /// Damaged, truncated or unreadable.
    #[error("the DICOMDIR is damaged or unreadable: {}", .0.detail)]
    Damaged(FileDefect),
    /// A DICOM file without a directory record sequence.
    #[error("the DICOMDIR has no directory record sequence")]
    NoRecords,
    /// More records than any disc holds.
    #[error("the DICOMDIR lists more than {MAX_RECORDS} records")]
    TooManyRecords,
}

/// Reads the DICOMDIR at `path` (read-only, bounded like [`crate::read_header::read_header`]).
pub fn read_dicomdir(path: &Path) -> Result<DicomDir, DicomDirError> {
    let source = Source::open(path).map_err(|e| {
        DicomDirError::Damaged(FileDefect {
            kind: DefectKind::Io,
            detail: e.to_string(),
        })
    })?;
    read_source(source)
}

/// [`read_dicomdir`] over any seekable byte source positioned at its start and holding `size` bytes (a DICOMDIR
/// inside a `.zip` or `.iso`).
pub fn read_dicomdir_from<R: Read + Seek + 'static>(
    reader: R,
    size: u64,
) -> Result<DicomDir, DicomDirError> {
    read_source(Source::new(Box::new(reader), size))
}

/// [`read_dicomdir_from`] drawing every inflated byte from the scan's `budget`.
pub fn read_dicomdir_budgeted<R: Read + Seek + 'static>(
    reader: R,
    size: u64,
    budget: std::sync::Arc<crate::read_header::InflateBudget>,
) -> Result<DicomDir, DicomDirError> {
    read_source(Source::new(Box::new(reader), size).with_budget(budget))
}

fn read_source(mut source: Source) -> Result<DicomDir, DicomDirError> {
    let (root, mut records) = scan_records(&mut source)?;
    drop(source);
    let root_charset = SpecificCharacterSet::from_raw(&root.charset);
    let order = link_order(&records, root.first);
    let links_followed = order.is_some();
    let order = order.unwrap_or_else(|| file_order(&records));
    let count = |kind: Kind| records.iter().filter(|r| r.kind == kind).count();
    let (patients, studies, series) = (
        count(Kind::Patient),
        count(Kind::Study),
        count(Kind::Series),
    );
    // Each PATIENT record's name is decoded once and shared by the entries under it.
    let names: HashMap<u32, Arc<DecodedText>> = records
        .iter()
        .enumerate()
        .filter(|(_, r)| r.kind == Kind::Patient)
        .filter_map(|(i, r)| {
            let parent = r.parent.as_deref()?;
            let raw = parent.patient_name.as_ref()?;
            let name = match &parent.charset {
                Some(own) => charset::decode(raw, &SpecificCharacterSet::from_raw(own)),
                None => charset::decode(raw, &root_charset),
            };
            Some((u32::try_from(i).ok()?, Arc::new(name)))
        })
        .collect();
    let patient_records = records
        .iter()
        .enumerate()
        .filter(|(_, r)| r.kind == Kind::Patient)
        .map(|(i, r)| {
            let parent = r.parent.as_deref();
            let charset = parent
                .and_then(|p| p.charset.as_deref())
                .map(SpecificCharacterSet::from_raw);
            let charset = charset.as_ref().unwrap_or(&root_charset);
            DirPatient {
                name: u32::try_from(i).ok().and_then(|i| names.get(&i).cloned()),
                id: parent
                    .and_then(|p| p.patient_id.as_deref())
                    .map(|raw| charset::decode(raw, charset)),
                birth_date: parent.and_then(|p| p.birth_date.clone()),
            }
        })
        .collect();
    let mut entries = Vec::with_capacity(records.len() - patients - studies - series);
    for (i, ctx) in order {
        // A leaf is listed once and is nobody's parent: its fields move into the entry instead of being copied.
        if let Some(record) = records.get_mut(i as usize)
            && record.kind == Kind::Leaf
        {
            let leaf = std::mem::take(record);
            entries.push(entry(leaf, ctx, &records, &names));
        }
    }
    Ok(DicomDir {
        entries,
        patients,
        patient_records,
        studies,
        series,
        links_followed,
        length_overrun: root.overrun,
    })
}

/// Root-level attributes of the DICOMDIR.
#[derive(Default)]
struct Root {
    charset: Vec<u8>,
    first: u32,
    overrun: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Kind {
    Patient,
    Study,
    Series,
    #[default]
    Leaf,
}

/// The few attributes kept from one directory record (boxed slices: a DICOMDIR holds one record per file).
#[derive(Default)]
struct Record {
    offset: u64,
    next: u32,
    lower: u32,
    kind: Kind,
    file_id: Box<str>,
    sop_instance_uid: Option<Box<str>>,
    /// Boxed: only the few PATIENT, STUDY and SERIES records carry these.
    parent: Option<Box<ParentFields>>,
}

/// The attributes kept from a PATIENT, STUDY or SERIES record for the leaf records under it.
#[derive(Default)]
struct ParentFields {
    charset: Option<Box<[u8]>>,
    patient_name: Option<Box<[u8]>>,
    patient_id: Option<Box<[u8]>>,
    birth_date: Option<Box<str>>,
    study_instance_uid: Option<Arc<str>>,
    series_instance_uid: Option<Arc<str>>,
}

/// Record index meaning "no record" in a [`Context`] (indexes stay below [`MAX_RECORDS`]).
const NONE: u32 = u32::MAX;

/// Indexes of the PATIENT, STUDY and SERIES records above a record ([`NONE`] when absent); `u32` keeps the
/// ordering table at 16 bytes per record.
#[derive(Debug, Clone, Copy)]
struct Context {
    patient: u32,
    study: u32,
    series: u32,
}

impl Default for Context {
    fn default() -> Self {
        Self {
            patient: NONE,
            study: NONE,
            series: NONE,
        }
    }
}

impl Context {
    /// The context for the records below record `i`.
    fn below(self, i: u32, kind: Kind) -> Self {
        match kind {
            Kind::Patient => Self {
                patient: i,
                study: NONE,
                series: NONE,
            },
            Kind::Study => Self {
                study: i,
                series: NONE,
                ..self
            },
            Kind::Series => Self { series: i, ..self },
            Kind::Leaf => self,
        }
    }
}

fn damaged(defect: FileDefect) -> DicomDirError {
    DicomDirError::Damaged(defect)
}

/// Reads every directory record in file order, keeping only the fields of [`Record`].
fn scan_records(source: &mut Source) -> Result<(Root, Vec<Record>), DicomDirError> {
    match source.sniff().map_err(damaged)? {
        Sniff::Empty | Sniff::NoMarker | Sniff::Raw { meta: false, .. } => {
            return Err(DicomDirError::NotDicom);
        }
        Sniff::Part10 | Sniff::Raw { meta: true, .. } => {}
    }
    let meta = source.read_meta().map_err(damaged)?;
    let ts = source
        .data_set_syntax(&trimmed(meta.transfer_syntax.raw()))
        .map_err(damaged)?;
    let big_endian = ts.endianness() == Endianness::Big;
    let mut walker = source.walker(ts).map_err(damaged)?;
    walker.tolerate_overruns();
    let mut root = Root::default();
    let mut records: Vec<Record> = Vec::new();
    let mut current: Option<Record> = None;
    let mut saw_sequence = false;
    let mut value = Vec::with_capacity(256);
    while let Some(event) = walker.next_event().map_err(damaged)? {
        let in_record = matches!(
            walker.stack(),
            [
                Frame::Seq {
                    tag: RECORD_SEQUENCE,
                    ..
                },
                Frame::Item { .. }
            ]
        );
        let in_sequence = matches!(
            walker.stack(),
            [Frame::Seq {
                tag: RECORD_SEQUENCE,
                ..
            }]
        );
        match event {
            Event::SeqStart(RECORD_SEQUENCE) if in_sequence => saw_sequence = true,
            Event::ItemStart { offset } if in_record => {
                if records.len() >= MAX_RECORDS {
                    return Err(DicomDirError::TooManyRecords);
                }
                current = Some(Record {
                    offset,
                    ..Record::default()
                });
            }
            Event::ItemEnd if in_sequence => records.extend(current.take()),
            Event::Element(tag) => {
                if walker.stack().is_empty() {
                    match (tag.0, tag.1) {
                        (0x0008, 0x0005) if walker.read_value(&mut value).map_err(damaged)? => {
                            root.charset = value.clone();
                        }
                        (0x0004, 0x1200) if walker.read_value(&mut value).map_err(damaged)? => {
                            root.first = offset(&value, big_endian);
                        }
                        _ => {}
                    }
                } else if in_record
                    && RECORD_FIELDS.contains(&tag)
                    && let Some(record) = current.as_mut()
                    && walker.read_value(&mut value).map_err(damaged)?
                {
                    take_record_field(record, tag, &value, big_endian);
                }
            }
            Event::PixelData { .. } | Event::PixelSequence { .. } | Event::PastPixelData(_) => {
                break;
            }
            _ => {}
        }
    }
    if !saw_sequence {
        return Err(DicomDirError::NoRecords);
    }
    root.overrun = walker.overran();
    Ok((root, records))
}

/// The attributes of a directory record [`take_record_field`] keeps; the walk skips the others' values unread.
const RECORD_FIELDS: [Tag; 11] = [
    Tag(0x0004, 0x1400),
    Tag(0x0004, 0x1420),
    Tag(0x0004, 0x1430),
    Tag(0x0004, 0x1500),
    Tag(0x0004, 0x1511),
    Tag(0x0008, 0x0005),
    Tag(0x0010, 0x0010),
    Tag(0x0010, 0x0020),
    Tag(0x0010, 0x0030),
    Tag(0x0020, 0x000D),
    Tag(0x0020, 0x000E),
];

fn take_record_field(r: &mut Record, tag: Tag, raw: &[u8], big_endian: bool) {
    let string = || Some(ascii(raw).into_boxed_str()).filter(|s| !s.is_empty());
    let shared = || Some(Arc::<str>::from(ascii(raw))).filter(|s| !s.is_empty());
    match (tag.0, tag.1) {
        (0x0004, 0x1400) => r.next = offset(raw, big_endian),
        (0x0004, 0x1420) => r.lower = offset(raw, big_endian),
        (0x0004, 0x1430) => {
            let kind = trimmed(raw);
            let is = |name: &str| kind.eq_ignore_ascii_case(name);
            r.kind = if is("PATIENT") {
                Kind::Patient
            } else if is("STUDY") {
                Kind::Study
            } else if is("SERIES") {
                Kind::Series
            } else {
                Kind::Leaf
            };
        }
        (0x0004, 0x1500) => {
            let file_id = trimmed(raw);
            let mut components = file_id.split('\\');
            // As written, when every component is already trimmed and none is empty (as good as always): one
            // allocation instead of one per component and the joined copy.
            r.file_id = if components.all(|c| !c.is_empty() && c.trim().len() == c.len()) {
                file_id.into()
            } else {
                file_id
                    .split('\\')
                    .map(str::trim)
                    .filter(|c| !c.is_empty())
                    .collect::<Vec<_>>()
                    .join("\\")
                    .into_boxed_str()
            };
        }
        (0x0004, 0x1511) => r.sop_instance_uid = string(),
        (0x0008, 0x0005) => r.parent.get_or_insert_default().charset = Some(raw.into()),
        (0x0010, 0x0010) => r.parent.get_or_insert_default().patient_name = Some(raw.into()),
        (0x0010, 0x0020) => r.parent.get_or_insert_default().patient_id = Some(raw.into()),
        (0x0010, 0x0030) => r.parent.get_or_insert_default().birth_date = string(),
        (0x0020, 0x000D) => r.parent.get_or_insert_default().study_instance_uid = shared(),
        (0x0020, 0x000E) => r.parent.get_or_insert_default().series_instance_uid = shared(),
        _ => {}
    }
}

/// A UL offset in the file's byte order; 0 when absent or malformed.
fn offset(raw: &[u8], big_endian: bool) -> u32 {
    let Some(bytes) = raw.get(..4).and_then(|b| <[u8; 4]>::try_from(b).ok()) else {
        return 0;
    };
    if big_endian {
        u32::from_be_bytes(bytes)
    } else {
        u32::from_le_bytes(bytes)
    }
}

/// Records in the order the offsets give, depth-first from `first`, or `None` when the offsets are zero,
/// dangling or cyclic.
fn link_order(records: &[Record], first: u32) -> Option<Vec<(u32, Context)>> {
    let by_offset: HashMap<u64, u32> = records
        .iter()
        .zip(0..)
        .map(|(r, i)| (r.offset, i))
        .collect();
    let find = |offset: u32| by_offset.get(&u64::from(offset)).copied();
    let mut visited = vec![false; records.len()];
    let mut order = Vec::with_capacity(records.len());
    let mut pending = vec![(find(first)?, Context::default())];
    while let Some((i, ctx)) = pending.pop() {
        let seen = visited.get_mut(i as usize)?;
        if *seen {
            return None;
        }
        *seen = true;
        let record = records.get(i as usize)?;
        order.push((i, ctx));
        if record.next != 0 {
            pending.push((find(record.next)?, ctx));
        }
        if record.lower != 0 {
            pending.push((find(record.lower)?, ctx.below(i, record.kind)));
        }
    }
    Some(order)
}

/// Records in file order, each under the latest PATIENT, STUDY and SERIES record before it.
fn file_order(records: &[Record]) -> Vec<(u32, Context)> {
    let mut ctx = Context::default();
    records
        .iter()
        .zip(0..)
        .map(|(record, i)| {
            let parent = match record.kind {
                Kind::Patient => Context::default(),
                Kind::Study => Context {
                    study: NONE,
                    series: NONE,
                    ..ctx
                },
                Kind::Series => Context {
                    series: NONE,
                    ..ctx
                },
                Kind::Leaf => ctx,
            };
            ctx = parent.below(i, record.kind);
            (i, parent)
        })
        .collect()
}

fn entry(
    record: Record,
    ctx: Context,
    records: &[Record],
    names: &HashMap<u32, Arc<DecodedText>>,
) -> DirEntry {
    let at = |i: u32| records.get(usize::try_from(i).ok()?)?.parent.as_deref();
    DirEntry {
        file_id: record.file_id,
        sop_instance_uid: record.sop_instance_uid,
        patient_name: names.get(&ctx.patient).cloned(),
        study_instance_uid: at(ctx.study).and_then(|s| s.study_instance_uid.clone()),
        series_instance_uid: at(ctx.series).and_then(|s| s.series_instance_uid.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dicom_core::value::DataSetSequence;
    use dicom_core::{DataElement, Length, PrimitiveValue, VR, dicom_value};
    use dicom_dictionary_std::{tags, uids};
    use dicom_object::{FileMetaTableBuilder, InMemDicomObject};
    use std::path::PathBuf;

    /// A record as (type, its own attributes).
    type Spec = (&'static str, Vec<(Tag, VR, PrimitiveValue)>);

    fn patient() -> Spec {
        (
            "PATIENT",
            vec![
                (tags::PATIENT_NAME, VR::PN, "DOE^JANE".into()),
                (tags::PATIENT_ID, VR::LO, "ID-7".into()),
            ],
        )
    }

    fn study() -> Spec {
        (
            "STUDY",
            vec![
                (tags::STUDY_INSTANCE_UID, VR::UI, "1.2.3".into()),
                (tags::STUDY_DATE, VR::DA, "20260102".into()),
            ],
        )
    }

    fn series() -> Spec {
        (
            "SERIES",
            vec![
                (tags::SERIES_INSTANCE_UID, VR::UI, "1.2.3.4".into()),
                (tags::SERIES_NUMBER, VR::IS, "5".into()),
                (tags::MODALITY, VR::CS, "MR".into()),
            ],
        )
    }

    fn image(n: u32) -> Spec {
        (
            "IMAGE",
            vec![
                (
                    tags::REFERENCED_FILE_ID,
                    VR::CS,
                    dicom_value!(Strs, ["DICOM", "S0000001", &format!("IM{n:06}")]),
                ),
                (
                    tags::REFERENCED_SOP_CLASS_UID_IN_FILE,
                    VR::UI,
                    uids::MR_IMAGE_STORAGE.into(),
                ),
                (
                    tags::REFERENCED_SOP_INSTANCE_UID_IN_FILE,
                    VR::UI,
                    format!("1.2.3.4.{n}").into(),
                ),
                (
                    tags::REFERENCED_TRANSFER_SYNTAX_UID_IN_FILE,
                    VR::UI,
                    uids::EXPLICIT_VR_LITTLE_ENDIAN.into(),
                ),
            ],
        )
    }

    /// Links by record index: (next, lower) per record, and the first root record.
    struct Links {
        first: Option<usize>,
        records: Vec<(Option<usize>, Option<usize>)>,
    }

    fn build(specs: &[Spec], offsets: &[u64], links: &Links) -> Vec<u8> {
        let at = |i: Option<usize>| i.and_then(|i| offsets.get(i)).map_or(0, |&o| o as u32);
        let items = specs
            .iter()
            .enumerate()
            .map(|(i, (kind, fields))| {
                let (next, lower) = links.records.get(i).copied().unwrap_or_default();
                let mut item = InMemDicomObject::new_empty();
                item.put(DataElement::new(
                    tags::OFFSET_OF_THE_NEXT_DIRECTORY_RECORD,
                    VR::UL,
                    PrimitiveValue::from(at(next)),
                ));
                item.put(DataElement::new(
                    tags::RECORD_IN_USE_FLAG,
                    VR::US,
                    PrimitiveValue::from(0xFFFF_u16),
                ));
                item.put(DataElement::new(
                    tags::OFFSET_OF_REFERENCED_LOWER_LEVEL_DIRECTORY_ENTITY,
                    VR::UL,
                    PrimitiveValue::from(at(lower)),
                ));
                item.put(DataElement::new(
                    tags::DIRECTORY_RECORD_TYPE,
                    VR::CS,
                    PrimitiveValue::from(*kind),
                ));
                for (tag, vr, value) in fields {
                    item.put(DataElement::new(*tag, *vr, value.clone()));
                }
                item
            })
            .collect::<Vec<_>>();
        let mut obj = InMemDicomObject::new_empty();
        obj.put(DataElement::new(tags::FILE_SET_ID, VR::CS, "TESTSET"));
        obj.put(DataElement::new(
            tags::OFFSET_OF_THE_FIRST_DIRECTORY_RECORD_OF_THE_ROOT_DIRECTORY_ENTITY,
            VR::UL,
            PrimitiveValue::from(at(links.first)),
        ));
        obj.put(DataElement::new(
            tags::OFFSET_OF_THE_LAST_DIRECTORY_RECORD_OF_THE_ROOT_DIRECTORY_ENTITY,
            VR::UL,
            PrimitiveValue::from(0_u32),
        ));
        obj.put(DataElement::new(
            tags::FILE_SET_CONSISTENCY_FLAG,
            VR::US,
            PrimitiveValue::from(0_u16),
        ));
        obj.put(DataElement::new(
            tags::DIRECTORY_RECORD_SEQUENCE,
            VR::SQ,
            DataSetSequence::new(items, Length::UNDEFINED),
        ));
        let meta = FileMetaTableBuilder::new()
            .transfer_syntax(uids::EXPLICIT_VR_LITTLE_ENDIAN)
            .media_storage_sop_class_uid(uids::MEDIA_STORAGE_DIRECTORY_STORAGE)
            .media_storage_sop_instance_uid("1.2.3.99");
        let mut bytes = Vec::new();
        obj.with_meta(meta)
            .expect("meta")
            .write_all(&mut bytes)
            .expect("write");
        bytes
    }

    fn write(dir: &tempfile::TempDir, bytes: &[u8]) -> PathBuf {
        let path = dir.path().join("DICOMDIR");
        std::fs::write(&path, bytes).expect("write DICOMDIR");
        path
    }

    /// Byte offsets of the records, learnt with the scanner (as a writer would after a first pass).
    fn record_offsets(path: &Path) -> Vec<u64> {
        let mut source = Source::open(path).expect("open");
        assert_eq!(source.sniff(), Ok(Sniff::Part10));
        let meta = source.read_meta().expect("meta");
        let ts = source
            .data_set_syntax(&trimmed(meta.transfer_syntax.raw()))
            .expect("ts");
        let mut walker = source.walker(ts).expect("walker");
        let mut offsets = Vec::new();
        while let Some(event) = walker.next_event().expect("event") {
            if let Event::ItemStart { offset } = event {
                offsets.push(offset);
            }
        }
        offsets
    }

    /// Writes with zero offsets, learns the offsets, patches them in and writes again; returns the final path.
    fn dicomdir(dir: &tempfile::TempDir, specs: &[Spec], links: &Links) -> PathBuf {
        let path = write(dir, &build(specs, &[], links));
        let offsets = record_offsets(&path);
        assert_eq!(offsets.len(), specs.len());
        write(dir, &build(specs, &offsets, links))
    }

    fn depth_first() -> (Vec<Spec>, Links) {
        let specs = vec![patient(), study(), series(), image(1), image(2), image(3)];
        let links = Links {
            first: Some(0),
            records: vec![
                (None, Some(1)),
                (None, Some(2)),
                (None, Some(3)),
                (Some(4), None),
                (Some(5), None),
                (None, None),
            ],
        };
        (specs, links)
    }

    fn assert_in_context(entry: &DirEntry) {
        assert_eq!(
            entry.patient_name.as_ref().map(|n| n.text.as_str()),
            Some("DOE^JANE")
        );
        assert_eq!(entry.study_instance_uid.as_deref(), Some("1.2.3"));
        assert_eq!(entry.series_instance_uid.as_deref(), Some("1.2.3.4"));
    }

    fn file_names(dir: &DicomDir) -> Vec<String> {
        dir.entries
            .iter()
            .map(|e| e.file_id.replace('\\', "/"))
            .collect()
    }

    #[test]
    fn follows_offsets_depth_first() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let (specs, links) = depth_first();
        let dir = read_dicomdir(&dicomdir(&tmp, &specs, &links)).expect("read");
        assert!(dir.links_followed);
        assert_eq!((dir.patients, dir.studies, dir.series), (1, 1, 1));
        assert_eq!(
            file_names(&dir),
            [
                "DICOM/S0000001/IM000001",
                "DICOM/S0000001/IM000002",
                "DICOM/S0000001/IM000003"
            ]
        );
        dir.entries.iter().for_each(assert_in_context);
        assert_eq!(
            dir.entries[1].sop_instance_uid.as_deref(),
            Some("1.2.3.4.2")
        );
    }

    #[test]
    fn records_out_of_file_order_are_reached_through_offsets() {
        let tmp = tempfile::tempdir().expect("tempdir");
        // File order: IMAGE 2, SERIES, PATIENT, IMAGE 1, STUDY.
        let specs = vec![image(2), series(), patient(), image(1), study()];
        let links = Links {
            first: Some(2),
            records: vec![
                (None, None),
                (None, Some(3)),
                (None, Some(4)),
                (Some(0), None),
                (None, Some(1)),
            ],
        };
        let dir = read_dicomdir(&dicomdir(&tmp, &specs, &links)).expect("read");
        assert!(dir.links_followed);
        assert_eq!(
            file_names(&dir),
            ["DICOM/S0000001/IM000001", "DICOM/S0000001/IM000002"]
        );
        dir.entries.iter().for_each(assert_in_context);
    }

    #[test]
    fn zero_or_dangling_offsets_fall_back_to_file_order() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let (specs, links) = depth_first();
        let zero = Links {
            first: None,
            records: Vec::new(),
        };
        let path = write(&tmp, &build(&specs, &[], &zero));
        let dir = read_dicomdir(&path).expect("read");
        assert!(!dir.links_followed);
        assert_eq!(dir.entries.len(), 3);
        dir.entries.iter().for_each(assert_in_context);

        let path = write(&tmp, &build(&specs, &record_offsets(&path), &links));
        let mut bytes = std::fs::read(&path).expect("read back");
        let first = bytes
            .windows(4)
            .position(|w| w == [0x04, 0x00, 0x00, 0x12])
            .expect("(0004,1200)");
        bytes[first + 8..first + 12].copy_from_slice(&7_u32.to_le_bytes());
        let dir = read_dicomdir(&write(&tmp, &bytes)).expect("read");
        assert!(!dir.links_followed);
        assert_eq!(dir.entries.len(), 3);
    }

    #[test]
    fn offset_cycles_do_not_hang() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let (specs, mut links) = depth_first();
        links.records[5] = (Some(3), None);
        let dir = read_dicomdir(&dicomdir(&tmp, &specs, &links)).expect("read");
        assert!(!dir.links_followed);
        assert_eq!(dir.entries.len(), 3);
        links.records[5] = (None, None);
        links.records[2] = (None, Some(0));
        let dir = read_dicomdir(&dicomdir(&tmp, &specs, &links)).expect("read");
        assert!(!dir.links_followed);
        dir.entries.iter().for_each(assert_in_context);
    }

    #[test]
    fn truncated_dicomdir_is_an_error() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let (specs, links) = depth_first();
        let bytes = std::fs::read(dicomdir(&tmp, &specs, &links)).expect("read back");
        for cut in [bytes.len() - 7, bytes.len() / 2, 200] {
            match read_dicomdir(&write(&tmp, &bytes[..cut])) {
                Err(DicomDirError::Damaged(defect)) => {
                    assert_eq!(defect.kind, DefectKind::Truncated, "cut at {cut}")
                }
                other => panic!("cut at {cut}: {other:?}"),
            }
        }
    }

    #[test]
    fn the_walk_reads_exactly_the_record_fields_kept() {
        // Every field `take_record_field` keeps is in RECORD_FIELDS (else its value would go unread), and no
        // other: a value that names a kind, a file, an offset and a UID changes a record wherever it is kept.
        let seen = |r: &Record| {
            format!(
                "{} {} {:?} {:?} {:?} {}",
                r.next,
                r.lower,
                r.kind,
                r.file_id,
                r.sop_instance_uid,
                r.parent.is_some()
            )
        };
        let untouched = seen(&Record::default());
        let groups = [
            0x0002, 0x0004, 0x0008, 0x0010, 0x0018, 0x0020, 0x0028, 0x0040, 0x0088,
        ];
        for group in groups {
            for element in 0..0x1600 {
                let tag = Tag(group, element);
                let mut record = Record::default();
                take_record_field(&mut record, tag, b"PATIENT ", false);
                let kept = seen(&record) != untouched;
                assert_eq!(kept, RECORD_FIELDS.contains(&tag), "{tag}");
            }
        }
    }

    #[test]
    fn garbage_is_an_error() {
        let tmp = tempfile::tempdir().expect("tempdir");
        for bytes in [
            &b""[..],
            b"not a directory at all, just text\n",
            &[0xFF; 300],
        ] {
            assert_eq!(
                read_dicomdir(&write(&tmp, bytes)),
                Err(DicomDirError::NotDicom)
            );
        }
        let mut no_records = InMemDicomObject::new_empty();
        no_records.put(DataElement::new(tags::FILE_SET_ID, VR::CS, "EMPTY"));
        let no_records = no_records
            .with_meta(
                FileMetaTableBuilder::new()
                    .transfer_syntax(uids::EXPLICIT_VR_LITTLE_ENDIAN)
                    .media_storage_sop_class_uid(uids::MEDIA_STORAGE_DIRECTORY_STORAGE)
                    .media_storage_sop_instance_uid("1.2.3.99"),
            )
            .expect("meta");
        let mut bytes = Vec::new();
        no_records.write_all(&mut bytes).expect("write");
        assert_eq!(
            read_dicomdir(&write(&tmp, &bytes)),
            Err(DicomDirError::NoRecords)
        );
        assert!(
            matches!(read_dicomdir(&tmp.path().join("missing")), Err(DicomDirError::Damaged(d)) if d.kind == DefectKind::Io)
        );
    }
}

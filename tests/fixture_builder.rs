//! The fixture builder writes what it claims: files read back with dicom-object (and, where installed, dcmtk's
//! `dcmdump`) carry the specified names, UIDs, geometry and defects; DICOMDIR offsets resolve; builds are
//! byte-identical; the committed sample disc is the builder's output and stays under 500 KB.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::files_under;
use dicom_dictionary_std::{tags, uids};
use dicom_object::{DefaultDicomObject, InMemDicomObject, open_file};
use dicomcheck_fixture::{
    DiscSpec, Layout, NameSpec, Orientation, PatientSpec, SeriesSpec, StudySpec, Syntax,
    WrittenDisc, sample_disc, truncate_file, write_disc, write_junk, write_zero_byte,
};

fn open(path: &Path) -> DefaultDicomObject {
    open_file(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn text(obj: &InMemDicomObject, tag: dicom_core::Tag) -> String {
    obj.element(tag)
        .expect("element")
        .to_str()
        .expect("text")
        .into_owned()
}

fn floats(obj: &InMemDicomObject, tag: dicom_core::Tag) -> Vec<f64> {
    obj.element(tag)
        .expect("element")
        .to_multi_float64()
        .expect("floats")
}

fn int(obj: &InMemDicomObject, tag: dicom_core::Tag) -> i64 {
    obj.element(tag)
        .expect("element")
        .to_int::<i64>()
        .expect("integer")
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// The unit slice normal of an ImageOrientationPatient.
fn normal(iop: &[f64]) -> [f64; 3] {
    let n = [
        iop[1] * iop[5] - iop[2] * iop[4],
        iop[2] * iop[3] - iop[0] * iop[5],
        iop[0] * iop[4] - iop[1] * iop[3],
    ];
    let len = dot(&n, &n).sqrt();
    n.map(|c| c / len)
}

/// The raw value of the first explicit-VR PatientName element in a file, found by its header bytes.
fn raw_patient_name(bytes: &[u8]) -> Option<Vec<u8>> {
    let at = bytes.windows(6).position(|w| w == b"\x10\x00\x10\x00PN")?;
    let len = usize::from(u16::from_le_bytes([bytes[at + 6], bytes[at + 7]]));
    Some(bytes[at + 8..at + 8 + len].to_vec())
}

fn le16(bytes: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([bytes[at], bytes[at + 1]])
}

fn le32(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
}

/// An explicit VR little endian element header at `at`: (group, element, value length, header length).
fn header(bytes: &[u8], at: usize) -> (u16, u16, u32, usize) {
    let (group, element) = (le16(bytes, at), le16(bytes, at + 2));
    if group == 0xFFFE {
        return (group, element, le32(bytes, at + 4), 8);
    }
    let vr = &bytes[at + 4..at + 6];
    let long = [
        b"OB", b"OW", b"OF", b"OD", b"OL", b"SQ", b"UT", b"UN", b"UC", b"UR",
    ];
    if long.iter().any(|l| &l[..] == vr) {
        (group, element, le32(bytes, at + 8), 12)
    } else {
        (group, element, u32::from(le16(bytes, at + 6)), 8)
    }
}

/// File offsets of the Directory Record Sequence items, by an independent byte walk of the DICOMDIR.
fn dicomdir_item_offsets(bytes: &[u8]) -> Vec<u32> {
    let mut at = 132;
    let mut offsets = Vec::new();
    while at < bytes.len() {
        let (group, element, len, hlen) = header(bytes, at);
        at += hlen;
        if (group, element) != (0x0004, 0x1220) {
            at += len as usize;
            continue;
        }
        loop {
            let (g, e, item_len, h) = header(bytes, at);
            if (g, e) == (0xFFFE, 0xE0DD) {
                return offsets;
            }
            assert_eq!((g, e), (0xFFFE, 0xE000), "item expected at {at}");
            offsets.push(u32::try_from(at).expect("small"));
            at += h;
            if item_len != u32::MAX {
                at += item_len as usize;
                continue;
            }
            loop {
                let (g, e, l, h) = header(bytes, at);
                at += h;
                if (g, e) == (0xFFFE, 0xE00D) {
                    break;
                }
                at += l as usize;
            }
        }
    }
    offsets
}

type Records<'a> = BTreeMap<u32, &'a InMemDicomObject>;

/// The record an offset attribute of `record` points to; `None` for offset 0.
fn link<'a>(
    records: &Records<'a>,
    record: &InMemDicomObject,
    tag: dicom_core::Tag,
) -> Option<&'a InMemDicomObject> {
    let offset = u32::try_from(int(record, tag)).expect("UL");
    (offset != 0).then(|| *records.get(&offset).expect("offset resolves to an item"))
}

/// The records linked by Offset of the Next Directory Record, from `first`.
fn chain<'a>(
    records: &Records<'a>,
    first: Option<&'a InMemDicomObject>,
) -> Vec<&'a InMemDicomObject> {
    let mut out = Vec::new();
    let mut next = first;
    while let Some(record) = next {
        out.push(record);
        next = link(records, record, tags::OFFSET_OF_THE_NEXT_DIRECTORY_RECORD);
    }
    out
}

/// Check a DICOMDIR against the disc: offsets resolve to items, links form PATIENT → STUDY → SERIES → IMAGE,
/// and every IMAGE record names an existing file whose UIDs agree. Returns the listed files.
fn check_dicomdir(disc: &WrittenDisc) -> BTreeSet<PathBuf> {
    let path = disc.path(disc.dicomdir.as_deref().expect("a DICOMDIR"));
    let bytes = fs::read(&path).expect("read DICOMDIR");
    let obj = open(&path);
    assert_eq!(
        obj.meta().media_storage_sop_class_uid(),
        uids::MEDIA_STORAGE_DIRECTORY_STORAGE
    );
    let records = obj
        .element(tags::DIRECTORY_RECORD_SEQUENCE)
        .expect("record sequence")
        .items()
        .expect("items");
    let offsets = dicomdir_item_offsets(&bytes);
    assert_eq!(offsets.len(), records.len());
    let by_offset: Records<'_> = offsets.iter().copied().zip(records.iter()).collect();
    let root_first = u32::try_from(int(
        &obj,
        tags::OFFSET_OF_THE_FIRST_DIRECTORY_RECORD_OF_THE_ROOT_DIRECTORY_ENTITY,
    ))
    .expect("UL");
    let patients = chain(&by_offset, by_offset.get(&root_first).copied());
    let root_last = int(
        &obj,
        tags::OFFSET_OF_THE_LAST_DIRECTORY_RECORD_OF_THE_ROOT_DIRECTORY_ENTITY,
    );
    let last_patient = patients.last().expect("a patient");
    assert!(std::ptr::eq(
        *last_patient,
        *by_offset
            .get(&u32::try_from(root_last).expect("UL"))
            .expect("last resolves")
    ));
    let mut visited = 0;
    let mut listed = BTreeSet::new();
    let lower = |r| {
        let first = link(
            &by_offset,
            r,
            tags::OFFSET_OF_REFERENCED_LOWER_LEVEL_DIRECTORY_ENTITY,
        );
        chain(&by_offset, first)
    };
    for patient in patients {
        assert_eq!(text(patient, tags::DIRECTORY_RECORD_TYPE), "PATIENT");
        visited += 1;
        for study in lower(patient) {
            assert_eq!(text(study, tags::DIRECTORY_RECORD_TYPE), "STUDY");
            visited += 1;
            let study_uid = text(study, tags::STUDY_INSTANCE_UID);
            for series in lower(study) {
                assert_eq!(text(series, tags::DIRECTORY_RECORD_TYPE), "SERIES");
                visited += 1;
                let series_uid = text(series, tags::SERIES_INSTANCE_UID);
                for image in lower(series) {
                    assert_eq!(text(image, tags::DIRECTORY_RECORD_TYPE), "IMAGE");
                    visited += 1;
                    let components = image
                        .element(tags::REFERENCED_FILE_ID)
                        .expect("file id")
                        .to_multi_str()
                        .expect("components")
                        .to_vec();
                    let relative: PathBuf = components.iter().collect();
                    let file = open(&disc.path(&relative));
                    assert_eq!(
                        text(image, tags::REFERENCED_SOP_INSTANCE_UID_IN_FILE),
                        text(&file, tags::SOP_INSTANCE_UID)
                    );
                    assert_eq!(
                        text(image, tags::REFERENCED_SOP_CLASS_UID_IN_FILE),
                        text(&file, tags::SOP_CLASS_UID)
                    );
                    assert_eq!(
                        text(image, tags::REFERENCED_TRANSFER_SYNTAX_UID_IN_FILE),
                        file.meta().transfer_syntax()
                    );
                    assert_eq!(text(&file, tags::STUDY_INSTANCE_UID), study_uid);
                    assert_eq!(text(&file, tags::SERIES_INSTANCE_UID), series_uid);
                    listed.insert(relative);
                }
            }
        }
    }
    assert_eq!(
        visited,
        records.len(),
        "every record is reachable from the root"
    );
    listed
}

fn image_files(disc: &WrittenDisc) -> BTreeSet<PathBuf> {
    disc.series
        .iter()
        .flat_map(|s| s.instances.iter().map(|i| i.path.clone()))
        .collect()
}

#[test]
fn sample_disc_is_small_complete_and_fully_listed() {
    let dir = tempfile::tempdir().unwrap();
    let disc = write_disc(dir.path(), &sample_disc()).unwrap();
    assert_eq!(files_under(dir.path()), disc.all_files());
    let total: u64 = disc
        .all_files()
        .iter()
        .map(|f| fs::metadata(disc.path(f)).unwrap().len())
        .sum();
    assert!(total < 500_000, "sample disc is {total} bytes");
    assert!(dir.path().join("AUTORUN.INF").is_file());
    assert!(dir.path().join("VIEWER.EXE").is_file());

    assert_eq!(check_dicomdir(&disc), image_files(&disc));
    assert_eq!(disc.series.len(), 4);
    let counts: Vec<usize> = disc.series.iter().map(|s| s.instances.len()).collect();
    assert_eq!(counts, [24, 3, 12, 12]);
    for series in &disc.series {
        let numbers: Vec<i64> = series
            .instances
            .iter()
            .map(|i| {
                let obj = open(&disc.path(&i.path));
                assert_eq!(text(&obj, tags::PATIENT_NAME), "SMITH^JOHN");
                assert!(obj.element(tags::STUDY_DATE).unwrap().to_date().is_ok());
                int(&obj, tags::INSTANCE_NUMBER)
            })
            .collect();
        let expected: Vec<i64> = (1..=numbers.len() as i64).collect();
        assert_eq!(numbers, expected);
    }
}

#[test]
fn committed_sample_disc_is_the_builders_output() {
    let committed = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/sample-disc");
    let dir = tempfile::tempdir().unwrap();
    write_disc(dir.path(), &sample_disc()).unwrap();
    let files = files_under(dir.path());
    assert_eq!(
        files_under(&committed),
        files,
        "regenerate with `cargo run --example make_sample_disc`"
    );
    for file in files {
        assert!(
            fs::read(committed.join(&file)).unwrap() == fs::read(dir.path().join(&file)).unwrap(),
            "{} differs; regenerate with `cargo run --example make_sample_disc`",
            file.display()
        );
    }
}

fn varied_disc() -> DiscSpec {
    DiscSpec::new(PatientSpec::new("WANG^XIAODONG=王^小东=").charset("GB18030"))
        .study(
            StudySpec::new("MIXED")
                .series(SeriesSpec::ct(4).vendor_header(true))
                .series(SeriesSpec::mr(5).multiframe(true))
                .series(SeriesSpec::ct(3).transfer_syntax(Syntax::ImplicitLe))
                .series(
                    SeriesSpec::ct(2)
                        .transfer_syntax(Syntax::JpegLossless)
                        .bits_allocated(8),
                ),
        )
        .study(
            StudySpec::new("OTHER")
                .no_date()
                .series(SeriesSpec::mr(3).orientation(Orientation::Coronal)),
        )
        .viewer_files(true)
}

#[test]
fn builds_are_byte_identical() {
    for layout in [Layout::DicomDir, Layout::Flat] {
        let spec = varied_disc().layout(layout);
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let disc_a = write_disc(a.path(), &spec).unwrap();
        let disc_b = write_disc(b.path(), &spec).unwrap();
        assert_eq!(disc_a.all_files(), disc_b.all_files());
        assert_eq!(files_under(a.path()), disc_a.all_files());
        for file in disc_a.all_files() {
            assert!(
                fs::read(a.path().join(&file)).unwrap() == fs::read(b.path().join(&file)).unwrap()
            );
        }
        check_dicomdir(&disc_a);
    }
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let one = write_disc(a.path(), &varied_disc()).unwrap();
    let two = write_disc(b.path(), &varied_disc().seed(2)).unwrap();
    assert_ne!(
        one.series[0].series_instance_uid,
        two.series[0].series_instance_uid
    );
}

#[test]
fn layouts_name_files_as_real_discs_do() {
    let dir = tempfile::tempdir().unwrap();
    let disc = write_disc(dir.path(), &varied_disc()).unwrap();
    for file in image_files(&disc) {
        let parts: Vec<String> = file
            .iter()
            .map(|c| c.to_string_lossy().into_owned())
            .collect();
        assert_eq!(parts.len(), 4);
        assert_eq!(parts[0], "DICOM");
        for part in &parts[1..] {
            assert_eq!(part.len(), 8);
            assert!(
                part.bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
            );
        }
    }
    let flat = tempfile::tempdir().unwrap();
    let disc = write_disc(
        flat.path(),
        &varied_disc().layout(Layout::Flat).dicomdir(false),
    )
    .unwrap();
    assert!(disc.dicomdir.is_none());
    for file in image_files(&disc) {
        assert_eq!(file.components().count(), 1);
        assert_eq!(file.extension().unwrap(), "dcm");
        open(&disc.path(&file));
    }
}

#[test]
fn series_share_uids_and_slices_are_spaced_along_the_normal() {
    let cosines = [0.866_025, 0.5, 0.0, -0.4, 0.692_82, -0.6];
    let spec = DiscSpec::new(PatientSpec::default()).study(
        StudySpec::new("OBLIQUE").series(
            SeriesSpec::mr(8)
                .orientation(Orientation::Oblique(cosines))
                .slice_spacing(3.3)
                .first_position([10.0, -20.0, 30.0]),
        ),
    );
    let dir = tempfile::tempdir().unwrap();
    let disc = write_disc(dir.path(), &spec).unwrap();
    let series = &disc.series[0];
    let objects: Vec<_> = series
        .instances
        .iter()
        .map(|i| open(&disc.path(&i.path)))
        .collect();
    let mut sop_uids = BTreeSet::new();
    let mut distances = Vec::new();
    for (k, obj) in objects.iter().enumerate() {
        assert_eq!(
            text(obj, tags::STUDY_INSTANCE_UID),
            series.study_instance_uid
        );
        assert_eq!(
            text(obj, tags::SERIES_INSTANCE_UID),
            series.series_instance_uid
        );
        assert_eq!(
            text(obj, tags::FRAME_OF_REFERENCE_UID),
            text(&objects[0], tags::FRAME_OF_REFERENCE_UID)
        );
        assert_eq!(
            obj.meta().media_storage_sop_instance_uid(),
            text(obj, tags::SOP_INSTANCE_UID)
        );
        assert_eq!(text(obj, tags::SOP_CLASS_UID), uids::MR_IMAGE_STORAGE);
        assert!(sop_uids.insert(text(obj, tags::SOP_INSTANCE_UID)));
        assert_eq!(int(obj, tags::INSTANCE_NUMBER), k as i64 + 1);
        let iop = floats(obj, tags::IMAGE_ORIENTATION_PATIENT);
        for (got, want) in iop.iter().zip(cosines) {
            assert!((got - want).abs() < 1e-6);
        }
        let ipp = floats(obj, tags::IMAGE_POSITION_PATIENT);
        distances.push(dot(&ipp, &normal(&iop)));
        // Positions move along the normal only.
        let first = floats(&objects[0], tags::IMAGE_POSITION_PATIENT);
        let delta: Vec<f64> = ipp.iter().zip(&first).map(|(a, b)| a - b).collect();
        let along = dot(&delta, &normal(&iop));
        let off_axis: f64 = delta.iter().map(|d| d * d).sum::<f64>() - along * along;
        assert!(
            off_axis.abs() < 1e-6,
            "slice {k} drifts off the normal: {off_axis}"
        );
        assert_eq!(int(obj, tags::ROWS), 64);
        let pixels = obj.element(tags::PIXEL_DATA).unwrap().to_bytes().unwrap();
        assert_eq!(pixels.len(), 64 * 64 * 2);
    }
    for pair in distances.windows(2) {
        assert!((pair[1] - pair[0] - 3.3).abs() < 1e-4, "{distances:?}");
    }
    let first_pixels = objects[0]
        .element(tags::PIXEL_DATA)
        .unwrap()
        .to_bytes()
        .unwrap();
    let second_pixels = objects[1]
        .element(tags::PIXEL_DATA)
        .unwrap()
        .to_bytes()
        .unwrap();
    assert_ne!(first_pixels, second_pixels, "slices differ");
}

#[test]
fn multiframe_is_an_enhanced_object_with_functional_groups() {
    let spec = DiscSpec::new(PatientSpec::default()).study(
        StudySpec::new("ENHANCED").series(
            SeriesSpec::mr(6)
                .multiframe(true)
                .orientation(Orientation::Sagittal)
                .slice_spacing(4.0)
                .omit_slices(&[2]),
        ),
    );
    let dir = tempfile::tempdir().unwrap();
    let disc = write_disc(dir.path(), &spec).unwrap();
    let instances = &disc.series[0].instances;
    assert_eq!(instances.len(), 1);
    assert_eq!(instances[0].frames, 5);
    let obj = open(&disc.path(&instances[0].path));
    assert_eq!(
        text(&obj, tags::SOP_CLASS_UID),
        uids::ENHANCED_MR_IMAGE_STORAGE
    );
    assert_eq!(int(&obj, tags::NUMBER_OF_FRAMES), 5);
    let shared = obj
        .element(tags::SHARED_FUNCTIONAL_GROUPS_SEQUENCE)
        .unwrap()
        .items()
        .unwrap();
    let orientation = shared[0]
        .element(tags::PLANE_ORIENTATION_SEQUENCE)
        .unwrap()
        .items()
        .unwrap();
    let iop = floats(&orientation[0], tags::IMAGE_ORIENTATION_PATIENT);
    assert_eq!(iop, [0.0, 1.0, 0.0, 0.0, 0.0, -1.0]);
    let frames = obj
        .element(tags::PER_FRAME_FUNCTIONAL_GROUPS_SEQUENCE)
        .unwrap()
        .items()
        .unwrap();
    assert_eq!(frames.len(), 5);
    let distances: Vec<f64> = frames
        .iter()
        .map(|f| {
            let plane = f
                .element(tags::PLANE_POSITION_SEQUENCE)
                .unwrap()
                .items()
                .unwrap();
            dot(
                &floats(&plane[0], tags::IMAGE_POSITION_PATIENT),
                &normal(&iop),
            )
        })
        .collect();
    let steps: Vec<f64> = distances.windows(2).map(|w| w[1] - w[0]).collect();
    for (step, want) in steps.iter().zip([4.0, 8.0, 4.0, 4.0]) {
        assert!((step - want).abs() < 1e-4, "{steps:?}");
    }
    let pixels = obj.element(tags::PIXEL_DATA).unwrap().to_bytes().unwrap();
    assert_eq!(pixels.len(), 5 * 64 * 64 * 2);
}

#[test]
fn transfer_syntaxes_are_written_as_declared() {
    let dir = tempfile::tempdir().unwrap();
    let disc = write_disc(dir.path(), &varied_disc()).unwrap();
    let implicit = open(&disc.path(&disc.series[2].instances[0].path));
    assert_eq!(
        implicit.meta().transfer_syntax(),
        uids::IMPLICIT_VR_LITTLE_ENDIAN
    );
    assert_eq!(text(&implicit, tags::MODALITY), "CT");
    assert_eq!(
        implicit
            .element(tags::PIXEL_DATA)
            .unwrap()
            .to_bytes()
            .unwrap()
            .len(),
        64 * 64 * 2
    );
    let raw = fs::read(disc.path(&disc.series[2].instances[0].path)).unwrap();
    assert!(
        !raw.windows(6).any(|w| w == b"\x08\x00\x60\x00CS"),
        "no explicit VR in the data set"
    );

    let jpeg = open(&disc.path(&disc.series[3].instances[0].path));
    assert_eq!(jpeg.meta().transfer_syntax(), uids::JPEG_LOSSLESS_SV1);
    let pixel = jpeg.element(tags::PIXEL_DATA).unwrap();
    let fragments = pixel.value().fragments().expect("encapsulated");
    assert_eq!(fragments.len(), 1);
    assert!(fragments[0].starts_with(&[0xFF, 0xD8]));
    assert_eq!(fragments[0].len() % 2, 0);
    assert!(
        pixel
            .value()
            .offset_table()
            .expect("offset table")
            .is_empty()
    );
    assert_eq!(int(&jpeg, tags::BITS_ALLOCATED), 8);
}

#[test]
fn names_are_written_under_their_declared_charset_or_verbatim() {
    let gbk = b"\xcd\xf5^\xd0\xa1\xb6\xab"; // 王^小东 in GBK, 7 bytes (odd)
    let cases: Vec<(PatientSpec, Option<&str>, Vec<u8>)> = vec![
        (
            PatientSpec::new("WANG^XIAODONG=王^小东=").charset("GB18030"),
            Some("GB18030"),
            b"WANG^XIAODONG=\xcd\xf5^\xd0\xa1\xb6\xab=".to_vec(),
        ),
        (
            PatientSpec::default().raw_name(gbk),
            None,
            [&gbk[..], b" "].concat(),
        ),
        (
            PatientSpec::default().raw_name(gbk).charset("ISO_IR 100"),
            Some("ISO_IR 100"),
            [&gbk[..], b" "].concat(),
        ),
        (
            PatientSpec::new("ZHANG^XIAODONG=章^小东=").charset("\\ISO 2022 IR 58"),
            Some("\\ISO 2022 IR 58"),
            b"ZHANG^XIAODONG=\x1b$)A\xd5\xc2^\x1b$)A\xd0\xa1\xb6\xab= ".to_vec(),
        ),
        (
            PatientSpec::new("MÜLLER^JÜRGEN").charset("ISO_IR 100"),
            Some("ISO_IR 100"),
            b"M\xdcLLER^J\xdcRGEN ".to_vec(),
        ),
        (
            PatientSpec::new("史密斯^约翰").charset("ISO_IR 192"),
            Some("ISO_IR 192"),
            "史密斯^约翰".as_bytes().to_vec(),
        ),
    ];
    for (patient, charset, expected) in cases {
        let dir = tempfile::tempdir().unwrap();
        let spec =
            DiscSpec::new(patient.clone()).study(StudySpec::new("NAMES").series(SeriesSpec::ct(1)));
        let disc = write_disc(dir.path(), &spec).unwrap();
        let path = disc.path(&disc.series[0].instances[0].path);
        let bytes = fs::read(&path).unwrap();
        assert_eq!(
            raw_patient_name(&bytes).as_deref(),
            Some(&expected[..]),
            "{patient:?}"
        );
        let obj = open(&path);
        match charset {
            Some(cs) => assert_eq!(text(&obj, tags::SPECIFIC_CHARACTER_SET), cs),
            None => assert!(obj.get(tags::SPECIFIC_CHARACTER_SET).is_none()),
        }
        // The DICOMDIR PATIENT record carries the same bytes.
        let dicomdir = fs::read(dir.path().join("DICOMDIR")).unwrap();
        assert_eq!(raw_patient_name(&dicomdir).as_deref(), Some(&expected[..]));
        if let NameSpec::Text(name) = &patient.name
            && charset.is_some_and(|c| c == "GB18030" || c == "ISO_IR 192" || c == "ISO_IR 100")
        {
            assert_eq!(&text(&obj, tags::PATIENT_NAME), name.trim_end());
        }
    }
}

#[test]
fn absent_and_unrepresentable_names() {
    let dir = tempfile::tempdir().unwrap();
    let spec = DiscSpec::new(PatientSpec::default().no_name())
        .study(StudySpec::new("NO NAME").series(SeriesSpec::ct(1)));
    let disc = write_disc(dir.path(), &spec).unwrap();
    let obj = open(&disc.path(&disc.series[0].instances[0].path));
    assert!(obj.get(tags::PATIENT_NAME).is_none());
    assert_eq!(text(&obj, tags::PATIENT_ID), "PAT0001");

    let dir = tempfile::tempdir().unwrap();
    let spec = DiscSpec::new(PatientSpec::new("王^小东"))
        .study(StudySpec::new("NO CHARSET").series(SeriesSpec::ct(2)));
    let err = write_disc(dir.path(), &spec).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    assert!(
        files_under(dir.path()).is_empty(),
        "a failed write leaves no file"
    );
}

#[test]
fn spec_level_defects() {
    let intruder = PatientSpec::new("DOE^JOHN")
        .id("OTHER9")
        .birth_date(Some("19551231".into()));
    let spec = DiscSpec::new(PatientSpec::new("SMITH^JOHN"))
        .study(
            StudySpec::new("DEFECTS")
                .date("2026.11.20")
                .series(SeriesSpec::ct(6).omit_slices(&[3]).renumber(true))
                .series(SeriesSpec::ct(6).omit_slices(&[3]))
                .series(SeriesSpec::ct(4).number_gaps(&[3]))
                .series(SeriesSpec::ct(3).duplicate_slices(&[1]))
                .series(SeriesSpec::ct(2).patient(intruder.clone()))
                .series(SeriesSpec::ct(2).in_dicomdir(false).date("20261121"))
                .series(
                    SeriesSpec::ct(3)
                        .shift_slices(&[(2, 1.0)])
                        .images_in_acquisition(Some(5)),
                ),
        )
        .study(
            StudySpec::new("UNDATED")
                .no_date()
                .series(SeriesSpec::ct(1)),
        );
    let dir = tempfile::tempdir().unwrap();
    let disc = write_disc(dir.path(), &spec).unwrap();
    let numbers = |s: usize| -> Vec<i64> {
        disc.series[s]
            .instances
            .iter()
            .map(|i| int(&open(&disc.path(&i.path)), tags::INSTANCE_NUMBER))
            .collect()
    };
    let positions = |s: usize| -> Vec<f64> {
        disc.series[s]
            .instances
            .iter()
            .map(|i| floats(&open(&disc.path(&i.path)), tags::IMAGE_POSITION_PATIENT)[2])
            .collect()
    };
    assert_eq!(numbers(0), [1, 2, 3, 4, 5]);
    assert_eq!(positions(0), [-100.0, -97.5, -95.0, -90.0, -87.5]);
    assert_eq!(numbers(1), [1, 2, 3, 5, 6]);
    assert_eq!(numbers(2), [1, 2, 4, 5]);
    assert_eq!(positions(2), [-100.0, -97.5, -95.0, -92.5]);

    let dup = &disc.series[3].instances;
    assert_eq!(dup.len(), 4);
    assert_eq!(dup[1].sop_instance_uid, dup[2].sop_instance_uid);
    assert_ne!(dup[1].path, dup[2].path);
    assert_eq!(
        fs::read(disc.path(&dup[1].path)).unwrap(),
        fs::read(disc.path(&dup[2].path)).unwrap()
    );

    let other = open(&disc.path(&disc.series[4].instances[0].path));
    assert_eq!(text(&other, tags::PATIENT_NAME), "DOE^JOHN");
    assert_eq!(text(&other, tags::PATIENT_ID), "OTHER9");
    assert_eq!(
        text(&other, tags::STUDY_INSTANCE_UID),
        disc.series[0].study_instance_uid
    );
    let mine = open(&disc.path(&disc.series[0].instances[0].path));
    assert_eq!(text(&mine, tags::PATIENT_NAME), "SMITH^JOHN");
    assert_eq!(text(&mine, tags::STUDY_DATE), "2026.11.20");
    assert_eq!(text(&mine, tags::SERIES_DATE), "2026.11.20");

    let unlisted = &disc.series[5];
    let late = open(&disc.path(&unlisted.instances[0].path));
    assert_eq!(text(&late, tags::SERIES_DATE), "20261121");
    assert_eq!(text(&late, tags::CONTENT_DATE), "20261121");
    assert_eq!(text(&late, tags::STUDY_DATE), "2026.11.20");

    let shifted = positions(6);
    assert_eq!(shifted, [-100.0, -97.5, -94.0]);
    let shifted_obj = open(&disc.path(&disc.series[6].instances[0].path));
    assert_eq!(int(&shifted_obj, tags::IMAGES_IN_ACQUISITION), 5);

    let undated = open(&disc.path(&disc.series[7].instances[0].path));
    assert!(undated.get(tags::STUDY_DATE).is_none());
    assert!(undated.get(tags::SERIES_DATE).is_none());

    // The DICOMDIR lists everything but the unlisted series, under two PATIENT records.
    let listed = check_dicomdir(&disc);
    let unlisted_files: BTreeSet<PathBuf> =
        unlisted.instances.iter().map(|i| i.path.clone()).collect();
    let expected: BTreeSet<PathBuf> = image_files(&disc)
        .difference(&unlisted_files)
        .cloned()
        .collect();
    assert_eq!(listed, expected);
    let dicomdir = open(&disc.path(disc.dicomdir.as_deref().unwrap()));
    let patients = dicomdir
        .element(tags::DIRECTORY_RECORD_SEQUENCE)
        .unwrap()
        .items()
        .unwrap()
        .iter()
        .filter(|r| text(r, tags::DIRECTORY_RECORD_TYPE) == "PATIENT")
        .count();
    assert_eq!(patients, 2);
}

#[test]
fn damage_helpers() {
    let dir = tempfile::tempdir().unwrap();
    let spec =
        DiscSpec::new(PatientSpec::default()).study(StudySpec::new("D").series(SeriesSpec::ct(3)));
    let disc = write_disc(dir.path(), &spec).unwrap();
    let paths: Vec<PathBuf> = disc.series[0]
        .instances
        .iter()
        .map(|i| disc.path(&i.path))
        .collect();
    let full = fs::metadata(&paths[0]).unwrap().len();
    truncate_file(&paths[0], full - 1000).unwrap();
    assert_eq!(fs::metadata(&paths[0]).unwrap().len(), full - 1000);
    assert!(
        open_file(&paths[0]).is_err(),
        "cut inside Pixel Data fails a full read"
    );
    write_zero_byte(&paths[1]).unwrap();
    assert_eq!(fs::metadata(&paths[1]).unwrap().len(), 0);
    write_junk(&paths[2], 300).unwrap();
    let junk = fs::read(&paths[2]).unwrap();
    assert_eq!(junk.len(), 300);
    assert!(open_file(&paths[2]).is_err());
}

#[test]
fn vendor_header_is_large_and_realistic() {
    let dir = tempfile::tempdir().unwrap();
    let disc = write_disc(dir.path(), &varied_disc()).unwrap();
    let obj = open(&disc.path(&disc.series[0].instances[0].path));
    let elements = obj.iter().count();
    assert!((250..400).contains(&elements), "{elements} elements");
    let blob = obj
        .element(dicom_core::Tag(0x0029, 0x1010))
        .unwrap()
        .to_bytes()
        .unwrap();
    assert!(blob.len() >= 4096);
    assert_eq!(
        text(&obj, dicom_core::Tag(0x0029, 0x0010)),
        "FIXTURE CSA HEADER"
    );
    let plain = open(&disc.path(&disc.series[2].instances[0].path));
    assert!(plain.iter().count() < 60);
}

/// Cross-check with dcmtk when it is installed: `dcmdump` parses every file without error or warning.
#[test]
fn dcmtk_reads_every_file_when_installed() {
    if Command::new("dcmdump").arg("--version").output().is_err() {
        eprintln!("dcmdump not installed; cross-check skipped");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let disc = write_disc(dir.path(), &varied_disc()).unwrap();
    let mut files: Vec<PathBuf> = image_files(&disc).into_iter().collect();
    files.push(PathBuf::from("DICOMDIR"));
    for file in files {
        let out = Command::new("dcmdump")
            .arg(disc.path(&file))
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success() && stderr.trim().is_empty(),
            "{}: {stderr}",
            file.display()
        );
    }
}

#[test]
fn viewer_only_and_empty_discs() {
    let dir = tempfile::tempdir().unwrap();
    let disc = write_disc(
        dir.path(),
        &DiscSpec::default().dicomdir(false).viewer_files(true),
    )
    .unwrap();
    assert!(disc.series.is_empty());
    let names: Vec<PathBuf> = ["AUTORUN.INF", "README.TXT", "VIEWER.EXE"]
        .iter()
        .map(PathBuf::from)
        .collect();
    assert_eq!(files_under(dir.path()), names);
    let exe = fs::read(dir.path().join("VIEWER.EXE")).unwrap();
    assert!(exe.starts_with(b"MZ"));
    assert!(open_file(dir.path().join("VIEWER.EXE")).is_err());

    let empty = tempfile::tempdir().unwrap();
    let disc = write_disc(empty.path(), &DiscSpec::default()).unwrap();
    assert_eq!(files_under(empty.path()), [PathBuf::from("DICOMDIR")]);
    let dicomdir = open(&disc.path(Path::new("DICOMDIR")));
    let records = dicomdir
        .element(tags::DIRECTORY_RECORD_SEQUENCE)
        .unwrap()
        .items()
        .unwrap();
    assert!(records.is_empty());
}

//! The images phase's memory does not follow the files' sizes: a 300 MiB multi-frame file (sparse, in a temp
//! dir), and a deflated one that inflates to 150 MiB, are read and checked frame by frame with a peak resident
//! size of the scanning process, and of the worker that draws its thumbnail, far below the file's size. Measured with `wait4`'s `ru_maxrss` (the child and the
//! descendants it waited for), no timing involved. The header is pydicom's `CT_small.dcm` (PyPI, MIT), made
//! multi-frame with dicom-object.
#![cfg(target_os = "linux")]

mod common;

use std::fs::OpenOptions;
use std::io::Write;
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::process::{Command, Stdio};

use dicom_core::{DataElement, PrimitiveValue, VR};
use dicom_dictionary_std::tags;
use dicom_object::{DefaultDicomObject, FileMetaTableBuilder};
use serde_json::Value;

const FRAMES: u32 = 600;
const SIDE: u16 = 512;

#[test]
fn a_300_mib_multi_frame_file_is_checked_in_far_less_memory() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.dcm");
    let obj = ct_small_without_pixels(FRAMES);
    assert_eq!(obj.meta().transfer_syntax(), "1.2.840.10008.1.2.1");
    obj.write_to_file(&path).unwrap();
    let frame_bytes = u64::from(SIDE) * u64::from(SIDE) * 2;
    let pixel_bytes = frame_bytes * u64::from(FRAMES);
    let mut file = OpenOptions::new().append(true).open(&path).unwrap();
    file.write_all(&[0xE0, 0x7F, 0x10, 0x00, b'O', b'W', 0, 0])
        .unwrap();
    file.write_all(&(pixel_bytes as u32).to_le_bytes()).unwrap();
    let start = file.metadata().unwrap().len();
    file.set_len(start + pixel_bytes).unwrap();
    // One sample per frame that is not zero, so no frame is blank; the rest stays a hole. (Not through the
    // appending handle: Linux appends a positioned write there.)
    let file = OpenOptions::new().write(true).open(&path).unwrap();
    for frame in 0..u64::from(FRAMES) {
        file.write_all_at(&[7, 1], start + frame * frame_bytes + 1000)
            .unwrap();
    }
    drop(file);
    let size = start + pixel_bytes;
    assert!(size > 300 << 20);

    let (report, peak) = checked(dir.path());
    assert_eq!(
        report["images"]["frames_decoded"], FRAMES,
        "{}",
        report["images"]
    );
    let damage: Vec<_> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["check"] == "images")
        .collect();
    assert!(damage.is_empty(), "{damage:?}");
    println!("file {} MiB, peak resident {} MiB", size >> 20, peak >> 20);
    // The phase's byte budget is 32 MiB; the process itself and its threads take a few more.
    assert!(
        peak < 96 << 20,
        "peak resident {} MiB for a {} MiB file",
        peak >> 20,
        size >> 20
    );
}

/// Runs the binary on `dir`: its JSON report and the peak resident size of it and the workers it waited for.
fn checked(dir: &Path) -> (Value, u64) {
    #[expect(
        clippy::zombie_processes,
        reason = "reaped by wait4 below, which also gives its resource usage"
    )]
    let child = Command::new(env!("CARGO_BIN_EXE_dicomcheck"))
        .arg(dir)
        .args(["--json", "--no-name"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let pid = child.id() as libc::pid_t;
    let stdout = child.stdout.unwrap();
    let reader = std::thread::spawn(move || serde_json::from_reader::<_, Value>(stdout));
    let mut status = 0;
    // SAFETY: wait4 writes into the zeroed rusage and the status it is given, for our own child.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        assert_eq!(libc::wait4(pid, &mut status, 0, &mut usage), pid);
        usage
    };
    let report = reader.join().unwrap().unwrap();
    assert!(libc::WIFEXITED(status), "status {status}");
    (report, (usage.ru_maxrss as u64) << 10)
}

/// Frames of the deflated file: 300 of 512 x 512 16-bit samples, 150 MiB inflated, more than the header scan
/// inflates (64 MiB).
const DEFLATED_FRAMES: u32 = 300;

/// `CT_small.dcm` made a 150 MiB multi-frame object in Deflated Explicit VR Little Endian: its data set (Pixel
/// Data last, one non-zero sample per frame) raw-deflated after a meta group that declares the deflated syntax.
fn deflated_file(path: &Path) {
    let obj = ct_small_without_pixels(DEFLATED_FRAMES);
    let explicit: DefaultDicomObject = obj;
    let mut plain = Vec::new();
    explicit
        .write_dataset_with_ts(
            &mut plain,
            &dicom_transfer_syntax_registry::entries::EXPLICIT_VR_LITTLE_ENDIAN.erased(),
        )
        .unwrap();
    let meta = FileMetaTableBuilder::new()
        .media_storage_sop_class_uid(explicit.meta().media_storage_sop_class_uid())
        .media_storage_sop_instance_uid(explicit.meta().media_storage_sop_instance_uid())
        .transfer_syntax("1.2.840.10008.1.2.1.99")
        .build()
        .unwrap();
    let mut out = std::fs::File::create(path).unwrap();
    out.write_all(&[0; 128]).unwrap();
    out.write_all(b"DICM").unwrap();
    meta.write(&mut out).unwrap();
    let mut deflate = flate2::write::DeflateEncoder::new(out, flate2::Compression::fast());
    deflate.write_all(&plain).unwrap();
    let frame_bytes = usize::from(SIDE) * usize::from(SIDE) * 2;
    let pixel_bytes = frame_bytes as u32 * DEFLATED_FRAMES;
    deflate
        .write_all(&[0xE0, 0x7F, 0x10, 0x00, b'O', b'W', 0, 0])
        .unwrap();
    deflate.write_all(&pixel_bytes.to_le_bytes()).unwrap();
    let mut frame = vec![0u8; frame_bytes];
    for n in 0..DEFLATED_FRAMES {
        frame[1000] = n as u8 | 1;
        deflate.write_all(&frame).unwrap();
    }
    deflate.finish().unwrap();
}

#[test]
fn a_deflated_file_inflating_past_the_header_cap_is_checked_in_pieces_and_its_damage_found() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("deflated.dcm");
    deflated_file(&path);
    let bytes = std::fs::read(&path).unwrap();
    let (report, peak) = checked(dir.path());
    assert_eq!(
        report["images"]["frames_decoded"], DEFLATED_FRAMES,
        "{}",
        report["images"]
    );
    assert!(
        common::findings(&report, "images").is_empty(),
        "{}",
        common::problems(&report)
    );
    println!(
        "deflated file {} KiB, 150 MiB inflated, peak resident {} MiB",
        bytes.len() >> 10,
        peak >> 20
    );
    assert!(peak < 96 << 20, "peak resident {} MiB", peak >> 20);

    // Cut at 80% of its compressed bytes: past the 64 MiB the header scan inflates, so only the images phase
    // sees the deflate stream end early.
    std::fs::write(&path, &bytes[..bytes.len() / 5 * 4]).unwrap();
    let (report, _) = checked(dir.path());
    let fails = common::findings_at(&report, "images", "fail");
    assert_eq!(fails.len(), 1, "{}", common::problems(&report));
    assert!(
        fails[0]["detail"]
            .as_str()
            .unwrap()
            .contains("deflated data set is damaged"),
        "{}",
        fails[0]
    );
}

/// pydicom's `CT_small.dcm` as a `frames`-frame object of SIDE x SIDE samples, without its Pixel Data and trailing
/// padding: the caller adds the Pixel Data last, as nothing may follow it.
fn ct_small_without_pixels(frames: u32) -> DefaultDicomObject {
    let mut obj = dicom_object::open_file(common::pydicom_testdata("CT_small.dcm")).unwrap();
    obj.remove_element(tags::PIXEL_DATA);
    obj.remove_element(tags::DATA_SET_TRAILING_PADDING);
    for (tag, value) in [(tags::ROWS, SIDE), (tags::COLUMNS, SIDE)] {
        obj.put(DataElement::new(tag, VR::US, PrimitiveValue::from(value)));
    }
    obj.put(DataElement::new(
        tags::NUMBER_OF_FRAMES,
        VR::IS,
        PrimitiveValue::from(frames.to_string()),
    ));
    obj
}

//! Decoders run isolated: a decoder that panics, aborts, hangs or allocates without bound, and a read that fails
//! with EIO inside the image data, each become that file's finding; the other files are still checked; exit 1.
//! The misbehaviour comes from test hooks compiled only with the `test-hooks` feature (scripts/test.sh). The
//! victims are compressed (pydicom's `JPEG-LL.dcm`): native frames are checked by the scanning process itself,
//! no decoder runs for them; a read error is shown on both kinds.
#![cfg(feature = "test-hooks")]

mod common;

use std::fs;
use std::process::Command;

use serde_json::Value;

#[test]
fn panic_abort_hang_alloc_and_eio_are_each_one_files_finding() {
    let compressed = fs::read(common::pydicom_testdata("JPEG-LL.dcm")).unwrap();
    let native = fs::read(common::pydicom_testdata("CT_small.dcm")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let victims = ["panic", "abort", "hang", "alloc", "eio"];
    for name in victims.iter().chain(&["ok1", "ok2"]) {
        fs::write(dir.path().join(format!("{name}.dcm")), &compressed).unwrap();
    }
    for name in ["eio_native", "ok_native"] {
        fs::write(dir.path().join(format!("{name}.dcm")), &native).unwrap();
    }
    let output = Command::new(env!("CARGO_BIN_EXE_dicomcheck"))
        .arg(dir.path())
        .args(["--json", "--no-name"])
        .env(
            "DICOMCHECK_TEST_HOOK",
            "panic:panic.dcm,abort:abort.dcm,hang:hang.dcm,alloc:alloc.dcm,eio:eio.dcm@3000,eio:eio_native.dcm@3000",
        )
        .env("DICOMCHECK_TEST_PATIENCE", "5")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let mut messages = Vec::new();
    for finding in report["findings"].as_array().unwrap() {
        if finding["check"] == "images" {
            assert_eq!(finding["severity"], "fail", "{finding}");
            messages.push(finding["message"].as_str().unwrap().to_string());
        }
    }
    let all = messages.join("\n");
    for (file, says) in [
        ("panic.dcm", "the decoder panicked: test hook"),
        ("abort.dcm", "the decoder crashed (aborted, signal 6)"),
        ("hang.dcm", "the decoder did not finish within 5 seconds"),
        ("alloc.dcm", "the decoder crashed"),
        ("eio.dcm", "at byte 3000"),
        ("eio_native.dcm", "at byte 3000"),
    ] {
        let line = messages
            .iter()
            .find(|m| m.contains(file))
            .unwrap_or_else(|| panic!("{file} not named:\n{all}"));
        assert!(line.contains(says), "{file}: expected {says:?} in {line}");
    }
    assert!(all.contains("the disc itself is damaged"), "{all}");
    assert!(
        !all.contains("ok1.dcm") && !all.contains("ok2.dcm") && !all.contains("ok_native.dcm"),
        "{all}"
    );
    // Every file was handed to the phase; the three intact copies decoded, one frame each.
    assert_eq!(report["images"]["files"], 9);
    assert_eq!(report["images"]["frames_decoded"], 3);
}

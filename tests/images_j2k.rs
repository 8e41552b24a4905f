//! JPEG 2000 damage inside the code-block data, through the binary, on real files: pydicom-data's JPEG 2000
//! objects (PyPI; lossless and lossy, written by several toolkits) and GDCM's own output (`gdcmconv --j2k`,
//! lossless and `--lossy`, Debian's libgdcm-tools, on pydicom-data's uncompressed images). OpenJPEG decodes
//! most such damage without complaint; what the tool detects is measured per class and printed:
//! - intact copies: all must pass (a false FAIL sends a patient back for nothing);
//! - a 2048-byte sector zeroed in the middle of a frame's tile data: all must fail (no real codestream holds
//!   such a run: the longest zero run in the tile data of the 93 real files surveyed is 18 bytes);
//! - the first or second byte of the first packet header XORed with 0x5A: at least three quarters must fail (the
//!   Tier-2 walk finds the packets no longer fit the tile; measured 42 of 46, and 8 without that walk);
//! - one byte XORed with 0x5A at a quarter, half and three quarters of the tile data: counted, not required (a
//!   changed byte in MQ-coded data is still valid MQ data; only a decoder error, an impossible marker or a packet
//!   header hit shows it: measured 7 of 69).

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::process::Command;

use common::check_json;

/// pydicom-data's JPEG 2000 files used (the larger ones cost minutes in a debug build).
const PYDICOM: &[&str] = &[
    "693_J2KR.dcm",
    "693_J2KI.dcm",
    "MR2_J2KR.dcm",
    "MR2_J2KI.dcm",
    "RG3_J2KI.dcm",
    "US1_J2KR.dcm",
    "US1_J2KI.dcm",
    "GDCMJ2K_TextGBR.dcm",
    "J2K_pixelrep_mismatch.dcm",
    "MR_small_jp2klossless.dcm",
    "emri_small_jpeg_2k_lossless.dcm",
    "JPEG2000.dcm",
    "SC_rgb_gdcm_KY.dcm",
];

/// Uncompressed pydicom-data images that GDCM compresses for the test.
const FOR_GDCM: &[&str] = &[
    "CT_small.dcm",
    "MR_small.dcm",
    "SC_rgb.dcm",
    "US1_UNCR.dcm",
    "RG3_UNCR.dcm",
];

/// The first fragment's (offset, length), after the Basic Offset Table.
fn first_fragment(bytes: &[u8]) -> (usize, usize) {
    let pixel_data = bytes
        .windows(4)
        .rposition(|w| w == [0xE0, 0x7F, 0x10, 0x00])
        .unwrap();
    let bot = pixel_data
        + bytes[pixel_data..]
            .windows(4)
            .position(|w| w == [0xFE, 0xFF, 0x00, 0xE0])
            .unwrap();
    let bot_len = u32::from_le_bytes(bytes[bot + 4..bot + 8].try_into().unwrap()) as usize;
    let at = bot + 8 + bot_len;
    let len = u32::from_le_bytes(bytes[at + 4..at + 8].try_into().unwrap()) as usize;
    (at + 8, len)
}

/// The first frame's tile data: after its first SOD marker, up to the fragment's end less the EOC marker.
fn tile_data(bytes: &[u8]) -> (usize, usize) {
    let (start, len) = first_fragment(bytes);
    let sod = start
        + bytes[start..]
            .windows(2)
            .position(|w| w == [0xFF, 0x93])
            .unwrap()
        + 2;
    (sod, start + len - 2)
}

/// The GDCM-compressed copies, (name, bytes); none when gdcmconv refuses an image.
fn gdcm_copies(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for source in FOR_GDCM {
        for (tag, args) in [
            ("gdcm_lossless", &["--j2k"][..]),
            ("gdcm_lossy", &["--j2k", "--lossy", "-q", "30"][..]),
        ] {
            let target = dir.join(format!("{tag}_{source}"));
            let ok = Command::new("gdcmconv")
                .args(args)
                .arg(common::pydicom_testdata(source))
                .arg(&target)
                .output()
                .expect("gdcmconv (libgdcm-tools, scripts/test.sh)")
                .status
                .success();
            if ok {
                out.push((format!("{tag}_{source}"), fs::read(&target).unwrap()));
            }
        }
    }
    out
}

#[test]
fn damage_in_jpeg_2000_code_block_data_per_class() {
    let work = tempfile::tempdir().unwrap();
    let mut sources: Vec<(String, Vec<u8>)> = PYDICOM
        .iter()
        .map(|name| {
            (
                name.to_string(),
                fs::read(common::pydicom_testdata(name)).unwrap(),
            )
        })
        .collect();
    sources.extend(gdcm_copies(work.path()));
    assert!(sources.len() >= 20, "{} sources", sources.len());
    let disc = tempfile::tempdir().unwrap();
    let mut class_of: BTreeMap<String, &str> = BTreeMap::new();
    for (i, (name, bytes)) in sources.iter().enumerate() {
        let stem = format!("{i:02}_{}", name.trim_end_matches(".dcm"));
        let (start, end) = tile_data(bytes);
        let mut write = |class: &'static str, suffix: &str, damaged: Vec<u8>| {
            let file = format!("{stem}_{suffix}.dcm");
            fs::write(disc.path().join(&file), damaged).unwrap();
            class_of.insert(file, class);
        };
        write("intact", "intact", bytes.clone());
        if end - start >= 3 * 2048 {
            let mut zeroed = bytes.clone();
            let from = start + (end - start - 2048) / 2;
            zeroed[from..from + 2048].fill(0);
            write("sector zeroed", "sector", zeroed);
        }
        // The first packet header's first two bytes (a tile's data starts with a packet header).
        for at in 0..2 {
            let mut flipped = bytes.clone();
            flipped[start + at] ^= 0x5A;
            write("packet header flipped", &format!("head{at}"), flipped);
        }
        for quarter in 1..=3 {
            let mut flipped = bytes.clone();
            flipped[start + (end - start) * quarter / 4] ^= 0x5A;
            write("byte flipped", &format!("flip{quarter}"), flipped);
        }
    }
    let (_, report) = check_json(disc.path(), &["--no-name"]);
    let mut failed: BTreeMap<String, String> = BTreeMap::new();
    for finding in report["findings"].as_array().unwrap() {
        if finding["check"] != "images" {
            continue;
        }
        for path in finding["paths"].as_array().unwrap() {
            let name = path.as_str().unwrap().to_string();
            failed.insert(
                name,
                format!("{} {}", finding["severity"], finding["message"]),
            );
        }
    }
    // Per class: (failed, warned, files). A damaged frame may decode to one flat value: a blank-image warning.
    let mut tally: BTreeMap<&str, (usize, usize, usize)> = BTreeMap::new();
    for (file, class) in &class_of {
        let entry = tally.entry(class).or_default();
        entry.2 += 1;
        if let Some(finding) = failed.get(file) {
            assert!(!finding.contains("crashed"), "{file}: {finding}");
            if finding.starts_with("\"fail\"") {
                entry.0 += 1;
            } else {
                entry.1 += 1;
            }
        }
    }
    println!("JPEG 2000 damage (failed, warned, files) per class: {tally:?}");
    let intact_failed: Vec<_> = class_of
        .iter()
        .filter(|(f, c)| **c == "intact" && failed.contains_key(*f))
        .map(|(f, _)| format!("{f}: {}", failed[f]))
        .collect();
    assert!(intact_failed.is_empty(), "false FAILs: {intact_failed:?}");
    let (headers_found, _, headers) = tally["packet header flipped"];
    assert!(headers_found * 4 >= headers * 3, "{tally:?}");
    let (sectors_found, _, sectors) = tally["sector zeroed"];
    assert!(sectors >= 10, "{tally:?}");
    assert_eq!(sectors_found, sectors, "{tally:?}");
}

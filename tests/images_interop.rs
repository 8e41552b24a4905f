//! Interoperability: every compressed file shipped by pydicom and pydicom-data (PyPI) decodes to the pixels GDCM
//! (`gdcmconv --raw`, Debian's libgdcm-tools) produces: exactly for the lossless syntaxes, within a small
//! tolerance for the lossy ones (JPEG decoders differ in IDCT rounding by design).

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use dicom_dictionary_std::tags;
use dicomcheck::images::assemble::decode_file;
use dicomcheck::images::decode::Decoded;

/// Files larger than this are left to the benchmark: the two above it (4 and 6 MB) take minutes in a debug build.
const MAX_SIZE: u64 = 1 << 20;

/// Files where both references disagree with dicom-rs, and why. A 3-sample baseline JPEG without a JFIF or Adobe
/// marker: jpeg-decoder assumes YCbCr and converts it, GDCM and dcmtk follow the DICOM header (RGB) and do not.
/// The frame decodes (so the check is right), only its colours differ.
const KNOWN_DIFFERENCES: &[&str] = &["SC_jpeg_no_color_transform.dcm"];

const LOSSLESS: &[&str] = &[
    "1.2.840.10008.1.2.5",
    "1.2.840.10008.1.2.4.57",
    "1.2.840.10008.1.2.4.70",
    "1.2.840.10008.1.2.4.80",
    "1.2.840.10008.1.2.4.90",
    "1.2.840.10008.1.2.1.99",
];
const LOSSY: &[&str] = &[
    "1.2.840.10008.1.2.4.50",
    "1.2.840.10008.1.2.4.51",
    "1.2.840.10008.1.2.4.81",
    "1.2.840.10008.1.2.4.91",
];

/// Every pydicom/pydicom-data test file with Pixel Data in a compressed transfer syntax: (path, syntax).
fn compressed_files() -> Vec<(PathBuf, String)> {
    let script = "
import warnings; warnings.simplefilter('ignore')
import pydicom
from pydicom.data import get_testdata_files
for f in sorted(set(get_testdata_files('*'))):
    try:
        ds = pydicom.dcmread(f, stop_before_pixels=True)
        print(f + '\\t' + str(ds.file_meta.TransferSyntaxUID))
    except Exception:
        pass
";
    let out = Command::new("python3")
        .args(["-c", script])
        .output()
        .expect("python3 with pydicom");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_once('\t'))
        .filter(|(_, ts)| LOSSLESS.contains(ts) || LOSSY.contains(ts))
        .map(|(p, ts)| (PathBuf::from(p), ts.to_string()))
        .filter(|(p, _)| std::fs::metadata(p).is_ok_and(|m| m.len() <= MAX_SIZE))
        .collect()
}

fn frames(bytes: &[u8]) -> (Decoded, Vec<Vec<u8>>) {
    let mut frames = Vec::new();
    let decoded = decode_file(bytes, false, &mut |_, data| frames.push(data.to_vec()));
    (decoded, frames)
}

/// The dcmtk tool that decompresses a transfer syntax (dcmtk has no JPEG 2000 codec).
fn dcmtk_tool(ts: &str) -> Option<&'static str> {
    match ts {
        "1.2.840.10008.1.2.5" => Some("dcmdrle"),
        "1.2.840.10008.1.2.4.80" | "1.2.840.10008.1.2.4.81" => Some("dcmdjpls"),
        t if t.starts_with("1.2.840.10008.1.2.4.5") || t.starts_with("1.2.840.10008.1.2.4.7") => {
            Some("dcmdjpeg")
        }
        _ => None,
    }
}

/// The frames a reference tool decodes (`gdcmconv --raw in out`, or a dcmtk `in out` tool), pixel-interleaved,
/// with Bits Allocated and Photometric Interpretation; `None` when the tool cannot decode the file either.
fn reference_frames(tool: &[&str], path: &Path, out: &Path) -> Option<(Vec<Vec<u8>>, u16, String)> {
    let status = Command::new(tool[0])
        .args(&tool[1..])
        .arg(path)
        .arg(out)
        .output()
        .unwrap_or_else(|e| panic!("{} (libgdcm-tools, dcmtk): {e}", tool[0]));
    if !status.status.success() {
        return None;
    }
    let obj = dicom_object::open_file(out).ok()?;
    let uint = |tag| {
        obj.get(tag)
            .and_then(|e| e.to_int::<u16>().ok())
            .unwrap_or(0)
    };
    // The tool writes native frames one after another.
    let frame_len = usize::from(uint(tags::ROWS))
        * usize::from(uint(tags::COLUMNS))
        * usize::from(uint(tags::SAMPLES_PER_PIXEL))
        * usize::from(uint(tags::BITS_ALLOCATED).div_ceil(8));
    let pixels = obj.get(tags::PIXEL_DATA)?.to_bytes().ok()?;
    let mut frames: Vec<Vec<u8>> = pixels
        .chunks_exact(frame_len.max(1))
        .map(<[u8]>::to_vec)
        .collect();
    let photometric = obj
        .get(tags::PHOTOMETRIC_INTERPRETATION)
        .and_then(|e| e.to_str().ok())
        .map(|s| s.trim().to_string())
        .unwrap_or_default();
    let samples = uint(tags::SAMPLES_PER_PIXEL);
    if uint(tags::PLANAR_CONFIGURATION) == 1 && samples == 3 {
        let unit = usize::from(uint(tags::BITS_ALLOCATED).div_ceil(8));
        for frame in &mut frames {
            let plane = frame.len() / 3;
            let mut interleaved = vec![0; frame.len()];
            for pixel in 0..plane / unit {
                for s in 0..3 {
                    let from = s * plane + pixel * unit;
                    let to = (pixel * 3 + s) * unit;
                    interleaved[to..to + unit].copy_from_slice(&frame[from..from + unit]);
                }
            }
            *frame = interleaved;
        }
    }
    Some((frames, uint(tags::BITS_ALLOCATED), photometric))
}

/// Largest difference between two frames' samples.
fn max_difference(a: &[u8], b: &[u8], bits: u16) -> u32 {
    if bits == 16 {
        a.chunks_exact(2)
            .zip(b.chunks_exact(2))
            .map(|(x, y)| {
                u16::from_le_bytes([x[0], x[1]]).abs_diff(u16::from_le_bytes([y[0], y[1]])) as u32
            })
            .max()
            .unwrap_or(0)
    } else {
        a.iter()
            .zip(b)
            .map(|(x, y)| x.abs_diff(*y) as u32)
            .max()
            .unwrap_or(0)
    }
}

fn agrees(
    ours: &[Vec<u8>],
    (theirs, bits, _): &(Vec<Vec<u8>>, u16, String),
    tolerance: u32,
) -> bool {
    ours.len() == theirs.len()
        && ours
            .iter()
            .zip(theirs)
            .all(|(a, b)| a.len() == b.len() && max_difference(a, b, *bits) <= tolerance)
}

#[test]
fn pydicom_compressed_files_decode_to_the_pixels_gdcm_gives() {
    let files = compressed_files();
    assert!(
        files.len() >= 35,
        "pydicom-data is installed (scripts/test.sh): {} files",
        files.len()
    );
    let dir = tempfile::tempdir().unwrap();
    let mut tally: BTreeMap<&str, usize> = BTreeMap::new();
    let mut mismatches = Vec::new();
    for (path, ts) in &files {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let bytes = std::fs::read(path).unwrap();
        let (decoded, ours) = frames(&bytes);
        let gdcm = reference_frames(&["gdcmconv", "--raw"], path, &dir.path().join(&name));
        let tolerance = if LOSSY.contains(&ts.as_str()) { 6 } else { 0 };
        // GDCM keeps lossy JPEG in YCbCr and mis-decodes 16-bit RGB RLE (pydicom agrees with us there): dcmtk,
        // which converts to RGB, is the second reference when GDCM differs.
        let reference = match (gdcm, dcmtk_tool(ts)) {
            (Some(g), Some(tool)) if !agrees(&ours, &g, tolerance) => {
                reference_frames(&[tool], path, &dir.path().join(format!("dcmtk-{name}")))
                    .or(Some(g))
            }
            (g, _) => g,
        };
        let outcome = match reference {
            None if decoded.problems.iter().any(|p| p.kind.is_damage()) => "both refuse",
            None if ours.is_empty() => "both refuse (not decoded here: warned)",
            None => {
                println!("GDCM cannot decode {name}, decoded here");
                "GDCM refuses, decoded here"
            }
            Some(_) if ours.is_empty() && !decoded.problems.iter().any(|p| p.kind.is_damage()) => {
                "not decoded here: warned"
            }
            Some((theirs, bits, photometric)) => {
                let worst = ours
                    .iter()
                    .zip(&theirs)
                    .map(|(a, b)| {
                        if a.len() == b.len() {
                            max_difference(a, b, bits)
                        } else {
                            u32::MAX
                        }
                    })
                    .max()
                    .unwrap_or(u32::MAX);
                if KNOWN_DIFFERENCES.contains(&name.as_str()) {
                    assert!(
                        worst > tolerance,
                        "{name} now agrees: remove it from KNOWN_DIFFERENCES"
                    );
                    "known difference"
                } else if ours.len() != theirs.len() || worst > tolerance {
                    mismatches.push(format!(
                        "{name} ({ts}, GDCM {photometric}): {} frames here, {} by GDCM, largest difference {worst}; {:?}",
                        ours.len(),
                        theirs.len(),
                        decoded.problems
                    ));
                    "MISMATCH"
                } else if tolerance == 0 {
                    "identical"
                } else {
                    "within lossy tolerance"
                }
            }
        };
        *tally.entry(outcome).or_default() += 1;
    }
    println!("{} compressed files: {tally:?}", files.len());
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
    assert!(
        tally.get("identical").copied().unwrap_or(0) >= 20,
        "{tally:?}"
    );
}

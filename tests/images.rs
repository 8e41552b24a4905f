//! The images phase through the binary: real compressed files from pydicom and pydicom-data (PyPI; MIT and
//! other permissive licences, see their packages), damaged in the ways a bad burn or a scratched disc damages
//! them; each damaged file gets its `images` finding by name, the intact files beside it decode, exit 1.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use serde_json::Value;

use common::check_json;

/// The encapsulated fragments (offset, length) after the Basic Offset Table.
fn fragments(bytes: &[u8]) -> Vec<(usize, usize)> {
    let pixel_data = bytes
        .windows(4)
        .rposition(|w| w == [0xE0, 0x7F, 0x10, 0x00])
        .unwrap();
    let mut at = pixel_data
        + bytes[pixel_data..]
            .windows(4)
            .position(|w| w == [0xFE, 0xFF, 0x00, 0xE0])
            .unwrap();
    let mut out = Vec::new();
    while bytes.get(at..at + 4) == Some(&[0xFE, 0xFF, 0x00, 0xE0][..]) {
        let len = u32::from_le_bytes(bytes[at + 4..at + 8].try_into().unwrap()) as usize;
        out.push((at + 8, len));
        at += 8 + len;
    }
    out.remove(0);
    out
}

/// The range of compressed data of fragment `which` after its marker (`FF DA` with a length, `FF 93` without).
fn entropy_range(bytes: &[u8], which: usize, marker: [u8; 2]) -> (usize, usize) {
    let (start, len) = fragments(bytes)[which];
    let at = start + bytes[start..].windows(2).position(|w| w == marker).unwrap() + 2;
    let data = if marker == [0xFF, 0xDA] {
        at + usize::from(u16::from_be_bytes([bytes[at], bytes[at + 1]]))
    } else {
        at
    };
    (data, start + len - 2)
}

enum Damage {
    /// Zero `n` bytes in the middle of fragment `frame`'s compressed data after `marker`.
    Zero {
        frame: usize,
        marker: [u8; 2],
        n: usize,
    },
    /// XOR `n` bytes there with 0x5A.
    Flip {
        frame: usize,
        marker: [u8; 2],
        n: usize,
    },
    /// Zero a whole fragment's content, its item header kept.
    ZeroFragment(usize),
    /// The RLE header's first segment offset far past the fragment.
    RleSegmentOutside,
    /// Rows and Columns (explicit VR little endian, 64) set to 128.
    DeclareLarger,
}

const SOS: [u8; 2] = [0xFF, 0xDA];
const SOD: [u8; 2] = [0xFF, 0x93];

fn damage(bytes: &mut [u8], how: &Damage) {
    match *how {
        Damage::Zero { frame, marker, n } | Damage::Flip { frame, marker, n } => {
            let (start, end) = entropy_range(bytes, frame, marker);
            let n = n.min((end - start) / 2);
            let from = start + (end - start - n) / 2;
            for b in &mut bytes[from..from + n] {
                *b = if matches!(how, Damage::Zero { .. }) {
                    0
                } else {
                    *b ^ 0x5A
                };
            }
        }
        Damage::ZeroFragment(frame) => {
            let (start, len) = fragments(bytes)[frame];
            bytes[start..start + len].fill(0);
        }
        Damage::RleSegmentOutside => {
            let (start, _) = fragments(bytes)[0];
            bytes[start + 4..start + 8].copy_from_slice(&60_000u32.to_le_bytes());
        }
        Damage::DeclareLarger => {
            for tag in [[0x28, 0x00, 0x10, 0x00], [0x28, 0x00, 0x11, 0x00]] {
                let mut pattern = tag.to_vec();
                pattern.extend(b"US\x02\x00\x40\x00");
                let at = bytes.windows(10).position(|w| w == pattern).unwrap();
                bytes[at + 8] = 0x80;
            }
        }
    }
}

/// The damaged copies: (file name on the disc, pydicom source, damage).
fn damaged_cases() -> Vec<(&'static str, &'static str, Damage)> {
    use Damage::*;
    vec![
        (
            "jpeg_lossless_zeroed.dcm",
            "JPEG-LL.dcm",
            Zero {
                frame: 0,
                marker: SOS,
                n: 64,
            },
        ),
        (
            "jpeg_sv1_sector_zeroed.dcm",
            "JPGLosslessP14SV1_1s_1f_8b.dcm",
            Zero {
                frame: 0,
                marker: SOS,
                n: 2048,
            },
        ),
        (
            "jpeg_baseline_sector_zeroed.dcm",
            "examples_ybr_color.dcm",
            Zero {
                frame: 0,
                marker: SOS,
                n: 2048,
            },
        ),
        (
            "jpeg_baseline_flipped.dcm",
            "SC_rgb_jpeg_dcmtk.dcm",
            Flip {
                frame: 0,
                marker: SOS,
                n: 16,
            },
        ),
        (
            "jpegls_flipped.dcm",
            "MR_small_jpeg_ls_lossless.dcm",
            Flip {
                frame: 0,
                marker: SOS,
                n: 16,
            },
        ),
        (
            "jpegls_zeroed.dcm",
            "MR_small_jpeg_ls_lossless.dcm",
            Zero {
                frame: 0,
                marker: SOS,
                n: 64,
            },
        ),
        (
            "j2k_sector_zeroed.dcm",
            "US1_J2KR.dcm",
            Zero {
                frame: 0,
                marker: SOD,
                n: 2048,
            },
        ),
        (
            "j2k_flipped.dcm",
            "US1_J2KR.dcm",
            Flip {
                frame: 0,
                marker: SOD,
                n: 2048,
            },
        ),
        (
            "rle_segment_outside.dcm",
            "MR_small_RLE.dcm",
            RleSegmentOutside,
        ),
        (
            "smaller_image_than_declared.dcm",
            "MR_small_jp2klossless.dcm",
            DeclareLarger,
        ),
        (
            "multiframe_one_frame_zeroed.dcm",
            "emri_small_jpeg_2k_lossless.dcm",
            ZeroFragment(4),
        ),
    ]
}

/// Intact files beside them: (name, source).
const INTACT: &[(&str, &str)] = &[
    ("ok_native.dcm", "CT_small.dcm"),
    ("ok_rle.dcm", "MR_small_RLE.dcm"),
    ("ok_jpeg_lossless.dcm", "JPEG-LL.dcm"),
    ("ok_jpeg_baseline.dcm", "SC_rgb_jpeg_dcmtk.dcm"),
    ("ok_jpegls.dcm", "MR_small_jpeg_ls_lossless.dcm"),
    ("ok_j2k_multiframe.dcm", "emri_small_jpeg_2k_lossless.dcm"),
    ("ok_j2k.dcm", "US1_J2KR.dcm"),
];

/// `images` findings by severity: each file named to its finding's message.
fn images_findings(report: &Value) -> BTreeMap<String, (String, String)> {
    let mut out = BTreeMap::new();
    for finding in report["findings"].as_array().unwrap() {
        if finding["check"] != "images" {
            continue;
        }
        for path in finding["paths"].as_array().unwrap() {
            out.insert(
                path.as_str().unwrap().to_string(),
                (
                    finding["severity"].as_str().unwrap().to_string(),
                    // The plain message, and what the decoder said file by file (shown with -v).
                    format!(
                        "{} {}",
                        finding["message"].as_str().unwrap(),
                        finding["detail"].as_str().unwrap()
                    ),
                ),
            );
        }
    }
    out
}

fn copy(dir: &Path, name: &str, source: &str) -> Vec<u8> {
    let bytes = fs::read(common::pydicom_testdata(source)).unwrap();
    fs::write(dir.join(name), &bytes).unwrap();
    bytes
}

#[test]
fn damaged_frames_fail_by_name_and_the_intact_files_decode() {
    let dir = tempfile::tempdir().unwrap();
    for (name, source) in INTACT {
        copy(dir.path(), name, source);
    }
    let cases = damaged_cases();
    for (name, source, how) in &cases {
        let mut bytes = fs::read(common::pydicom_testdata(source)).unwrap();
        damage(&mut bytes, how);
        fs::write(dir.path().join(name), bytes).unwrap();
    }
    let (code, report) = check_json(dir.path(), &["--no-name"]);
    assert_eq!(code, 1, "{report}");
    let found = images_findings(&report);
    for (name, _, _) in &cases {
        let (severity, message) = found
            .get(*name)
            .unwrap_or_else(|| panic!("{name}: no images finding in {found:#?}"));
        assert_eq!(severity, "fail", "{name}: {message}");
        assert!(message.contains(name), "{name} named in: {message}");
    }
    for (name, _) in INTACT {
        assert!(
            !found.contains_key(*name),
            "{name} is intact: {:?}",
            found[*name]
        );
    }
    let images = &report["images"];
    assert_eq!(images["files"], INTACT.len() + cases.len(), "{images}");
    // The intact files' frames all decode: 1 each, 10 in the multi-frame; 9 of 10 in the damaged multi-frame.
    assert!(
        images["frames_decoded"].as_u64().unwrap() >= 6 + 10 + 9,
        "{images}"
    );
    // The summary never claims every image opened when some did not.
    let summary = common::check(dir.path(), &["--no-name"]).stdout;
    let summary = summary.split_whitespace().collect::<Vec<_>>().join(" ");
    let damaged_line = format!("{} files have damaged images", cases.len());
    assert!(
        !summary.contains("Opened every image") && summary.contains(&damaged_line),
        "{summary}"
    );
    println!(
        "{} damaged files, each failed by name; {} intact files decoded",
        cases.len(),
        INTACT.len()
    );
}

/// A single file given instead of a folder: its images are opened from the folder it lies in (the images phase
/// once joined the file's name to the file itself and blamed the disc for the "Not a directory" that gave).
#[test]
fn a_single_file_given_as_the_path_is_opened_and_decodes() {
    let dir = tempfile::tempdir().unwrap();
    for (name, source) in [
        ("native.dcm", "CT_small.dcm"),
        ("lossless.dcm", "MR_small_jp2klossless.dcm"),
    ] {
        copy(dir.path(), name, source);
        let (code, report) = check_json(&dir.path().join(name), &["--no-name"]);
        let images = &report["images"];
        assert_eq!(images["files"], 1, "{name}: {images}");
        assert_eq!(images["frames_decoded"], 1, "{name}: {images}");
        assert!(
            images_findings(&report).is_empty(),
            "{name}: {:?}",
            images_findings(&report)
        );
        assert_ne!(code, 2, "{name}: {report}");
    }
}

#[test]
fn a_fragment_with_a_smaller_image_names_both_sizes() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = fs::read(common::pydicom_testdata("MR_small_jp2klossless.dcm")).unwrap();
    damage(&mut bytes, &Damage::DeclareLarger);
    fs::write(dir.path().join("small.dcm"), bytes).unwrap();
    let (code, report) = check_json(dir.path(), &["--no-name"]);
    assert_eq!(code, 1);
    let (_, message) = &images_findings(&report)["small.dcm"];
    assert!(
        message.contains("64 x 64") && message.contains("128 x 128"),
        "{message}"
    );
}

#[test]
fn twelve_bit_jpeg_is_a_warning_not_a_failure() {
    let dir = tempfile::tempdir().unwrap();
    copy(dir.path(), "extended.dcm", "JPGExtended.dcm");
    let (_, report) = check_json(dir.path(), &["--no-name"]);
    let (severity, message) = &images_findings(&report)["extended.dcm"];
    assert_eq!(severity, "warn", "{message}");
    assert!(message.contains("12-bit"), "{message}");
}

#[test]
fn a_blank_frame_among_others_is_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = copy(dir.path(), "a.dcm", "CT_small.dcm");
    // CT_small: 128 x 128 x 16 bit native, explicit VR: (7FE0,0010) OW, 2 reserved bytes, 4-byte length.
    let mut blank = bytes.clone();
    let at = bytes
        .windows(6)
        .rposition(|w| w == b"\xE0\x7F\x10\x00OW")
        .unwrap()
        + 12;
    blank[at..at + 32768].fill(0);
    fs::write(dir.path().join("b.dcm"), &blank).unwrap();
    let (_, report) = check_json(dir.path(), &["--no-name"]);
    let found = images_findings(&report);
    let (severity, message) = &found["b.dcm"];
    assert_eq!(severity, "warn", "{message}");
    assert!(message.contains("blank"), "{message}");
    assert!(!found.contains_key("a.dcm"));
}

#[test]
fn quick_skips_the_images_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = fs::read(common::pydicom_testdata("JPEG-LL.dcm")).unwrap();
    damage(
        &mut bytes,
        &Damage::Zero {
            frame: 0,
            marker: SOS,
            n: 64,
        },
    );
    fs::write(dir.path().join("damaged.dcm"), bytes).unwrap();
    let (_, report) = check_json(dir.path(), &["--no-name", "--quick"]);
    assert!(report["images"].is_null(), "{}", report["images"]);
    assert!(images_findings(&report).is_empty());
    assert!(report["studies"][0]["series"][0]["decoded"].is_null());
    let text = common::check(dir.path(), &["--no-name", "--quick"]).stdout;
    assert!(text.contains("Images NOT opened (--quick)"), "{text}");
    let full = common::check(dir.path(), &["--no-name"]).stdout;
    let full = full.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(full.contains("1 file has damaged images"), "{full}");
    assert!(!full.contains("Opened every image"), "{full}");
    assert!(full.contains("damaged.dcm"), "{full}");
}

/// Renders `page` with headless Chromium into a PNG screenshot and returns its RGB pixels.
fn screenshot(page: &Path, png_path: &Path) -> Vec<[u8; 3]> {
    common::chromium(&[
        "--hide-scrollbars",
        &format!("--screenshot={}", png_path.display()),
        "--window-size=900,1000",
        &format!("file://{}", page.display()),
    ]);
    let decoder = png::Decoder::new(std::io::BufReader::new(fs::File::open(png_path).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    let channels = info.color_type.samples();
    buf[..info.buffer_size()]
        .chunks_exact(channels)
        .map(|p| [p[0], p[1], p[2]])
        .collect()
}

#[test]
fn html_report_shows_each_series_middle_image_and_marks_a_damaged_one() {
    let dir = tempfile::tempdir().unwrap();
    copy(dir.path(), "ct.dcm", "CT_small.dcm");
    copy(dir.path(), "us.dcm", "US1_J2KR.dcm");
    let mut bytes = fs::read(common::pydicom_testdata("JPEG-LL.dcm")).unwrap();
    damage(
        &mut bytes,
        &Damage::Zero {
            frame: 0,
            marker: SOS,
            n: 64,
        },
    );
    fs::write(dir.path().join("damaged.dcm"), bytes).unwrap();
    let out = tempfile::tempdir().unwrap();
    let mut pixels = Vec::new();
    for (label, extra) in [("full", None), ("quick", Some("--quick"))] {
        let page = out.path().join(format!("{label}.html"));
        let mut args = vec!["--no-name", "--report", page.to_str().unwrap()];
        args.extend(extra);
        let run = common::check(dir.path(), &args);
        assert_eq!(run.code, 1, "{}", run.stderr);
        let html = fs::read_to_string(&page).unwrap();
        let thumbnails = html.matches("src=\"data:image/png;base64,").count();
        let placeholders = html.matches("damaged image</div>").count();
        if extra.is_none() {
            assert_eq!(
                (thumbnails, placeholders),
                (2, 1),
                "CT and US drawn, the JPEG marked"
            );
        } else {
            assert_eq!((thumbnails, placeholders), (0, 0));
        }
        pixels.push(screenshot(&page, &out.path().join(format!("{label}.png"))));
    }
    // Only the picture column (x 750..850 of the 900-pixel-wide page) is looked at: there, the full report shows
    // the CT and ultrasound pictures (mostly dark) and the placeholder's red border and text; the quick one nothing.
    let column = |p: &[[u8; 3]]| -> Vec<[u8; 3]> {
        p.chunks_exact(900)
            .flat_map(|row| row[750..850].to_vec())
            .collect()
    };
    let dark = |p: &[[u8; 3]]| {
        column(p)
            .iter()
            .filter(|c| c.iter().all(|&v| v < 60))
            .count()
    };
    let red = |p: &[[u8; 3]]| {
        column(p)
            .iter()
            .filter(|c| c[0] > 150 && c[1] < 90 && c[2] < 90)
            .count()
    };
    if let Ok(keep) = std::env::var("DICOMCHECK_KEEP_SCREENSHOT") {
        fs::copy(out.path().join("full.png"), keep).unwrap();
    }
    assert!(
        dark(&pixels[0]) > dark(&pixels[1]) + 3000,
        "{} vs {}",
        dark(&pixels[0]),
        dark(&pixels[1])
    );
    assert!(
        red(&pixels[0]) > red(&pixels[1]) + 200,
        "{} vs {}",
        red(&pixels[0]),
        red(&pixels[1])
    );
}

#[test]
fn on_disc_order_and_parallel_reads_find_the_same() {
    let dir = tempfile::tempdir().unwrap();
    copy(dir.path(), "a.dcm", "CT_small.dcm");
    copy(dir.path(), "b.dcm", "emri_small_jpeg_2k_lossless.dcm");
    let mut bytes = fs::read(common::pydicom_testdata("MR_small_RLE.dcm")).unwrap();
    damage(&mut bytes, &Damage::RleSegmentOutside);
    fs::write(dir.path().join("c.dcm"), bytes).unwrap();
    let (_, optical) = check_json(dir.path(), &["--no-name", "--media", "optical"]);
    let (_, parallel) = check_json(dir.path(), &["--no-name", "--media", "parallel", "-j", "3"]);
    assert_eq!(optical["findings"], parallel["findings"]);
    assert_eq!(optical["images"]["frames_decoded"], 11);
    assert_eq!(parallel["images"]["frames_decoded"], 11);
    assert!(images_findings(&optical).contains_key("c.dcm"));
}

/// A small deterministic generator (xorshift), so the mutants are the same on every run.
struct Mutator(u64);

impl Mutator {
    fn next(&mut self, below: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % below as u64) as usize
    }
}

#[test]
fn mutated_compressed_files_never_end_the_run_and_intact_copies_pass() {
    let sources = [
        "MR_small_RLE.dcm",
        "JPEG-LL.dcm",
        "MR_small_jp2klossless.dcm",
        "MR_small_jpeg_ls_lossless.dcm",
        "SC_rgb_jpeg_dcmtk.dcm",
        "emri_small_jpeg_2k_lossless.dcm",
    ];
    let dir = tempfile::tempdir().unwrap();
    let mut random = Mutator(0x9E37_79B9_7F4A_7C15);
    let mut mutants = 0;
    for source in sources {
        let bytes = copy(dir.path(), &format!("intact_{source}"), source);
        for k in 0..16 {
            let mut mutant = bytes.clone();
            for _ in 0..1 + random.next(8) {
                let at = random.next(mutant.len());
                mutant[at] = random.next(256) as u8;
            }
            fs::write(dir.path().join(format!("mutant{k}_{source}")), mutant).unwrap();
            mutants += 1;
        }
    }
    let run = common::check(dir.path(), &["--json", "--no-name"]);
    assert!(
        run.code == 0 || run.code == 1,
        "exit {}: {}",
        run.code,
        run.stderr
    );
    let report: Value = serde_json::from_str(&run.stdout).expect("one JSON report");
    let found = images_findings(&report);
    for source in sources {
        let intact = format!("intact_{source}");
        assert!(
            !found.contains_key(&intact),
            "{intact}: {:?}",
            found[&intact]
        );
    }
    let opened = report["images"]["files"].as_u64().unwrap() as usize;
    // Mutants whose header broke are the integrity check's; the rest were all opened, the intact copies too.
    assert!(
        opened >= sources.len() + mutants / 2,
        "{opened} of {} opened",
        sources.len() + mutants
    );
    println!(
        "{mutants} mutants: {opened} files opened, {} with an images finding",
        found.len()
    );
}

/// Writes `emri_small_jpeg_2k_lossless.dcm` (10 frames) re-encapsulated with an Extended Offset Table by pydicom
/// (`encapsulate_extended`, one fragment a frame), or by hand with each frame in two fragments (`split`), with
/// the table right, or wrong: an offset inside a fragment, one entry short, a length too long.
const WRITE_EXTENDED: &str = r#"
import sys, struct, warnings
warnings.simplefilter('ignore')
import pydicom
from pydicom.data import get_testdata_file
from pydicom.encaps import generate_frames, encapsulate_extended
out, how = sys.argv[1], sys.argv[2]
ds = pydicom.dcmread(get_testdata_file('emri_small_jpeg_2k_lossless.dcm'))
n = int(ds.NumberOfFrames)
frames = list(generate_frames(ds.PixelData, number_of_frames=n))
if how == 'split':
    items, offsets, lengths, at = [], [], [], 0
    for f in frames:
        f = f + b'\0' * (len(f) % 2)
        h = (len(f) // 4) * 2
        offsets.append(at)
        lengths.append(len(f))
        for part in (f[:h], f[h:]):
            items.append(b'\xfe\xff\x00\xe0' + struct.pack('<I', len(part)) + part)
            at += 8 + len(part)
    data = b'\xfe\xff\x00\xe0\0\0\0\0' + b''.join(items) + b'\xfe\xff\xdd\xe0\0\0\0\0'
    table, table_lengths = struct.pack(f'<{n}Q', *offsets), struct.pack(f'<{n}Q', *lengths)
else:
    data, table, table_lengths = encapsulate_extended(frames)
offsets = list(struct.unpack(f'<{n}Q', table))
lengths = list(struct.unpack(f'<{n}Q', table_lengths))
if how == 'inside':
    offsets[5] += 4
elif how == 'short':
    offsets, lengths = offsets[:-1], lengths[:-1]
elif how == 'long':
    lengths[3] += 100
ds.PixelData = data
ds.ExtendedOffsetTable = struct.pack(f'<{len(offsets)}Q', *offsets)
ds.ExtendedOffsetTableLengths = struct.pack(f'<{len(lengths)}Q', *lengths)
ds.save_as(out, enforce_file_format=True)
"#;

#[test]
fn extended_offset_table_groups_the_frames_and_a_wrong_one_fails() {
    let dir = tempfile::tempdir().unwrap();
    let cases = ["pydicom", "split", "inside", "short", "long"];
    for how in cases {
        let status = std::process::Command::new("python3")
            .args(["-c", WRITE_EXTENDED])
            .arg(dir.path().join(format!("{how}.dcm")))
            .arg(how)
            .status()
            .expect("python3 with pydicom and pydicom-data");
        assert!(status.success(), "{how}");
    }
    let (code, report) = check_json(dir.path(), &["--no-name"]);
    assert_eq!(code, 1, "{report}");
    let found = images_findings(&report);
    for how in ["pydicom", "split"] {
        assert!(!found.contains_key(&format!("{how}.dcm")), "{found:?}");
    }
    for (how, detail) in [
        ("inside", "falls inside a fragment"),
        ("short", "9 offsets and 9 lengths for 10 frames"),
        ("long", "does not fit"),
    ] {
        let (severity, message) = &found[&format!("{how}.dcm")];
        assert_eq!(severity, "fail", "{how}: {message}");
        assert!(
            message.contains("Extended Offset Table is wrong") && message.contains(detail),
            "{how}: {message}"
        );
    }
    // The two right tables' frames all decode, and those of the wrong ones before the error.
    let decoded = report["images"]["frames_decoded"].as_u64().unwrap();
    assert!(decoded >= 20, "{}", report["images"]);
}

/// Native YBR_FULL_422 holds two samples per pixel although it declares three: pydicom's
/// `SC_ybr_full_422_uncompressed.dcm` (and cornerstone's real ultrasound `US-YBR_FULL_422-EVRLE.dcm`) were
/// failed as cut short by the header check, while GDCM and dcmtk read them.
#[test]
fn native_ybr_full_422_is_not_cut_short() {
    let dir = tempfile::tempdir().unwrap();
    copy(dir.path(), "ybr.dcm", "SC_ybr_full_422_uncompressed.dcm");
    let (_, report) = check_json(dir.path(), &["--no-name"]);
    assert!(
        common::findings(&report, "integrity").is_empty(),
        "{}",
        common::problems(&report)
    );
    assert_one_frame_decoded(&report);
}

/// The report of a folder holding one single-frame file: no `images` finding, the one frame decoded.
fn assert_one_frame_decoded(report: &Value) {
    assert!(
        images_findings(report).is_empty(),
        "{}",
        common::problems(report)
    );
    assert_eq!(
        report["images"]["frames_decoded"], 1,
        "{}",
        report["images"]
    );
}

/// A meta group element dicom-rs refuses, as in cornerstone's `CTImage.dcm_*` test files (a Source AE Title of
/// 18 bytes, 16 spaces, a control character and a space), which GDCM and dcmtk read: the header scan accepts the
/// file, and its frames must be decoded, not left as "could not be opened here".
#[test]
fn a_meta_group_dicom_rs_refuses_does_not_stop_decoding() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = fs::read(common::pydicom_testdata("JPEG-LL.dcm")).unwrap();
    let at = bytes
        .windows(6)
        .position(|w| w == b"\x02\x00\x16\x00AE")
        .unwrap();
    let old = usize::from(u16::from_le_bytes([bytes[at + 6], bytes[at + 7]]));
    let value = [&[b' '; 16][..], b"\x13 "].concat();
    let mut out = bytes[..at + 6].to_vec();
    out.extend((value.len() as u16).to_le_bytes());
    out.extend(&value);
    out.extend(&bytes[at + 8 + old..]);
    let group = u32::from_le_bytes(out[140..144].try_into().unwrap()) as usize + value.len() - old;
    out[140..144].copy_from_slice(&(group as u32).to_le_bytes());
    fs::write(dir.path().join("ae.dcm"), out).unwrap();
    let (_, report) = check_json(dir.path(), &["--no-name"]);
    assert_one_frame_decoded(&report);
}

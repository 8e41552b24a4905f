//! Hostile media: mutated real files, resource bombs, injected I/O faults, paths that escape the media,
//! non-UTF-8 names and terminal escapes. The binary runs under `prlimit --as` where memory matters, and every
//! run has a hang guard: a child still running after [`HANG_GUARD`] is killed and the test fails. Unix only: the
//! hostile names, links, FIFOs and `prlimit` are unix things.
#![cfg(unix)]

use std::collections::BTreeSet;
use std::ffi::OsStr;
use std::io::{self, Cursor, Read, Seek, SeekFrom};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use dicomcheck::read_header::{DefectKind, FileDefect, HeaderOutcome, read_both, read_header_from};
use dicomcheck_fixture::{
    DiscSpec, PatientSpec, SeriesSpec, StudySpec, Syntax, sample_disc, write_disc,
};
use serde_json::Value;

#[path = "hostile/round2.rs"]
mod round2;

const BIN: &str = env!("CARGO_BIN_EXE_dicomcheck");
/// A run still going after this long is a hang (the slowest run here takes a few seconds).
const HANG_GUARD: Duration = Duration::from_secs(120);
/// Address-space cap for the binary under the resource bombs.
const AS_CAP: u64 = 1 << 30;
/// Peak resident memory allowed under a bomb.
const RSS_CAP_KB: u64 = 256 << 10;

/// What one run of the binary gave.
struct Run {
    stdout: Vec<u8>,
    stderr: String,
}

impl Run {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not one JSON object ({e}); stderr: {}",
                self.stderr
            )
        })
    }

    /// Peak RSS in KiB, reported by `/usr/bin/time -f`.
    fn peak_rss_kb(&self) -> u64 {
        self.stderr
            .lines()
            .find_map(|l| l.strip_prefix("PEAK_RSS_KB="))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or_else(|| panic!("no peak RSS in stderr: {}", self.stderr))
    }
}

/// Runs `command` with the hang guard; a run ended by a signal or a panic fails the test.
fn run(command: Command) -> Run {
    run_guarded(command, HANG_GUARD)
}

/// [`run`] with another hang guard (for runs whose CPU time `prlimit --cpu` already caps).
fn run_guarded(command: Command, guard: Duration) -> Run {
    let (code, run) = run_any_guarded(command, guard);
    assert!(
        code == 0 || code == 1,
        "exit code {code} (0 pass / 1 fail expected); stderr: {}",
        run.stderr
    );
    run
}

/// Runs `command` with the hang guard and gives its exit code; a run ended by a signal or a panic fails the
/// test.
fn run_any(command: Command) -> (i32, Run) {
    run_any_guarded(command, HANG_GUARD)
}

/// [`run_any`] with another hang guard.
fn run_any_guarded(mut command: Command, guard: Duration) -> (i32, Run) {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut stdout = child.stdout.take().expect("stdout");
    let mut stderr = child.stderr.take().expect("stderr");
    let out = thread::spawn(move || {
        let mut buf = Vec::new();
        stdout.read_to_end(&mut buf).map(|_| buf)
    });
    let err = thread::spawn(move || {
        let mut buf = String::new();
        stderr.read_to_string(&mut buf).map(|_| buf)
    });
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if started.elapsed() > guard {
            let _ = child.kill();
            let _ = child.wait();
            panic!("dicomcheck hung: killed after {guard:?}");
        }
        thread::sleep(Duration::from_millis(20));
    };
    let stdout = out.join().expect("stdout thread").expect("read stdout");
    let stderr = err.join().expect("stderr thread").expect("read stderr");
    let code = status
        .code()
        .unwrap_or_else(|| panic!("dicomcheck killed by a signal: {status:?}; stderr: {stderr}"));
    assert!(!stderr.contains("panicked"), "panic: {stderr}");
    (code, Run { stdout, stderr })
}

/// `dicomcheck <root> --name SMITH^JOHN --json --quick`: these tests are about the header phase (the images
/// phase has its own hostile tests in tests/images*.rs; on thousands of mutants it outlasts the hang guard here).
fn check_json(root: &Path) -> Value {
    let mut command = Command::new(BIN);
    command
        .arg(root)
        .args(["--name", "SMITH^JOHN", "--json", "--quick"]);
    run(command).json()
}

/// The same under `prlimit --as` and `/usr/bin/time`, for the bombs.
fn check_capped(root: &Path) -> (Value, u64) {
    let mut command = Command::new("prlimit");
    command
        .arg(format!("--as={AS_CAP}"))
        .args(["--", "/usr/bin/time", "-f", "PEAK_RSS_KB=%M", BIN])
        .arg(root)
        .args(["--name", "SMITH^JOHN", "--json", "--quick", "--jobs", "2"]);
    let run = run(command);
    let rss = run.peak_rss_kb();
    assert!(rss < RSS_CAP_KB, "peak RSS {rss} KiB over {RSS_CAP_KB} KiB");
    (run.json(), rss)
}

fn findings(report: &Value) -> &[Value] {
    report["findings"].as_array().expect("findings array")
}

/// Every path named by a finding of `check` (all checks when `None`) with severity fail or warn (or any
/// severity when `any_severity`).
fn finding_paths(report: &Value, check: Option<&str>, any_severity: bool) -> Vec<String> {
    findings(report)
        .iter()
        .filter(|f| check.is_none_or(|c| f["check"] == c))
        .filter(|f| any_severity || f["severity"] == "fail" || f["severity"] == "warn")
        .flat_map(|f| f["paths"].as_array().cloned().unwrap_or_default())
        .filter_map(|p| p.as_str().map(str::to_owned))
        .collect()
}

/// True when a finding names `relative` (alone, or followed by a detail in parentheses).
fn names(paths: &[String], relative: &str) -> bool {
    paths
        .iter()
        .any(|p| p == relative || p.starts_with(&format!("{relative} (")))
}

/// A small disc with its own UIDs (seed 7), used as the healthy neighbour of every hostile file.
fn healthy_disc(root: &Path) {
    let spec = DiscSpec::new(PatientSpec::new("SMITH^JOHN"))
        .study(
            StudySpec::new("CT CHEST")
                .date("20260101")
                .series(SeriesSpec::ct(5)),
        )
        .seed(7)
        .dicomdir(false)
        .viewer_files(false);
    write_disc(root, &spec).expect("write healthy disc");
}

/// The healthy series is still reported whole: the scan went on past the hostile files.
fn assert_healthy_series_intact(report: &Value) {
    let series: Vec<&Value> = report["studies"]
        .as_array()
        .expect("studies")
        .iter()
        .filter(|s| s["description"] == "CT CHEST")
        .flat_map(|s| s["series"].as_array().expect("series").iter())
        .collect();
    assert_eq!(series.len(), 1, "healthy series: {series:?}");
    assert_eq!(series[0]["instances"], 5);
}

// ---------------------------------------------------------------------------------------------------------
// Mutation test
// ---------------------------------------------------------------------------------------------------------

/// One element header in an explicit VR little endian file: where it starts, where its length field is.
struct Element {
    start: usize,
    tag: (u16, u16),
    len_at: usize,
    len_size: usize,
    header: usize,
}

/// Element headers of an explicit VR little endian Part 10 file (meta group and data set, nested items
/// included), up to and including Pixel Data.
fn elements(bytes: &[u8]) -> Vec<Element> {
    assert_eq!(&bytes[128..132], b"DICM");
    let u16_at = |p: usize| u16::from_le_bytes([bytes[p], bytes[p + 1]]);
    let mut out = Vec::new();
    let mut p = 132;
    while p + 8 <= bytes.len() {
        let tag = (u16_at(p), u16_at(p + 2));
        if tag.0 == 0xFFFE {
            out.push(Element {
                start: p,
                tag,
                len_at: p + 4,
                len_size: 4,
                header: 8,
            });
            p += 8;
            continue;
        }
        let vr = &bytes[p + 4..p + 6];
        let long = matches!(
            vr,
            b"OB"
                | b"OD"
                | b"OF"
                | b"OL"
                | b"OV"
                | b"OW"
                | b"SQ"
                | b"SV"
                | b"UC"
                | b"UN"
                | b"UR"
                | b"UT"
                | b"UV"
        );
        let (len_at, len_size, header) = if long { (p + 8, 4, 12) } else { (p + 6, 2, 8) };
        let len = if long {
            u32::from_le_bytes(bytes[len_at..len_at + 4].try_into().expect("4 bytes"))
        } else {
            u32::from(u16_at(len_at))
        };
        out.push(Element {
            start: p,
            tag,
            len_at,
            len_size,
            header,
        });
        if tag == (0x7FE0, 0x0010) {
            break;
        }
        p += header;
        if vr != b"SQ" {
            assert_ne!(len, u32::MAX, "undefined length on a non-SQ at {p}");
            p += len as usize;
        }
    }
    out
}

/// One mutated file and whether the reader must see damage in it.
struct Mutant {
    name: String,
    bytes: Vec<u8>,
    must_flag: bool,
}

fn set_len(bytes: &[u8], e: &Element, value: u32) -> Vec<u8> {
    let mut out = bytes.to_vec();
    if e.len_size == 4 {
        out[e.len_at..e.len_at + 4].copy_from_slice(&value.to_le_bytes());
    } else {
        out[e.len_at..e.len_at + 2].copy_from_slice(&(value.min(0xFFFF) as u16).to_le_bytes());
    }
    out
}

fn current_len(bytes: &[u8], e: &Element) -> u32 {
    if e.len_size == 4 {
        u32::from_le_bytes(bytes[e.len_at..e.len_at + 4].try_into().expect("4 bytes"))
    } else {
        u32::from(u16::from_le_bytes([bytes[e.len_at], bytes[e.len_at + 1]]))
    }
}

/// Every mutation of one source file.
fn mutants(label: &str, bytes: &[u8]) -> Vec<Mutant> {
    let elements = elements(bytes);
    let mut out = Vec::new();
    let mut push = |kind: String, at: usize, bytes: Vec<u8>, must_flag: bool| {
        out.push(Mutant {
            name: format!("{label}-{kind}-{at}"),
            bytes,
            must_flag,
        });
    };
    for e in &elements {
        let delimiter = e.tag == (0xFFFE, 0xE00D) || e.tag == (0xFFFE, 0xE0DD);
        // Truncation at the element boundary and inside the element header.
        push(
            format!("cut{:04X}{:04X}", e.tag.0, e.tag.1),
            e.start,
            bytes[..e.start].to_vec(),
            true,
        );
        push(
            format!("cuthead{:04X}{:04X}", e.tag.0, e.tag.1),
            e.start,
            bytes[..e.start + 3].to_vec(),
            true,
        );
        // Length fields: 0, odd, undefined, huge.
        let len = current_len(bytes, e);
        push(
            format!("len0{:04X}{:04X}", e.tag.0, e.tag.1),
            e.start,
            set_len(bytes, e, 0),
            false,
        );
        push(
            format!("lenodd{:04X}{:04X}", e.tag.0, e.tag.1),
            e.start,
            set_len(bytes, e, len | 1),
            false,
        );
        let past_end = |claimed: u32| e.start + e.header + claimed as usize > bytes.len();
        if e.len_size == 4 {
            if len != u32::MAX {
                push(
                    format!("lenundef{:04X}{:04X}", e.tag.0, e.tag.1),
                    e.start,
                    set_len(bytes, e, u32::MAX),
                    !delimiter,
                );
            }
            push(
                format!("lenhuge{:04X}{:04X}", e.tag.0, e.tag.1),
                e.start,
                set_len(bytes, e, 0xF000_0000),
                !delimiter,
            );
        } else {
            push(
                format!("len64k{:04X}{:04X}", e.tag.0, e.tag.1),
                e.start,
                set_len(bytes, e, 0xFFFE),
                past_end(0xFFFE),
            );
        }
    }
    // Bit flips all over the header and into the pixel data.
    for at in (132..bytes.len()).step_by(7) {
        let mut flipped = bytes.to_vec();
        flipped[at] ^= 1 << (at % 8);
        push("flip".to_owned(), at, flipped, false);
    }
    let pixel = elements.last().expect("elements").start;
    // An undefined-length sequence and item, never delimited, swallowing the rest of the file.
    let mut open = bytes[..pixel].to_vec();
    open.extend(sequence_open((0x0029, 0x1010)));
    open.extend(&bytes[pixel..]);
    push("undelimited".to_owned(), pixel, open, true);
    // 10,000 nested undefined-length sequences.
    let mut deep = bytes[..pixel].to_vec();
    for _ in 0..10_000 {
        deep.extend(sequence_open((0x0008, 0x1115)));
    }
    deep.extend(&bytes[pixel..]);
    push("deep".to_owned(), pixel, deep, true);
    out
}

/// Explicit VR little endian header of an undefined-length SQ and of its first undefined-length item.
fn sequence_open(tag: (u16, u16)) -> Vec<u8> {
    let mut out = Vec::with_capacity(20);
    out.extend(tag.0.to_le_bytes());
    out.extend(tag.1.to_le_bytes());
    out.extend(b"SQ\0\0");
    out.extend(u32::MAX.to_le_bytes());
    out.extend([0xFE, 0xFF, 0x00, 0xE0]);
    out.extend(u32::MAX.to_le_bytes());
    out
}

fn read_mem(bytes: &[u8]) -> HeaderOutcome {
    read_header_from(
        Cursor::new(bytes.to_vec()),
        bytes.len() as u64,
        Path::new("IM"),
    )
}

/// Intact: an instance without a defect.
fn intact(outcome: &HeaderOutcome) -> bool {
    matches!(outcome, HeaderOutcome::Instance(r) if r.defect.is_none())
}

/// Source files for the mutation test: real files of the sample disc, plus an enhanced multi-frame file with
/// nested functional-group sequences and an encapsulated (JPEG lossless) file written by the fixture builder.
fn mutation_sources(scratch: &Path) -> Vec<(String, Vec<u8>)> {
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/sample-disc/DICOM");
    let mut sources = vec![
        (
            "ct".to_owned(),
            std::fs::read(sample.join("ST000001/SE000001/IM000001")).expect("sample CT"),
        ),
        (
            "mr".to_owned(),
            std::fs::read(sample.join("ST000002/SE000001/IM000001")).expect("sample MR"),
        ),
    ];
    for (label, series) in [
        (
            "enhanced",
            SeriesSpec::mr(3).multiframe(true).vendor_header(true),
        ),
        (
            "jpeg",
            SeriesSpec::ct(1).transfer_syntax(Syntax::JpegLossless),
        ),
    ] {
        let root = scratch.join(label);
        let disc = write_disc(
            &root,
            &DiscSpec::new(PatientSpec::new("SMITH^JOHN"))
                .study(StudySpec::new(label).series(series))
                .dicomdir(false)
                .viewer_files(false),
        )
        .expect("write source disc");
        let file = &disc.series[0].instances[0].path;
        sources.push((
            label.to_owned(),
            std::fs::read(disc.path(file)).expect("read source"),
        ));
    }
    sources
}

#[test]
fn mutated_real_files_never_panic_and_every_damaged_file_gets_a_finding() {
    let scratch = tempfile::tempdir().expect("tempdir");
    let root = scratch.path().join("disc");
    healthy_disc(&root);
    let mutant_dir = root.join("DICOM/MUTANTS");
    std::fs::create_dir_all(&mutant_dir).expect("mkdir");

    let mut damaged = Vec::new();
    let mut cases = 0;
    for (label, bytes) in mutation_sources(scratch.path()) {
        assert!(intact(&read_mem(&bytes)), "{label} source is not intact");
        for mutant in mutants(&label, &bytes) {
            cases += 1;
            // The fast tokenizer reads every mutant as dicom-rs (the reference) does.
            let outcome = read_both(&mutant.bytes).unwrap_or_else(|d| {
                panic!(
                    "{}: the tokenizers disagree\n fast:      {:?}\n reference: {:?}",
                    mutant.name, d.fast, d.reference
                )
            });
            let flagged = !intact(&outcome);
            assert!(
                flagged || !mutant.must_flag,
                "{} read as intact: {outcome:?}",
                mutant.name
            );
            if flagged {
                damaged.push(mutant.name.clone());
            }
            std::fs::write(
                mutant_dir.join(format!("{}.dcm", mutant.name)),
                &mutant.bytes,
            )
            .expect("write mutant");
        }
    }
    println!(
        "mutation test: {cases} cases, {} read as damaged",
        damaged.len()
    );
    assert!(cases > 2_000, "only {cases} mutation cases");

    // The mutants target the header reader: --quick, since opening 2,000 mutants' images (one worker process
    // each) outlasts the hang guard on a loaded machine; the images phase's isolation is tests/images_isolation.rs.
    let mut command = Command::new(BIN);
    command
        .arg(&root)
        .args(["--name", "SMITH^JOHN", "--json", "--quick"]);
    let report = run(command).json();
    assert_eq!(report["verdict"], "fail");
    assert_eq!(report["counts"]["files"], cases + 5);
    assert_healthy_series_intact(&report);
    let paths = finding_paths(&report, None, false);
    let missing: Vec<_> = damaged
        .iter()
        .filter(|name| !names(&paths, &format!("DICOM/MUTANTS/{name}.dcm")))
        .collect();
    assert!(
        missing.is_empty(),
        "{} damaged files without a finding, e.g. {:?}",
        missing.len(),
        &missing[..missing.len().min(10)]
    );
}

// ---------------------------------------------------------------------------------------------------------
// Resource bombs
// ---------------------------------------------------------------------------------------------------------

/// The sample disc's first MR file: a small, real, explicit VR little endian image.
fn sample_mr() -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures/sample-disc/DICOM/ST000002/SE000001/IM000001"),
    )
    .expect("sample MR")
}

fn pixel_data_at(bytes: &[u8]) -> usize {
    elements(bytes).last().expect("elements").start
}

#[test]
fn bombs_in_the_header_stay_bounded() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    healthy_disc(root);
    let mr = sample_mr();
    let pixel = pixel_data_at(&mr);
    let bombs = root.join("DICOM/BOMBS");
    std::fs::create_dir_all(&bombs).expect("mkdir");

    // An element claiming 4 GB right before the pixel data.
    let mut giga = mr[..pixel].to_vec();
    giga.extend([0x29, 0x00, 0x10, 0x10]);
    giga.extend(b"OB\0\0");
    giga.extend(0xFFFF_FFF0_u32.to_le_bytes());
    giga.extend(&mr[pixel..]);
    std::fs::write(bombs.join("GIGA"), &giga).expect("write");

    // 200,000 nested sequences (3.2 MB of headers).
    let mut nest = mr[..pixel].to_vec();
    for _ in 0..200_000 {
        nest.extend(sequence_open((0x0008, 0x1115)));
    }
    std::fs::write(bombs.join("NEST"), &nest).expect("write");

    // A real header followed by a 5 GB hole (zeros where the pixel data should be), and 5 GB of zeros.
    let sparse_header = &mr[..pixel];
    let sparse = std::fs::File::create(bombs.join("SPARSE")).expect("create");
    io::Write::write_all(&mut &sparse, sparse_header).expect("write");
    sparse.set_len(5 << 30).expect("5 GB sparse file");
    std::fs::File::create(bombs.join("ZEROS"))
        .and_then(|f| f.set_len(5 << 30))
        .expect("5 GB sparse file");

    let (report, rss) = check_capped(root);
    println!(
        "header bombs (4 GB element, 200,000-deep nesting, two 5 GB sparse files): peak RSS {rss} KiB"
    );
    assert_healthy_series_intact(&report);
    let paths = finding_paths(&report, Some("integrity"), false);
    for name in ["GIGA", "NEST", "SPARSE", "ZEROS"] {
        assert!(
            names(&paths, &format!("DICOM/BOMBS/{name}")),
            "no integrity finding for {name}: {paths:?}"
        );
    }
    let detail = |name: &str| {
        paths
            .iter()
            .find(|p| p.starts_with(&format!("DICOM/BOMBS/{name} (")))
            .cloned()
            .unwrap_or_default()
    };
    assert!(detail("GIGA").contains("4294967280"), "{}", detail("GIGA"));
    assert!(
        detail("NEST").contains("nested deeper"),
        "{}",
        detail("NEST")
    );
    assert_eq!(
        report["counts"]["bytes"].as_u64().map(|b| b > 10 << 30),
        Some(true)
    );
}

#[test]
fn deep_trees_links_loops_and_special_files_are_never_followed_or_opened() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("disc");
    healthy_disc(&root);
    let outside = dir.path().join("outside");
    std::fs::create_dir_all(&outside).expect("mkdir");

    // A 1,000-level deep tree with an image at the bottom.
    let mut deep = root.join("DEEP");
    for _ in 0..1_000 {
        deep.push("d");
    }
    std::fs::create_dir_all(&deep).expect("deep tree");
    std::fs::write(deep.join("IM000001"), sample_mr()).expect("write");

    // Symbolic link loops, and links to a FIFO outside the media (opening it would block forever).
    let fifo_outside = outside.join("fifo");
    mkfifo(&fifo_outside);
    let links = root.join("DICOM/LINKS");
    std::fs::create_dir_all(&links).expect("mkdir");
    std::os::unix::fs::symlink("..", links.join("LOOP")).expect("symlink");
    std::os::unix::fs::symlink("B", links.join("A")).expect("symlink");
    std::os::unix::fs::symlink("A", links.join("B")).expect("symlink");
    std::os::unix::fs::symlink(&fifo_outside, links.join("IM000001")).expect("symlink");

    // A FIFO, a socket and (when allowed) a device node named like images.
    let special = root.join("DICOM/SPECIAL");
    std::fs::create_dir_all(&special).expect("mkdir");
    mkfifo(&special.join("IM000001"));
    mkfifo(&special.join("IMAGE.dcm"));
    let _socket = std::os::unix::net::UnixListener::bind(special.join("IM000002")).expect("socket");
    let device = Command::new("mknod")
        .arg(special.join("IM000003"))
        .args(["c", "1", "3"])
        .status()
        .is_ok_and(|s| s.success());

    let (report, rss) = check_capped(&root);
    println!(
        "deep tree, link loops, FIFOs, socket{}: peak RSS {rss} KiB",
        if device {
            ", device node"
        } else {
            " (mknod not permitted here)"
        }
    );
    assert_healthy_series_intact(&report);
    assert_eq!(
        report["counts"]["dicom_files"], 6,
        "the image 1,000 levels down is read"
    );
    assert!(
        report["studies"]
            .as_array()
            .is_some_and(|s| s.iter().any(|s| s["description"] == "MR HEAD")),
        "the image 1,000 levels down is catalogued"
    );
    let all = finding_paths(&report, Some("integrity"), true);
    for link in ["LOOP", "A", "B", "IM000001"] {
        assert!(
            names(&all, &format!("DICOM/LINKS/{link}")),
            "link {link} not reported: {all:?}"
        );
    }
    let special_paths = finding_paths(&report, Some("integrity"), false);
    let mut expected = vec!["IM000001", "IMAGE.dcm", "IM000002"];
    if device {
        expected.push("IM000003");
    }
    for name in expected {
        assert!(
            names(&special_paths, &format!("DICOM/SPECIAL/{name}")),
            "special file {name} not reported: {special_paths:?}"
        );
    }
}

fn mkfifo(path: &Path) {
    let status = Command::new("mkfifo").arg(path).status().expect("mkfifo");
    assert!(status.success(), "mkfifo {}", path.display());
}

/// 100,000 tiny files in 100 folders: runs for tens of seconds in a debug build, so it is ignored by default.
#[test]
#[ignore = "100,000 files: about a minute in a debug build; run with --ignored"]
fn one_hundred_thousand_tiny_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    healthy_disc(root);
    for folder in 0..100 {
        let folder = root.join(format!("DICOM/TINY/F{folder:03}"));
        std::fs::create_dir_all(&folder).expect("mkdir");
        for file in 0..1_000 {
            std::fs::write(folder.join(format!("IM{file:06}")), [b'x'; 3]).expect("write");
        }
    }
    let (report, rss) = check_capped(root);
    println!("100,000 tiny files: peak RSS {rss} KiB");
    assert_eq!(report["counts"]["files"], 100_005);
    // Junk under a DICOM folder counts as unreadable images, not as other files.
    assert_eq!(report["counts"]["non_dicom_files"], 0);
    assert_eq!(report["counts"]["unreadable_files"], 100_000);
    assert_healthy_series_intact(&report);
    let junk = findings(&report)
        .iter()
        .find(|f| {
            f["check"] == "integrity"
                && f["message"]
                    .as_str()
                    .is_some_and(|m| m.contains("not DICOM"))
        })
        .expect("junk finding");
    assert_eq!(junk["paths"].as_array().map(Vec::len), Some(100_000));
}

// ---------------------------------------------------------------------------------------------------------
// Faults through the reader seam
// ---------------------------------------------------------------------------------------------------------

/// How [`Faulty`] misbehaves.
#[derive(Clone, Copy, Debug)]
enum Fault {
    /// EIO once the read reaches this offset.
    EioAt(u64),
    /// Every read returns at most this many bytes.
    Short(usize),
    /// Every other read is interrupted (EINTR) before it returns anything.
    Interrupted,
}

/// A reader over bytes that injects one kind of fault.
struct Faulty {
    inner: Cursor<Vec<u8>>,
    fault: Fault,
    calls: u64,
}

impl Read for Faulty {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.calls += 1;
        let pos = self.inner.position();
        let limit = match self.fault {
            Fault::EioAt(at) if pos >= at => return Err(io::Error::from_raw_os_error(5)),
            Fault::EioAt(at) => (at - pos) as usize,
            Fault::Short(n) => n,
            Fault::Interrupted if self.calls % 2 == 1 => {
                return Err(io::Error::from(io::ErrorKind::Interrupted));
            }
            Fault::Interrupted => buf.len(),
        };
        let n = buf.len().min(limit);
        self.inner.read(&mut buf[..n])
    }
}

impl Seek for Faulty {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        self.inner.seek(pos)
    }
}

fn read_faulty(bytes: &[u8], fault: Fault) -> HeaderOutcome {
    let source = Faulty {
        inner: Cursor::new(bytes.to_vec()),
        fault,
        calls: 0,
    };
    read_header_from(source, bytes.len() as u64, Path::new("IM"))
}

fn defect_of(outcome: &HeaderOutcome) -> Option<&FileDefect> {
    match outcome {
        HeaderOutcome::Instance(r) => r.defect.as_deref(),
        HeaderOutcome::Unreadable(d) => Some(d),
        HeaderOutcome::NotDicom(_) => None,
    }
}

#[test]
fn eio_at_every_header_offset_is_an_io_defect_with_the_os_error() {
    let eio = io::Error::from_raw_os_error(5).to_string();
    let mut cases = 0;
    for bytes in [sample_mr(), deep_sources_file()] {
        let clean = read_mem(&bytes);
        let HeaderOutcome::Instance(record) = &clean else {
            panic!("source not an instance");
        };
        let needed = record.header_bytes;
        for at in 0..needed {
            cases += 1;
            let outcome = read_faulty(&bytes, Fault::EioAt(at));
            let defect = defect_of(&outcome)
                .unwrap_or_else(|| panic!("EIO at {at} of {needed} not reported: {outcome:?}"));
            assert_eq!(defect.kind, DefectKind::Io, "EIO at {at}: {defect:?}");
            assert!(
                defect.detail.contains(&eio),
                "EIO at {at}: {}",
                defect.detail
            );
        }
        let past = read_faulty(&bytes, Fault::EioAt(bytes.len() as u64));
        assert_eq!(format!("{past:?}"), format!("{clean:?}"));
    }
    println!("EIO injected at {cases} offsets");
}

/// The enhanced multi-frame fixture (nested sequences), for the fault tests.
fn deep_sources_file() -> Vec<u8> {
    let dir = tempfile::tempdir().expect("tempdir");
    let sources = mutation_sources(dir.path());
    sources
        .into_iter()
        .find(|(label, _)| label == "enhanced")
        .map(|(_, bytes)| bytes)
        .expect("enhanced source")
}

#[test]
fn short_and_interrupted_reads_give_the_same_record() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (label, bytes) in mutation_sources(dir.path()) {
        let clean = format!("{:?}", read_mem(&bytes));
        for fault in [
            Fault::Short(1),
            Fault::Short(3),
            Fault::Short(7),
            Fault::Interrupted,
        ] {
            let faulty = format!("{:?}", read_faulty(&bytes, fault));
            assert_eq!(faulty, clean, "{label} with {fault:?}");
        }
    }
}

// ---------------------------------------------------------------------------------------------------------
// Paths: DICOMDIR references outside the media, non-UTF-8 names
// ---------------------------------------------------------------------------------------------------------

/// Replaces the `index`-th ReferencedFileID value (same length, padded with spaces) in a DICOMDIR.
fn patch_file_id(dicomdir: &mut [u8], index: usize, new: &str) -> String {
    let tag = [0x04, 0x00, 0x00, 0x15];
    let at = dicomdir
        .windows(4)
        .enumerate()
        .filter(|(_, w)| *w == tag)
        .map(|(i, _)| i)
        .nth(index)
        .expect("ReferencedFileID");
    assert_eq!(&dicomdir[at + 4..at + 6], b"CS");
    let len = usize::from(u16::from_le_bytes([dicomdir[at + 6], dicomdir[at + 7]]));
    let value = &mut dicomdir[at + 8..at + 8 + len];
    let old = String::from_utf8_lossy(value).trim_end().to_owned();
    assert!(new.len() <= len, "{new} longer than {old}");
    value.fill(b' ');
    value[..new.len()].copy_from_slice(new.as_bytes());
    old.replace('\\', "/")
}

#[test]
fn dicomdir_references_outside_the_media_are_never_opened() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("disc");
    let disc = write_disc(&root, &sample_disc()).expect("sample disc");
    // Every escape target is a FIFO: opening one would block the scan forever.
    let outside = dir.path().join("x");
    mkfifo(&outside);
    let dicomdir_path = disc.path(disc.dicomdir.as_deref().expect("dicomdir"));
    let mut dicomdir = std::fs::read(&dicomdir_path).expect("read DICOMDIR");
    patch_file_id(&mut dicomdir, 0, "..\\x");
    patch_file_id(&mut dicomdir, 1, "DICOM\\..\\..\\x");
    let absolute = outside.to_str().expect("utf-8 temp path");
    patch_file_id(&mut dicomdir, 2, absolute);
    std::fs::write(&dicomdir_path, &dicomdir).expect("write DICOMDIR");
    // A listed file replaced by a symlink to the FIFO outside.
    let linked = patch_file_id(&mut dicomdir.clone(), 3, "");
    let linked_path = root.join(&linked);
    std::fs::remove_file(&linked_path).expect("remove");
    std::os::unix::fs::symlink(&outside, &linked_path).expect("symlink");

    let report = check_json(&root);
    assert_eq!(report["verdict"], "fail");
    let outside_finding = findings(&report)
        .iter()
        .find(|f| {
            f["check"] == "dicomdir"
                && f["severity"] == "fail"
                && f["message"].as_str().is_some_and(|m| m.contains("outside"))
        })
        .expect("a dicomdir failure for paths outside the disc");
    assert_eq!(
        outside_finding["paths"].as_array().map(Vec::len),
        Some(3),
        "{outside_finding}"
    );
    let dicomdir_fails = findings(&report)
        .iter()
        .filter(|f| f["check"] == "dicomdir" && f["severity"] == "fail")
        .flat_map(|f| f["paths"].as_array().cloned().unwrap_or_default())
        .filter_map(|p| p.as_str().map(str::to_owned))
        .collect::<Vec<_>>();
    assert!(
        names(&dicomdir_fails, &linked),
        "symlinked listed file {linked} not a dicomdir failure: {dicomdir_fails:?}"
    );
}

#[test]
fn non_utf8_file_names_are_scanned_and_shown_lossily() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    healthy_disc(root);
    let odd = root.join("DICOM/ODD");
    std::fs::create_dir_all(&odd).expect("mkdir");
    let name = |raw: &[u8]| odd.join(OsStr::from_bytes(raw));
    std::fs::write(name(b"IM\xff\xfe.dcm"), b"not an image at all").expect("write");
    std::fs::write(name(b"\xc0\xafMR"), sample_mr()).expect("write");
    let mut cut = sample_mr();
    cut.truncate(cut.len() - 7);
    std::fs::write(name(b"CUT\x80"), &cut).expect("write");

    let report = check_json(root);
    assert_eq!(report["counts"]["files"], 8);
    // Five healthy images and the MR with a non-UTF-8 name; the cut one is an unreadable image.
    assert_eq!(report["counts"]["dicom_files"], 6);
    assert_healthy_series_intact(&report);
    let paths = finding_paths(&report, Some("integrity"), false);
    assert!(
        names(&paths, "DICOM/ODD/IM\u{FFFD}\u{FFFD}.dcm"),
        "{paths:?}"
    );
    assert!(names(&paths, "DICOM/ODD/CUT\u{FFFD}"), "{paths:?}");

    let mut command = Command::new(BIN);
    command.arg(root).args(["--name", "SMITH^JOHN"]);
    let human = run(command);
    let text = String::from_utf8(human.stdout).expect("human summary is UTF-8");
    assert!(text.contains("CUT\u{FFFD}"), "{text}");
}

// ---------------------------------------------------------------------------------------------------------
// Terminal safety
// ---------------------------------------------------------------------------------------------------------

/// Control characters a terminal acts on: C0 except newline and tab, DEL, and C1.
fn control_chars(text: &str) -> BTreeSet<char> {
    text.chars()
        .filter(|&c| {
            (c.is_control() && c != '\n' && c != '\t') || ('\u{80}'..='\u{9f}').contains(&c)
        })
        .collect()
}

#[test]
fn escape_sequences_in_dicom_strings_never_reach_the_terminal_raw() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    let hostile_name = b"SMITH\x1b[2J\x1b]0;pwned\x07^JOHN\r\x08\x9b31m";
    let spec = DiscSpec::new(
        PatientSpec::new("SMITH^JOHN")
            .raw_name(hostile_name)
            .charset("ISO_IR 100"),
    )
    .study(
        StudySpec::new("CT\x1b[31m RED\x1b[0m\x07")
            .date("20260101")
            .series(SeriesSpec::ct(3).description("AX\x1b[1A\x1b[K\r\u{9b}2J")),
    )
    .dicomdir(false)
    .viewer_files(false);
    write_disc(root, &spec).expect("write disc");
    std::fs::write(root.join("DICOM/IM\x1b[31m.dcm"), b"junk").expect("write");

    let mut human = Command::new(BIN);
    human
        .arg(root)
        .args(["--name", "SMITH^JOHN"])
        .env("NO_COLOR", "1");
    let human = run(human);
    let text = String::from_utf8(human.stdout).expect("UTF-8 summary");
    assert!(text.contains("SMITH"), "{text}");
    assert_eq!(control_chars(&text), BTreeSet::new(), "{text:?}");
    assert_eq!(
        control_chars(&human.stderr),
        BTreeSet::new(),
        "{:?}",
        human.stderr
    );

    let mut json = Command::new(BIN);
    json.arg(root).args(["--name", "SMITH^JOHN", "--json"]);
    let json = run(json);
    assert!(
        json.stdout.iter().all(|&b| b >= 0x20 || b == b'\n'),
        "raw control bytes in the JSON"
    );
    let report = json.json();
    let name = report["patients"][0]["name"].as_str().expect("name");
    assert!(name.starts_with("SMITH"), "{name:?}");
    assert_eq!(control_chars(name), BTreeSet::new(), "{name:?}");
}

// ---------------------------------------------------------------------------------------------------------
// Identity bombs: many distinct patients (issue 19). The CPU-time cap of `prlimit` is the only clock: a
// quadratic grouping or lookup would blow through it at the 10x size.
// ---------------------------------------------------------------------------------------------------------

/// CPU seconds allowed for one run of the identity bombs (the linear code needs a few; the quadratic one took
/// about a minute for 1,000 patients and would take well over an hour at 10,000).
const CPU_CAP_SECONDS: u64 = 60;

/// Runs the binary with `--name SMITH^JOHN --json` under CPU-time and address-space caps; prints the wall time
/// for the record (no assertion on it).
fn check_cpu_capped(root: &Path, label: &str) -> Value {
    let mut command = Command::new("prlimit");
    command
        .arg(format!("--cpu={CPU_CAP_SECONDS}"))
        .arg(format!("--as={AS_CAP}"))
        .arg("--")
        .arg(BIN)
        .arg(root)
        .args(["--name", "SMITH^JOHN", "--json", "--jobs", "2"]);
    let started = Instant::now();
    // The CPU cap is the clock; the wall-clock guard only catches a run that blocks (a loaded CI machine
    // stretches wall time several-fold).
    let report = run_guarded(command, 5 * HANG_GUARD).json();
    println!("{label}: {:.2} s", started.elapsed().as_secs_f64());
    report
}

/// Letters-only, fixed-width tag for index `i` (`AAAAA`, `AAAAB`, ...).
fn letters(mut i: usize, width: usize) -> String {
    let mut out = vec![b'A'; width];
    for slot in out.iter_mut().rev() {
        *slot = b'A' + (i % 26) as u8;
        i /= 26;
    }
    String::from_utf8(out).expect("ascii")
}

/// A tree of `n` copies of one small image, each with its own patient (surname and ID; same given name, so
/// every name shares a word).
fn distinct_patients_tree(root: &Path, n: usize) {
    let spec = DiscSpec::new(PatientSpec::new("SMITH^JOHN").id("ID000000"))
        .dicomdir(false)
        .study(StudySpec::new("CT").series(SeriesSpec::ct(1).size(4, 4)));
    let scratch = tempfile::tempdir().expect("tempdir");
    let written = write_disc(scratch.path(), &spec).expect("write");
    let template =
        std::fs::read(written.path(&written.series[0].instances[0].path)).expect("template");
    let name_at = template
        .windows(10)
        .position(|w| w == b"SMITH^JOHN")
        .expect("name");
    let id_at = template
        .windows(8)
        .position(|w| w == b"ID000000")
        .expect("id");
    let folder = root.join("DICOM");
    std::fs::create_dir_all(&folder).expect("mkdir");
    for i in 0..n {
        let mut bytes = template.clone();
        bytes[name_at..name_at + 10].copy_from_slice(format!("{}^JOHN", letters(i, 5)).as_bytes());
        bytes[id_at..id_at + 8].copy_from_slice(format!("ID{i:06}").as_bytes());
        std::fs::write(folder.join(format!("IM{i:06}")), bytes).expect("write");
    }
}

#[test]
fn patient_grouping_of_many_distinct_patients_stays_near_linear() {
    for n in [200, 2_000] {
        let dir = tempfile::tempdir().expect("tempdir");
        distinct_patients_tree(dir.path(), n);
        let report = check_cpu_capped(dir.path(), &format!("{n} distinct patients"));
        assert_eq!(report["patients"].as_array().map(Vec::len), Some(n));
        let several = findings(&report)
            .iter()
            .find(|f| f["check"] == "patient" && f["severity"] == "fail")
            .expect("several people");
        let message = several["message"].as_str().unwrap_or_default();
        assert!(
            message.contains(&format!("{n} different people")),
            "{message:.300}"
        );
        assert!(
            message.len() < 10_000,
            "the list of people is capped: {} bytes",
            message.len()
        );
    }
}

/// One explicit-VR little-endian element.
fn element(group: u16, elem: u16, vr: &[u8; 2], value: &[u8]) -> Vec<u8> {
    let mut value = value.to_vec();
    if value.len() % 2 == 1 {
        value.push(if vr == b"UI" { 0 } else { b' ' });
    }
    let mut out = Vec::with_capacity(12 + value.len());
    out.extend(group.to_le_bytes());
    out.extend(elem.to_le_bytes());
    out.extend(vr);
    if matches!(vr, b"OB" | b"SQ" | b"UN") {
        out.extend([0, 0]);
        out.extend(u32::try_from(value.len()).expect("len").to_le_bytes());
    } else {
        out.extend(u16::try_from(value.len()).expect("len").to_le_bytes());
    }
    out.extend(value);
    out
}

/// A DICOMDIR with `n` PATIENT records, each naming its own person and listing `IM1` under it (offsets zero,
/// so the records are taken in file order).
fn dicomdir_of_many_patients(n: usize) -> Vec<u8> {
    let mut meta = Vec::new();
    meta.extend(element(0x0002, 0x0001, b"OB", &[0, 1]));
    meta.extend(element(0x0002, 0x0002, b"UI", b"1.2.840.10008.1.3.10"));
    meta.extend(element(0x0002, 0x0003, b"UI", b"2.25.1"));
    meta.extend(element(0x0002, 0x0010, b"UI", b"1.2.840.10008.1.2.1"));
    let mut out = vec![0u8; 128];
    out.extend(b"DICM");
    out.extend(element(
        0x0002,
        0x0000,
        b"UL",
        &u32::try_from(meta.len()).expect("len").to_le_bytes(),
    ));
    out.extend(meta);
    out.extend(element(0x0004, 0x1200, b"UL", &0u32.to_le_bytes()));
    // (0004,1220) SQ, undefined length.
    out.extend([
        0x04, 0x00, 0x20, 0x12, b'S', b'Q', 0, 0, 0xFF, 0xFF, 0xFF, 0xFF,
    ]);
    let item = |body: Vec<u8>| {
        let mut item = vec![0xFE, 0xFF, 0x00, 0xE0];
        item.extend(u32::try_from(body.len()).expect("len").to_le_bytes());
        item.extend(body);
        item
    };
    for i in 0..n {
        let mut patient = element(0x0004, 0x1430, b"CS", b"PATIENT");
        patient.extend(element(
            0x0010,
            0x0010,
            b"PN",
            format!("{}^JOHN", letters(i, 5)).as_bytes(),
        ));
        patient.extend(element(
            0x0010,
            0x0020,
            b"LO",
            format!("ID{i:06}").as_bytes(),
        ));
        out.extend(item(patient));
        let mut image = element(0x0004, 0x1430, b"CS", b"IMAGE");
        image.extend(element(0x0004, 0x1500, b"CS", b"IM1"));
        out.extend(item(image));
    }
    out.extend([0xFE, 0xFF, 0xDD, 0xE0, 0, 0, 0, 0]);
    out
}

#[test]
fn a_dicomdir_of_many_patients_stays_near_linear() {
    for n in [2_000, 20_000] {
        let dir = tempfile::tempdir().expect("tempdir");
        let spec = DiscSpec::new(PatientSpec::new("SMITH^JOHN"))
            .dicomdir(false)
            .study(StudySpec::new("CT").series(SeriesSpec::ct(1).size(4, 4)));
        let scratch = tempfile::tempdir().expect("tempdir");
        let written = write_disc(scratch.path(), &spec).expect("write");
        std::fs::copy(
            written.path(&written.series[0].instances[0].path),
            dir.path().join("IM1"),
        )
        .expect("copy");
        std::fs::write(dir.path().join("DICOMDIR"), dicomdir_of_many_patients(n)).expect("write");
        let report = check_cpu_capped(dir.path(), &format!("DICOMDIR with {n} patients"));
        // Every PATIENT record names a person: the images' SMITH^JOHN and n others.
        assert_eq!(report["patients"].as_array().map(Vec::len), Some(n + 1));
        let renamed = findings(&report)
            .iter()
            .filter(|f| {
                f["check"] == "dicomdir"
                    && f["message"]
                        .as_str()
                        .is_some_and(|m| m.contains("but the images say"))
            })
            .count();
        assert!((1..=20).contains(&renamed), "{renamed} renamed warnings");
    }
}

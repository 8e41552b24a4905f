//! Hostile media, second round: damaged disc images, directory-record and decompression bombs, pipes and links
//! where files were, escapes on stderr, and writes that a planted link would send onto the media. Every run goes
//! through the binary under `prlimit` (address space and CPU time) with the hang guard.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use super::{BIN, Run, control_chars, findings, mkfifo, run_any};
use serde_json::Value;

/// Address space for every run here.
const AS_CAP: u64 = 1 << 30;
/// CPU seconds for every run here: the time limit (a debug build of the slowest case needs a few).
const CPU_CAP_S: u64 = 60;
/// Peak resident memory allowed.
const RSS_CAP_KB: u64 = 256 << 10;

/// Runs the binary with `args` under the memory and CPU limits; gives the exit code and the output.
fn capped(args: &[&std::ffi::OsStr]) -> (i32, Run) {
    let mut command = Command::new("prlimit");
    command
        .arg(format!("--as={AS_CAP}"))
        .arg(format!("--cpu={CPU_CAP_S}"))
        .args(["--", "/usr/bin/time", "-f", "PEAK_RSS_KB=%M", BIN])
        .args(args)
        .env("NO_COLOR", "1");
    let (code, run) = run_any(command);
    let rss = run.peak_rss_kb();
    assert!(rss < RSS_CAP_KB, "peak RSS {rss} KiB over {RSS_CAP_KB} KiB");
    (code, run)
}

/// `dicomcheck PATH --name SMITH^JOHN --json` under the limits.
fn check(path: &Path) -> (i32, Value, Run) {
    let (code, run) = capped(&[
        path.as_os_str(),
        "--name".as_ref(),
        "SMITH^JOHN".as_ref(),
        "--json".as_ref(),
    ]);
    assert!(code == 0 || code == 1, "exit {code}: {}", run.stderr);
    (code, run.json(), run)
}

fn sample_disc_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/sample-disc")
}

/// The findings of `check` whose message contains `words`.
fn findings_saying<'a>(report: &'a Value, words: &str) -> Vec<&'a Value> {
    findings(report)
        .iter()
        .filter(|f| f["message"].as_str().is_some_and(|m| m.contains(words)))
        .collect()
}

fn paths_of(finding: &Value) -> Vec<String> {
    finding["paths"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|p| p.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// Every regular file under `dir`, relative, with its bytes.
fn tree(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(at) = stack.pop() {
        for entry in fs::read_dir(&at).expect("read_dir") {
            let path = entry.expect("entry").path();
            let meta = fs::symlink_metadata(&path).expect("stat");
            if meta.is_dir() {
                stack.push(path);
            } else {
                let bytes = if meta.is_file() {
                    fs::read(&path).expect("read")
                } else {
                    Vec::new()
                };
                out.push((path.strip_prefix(dir).expect("inside").to_path_buf(), bytes));
            }
        }
    }
    out.sort();
    out
}

// ---------------------------------------------------------------------------------------------------------
// Hand-built ISO 9660 images
// ---------------------------------------------------------------------------------------------------------

const SECTOR: usize = 2048;
/// The root folder's first block in [`iso`].
const ROOT_BLOCK: u32 = 18;

/// One ISO 9660 directory record.
fn dir_record(name: &[u8], block: u32, length: u32, flags: u8) -> Vec<u8> {
    let mut r = vec![0u8; 33];
    r[2..6].copy_from_slice(&block.to_le_bytes());
    r[6..10].copy_from_slice(&block.to_be_bytes());
    r[10..14].copy_from_slice(&length.to_le_bytes());
    r[14..18].copy_from_slice(&length.to_be_bytes());
    r[25] = flags;
    r[28] = 1;
    r[32] = name.len() as u8;
    r.extend_from_slice(name);
    if r.len() % 2 == 1 {
        r.push(0);
    }
    r[0] = r.len() as u8;
    r
}

/// An image whose primary volume descriptor declares `volume_blocks`, with a root folder at [`ROOT_BLOCK`]
/// holding `records` (after `.` and `..`) over `root_blocks` blocks, and `data` written at its blocks.
fn iso(
    volume_blocks: u32,
    root_blocks: u32,
    records: &[Vec<u8>],
    data: &[(u32, &[u8])],
) -> Vec<u8> {
    let root_len = root_blocks * SECTOR as u32;
    let mut folder = Vec::new();
    for record in [
        dir_record(&[0], ROOT_BLOCK, root_len, 2),
        dir_record(&[1], ROOT_BLOCK, root_len, 2),
    ]
    .iter()
    .chain(records)
    {
        let room = SECTOR - folder.len() % SECTOR;
        if record.len() > room {
            folder.resize(folder.len() + room, 0);
        }
        folder.extend_from_slice(record);
    }
    assert!(
        folder.len() <= root_len as usize,
        "root folder overflows its blocks"
    );
    let mut image = vec![0u8; (ROOT_BLOCK as usize + root_blocks as usize) * SECTOR];
    let pvd = &mut image[16 * SECTOR..17 * SECTOR];
    pvd[0] = 1;
    pvd[1..6].copy_from_slice(b"CD001");
    pvd[6] = 1;
    pvd[80..84].copy_from_slice(&volume_blocks.to_le_bytes());
    pvd[84..88].copy_from_slice(&volume_blocks.to_be_bytes());
    pvd[128..130].copy_from_slice(&2048u16.to_le_bytes());
    pvd[130..132].copy_from_slice(&2048u16.to_be_bytes());
    let root = dir_record(&[0], ROOT_BLOCK, root_len, 2);
    pvd[156..156 + 34].copy_from_slice(&root[..34]);
    let end = &mut image[17 * SECTOR..18 * SECTOR];
    end[0] = 255;
    end[1..6].copy_from_slice(b"CD001");
    end[6] = 1;
    let at = ROOT_BLOCK as usize * SECTOR;
    image[at..at + folder.len()].copy_from_slice(&folder);
    for (block, bytes) in data {
        let start = *block as usize * SECTOR;
        if image.len() < start + bytes.len() {
            image.resize((start + bytes.len()).div_ceil(SECTOR) * SECTOR, 0);
        }
        image[start..start + bytes.len()].copy_from_slice(bytes);
    }
    image
}

/// Builds `iso` from the sample disc with genisoimage; `None` when it is not installed.
fn sample_disc_iso(iso: &Path) -> Option<Vec<u8>> {
    let status = Command::new("genisoimage")
        .args(["-quiet", "-J", "-R", "-o"])
        .arg(iso)
        .arg(sample_disc_dir())
        .status();
    match status {
        Ok(s) if s.success() => Some(fs::read(iso).expect("read image")),
        _ => {
            eprintln!("genisoimage not installed (scripts/test.sh installs it); ISO case skipped");
            None
        }
    }
}

// ---------------------------------------------------------------------------------------------------------
// Damaged disc images
// ---------------------------------------------------------------------------------------------------------

#[test]
fn a_disc_image_cut_short_fails_once_as_incomplete_and_its_copy_holds_only_whole_files() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let full_path = tmp.path().join("full.iso");
    let Some(full) = sample_disc_iso(&full_path) else {
        return;
    };
    let (_, full_report, _) = check(&full_path);
    assert_eq!(full_report["verdict"], "pass", "the whole image passes");
    for percent in [40, 60, 80, 97] {
        let cut_path = tmp.path().join(format!("cut{percent}.iso"));
        fs::write(&cut_path, &full[..full.len() * percent / 100]).expect("write");
        let (code, report, _) = check(&cut_path);
        assert_eq!(
            (code, report["verdict"].as_str()),
            (1, Some("fail")),
            "cut at {percent}%"
        );
        let incomplete = findings_saying(&report, "incomplete: it was cut short");
        assert_eq!(
            incomplete.len(),
            1,
            "one incomplete finding at {percent}%: {report:#}"
        );
        assert_eq!(incomplete[0]["severity"], "fail");
        let named = paths_of(incomplete[0]);
        assert!(
            named
                .iter()
                .any(|p| p.starts_with(&format!("cut{percent}.iso ("))),
            "the image itself is named: {named:?}"
        );
        for wrong in [
            "not DICOM images at all",
            "not a DICOM image at all",
            "empty (zero bytes)",
        ] {
            assert!(
                findings_saying(&report, wrong).is_empty(),
                "files past the cut called {wrong:?} at {percent}%"
            );
        }
        // No image cut inside its pixel data is read as whole: every file read is byte for byte the original.
        let copy = tmp.path().join(format!("copy{percent}"));
        let (code, run) = capped(&[
            cut_path.as_os_str(),
            "--name".as_ref(),
            "SMITH^JOHN".as_ref(),
            "--copy-to".as_ref(),
            copy.as_os_str(),
        ]);
        assert_eq!(code, 1, "{}", run.stderr);
        assert!(run.stderr.contains("Not copied"), "{}", run.stderr);
        let copied: Vec<_> = tree(&copy)
            .into_iter()
            .filter(|(p, _)| {
                let p = p.to_string_lossy();
                !p.starts_with("MANIFEST.sha256") && !p.starts_with("dicomcheck-report")
            })
            .collect();
        assert!(!copied.is_empty() || percent <= 40);
        for (relative, bytes) in &copied {
            let original = fs::read(sample_disc_dir().join(relative)).expect("original");
            assert_eq!(
                bytes,
                &original,
                "{} is not whole in the copy",
                relative.display()
            );
        }
        let (code, verify) = capped(&["--verify-copy".as_ref(), copy.as_os_str()]);
        assert_eq!(
            code,
            if copied.is_empty() { 1 } else { 0 },
            "{:?}",
            String::from_utf8_lossy(&verify.stdout)
        );
    }
}

#[test]
fn a_record_claiming_4_gb_in_a_10_kb_image_fails_and_shared_or_overlapping_extents_are_found() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let two_blocks = 2 * SECTOR as u32;
    let image = iso(
        60,
        1,
        &[
            dir_record(b"IM000001.;1", 19, u32::MAX, 0),
            dir_record(b"IM000002.;1", 19, 40 * SECTOR as u32, 0),
            dir_record(b"README.TXT;1", 19, two_blocks, 0),
            dir_record(b"README2.TXT;1", 19, two_blocks, 0),
            dir_record(b"README3.TXT;1", 20, SECTOR as u32, 0),
        ],
        &[(19, &[b'x'; 3 * SECTOR])],
    );
    assert!(image.len() < 64 << 10);
    let path = tmp.path().join("tiny.iso");
    fs::write(&path, &image).expect("write");
    let (_, report, _) = check(&path);
    assert_eq!(report["verdict"], "fail");
    let all: Vec<String> = findings(&report).iter().flat_map(paths_of).collect();
    assert!(
        all.iter()
            .any(|p| p.starts_with("IM000001 (") && p.contains("outside the disc image's volume")),
        "{all:?}"
    );
    assert!(
        all.iter()
            .any(|p| p.starts_with("IM000002 (") && p.contains("not all in the image")),
        "{all:?}"
    );
    // A cut image explains everything else: it is the one finding, and it keeps every file the others named.
    assert_eq!(
        findings_saying(&report, "incomplete: it was cut short").len(),
        1
    );
    assert_eq!(findings(&report).len(), 1, "{all:?}");
    // One stored file under two names is read once (named, not refused); bytes inside another file's are refused.
    assert!(
        all.iter()
            .any(|p| p == "README2.TXT (the same bytes as README.TXT)"),
        "{all:?}"
    );
    assert!(
        all.iter()
            .any(|p| p.starts_with("README3.TXT (") && p.contains("overlap those of README.TXT")),
        "{all:?}"
    );
}

// ---------------------------------------------------------------------------------------------------------
// Directory-record bombs and decompression multiplied
// ---------------------------------------------------------------------------------------------------------

/// An image of `size` bytes whose root folder fills it with folder records, each pointing at a later block of
/// the root folder itself and claiming the rest of the image.
fn folder_record_bomb(size: usize) -> Vec<u8> {
    let blocks = (size / SECTOR) as u32 - ROOT_BLOCK;
    let mut records = Vec::new();
    let per_block = SECTOR / dir_record(b"D0000000", 0, 0, 2).len();
    for i in 0..(blocks as usize - 1) * per_block {
        let block = ROOT_BLOCK + 1 + (i / per_block) as u32;
        let name = format!("D{i:07}");
        records.push(dir_record(
            name.as_bytes(),
            block,
            (blocks - 1) * SECTOR as u32,
            2,
        ));
    }
    iso(ROOT_BLOCK + blocks, blocks, &records, &[])
}

/// An image of `size` bytes whose root folder fills it with file records all sharing one extent.
fn file_record_bomb(size: usize, extent: &[u8]) -> Vec<u8> {
    let data_blocks = extent.len().div_ceil(SECTOR) as u32;
    let root_blocks = (size / SECTOR) as u32 - ROOT_BLOCK - data_blocks;
    let data_block = ROOT_BLOCK + root_blocks;
    let per_block = SECTOR / dir_record(b"IM0000000.;1", 0, 0, 0).len();
    let records: Vec<_> = (0..root_blocks as usize * per_block - 2)
        .map(|i| {
            dir_record(
                format!("IM{i:07}.;1").as_bytes(),
                data_block,
                extent.len() as u32,
                0,
            )
        })
        .collect();
    iso(
        data_block + data_blocks,
        root_blocks,
        &records,
        &[(data_block, extent)],
    )
}

#[test]
fn directory_record_bombs_are_capped_with_a_finding() {
    let tmp = tempfile::tempdir().expect("tempdir");
    for (label, image) in [
        ("folders-1mb", folder_record_bomb(1 << 20)),
        ("folders-4mb", folder_record_bomb(4 << 20)),
        ("files-1mb", file_record_bomb(1 << 20, &super::sample_mr())),
    ] {
        let path = tmp.path().join(format!("{label}.iso"));
        fs::write(&path, &image).expect("write");
        let (code, report, run) = check(&path);
        println!(
            "{label}: {} bytes of JSON, peak RSS {} KiB",
            run.stdout.len(),
            run.peak_rss_kb()
        );
        assert_eq!(
            (code, report["verdict"].as_str()),
            (1, Some("fail")),
            "{label}"
        );
        assert!(
            run.stdout.len() < 1 << 20,
            "{label}: {} bytes of JSON",
            run.stdout.len()
        );
        let all: Vec<String> = findings(&report).iter().flat_map(paths_of).collect();
        let reason = if label.starts_with("folders") {
            "loops back or overlaps"
        } else {
            "(the same bytes as IM0000000)"
        };
        assert!(all.iter().any(|p| p.contains(reason)), "{label}: {all:?}");
        assert!(
            all.iter()
                .any(|p| p.contains("more entries refused or damaged")),
            "{label}: capped"
        );
    }
}

/// Bits of a raw deflate stream, least significant first.
#[derive(Default)]
struct Bits {
    bytes: Vec<u8>,
    used: usize,
}

impl Bits {
    fn bit(&mut self, bit: u32) {
        if self.used.is_multiple_of(8) {
            self.bytes.push(0);
        }
        if bit != 0 {
            *self.bytes.last_mut().expect("byte") |= 1 << (self.used % 8);
        }
        self.used += 1;
    }

    /// A Huffman code, most significant bit first.
    fn code(&mut self, code: u32, len: u32) {
        for i in (0..len).rev() {
            self.bit((code >> i) & 1);
        }
    }

    /// A literal byte in the fixed Huffman code.
    fn literal(&mut self, byte: u8) {
        match byte {
            0..=143 => self.code(0x30 + u32::from(byte), 8),
            _ => self.code(0x190 + u32::from(byte - 144), 9),
        }
    }
}

/// One fixed-Huffman deflate block: `prefix` as literals, then a zero and `runs` copies of 258 zeros (length code
/// 285, distance 1): 13 bits per 258 bytes, built without compressing anything.
fn deflate_with_zeros(prefix: &[u8], runs: usize) -> Vec<u8> {
    let mut bits = Bits::default();
    bits.bit(1);
    bits.bit(1);
    bits.bit(0);
    for &b in prefix {
        bits.literal(b);
    }
    bits.literal(0);
    for _ in 0..runs {
        bits.code(0xC5, 8);
        bits.code(0, 5);
    }
    bits.code(0, 7);
    bits.bytes
}

/// A Part 10 file whose data set is deflated (1.2.840.10008.1.2.1.99) and inflates to `runs` × 258 bytes more
/// than its header.
fn deflated_dicom(runs: usize, uid: &str) -> Vec<u8> {
    fn element(out: &mut Vec<u8>, group: u16, elem: u16, vr: &[u8; 2], value: &[u8]) {
        out.extend(group.to_le_bytes());
        out.extend(elem.to_le_bytes());
        out.extend(vr);
        if matches!(vr, b"OB" | b"UN") {
            out.extend([0, 0]);
            out.extend((value.len() as u32).to_le_bytes());
        } else {
            out.extend((value.len() as u16).to_le_bytes());
        }
        out.extend(value);
    }
    let even = |s: &str| {
        let mut v = s.as_bytes().to_vec();
        if v.len() % 2 == 1 {
            v.push(0);
        }
        v
    };
    let mut meta = Vec::new();
    element(&mut meta, 0x0002, 0x0001, b"OB", &[0, 1]);
    element(
        &mut meta,
        0x0002,
        0x0002,
        b"UI",
        &even("1.2.840.10008.5.1.4.1.1.7"),
    );
    element(&mut meta, 0x0002, 0x0003, b"UI", &even(uid));
    element(
        &mut meta,
        0x0002,
        0x0010,
        b"UI",
        &even("1.2.840.10008.1.2.1.99"),
    );
    let mut data = Vec::new();
    element(
        &mut data,
        0x0008,
        0x0016,
        b"UI",
        &even("1.2.840.10008.5.1.4.1.1.7"),
    );
    element(&mut data, 0x0008, 0x0018, b"UI", &even(uid));
    element(&mut data, 0x0010, 0x0010, b"PN", &even("SMITH^JOHN"));
    element(&mut data, 0x0020, 0x000D, b"UI", &even("1.2.3.4"));
    element(&mut data, 0x0020, 0x000E, b"UI", &even("1.2.3.4.5"));
    let zeros = (1 + runs * 258) as u32;
    data.extend([0x29, 0x00, 0x10, 0x10]);
    data.extend(b"OB\0\0");
    data.extend(zeros.to_le_bytes());
    let mut out = vec![0u8; 128];
    out.extend(b"DICM");
    element(
        &mut out,
        0x0002,
        0x0000,
        b"UL",
        &(meta.len() as u32).to_le_bytes(),
    );
    out.extend(meta);
    out.extend(deflate_with_zeros(&data, runs));
    out
}

/// Runs of 258 zeros in 60 MB.
const SIXTY_MB: usize = (60 << 20) / 258;

#[test]
fn inflation_is_budgeted_per_scan_and_shared_extents_are_read_and_copied_once() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let bomb = deflated_dicom(SIXTY_MB, "1.2.3.4.5.6");
    assert!(bomb.len() < 512 << 10, "{} bytes", bomb.len());

    // 2,000 ISO records sharing the extent of one deflated data set of 60 MB.
    let image = file_record_bomb(
        ROOT_BLOCK as usize * SECTOR + 100 * SECTOR + bomb.len().next_multiple_of(SECTOR),
        &bomb,
    );
    let path = tmp.path().join("shared.iso");
    fs::write(&path, &image).expect("write");
    let (_, report, _) = check(&path);
    assert_eq!(report["verdict"], "fail");
    let all: Vec<String> = findings(&report).iter().flat_map(paths_of).collect();
    assert!(
        all.iter()
            .any(|p| p.contains("(the same bytes as IM0000000)")),
        "{all:?}"
    );
    let copy = tmp.path().join("copy");
    let (code, run) = capped(&[
        path.as_os_str(),
        "--name".as_ref(),
        "SMITH^JOHN".as_ref(),
        "--copy-to".as_ref(),
        copy.as_os_str(),
    ]);
    assert!(code == 0 || code == 1, "{}", run.stderr);
    let copied: u64 = tree(&copy).iter().map(|(_, b)| b.len() as u64).sum();
    assert!(
        copied < 4 * image.len() as u64,
        "the copy multiplied shared bytes: {copied} bytes"
    );

    // A zip of 300 members, each a 60 MB deflate bomb deflated again (each under the ratio check's floor).
    let zip_path = tmp.path().join("bombs.zip");
    let mut zip = zip::ZipWriter::new(fs::File::create(&zip_path).expect("create"));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for i in 0..300 {
        zip.start_file(format!("DICOM/IM{i:06}"), options)
            .expect("member");
        zip.write_all(&bomb).expect("member bytes");
    }
    zip.finish().expect("zip");
    let (_, report, _) = check(&zip_path);
    assert_eq!(report["verdict"], "fail");
    let all: Vec<String> = findings(&report).iter().flat_map(paths_of).collect();
    assert!(
        all.iter().any(|p| p.contains("decompression bomb")),
        "{all:?}"
    );
}

// ---------------------------------------------------------------------------------------------------------
// Pipes, devices and links where files were
// ---------------------------------------------------------------------------------------------------------

/// A verified copy of the sample disc in `dir/copy`.
fn sample_copy(dir: &Path) -> PathBuf {
    let copy = dir.join("copy");
    let (code, run) = capped(&[
        sample_disc_dir().as_os_str(),
        "--name".as_ref(),
        "SMITH^JOHN".as_ref(),
        "--copy-to".as_ref(),
        copy.as_os_str(),
    ]);
    assert_eq!(code, 0, "{}", run.stderr);
    copy
}

#[test]
fn verify_copy_never_opens_pipes_devices_or_links() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let copy = sample_copy(tmp.path());
    let verify = |copy: &Path| capped(&["--verify-copy".as_ref(), copy.as_os_str()]);
    assert_eq!(verify(&copy).0, 0);
    let listed = "DICOM/ST000001/SE000001/IM000001";
    let outside = tmp.path().join("outside");
    fs::create_dir_all(&outside).expect("mkdir");
    fs::copy(copy.join(listed), outside.join("IM000001")).expect("copy");

    // The manifest as a FIFO, or a link to an endless device: refused at once.
    let manifest = copy.join("MANIFEST.sha256");
    let saved = fs::read(&manifest).expect("manifest");
    fs::remove_file(&manifest).expect("rm");
    mkfifo(&manifest);
    assert_eq!(verify(&copy).0, 2);
    fs::remove_file(&manifest).expect("rm");
    std::os::unix::fs::symlink("/dev/zero", &manifest).expect("symlink");
    assert_eq!(verify(&copy).0, 2);
    fs::remove_file(&manifest).expect("rm");
    fs::write(&manifest, &saved).expect("restore");

    // A listed file as a FIFO, a link to /dev/zero, a link to an identical file outside the copy.
    let target = copy.join(listed);
    let original = fs::read(&target).expect("read");
    let fifo = |p: &Path| mkfifo(p);
    let zero = |p: &Path| std::os::unix::fs::symlink("/dev/zero", p).expect("symlink");
    let out = |p: &Path| std::os::unix::fs::symlink(outside.join("IM000001"), p).expect("symlink");
    for (label, replace) in [
        ("fifo", &fifo as &dyn Fn(&Path)),
        ("dev/zero", &zero),
        ("link out", &out),
    ] {
        fs::remove_file(&target).expect("rm");
        replace(&target);
        let (code, run) = verify(&copy);
        let text = String::from_utf8_lossy(&run.stdout);
        assert_eq!(code, 1, "{label}: {text}");
        assert!(
            text.contains(&format!("missing or unreadable: {listed}")),
            "{label}: {text}"
        );
        fs::remove_file(&target).expect("rm");
        fs::write(&target, &original).expect("restore");
    }
    // A listed folder as a link to an identical folder outside the copy.
    let series = copy.join("DICOM/ST000001/SE000001");
    let moved = outside.join("SE000001");
    fs::rename(&series, &moved).expect("move");
    std::os::unix::fs::symlink(&moved, &series).expect("symlink");
    assert_eq!(
        verify(&copy).0,
        1,
        "a folder link out of the copy is not followed"
    );
}

#[test]
fn files_turned_into_pipes_while_the_disc_is_read_never_hang_it() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let disc = tmp.path().join("disc");
    let spec =
        dicomcheck_fixture::DiscSpec::new(dicomcheck_fixture::PatientSpec::new("SMITH^JOHN"))
            .study(
                dicomcheck_fixture::StudySpec::new("CT")
                    .date("20260101")
                    .series(dicomcheck_fixture::SeriesSpec::ct(400)),
            )
            .viewer_files(false);
    dicomcheck_fixture::write_disc(&disc, &spec).expect("disc");
    let mut files: Vec<PathBuf> = tree(&disc).into_iter().map(|(p, _)| disc.join(p)).collect();
    files.sort_by_key(|p| !p.ends_with("DICOMDIR"));
    for media in ["parallel", "optical"] {
        let stop = Arc::new(AtomicBool::new(false));
        let swapper = {
            let (files, stop) = (files.clone(), stop.clone());
            std::thread::spawn(move || {
                // Each file in turn becomes a FIFO, racing the walk, the open, the prefetch and the DICOMDIR read.
                for file in &files {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    if fs::symlink_metadata(file).is_ok_and(|m| m.is_file()) {
                        let _ = fs::remove_file(file);
                        let _ = Command::new("mkfifo").arg(file).status();
                    }
                }
            })
        };
        let (code, _) = capped(&[
            disc.as_os_str(),
            "--name".as_ref(),
            "SMITH^JOHN".as_ref(),
            "--json".as_ref(),
            "--media".as_ref(),
            media.as_ref(),
        ]);
        stop.store(true, Ordering::Relaxed);
        swapper.join().expect("swapper");
        assert!(code == 0 || code == 1, "{media}: exit {code}");
        for file in &files {
            let _ = fs::remove_file(file);
        }
        dicomcheck_fixture::write_disc(&disc, &spec).expect("disc");
    }
}

#[test]
fn a_dicomdir_or_file_turned_into_a_pipe_after_the_walk_is_refused_at_once() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let disc = tmp.path().join("disc");
    copy_sample(&disc);
    let scan = dicomcheck::scan::scan(&disc, &Default::default()).expect("scan");
    let relative = scan.dicomdirs.first().expect("a DICOMDIR").clone();
    fs::remove_file(disc.join(&relative)).expect("rm");
    mkfifo(&disc.join(&relative));
    let image = disc.join("DICOM/ST000001/SE000001/IM000001");
    fs::remove_file(&image).expect("rm");
    mkfifo(&image);
    // On a thread, so that a blocking open fails the test instead of hanging it.
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let dicomdir = scan.read_dicomdir(&relative).map(|_| ());
        let location = dicomcheck::media_order::physical_offset(&image);
        let _ = sender.send((dicomdir.is_err(), location));
    });
    let (refused, location) = receiver
        .recv_timeout(std::time::Duration::from_secs(60))
        .expect("opening a FIFO blocked");
    assert!(refused, "a FIFO read as a DICOMDIR");
    assert_eq!(location, dicomcheck::media_order::Location::Unknown);
}

/// The sample disc copied to `to`.
fn copy_sample(to: &Path) {
    for (relative, bytes) in tree(&sample_disc_dir()) {
        let path = to.join(relative);
        fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        fs::write(path, bytes).expect("write");
    }
}

// ---------------------------------------------------------------------------------------------------------
// Escapes on stderr and stdout, and names the copy uses
// ---------------------------------------------------------------------------------------------------------

#[test]
fn names_from_the_media_or_a_manifest_never_reach_stderr_or_stdout_raw() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let disc = tmp.path().join("disc");
    super::healthy_disc(&disc);
    let hostile = "IM\x1b]0;pwned\x07\x1b[2J\u{9b}31m";
    std::os::unix::fs::symlink("nowhere", disc.join(format!("{hostile}-link"))).expect("symlink");
    mkfifo(&disc.join(format!("{hostile}-fifo")));
    fs::write(
        disc.join("NOTES.TXT.dicomcheck-partial"),
        b"a file named like a partial copy",
    )
    .expect("write");
    let copy = tmp.path().join("copy");
    let (code, run) = capped(&[
        disc.as_os_str(),
        "--name".as_ref(),
        "SMITH^JOHN".as_ref(),
        "--copy-to".as_ref(),
        copy.as_os_str(),
    ]);
    assert!(
        code == 0 || code == 1,
        "the partial-named file does not abort the copy: {}",
        run.stderr
    );
    assert!(run.stderr.contains("Not copied"), "{}", run.stderr);
    assert_eq!(
        control_chars(&run.stderr),
        Default::default(),
        "{:?}",
        run.stderr
    );
    assert_eq!(
        fs::read(copy.join("NOTES.TXT.dicomcheck-partial")).expect("copied"),
        b"a file named like a partial copy"
    );

    // A copy error naming a media file: a different file already has its name in the destination. (Names with
    // C0 controls are never copied, since Windows cannot hold them; C1 controls can be, and must print safely.)
    let copyable = "IM\u{9b}2J\u{9b}31m";
    let named = disc.join(format!("{copyable}.txt"));
    fs::write(&named, b"original").expect("write");
    fs::write(copy.join(format!("{copyable}.txt")), b"different").expect("write");
    let (code, run) = capped(&[
        disc.as_os_str(),
        "--name".as_ref(),
        "SMITH^JOHN".as_ref(),
        "--copy-to".as_ref(),
        copy.as_os_str(),
    ]);
    assert_eq!(code, 2, "{}", run.stderr);
    // Either error names the media file: the copy refuses a name with control characters before it compares.
    assert!(
        run.stderr.contains("differs from the original") || run.stderr.contains("cannot hold"),
        "{}",
        run.stderr
    );
    assert_eq!(
        control_chars(&run.stderr),
        Default::default(),
        "{:?}",
        run.stderr
    );

    // --verify-copy printing manifest names, as text and as JSON.
    let manifest = copy.join("MANIFEST.sha256");
    let mut text = fs::read_to_string(&manifest).expect("manifest");
    text += &format!("{}  {hostile}-gone\n", "0".repeat(64));
    fs::write(&manifest, text).expect("write");
    for json in [false, true] {
        let mut args = vec!["--verify-copy".as_ref(), copy.as_os_str()];
        if json {
            args.push("--json".as_ref());
        }
        let (code, run) = capped(&args);
        assert_eq!(code, 1);
        let out = String::from_utf8(run.stdout).expect("UTF-8");
        assert!(out.contains("-gone"), "{out}");
        assert_eq!(control_chars(&out), Default::default(), "{out:?}");
        assert_eq!(control_chars(&run.stderr), Default::default());
    }
}

// ---------------------------------------------------------------------------------------------------------
// Writes a planted link would send onto the media
// ---------------------------------------------------------------------------------------------------------

#[test]
fn dangling_links_into_the_media_never_make_a_write_land_there() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let disc = tmp.path().join("disc");
    super::healthy_disc(&disc);
    let before = tree(&disc);
    let out = tmp.path().join("out");
    fs::create_dir_all(&out).expect("mkdir");

    // The report page as a dangling link into the media.
    let page = out.join("report.html");
    std::os::unix::fs::symlink(disc.join("planted.html"), &page).expect("symlink");
    let (code, run) = capped(&[
        disc.as_os_str(),
        "--name".as_ref(),
        "SMITH^JOHN".as_ref(),
        "--report".as_ref(),
        page.as_os_str(),
    ]);
    assert!(code == 0 || code == 1 || code == 2, "{}", run.stderr);
    assert!(
        !disc.join("planted.html").exists(),
        "the report was written onto the media"
    );

    // Copy destinations with dangling links into the media: as the partial name of a file, as a folder.
    let copy = out.join("copy");
    fs::create_dir_all(copy.join("DICOM")).expect("mkdir");
    let first = tree(&disc).into_iter().next().expect("a file").0;
    let partial = copy.join(format!("{}.dicomcheck-partial", first.display()));
    fs::create_dir_all(partial.parent().expect("parent")).expect("mkdir");
    std::os::unix::fs::symlink(disc.join("planted-partial"), &partial).expect("symlink");
    std::os::unix::fs::symlink(
        disc.join("planted-manifest"),
        copy.join("MANIFEST.sha256.dicomcheck-partial"),
    )
    .expect("symlink");
    let (code, run) = capped(&[
        disc.as_os_str(),
        "--name".as_ref(),
        "SMITH^JOHN".as_ref(),
        "--copy-to".as_ref(),
        copy.as_os_str(),
    ]);
    assert!(code == 0 || code == 1, "{}", run.stderr);
    assert_eq!(
        fs::read(copy.join(&first)).expect("copied"),
        fs::read(disc.join(&first)).expect("orig")
    );

    let copy2 = out.join("copy2");
    fs::create_dir_all(&copy2).expect("mkdir");
    std::os::unix::fs::symlink(&disc, copy2.join("DICOM")).expect("symlink");
    let (code, run) = capped(&[
        disc.as_os_str(),
        "--name".as_ref(),
        "SMITH^JOHN".as_ref(),
        "--copy-to".as_ref(),
        copy2.as_os_str(),
    ]);
    assert_eq!(code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("nothing is ever written there"),
        "{}",
        run.stderr
    );
    assert_eq!(tree(&disc), before, "the media changed");
}

// ---------------------------------------------------------------------------------------------------------
// The DICOMDIR file as the path
// ---------------------------------------------------------------------------------------------------------

#[test]
fn a_dicomdir_file_as_the_path_checks_the_disc_it_indexes() {
    let (folder_code, folder, _) = check(&sample_disc_dir());
    let (code, report, _) = check(&sample_disc_dir().join("DICOMDIR"));
    assert_eq!(code, folder_code);
    assert_eq!(report["counts"], folder["counts"]);
    assert_eq!(report["findings"], folder["findings"]);
    assert!(findings_saying(&report, "Not a directory").is_empty());
}

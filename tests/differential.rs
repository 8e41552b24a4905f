//! The fast tokenizer against dicom-rs: every file (and every cut and corruption of it) read with both must give
//! the same record or the same kind of defect. Files from the fixture writer, from DCMTK (`dcmconv` re-encodings:
//! explicit and implicit VR little endian, explicit VR big endian, deflated) and pydicom's bundled test files
//! (pydicom, MIT licence, from PyPI; installed by `scripts/test.sh`). The hostile corpus is compared in
//! `tests/hostile.rs`; the fuzz target's seeds and any inputs it found (`fuzz/seeds/header`) are replayed here.

use std::path::{Path, PathBuf};
use std::process::Command;

use dicomcheck::read_header::{HeaderOutcome, read_both, read_both_buffered};
use dicomcheck_fixture::{
    DiscSpec, PatientSpec, SeriesSpec, StudySpec, Syntax, WrittenDisc, write_disc,
};

const PROBE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/support/pydicom_probe.py"
);

/// Tally of the cases compared, by how the fast reader read them.
#[derive(Default, Debug)]
struct Tally {
    instances: usize,
    damaged: usize,
    unreadable: usize,
    not_dicom: usize,
}

impl Tally {
    fn total(&self) -> usize {
        self.instances + self.damaged + self.unreadable + self.not_dicom
    }

    /// Reads `bytes` with both tokenizers; panics on a disagreement.
    fn same(&mut self, label: &str, bytes: &[u8]) {
        match read_both(bytes) {
            Ok(HeaderOutcome::Instance(r)) if r.defect.is_none() => self.instances += 1,
            Ok(HeaderOutcome::Instance(_)) => self.damaged += 1,
            Ok(HeaderOutcome::Unreadable(_)) => self.unreadable += 1,
            Ok(HeaderOutcome::NotDicom(_)) => self.not_dicom += 1,
            Err(d) => panic!(
                "{label}: the tokenizers disagree\n fast:      {:?}\n reference: {:?}",
                d.fast, d.reference
            ),
        }
    }

    /// The file, every cut of its first `span` bytes (every `step` bytes) and three corruptions of every
    /// `step`-th byte there.
    fn with_damage(&mut self, label: &str, bytes: &[u8], span: usize, step: usize) {
        self.same(label, bytes);
        let span = span.min(bytes.len());
        for cut in (0..span).step_by(step) {
            self.same(&format!("{label} cut at {cut}"), &bytes[..cut]);
        }
        for at in (0..span).step_by(step) {
            for value in [0x00, 0xFF, bytes[at] ^ 0x10] {
                let mut corrupt = bytes.to_vec();
                corrupt[at] = value;
                self.same(&format!("{label} byte {at} = {value:#04x}"), &corrupt);
            }
        }
    }
}

/// A disc from the fixture writer with every encoding and structure it can write.
fn fixture_files(root: &Path) -> Vec<PathBuf> {
    let spec = DiscSpec::new(PatientSpec::new("WANG^XIAODONG"))
        .study(
            StudySpec::new("CT CHEST")
                .series(SeriesSpec::ct(2))
                .series(SeriesSpec::ct(1).transfer_syntax(Syntax::JpegLossless)),
        )
        .study(
            StudySpec::new("MR HEAD")
                .series(SeriesSpec::mr(2).transfer_syntax(Syntax::ImplicitLe))
                .series(SeriesSpec::mr(2).multiframe(true).vendor_header(true))
                .series(
                    SeriesSpec::mr(1)
                        .multiframe(true)
                        .transfer_syntax(Syntax::ImplicitLe),
                ),
        );
    let disc = write_disc(root, &spec).expect("write disc");
    disc.all_files()
        .iter()
        .map(|relative| disc.path(relative))
        .collect()
}

#[test]
fn fixture_files_and_their_damage_read_alike() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut tally = Tally::default();
    let files = fixture_files(dir.path());
    assert!(files.len() >= 8, "only {} fixture files", files.len());
    for path in &files {
        let bytes = std::fs::read(path).expect("read fixture");
        tally.with_damage(&path.display().to_string(), &bytes, 2_048, 3);
    }
    println!("fixture files: {} files, {tally:?}", files.len());
    assert!(tally.instances >= files.len() - 1, "{tally:?}");
    assert!(tally.damaged > 100 && tally.unreadable > 100, "{tally:?}");
}

/// `dcmconv` (DCMTK) re-encodes `from` into `to` with `option`.
fn dcmconv(option: &str, from: &Path, to: &Path) {
    let output = Command::new("dcmconv")
        .args([
            option,
            &from.display().to_string(),
            &to.display().to_string(),
        ])
        .output()
        .unwrap_or_else(|e| panic!("dcmconv (DCMTK) is required: run ./scripts/test.sh ({e})"));
    assert!(
        output.status.success(),
        "dcmconv {option}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn dcmtk_encodings_and_their_damage_read_alike() {
    let dir = tempfile::tempdir().expect("tempdir");
    let files = fixture_files(&dir.path().join("disc"));
    let sources: Vec<&PathBuf> = files
        .iter()
        .filter(|p| p.file_name().is_some_and(|n| n == "IM000001"))
        // DCMTK re-encodes JPEG only with its codecs: the uncompressed sources only.
        .filter(|p| {
            let bytes = std::fs::read(p).expect("read source");
            !bytes.windows(22).any(|w| w == b"1.2.840.10008.1.2.4.70")
        })
        .collect();
    assert!(sources.len() >= 4, "{sources:?}");
    let mut tally = Tally::default();
    let mut written = 0;
    for (i, source) in sources.iter().enumerate() {
        // Explicit VR little endian, implicit VR little endian, explicit VR big endian, deflated.
        for option in ["+te", "+ti", "+tb", "+td"] {
            let to = dir.path().join(format!("{i}{option}.dcm"));
            dcmconv(option, source, &to);
            written += 1;
            let bytes = std::fs::read(&to).expect("read dcmconv output");
            tally.with_damage(&to.display().to_string(), &bytes, 1_536, 5);
        }
    }
    println!("dcmtk files: {written} files, {tally:?}");
    assert!(written >= 16, "{written}");
    assert!(tally.instances >= written, "{tally:?}");
}

/// pydicom's bundled data directory.
fn pydicom_data() -> PathBuf {
    let output = Command::new("python3")
        .args([PROBE, "datadir"])
        .output()
        .expect("python3 with pydicom is required: run ./scripts/test.sh");
    assert!(output.status.success(), "pydicom probe failed");
    let text = String::from_utf8(output.stdout).expect("UTF-8 path");
    PathBuf::from(text.trim().trim_matches('"'))
}

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read dir").flatten() {
        let path = entry.path();
        if path.is_dir() {
            files_under(&path, out);
        } else {
            out.push(path);
        }
    }
}

#[test]
fn pydicom_test_files_and_their_cuts_read_alike() {
    let mut files = Vec::new();
    files_under(&pydicom_data(), &mut files);
    files.sort();
    assert!(files.len() > 100, "only {} pydicom files", files.len());
    let mut tally = Tally::default();
    for path in &files {
        let bytes = std::fs::read(path).expect("read pydicom file");
        tally.same(&path.display().to_string(), &bytes);
        let step = (bytes.len() / 40).max(1);
        for cut in (0..bytes.len()).step_by(step) {
            tally.same(&format!("{} cut at {cut}", path.display()), &bytes[..cut]);
        }
    }
    println!(
        "pydicom files: {} files, {} cases, {tally:?}",
        files.len(),
        tally.total()
    );
    assert!(tally.instances > 50 && tally.not_dicom > 10, "{tally:?}");
}

/// pydicom's files of unusual structure, cut and corrupted at every byte: a UN element of undefined length read
/// as a sequence in implicit VR (CP-246), a private sequence in a UN value, a meta group without its group
/// length, a meta group without transfer syntax.
#[test]
fn pydicom_files_of_odd_structure_and_their_damage_read_alike() {
    let dir = pydicom_data().join("test_files");
    let mut tally = Tally::default();
    for name in [
        "UN_sequence.dcm",
        "priv_SQ.dcm",
        "no_meta_group_length.dcm",
        "meta_missing_tsyntax.dcm",
    ] {
        let bytes = std::fs::read(dir.join(name)).expect("read pydicom file");
        tally.with_damage(name, &bytes, bytes.len(), 1);
    }
    println!("odd pydicom files: {tally:?}");
    assert!(tally.instances >= 3, "{tally:?}");
}

#[test]
fn fuzz_seeds_read_alike() {
    let seeds = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds/header");
    let mut files = Vec::new();
    files_under(&seeds, &mut files);
    assert!(files.len() >= 6, "only {} seeds", files.len());
    let mut tally = Tally::default();
    for path in &files {
        let bytes = std::fs::read(path).expect("read seed");
        tally.same(&path.display().to_string(), &bytes);
    }
    println!("fuzz seeds: {} files, {tally:?}", files.len());
}

/// The fast tokenizer skips the root elements the record does not take inside its 8 KiB read buffer and stops
/// where the buffer ends: long vendor headers (explicit and implicit VR) cut at every byte and corrupted at
/// every byte around that end, and cut every 7 bytes through the whole header.
#[test]
fn long_headers_around_the_read_buffer_end_read_alike() {
    const BUFFER: usize = 8 * 1024;
    let dir = tempfile::tempdir().expect("tempdir");
    let disc = long_header_disc(dir.path());
    let mut tally = Tally::default();
    let mut long = 0;
    for relative in disc.all_files() {
        let bytes = std::fs::read(disc.path(&relative)).expect("read fixture");
        let header = match read_both(&bytes) {
            Ok(HeaderOutcome::Instance(r)) if r.header_bytes > BUFFER as u64 + 512 => {
                r.header_bytes as usize
            }
            _ => continue,
        };
        long += 1;
        let label = relative.display().to_string();
        for at in BUFFER - 300..BUFFER + 300 {
            tally.same(&format!("{label} cut at {at}"), &bytes[..at]);
            for value in [0x00, 0xFF, bytes[at] ^ 0x10] {
                let mut corrupt = bytes.clone();
                corrupt[at] = value;
                tally.same(&format!("{label} byte {at} = {value:#04x}"), &corrupt);
            }
        }
        for cut in (0..header).step_by(7) {
            tally.same(&format!("{label} cut at {cut}"), &bytes[..cut]);
        }
    }
    println!("long headers: {long} files, {tally:?}");
    assert!(long >= 2, "no header longer than the read buffer");
    assert!(tally.damaged > 100 && tally.unreadable > 100, "{tally:?}");
}

/// A scan sizes each file's first read from the header read before it, so the read buffer may end anywhere in a
/// header: long vendor headers (explicit and implicit VR) read with buffers of every size up to their end (every 5
/// bytes, every byte near the end, and a few larger) give dicom-rs's outcome.
#[test]
fn long_headers_read_alike_at_any_read_size() {
    let dir = tempfile::tempdir().expect("tempdir");
    let disc = long_header_disc(dir.path());
    let (mut long, mut reads) = (0, 0);
    for relative in disc.all_files() {
        let bytes = std::fs::read(disc.path(&relative)).expect("read fixture");
        let header = match read_both(&bytes) {
            Ok(HeaderOutcome::Instance(r)) if r.defect.is_none() && r.header_bytes > 8 * 1024 => {
                r.header_bytes as usize
            }
            _ => continue,
        };
        long += 1;
        let near_end = header.saturating_sub(200)..header + 200;
        let sizes = (1..header)
            .step_by(5)
            .chain(near_end)
            .chain([12 * 1024, 16 * 1024, 64 * 1024]);
        for capacity in sizes {
            reads += 1;
            match read_both_buffered(&bytes, capacity) {
                Ok(HeaderOutcome::Instance(r)) if r.defect.is_none() => {
                    assert_eq!(
                        r.header_bytes as usize, header,
                        "read {capacity} bytes at a time"
                    );
                }
                Ok(other) => panic!("{relative:?} read {capacity} bytes at a time: {other:?}"),
                Err(d) => panic!(
                    "{relative:?} read {capacity} bytes at a time: the tokenizers disagree\n fast:      {:?}\n reference: {:?}",
                    d.fast, d.reference
                ),
            }
        }
    }
    println!("long headers: {long} files, {reads} buffer sizes");
    assert!(long >= 2, "no header longer than the default read buffer");
}

/// A disc of two MR series with long vendor headers, one explicit and one implicit VR: headers longer than the
/// default read buffer.
fn long_header_disc(dir: &Path) -> WrittenDisc {
    let spec = DiscSpec::new(PatientSpec::new("SMITH^JOHN")).study(
        StudySpec::new("MR HEAD")
            .series(SeriesSpec::mr(1).vendor_header(true))
            .series(
                SeriesSpec::mr(1)
                    .vendor_header(true)
                    .transfer_syntax(Syntax::ImplicitLe),
            ),
    );
    write_disc(dir, &spec).expect("write disc")
}

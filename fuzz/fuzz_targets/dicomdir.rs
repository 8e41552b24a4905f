//! The DICOMDIR parser on arbitrary bytes (written to a scratch file, since it reads from a path).
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use dicomcheck::dicomdir::read_dicomdir;
use libfuzzer_sys::fuzz_target;

fn scratch() -> &'static PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| std::env::temp_dir().join(format!("dicomcheck-fuzz-{}.DICOMDIR", std::process::id())))
}

fuzz_target!(|data: &[u8]| {
    std::fs::write(scratch(), data).expect("write scratch file");
    if let Ok(dir) = read_dicomdir(scratch()) {
        assert!(dir.entries.len() <= 200_000);
    }
});

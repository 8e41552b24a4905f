//! The DICOMDIR parser on arbitrary bytes, through the `read_dicomdir_from` seam (nothing is written).
#![no_main]

use std::io::Cursor;

use dicomcheck::dicomdir::read_dicomdir_from;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(dir) = read_dicomdir_from(Cursor::new(data.to_vec()), data.len() as u64) {
        assert!(dir.entries.len() <= 200_000);
    }
});

//! The zip listing on arbitrary bytes, through the in-memory read-at seam (no scratch file), then a few members'
//! headers read (and their CRC-32 checked), all inflation drawn from one budget. Seeds (`seeds/zip`): Python's
//! `zipfile`, stored and deflated, of the same three files as the ISO 9660 seeds.
#![no_main]

use std::path::Path;
use std::sync::Arc;

use dicomcheck::archive::{Archive, Kind};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let name = Path::new("download.zip");
    let (archive, walk) =
        Archive::from_source(Arc::new(data.to_vec()), data.len() as u64, Kind::Zip, name, name);
    assert!(walk.skipped.len() <= 1001, "skipped entries are capped");
    for file in walk.files.iter().take(4) {
        let _ = archive.read_header(&file.relative);
    }
});

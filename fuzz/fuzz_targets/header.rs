//! The hardened header reader on arbitrary bytes, through the `read_header_from` seam.
#![no_main]

use std::io::Cursor;
use std::path::Path;

use dicomcheck::read_header::{HeaderOutcome, read_header_from};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let outcome = read_header_from(Cursor::new(data.to_vec()), data.len() as u64, Path::new("IM"));
    if let HeaderOutcome::Instance(record) = outcome {
        assert!(record.header_bytes <= data.len() as u64);
        let _ = record.expected_pixel_bytes();
        let _ = record.frames();
    }
});

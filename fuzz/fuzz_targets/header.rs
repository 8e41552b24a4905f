//! The hardened header reader on arbitrary bytes, through the `read_header_from` seam: the fast tokenizer and
//! dicom-rs (the reference) must give the same record or the same kind of defect.
#![no_main]

use dicomcheck::read_header::{HeaderOutcome, read_both};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let outcome = read_both(data).unwrap_or_else(|d| {
        panic!(
            "the tokenizers disagree\n fast:      {:?}\n reference: {:?}",
            d.fast, d.reference
        )
    });
    if let HeaderOutcome::Instance(record) = outcome {
        assert!(record.header_bytes <= data.len() as u64);
        let _ = record.expected_pixel_bytes();
        let _ = record.frames();
    }
});

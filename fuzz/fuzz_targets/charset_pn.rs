//! Character-set decoding of raw PN bytes, then every name operation on the decoded text.
//!
//! Input layout: the first byte (mod 64) is the length of the Specific Character Set value that follows; the
//! rest is the PatientName value.
#![no_main]

use dicomcheck::charset::{self, SpecificCharacterSet};
use dicomcheck::names::{self, PassportName};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&n, rest)) = data.split_first() else {
        return;
    };
    let split = usize::from(n % 64).min(rest.len());
    let (set, value) = rest.split_at(split);
    let decoded = charset::decode(value, &SpecificCharacterSet::from_raw(set));
    let _ = names::display_name(&decoded);
    let _ = names::person_key(&decoded);
    let _ = names::same_person(&decoded, &decoded);
    for passport in ["SMITH^JOHN", "ZHANG^SAN", "MÜLLER^JÜRGEN"] {
        let passport = PassportName::parse(passport).expect("valid passport name");
        let _ = names::match_name(&decoded, &passport, Some("张三"));
    }
    if let Ok(passport) = PassportName::parse(&decoded.text) {
        let _ = names::match_name(&decoded, &passport, None);
    }
});

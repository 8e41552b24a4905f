//! The ISO 9660 listing on arbitrary bytes, through the in-memory read-at seam (no scratch file), then every
//! listed member read whole and a few headers read. Seeds (`seeds/iso9660`): Debian's genisoimage `-no-pad`
//! images (plain, Joliet, Rock Ridge + Joliet) of two seed files of the header target and a text file.
#![no_main]

use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use dicomcheck::archive::{Archive, Kind};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let size = data.len() as u64;
    let name = Path::new("disc.iso");
    let (archive, walk) = Archive::from_source(Arc::new(data.to_vec()), size, Kind::Iso, name, name);
    assert!(walk.skipped.len() <= 1001, "skipped entries are capped");
    // Listed extents lie inside the image and never share bytes: all members together fit in it.
    let listed: u64 = walk.files.iter().map(|f| f.size).sum();
    assert!(listed <= size, "{listed} bytes listed in a {size}-byte image");
    for file in &walk.files {
        let (mut reader, member_size) = archive.open_member(&file.relative).expect("listed member");
        let mut all = Vec::new();
        reader.read_to_end(&mut all).expect("a listed member reads whole");
        assert_eq!(all.len() as u64, member_size);
    }
    for file in walk.files.iter().take(4) {
        let _ = archive.read_header(&file.relative);
    }
});

//! The values files repeat (UIDs of the study, series, SOP class and transfer syntax, dates, names,
//! descriptions, the report's details), made once per reader thread and shared by every record read on it.
//!
//! A value is looked up by its raw bytes before anything is made of it: a repeated value costs one hash and one
//! comparison, where it cost a UTF-8 check, a character set decoding and an allocation that an interner then
//! dropped again. The tables live in a thread-local, so readers never wait for each other; the scan's reader
//! threads end with the scan, and the tables with them.

use std::cell::Cell;
use std::sync::Arc;

use foldhash::HashMap;

use super::scan::trimmed;
use super::{RawTexts, RecordDetails};
use crate::charset::{self, DecodedText, SpecificCharacterSet};

/// Most distinct values kept per kind: a disc of all-different values cannot grow the tables further.
const MAX_SHARED: usize = 1 << 16;

/// Longest key kept: every value the record shares is far shorter; a longer one is made for its record alone,
/// so the tables stay small whatever a disc holds.
const MAX_KEY: usize = 512;

/// What a reader thread keeps from file to file: the shared values, and the buffers the raw texts of the file
/// being read are kept in until its character set is known.
#[derive(Default)]
pub(super) struct Shared {
    pub(super) values: Values,
    pub(super) raw: RawTexts,
}

/// The tables of one thread. Hashed with foldhash, seeded per process: a disc cannot aim collisions at a seed it
/// does not know, and the tables are capped at [`MAX_SHARED`].
#[derive(Default)]
pub(super) struct Values {
    texts: HashMap<Box<[u8]>, Arc<str>>,
    decoded: HashMap<Box<[u8]>, Arc<DecodedText>>,
    details: HashMap<Box<[u8]>, Arc<RecordDetails>>,
    /// Where composite keys are assembled, reused from file to file.
    key: Vec<u8>,
}

thread_local! {
    static SHARED: Cell<Shared> = Cell::default();
}

/// Runs `read` with this thread's tables: taken out for the read and put back after it, so a read nested in
/// another, or one while the thread ends, simply starts from empty tables.
pub(super) fn with_shared<T>(read: impl FnOnce(&mut Shared) -> T) -> T {
    let mut shared = SHARED.try_with(Cell::take).unwrap_or_default();
    let done = read(&mut shared);
    let _ = SHARED.try_with(|kept| kept.set(shared));
    done
}

impl Values {
    /// `raw` as trimmed text (see [`trimmed`]).
    pub(super) fn text(&mut self, raw: &[u8]) -> Arc<str> {
        lookup(&mut self.texts, raw, || Arc::from(&*trimmed(raw)))
    }

    /// `raw` decoded in the character set whose raw value is `charset_raw` (`charset` makes it, only when the
    /// value is new).
    pub(super) fn decoded<'c>(
        &mut self,
        raw: &[u8],
        charset_raw: &[u8],
        charset: impl FnOnce() -> &'c SpecificCharacterSet,
    ) -> Arc<DecodedText> {
        let key = composite(&mut self.key, &[raw, charset_raw]);
        lookup(&mut self.decoded, key, || {
            Arc::new(charset::decode(raw, charset()))
        })
    }

    /// The details made by `make` from the raw values `parts` (with the character set's raw value among them),
    /// `None` when `make` finds nothing to say.
    pub(super) fn details(
        &mut self,
        parts: &[&[u8]],
        make: impl FnOnce() -> Option<RecordDetails>,
    ) -> Option<Arc<RecordDetails>> {
        let key = composite(&mut self.key, parts);
        if let Some(shared) = self.details.get(key) {
            return Some(Arc::clone(shared));
        }
        let details = Arc::new(make()?);
        remember(&mut self.details, key, &details);
        Some(details)
    }
}

/// `parts` as one key in `buffer`, each part followed by its length, so that no two lists of parts give the
/// same key.
fn composite<'b>(buffer: &'b mut Vec<u8>, parts: &[&[u8]]) -> &'b [u8] {
    buffer.clear();
    for part in parts {
        buffer.extend_from_slice(part);
        buffer.extend_from_slice(&u32::try_from(part.len()).unwrap_or(u32::MAX).to_le_bytes());
    }
    buffer
}

/// The value kept for `key`, or the one `make` makes, kept for next time.
fn lookup<T: ?Sized>(
    table: &mut HashMap<Box<[u8]>, Arc<T>>,
    key: &[u8],
    make: impl FnOnce() -> Arc<T>,
) -> Arc<T> {
    if let Some(shared) = table.get(key) {
        return Arc::clone(shared);
    }
    let value = make();
    remember(table, key, &value);
    value
}

fn remember<T: ?Sized>(table: &mut HashMap<Box<[u8]>, Arc<T>>, key: &[u8], value: &Arc<T>) {
    if key.len() <= MAX_KEY && table.len() < MAX_SHARED {
        table.insert(Box::from(key), Arc::clone(value));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_bytes_share_one_value_and_different_bytes_do_not() {
        let mut shared = Values::default();
        let a = shared.text(b"1.2.3 ");
        let b = shared.text(b"1.2.3 ");
        let c = shared.text(b"1.2.4");
        assert!(Arc::ptr_eq(&a, &b));
        assert_eq!(&*a, "1.2.3");
        assert_eq!(&*c, "1.2.4");
    }

    #[test]
    fn a_name_is_shared_only_under_the_same_character_set() {
        let mut shared = Values::default();
        let (latin, utf8) = (
            SpecificCharacterSet::from_raw(b"ISO_IR 100"),
            SpecificCharacterSet::from_raw(b"ISO_IR 192"),
        );
        let (latin, utf8) = (|| &latin, || &utf8);
        let a = shared.decoded(b"M\xfcller", b"ISO_IR 100", latin);
        let b = shared.decoded(b"M\xfcller", b"ISO_IR 100", || unreachable!("shared"));
        let c = shared.decoded(b"M\xfcller", b"ISO_IR 192", utf8);
        assert!(Arc::ptr_eq(&a, &b));
        assert_eq!(a.text, "Müller");
        assert!(!Arc::ptr_eq(&a, &c));
        // Parts are told apart by their lengths, not by where one ends and the next begins.
        let d = shared.decoded(b"AB", b"C", latin);
        let e = shared.decoded(b"A", b"BC", latin);
        assert_eq!((d.text.as_str(), e.text.as_str()), ("AB", "A"));
    }

    #[test]
    fn tables_stop_growing_at_their_cap_and_long_values_are_not_kept() {
        let mut shared = Values::default();
        for i in 0..MAX_SHARED + 10 {
            shared.text(i.to_string().as_bytes());
        }
        assert_eq!(shared.texts.len(), MAX_SHARED);
        let kept = shared.text(b"7");
        assert!(Arc::ptr_eq(&kept, &shared.text(b"7")));
        let mut shared = Values::default();
        let long = vec![b'1'; MAX_KEY + 1];
        assert_eq!(shared.text(&long).len(), MAX_KEY + 1);
        assert!(shared.texts.is_empty());
    }

    #[test]
    fn details_with_nothing_to_say_are_none_and_others_shared() {
        let mut shared = Values::default();
        assert!(shared.details(&[b"", b""], || None).is_none());
        let make = || {
            Some(RecordDetails {
                accession_number: Some("A1".into()),
                ..RecordDetails::default()
            })
        };
        let a = shared.details(&[b"A1", b""], make);
        let b = shared.details(&[b"A1", b""], || unreachable!("shared"));
        assert!(a.is_some_and(|a| b.is_some_and(|b| Arc::ptr_eq(&a, &b))));
    }
}

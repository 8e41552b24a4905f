//! One inflation budget per scan: every byte inflated (a zip member, a deflated data set) is drawn from it, so
//! many small bombs, each below every per-file limit, cannot add up to hours of inflating.

use std::io;
use std::sync::atomic::{AtomicU64, Ordering};

/// Bytes any scan may inflate, however small its media.
const FLOOR: u64 = 256 << 20;
/// Inflated bytes allowed per byte of media: the zip listing's bomb ratio, so no real archive runs out.
const PER_MEDIA_BYTE: u64 = 200;
/// Bytes no scan inflates beyond, however large its media (sparse files can declare any size): what the zip
/// listing lets all members of an archive declare, about a minute of inflating.
const CEILING: u64 = 64 << 30;
/// The most any media's bytes grant above the floor.
const MAX_GRANTED: u64 = CEILING - FLOOR;

/// Bytes left to inflate in one scan, shared by every reader thread.
#[derive(Debug)]
pub struct InflateBudget {
    left: AtomicU64,
    /// The allowance granted for the media's bytes so far (see [`InflateBudget::grow`]).
    granted: AtomicU64,
}

/// The error payload of a read refused because the budget is spent.
#[derive(Debug)]
struct Spent;

impl std::fmt::Display for Spent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(
            "the media decompresses to far more than it holds (a decompression bomb?): not inflated further",
        )
    }
}

impl std::error::Error for Spent {}

impl Default for InflateBudget {
    /// The budget of empty media.
    fn default() -> Self {
        Self::for_media(0)
    }
}

impl InflateBudget {
    /// A budget of exactly `bytes`.
    pub fn new(bytes: u64) -> Self {
        Self {
            left: AtomicU64::new(bytes),
            // Nothing more to grant.
            granted: AtomicU64::new(MAX_GRANTED),
        }
    }

    /// The budget for a scan of media holding `media_bytes` bytes.
    pub fn for_media(media_bytes: u64) -> Self {
        let granted = media_bytes.saturating_mul(PER_MEDIA_BYTE).min(MAX_GRANTED);
        Self {
            left: AtomicU64::new(FLOOR + granted),
            granted: AtomicU64::new(granted),
        }
    }

    /// Grants the allowance of `media_bytes` more bytes of media, up to what [`InflateBudget::for_media`] gives
    /// the largest media: for a scan that learns the media's size file by file as it lists them, each file
    /// granted before it is read. A file inflating less than the per-byte ratio therefore never finds the
    /// budget spent, whatever the order of the reads, and the whole media ends with the budget `for_media` gives.
    pub fn grow(&self, media_bytes: u64) {
        let more = media_bytes.saturating_mul(PER_MEDIA_BYTE);
        let before = self
            .granted
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |granted| {
                Some(granted.saturating_add(more).min(MAX_GRANTED))
            })
            .unwrap_or(MAX_GRANTED);
        let added = before.saturating_add(more).min(MAX_GRANTED) - before;
        self.left.fetch_add(added, Ordering::Relaxed);
    }

    /// Takes `bytes` from the budget; false (and nothing taken) when fewer are left.
    pub fn take(&self, bytes: u64) -> bool {
        self.left
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |left| {
                left.checked_sub(bytes)
            })
            .is_ok()
    }

    /// Bytes left.
    pub fn left(&self) -> u64 {
        self.left.load(Ordering::Relaxed)
    }

    /// The error a reader returns once the budget is spent.
    pub fn spent() -> io::Error {
        io::Error::other(Spent)
    }

    /// True for the error of [`InflateBudget::spent`].
    pub fn is_spent(error: &io::Error) -> bool {
        error.get_ref().is_some_and(|e| e.is::<Spent>())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn takes_until_spent_and_never_below_zero() {
        let budget = InflateBudget::new(10);
        assert!(budget.take(6));
        assert!(!budget.take(5));
        assert_eq!(budget.left(), 4);
        assert!(budget.take(4));
        assert!(!budget.take(1));
        assert!(InflateBudget::is_spent(&InflateBudget::spent()));
        assert!(!InflateBudget::is_spent(&io::Error::other("other")));
        assert_eq!(InflateBudget::for_media(1).left(), FLOOR + PER_MEDIA_BYTE);
        assert_eq!(InflateBudget::for_media(u64::MAX).left(), CEILING);
    }

    #[test]
    fn growing_file_by_file_ends_where_the_whole_media_starts() {
        for sizes in [
            &[][..],
            &[1, 2, 3],
            &[0, 1 << 20, 7, 123_456_789],
            &[u64::MAX, 5],
        ] {
            let grown = InflateBudget::default();
            for &size in sizes {
                grown.grow(size);
            }
            let total = sizes
                .iter()
                .fold(0u64, |sum, &size| sum.saturating_add(size));
            assert_eq!(
                grown.left(),
                InflateBudget::for_media(total).left(),
                "{sizes:?}"
            );
        }
        // Spent budget grows again by the new allowance only, and never past the ceiling.
        let budget = InflateBudget::for_media(1);
        assert!(budget.take(FLOOR + PER_MEDIA_BYTE));
        budget.grow(2);
        assert_eq!(budget.left(), 2 * PER_MEDIA_BYTE);
        budget.grow(u64::MAX);
        budget.grow(u64::MAX);
        assert_eq!(budget.left(), MAX_GRANTED - PER_MEDIA_BYTE);
        // A budget of exact bytes does not grow.
        let exact = InflateBudget::new(10);
        exact.grow(1 << 30);
        assert_eq!(exact.left(), 10);
    }
}

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

/// Bytes left to inflate in one scan, shared by every reader thread.
#[derive(Debug)]
pub struct InflateBudget {
    left: AtomicU64,
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
        }
    }

    /// The budget for a scan of media holding `media_bytes` bytes.
    pub fn for_media(media_bytes: u64) -> Self {
        Self::new(
            FLOOR
                .saturating_add(media_bytes.saturating_mul(PER_MEDIA_BYTE))
                .min(CEILING),
        )
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
}

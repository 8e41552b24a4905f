//! The byte budget of the images phase: every piece of a file read and not yet handed to its decoder holds a
//! [`Permit`] for its size, so the bytes in flight, and with them the scanning process's memory, stay below one
//! bound whatever the disc's size and the number of CPUs.

use std::sync::{Arc, Condvar, Mutex};

/// Bytes that may be read and not yet consumed, all readers together.
pub const BYTES_IN_FLIGHT: u64 = 32 << 20;

/// A counting semaphore over bytes.
#[derive(Debug)]
pub struct Budget {
    total: u64,
    left: Mutex<u64>,
    freed: Condvar,
}

/// Bytes taken from a [`Budget`], given back when dropped.
#[derive(Debug)]
pub struct Permit {
    budget: Arc<Budget>,
    bytes: u64,
}

impl Budget {
    /// A budget of `total` bytes.
    pub fn new(total: u64) -> Arc<Self> {
        Arc::new(Self {
            total,
            left: Mutex::new(total),
            freed: Condvar::new(),
        })
    }

    /// Waits until `bytes` are free and takes them; a request larger than the whole budget takes all of it.
    pub fn take(self: &Arc<Self>, bytes: u64) -> Permit {
        let bytes = bytes.min(self.total);
        let mut left = self.left.lock().unwrap_or_else(|e| e.into_inner());
        while *left < bytes {
            left = self.freed.wait(left).unwrap_or_else(|e| e.into_inner());
        }
        *left -= bytes;
        Permit {
            budget: Arc::clone(self),
            bytes,
        }
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        let mut left = self.budget.left.lock().unwrap_or_else(|e| e.into_inner());
        *left += self.bytes;
        self.budget.freed.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permits_wait_for_room() {
        let budget = Budget::new(10);
        let a = budget.take(6);
        let big = budget.take(0);
        drop(big);
        let waiter = {
            let budget = Arc::clone(&budget);
            std::thread::spawn(move || budget.take(100).bytes)
        };
        drop(a);
        assert_eq!(waiter.join().unwrap(), 10);
        assert_eq!(*budget.left.lock().unwrap(), 10);
    }
}

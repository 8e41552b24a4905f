//! Test hooks, compiled only with the `test-hooks` feature: make the decoder of a named file panic, abort,
//! hang or allocate without bound, or make a read of it fail with EIO, so the tests can show each is contained.
//!
//! `DICOMCHECK_TEST_HOOK` holds comma-separated `action:name` pairs (`panic`, `abort`, `hang`, `alloc`), or
//! `eio:name@offset`; a hook fires for files whose path contains `name`. `DICOMCHECK_TEST_PATIENCE` sets the
//! seconds a worker may take per file.

use std::io::{self, Read};

fn hooks() -> Vec<(String, String)> {
    std::env::var("DICOMCHECK_TEST_HOOK")
        .unwrap_or_default()
        .split(',')
        .filter_map(|pair| pair.split_once(':'))
        .map(|(action, name)| (action.to_string(), name.to_string()))
        .collect()
}

/// Misbehaves as asked for the file `name`, inside the worker, where a decoder would.
pub fn on_decode(name: &str) {
    for (action, part) in hooks() {
        if !name.contains(&part) {
            continue;
        }
        match action.as_str() {
            "panic" => panic!("test hook: decoder panic"),
            "abort" => std::process::abort(),
            "hang" => loop {
                std::thread::sleep(std::time::Duration::from_secs(1));
            },
            "alloc" => {
                let huge: Vec<u8> = vec![1; 64 << 30];
                std::hint::black_box(huge);
            }
            _ => {}
        }
    }
}

/// The offset from which reads of `name` fail with EIO, if a hook says so.
pub fn eio_at(name: &str) -> Option<u64> {
    hooks().into_iter().find_map(|(action, spec)| {
        let (part, offset) = spec.split_once('@')?;
        (action == "eio" && name.contains(part)).then(|| offset.parse().ok())?
    })
}

/// Seconds a worker may take per file, if a test sets it.
pub fn patience() -> Option<u64> {
    std::env::var("DICOMCHECK_TEST_PATIENCE").ok()?.parse().ok()
}

/// A reader that fails with EIO from `at` on, like a scratched sector.
pub struct FailingFrom<R> {
    pub inner: R,
    pub at: u64,
    pub pos: u64,
}

impl<R: Read> Read for FailingFrom<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.pos >= self.at {
            #[cfg(unix)]
            return Err(io::Error::from_raw_os_error(libc::EIO));
            #[cfg(not(unix))]
            return Err(io::Error::other("input/output error"));
        }
        let room = ((self.at - self.pos) as usize).min(buf.len());
        let n = self.inner.read(&mut buf[..room])?;
        self.pos += n as u64;
        Ok(n)
    }
}

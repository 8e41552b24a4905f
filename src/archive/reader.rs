//! Readers over one member of an archive file: a byte range read with positioned reads (no shared cursor, so
//! every worker thread reads the same open file), and a lazily inflating reader for deflated zip members that
//! draws on the scan's [`InflateBudget`].

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Take};
use std::sync::Arc;

use flate2::read::DeflateDecoder;

use crate::read_header::InflateBudget;

/// Positioned reads over an archive's bytes: the open archive file, bytes in memory (the seam through which
/// tests and fuzzers list archives without a scratch file), or a file a browser handed over (read in slices, so
/// a 4 GB image is never held whole).
pub trait ReadAt: Send + Sync + std::fmt::Debug {
    /// Reads into `buf` from `offset`; `Ok(0)` at the end of the bytes.
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize>;
}

impl ReadAt for File {
    #[cfg(unix)]
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        std::os::unix::fs::FileExt::read_at(self, buf, offset)
    }

    #[cfg(windows)]
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        std::os::windows::fs::FileExt::seek_read(self, buf, offset)
    }

    /// A system without files (WebAssembly in a browser) never opens one; its media come as [`ReadAt`]s.
    #[cfg(not(any(unix, windows)))]
    fn read_at(&self, _buf: &mut [u8], _offset: u64) -> io::Result<usize> {
        Err(io::Error::from(io::ErrorKind::Unsupported))
    }
}

impl ReadAt for Vec<u8> {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        let start = usize::try_from(offset)
            .unwrap_or(usize::MAX)
            .min(self.len());
        let src = self.get(start..).unwrap_or_default();
        let n = src.len().min(buf.len());
        if let (Some(dst), Some(src)) = (buf.get_mut(..n), src.get(..n)) {
            dst.copy_from_slice(src);
        }
        Ok(n)
    }
}

/// Decoded bytes of a deflated member kept for seeking backwards (covers any header the reader seeks in).
const PREFIX_CAP: usize = 256 * 1024;

/// `len` bytes of `file` from `start`, readable and seekable independently of any other reader of `file`.
#[derive(Debug, Clone)]
pub struct RangeReader {
    file: Arc<dyn ReadAt>,
    start: u64,
    len: u64,
    pos: u64,
}

impl RangeReader {
    /// The range `start..start + len` of `file`.
    pub fn new(file: Arc<dyn ReadAt>, start: u64, len: u64) -> Self {
        Self {
            file,
            start,
            len,
            pos: 0,
        }
    }
}

impl Read for RangeReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let left = self.len.saturating_sub(self.pos);
        let want = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        let Some(buf) = buf.get_mut(..want) else {
            return Ok(0);
        };
        if buf.is_empty() {
            return Ok(0);
        }
        let n = self
            .file
            .read_at(buf, self.start.saturating_add(self.pos))?;
        if n == 0 {
            // The listing checked the range against the archive's size: an archive that shrank since must not
            // pass for a shorter member.
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the archive ends inside this member",
            ));
        }
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for RangeReader {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        self.pos = target(pos, self.pos, self.len)?;
        Ok(self.pos)
    }
}

/// Reads into `buf` from `offset` until it is full or the file ends; `None` on an I/O error.
pub(crate) fn read_full_at(file: &dyn ReadAt, buf: &mut [u8], offset: u64) -> Option<usize> {
    let mut n = 0;
    while let Some(rest) = buf.get_mut(n..)
        && !rest.is_empty()
    {
        match file.read_at(rest, offset.saturating_add(n as u64)) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => return None,
        }
    }
    Some(n)
}

/// The absolute position `pos` asks for, given the current position and the size.
fn target(pos: SeekFrom, current: u64, size: u64) -> io::Result<u64> {
    let (base, delta) = match pos {
        SeekFrom::Start(p) => return Ok(p),
        SeekFrom::Current(d) => (current, d),
        SeekFrom::End(d) => (size, d),
    };
    base.checked_add_signed(delta).ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            "seek before the start of the member",
        )
    })
}

/// A deflated member, inflated on demand: the first [`PREFIX_CAP`] bytes are kept so the header reader can seek
/// back inside them; past them, seeking forward inflates and discards. Output is capped at the declared size.
pub struct Inflating {
    decoder: Take<DeflateDecoder<RangeReader>>,
    prefix: Vec<u8>,
    produced: u64,
    pos: u64,
    size: u64,
    budget: Arc<InflateBudget>,
}

impl Inflating {
    /// Inflates `compressed`, which declares `size` bytes once inflated, drawing on `budget`.
    pub fn new(compressed: RangeReader, size: u64, budget: Arc<InflateBudget>) -> Self {
        Self {
            decoder: DeflateDecoder::new(compressed).take(size),
            prefix: Vec::new(),
            produced: 0,
            pos: 0,
            size,
            budget,
        }
    }

    /// Inflates into `buf`, keeping a copy while inside the prefix.
    fn produce(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.decoder.read(buf)?;
        if !self.budget.take(n as u64) {
            return Err(InflateBudget::spent());
        }
        let got = buf.get(..n).unwrap_or_default();
        if self.prefix.len() as u64 == self.produced {
            let room = PREFIX_CAP.saturating_sub(self.prefix.len());
            self.prefix
                .extend_from_slice(got.get(..room.min(n)).unwrap_or_default());
        }
        self.produced += n as u64;
        Ok(n)
    }

    /// Inflates and discards until `produced` reaches `pos` (or the data ends).
    fn skip_to_pos(&mut self) -> io::Result<()> {
        let mut scratch = [0u8; 16 * 1024];
        while self.produced < self.pos {
            let want = usize::try_from(self.pos - self.produced)
                .unwrap_or(usize::MAX)
                .min(scratch.len());
            let Some(chunk) = scratch.get_mut(..want) else {
                break;
            };
            if self.produce(chunk)? == 0 {
                break;
            }
        }
        Ok(())
    }
}

impl Read for Inflating {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let Ok(at) = usize::try_from(self.pos)
            && let Some(kept) = self.prefix.get(at..)
            && !kept.is_empty()
        {
            let n = kept.len().min(buf.len());
            if let (Some(dst), Some(src)) = (buf.get_mut(..n), kept.get(..n)) {
                dst.copy_from_slice(src);
            }
            self.pos += n as u64;
            return Ok(n);
        }
        if self.pos < self.produced {
            return Err(io::Error::other(
                "cannot seek back that far in a compressed archive member",
            ));
        }
        self.skip_to_pos()?;
        if self.produced < self.pos {
            return Ok(0);
        }
        let n = self.produce(buf)?;
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for Inflating {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        self.pos = target(pos, self.pos, self.size)?;
        Ok(self.pos)
    }
}

/// One member of an archive, opened for reading.
pub enum EntryReader {
    /// Stored without compression (zip) or an ISO 9660 extent.
    Plain(RangeReader),
    /// A deflated zip member.
    Inflate(Box<Inflating>),
}

impl Read for EntryReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Self::Plain(r) => r.read(buf),
            Self::Inflate(r) => r.read(buf),
        }
    }
}

impl Seek for EntryReader {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        match self {
            Self::Plain(r) => r.seek(pos),
            Self::Inflate(r) => r.seek(pos),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn file_with(bytes: &[u8]) -> Arc<dyn ReadAt> {
        Arc::new(bytes.to_vec())
    }

    #[test]
    fn a_range_reads_only_its_bytes_and_seeks_inside_them() {
        let file = file_with(b"0123456789");
        let mut r = RangeReader::new(file, 2, 5);
        let mut all = Vec::new();
        r.read_to_end(&mut all).unwrap();
        assert_eq!(all, b"23456");
        r.seek(SeekFrom::Current(-3)).unwrap();
        let mut two = [0u8; 2];
        r.read_exact(&mut two).unwrap();
        assert_eq!(&two, b"45");
        assert!(r.seek(SeekFrom::Current(-10)).is_err());

        let mut past_the_end = RangeReader::new(file_with(b"0123"), 2, 5);
        let mut all = Vec::new();
        let err = past_the_end.read_to_end(&mut all).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
        assert_eq!(all, b"23", "only the bytes that are there");
    }

    #[test]
    fn inflating_stops_when_the_scan_s_budget_is_spent() {
        let data = vec![0u8; 1 << 20];
        let mut enc = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(&data).unwrap();
        let compressed = enc.finish().unwrap();
        let len = compressed.len() as u64;
        let file = file_with(&compressed);
        let budget = Arc::new(InflateBudget::new(1_500_000));
        let mut first = Inflating::new(
            RangeReader::new(file.clone(), 0, len),
            1 << 20,
            budget.clone(),
        );
        assert_eq!(io::copy(&mut first, &mut io::sink()).unwrap(), 1 << 20);
        let mut second = Inflating::new(RangeReader::new(file, 0, len), 1 << 20, budget);
        let err = io::copy(&mut second, &mut io::sink()).unwrap_err();
        assert!(InflateBudget::is_spent(&err), "{err}");
    }

    #[test]
    fn inflating_seeks_back_in_the_prefix_forward_anywhere_and_stops_at_the_declared_size() {
        let data: Vec<u8> = (0..600_000u32).map(|i| (i % 251) as u8).collect();
        let mut enc = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(&data).unwrap();
        let compressed = enc.finish().unwrap();
        let file = file_with(&compressed);
        let len = compressed.len() as u64;

        let budget = Arc::new(InflateBudget::new(1 << 30));
        let mut r = Inflating::new(
            RangeReader::new(file.clone(), 0, len),
            data.len() as u64,
            budget.clone(),
        );
        let mut head = [0u8; 132];
        r.read_exact(&mut head).unwrap();
        r.seek(SeekFrom::Start(128)).unwrap();
        let mut four = [0u8; 4];
        r.read_exact(&mut four).unwrap();
        assert_eq!(four, data[128..132]);
        r.seek(SeekFrom::Start(500_000)).unwrap();
        r.read_exact(&mut four).unwrap();
        assert_eq!(four, data[500_000..500_004]);
        r.seek(SeekFrom::Start(400_000)).unwrap();
        assert!(r.read(&mut four).is_err(), "behind the prefix, before here");

        let mut short = Inflating::new(RangeReader::new(file, 0, len), 1000, budget);
        let mut all = Vec::new();
        short.read_to_end(&mut all).unwrap();
        assert_eq!(all, data[..1000]);
    }

    #[test]
    fn a_cut_deflate_stream_ends_early_instead_of_hanging() {
        let data = vec![7u8; 100_000];
        let mut enc = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(&data).unwrap();
        let compressed = enc.finish().unwrap();
        let file = file_with(&compressed[..compressed.len() / 2]);
        let mut r = Inflating::new(
            RangeReader::new(file, 0, compressed.len() as u64 / 2),
            data.len() as u64,
            Arc::new(InflateBudget::new(1 << 30)),
        );
        let mut all = Vec::new();
        let result = r.read_to_end(&mut all);
        assert!(result.is_err() || all.len() < data.len());
    }
}

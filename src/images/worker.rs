//! Isolation: frames are decoded in worker processes of this same binary, each with an address-space limit, a
//! CPU-time limit per file and no core dumps, so that a decoder that panics, aborts, overflows its stack, loops
//! or allocates without bound costs one file a finding, never the run or the machine. The scanning process
//! restarts a worker that died or stopped answering.
//!
//! Protocol on the worker's stdin: one JSON `Request` line, then the bytes it announces; on its stdout: one
//! JSON [`Decoded`] line per request that wants a reply. A file goes as its header, then each frame's bytes and
//! a request to decode them: the worker holds one frame at a time.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::assemble::Decoding;
use super::decode::{Decoded, FrameDecoder, Problem, ProblemKind, panic_text};
use super::split::{CHUNK, MAX_HEADER_BYTES};

/// Set in a worker's environment: the process serves decode requests instead of checking a disc.
pub const WORKER_ENV: &str = "DICOMCHECK_IMAGE_WORKER";

/// Address space a worker may map: room for a frame's compressed bytes, its decoded pixels and the decoder's
/// working memory, each at most [`MAX_FRAME_BYTES`](super::decode::MAX_FRAME_BYTES).
const ADDRESS_SPACE: u64 = 3 << 30;

/// CPU seconds a worker may spend on one file, plus [`CPU_SECONDS_PER_MIB`] per MiB of file. Decoding a real
/// frame costs well under a second per MiB; a few seconds more is a hostile file (the mutation test met 35 KB
/// files costing 12 s), and a disc of such files must not take hours.
const CPU_SECONDS: u64 = 5;

/// CPU seconds per MiB of file, on top of [`CPU_SECONDS`].
const CPU_SECONDS_PER_MIB: u64 = 2;

/// One request to a worker.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "do", rename_all = "snake_case")]
enum Request {
    /// A file's attributes before its Pixel Data, `len` bytes; the reply says if they can be read. `name` (the
    /// file's path on the media) serves the test hooks only.
    Header { name: String, len: u64 },
    /// `len` more bytes of the frame being sent; no reply.
    Bytes { len: u64 },
    /// Decode the frame sent; the reply counts it alone.
    Frame {
        index: u32,
        native: bool,
        thumbnail: bool,
    },
}

/// Runs the worker loop when this process was started as a worker; returns its exit code.
pub fn run_if_worker() -> Option<i32> {
    std::env::var_os(WORKER_ENV)?;
    std::panic::set_hook(Box::new(|_| {}));
    limits::address_space(ADDRESS_SPACE);
    limits::no_core_dumps();
    Some(
        match serve(&mut io::stdin().lock(), &mut io::stdout().lock()) {
            Ok(()) => 0,
            Err(_) => 1,
        },
    )
}

fn serve(input: &mut impl BufRead, output: &mut impl Write) -> io::Result<()> {
    let mut line = String::new();
    let mut decoder = FrameDecoder::default();
    let mut name = String::new();
    loop {
        line.clear();
        if input.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let request: Request = serde_json::from_str(&line).map_err(io::Error::other)?;
        let decoded = match request {
            Request::Header { name: file, len } => {
                name = file;
                decoder.header(&read_payload(input, len, MAX_HEADER_BYTES)?)
            }
            Request::Bytes { len } => {
                decoder.append(&read_payload(input, len, CHUNK)?);
                continue;
            }
            Request::Frame {
                index,
                native,
                thumbnail,
            } => {
                limits::cpu_from_now(cpu_seconds(decoder.pending()));
                guarded(|| {
                    test_hook(&name);
                    decoder.frame(index, native, thumbnail, &mut |_, _| {})
                })
            }
        };
        serde_json::to_writer(&mut *output, &decoded).map_err(io::Error::other)?;
        output.write_all(b"\n")?;
        output.flush()?;
    }
}

/// Lets the test hooks misbehave for the file `_name`, where a decoder would (test builds only).
fn test_hook(_name: &str) {
    #[cfg(feature = "test-hooks")]
    super::hooks::on_decode(_name);
}

/// The `len` bytes that follow a request, refused beyond `most`.
fn read_payload(input: &mut impl BufRead, len: u64, most: u64) -> io::Result<Vec<u8>> {
    if len > most {
        return Err(io::Error::other("request larger than a worker accepts"));
    }
    let mut bytes = Vec::new();
    input.take(len).read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// Runs a decoder; a panic becomes the frame's finding.
fn guarded(decode: impl FnOnce() -> Decoded) -> Decoded {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(decode)).unwrap_or_else(|panic| {
        let mut decoded = Decoded::default();
        decoded.problems.push(Problem {
            kind: ProblemKind::DecoderCrashed,
            frame: None,
            detail: format!("the decoder panicked: {}", panic_text(&*panic)),
        });
        decoded
    })
}

/// CPU seconds allowed for decoding `bytes` of compressed data.
fn cpu_seconds(bytes: u64) -> u64 {
    CPU_SECONDS + CPU_SECONDS_PER_MIB * (bytes >> 20)
}

/// The worker's own resource limits. On unix: rlimits (address space, core dumps, CPU time per file); on Windows
/// a Job Object (below). Elsewhere none: the parent's wall-clock deadline still kills a worker that stops
/// answering.
#[cfg(unix)]
mod limits {
    /// `setrlimit` with the resource constant's own type on each system (an enum on glibc, an int elsewhere).
    macro_rules! set_limit {
        ($resource:expr, $soft:expr, $hard:expr) => {{
            let limit = libc::rlimit {
                rlim_cur: $soft as libc::rlim_t,
                rlim_max: $hard as libc::rlim_t,
            };
            // SAFETY: setrlimit only reads the struct passed by reference.
            unsafe { libc::setrlimit($resource, &limit) };
        }};
    }

    /// Caps the address space this process may map, best effort.
    pub fn address_space(bytes: u64) {
        set_limit!(libc::RLIMIT_AS, bytes, bytes);
    }

    /// A crashing decoder leaves no core file behind.
    pub fn no_core_dumps() {
        set_limit!(libc::RLIMIT_CORE, 0, 0);
    }

    /// Lets this process use `seconds` more CPU time (SIGXCPU kills it beyond): a per-file budget, as the limit
    /// counts the whole life of the process.
    pub fn cpu_from_now(seconds: u64) {
        // SAFETY: getrusage writes into the zeroed struct it is given.
        let used = unsafe {
            let mut usage: libc::rusage = std::mem::zeroed();
            libc::getrusage(libc::RUSAGE_SELF, &mut usage);
            (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) as u64
        };
        set_limit!(libc::RLIMIT_CPU, used + seconds, libc::RLIM_INFINITY);
    }
}

/// On Windows: a Job Object the worker puts itself in, capping its committed memory and its CPU time per file
/// (the system ends the process beyond either), and no crash dialog that would wait for a click.
#[cfg(windows)]
mod limits {
    use std::sync::OnceLock;

    use windows_sys::Win32::Foundation::{FILETIME, HANDLE};
    use windows_sys::Win32::System::Diagnostics::Debug::{
        SEM_FAILCRITICALERRORS, SEM_NOGPFAULTERRORBOX, SetErrorMode,
    };
    use windows_sys::Win32::System::JobObjects::{
        AssignProcessToJobObject, CreateJobObjectW, JOB_OBJECT_LIMIT_DIE_ON_UNHANDLED_EXCEPTION,
        JOB_OBJECT_LIMIT_PROCESS_MEMORY, JOB_OBJECT_LIMIT_PROCESS_TIME,
        JOBOBJECT_EXTENDED_LIMIT_INFORMATION, JobObjectExtendedLimitInformation,
        SetInformationJobObject,
    };
    use windows_sys::Win32::System::Threading::{GetCurrentProcess, GetProcessTimes};

    /// The worker's job (its handle as an integer: the job lives as long as the process) and memory cap.
    static JOB: OnceLock<(usize, u64)> = OnceLock::new();

    /// Puts this process in a new job whose processes may commit at most `bytes`, best effort.
    pub fn address_space(bytes: u64) {
        // SAFETY: plain kernel32 calls on handles this process owns; null attributes and name are allowed.
        unsafe {
            let job = CreateJobObjectW(std::ptr::null(), std::ptr::null());
            if job.is_null() || AssignProcessToJobObject(job, GetCurrentProcess()) == 0 {
                return;
            }
            let _ = JOB.set((job as usize, bytes));
        }
        set_limits(None);
    }

    /// A crashing decoder ends the process at once instead of showing the error dialog.
    pub fn no_core_dumps() {
        // SAFETY: sets this process's error mode only.
        unsafe { SetErrorMode(SEM_FAILCRITICALERRORS | SEM_NOGPFAULTERRORBOX) };
    }

    /// Lets this process use `seconds` more CPU time (the limit counts its whole life, as on unix).
    pub fn cpu_from_now(seconds: u64) {
        set_limits(Some(seconds));
    }

    fn set_limits(cpu_seconds: Option<u64>) {
        let Some(&(job, memory)) = JOB.get() else {
            return;
        };
        // SAFETY: a zeroed limit structure is valid (no limits); the kernel reads it by pointer and size.
        unsafe {
            let mut info: JOBOBJECT_EXTENDED_LIMIT_INFORMATION = std::mem::zeroed();
            let basic = &mut info.BasicLimitInformation;
            basic.LimitFlags =
                JOB_OBJECT_LIMIT_PROCESS_MEMORY | JOB_OBJECT_LIMIT_DIE_ON_UNHANDLED_EXCEPTION;
            if let Some(seconds) = cpu_seconds {
                basic.LimitFlags |= JOB_OBJECT_LIMIT_PROCESS_TIME;
                // In 100 ns units.
                basic.PerProcessUserTimeLimit = (user_time() + seconds * 10_000_000) as i64;
            }
            info.ProcessMemoryLimit = memory as usize;
            SetInformationJobObject(
                job as HANDLE,
                JobObjectExtendedLimitInformation,
                (&info as *const JOBOBJECT_EXTENDED_LIMIT_INFORMATION).cast(),
                size_of::<JOBOBJECT_EXTENDED_LIMIT_INFORMATION>() as u32,
            );
        }
    }

    /// User CPU time of this process so far, in 100 ns units.
    fn user_time() -> u64 {
        let zero = FILETIME {
            dwLowDateTime: 0,
            dwHighDateTime: 0,
        };
        let (mut created, mut exited, mut kernel, mut user) = (zero, zero, zero, zero);
        // SAFETY: GetProcessTimes writes the four FILETIMEs it is given, for this process.
        unsafe {
            GetProcessTimes(
                GetCurrentProcess(),
                &mut created,
                &mut exited,
                &mut kernel,
                &mut user,
            );
        }
        (u64::from(user.dwHighDateTime) << 32) | u64::from(user.dwLowDateTime)
    }
}

#[cfg(not(any(unix, windows)))]
mod limits {
    pub fn address_space(_bytes: u64) {}
    pub fn no_core_dumps() {}
    pub fn cpu_from_now(_seconds: u64) {}
}

/// A running worker, seen from the scanning process.
pub struct Worker {
    child: Child,
    stdin: ChildStdin,
    replies: Receiver<String>,
}

impl Worker {
    /// Starts `program` as a worker.
    pub fn spawn(program: &Path) -> io::Result<Self> {
        let mut child = Command::new(program)
            .env(WORKER_ENV, "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()?;
        let stdin = child
            .stdin
            .take()
            .ok_or_else(|| io::Error::other("no stdin"))?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| io::Error::other("no stdout"))?;
        let (sender, replies) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { return };
                if sender.send(line).is_err() {
                    return;
                }
            }
        });
        Ok(Self {
            child,
            stdin,
            replies,
        })
    }

    /// Sends one request and its payload; waits for the reply, at most `patience`, if `reply`. `Err` means the
    /// worker is gone (crashed or killed for hanging) and the reason, phrased as the file's problem.
    fn ask(
        &mut self,
        request: &Request,
        payload: &[u8],
        patience: Option<Duration>,
    ) -> Result<Option<Decoded>, String> {
        let mut head = serde_json::to_vec(request).map_err(|e| e.to_string())?;
        head.push(b'\n');
        let sent = self
            .stdin
            .write_all(&head)
            .and_then(|()| self.stdin.write_all(payload))
            .and_then(|()| self.stdin.flush());
        let reply = match (sent, patience) {
            (Ok(()), None) => return Ok(None),
            (Ok(()), Some(patience)) => self.replies.recv_timeout(patience),
            (Err(_), _) => Err(RecvTimeoutError::Disconnected),
        };
        match reply {
            Ok(line) => serde_json::from_str(&line)
                .map(Some)
                .map_err(|e| format!("bad reply: {e}")),
            Err(RecvTimeoutError::Timeout) => {
                let _ = self.child.kill();
                let _ = self.child.wait();
                Err(format!(
                    "the decoder did not finish within {} seconds",
                    patience.map_or(0, |p| p.as_secs())
                ))
            }
            Err(RecvTimeoutError::Disconnected) => {
                let status = self.child.wait();
                Err(match status {
                    Ok(status) => format!("the decoder crashed ({})", describe(status)),
                    Err(e) => format!("the decoder crashed ({e})"),
                })
            }
        }
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// How a worker ended, in words.
#[cfg(unix)]
fn describe(status: std::process::ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match status.signal() {
        Some(libc::SIGABRT) => "aborted, signal 6".into(),
        Some(libc::SIGSEGV) => "memory fault, signal 11".into(),
        Some(libc::SIGXCPU) => "out of CPU time, signal 24".into(),
        Some(libc::SIGKILL) => "killed, signal 9".into(),
        Some(signal) => format!("signal {signal}"),
        None => status.to_string(),
    }
}

/// How a worker ended, in words.
#[cfg(not(unix))]
fn describe(status: std::process::ExitStatus) -> String {
    status.to_string()
}

/// One decoding slot: a worker started on first use and restarted after it died (a file whose worker died
/// is not sent further: the new worker has not seen its header).
pub struct Slot<'p> {
    program: &'p Path,
    worker: Option<Worker>,
    /// Bytes of the frame being sent, for the frame's patience.
    pending: u64,
}

impl<'p> Slot<'p> {
    /// A slot that runs `program` as its worker.
    pub fn new(program: &'p Path) -> Self {
        Self {
            program,
            worker: None,
            pending: 0,
        }
    }

    /// Sends a request to the slot's worker, started if needed; a dead worker is dropped, its reason returned.
    fn ask(
        &mut self,
        request: &Request,
        payload: &[u8],
        patience: Option<Duration>,
    ) -> Result<Option<Decoded>, String> {
        let mut worker = match self.worker.take() {
            Some(worker) => worker,
            None => Worker::spawn(self.program)
                .map_err(|e| format!("the decoder could not start: {e}"))?,
        };
        let reply = worker.ask(request, payload, patience)?;
        self.worker = Some(worker);
        Ok(reply)
    }

    fn ask_reply(
        &mut self,
        request: &Request,
        payload: &[u8],
        bytes: u64,
    ) -> Result<Decoded, String> {
        self.ask(request, payload, Some(patience(bytes)))?
            .ok_or_else(|| "no reply".to_string())
    }
}

impl Decoding for Slot<'_> {
    fn header(&mut self, name: &str, bytes: &[u8]) -> Result<Decoded, String> {
        self.pending = 0;
        let request = Request::Header {
            name: name.to_string(),
            len: bytes.len() as u64,
        };
        self.ask_reply(&request, bytes, bytes.len() as u64)
    }

    fn bytes(&mut self, bytes: &[u8]) -> Result<(), String> {
        self.pending += bytes.len() as u64;
        let request = Request::Bytes {
            len: bytes.len() as u64,
        };
        self.ask(&request, bytes, None).map(|_| ())
    }

    fn frame(&mut self, index: u32, native: bool, thumbnail: bool) -> Result<Decoded, String> {
        let request = Request::Frame {
            index,
            native,
            thumbnail,
        };
        let pending = std::mem::take(&mut self.pending);
        self.ask_reply(&request, &[], pending)
    }
}

/// Wall time allowed for one request about `len` bytes: the CPU budget, twice, as other processes share the CPUs.
fn patience(len: u64) -> Duration {
    #[cfg(feature = "test-hooks")]
    if let Some(seconds) = super::hooks::patience() {
        return Duration::from_secs(seconds);
    }
    Duration::from_secs(2 * cpu_seconds(len))
}

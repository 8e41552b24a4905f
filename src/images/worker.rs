//! Isolation: frames are decoded in worker processes of this same binary, each with an address-space limit, a
//! CPU-time limit per file and no core dumps, so that a decoder that panics, aborts, overflows its stack, loops
//! or allocates without bound costs one file a finding, never the run or the machine. The scanning process
//! restarts a worker that died or stopped answering.
//!
//! Protocol on the worker's stdin: one JSON `Request` line, then exactly `len` bytes of the file; on its
//! stdout: one JSON [`Decoded`] line per request.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::decode::{Decoded, Problem, ProblemKind, decode, panic_text};

/// Set in a worker's environment: the process serves decode requests instead of checking a disc.
pub const WORKER_ENV: &str = "DICOMCHECK_IMAGE_WORKER";

/// Address space a worker may map: room for the largest file accepted and a few decoded frames.
const ADDRESS_SPACE: u64 = 3 << 30;

/// Largest file a worker accepts (the scanning process reads larger files through without decoding them).
pub const MAX_FILE_BYTES: u64 = 512 << 20;

/// CPU seconds a worker may spend on one file, plus [`CPU_SECONDS_PER_MIB`] per MiB of file. Decoding a real
/// frame costs well under a second per MiB; a few seconds more is a hostile file (the mutation test met 35 KB
/// files costing 12 s), and a disc of such files must not take hours.
const CPU_SECONDS: u64 = 5;

/// CPU seconds per MiB of file, on top of [`CPU_SECONDS`].
const CPU_SECONDS_PER_MIB: u64 = 2;

/// One decode request.
#[derive(Debug, Serialize, Deserialize)]
struct Request {
    /// The file's path on the media, for the test hooks only.
    name: String,
    /// Bytes that follow.
    len: u64,
    /// Render the middle frame as a thumbnail.
    thumbnail: bool,
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
    loop {
        line.clear();
        if input.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let request: Request = serde_json::from_str(&line).map_err(io::Error::other)?;
        if request.len > MAX_FILE_BYTES {
            return Err(io::Error::other("request larger than a worker accepts"));
        }
        let mut bytes = Vec::new();
        input.take(request.len).read_to_end(&mut bytes)?;
        limits::cpu_from_now(CPU_SECONDS + CPU_SECONDS_PER_MIB * (request.len >> 20));
        let decoded = std::panic::catch_unwind(|| {
            #[cfg(feature = "test-hooks")]
            super::hooks::on_decode(&request.name);
            decode(&bytes, request.thumbnail)
        })
        .unwrap_or_else(|panic| crashed(format!("the decoder panicked: {}", panic_text(&*panic))));
        serde_json::to_writer(&mut *output, &decoded).map_err(io::Error::other)?;
        output.write_all(b"\n")?;
        output.flush()?;
    }
}

/// A file's result when its decoder died.
fn crashed(detail: String) -> Decoded {
    Decoded {
        frames_declared: 1,
        problems: vec![Problem {
            kind: ProblemKind::DecoderCrashed,
            frame: None,
            detail,
        }],
        ..Decoded::default()
    }
}

/// The worker's own resource limits. On unix: rlimits (address space, core dumps, CPU time per file). Elsewhere
/// none yet (a Windows Job Object would be the equivalent): there the parent's wall-clock deadline still kills a
/// worker that stops answering, but a decoder's memory is not capped.
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

#[cfg(not(unix))]
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

    /// Sends one file and waits for its result, at most `patience`. `Err` means the worker is gone (crashed
    /// or killed for hanging) and the reason, phrased as the file's problem.
    fn ask(
        &mut self,
        name: &str,
        bytes: &[u8],
        thumbnail: bool,
        patience: Duration,
    ) -> Result<Decoded, String> {
        let request = Request {
            name: name.to_string(),
            len: bytes.len() as u64,
            thumbnail,
        };
        let mut head = serde_json::to_vec(&request).map_err(|e| e.to_string())?;
        head.push(b'\n');
        let sent = self
            .stdin
            .write_all(&head)
            .and_then(|()| self.stdin.write_all(bytes))
            .and_then(|()| self.stdin.flush());
        let reply = match sent {
            Ok(()) => self.replies.recv_timeout(patience),
            Err(_) => Err(RecvTimeoutError::Disconnected),
        };
        match reply {
            Ok(line) => serde_json::from_str(&line).map_err(|e| format!("bad reply: {e}")),
            Err(RecvTimeoutError::Timeout) => {
                let _ = self.child.kill();
                let _ = self.child.wait();
                Err(format!(
                    "the decoder did not finish within {} seconds",
                    patience.as_secs()
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

/// One decoding slot: a worker started on first use and restarted after it died.
pub struct Slot<'p> {
    program: &'p Path,
    worker: Option<Worker>,
}

impl<'p> Slot<'p> {
    /// A slot that runs `program` as its worker.
    pub fn new(program: &'p Path) -> Self {
        Self {
            program,
            worker: None,
        }
    }

    /// Decodes one file's bytes in the slot's worker. A dead worker becomes the file's finding.
    pub fn decode(&mut self, name: &str, bytes: &[u8], thumbnail: bool) -> Decoded {
        let worker = match self.worker.take() {
            Some(worker) => worker,
            None => match Worker::spawn(self.program) {
                Ok(worker) => worker,
                Err(e) => return crashed(format!("the decoder could not start: {e}")),
            },
        };
        let mut worker = worker;
        match worker.ask(name, bytes, thumbnail, patience(bytes.len() as u64)) {
            Ok(decoded) => {
                self.worker = Some(worker);
                decoded
            }
            Err(reason) => crashed(reason),
        }
    }
}

/// Wall time allowed for one file: the CPU budget, twice, as other processes share the CPUs.
fn patience(len: u64) -> Duration {
    #[cfg(feature = "test-hooks")]
    if let Some(seconds) = super::hooks::patience() {
        return Duration::from_secs(seconds);
    }
    Duration::from_secs(2 * (CPU_SECONDS + CPU_SECONDS_PER_MIB * (len >> 20)))
}

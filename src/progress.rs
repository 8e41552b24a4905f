//! Progress on stderr: how many files have been read, and which file a stuck read is waiting for (a scratched
//! disc can block one read for minutes; the patient should see which file, not a frozen bar).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A read older than this is named on the progress line.
const STUCK_AFTER: Duration = Duration::from_secs(2);
/// How often the watcher looks at the reads in flight.
const WATCH_EVERY: Duration = Duration::from_millis(250);

/// A spinner on stderr while the media is being listed (before the number of files, and so the bar, is known):
/// listing a large folder on a slow disc takes a while, and a blank screen looks like a hang. Cleared on drop.
pub struct Listing(ProgressBar);

impl Listing {
    /// Shows `listing the files on <root>…` when `visible`.
    pub fn new(visible: bool, root: &Path) -> Self {
        if !visible {
            return Self(ProgressBar::hidden());
        }
        let bar = ProgressBar::new_spinner().with_message(format!(
            "listing the files on {}…",
            crate::charset::printable(&root.to_string_lossy())
        ));
        bar.tick();
        bar.enable_steady_tick(Duration::from_millis(200));
        Self(bar)
    }
}

impl Drop for Listing {
    fn drop(&mut self) {
        self.0.finish_and_clear();
    }
}

/// The progress bar, with a watcher that names stuck reads. Hidden (and free) when not shown.
pub struct Progress {
    bar: ProgressBar,
    in_flight: Option<Arc<InFlight>>,
    stop: Arc<AtomicBool>,
    watcher: Option<JoinHandle<()>>,
}

impl Progress {
    /// A bar for `total` files on stderr when `visible`, for reads made by up to `threads` pool threads (plus
    /// any other thread).
    pub fn new(visible: bool, total: u64, threads: usize) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        if !visible {
            return Self {
                bar: ProgressBar::hidden(),
                in_flight: None,
                stop,
                watcher: None,
            };
        }
        let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
        set_template(&bar, READING);
        bar.enable_steady_tick(Duration::from_millis(200));
        let in_flight = Arc::new(InFlight::new(threads + 1));
        let watcher = {
            let (bar, in_flight, stop) = (bar.clone(), Arc::clone(&in_flight), Arc::clone(&stop));
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    bar.set_message(
                        in_flight
                            .stuck(Instant::now(), STUCK_AFTER)
                            .map(|(path, waited)| stuck_message(&path, waited))
                            .unwrap_or_default(),
                    );
                    std::thread::sleep(WATCH_EVERY);
                }
            })
        };
        Self {
            bar,
            in_flight: Some(in_flight),
            stop,
            watcher: Some(watcher),
        }
    }

    /// Marks `path` as being read by the calling thread until the returned guard is dropped.
    pub fn reading(&self, path: &Path) -> Reading<'_> {
        let slot = self
            .in_flight
            .as_deref()
            .map(|in_flight| in_flight.enter(path));
        Reading {
            in_flight: self.in_flight.as_deref(),
            slot,
        }
    }

    /// A bar for files read while `root` is still being listed (see [`Progress::grow`]): it says so, with the
    /// number read, until [`Progress::listed`].
    pub fn listing(visible: bool, root: &Path, threads: usize) -> Self {
        let progress = Self::new(visible, 0, threads);
        if visible {
            progress
                .bar
                .set_prefix(crate::charset::printable(&root.to_string_lossy()));
            set_template(&progress.bar, LISTING);
            progress.bar.tick();
        }
        progress
    }

    /// `files` more files to read, just listed.
    pub fn grow(&self, files: u64) {
        self.bar.inc_length(files);
    }

    /// The listing is over: the bar counts the files read out of all there are.
    pub fn listed(&self) {
        if !self.bar.is_hidden() {
            set_template(&self.bar, READING);
        }
    }

    /// One more file read.
    pub fn inc(&self) {
        self.bar.inc(1);
    }

    /// Stops the watcher and clears the bar.
    pub fn finish(mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(watcher) = self.watcher.take() {
            let _ = watcher.join();
        }
        self.bar.finish_and_clear();
    }
}

/// The bar while the files are read.
const READING: &str = "{spinner} reading {pos}/{len} files {wide_bar} {eta} {msg}";
/// The bar while the files are read and still listed (their number not yet known).
const LISTING: &str = "{spinner} listing the files on {prefix}… {pos} read {msg}";

fn set_template(bar: &ProgressBar, template: &str) {
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style);
    }
}

/// The progress line's note on a stuck read; the file name comes from the media, so it is made terminal-safe.
fn stuck_message(path: &Path, waited: Duration) -> String {
    format!(
        "waiting {} s for {} (the disc may be scratched)",
        waited.as_secs(),
        crate::charset::printable(&path.to_string_lossy())
    )
}

/// A read in flight; leaving it clears the thread's slot.
pub struct Reading<'p> {
    in_flight: Option<&'p InFlight>,
    slot: Option<usize>,
}

impl Drop for Reading<'_> {
    fn drop(&mut self) {
        if let (Some(in_flight), Some(slot)) = (self.in_flight, self.slot) {
            in_flight.leave(slot);
        }
    }
}

/// What each reading thread is reading, and since when. One slot per pool thread (uncontended locks), and a
/// last one shared by threads outside the pool.
struct InFlight {
    slots: Vec<Mutex<Option<(Instant, PathBuf)>>>,
}

impl InFlight {
    fn new(slots: usize) -> Self {
        Self {
            slots: (0..slots.max(1)).map(|_| Mutex::new(None)).collect(),
        }
    }

    fn enter(&self, path: &Path) -> usize {
        let last = self.slots.len() - 1;
        let slot = rayon::current_thread_index().map_or(last, |i| i.min(last));
        if let Ok(mut entry) = self.slots[slot].lock() {
            *entry = Some((Instant::now(), path.to_path_buf()));
        }
        slot
    }

    fn leave(&self, slot: usize) {
        if let Ok(mut entry) = self.slots[slot].lock() {
            *entry = None;
        }
    }

    /// The oldest read in flight, if it has been waiting longer than `after` at `now`.
    fn stuck(&self, now: Instant, after: Duration) -> Option<(PathBuf, Duration)> {
        self.slots
            .iter()
            .filter_map(|slot| slot.lock().ok().and_then(|entry| entry.clone()))
            .map(|(since, path)| (path, now.saturating_duration_since(since)))
            .filter(|(_, waited)| *waited > after)
            .max_by_key(|(_, waited)| *waited)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_oldest_read_past_the_threshold_is_the_one_named() {
        let in_flight = InFlight::new(3);
        let now = Instant::now();
        assert_eq!(in_flight.stuck(now, STUCK_AFTER), None);
        let first = in_flight.enter(Path::new("DICOM/IM000001"));
        assert_eq!(
            in_flight.stuck(now + Duration::from_secs(1), STUCK_AFTER),
            None
        );
        let (path, waited) = in_flight
            .stuck(now + Duration::from_secs(5), STUCK_AFTER)
            .unwrap();
        assert_eq!(path, Path::new("DICOM/IM000001"));
        assert!(waited >= Duration::from_secs(4));
        in_flight.leave(first);
        assert_eq!(
            in_flight.stuck(now + Duration::from_secs(5), STUCK_AFTER),
            None
        );
    }

    #[test]
    fn a_stuck_read_is_named_without_its_escape_sequences() {
        let name = Path::new("DICOM/IM\x1b]0;title\x07\x1b[2J\u{9b}1m");
        let message = stuck_message(name, Duration::from_secs(7));
        assert!(message.starts_with("waiting 7 s for DICOM/IM"), "{message}");
        assert!(
            !message
                .chars()
                .any(|c| c.is_control() || ('\u{80}'..='\u{9f}').contains(&c)),
            "{message:?}"
        );
    }

    #[test]
    fn a_hidden_progress_tracks_nothing() {
        let progress = Progress::new(false, 10, 2);
        let reading = progress.reading(Path::new("IM1"));
        assert!(reading.slot.is_none());
        drop(reading);
        progress.inc();
        progress.finish();
    }
}

//! Work handed off the path to the report.

/// Frees what a check built (the records of every file, the catalog, a DICOMDIR read, the checks' working
/// values) on a thread of its own, so the report does not wait for it: on a disc of 20,000 images that is some
/// 100,000 allocations, a few milliseconds. A program that exits once it has printed the report ends that thread
/// with it. Where no thread can be had (a browser), they are freed here.
pub(crate) fn free<T: Send + 'static>(built: T) {
    // A thread that cannot be spawned hands the closure back dropped: `built` is freed here then.
    let _ = std::thread::Builder::new().spawn(move || drop(built));
}

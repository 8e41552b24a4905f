//! dicomcheck in a web page: the core, compiled to WebAssembly, run in a Web Worker on the files the user picked.
//!
//! The worker keeps the browser's `File` objects in a table and reads them in slices (`FileReaderSync` on
//! `Blob.slice`, see `web/worker.js`); Rust sees each file as a [`ReadAt`] that asks JavaScript for the bytes at an
//! offset, so nothing is loaded whole and a 4 GB disc image works. A folder becomes [`Files`]; a `.zip` or `.iso`
//! is listed in place by the same archive readers as on the command line.

use std::io;
use std::path::Path;
use std::sync::Arc;

use dicomcheck::archive::{self, Archive};
use dicomcheck::checks::Expectations;
use dicomcheck::media::{Files, GivenFile, Media, ReadAt};
use dicomcheck::options::{self, InputError};
use dicomcheck::report::Report;
use dicomcheck::report::human::StaffNote;
use dicomcheck::scan::ScanOptions;
use dicomcheck::walk::Walk;
use dicomcheck::{CheckOptions, check_media};
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// Reads bytes of the worker's file number `file` from `offset` into `buf`; the count read, 0 at the end.
    #[wasm_bindgen(catch, js_namespace = dicomcheckFiles, js_name = readAt)]
    fn js_read_at(file: u32, offset: f64, buf: &mut [u8]) -> Result<u32, JsValue>;
}

/// One of the files the worker holds, read through JavaScript.
#[derive(Debug)]
struct BrowserFile(u32);

impl ReadAt for BrowserFile {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        // Offsets are exact in a JavaScript number up to 2^53 bytes.
        js_read_at(self.0, offset as f64, buf)
            .map(|n| usize::try_from(n).unwrap_or(0).min(buf.len()))
            .map_err(|e| {
                io::Error::other(
                    e.as_string()
                        .unwrap_or_else(|| "the browser could not read the file".to_string()),
                )
            })
    }
}

/// What a check gives the page.
#[wasm_bindgen]
pub struct Checked {
    json: String,
    html: String,
    verdict: String,
}

#[wasm_bindgen]
impl Checked {
    /// The report as `dicomcheck --json` prints it.
    #[wasm_bindgen(getter)]
    pub fn json(&self) -> String {
        self.json.clone()
    }

    /// The report as `dicomcheck --html` writes it, with the counter note in Chinese.
    #[wasm_bindgen(getter)]
    pub fn html(&self) -> String {
        self.html.clone()
    }

    /// `pass` or `fail`.
    #[wasm_bindgen(getter)]
    pub fn verdict(&self) -> String {
        self.verdict.clone()
    }
}

/// What the user typed in the page.
struct Typed<'a> {
    name: &'a str,
    dob: &'a str,
    date: &'a str,
}

impl Typed<'_> {
    /// The check options, as the command line would make them from `--name`, `--dob` and `--date`.
    fn options(&self) -> Result<CheckOptions, InputError> {
        let name = self.name.trim();
        let dob = self.dob.trim();
        let date = self.date.trim();
        let dates = if date.is_empty() {
            Vec::new()
        } else {
            vec![date.to_string()]
        };
        Ok(CheckOptions {
            expect: Expectations {
                passport: Some(options::passport_name("passport name", name)?),
                passport_zh: None,
                // The page always compares the name it asks for.
                name_waived: false,
                passport_number: None,
                dob: (!dob.is_empty())
                    .then(|| options::birth_date("birth date", dob))
                    .transpose()?,
                dates: options::scan_days("exam date", &dates)?,
                today: dicomcheck::date::today(),
            },
            name_input: Some(name.to_string()),
            strict: false,
            scan: ScanOptions::default(),
            // A header-phase check: a browser starts no worker processes to decode images (the field exists
            // only off wasm32, where this crate is built for its host-side checks).
            #[cfg(not(target_arch = "wasm32"))]
            images: None,
        })
    }
}

/// Checks a folder the user picked or dropped: `paths[i]` (relative to the folder, `/`-separated) and `sizes[i]`
/// describe the worker's file number `i`; `root` names the folder in the report.
#[wasm_bindgen(js_name = checkFolder)]
pub fn check_folder(
    root: &str,
    paths: Vec<String>,
    sizes: Vec<f64>,
    name: &str,
    dob: &str,
    date: &str,
) -> Result<Checked, JsError> {
    let options = Typed { name, dob, date }.options()?;
    let given = paths
        .into_iter()
        .zip(sizes)
        .zip(0u32..)
        .map(|((path, size), index)| GivenFile {
            path,
            bytes: Arc::new(BrowserFile(index)),
            size: size as u64,
        })
        .collect();
    let (files, listing) = Files::new(given);
    finish(root, Arc::new(files), listing, &options)
}

/// Checks one file the user picked or dropped, the worker's file number 0 of `size` bytes: a `.zip` or `.iso`
/// read in place, else a medium of that one file.
#[wasm_bindgen(js_name = checkFile)]
pub fn check_file(
    file_name: &str,
    size: f64,
    name: &str,
    dob: &str,
    date: &str,
) -> Result<Checked, JsError> {
    let options = Typed { name, dob, date }.options()?;
    let size = size as u64;
    let file = Arc::new(BrowserFile(0));
    let path = Path::new(file_name);
    match archive::kind_of(path, file.as_ref()) {
        Some(kind) => {
            let (archive, listing) = Archive::from_source(file, size, kind, path, path);
            finish(file_name, Arc::new(archive), listing, &options)
        }
        None => {
            let (files, listing) = Files::new(vec![GivenFile {
                path: file_name.to_string(),
                bytes: file,
                size,
            }]);
            finish("", Arc::new(files), listing, &options)
        }
    }
}

fn finish(
    root: &str,
    media: Arc<dyn Media>,
    listing: Walk,
    options: &CheckOptions,
) -> Result<Checked, JsError> {
    let report: Report = check_media(Path::new(root), media, listing, options);
    let json = serde_json::to_string_pretty(&report)?;
    let html = dicomcheck::report::html::render(&report, StaffNote::Zh);
    let verdict = match report.verdict {
        dicomcheck::report::Verdict::Pass => "pass",
        dicomcheck::report::Verdict::Fail => "fail",
    };
    Ok(Checked {
        json,
        html,
        verdict: verdict.to_string(),
    })
}

//! What a check reports: a [`Finding`] of some [`Severity`] from one [`CheckId`]. A leaf, so every layer (names,
//! checks, reports, front ends) can use it without depending on the checks.

use std::fmt;

use serde::Serialize;

/// The checks of the product, as named in the JSON report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckId {
    /// Is there DICOM on the media at all?
    Media,
    /// Can every DICOM file be read whole?
    Integrity,
    /// Does the DICOMDIR agree with the files?
    Dicomdir,
    /// Is PatientName the passport name?
    Name,
    /// Is every study of the same person?
    Patient,
    /// Is the birth date the one given?
    Dob,
    /// Has every study a valid date (and the one expected)?
    Date,
    /// Is every series complete?
    Slices,
    /// Does every image open (read whole, every frame decoded)?
    Images,
    /// Is the radiologist's written report on the disc? (a reminder, never a failure)
    Report,
}

impl CheckId {
    /// The id as printed (`media`, `integrity`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            CheckId::Media => "media",
            CheckId::Integrity => "integrity",
            CheckId::Dicomdir => "dicomdir",
            CheckId::Name => "name",
            CheckId::Patient => "patient",
            CheckId::Dob => "dob",
            CheckId::Date => "date",
            CheckId::Slices => "slices",
            CheckId::Images => "images",
            CheckId::Report => "report",
        }
    }
}

impl fmt::Display for CheckId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How serious a finding is. The verdict fails when any finding is `Fail` (or `Warn` with `--strict`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// For the record; nothing to do.
    Info,
    /// Probably fine, but worth fixing while still at the counter.
    Warn,
    /// Must be fixed before leaving.
    Fail,
}

/// One problem (or note) found by a check.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    /// Which check found it.
    pub check: CheckId,
    /// How serious it is.
    pub severity: Severity,
    /// What is wrong, in plain words, naming what is on the disc.
    pub message: String,
    /// What to ask the counter staff to do, in plain words (empty for notes).
    pub ask: String,
    /// The same request in simplified Chinese, for the counter staff (empty for notes).
    pub ask_zh: String,
    /// Technical detail behind the plain message (slice positions, ...), shown with `--verbose`; empty if none.
    pub detail: String,
    /// Files concerned, relative to the media root; some followed by the reason in parentheses
    /// (`IM1 (file ends inside the image data: …)`).
    pub paths: Vec<String>,
    /// The reasons appended to some of `paths`, so that a summary can show the plain path and keep the reason
    /// for `--verbose` (the JSON report has them in `paths`).
    #[serde(skip)]
    pub path_reasons: Vec<String>,
    /// Study Instance UID concerned, if any.
    pub study: Option<String>,
    /// Series Instance UID concerned, if any.
    pub series: Option<String>,
}

impl Finding {
    /// A finding with a message and nothing else yet.
    pub fn new(check: CheckId, severity: Severity, message: impl Into<String>) -> Self {
        Self {
            check,
            severity,
            message: message.into(),
            ask: String::new(),
            ask_zh: String::new(),
            detail: String::new(),
            paths: Vec::new(),
            path_reasons: Vec::new(),
            study: None,
            series: None,
        }
    }

    /// Sets what to ask the staff, in English and Chinese.
    pub fn ask(mut self, en: impl Into<String>, zh: impl Into<String>) -> Self {
        self.ask = en.into();
        self.ask_zh = zh.into();
        self
    }

    /// Sets the files concerned.
    pub fn paths<I, S>(mut self, paths: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.paths = paths.into_iter().map(Into::into).collect();
        self
    }

    /// Sets the files concerned, each with the reason it is named (`(path, reason)`, reason possibly empty).
    pub fn paths_with_reasons<I>(mut self, paths: I) -> Self
    where
        I: IntoIterator<Item = (String, String)>,
    {
        self.paths.clear();
        self.path_reasons.clear();
        for (path, reason) in paths {
            if reason.is_empty() {
                self.paths.push(path);
            } else {
                self.paths.push(format!("{path} ({reason})"));
                self.path_reasons.push(reason);
            }
        }
        self
    }

    /// A path of `paths` without its reason.
    pub fn plain_path<'a>(&self, path: &'a str) -> &'a str {
        self.path_reasons
            .iter()
            .find_map(|reason| {
                path.strip_suffix(")")?
                    .strip_suffix(reason.as_str())?
                    .strip_suffix(" (")
            })
            .unwrap_or(path)
    }

    /// Sets the study concerned.
    pub fn study(mut self, uid: impl Into<String>) -> Self {
        self.study = Some(uid.into());
        self
    }

    /// Sets the series concerned.
    pub fn series(mut self, uid: impl Into<String>) -> Self {
        self.series = Some(uid.into());
        self
    }
}

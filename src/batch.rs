//! Batch mode: several discs on the command line or listed in a CSV file (`path,name,dob,date` per line), one
//! verdict per disc, a summary table at the end, or one JSON object per disc per line (JSON Lines).

use std::io::Write;
use std::path::{Path, PathBuf};

use thiserror::Error;

use crate::options::{self, CheckOptions, InputError};
use crate::report::human::{self, Detail, HumanOptions, fit, pad, width};
use crate::report::{Report, Verdict};

/// Largest batch file read, in bytes.
const MAX_CSV_BYTES: u64 = 16 << 20;

/// One disc to check and what is expected on it; unset fields fall back to the command-line options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The disc, USB stick or folder.
    pub path: PathBuf,
    /// The passport name.
    pub name: Option<String>,
    /// The birth date.
    pub dob: Option<String>,
    /// Days of scans that must be on the disc (`;` separates several in the CSV).
    pub dates: Vec<String>,
}

/// Why the list of discs cannot be made.
#[derive(Debug, Error)]
pub enum BatchError {
    /// The batch file cannot be read.
    #[error("--batch {}: {source}", file.display())]
    Read {
        /// The batch file.
        file: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The batch file is larger than `MAX_CSV_BYTES` (16 MiB).
    #[error("--batch {}: larger than {MAX_CSV_BYTES} bytes", file.display())]
    TooLarge {
        /// The batch file.
        file: PathBuf,
    },
    /// A line of the batch file is not `path,name,dob,date`.
    #[error("--batch {}: {source}", file.display())]
    Csv {
        /// The batch file.
        file: PathBuf,
        /// The line and what is wrong with it.
        source: CsvError,
    },
    /// Neither paths nor batch lines.
    #[error("no disc to check")]
    NoDisc,
}

/// A line of the batch CSV that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("line {line}: {problem}")]
pub struct CsvError {
    /// The line number, from 1.
    pub line: usize,
    /// What is wrong.
    pub problem: CsvProblem,
}

/// What is wrong with a line of the batch CSV.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CsvProblem {
    /// A quoted field runs to the end of the line.
    #[error("a quote is not closed")]
    UnclosedQuote,
    /// More than the four fields.
    #[error("{0} fields; expected path,name,dob,date")]
    TooManyFields(usize),
    /// The first field is empty.
    #[error("no path")]
    NoPath,
}

/// The discs to check: `paths` (from the command line), then the lines of the `batch` file.
pub fn entries(paths: &[PathBuf], batch: Option<&Path>) -> Result<Vec<Entry>, BatchError> {
    let mut entries: Vec<Entry> = paths
        .iter()
        .map(|path| Entry {
            path: path.clone(),
            name: None,
            dob: None,
            dates: Vec::new(),
        })
        .collect();
    if let Some(file) = batch {
        let read = |source| BatchError::Read {
            file: file.to_path_buf(),
            source,
        };
        let size = std::fs::metadata(file).map_err(read)?.len();
        if size > MAX_CSV_BYTES {
            return Err(BatchError::TooLarge {
                file: file.to_path_buf(),
            });
        }
        let text = std::fs::read_to_string(file).map_err(read)?;
        let base = file.parent().unwrap_or(Path::new(""));
        entries.extend(parse_csv(&text, base).map_err(|source| BatchError::Csv {
            file: file.to_path_buf(),
            source,
        })?);
    }
    if entries.is_empty() {
        return Err(BatchError::NoDisc);
    }
    Ok(entries)
}

/// Parses the batch CSV: `path,name,dob,date` per line, fields optionally in double quotes (`""` inside quotes
/// is a quote), later fields optional; blank lines, `#` comments and a `path,…` header line are skipped.
/// Relative paths are taken from `base`.
pub fn parse_csv(text: &str, base: &Path) -> Result<Vec<Entry>, CsvError> {
    let mut entries = Vec::new();
    for (index, line) in text.trim_start_matches('\u{FEFF}').lines().enumerate() {
        let number = index + 1;
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        let error = |problem| CsvError {
            line: number,
            problem,
        };
        let fields = split_line(line).map_err(error)?;
        if fields.len() > 4 {
            return Err(error(CsvProblem::TooManyFields(fields.len())));
        }
        let field = |i: usize| {
            fields
                .get(i)
                .map(|f| f.trim())
                .filter(|f| !f.is_empty())
                .map(str::to_string)
        };
        let Some(path) = field(0) else {
            return Err(error(CsvProblem::NoPath));
        };
        if entries.is_empty() && path.eq_ignore_ascii_case("path") {
            continue;
        }
        entries.push(Entry {
            path: base.join(path),
            name: field(1),
            dob: field(2),
            dates: field(3)
                .map(|d| {
                    d.split(';')
                        .map(|s| s.trim().to_string())
                        .filter(|s| !s.is_empty())
                        .collect()
                })
                .unwrap_or_default(),
        });
    }
    Ok(entries)
}

/// Splits one CSV line into fields.
fn split_line(line: &str) -> Result<Vec<String>, CsvProblem> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut chars = line.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') if field.trim().is_empty() => {
                field.clear();
                quoted = true;
            }
            (false, ',') => fields.push(std::mem::take(&mut field)),
            (false, c) => field.push(c),
        }
    }
    if quoted {
        return Err(CsvProblem::UnclosedQuote);
    }
    fields.push(field);
    Ok(fields)
}

/// The options for one disc: the command line's, with the entry's name, birth date and dates instead where set.
pub fn options_for(base: &CheckOptions, entry: &Entry) -> Result<CheckOptions, InputError> {
    let mut options = base.clone();
    if let Some(name) = &entry.name {
        options.expect.passport = Some(options::passport_name("name", name)?);
        options.name_input = Some(name.clone());
    }
    if let Some(dob) = &entry.dob {
        options.expect.dob = Some(options::birth_date("dob", dob)?);
    }
    if !entry.dates.is_empty() {
        options.expect.dates = options::scan_days("date", &entry.dates)?;
    }
    Ok(options)
}

/// Why one disc of a batch could not be checked.
#[derive(Debug, Error)]
pub enum EntryError {
    /// Its line gives a name or date that cannot be used.
    #[error(transparent)]
    Input(#[from] InputError),
    /// The check could not run.
    #[error(transparent)]
    Check(#[from] crate::Error),
}

/// What came of one disc.
type Checked = Result<Report, EntryError>;

/// What came of the whole batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overall {
    /// Every disc passed.
    Pass,
    /// Every disc was checked, and some failed.
    Fail,
    /// Some disc could not be checked.
    CouldNotCheck,
}

/// Checks every entry in turn and writes each result to `out`, then the summary table (or JSON Lines, one
/// object per disc, when `json`). An error only when `out` cannot be written.
pub fn run(
    entries: &[Entry],
    base: &CheckOptions,
    json: bool,
    style: HumanOptions,
    out: &mut dyn Write,
) -> std::io::Result<Overall> {
    let mut results: Vec<(&Entry, Checked)> = Vec::with_capacity(entries.len());
    for (i, entry) in entries.iter().enumerate() {
        let checked = options_for(base, entry)
            .map_err(EntryError::from)
            .and_then(|o| Ok(crate::check(&entry.path, &o)?));
        let text = if json {
            json_line(entry, &checked)
        } else {
            human_block(i, entries.len(), entry, &checked, style)
        };
        out.write_all(text.as_bytes())?;
        out.flush()?;
        results.push((entry, checked));
    }
    if !json {
        out.write_all(summary_table(&results).as_bytes())?;
    }
    Ok(if results.iter().any(|(_, r)| r.is_err()) {
        Overall::CouldNotCheck
    } else if results
        .iter()
        .any(|(_, r)| matches!(r, Ok(report) if report.verdict == Verdict::Fail))
    {
        Overall::Fail
    } else {
        Overall::Pass
    })
}

/// One JSON Lines record: the report of a checked disc, or `{"verdict":"error","error":…}` for one that could not
/// be checked.
fn json_line(entry: &Entry, checked: &Checked) -> String {
    let value = match checked {
        Ok(report) => {
            serde_json::to_value(report).unwrap_or_else(|e| error_object(entry, &e.to_string()))
        }
        Err(err) => error_object(entry, &err.to_string()),
    };
    value.to_string() + "\n"
}

fn error_object(entry: &Entry, error: &str) -> serde_json::Value {
    serde_json::json!({
        "tool": "dicomcheck",
        "version": env!("CARGO_PKG_VERSION"),
        "root": entry.path.to_string_lossy(),
        "verdict": "error",
        "expected_name": entry.name,
        "error": error,
    })
}

fn human_block(
    index: usize,
    total: usize,
    entry: &Entry,
    checked: &Checked,
    style: HumanOptions,
) -> String {
    let path = human::clean(&entry.path.to_string_lossy());
    let mut out = match style.detail {
        Detail::Quiet => format!("{}/{} {path}: ", index + 1, total),
        _ => format!("━━ Disc {} of {total}: {path} ━━\n", index + 1),
    };
    match checked {
        Ok(report) => out.push_str(&human::render(report, style)),
        Err(err) => out.push_str(&format!(
            "COULD NOT CHECK: {}\n",
            human::clean(&err.to_string())
        )),
    }
    if style.detail != Detail::Quiet {
        out.push('\n');
    }
    out
}

/// The table after a batch: one row per disc, columns aligned by display width: the verdict, the counts of
/// problems, the name expected and the patient on the disc, the main reason, and the disc.
fn summary_table(results: &[(&Entry, Checked)]) -> String {
    let rows: Vec<[String; 7]> = results
        .iter()
        .enumerate()
        .map(|(i, (entry, checked))| {
            let (verdict, problems, expected, patient, reason) = match checked {
                Ok(report) => {
                    let (fails, warns) = report.problem_counts();
                    let verdict = match report.verdict {
                        Verdict::Pass => "PASS",
                        Verdict::Fail => "FAIL",
                    };
                    let names: Vec<&str> =
                        report.patients.iter().map(|p| p.name.as_str()).collect();
                    let patient = if names.is_empty() {
                        "(none)".to_string()
                    } else {
                        names.join(" / ")
                    };
                    (
                        verdict,
                        format!("{fails} / {warns}"),
                        human::passport(report).unwrap_or("-").to_string(),
                        patient,
                        main_reason(report),
                    )
                }
                Err(err) => (
                    "ERROR",
                    "-".to_string(),
                    entry.name.clone().unwrap_or_else(|| "-".into()),
                    String::new(),
                    err.to_string(),
                ),
            };
            [
                (i + 1).to_string(),
                verdict.to_string(),
                problems,
                fit(&human::clean(&expected), 20),
                fit(&human::clean(&patient), 24),
                fit(&human::clean(&reason), 40),
                human::clean(&entry.path.to_string_lossy()),
            ]
        })
        .collect();
    let header = [
        "#",
        "Result",
        "Fail / warn",
        "Expected name",
        "Patient on disc",
        "Main reason",
        "Disc",
    ];
    let widths: Vec<usize> = (0..header.len())
        .map(|c| {
            rows.iter()
                .map(|r| width(&r[c]))
                .chain([width(header[c])])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let count = |v: &str| rows.iter().filter(|r| r[1] == v).count();
    let mut out = format!(
        "Summary: {} — {} pass, {} fail, {} could not be checked\n",
        crate::checks::plural(rows.len(), "disc", "discs"),
        count("PASS"),
        count("FAIL"),
        count("ERROR")
    );
    for row in std::iter::once(header.map(str::to_string)).chain(rows) {
        let line: Vec<String> = row
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(c, (cell, &w))| {
                if c == 0 || c == 2 {
                    format!("{}{cell}", " ".repeat(w.saturating_sub(width(cell))))
                } else {
                    pad(cell, w)
                }
            })
            .collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
    }
    out
}

/// The first problem of a disc in a few words (its message up to the first colon or full stop), or `-`.
fn main_reason(report: &Report) -> String {
    let Some(first) = report
        .findings
        .iter()
        .find(|f| f.severity > crate::checks::Severity::Info)
    else {
        return "-".to_string();
    };
    let message = first.message.as_str();
    let end = [": ", ". ", " — "]
        .iter()
        .filter_map(|stop| message.find(stop))
        .min()
        .unwrap_or(message.len());
    message[..end].trim_end_matches('.').trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_lines_with_quotes_header_and_comments() {
        let text = "\u{FEFF}path,name,dob,date\n# a comment\n\n\
                    disc1,SMITH^JOHN,1980-04-02,2026-11-20\n\
                    \"/media/cd 2\",\"MÜLLER, HANS\",,2026-11-18;2026-11-20\n\
                    disc3\n";
        let entries = parse_csv(text, Path::new("/batch")).unwrap();
        assert_eq!(entries.len(), 3);
        assert_eq!(entries[0].path, Path::new("/batch/disc1"));
        assert_eq!(entries[0].dob.as_deref(), Some("1980-04-02"));
        assert_eq!(entries[1].path, Path::new("/media/cd 2"));
        assert_eq!(entries[1].name.as_deref(), Some("MÜLLER, HANS"));
        assert_eq!(entries[1].dob, None);
        assert_eq!(entries[1].dates, ["2026-11-18", "2026-11-20"]);
        assert_eq!(entries[2].name, None);
    }

    #[test]
    fn bad_csv_lines_are_reported_with_their_number() {
        let err = parse_csv("disc1\n\"unclosed,NAME\n", Path::new("")).unwrap_err();
        assert_eq!(err.line, 2);
        assert_eq!(err.problem, CsvProblem::UnclosedQuote);
        assert!(err.to_string().starts_with("line 2:"), "{err}");
        let err = parse_csv("a,b,c,d,e\n", Path::new("")).unwrap_err();
        assert!(err.to_string().contains("5 fields"), "{err}");
        assert!(parse_csv(",SMITH^JOHN\n", Path::new("")).is_err());
    }

    #[test]
    fn quotes_inside_quotes() {
        assert_eq!(split_line(r#""a ""b""",c"#).unwrap(), ["a \"b\"", "c"]);
    }
}

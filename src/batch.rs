//! Batch mode: several discs on the command line or listed in a CSV file (`path,name,dob,date` per line), one
//! verdict per disc, a summary table at the end, or one JSON object per disc per line (JSON Lines).

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::checks::date::{DateRange, StudyDate};
use crate::cli::{Args, EXIT_ERROR, EXIT_FAIL, EXIT_PASS, Output};
use crate::names::PassportName;
use crate::report::human::{self, Detail, fit, pad, width};
use crate::report::{Report, Verdict};
use crate::{CheckOptions, Error};

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

/// The discs of `args`: the paths given on the command line, then the lines of `--batch`.
pub fn entries(args: &Args) -> Result<Vec<Entry>, Error> {
    let mut entries: Vec<Entry> = args
        .paths
        .iter()
        .map(|path| Entry {
            path: path.clone(),
            name: None,
            dob: None,
            dates: Vec::new(),
        })
        .collect();
    if let Some(file) = &args.batch {
        let usage = |what: String| Error::Usage(format!("--batch {}: {what}", file.display()));
        let size = std::fs::metadata(file)
            .map_err(|e| usage(e.to_string()))?
            .len();
        if size > MAX_CSV_BYTES {
            return Err(usage(format!("larger than {MAX_CSV_BYTES} bytes")));
        }
        let text = std::fs::read_to_string(file).map_err(|e| usage(e.to_string()))?;
        let base = file.parent().unwrap_or(Path::new(""));
        entries.extend(parse_csv(&text, base).map_err(usage)?);
    }
    if entries.is_empty() {
        return Err(Error::Usage("no disc to check".into()));
    }
    Ok(entries)
}

/// Parses the batch CSV: `path,name,dob,date` per line, fields optionally in double quotes (`""` inside quotes
/// is a quote), later fields optional; blank lines, `#` comments and a `path,…` header line are skipped.
/// Relative paths are taken from `base`.
pub fn parse_csv(text: &str, base: &Path) -> Result<Vec<Entry>, String> {
    let mut entries = Vec::new();
    for (index, line) in text.trim_start_matches('\u{FEFF}').lines().enumerate() {
        let number = index + 1;
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        let fields = split_line(line).map_err(|e| format!("line {number}: {e}"))?;
        if fields.len() > 4 {
            return Err(format!(
                "line {number}: {} fields; expected path,name,dob,date",
                fields.len()
            ));
        }
        let field = |i: usize| {
            fields
                .get(i)
                .map(|f| f.trim())
                .filter(|f| !f.is_empty())
                .map(str::to_string)
        };
        let Some(path) = field(0) else {
            return Err(format!("line {number}: no path"));
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
fn split_line(line: &str) -> Result<Vec<String>, String> {
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
        return Err("a quote is not closed".into());
    }
    fields.push(field);
    Ok(fields)
}

/// The options for one disc: the command line's, with the entry's name, birth date and dates instead where set.
pub fn options_for(base: &CheckOptions, entry: &Entry) -> Result<CheckOptions, Error> {
    let mut options = base.clone();
    if let Some(name) = &entry.name {
        let passport =
            PassportName::parse(name).map_err(|e| Error::Usage(format!("name {name:?}: {e}")))?;
        options.expect.passport = Some(passport);
        options.name_input = Some(name.clone());
    }
    if let Some(dob) = &entry.dob {
        let date =
            StudyDate::parse_cli(dob).map_err(|e| Error::Usage(format!("dob {dob:?}: {e}")))?;
        options.expect.dob = Some(date);
    }
    if !entry.dates.is_empty() {
        options.expect.dates = entry
            .dates
            .iter()
            .map(|d| DateRange::parse(d).map_err(|e| Error::Usage(format!("date {d:?}: {e}"))))
            .collect::<Result<_, _>>()?;
    }
    Ok(options)
}

/// What came of one disc.
type Checked = Result<Report, Error>;

/// Checks every entry in turn, prints each result and the summary table (or JSON Lines), and returns the exit
/// code: 2 if any disc could not be checked, else 1 if any failed, else 0.
pub fn run(entries: &[Entry], base: &CheckOptions, output: &Output) -> i32 {
    let mut results: Vec<(&Entry, Checked)> = Vec::with_capacity(entries.len());
    let mut stdout = std::io::stdout().lock();
    for (i, entry) in entries.iter().enumerate() {
        let checked = options_for(base, entry).and_then(|o| crate::check(&entry.path, &o));
        let text = if output.json {
            json_line(entry, &checked)
        } else {
            human_block(i, entries.len(), entry, &checked, output)
        };
        if stdout
            .write_all(text.as_bytes())
            .and_then(|()| stdout.flush())
            .is_err()
        {
            return EXIT_ERROR;
        }
        results.push((entry, checked));
    }
    if !output.json
        && stdout
            .write_all(summary_table(&results).as_bytes())
            .is_err()
    {
        return EXIT_ERROR;
    }
    if results.iter().any(|(_, r)| r.is_err()) {
        EXIT_ERROR
    } else if results
        .iter()
        .any(|(_, r)| matches!(r, Ok(report) if report.verdict == Verdict::Fail))
    {
        EXIT_FAIL
    } else {
        EXIT_PASS
    }
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
    output: &Output,
) -> String {
    let path = human::clean(&entry.path.to_string_lossy());
    let mut out = match output.human.detail {
        Detail::Quiet => format!("{}/{} {path}: ", index + 1, total),
        _ => format!("━━ Disc {} of {total}: {path} ━━\n", index + 1),
    };
    match checked {
        Ok(report) => out.push_str(&human::render(report, output.human)),
        Err(err) => out.push_str(&format!(
            "COULD NOT CHECK: {}\n",
            human::clean(&err.to_string())
        )),
    }
    if output.human.detail != Detail::Quiet {
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
        assert!(err.starts_with("line 2:"), "{err}");
        let err = parse_csv("a,b,c,d,e\n", Path::new("")).unwrap_err();
        assert!(err.contains("5 fields"), "{err}");
        assert!(parse_csv(",SMITH^JOHN\n", Path::new("")).is_err());
    }

    #[test]
    fn quotes_inside_quotes() {
        assert_eq!(split_line(r#""a ""b""",c"#).unwrap(), ["a \"b\"", "c"]);
    }
}

//! The HTML report (`--report FILE.html`): one self-contained page, printable on one or two A4 pages and
//! readable on a phone, saying what the text summary says, from the same [`Report`]. Every text from the disc
//! is escaped; nothing is loaded from elsewhere.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::human::{self, NameVerdict, StaffNote, clean};
use super::{Report, Thumbnail, Verdict};
use crate::checks::{Finding, Severity};

/// How many paths a finding lists on the page before "and N more".
const PATHS_SHOWN: usize = 5;

const STYLE: &str = "\
@page{size:A4;margin:12mm 14mm}
*{box-sizing:border-box}
body{font-family:system-ui,-apple-system,'Segoe UI','Noto Sans','Liberation Sans','WenQuanYi Micro Hei',\
'Noto Sans CJK SC','Microsoft YaHei',sans-serif;font-size:10.5pt;line-height:1.35;color:#111;\
max-width:52rem;margin:0 auto;padding:1rem}
h1{font-size:1.25rem;margin:0 0 .5rem}
h2{font-size:1.05rem;margin:.9rem 0 .3rem;border-bottom:2px solid #333}
h3{font-size:.95rem;margin:.5rem 0 .2rem}
.verdict{padding:.5rem .8rem;border:2px solid;border-radius:6px;font-size:1.2rem;font-weight:700}
.pass{background:#e8f5ea;border-color:#1a7f37;color:#0f5323}
.fail{background:#fdecea;border-color:#b42318;color:#7a1a12}
.wrap{overflow-x:auto}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:.12rem .4rem;border-bottom:1px solid #ddd;vertical-align:top}
th{font-weight:600}
.kv th{width:9rem;white-space:nowrap}
.series{table-layout:fixed}
.series th:nth-child(1){width:4rem}
.series th:nth-child(2){width:5.5rem}
.series th:nth-child(3){width:4.5rem}
.series th:nth-child(4){width:6rem}
.series th:nth-child(5){width:9rem}
.overview td,.overview th{font-size:.9em;padding:.05rem .3rem}
.facts{margin:.1rem 0;font-size:.92em}
.ctx{margin:.1rem 0}
details summary{cursor:pointer;font-weight:600;margin:.3rem 0}
.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.study,.finding,.note{break-inside:avoid}
.sub{color:#555;font-weight:400}
.bad{color:#b42318;font-weight:700}
.warn{color:#8a5300;font-weight:700}
ol{margin:.2rem 0;padding-left:1.4rem}
li{margin:.25rem 0}
.ask{margin-top:.1rem}
.thumb{width:6.5rem}
.thumb img{display:block;width:6rem;height:auto;image-rendering:pixelated;border:1px solid #999;background:#000}
.damaged{display:flex;align-items:center;justify-content:center;width:6rem;height:4.5rem;border:2px dashed #b42318;\
color:#b42318;font-weight:700;font-size:.8rem;text-align:center;background:repeating-linear-gradient(45deg,#fdecea 0 6px,#fff 6px 12px)}
.paths{font-family:monospace;font-size:.85em;color:#444;overflow-wrap:anywhere}
.note{border:1.5px dashed #444;border-radius:6px;padding:.4rem .8rem;margin-top:.8rem;font-size:11.5pt}
footer{color:#555;font-size:8.5pt;margin-top:1rem;border-top:1px solid #ccc;padding-top:.3rem;overflow-wrap:anywhere}
@media (max-width:600px){body{font-size:15px;padding:.6rem}.kv th{width:auto}}
@media print{body{max-width:none;padding:0}details,.screen{display:none}.verdict{-webkit-print-color-adjust:exact;print-color-adjust:exact}}
";

/// Why the HTML page cannot go where `--report` says.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PageError {
    /// The folder it would go in does not exist.
    #[error("--report {}: the folder for the report does not exist", page.display())]
    NoFolder {
        /// The page as given.
        page: PathBuf,
    },
    /// The path names a folder.
    #[error("--report {}: is a folder", page.display())]
    IsFolder {
        /// The page as given.
        page: PathBuf,
    },
    /// The page would be written onto the disc being checked.
    #[error("--report {}: will not write onto the disc being checked ({}); choose a file elsewhere", page.display(), root.display())]
    OnTheDisc {
        /// The page as given.
        page: PathBuf,
        /// The disc.
        root: PathBuf,
    },
}

/// Refuses a report destination on the disc being checked (or a folder that does not exist): the page is
/// written nowhere under `root`, whatever links the path goes through.
pub fn check_destination(root: &Path, page: &Path) -> Result<(), PageError> {
    let Ok(root) = root.canonicalize() else {
        // The scan itself reports a root that cannot be read.
        return Ok(());
    };
    let page_buf = || page.to_path_buf();
    let resolved = resolve(page).ok_or_else(|| PageError::NoFolder { page: page_buf() })?;
    if resolved.is_dir() {
        return Err(PageError::IsFolder { page: page_buf() });
    }
    if resolved.starts_with(&root) {
        return Err(PageError::OnTheDisc {
            page: page_buf(),
            root,
        });
    }
    Ok(())
}

/// Where `page` really is: the file itself when it exists (links followed), else its folder resolved.
fn resolve(page: &Path) -> Option<PathBuf> {
    if let Ok(existing) = page.canonicalize() {
        return Some(existing);
    }
    let name = page.file_name()?;
    let parent = match page.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    Some(parent.canonicalize().ok()?.join(name))
}

/// Escapes text for HTML element content and quoted attribute values, after [`clean`].
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in clean(text).chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Renders the report as one self-contained HTML page, with the counter note in `staff_note`'s language.
pub fn render(report: &Report, staff_note: StaffNote) -> String {
    let mut out = String::new();
    let verdict_class = match report.verdict {
        Verdict::Pass => "pass",
        Verdict::Fail => "fail",
    };
    let title_name = report
        .patients
        .first()
        .map(|p| p.name.as_str())
        .unwrap_or("no patient name");
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>dicomcheck: {} — {}</title>\n<style>\n{STYLE}</style>\n</head>\n<body>\n",
        escape(&format!("{:?}", report.verdict).to_uppercase()),
        escape(title_name)
    );
    let _ = writeln!(out, "<h1>Imaging disc check</h1>");
    let _ = writeln!(
        out,
        "<div class=\"verdict {verdict_class}\">{}</div>",
        escape(&human::verdict_line(report))
    );

    write_patients(&mut out, report);
    write_studies(&mut out, report);
    write_radiology_report(&mut out, report);
    write_findings(&mut out, report);
    if let Some(note) = human::counter_note(report, staff_note) {
        let lang = if staff_note == StaffNote::Zh {
            "zh-CN"
        } else {
            "en"
        };
        let _ = writeln!(
            out,
            "<section class=\"note\">\n<h3>{}</h3>\n<p lang=\"{lang}\">{}</p>\n<ol lang=\"{lang}\">",
            escape(note.heading),
            escape(&note.greeting)
        );
        for line in &note.context {
            let _ = writeln!(out, "<p class=\"ctx\" lang=\"{lang}\">{}</p>", escape(line));
        }
        for line in &note.lines {
            let _ = writeln!(out, "<li>{}</li>", escape(line));
        }
        let _ = writeln!(out, "</ol>\n</section>");
    }

    let _ = writeln!(
        out,
        "<footer>Checked by dicomcheck {} on {} (UTC) · {} · {} {}</footer>\n</body>\n</html>",
        escape(report.version),
        escape(&report.checked_at.replace('T', " ").replace('Z', "")),
        escape(&report.root),
        escape(&human::counts_line(report)),
        escape(&human::images_line(report))
    );
    out
}

fn write_patients(out: &mut String, report: &Report) {
    let _ = writeln!(out, "<h2>Patient</h2>\n<table class=\"kv\">");
    if report.patients.is_empty() {
        let _ = writeln!(
            out,
            "<tr><th>On the disc</th><td>no patient found</td></tr>"
        );
    }
    for patient in &report.patients {
        let mut cell = format!("<strong>{}</strong>", escape(&patient.name));
        if let Some(id) = &patient.id {
            let _ = write!(cell, " · ID {}", escape(id));
        }
        if let Some(born) = &patient.birth_date {
            let _ = write!(cell, " · born {}", escape(born));
        }
        let _ = writeln!(out, "<tr><th>On the disc</th><td>{cell}</td></tr>");
    }
    if let (Some(expected), Some(verdict)) = (human::passport(report), NameVerdict::of(report)) {
        let class = match verdict {
            NameVerdict::Matches => "",
            NameVerdict::Remark => "warn",
            NameVerdict::Mismatch | NameVerdict::NoName => "bad",
        };
        let _ = writeln!(
            out,
            "<tr><th>Passport</th><td><strong>{}</strong> → <span class=\"{class}\">{}</span></td></tr>",
            escape(expected),
            escape(&human::name_headline(report, verdict))
        );
    }
    let _ = writeln!(out, "</table>");
}

/// Studies beyond this many are listed in one compact table, their series folded (a 50-study disc stays
/// readable and prints in a few pages).
const STUDIES_IN_FULL: usize = 6;

fn write_studies(out: &mut String, report: &Report) {
    let _ = writeln!(out, "<h2>Studies ({})</h2>", report.studies.len());
    if report.studies.is_empty() {
        let _ = writeln!(out, "<p>No study on the disc.</p>");
    }
    let several_people = report.patients.len() > 1;
    let compact = report.studies.len() > STUDIES_IN_FULL;
    if compact {
        let _ = writeln!(
            out,
            "<div class=\"wrap\"><table class=\"overview\">\n<tr><th>Date</th><th>Modality</th><th>Description</th>\
             <th class=\"n\">Series</th><th class=\"n\">Images</th><th>Accession</th>{}</tr>",
            if several_people {
                "<th>Patient</th>"
            } else {
                ""
            }
        );
        for study in &report.studies {
            let images: u64 = study.series.iter().map(|s| s.frames).sum();
            let missing = study.series.iter().any(|s| s.missing_confirmed);
            let _ = writeln!(
                out,
                "<tr><td>{}</td><td>{}</td><td>{}{}</td><td class=\"n\">{}</td><td class=\"n\">{images}</td>\
                 <td>{}</td>{}</tr>",
                escape(&study_when(study)),
                escape(&study.modalities.join("/")),
                escape(study.description.as_deref().unwrap_or("")),
                if missing {
                    " <span class=\"bad\">images missing</span>"
                } else {
                    ""
                },
                study.series.len(),
                escape(study.accession_number.as_deref().unwrap_or("")),
                if several_people {
                    format!("<td>{}</td>", escape(&study.patient_name))
                } else {
                    String::new()
                }
            );
        }
        let _ = writeln!(
            out,
            "</table></div>\n<p class=\"sub screen\">Series of each study (click to open):</p>"
        );
    }
    for study in &report.studies {
        let images: u64 = study.series.iter().map(|s| s.frames).sum();
        let series_count = study.series.len();
        let heading = format!(
            "{} · {} · {} <span class=\"sub\">({} series, {})</span>",
            escape(&study_when(study)),
            escape(&study.modalities.join("/")),
            escape(study.description.as_deref().unwrap_or("(no description)")),
            series_count,
            crate::checks::plural(images as usize, "image", "images")
        );
        if compact {
            let _ = writeln!(
                out,
                "<details class=\"study\">\n<summary>{heading}</summary>"
            );
        } else {
            let _ = writeln!(out, "<div class=\"study\">\n<h3>{heading}</h3>");
        }
        let mut facts: Vec<String> = Vec::new();
        let mut fact = |name: &str, value: Option<&str>| {
            if let Some(value) = value.filter(|v| !v.trim().is_empty()) {
                facts.push(format!("{name}: <strong>{}</strong>", escape(value)));
            }
        };
        if several_people {
            fact("Patient", Some(&study.patient_name));
        }
        fact("Institution", study.institution.as_deref());
        fact("Referring physician", study.referring_physician.as_deref());
        fact("Accession number", study.accession_number.as_deref());
        if !facts.is_empty() {
            let _ = writeln!(out, "<p class=\"facts\">{}</p>", facts.join(" · "));
        }
        let _ = writeln!(
            out,
            "<div class=\"wrap\"><table class=\"series\">\n<tr><th class=\"n\">Series</th><th>Modality</th>\
             <th class=\"n\">Images</th><th>Body part</th><th>Slices (mm)</th><th>Description</th>{}</tr>",
            if report.images.is_some() {
                "<th class=\"thumb\">Middle image</th>"
            } else {
                ""
            }
        );
        for series in &study.series {
            let missing = if series.missing_confirmed {
                format!(
                    " <span class=\"bad\">missing: {}</span>",
                    escape(&series.missing.join(", "))
                )
            } else {
                String::new()
            };
            let picture = match (&report.images, &series.thumbnail) {
                (None, _) => String::new(),
                (Some(_), Thumbnail::Picture(uri)) => format!(
                    "<td class=\"thumb\"><img alt=\"middle image of series {}\" src=\"{}\"></td>",
                    series.number.unwrap_or_default(),
                    escape(uri)
                ),
                (Some(_), Thumbnail::Damaged) => {
                    "<td class=\"thumb\"><div class=\"damaged\">✗ damaged image</div></td>"
                        .to_string()
                }
                (Some(_), Thumbnail::None) => "<td class=\"thumb\"></td>".to_string(),
            };
            let _ = writeln!(
                out,
                "<tr><td class=\"n\">{}</td><td>{}</td><td class=\"n\">{}</td><td>{}</td><td>{}</td><td>{}{missing}</td>{picture}</tr>",
                series
                    .number
                    .map_or_else(|| "?".to_string(), |n| n.to_string()),
                escape(series.modality.as_deref().unwrap_or("")),
                objects(series),
                escape(series.body_part.as_deref().unwrap_or("")),
                escape(&slices_mm(series)),
                escape(series.description.as_deref().unwrap_or(""))
            );
        }
        let _ = writeln!(
            out,
            "</table></div>\n</{}>",
            if compact { "details" } else { "div" }
        );
    }
}

/// The images of a series, or its objects when it holds reports or documents (`1 object`).
fn objects(series: &super::Series) -> String {
    if series.frames == 0 && series.instances > 0 {
        crate::checks::plural(series.instances, "object", "objects")
    } else {
        series.frames.to_string()
    }
}

/// `2026-11-20 14:32`, or `(no date)`.
fn study_when(study: &super::Study) -> String {
    let mut when = study
        .date
        .clone()
        .unwrap_or_else(|| "(no date)".to_string());
    if let Some(time) = &study.time {
        let _ = write!(when, " {time}");
    }
    when
}

/// Slice thickness and spacing: `2.5 / 2.5`, `5`, or empty.
fn slices_mm(series: &super::Series) -> String {
    let mm = |v: f64| {
        let text = format!("{v:.2}");
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    };
    match (series.slice_thickness_mm, series.spacing_mm) {
        (Some(t), Some(s)) => format!("{} thick, every {}", mm(t), mm(s)),
        (Some(t), None) => format!("{} thick", mm(t)),
        (None, Some(s)) => format!("every {}", mm(s)),
        (None, None) => String::new(),
    }
}

fn write_radiology_report(out: &mut String, report: &Report) {
    if report.counts.dicom_files == 0 {
        return;
    }
    let _ = writeln!(
        out,
        "<p class=\"{}\"><strong>{}</strong></p>",
        if report.radiology_report.present {
            "report"
        } else {
            "report warn"
        },
        escape(&human::report_line(report))
    );
}

fn write_findings(out: &mut String, report: &Report) {
    let problems: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| f.severity > Severity::Info)
        .collect();
    let notes: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Info)
        .collect();
    let _ = writeln!(out, "<h2>Problems ({})</h2>", problems.len());
    if problems.is_empty() {
        let _ = writeln!(out, "<p>None found.</p>");
    } else {
        write_list(out, &problems, report.verdict == Verdict::Pass);
    }
    if !notes.is_empty() {
        let _ = writeln!(out, "<h2>Notes</h2>");
        write_list(out, &notes, false);
    }
}

/// The findings as a list; `optional` words their requests as favours (a disc that passed).
fn write_list(out: &mut String, findings: &[&Finding], optional: bool) {
    let _ = writeln!(out, "<ol>");
    for finding in findings {
        let (class, mark) = match finding.severity {
            Severity::Fail => ("bad", "FAIL"),
            Severity::Warn => ("warn", "WARN"),
            Severity::Info => ("sub", "note"),
        };
        let _ = write!(
            out,
            "<li class=\"finding\"><span class=\"{class}\">{mark}</span> [{}] {}",
            finding.check,
            escape(&finding.message)
        );
        if !finding.detail.is_empty() {
            let _ = write!(
                out,
                " <span class=\"sub\">{}</span>",
                escape(&finding.detail)
            );
        }
        if !finding.ask.is_empty() {
            let ask = if optional {
                crate::checks::wording::optional_ask(&finding.ask)
            } else {
                finding.ask.clone()
            };
            let _ = write!(out, "<div class=\"ask\">→ {}</div>", escape(&ask));
        }
        if !finding.paths.is_empty() {
            let mut shown: Vec<String> = finding
                .paths
                .iter()
                .take(PATHS_SHOWN)
                .map(|p| escape(p))
                .collect();
            if finding.paths.len() > PATHS_SHOWN {
                shown.push(format!(
                    "… and {} more (all are listed with --json)",
                    finding.paths.len() - PATHS_SHOWN
                ));
            }
            let _ = write!(out, "<div class=\"paths\">{}</div>", shown.join("<br>"));
        }
        let _ = writeln!(out, "</li>");
    }
    let _ = writeln!(out, "</ol>");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disc_text_is_escaped() {
        assert_eq!(
            escape("<script>alert('x')</script>&\"\x1b"),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;\u{FFFD}"
        );
    }

    #[test]
    fn destination_under_the_root_is_refused() {
        let disc = tempfile::tempdir().unwrap();
        let elsewhere = tempfile::tempdir().unwrap();
        std::fs::create_dir(disc.path().join("DICOM")).unwrap();
        assert!(check_destination(disc.path(), &disc.path().join("DICOM/r.html")).is_err());
        assert!(check_destination(disc.path(), &disc.path().join("r.html")).is_err());
        assert!(check_destination(disc.path(), &elsewhere.path().join("r.html")).is_ok());
        assert!(check_destination(disc.path(), &elsewhere.path().join("no/r.html")).is_err());
        assert!(check_destination(disc.path(), elsewhere.path()).is_err());
    }
}

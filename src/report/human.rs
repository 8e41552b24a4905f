//! The human summary: what a patient reads at the counter, and the note in Chinese for the staff.

use std::fmt::Write as _;

use super::{Report, Verdict};
use crate::checks::{Finding, Severity, plural};

/// Which note for the counter staff follows a failing summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum StaffNote {
    /// Simplified Chinese (the default).
    #[default]
    Zh,
    /// English.
    En,
    /// No note.
    None,
}

/// How to render.
#[derive(Debug, Clone, Copy, Default)]
pub struct HumanOptions {
    /// Use ANSI colours.
    pub color: bool,
    /// Which staff note to add when something must be fixed.
    pub staff_note: StaffNote,
}

/// How many paths a finding lists before "and N more".
const PATHS_SHOWN: usize = 5;

/// Renders the report as the plain-text summary.
pub fn render(report: &Report, options: HumanOptions) -> String {
    let style = Style(options.color);
    let mut out = String::new();
    let c = &report.counts;
    let _ = writeln!(
        out,
        "dicomcheck {} · {}",
        report.version,
        clean(&report.root)
    );
    let _ = writeln!(
        out,
        "Read {} files in {:.1} s: {} DICOM images, {} other files, {} unreadable.",
        c.files, report.elapsed_seconds, c.dicom_files, c.non_dicom_files, c.unreadable_files
    );
    out.push('\n');

    for patient in &report.patients {
        let mut line = format!("Patient on disc:  {}", style.bold(&clean(&patient.name)));
        if let Some(id) = &patient.id {
            let _ = write!(line, "   ID {}", clean(id));
        }
        if let Some(born) = &patient.birth_date {
            let _ = write!(line, "   born {}", clean(born));
        }
        let _ = writeln!(out, "{line}");
    }
    if let Some(expected) = &report.expected_name {
        let verdict = match report
            .patients
            .iter()
            .filter_map(|p| p.name_match)
            .max_by_key(|m| rank(m))
        {
            Some("pass") => style.green("matches"),
            Some("warn") => style.yellow("matches, with a remark below"),
            Some(_) => style.red("DOES NOT MATCH (see below)"),
            None => "no name on the disc to compare".to_string(),
        };
        let _ = writeln!(out, "Passport name:    {}   → {verdict}", clean(expected));
    }
    if !report.patients.is_empty() || report.expected_name.is_some() {
        out.push('\n');
    }

    for study in &report.studies {
        let date = study.date.as_deref().unwrap_or("(no date)");
        let description = study.description.as_deref().map(clean).unwrap_or_default();
        let images: u64 = study.series.iter().map(|s| s.frames).sum();
        let _ = writeln!(
            out,
            "{}  {}  {}   [{} series, {} images]",
            style.bold(&format!("Study {date}")),
            study.modalities.join("/"),
            description,
            study.series.len(),
            images
        );
        for series in &study.series {
            let number = series
                .number
                .map(|n| n.to_string())
                .unwrap_or_else(|| "?".into());
            let mut line = format!(
                "    series {number:>3}  {:<3} {:>5} images  {}",
                series.modality.as_deref().unwrap_or(""),
                series.frames,
                series.description.as_deref().map(clean).unwrap_or_default()
            );
            if !series.missing.is_empty() {
                let _ = write!(
                    line,
                    "  {}",
                    style.red(&format!("missing: {}", series.missing.join(", ")))
                );
            }
            let _ = writeln!(out, "{line}");
        }
    }
    if !report.studies.is_empty() {
        out.push('\n');
    }

    let (fails, warns) = report.problem_counts();
    match report.verdict {
        Verdict::Pass => {
            let tail = if warns > 0 {
                format!(" ({})", plural(warns, "warning", "warnings"))
            } else {
                String::new()
            };
            let _ = writeln!(out, "{}{tail}", style.green(&style.bold("RESULT: PASS")));
        }
        Verdict::Fail => {
            let problems = if report.strict { fails + warns } else { fails };
            let _ = writeln!(
                out,
                "{} — {} to fix before you leave the counter:",
                style.red(&style.bold("RESULT: FAIL")),
                plural(problems, "problem", "problems")
            );
        }
    }
    for finding in report
        .findings
        .iter()
        .filter(|f| f.severity > Severity::Info)
    {
        render_finding(&mut out, finding, style);
    }
    let notes: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Info)
        .collect();
    if !notes.is_empty() {
        let _ = writeln!(out, "\nNotes:");
        for finding in notes {
            render_finding(&mut out, finding, style);
        }
    }

    let asks: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| f.severity > Severity::Info && !f.ask.is_empty())
        .collect();
    let show_note = report.verdict == Verdict::Fail
        || asks.iter().any(|f| f.check == crate::checks::CheckId::Name);
    if show_note && !asks.is_empty() {
        match options.staff_note {
            StaffNote::Zh => {
                let _ = writeln!(out, "\n给工作人员的说明（请把这段给柜台工作人员看）：");
                write_note(&mut out, asks.iter().map(|f| f.ask_zh.as_str()));
            }
            StaffNote::En => {
                let _ = writeln!(out, "\nNote for the counter staff:");
                write_note(&mut out, asks.iter().map(|f| f.ask.as_str()));
            }
            StaffNote::None => {}
        }
    }
    out
}

fn render_finding(out: &mut String, finding: &Finding, style: Style) {
    let mark = match finding.severity {
        Severity::Fail => style.red("✗ FAIL"),
        Severity::Warn => style.yellow("! WARN"),
        Severity::Info => "· note".to_string(),
    };
    let _ = writeln!(
        out,
        "  {mark} [{}] {}",
        finding.check,
        clean(&finding.message)
    );
    if !finding.ask.is_empty() {
        let _ = writeln!(out, "      → {}", clean(&finding.ask));
    }
    for path in finding.paths.iter().take(PATHS_SHOWN) {
        let _ = writeln!(out, "        {}", clean(path));
    }
    if finding.paths.len() > PATHS_SHOWN {
        let _ = writeln!(
            out,
            "        … and {} more (all are listed with --json)",
            finding.paths.len() - PATHS_SHOWN
        );
    }
}

fn write_note<'a>(out: &mut String, lines: impl Iterator<Item = &'a str>) {
    let mut seen = Vec::new();
    for line in lines.filter(|l| !l.is_empty()) {
        if !seen.contains(&line) {
            seen.push(line);
            let _ = writeln!(out, "  {}. {}", seen.len(), clean(line));
        }
    }
}

fn rank(name_match: &str) -> u8 {
    match name_match {
        "pass" => 0,
        "warn" => 1,
        _ => 2,
    }
}

/// Makes text from the disc safe for a terminal: control characters (an ESC sequence in a PatientName could
/// clear the screen or fake a verdict) are shown as U+FFFD.
pub fn clean(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { '\u{FFFD}' } else { c })
        .collect()
}

#[derive(Debug, Clone, Copy)]
struct Style(bool);

impl Style {
    fn paint(self, code: &str, text: &str) -> String {
        if self.0 {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
    fn bold(self, text: &str) -> String {
        self.paint("1", text)
    }
    fn red(self, text: &str) -> String {
        self.paint("31", text)
    }
    fn green(self, text: &str) -> String {
        self.paint("32", text)
    }
    fn yellow(self, text: &str) -> String {
        self.paint("33", text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_never_reach_the_terminal() {
        assert_eq!(clean("SMITH\x1b[2J^JOHN"), "SMITH\u{FFFD}[2J^JOHN");
        assert_eq!(clean("张三"), "张三");
    }
}

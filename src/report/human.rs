//! The human summary: what a patient reads at the counter, and the note in Chinese for the staff.

use std::fmt::Write as _;

use super::{Report, Verdict};
use crate::checks::{CheckId, Finding, Severity, plural, wording};

/// Which note for the counter staff follows a failing summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StaffNote {
    /// Simplified Chinese (the default).
    #[default]
    Zh,
    /// English.
    En,
    /// No note.
    None,
}

/// How much the summary says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Detail {
    /// The verdict line only (`--quiet`).
    Quiet,
    /// The summary (the default).
    #[default]
    Normal,
    /// The summary with every file a finding concerns and the study and series UIDs (`--verbose`).
    Verbose,
}

/// How to render.
#[derive(Debug, Clone, Copy, Default)]
pub struct HumanOptions {
    /// Use ANSI colours.
    pub color: bool,
    /// Which staff note to add when something must be fixed.
    pub staff_note: StaffNote,
    /// How much to say.
    pub detail: Detail,
}

/// How many paths a finding lists before "and N more" (without `--verbose`).
const PATHS_SHOWN: usize = 5;

/// How the passport name compares with the names on the disc, as the summary words it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameVerdict {
    /// Every name on the disc matches.
    Matches,
    /// Matches, with a remark among the findings.
    Remark,
    /// Some name on the disc is not the passport's.
    Mismatch,
    /// The disc holds no name to compare.
    NoName,
}

impl NameVerdict {
    /// The verdict for this report, or `None` without `--name`.
    pub fn of(report: &Report) -> Option<Self> {
        report.expected_name.as_ref()?;
        let worst = report
            .patients
            .iter()
            .filter_map(|p| p.name_match)
            .max_by_key(|m| match *m {
                "pass" => 0,
                "warn" => 1,
                _ => 2,
            });
        Some(match worst {
            Some("pass") => NameVerdict::Matches,
            Some("warn") => NameVerdict::Remark,
            Some(_) => NameVerdict::Mismatch,
            None => NameVerdict::NoName,
        })
    }

    /// The words shown after the passport name.
    pub fn text(self) -> &'static str {
        match self {
            NameVerdict::Matches => "matches",
            NameVerdict::Remark => "matches, with a remark below",
            NameVerdict::Mismatch => "DOES NOT MATCH (see below)",
            NameVerdict::NoName => "no name on the disc to compare",
        }
    }
}

/// The verdict line: `RESULT: PASS (1 warning)` or `RESULT: FAIL — 2 problems to fix before you leave the counter`.
pub fn verdict_line(report: &Report) -> String {
    let (fails, warns) = report.problem_counts();
    match report.verdict {
        Verdict::Pass => wording::verdict_pass(warns),
        Verdict::Fail => wording::verdict_fail(if report.strict { fails + warns } else { fails }),
    }
}

/// The note for the counter staff: a greeting and one request per problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CounterNote {
    /// What the patient reads above the note.
    pub heading: &'static str,
    /// The greeting that opens the note, in the note's language.
    pub greeting: &'static str,
    /// One request per problem, without repeats.
    pub lines: Vec<String>,
}

/// The note for the counter staff in `language`: present when the result is FAIL, or when the name check has a
/// request (a name warning on a passing disc); `None` otherwise or with `--staff-note none`.
pub fn counter_note(report: &Report, language: StaffNote) -> Option<CounterNote> {
    let asks: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| f.severity > Severity::Info && !f.ask.is_empty())
        .collect();
    let wanted = report.verdict == Verdict::Fail || asks.iter().any(|f| f.check == CheckId::Name);
    if !wanted {
        return None;
    }
    let (heading, greeting, texts): (_, _, Vec<&str>) = match language {
        StaffNote::Zh => (
            wording::NOTE_HEADING_ZH,
            wording::NOTE_GREETING_ZH,
            asks.iter().map(|f| f.ask_zh.as_str()).collect(),
        ),
        // The English requests are worded for the patient ("Ask them to ..."); staff read what is wrong.
        StaffNote::En => (
            wording::NOTE_HEADING_EN,
            wording::NOTE_GREETING_EN,
            asks.iter().map(|f| f.message.as_str()).collect(),
        ),
        StaffNote::None => return None,
    };
    let mut lines: Vec<String> = Vec::new();
    for text in texts.into_iter().filter(|t| !t.is_empty()) {
        let text = clean(text);
        if !lines.contains(&text) {
            lines.push(text);
        }
    }
    (!lines.is_empty()).then_some(CounterNote {
        heading,
        greeting,
        lines,
    })
}

/// The header phase's inventory in a few lines (who, which studies), shown on stderr while the images are opened.
pub fn inventory(report: &Report) -> String {
    let mut out = String::new();
    for patient in &report.patients {
        let _ = writeln!(out, "On the disc: {}", clean(&patient.name));
    }
    for study in &report.studies {
        let images: u64 = study.series.iter().map(|s| s.frames).sum();
        let _ = writeln!(
            out,
            "  study {}  {}  {} ({} series, {images} images)",
            clean(study.date.as_deref().unwrap_or("(no date)")),
            clean(&study.modalities.join("/")),
            clean(study.description.as_deref().unwrap_or("")),
            study.series.len()
        );
    }
    out + "Now opening every image (--quick skips this)...\n"
}

/// What the images phase did, or that it did not run.
pub fn images_line(report: &Report) -> String {
    match &report.images {
        Some(images) => format!(
            "Opened every image: {} frames decoded from {} files ({:.1} MB read) in {:.1} s.",
            images.frames_decoded,
            images.files,
            images.bytes as f64 / 1e6,
            images.elapsed_seconds
        ),
        None => "Images NOT opened (--quick): only the headers were read, so damaged image data would not show."
            .to_string(),
    }
}

/// Renders the report as the plain-text summary.
pub fn render(report: &Report, options: HumanOptions) -> String {
    let style = Style(options.color);
    let mut out = String::new();
    if options.detail == Detail::Quiet {
        let _ = writeln!(
            out,
            "{}",
            style.verdict(report.verdict, &verdict_line(report))
        );
        return out;
    }
    let verbose = options.detail == Detail::Verbose;
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
    let _ = writeln!(out, "{}", images_line(report));
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
    if let (Some(expected), Some(verdict)) = (&report.expected_name, NameVerdict::of(report)) {
        let words = match verdict {
            NameVerdict::Matches => style.green(verdict.text()),
            NameVerdict::Remark => style.yellow(verdict.text()),
            NameVerdict::Mismatch => style.red(verdict.text()),
            NameVerdict::NoName => verdict.text().to_string(),
        };
        let _ = writeln!(out, "Passport name:    {}   → {words}", clean(expected));
    }
    if !report.patients.is_empty() || report.expected_name.is_some() {
        out.push('\n');
    }

    render_studies(&mut out, report, style, verbose);

    let _ = writeln!(
        out,
        "{}",
        style.verdict(report.verdict, &verdict_line(report))
    );
    for finding in report
        .findings
        .iter()
        .filter(|f| f.severity > Severity::Info)
    {
        render_finding(&mut out, finding, style, verbose);
    }
    let notes: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Info)
        .collect();
    if !notes.is_empty() {
        let _ = writeln!(out, "\nNotes:");
        for finding in notes {
            render_finding(&mut out, finding, style, verbose);
        }
    }

    if let Some(note) = counter_note(report, options.staff_note) {
        let _ = writeln!(out, "\n{}", note.heading);
        let _ = writeln!(out, "  {}", note.greeting);
        for (i, line) in note.lines.iter().enumerate() {
            let _ = writeln!(out, "  {}. {line}", i + 1);
        }
    }
    out
}

/// One block per study, columns aligned by display width (CJK characters take two columns).
fn render_studies(out: &mut String, report: &Report, style: Style, verbose: bool) {
    let cell = |text: Option<&str>| text.map(clean).unwrap_or_default();
    let modalities: Vec<String> = report
        .studies
        .iter()
        .map(|s| clean(&s.modalities.join("/")))
        .collect();
    let descriptions: Vec<String> = report
        .studies
        .iter()
        .map(|s| cell(s.description.as_deref()))
        .collect();
    let modality_width = modalities.iter().map(|m| width(m)).max().unwrap_or(0);
    let description_width = descriptions
        .iter()
        .map(|d| width(d))
        .max()
        .unwrap_or(0)
        .min(40);
    let all_series = || report.studies.iter().flat_map(|s| &s.series);
    let number_width = all_series()
        .map(|s| s.number.map_or(1, |n| n.to_string().len()))
        .max()
        .unwrap_or(1);
    let series_modality_width = all_series()
        .map(|s| width(&cell(s.modality.as_deref())))
        .max()
        .unwrap_or(0);
    let frames_width = all_series()
        .map(|s| s.frames.to_string().len())
        .max()
        .unwrap_or(1);

    for ((study, modality), description) in
        report.studies.iter().zip(&modalities).zip(&descriptions)
    {
        let date = study
            .date
            .as_deref()
            .map(clean)
            .unwrap_or_else(|| "(no date)".into());
        let images: u64 = study.series.iter().map(|s| s.frames).sum();
        let _ = writeln!(
            out,
            "{}  {}  {}  [{}, {}]",
            style.bold(&format!("Study {}", pad(&date, 10))),
            pad(modality, modality_width),
            pad(description, description_width),
            plural(study.series.len(), "series", "series"),
            plural(
                usize::try_from(images).unwrap_or(usize::MAX),
                "image",
                "images"
            ),
        );
        if verbose {
            let _ = writeln!(out, "    study UID {}", clean(&study.study_instance_uid));
        }
        for series in &study.series {
            let number = series
                .number
                .map_or_else(|| "?".to_string(), |n| n.to_string());
            let mut line = format!(
                "    series {number:>number_width$}  {}  {:>frames_width$} {}  {}",
                pad(&cell(series.modality.as_deref()), series_modality_width),
                series.frames,
                if series.frames == 1 {
                    "image "
                } else {
                    "images"
                },
                cell(series.description.as_deref())
            );
            if !series.missing.is_empty() {
                let _ = write!(
                    line,
                    "  {}",
                    style.red(&format!("missing: {}", clean(&series.missing.join(", "))))
                );
            }
            let _ = writeln!(out, "{}", line.trim_end());
            if verbose {
                let _ = writeln!(
                    out,
                    "        series UID {}",
                    clean(&series.series_instance_uid)
                );
            }
        }
    }
    if !report.studies.is_empty() {
        out.push('\n');
    }
}

fn render_finding(out: &mut String, finding: &Finding, style: Style, verbose: bool) {
    let (mark, plain) = match finding.severity {
        Severity::Fail => (style.red("✗ FAIL"), "✗ FAIL"),
        Severity::Warn => (style.yellow("! WARN"), "! WARN"),
        Severity::Info => ("· note".to_string(), "· note"),
    };
    let head = format!("  {plain} [{}] ", finding.check);
    let message = wrap(&clean(&finding.message), width(&head), 6);
    let _ = writeln!(out, "  {mark} [{}] {message}", finding.check);
    if !finding.ask.is_empty() {
        let _ = writeln!(out, "      → {}", wrap(&clean(&finding.ask), 8, 8));
    }
    let shown = if verbose {
        finding.paths.len()
    } else {
        PATHS_SHOWN
    };
    for path in finding.paths.iter().take(shown) {
        let _ = writeln!(out, "        {}", clean(path));
    }
    if finding.paths.len() > shown {
        let _ = writeln!(
            out,
            "        … and {} more (all are listed with --verbose or --json)",
            finding.paths.len() - shown
        );
    }
}

/// Lines of the summary are wrapped at this many columns, so that a message stays readable in any terminal.
const LINE_WIDTH: usize = 88;

/// Wraps `text` at word boundaries to [`LINE_WIDTH`]: the first line starts at column `first`, the following
/// lines are indented by `indent` spaces. Words longer than a line are left whole.
fn wrap(text: &str, first: usize, indent: usize) -> String {
    let mut out = String::new();
    let mut column = first;
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        let w = width(word);
        if column > indent.max(first) && column + 1 + w > LINE_WIDTH {
            out.push('\n');
            out.extend(std::iter::repeat_n(' ', indent));
            column = indent;
        } else if !out.is_empty() {
            out.push(' ');
            column += 1;
        }
        out.push_str(word);
        column += w;
    }
    out
}

/// Columns `text` takes on a terminal: two for CJK characters, none for combining marks.
pub fn width(text: &str) -> usize {
    unicode_width::UnicodeWidthStr::width(text)
}

/// `text` padded with spaces to `columns` display columns (left-aligned); longer text is left whole.
pub fn pad(text: &str, columns: usize) -> String {
    let mut padded = text.to_string();
    padded.extend(std::iter::repeat_n(
        ' ',
        columns.saturating_sub(width(text)),
    ));
    padded
}

/// `text` cut to at most `columns` display columns, ending in `…` when cut.
pub fn fit(text: &str, columns: usize) -> String {
    if width(text) <= columns {
        return text.to_string();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if used + w + 1 > columns {
            break;
        }
        used += w;
        out.push(c);
    }
    out.push('…');
    out
}

pub use crate::charset::printable as clean;

/// ANSI styles (through `anstyle`), or none; the front end writes through `anstream`, which turns them into
/// console calls on old Windows consoles and drops them where the output is not a terminal.
#[derive(Debug, Clone, Copy)]
struct Style(bool);

impl Style {
    fn paint(self, style: anstyle::Style, text: &str) -> String {
        if self.0 {
            format!("{style}{text}{style:#}")
        } else {
            text.to_string()
        }
    }
    fn verdict(self, verdict: Verdict, text: &str) -> String {
        match verdict {
            Verdict::Pass => self.green(&self.bold(text)),
            Verdict::Fail => self.red(&self.bold(text)),
        }
    }
    fn bold(self, text: &str) -> String {
        self.paint(anstyle::Style::new().bold(), text)
    }
    fn red(self, text: &str) -> String {
        self.paint(anstyle::AnsiColor::Red.on_default(), text)
    }
    fn green(self, text: &str) -> String {
        self.paint(anstyle::AnsiColor::Green.on_default(), text)
    }
    fn yellow(self, text: &str) -> String {
        self.paint(anstyle::AnsiColor::Yellow.on_default(), text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_messages_wrap_under_the_line_width_with_a_hanging_indent() {
        let text = "Series 1 CT 'CHEST 2.5MM' is incomplete: about 1 slice missing between z = -80.0 and \
                    -75.0. Image numbers missing: #10. The DICOMDIR lists 24 files for it.";
        let wrapped = wrap(text, 20, 6);
        let lines: Vec<&str> = wrapped.lines().collect();
        assert!(lines.len() >= 2, "{wrapped}");
        assert!(20 + width(lines[0]) <= LINE_WIDTH);
        for line in &lines[1..] {
            assert!(
                line.starts_with("      ") && !line.starts_with("       "),
                "{line:?}"
            );
            assert!(width(line) <= LINE_WIDTH, "{line:?}");
        }
        assert_eq!(
            wrapped.split_whitespace().collect::<Vec<_>>().join(" "),
            text
        );
        assert_eq!(wrap("short", 10, 6), "short");
    }

    #[test]
    fn control_characters_never_reach_the_terminal() {
        assert_eq!(clean("SMITH\x1b[2J^JOHN"), "SMITH\u{FFFD}[2J^JOHN");
        assert_eq!(clean("张三"), "张三");
        assert_eq!(clean("A\u{202E}B"), "A\u{FFFD}B");
    }

    #[test]
    fn cjk_text_is_padded_and_cut_by_display_width() {
        assert_eq!(width("张三"), 4);
        assert_eq!(pad("张三", 6), "张三  ");
        assert_eq!(pad("SMITH", 3), "SMITH");
        assert_eq!(fit("胸部平扫CT", 7), "胸部平…");
        assert_eq!(width(&fit("胸部平扫CT", 7)), 7);
        assert_eq!(fit("CT", 7), "CT");
    }
}

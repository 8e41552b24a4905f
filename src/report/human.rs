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
#[derive(Debug, Clone, Copy)]
pub struct HumanOptions {
    /// Use ANSI colours.
    pub color: bool,
    /// Which staff note to add when something must be fixed.
    pub staff_note: StaffNote,
    /// How much to say.
    pub detail: Detail,
    /// Columns to wrap at (at most [`LINE_WIDTH`]).
    pub width: usize,
}

impl Default for HumanOptions {
    fn default() -> Self {
        Self {
            color: false,
            staff_note: StaffNote::default(),
            detail: Detail::default(),
            width: LINE_WIDTH,
        }
    }
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

/// The verdict line: `RESULT: PASS (1 warning, no action needed)` or `RESULT: FAIL — 2 problems to fix before you leave the counter`.
pub fn verdict_line(report: &Report) -> String {
    let (fails, warns) = report.problem_counts();
    match report.verdict {
        Verdict::Pass => wording::verdict_pass(warns),
        Verdict::Fail => wording::verdict_fail(if report.strict { fails + warns } else { fails }),
    }
}

/// The note for the counter staff: a greeting, what staff need to find the exam, and one numbered request per
/// problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CounterNote {
    /// What the patient reads above the note.
    pub heading: &'static str,
    /// The greeting that opens the note, in the note's language.
    pub greeting: String,
    /// The patients as on the disc with their IDs, then the exams' dates and modalities.
    pub context: Vec<String>,
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
    let optional = report.verdict == Verdict::Pass;
    let medium = report.medium;
    let zh = language == StaffNote::Zh;
    // Problems the hospital cannot fix (a download cut short) have no Chinese request, and no line at all.
    let asks = asks.into_iter().filter(|f| !f.ask_zh.is_empty());
    let asks: Vec<&Finding> = asks.collect();
    // The same request about different exams names each exam by its accession number (or its place).
    let exam_of = |f: &Finding| {
        let repeated = asks
            .iter()
            .any(|g| g.ask_zh == f.ask_zh && g.study.is_some() && g.study != f.study);
        let uid = f.study.as_deref().filter(|_| repeated)?;
        let (index, study) = report
            .studies
            .iter()
            .enumerate()
            .find(|(_, s)| s.study_instance_uid == uid)?;
        Some(wording::exam_reference_zh(
            index,
            study.accession_number.as_deref().map(clean).as_deref(),
        ))
    };
    let (heading, greeting, texts): (_, _, Vec<String>) = match language {
        StaffNote::Zh => (
            wording::NOTE_HEADING_ZH,
            wording::note_greeting_zh(medium, optional),
            asks.iter()
                .map(|f| {
                    let mut request = clean(&f.ask_zh);
                    if let Some(exam) = exam_of(f) {
                        request = format!("{exam}{request}");
                    }
                    if optional {
                        wording::optional_zh(&request)
                    } else {
                        request
                    }
                })
                .collect(),
        ),
        // The English requests are worded for the patient ("Ask them to ..."); staff read what is wrong.
        StaffNote::En => (
            wording::NOTE_HEADING_EN,
            wording::note_greeting_en(medium, optional),
            asks.iter().map(|f| clean(&f.message)).collect(),
        ),
        StaffNote::None => return None,
    };
    let mut lines: Vec<String> = Vec::new();
    for text in texts {
        if !lines.contains(&text) {
            lines.push(text);
        }
    }
    if lines.is_empty() {
        return None;
    }
    let people: Vec<(String, Option<String>)> = report
        .patients
        .iter()
        .map(|p| (clean(&p.name), p.id.as_deref().map(clean)))
        .collect();
    let exams: Vec<String> = report
        .studies
        .iter()
        .map(|s| {
            wording::note_exam(
                s.date.as_deref(),
                &clean(&s.modalities.join("/")),
                s.accession_number.as_deref().map(clean).as_deref(),
                zh,
            )
        })
        .collect();
    let mut context = Vec::new();
    if !people.is_empty() {
        context.push(if zh {
            wording::note_patients_zh(medium, &people)
        } else {
            wording::note_patients_en(&people)
        });
    }
    if !exams.is_empty() {
        context.push(if zh {
            wording::note_exams_zh(&exams)
        } else {
            wording::note_exams_en(&exams)
        });
    }
    Some(CounterNote {
        heading,
        greeting,
        context,
        lines,
    })
}

/// The words after the passport name: the name verdict, or for a disc of several people, whose scans match and
/// whose are also on it.
pub fn name_headline(report: &Report, verdict: NameVerdict) -> String {
    let mine: Vec<&str> = report
        .patients
        .iter()
        .filter(|p| matches!(p.name_match, Some("pass" | "warn")))
        .map(|p| p.name.as_str())
        .collect();
    let others: Vec<&str> = report
        .patients
        .iter()
        .filter(|p| p.name_match == Some("fail"))
        .map(|p| p.name.as_str())
        .collect();
    if report.patients.len() > 1 && !mine.is_empty() && !others.is_empty() {
        format!(
            "matches {}; the disc ALSO holds {}'s scans",
            clean(&mine.join(", ")),
            clean(&others.join(", "))
        )
    } else {
        verdict.text().to_string()
    }
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
            "  study {}  {}  {} ({} series, {})",
            clean(study.date.as_deref().unwrap_or("(no date)")),
            clean(&study.modalities.join("/")),
            clean(study.description.as_deref().unwrap_or("")),
            study.series.len(),
            plural(images as usize, "image", "images")
        );
    }
    out + "Now opening every image (--quick skips this)...\n"
}

/// What the images phase did, or that it did not run.
pub fn images_line(report: &Report) -> String {
    match &report.images {
        Some(images) => {
            let damaged: std::collections::BTreeSet<&str> = report
                .findings
                .iter()
                .filter(|f| f.check == CheckId::Images && f.severity == Severity::Fail)
                .flat_map(|f| f.paths.iter().map(String::as_str))
                .collect();
            wording::images_opened(
                images.frames_decoded,
                images.files,
                damaged.len(),
                images.bytes,
                images.elapsed_seconds,
            )
        }
        None => "Images NOT opened (--quick): only the headers were read, so damaged image data would not show."
            .to_string(),
    }
}

/// Renders the report as the plain-text summary, wrapped to `options.width`, ending with the verdict line.
pub fn render(report: &Report, options: HumanOptions) -> String {
    let style = Style(options.color);
    let columns = options.width.clamp(40, LINE_WIDTH);
    let mut out = String::new();
    let verdict = style.verdict(report.verdict, &verdict_line(report));
    if options.detail == Detail::Quiet {
        let _ = writeln!(out, "{verdict}");
        return out;
    }
    let verbose = options.detail == Detail::Verbose;
    let _ = writeln!(
        out,
        "{}",
        wrap(
            &format!("dicomcheck {} · {}", report.version, clean(&report.root)),
            0,
            2,
            columns
        )
    );
    let _ = writeln!(out, "{}", wrap(&counts_line(report), 0, 2, columns));
    let _ = writeln!(out, "{}", wrap(&images_line(report), 0, 2, columns));
    out.push('\n');

    for patient in &report.patients {
        let mut line = format!("Patient on disc:  {}", clean(&patient.name));
        if let Some(id) = &patient.id {
            let _ = write!(line, "   ID {}", clean(id));
        }
        if let Some(born) = &patient.birth_date {
            let _ = write!(line, "   born {}", clean(born));
        }
        let _ = writeln!(out, "{}", wrap(&line, 0, 18, columns));
    }
    if let (Some(expected), Some(verdict)) = (passport(report), NameVerdict::of(report)) {
        let words = name_headline(report, verdict);
        let line = wrap(
            &format!("Passport name:    {}   → {words}", clean(expected)),
            0,
            18,
            columns,
        );
        let line = match verdict {
            NameVerdict::Matches => line.replace(&words, &style.green(&words)),
            NameVerdict::Remark => line.replace(&words, &style.yellow(&words)),
            NameVerdict::Mismatch => line.replace(&words, &style.red(&words)),
            NameVerdict::NoName => line,
        };
        let _ = writeln!(out, "{line}");
    }
    if !report.patients.is_empty() || report.expected_name.is_some() {
        out.push('\n');
    }

    render_studies(&mut out, report, style, verbose, columns);
    if report.counts.dicom_files > 0 {
        let _ = writeln!(out, "{}\n", wrap(&report_line(report), 0, 2, columns));
    }

    let _ = writeln!(out, "{verdict}");
    let optional = report.verdict == Verdict::Pass;
    for finding in report
        .findings
        .iter()
        .filter(|f| f.severity > Severity::Info)
    {
        render_finding(&mut out, report, finding, style, verbose, optional, columns);
    }
    let notes: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Info)
        .collect();
    if !notes.is_empty() {
        let _ = writeln!(out, "\nNotes:");
        for finding in notes {
            render_finding(&mut out, report, finding, style, verbose, false, columns);
        }
    }

    if let Some(note) = counter_note(report, options.staff_note) {
        let _ = writeln!(out, "\n{}", note.heading);
        for line in std::iter::once(&note.greeting).chain(&note.context) {
            let _ = writeln!(out, "  {}", wrap(line, 2, 4, columns));
        }
        for (i, line) in note.lines.iter().enumerate() {
            let number = format!("{}. ", i + 1);
            let _ = writeln!(
                out,
                "  {number}{}",
                wrap(line, 2 + number.len(), 2 + number.len(), columns)
            );
        }
    }
    // The verdict again as the very last line, so that it shows on a small screen after the rest scrolled by.
    let _ = writeln!(out, "\n{verdict}");
    out
}

/// The passport name as every text shows it (the typed form when it could not be parsed).
pub fn passport(report: &Report) -> Option<&str> {
    report
        .passport_name
        .as_deref()
        .or(report.expected_name.as_deref())
}

/// `Read 55 files in 0.1 s: 51 DICOM images, 1 DICOMDIR, 3 other files.`: the parts add up to the files read.
pub fn counts_line(report: &Report) -> String {
    let c = &report.counts;
    if c.files == 0 && c.entries_not_read > 0 && report.medium == crate::report::Medium::Download {
        // The archive itself could not be listed (a download cut short): no entry of it to count.
        return wording::nothing_read_from_download(report.elapsed_seconds);
    }
    let mut parts = vec![plural(c.dicom_files, "DICOM file", "DICOM files")];
    if c.dicomdir_files > 0 {
        parts.push(plural(
            c.dicomdir_files,
            "DICOMDIR (the disc's index)",
            "DICOMDIRs (the disc's index)",
        ));
    }
    parts.push(plural(c.non_dicom_files, "other file", "other files"));
    let unreadable = c.unreadable_files.saturating_sub(c.entries_not_read);
    if unreadable > 0 {
        parts.push(format!("{unreadable} unreadable"));
    }
    let mut line = format!(
        "Read {} in {:.1} s: {}.",
        plural(c.files, "file", "files"),
        report.elapsed_seconds,
        parts.join(", ")
    );
    if c.entries_not_read > 0 {
        let _ = write!(
            line,
            " {} not read.",
            wording::capitalized(&plural(
                c.entries_not_read,
                "link, folder or special entry",
                "links, folders or special entries"
            ))
        );
    }
    line
}

/// `Radiology report: on the disc (PDF file)` or the reminder to collect it.
pub fn report_line(report: &Report) -> String {
    let mut kinds: Vec<String> = Vec::new();
    for item in &report.radiology_report.items {
        let kind = wording::report_item(
            item.kind,
            item.format.as_deref(),
            &clean(&item.path),
            item.pages,
        );
        if !kinds.contains(&kind) {
            kinds.push(kind);
        }
    }
    let shown = kinds.len().min(3);
    let mut shown_kinds = kinds[..shown].to_vec();
    if kinds.len() > shown {
        shown_kinds.push(format!("and {} more", kinds.len() - shown));
    }
    wording::radiology_report_line(&shown_kinds)
}

/// One block per study, columns aligned by display width (CJK characters take two columns).
fn render_studies(out: &mut String, report: &Report, style: Style, verbose: bool, columns: usize) {
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
        let mut line = format!(
            "Study {}  {}  {}  [{}, {}]",
            pad(&date, 10),
            pad(modality, modality_width),
            pad(description, description_width),
            plural(study.series.len(), "series", "series"),
            plural(
                usize::try_from(images).unwrap_or(usize::MAX),
                "image",
                "images"
            ),
        );
        if report.patients.len() > 1 {
            let _ = write!(line, "  patient {}", clean(&study.patient_name));
        }
        let _ = writeln!(out, "{}", style.bold(&wrap(&line, 0, 6, columns)));
        if verbose {
            let _ = writeln!(out, "    study UID {}", clean(&study.study_instance_uid));
        }
        for series in &study.series {
            let number = series
                .number
                .map_or_else(|| "?".to_string(), |n| n.to_string());
            // A series of reports or documents holds objects, not images.
            let (count, noun) = match (series.frames, series.instances) {
                (0, n) if n > 0 => (n as u64, if n == 1 { "object" } else { "objects" }),
                (1, _) => (1, "image "),
                (n, _) => (n, "images"),
            };
            let mut line = format!(
                "    series {number:>number_width$}  {}  {count:>frames_width$} {noun}  {}",
                pad(&cell(series.modality.as_deref()), series_modality_width),
                cell(series.description.as_deref())
            );
            let mut missing = String::new();
            if series.missing_confirmed {
                // Only a gap in the positions is a loss; odd numbering alone is a warning below. Positions are a
                // detail for --verbose.
                missing = if verbose {
                    format!("missing: {}", clean(&series.missing.join(", ")))
                } else {
                    format!(
                        "missing: {}",
                        plural(series.missing.len(), "slice", "slices")
                    )
                };
                let _ = write!(line, "  {missing}");
            }
            let wrapped = wrap(line.trim_end(), 0, 8, columns);
            let _ = writeln!(
                out,
                "{}",
                if missing.is_empty() || wrapped.contains('\n') {
                    wrapped
                } else {
                    wrapped.replace(&missing, &style.red(&missing))
                }
            );
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

fn render_finding(
    out: &mut String,
    report: &Report,
    finding: &Finding,
    style: Style,
    verbose: bool,
    optional: bool,
    columns: usize,
) {
    let (mark, plain) = match finding.severity {
        Severity::Fail => (style.red("✗ FAIL"), "✗ FAIL"),
        Severity::Warn => (style.yellow("! WARN"), "! WARN"),
        Severity::Info => ("· note".to_string(), "· note"),
    };
    let head = format!("  {plain} [{}] ", finding.check);
    let mut message = clean(&finding.message);
    if let Some(study) = study_of(report, finding) {
        let _ = write!(message, " ({study})");
    }
    if verbose && !finding.detail.is_empty() {
        let _ = write!(message, " {}", clean(&finding.detail));
    }
    let message = wrap(&message, width(&head), 6, columns);
    let _ = writeln!(out, "  {mark} [{}] {message}", finding.check);
    if !finding.ask.is_empty() {
        let ask = clean(&finding.ask);
        let ask = if optional {
            wording::optional_ask(&ask)
        } else {
            ask
        };
        let _ = writeln!(out, "      → {}", wrap(&ask, 8, 8, columns));
    }
    let shown = if verbose {
        finding.paths.len()
    } else {
        PATHS_SHOWN
    };
    for path in finding.paths.iter().take(shown) {
        // The reason beside a path (byte counts, error texts) is for --verbose.
        let path = if verbose {
            path
        } else {
            finding.plain_path(path)
        };
        let _ = writeln!(out, "        {}", clean(path));
    }
    if finding.paths.len() > shown {
        let _ = writeln!(
            out,
            "        {}",
            wrap(
                &format!(
                    "… and {} more (all are listed with --verbose or --json)",
                    finding.paths.len() - shown
                ),
                8,
                8,
                columns
            )
        );
    }
}

/// The study a finding concerns, when another finding says the same about another study: its place in the list
/// above and what tells it apart (`study 2 of 3 above: (no date) CT, 1 series, accession ACC00002`).
fn study_of(report: &Report, finding: &Finding) -> Option<String> {
    let uid = finding.study.as_deref()?;
    let alike = report
        .findings
        .iter()
        .any(|f| f.message == finding.message && f.study.as_deref() != Some(uid));
    if !alike {
        return None;
    }
    let (index, study) = report
        .studies
        .iter()
        .enumerate()
        .find(|(_, s)| s.study_instance_uid == uid)?;
    let mut label = format!(
        "study {} of {} above: {}",
        index + 1,
        report.studies.len(),
        study.date.as_deref().unwrap_or("(no date)")
    );
    let modalities = study.modalities.join("/");
    if !modalities.is_empty() {
        let _ = write!(label, " {modalities}");
    }
    let _ = write!(
        label,
        ", {}",
        plural(study.series.len(), "series", "series")
    );
    if let Some(accession) = &study.accession_number {
        let _ = write!(label, ", accession {accession}");
    }
    Some(clean(&label))
}

/// Lines of the summary are wrapped at this many columns at most, so that a message stays readable in any
/// terminal; a narrower terminal wraps narrower.
pub const LINE_WIDTH: usize = 88;

/// Wraps `text` to `columns`: the first line starts at column `first`, the following lines are indented by
/// `indent` spaces. Lines break at spaces and between Chinese characters (never before closing punctuation),
/// never inside a word, number or path; a word longer than a line is left whole.
pub fn wrap(text: &str, first: usize, indent: usize, columns: usize) -> String {
    let mut out = String::new();
    let mut column = first;
    for (word, spaces) in tokens(text) {
        let w = width(&word);
        let gap = spaces;
        if !out.is_empty() && column > indent && column + gap + w > columns {
            out.push('\n');
            out.extend(std::iter::repeat_n(' ', indent));
            column = indent;
        } else {
            out.extend(std::iter::repeat_n(' ', gap));
            column += gap;
        }
        out.push_str(&word);
        column += w;
    }
    out
}

/// Punctuation that never starts a line.
const NO_LINE_START: &str = "，。、；：！？）」』”’》〉】,.;:!?)]}%";
/// Punctuation that never ends a line.
const NO_LINE_END: &str = "（「『“‘《〈【";

/// The unbreakable pieces of `text`, each with the spaces before it (kept, for aligned columns): runs of
/// characters without spaces, where each wide (CJK) character is a piece of its own, with its punctuation
/// attached; a path stays whole (`报告/CT.pdf`).
fn tokens(text: &str) -> Vec<(String, usize)> {
    let chars: Vec<char> = text.chars().collect();
    let in_path = path_runs(&chars);
    let mut tokens: Vec<(String, usize)> = Vec::new();
    let mut spaces = 0;
    let mut glue_next = false;
    for (i, &c) in chars.iter().enumerate() {
        if c == ' ' {
            spaces += 1;
            glue_next = false;
            continue;
        }
        let spaced = spaces > 0;
        let wide = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0) > 1;
        let previous_wide = tokens
            .last()
            .and_then(|(t, _)| t.chars().last())
            .is_some_and(|p| unicode_width::UnicodeWidthChar::width(p).unwrap_or(0) > 1);
        let attach = !spaced
            && !tokens.is_empty()
            && (glue_next
                || NO_LINE_START.contains(c)
                || (!wide && !previous_wide)
                || (in_path[i] && i > 0 && in_path[i - 1]));
        match tokens.last_mut() {
            Some((token, _)) if attach => token.push(c),
            _ => tokens.push((c.to_string(), spaces)),
        }
        glue_next = NO_LINE_END.contains(c);
        spaces = 0;
    }
    tokens
}

/// Which characters belong to a path: a run without spaces or Chinese punctuation that holds a `/` or `\`.
fn path_runs(chars: &[char]) -> Vec<bool> {
    let mut marks = vec![false; chars.len()];
    let ends = |c: char| c == ' ' || "，。：；（）“”、！？「」《》【】".contains(c);
    let mut start = 0;
    while start < chars.len() {
        let end = chars[start..]
            .iter()
            .position(|&c| ends(c))
            .map_or(chars.len(), |p| start + p);
        if chars[start..end].iter().any(|&c| c == '/' || c == '\\') {
            marks[start..end].fill(true);
        }
        start = end + 1;
    }
    marks
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
        let wrapped = wrap(text, 20, 6, LINE_WIDTH);
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
        assert_eq!(wrap("short", 10, 6, LINE_WIDTH), "short");
    }

    #[test]
    fn chinese_wraps_between_characters_but_never_inside_numbers_or_before_punctuation() {
        let text = "光盘中有12个文件不完整（刻录中断），DICOM/ST000001/SE000001/IM000005无法读取。请重新刻录光盘。";
        for columns in [20, 24, 30, 41] {
            let wrapped = wrap(text, 2, 2, columns);
            for line in wrapped.lines() {
                let longest = tokens(line)
                    .iter()
                    .map(|(t, _)| width(t))
                    .max()
                    .unwrap_or(0);
                assert!(width(line) <= columns || longest > columns - 2, "{line:?}");
                assert!(
                    !line.trim_start().starts_with(['，', '。', '）']),
                    "{line:?}"
                );
                assert!(!line.ends_with('（'), "{line:?}");
            }
            assert!(wrapped.contains("12"), "a number stays whole: {wrapped}");
            assert!(
                wrapped.contains("DICOM/ST000001/SE000001/IM000005"),
                "{wrapped}"
            );
            assert_eq!(wrapped.replace(['\n', ' '], ""), text);
        }
        assert_eq!(
            wrap("series 1  CT", 0, 4, 88),
            "series 1  CT",
            "column spaces kept"
        );
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

    #[test]
    fn a_path_with_chinese_folders_is_never_broken_but_chinese_text_is() {
        let text = "Radiology report: on the disc (PDF, 1 page: 报告/CT_report.pdf; PDF, 3 pages: 诊断报告/MR.pdf)";
        for columns in 40..90 {
            let wrapped = wrap(text, 0, 2, columns);
            assert!(
                wrapped.contains("报告/CT_report.pdf") && wrapped.contains("诊断报告/MR.pdf"),
                "{columns}: {wrapped}"
            );
        }
        let note = "影像中的患者：Doe Archibald（患者ID：77654033）；Anonymized（无患者ID）；Doe Peter（患者ID：98890234）";
        let wrapped = wrap(note, 2, 4, 40);
        assert!(
            wrapped.lines().all(|l| width(l) <= 40),
            "Chinese text still breaks between characters: {wrapped}"
        );
    }
}

//! Command line: the options, and `run`, which turns them into a report on stdout and an exit code.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use clap::Parser;

use crate::media_order::MediaMode;
use crate::report::human::{Detail, HumanOptions, LINE_WIDTH, StaffNote};

/// Exit code when every check passed (warnings allowed).
pub const EXIT_PASS: i32 = 0;
/// Exit code when something must be fixed.
pub const EXIT_FAIL: i32 = 1;
/// Exit code when the check could not run (no such path, bad arguments).
pub const EXIT_ERROR: i32 = 2;

/// Check a patient's scan disc or USB stick before leaving the hospital: are the images readable and
/// complete, and are they under the name in the passport?
#[derive(Debug, Parser)]
#[command(
    name = "dicomcheck",
    version,
    after_help = "\
Examples:
  dicomcheck /media/cdrom --name \"SMITH^JOHN\"
  dicomcheck E:\\ --name \"MÜLLER, HANS\" --dob 1980-04-02 --date 2026-11-20
  dicomcheck /media/usb --name \"ZHANG<<SAN\" --name-zh 张三 --report ~/disc.html
  dicomcheck --batch discs.csv --json > results.jsonl     (CSV lines: path,name,dob,date)

Exit codes: 0 PASS, 1 FAIL (something to fix before you leave; any disc of a batch), 2 could not
check. Nothing is ever written to the disc being checked."
)]
pub struct Args {
    /// The mounted disc, USB stick, folder, .zip, .iso or DICOM file to check (several: a batch).
    #[arg(required_unless_present = "batch", value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// Passport name, surname first: SURNAME^GIVEN NAMES (or "SURNAME, GIVEN").
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,

    /// Your name in Chinese characters, if the passport prints one (e.g. 张三).
    #[arg(long, value_name = "HANZI")]
    pub name_zh: Option<String>,

    /// Your date of birth (YYYY-MM-DD), to compare with the disc.
    #[arg(long, value_name = "DATE")]
    pub dob: Option<String>,

    /// A scan day that must be on the disc: YYYY-MM-DD or FROM..TO (repeatable).
    #[arg(long = "date", value_name = "DATE")]
    pub dates: Vec<String>,

    /// Print JSON instead of the summary (JSON Lines for a batch).
    #[arg(long)]
    pub json: bool,

    /// Treat warnings as failures.
    #[arg(long)]
    pub strict: bool,

    /// Note for the counter staff: zh (Chinese), en or none.
    #[arg(long, value_enum, default_value_t = StaffNote::Zh, value_name = "LANG", hide_possible_values = true)]
    pub staff_note: StaffNote,

    /// Check every disc listed in a CSV file (path,name,dob,date per line).
    #[arg(long, value_name = "FILE.csv")]
    pub batch: Option<PathBuf>,

    /// Also write a printable HTML page (never onto the disc being checked).
    #[arg(long, value_name = "FILE.html")]
    pub report: Option<PathBuf>,

    /// Print the verdict line only.
    #[arg(long, short = 'q', conflicts_with = "verbose")]
    pub quiet: bool,

    /// Also list every file a problem concerns, and the study and series UIDs.
    #[arg(long, short = 'v')]
    pub verbose: bool,

    /// Number of files read in parallel (default: one per CPU).
    #[arg(long, short = 'j', value_name = "N")]
    pub jobs: Option<usize>,

    /// Reading order: auto, optical (on-disc order) or parallel.
    #[arg(long, value_enum, default_value_t = MediaMode::Auto, value_name = "KIND", hide_possible_values = true)]
    pub media: MediaMode,

    /// Then copy everything to DIR, each file verified by SHA-256 (resumable).
    #[arg(long, value_name = "DIR")]
    pub copy_to: Option<PathBuf>,

    /// PATH is a copy made by --copy-to: check it against its MANIFEST.sha256.
    #[arg(long)]
    pub verify_copy: bool,

    /// Wrap the summary at N columns (default: the terminal's width, at most 88).
    #[arg(long, value_name = "N")]
    pub width: Option<usize>,
}

/// Runs the check described by `args`, prints the report on stdout, and returns the exit code.
pub fn run(args: Args) -> i32 {
    if args.verify_copy {
        return match args.paths.as_slice() {
            [copy] => verify_copy(copy, args.json, args.quiet),
            _ => {
                eprintln!("dicomcheck: --verify-copy takes the folder of one copy");
                EXIT_ERROR
            }
        };
    }
    let options = match crate::CheckOptions::from_args(&args) {
        Ok(options) => options,
        Err(err) => {
            eprintln!("dicomcheck: {err}");
            return EXIT_ERROR;
        }
    };
    let output = Output::from_args(&args);
    if args.batch.is_some() || args.paths.len() > 1 {
        if args.report.is_some() || args.copy_to.is_some() {
            eprintln!("dicomcheck: --report and --copy-to take one disc; check one disc at a time");
            return EXIT_ERROR;
        }
        return match crate::batch::entries(&args) {
            Ok(entries) => crate::batch::run(&entries, &options, &output),
            Err(err) => {
                eprintln!("dicomcheck: {err}");
                EXIT_ERROR
            }
        };
    }
    let Some(path) = args.paths.first() else {
        eprintln!("dicomcheck: no disc to check");
        return EXIT_ERROR;
    };
    if let Some(dest) = &args.copy_to
        && let Err(err) = crate::copy::check_destination(path, dest)
    {
        eprintln!("dicomcheck: {err}");
        return EXIT_ERROR;
    }
    run_one(
        path,
        &options,
        &output,
        args.report.as_deref(),
        args.copy_to.as_deref(),
    )
}

/// How results are printed, from the command line.
#[derive(Debug, Clone, Copy)]
pub struct Output {
    /// One JSON object per disc instead of the summary.
    pub json: bool,
    /// How the summary is rendered.
    pub human: HumanOptions,
}

impl Output {
    /// The output options of `args`; colour only when stdout is a terminal and `NO_COLOR` is unset or empty.
    pub fn from_args(args: &Args) -> Self {
        let color = std::io::stdout().is_terminal()
            && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
        let detail = if args.quiet {
            Detail::Quiet
        } else if args.verbose {
            Detail::Verbose
        } else {
            Detail::Normal
        };
        Self {
            json: args.json,
            human: HumanOptions {
                color,
                staff_note: args.staff_note,
                detail,
                width: args.width.unwrap_or_else(terminal_width),
            },
        }
    }
}

/// Columns of the terminal stdout goes to (`COLUMNS` otherwise), at most the summary's usual width.
fn terminal_width() -> usize {
    let columns = terminal_columns().or_else(|| {
        std::env::var("COLUMNS")
            .ok()
            .and_then(|c| c.trim().parse().ok())
    });
    columns
        .filter(|&c| c > 0)
        .map_or(LINE_WIDTH, |c: usize| c.min(LINE_WIDTH))
}

#[cfg(unix)]
fn terminal_columns() -> Option<usize> {
    if !std::io::stdout().is_terminal() {
        return None;
    }
    let mut size = std::mem::MaybeUninit::<libc::winsize>::zeroed();
    // SAFETY: TIOCGWINSZ fills the `winsize` that `size` points to; it is only read when the call succeeds.
    let rc = unsafe { libc::ioctl(libc::STDOUT_FILENO, libc::TIOCGWINSZ, size.as_mut_ptr()) };
    if rc != 0 {
        return None;
    }
    // SAFETY: the call returned 0, so it initialised `size`.
    let size = unsafe { size.assume_init() };
    Some(usize::from(size.ws_col))
}

#[cfg(not(unix))]
fn terminal_columns() -> Option<usize> {
    None
}

/// Checks one disc, writes the HTML page and the verified copy if asked, prints the result, and returns the
/// exit code.
fn run_one(
    path: &Path,
    options: &crate::CheckOptions,
    output: &Output,
    page: Option<&Path>,
    copy: Option<&Path>,
) -> i32 {
    if let Some(page) = page
        && let Err(err) = crate::report::html::check_destination(path, page)
    {
        eprintln!("dicomcheck: {err}");
        return EXIT_ERROR;
    }
    let report = match crate::check(path, options) {
        Ok(report) => report,
        Err(err) => {
            eprintln!("dicomcheck: {err}");
            return EXIT_ERROR;
        }
    };
    let text = if output.json {
        match serde_json::to_string_pretty(&report) {
            Ok(json) => json + "\n",
            Err(err) => {
                eprintln!("dicomcheck: cannot write JSON: {err}");
                return EXIT_ERROR;
            }
        }
    } else {
        crate::report::human::render(&report, output.human)
    };
    if std::io::stdout().lock().write_all(text.as_bytes()).is_err() {
        return EXIT_ERROR;
    }
    if let Some(page) = page {
        let html = crate::report::html::render(&report, output.human.staff_note);
        if let Err(err) = std::fs::write(page, html) {
            eprintln!("dicomcheck: cannot write {}: {err}", page.display());
            return EXIT_ERROR;
        }
    }
    if let Some(dest) = copy
        && let Err(err) = copy_to(path, dest, &report, output.human)
    {
        eprintln!("dicomcheck: copy to {}: {err}", dest.display());
        return EXIT_ERROR;
    }
    exit_code(&report)
}

/// The exit code of one checked disc.
pub fn exit_code(report: &crate::report::Report) -> i32 {
    match report.verdict {
        crate::report::Verdict::Pass => EXIT_PASS,
        crate::report::Verdict::Fail => EXIT_FAIL,
    }
}

/// `--copy-to`: the verified copy, then the reports beside its manifest.
fn copy_to(
    source: &Path,
    dest: &Path,
    report: &crate::report::Report,
    human: HumanOptions,
) -> Result<(), crate::copy::CopyError> {
    let progress = std::io::stderr().is_terminal();
    let summary = crate::copy::copy_media(source, dest, progress)?;
    let json = serde_json::to_string_pretty(report).unwrap_or_default() + "\n";
    let text = crate::report::human::render(
        report,
        HumanOptions {
            color: false,
            ..human
        },
    );
    let html = crate::report::html::render(report, human.staff_note);
    crate::copy::write_reports(dest, &json, &text, &html)?;
    eprintln!(
        "Copied to {}: {} files, {} bytes, each verified by SHA-256 ({} written now, {} already there); \
         check it later with: dicomcheck --verify-copy {}",
        dest.display(),
        summary.files,
        summary.bytes,
        summary.copied,
        summary.already_there,
        dest.display()
    );
    if !summary.not_copied.is_empty() {
        eprintln!(
            "Not copied (links, special files or refused archive entries): {}",
            summary
                .not_copied
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    Ok(())
}

/// `--verify-copy`: checks a copy against its manifest; exit 0 when every file matches. `quiet` prints the
/// verdict line only.
fn verify_copy(copy: &Path, json: bool, quiet: bool) -> i32 {
    let verification = match crate::copy::verify_copy(copy) {
        Ok(v) => v,
        Err(err) => {
            eprintln!("dicomcheck: {err}");
            return EXIT_ERROR;
        }
    };
    let ok = verification.ok();
    let text = if json {
        let value = serde_json::json!({
            "tool": "dicomcheck",
            "version": env!("CARGO_PKG_VERSION"),
            "copy": copy.to_string_lossy(),
            "verdict": if ok { "pass" } else { "fail" },
            "verified": verification.verified,
            "missing": verification.missing,
            "changed": verification.changed,
            "bad_lines": verification.bad_lines,
        });
        serde_json::to_string_pretty(&value).unwrap_or_default() + "\n"
    } else if quiet {
        (if ok {
            "RESULT: PASS\n"
        } else {
            "RESULT: FAIL\n"
        })
        .to_string()
    } else {
        let mut text = format!(
            "Copy in {}: {} match {} (SHA-256).\n",
            copy.display(),
            crate::checks::plural(verification.verified, "file", "files"),
            crate::copy::MANIFEST
        );
        for name in &verification.missing {
            text += &format!("  missing or unreadable: {name}\n");
        }
        for name in &verification.changed {
            text += &format!("  changed since the copy was made: {name}\n");
        }
        if verification.bad_lines > 0 {
            text += &format!(
                "  {} lines of the manifest are damaged\n",
                verification.bad_lines
            );
        }
        if ok {
            text + "RESULT: PASS\n"
        } else {
            text + "RESULT: FAIL — this copy is no longer the one that was checked.\n\
                    What to do: copy the disc again from the original (dicomcheck DISC --copy-to NEW_FOLDER), or, \
                    if the disc is gone, restore the files listed above from another backup.\n"
        }
    };
    if std::io::stdout().lock().write_all(text.as_bytes()).is_err() {
        return EXIT_ERROR;
    }
    if ok { EXIT_PASS } else { EXIT_FAIL }
}

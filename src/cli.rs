//! Command line: the options, and `run`, which turns them into a report on stdout and an exit code.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use clap::Parser;

use crate::report::human::{HumanOptions, StaffNote};

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
  dicomcheck /media/usb --name \"ZHANG<<SAN\" --name-zh 张三 --json > report.json

Exit codes: 0 = PASS, 1 = FAIL (something to fix before you leave), 2 = could not check.
Nothing is ever written to the disc being checked."
)]
pub struct Args {
    /// The mounted disc, USB stick or folder to check (or a single DICOM file).
    pub path: PathBuf,

    /// Your name exactly as in the passport: SURNAME^GIVEN NAMES. The part before ^ (or before a comma, or
    /// before << as in the passport's machine-readable line) is the surname. Any case; accents allowed.
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,

    /// Your name in Chinese characters, if the passport prints one (e.g. 张三).
    #[arg(long, value_name = "HANZI")]
    pub name_zh: Option<String>,

    /// Your date of birth (YYYY-MM-DD), to compare with the disc.
    #[arg(long, value_name = "DATE")]
    pub dob: Option<String>,

    /// Day of a scan that must be on the disc (YYYY-MM-DD, or a range FROM..TO). Repeat for several scans.
    #[arg(long = "date", value_name = "DATE")]
    pub dates: Vec<String>,

    /// Print one JSON object (for scripts) instead of the summary.
    #[arg(long)]
    pub json: bool,

    /// Treat warnings as failures.
    #[arg(long)]
    pub strict: bool,

    /// Language of the note for the counter staff printed when something must be fixed.
    #[arg(long, value_enum, default_value_t = StaffNote::Zh, value_name = "LANG")]
    pub staff_note: StaffNote,

    /// Number of files read in parallel (default: one per CPU).
    #[arg(long, short = 'j', value_name = "N")]
    pub jobs: Option<usize>,

    /// After the check, copy every file to DIR (same layout), verify each copy by SHA-256, and write
    /// MANIFEST.sha256 and the reports there. Running it again resumes an interrupted copy.
    #[arg(long, value_name = "DIR")]
    pub copy_to: Option<PathBuf>,

    /// PATH is a copy made with --copy-to: check every file against its MANIFEST.sha256.
    #[arg(long)]
    pub verify_copy: bool,
}

/// Runs the check described by `args`, prints the report on stdout, and returns the exit code.
pub fn run(args: Args) -> i32 {
    if args.verify_copy {
        return verify_copy(&args);
    }
    if let Some(dest) = &args.copy_to
        && let Err(err) = crate::copy::check_destination(&args.path, dest)
    {
        eprintln!("dicomcheck: {err}");
        return EXIT_ERROR;
    }
    let options = match crate::CheckOptions::from_args(&args) {
        Ok(options) => options,
        Err(err) => {
            eprintln!("dicomcheck: {err}");
            return EXIT_ERROR;
        }
    };
    let report = match crate::check(&args.path, &options) {
        Ok(report) => report,
        Err(err) => {
            eprintln!("dicomcheck: {err}");
            return EXIT_ERROR;
        }
    };
    let text = if args.json {
        match serde_json::to_string_pretty(&report) {
            Ok(json) => json + "\n",
            Err(err) => {
                eprintln!("dicomcheck: cannot write JSON: {err}");
                return EXIT_ERROR;
            }
        }
    } else {
        let color = std::io::stdout().is_terminal()
            && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
        crate::report::human::render(
            &report,
            HumanOptions {
                color,
                staff_note: args.staff_note,
            },
        )
    };
    if std::io::stdout().lock().write_all(text.as_bytes()).is_err() {
        return EXIT_ERROR;
    }
    if let Some(dest) = &args.copy_to
        && let Err(err) = copy_to(&args, dest, &report)
    {
        eprintln!("dicomcheck: copy to {}: {err}", dest.display());
        return EXIT_ERROR;
    }
    match report.verdict {
        crate::report::Verdict::Pass => EXIT_PASS,
        crate::report::Verdict::Fail => EXIT_FAIL,
    }
}

/// `--copy-to`: the verified copy, then the reports beside its manifest.
fn copy_to(
    args: &Args,
    dest: &std::path::Path,
    report: &crate::report::Report,
) -> Result<(), crate::copy::CopyError> {
    let progress = std::io::stderr().is_terminal();
    let summary = crate::copy::copy_media(&args.path, dest, progress)?;
    let json = serde_json::to_string_pretty(report).unwrap_or_default() + "\n";
    let text = crate::report::human::render(
        report,
        HumanOptions {
            color: false,
            staff_note: args.staff_note,
        },
    );
    crate::copy::write_reports(dest, &json, &text)?;
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

/// `--verify-copy`: checks a copy against its manifest; exit 0 when every file matches.
fn verify_copy(args: &Args) -> i32 {
    let verification = match crate::copy::verify_copy(&args.path) {
        Ok(v) => v,
        Err(err) => {
            eprintln!("dicomcheck: {err}");
            return EXIT_ERROR;
        }
    };
    let ok = verification.ok();
    let text = if args.json {
        let value = serde_json::json!({
            "tool": "dicomcheck",
            "version": env!("CARGO_PKG_VERSION"),
            "copy": args.path.to_string_lossy(),
            "verdict": if ok { "pass" } else { "fail" },
            "verified": verification.verified,
            "missing": verification.missing,
            "changed": verification.changed,
            "bad_lines": verification.bad_lines,
        });
        serde_json::to_string_pretty(&value).unwrap_or_default() + "\n"
    } else {
        let mut text = format!(
            "Copy in {}: {} files match {} (SHA-256).\n",
            args.path.display(),
            verification.verified,
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
        text + if ok {
            "RESULT: PASS\n"
        } else {
            "RESULT: FAIL\n"
        }
    };
    if std::io::stdout().lock().write_all(text.as_bytes()).is_err() {
        return EXIT_ERROR;
    }
    if ok { EXIT_PASS } else { EXIT_FAIL }
}

//! Command line: the options, and `run`, which turns them into a report on stdout and an exit code.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use clap::Parser;

use crate::media_order::MediaMode;
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

    /// How to read the files: `auto` reads CDs/DVDs (ISO 9660, UDF) in on-disc order from one reader and
    /// everything else in parallel; `optical` forces the on-disc order; `parallel` forces parallel reads.
    #[arg(long, value_enum, default_value_t = MediaMode::Auto, value_name = "KIND")]
    pub media: MediaMode,
}

/// Runs the check described by `args`, prints the report on stdout, and returns the exit code.
pub fn run(args: Args) -> i32 {
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
    match report.verdict {
        crate::report::Verdict::Pass => EXIT_PASS,
        crate::report::Verdict::Fail => EXIT_FAIL,
    }
}

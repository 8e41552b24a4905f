//! Command line: the options, and `run`, which turns them into a report on stdout and an exit code. The one front
//! end that knows flags, terminals and exit codes; everything it prints to stderr goes through [`error`].

use std::fmt::Display;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use clap::{Parser, ValueEnum};

use crate::batch::{self, Overall};
use crate::charset::printable;
use crate::checks::Expectations;
use crate::discover::{self, Found, Volume};
use crate::media_order::MediaMode;
use crate::options::{self, CheckOptions, InputError};
use crate::report::human::{Detail, HumanOptions, LINE_WIDTH, StaffNote};
use crate::scan::ScanOptions;

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
    /// The mounted disc, USB stick, folder, .zip, .iso or DICOM file to check (several: a batch). Without
    /// it, the one CD/DVD or USB stick that holds DICOM.
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// Passport name, surname first: SURNAME^GIVEN NAMES (or "SURNAME, GIVEN").
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,

    /// Inventory only, no name check (else --name, asked on a terminal).
    #[arg(long, conflicts_with = "name")]
    pub no_name: bool,

    /// Passport number, to look for among the disc's patient IDs.
    #[arg(long, value_name = "NUMBER")]
    pub passport: Option<String>,

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
    #[arg(long, value_enum, default_value_t = NoteArg::Zh, value_name = "LANG", hide_possible_values = true)]
    pub staff_note: NoteArg,

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
    #[arg(long, value_enum, default_value_t = MediaArg::Auto, value_name = "KIND", hide_possible_values = true)]
    pub media: MediaArg,

    /// Then copy everything to DIR, each file verified by SHA-256 (resumable).
    #[arg(long, value_name = "DIR")]
    pub copy_to: Option<PathBuf>,

    /// Headers only: do not open the images (faster)
    #[arg(long)]
    pub quick: bool,

    /// PATH is a copy made by --copy-to: check it against its MANIFEST.sha256.
    #[arg(long)]
    pub verify_copy: bool,

    /// Wrap the summary at N columns (default: terminal width, at most 88).
    #[arg(long, value_name = "N")]
    pub width: Option<usize>,
}

/// `--staff-note`: which [`StaffNote`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum NoteArg {
    /// Simplified Chinese (the default).
    Zh,
    /// English.
    En,
    /// No note.
    None,
}

impl From<NoteArg> for StaffNote {
    fn from(arg: NoteArg) -> Self {
        match arg {
            NoteArg::Zh => StaffNote::Zh,
            NoteArg::En => StaffNote::En,
            NoteArg::None => StaffNote::None,
        }
    }
}

/// `--media`: which [`MediaMode`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MediaArg {
    /// Optical order on CD/DVD file systems, full parallelism elsewhere.
    Auto,
    /// One reader in on-disc order, parallel parsing.
    Optical,
    /// Read every file in parallel.
    Parallel,
}

impl From<MediaArg> for MediaMode {
    fn from(arg: MediaArg) -> Self {
        match arg {
            MediaArg::Auto => MediaMode::Auto,
            MediaArg::Optical => MediaMode::Optical,
            MediaArg::Parallel => MediaMode::Parallel,
        }
    }
}

/// Prints `err` to stderr as `dicomcheck: …`, terminal-safe (names from the media may hold control bytes), and
/// returns [`EXIT_ERROR`]. The one way this program reports an error.
pub fn error(err: impl Display) -> i32 {
    say(&format!("dicomcheck: {err}"));
    EXIT_ERROR
}

/// Makes a panic (a bug in dicomcheck) print one terminal-safe line through [`error`]'s path instead of Rust's
/// default text; the scan catches a panic while reading a file and goes on with the next one.
pub fn report_panics() {
    std::panic::set_hook(Box::new(|info| {
        let what = info
            .payload()
            .downcast_ref::<&str>()
            .copied()
            .or_else(|| info.payload().downcast_ref::<String>().map(String::as_str))
            .unwrap_or("unknown");
        let at = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        say(&format!("dicomcheck: internal error{at}: {what}"));
    }));
}

/// Prints one line to stderr, terminal-safe.
fn say(line: &str) {
    let _ = writeln!(anstream::stderr(), "{}", printable(line));
}

/// The check options of the command line.
pub fn check_options(args: &Args) -> Result<CheckOptions, InputError> {
    let passport = args
        .name
        .as_deref()
        .map(|n| options::passport_name("--name", n))
        .transpose()?;
    let dob = args
        .dob
        .as_deref()
        .map(|d| options::birth_date("--dob", d))
        .transpose()?;
    Ok(CheckOptions {
        expect: Expectations {
            passport,
            passport_zh: args.name_zh.clone(),
            name_waived: args.no_name,
            passport_number: args
                .passport
                .as_deref()
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(str::to_string),
            dob,
            dates: options::scan_days("--date", &args.dates)?,
            today: crate::date::today(),
        },
        name_input: args.name.clone(),
        strict: args.strict,
        scan: ScanOptions {
            jobs: args.jobs,
            progress: std::io::stderr().is_terminal(),
            media: args.media.into(),
        },
        #[cfg(not(target_arch = "wasm32"))]
        images: if args.quick {
            None
        } else {
            Some(crate::images::ImageOptions {
                worker: std::env::current_exe().map_err(InputError::Worker)?,
            })
        },
    })
}

/// Runs the check described by `args`, prints the report on stdout, and returns the exit code.
pub fn run(mut args: Args) -> i32 {
    if !args.verify_copy {
        for path in &mut args.paths {
            *path = crate::scan::media_root(path);
        }
    }
    if args.verify_copy {
        return match args.paths.as_slice() {
            [copy] => verify_copy(
                copy,
                args.json,
                args.quiet,
                args.width.unwrap_or_else(terminal_width),
            ),
            _ => error("--verify-copy takes the folder of one copy"),
        };
    }
    if args.name.is_none() && !args.no_name && args.batch.is_none() && args.paths.len() <= 1 {
        args.name = ask_passport_name();
    }
    let options = match check_options(&args) {
        Ok(options) => options,
        Err(err) => return error(err),
    };
    let output = Output::from_args(&args);
    if args.batch.is_some() || args.paths.len() > 1 {
        if args.report.is_some() || args.copy_to.is_some() {
            return error("--report and --copy-to take one disc; check one disc at a time");
        }
        let entries = match batch::entries(&args.paths, args.batch.as_deref()) {
            Ok(entries) => entries,
            Err(err) => return error(err),
        };
        let mut stdout = anstream::stdout().lock();
        return match batch::run(&entries, &options, output.json, output.human, &mut stdout) {
            Ok(Overall::Pass) => EXIT_PASS,
            Ok(Overall::Fail) => EXIT_FAIL,
            Ok(Overall::CouldNotCheck) | Err(_) => EXIT_ERROR,
        };
    }
    let found;
    let path = match args.paths.first() {
        Some(path) => path,
        None => match find_disc() {
            Ok(disc) => {
                found = disc;
                &found
            }
            Err(code) => return code,
        },
    };
    if let Some(dest) = &args.copy_to
        && let Err(err) = crate::copy::check_destination(path, dest)
    {
        return error(err);
    }
    run_one(
        path,
        &options,
        &output,
        args.report.as_deref(),
        args.copy_to.as_deref(),
    )
}

/// The disc to check when no path is given: the one mounted CD/DVD or removable drive that holds DICOM, said on
/// stderr; with none or several, what was seen is listed and the exit code is [`EXIT_ERROR`].
fn find_disc() -> Result<PathBuf, i32> {
    let list = |seen: &[Volume]| {
        for volume in seen {
            let dicom = if volume.has_dicom {
                "holds DICOM"
            } else {
                "no DICOM"
            };
            say(&format!(
                "  {} ({}, {dicom})",
                volume.path.display(),
                volume.kind
            ));
        }
    };
    match discover::find() {
        Found::One { disc, .. } => {
            say(&format!(
                "dicomcheck: no PATH given; checking {} (the {} that holds DICOM)",
                disc.path.display(),
                disc.kind
            ));
            Ok(disc.path)
        }
        Found::None(seen) => {
            let code = error(if seen.is_empty() {
                "no PATH given, and no CD/DVD or USB stick is mounted; give the disc's path"
            } else {
                "no PATH given, and no CD/DVD or USB stick here holds DICOM; give the disc's path. Seen:"
            });
            list(&seen);
            Err(code)
        }
        Found::Several(seen) => {
            let code =
                error("no PATH given, and several drives hold DICOM; give the disc's path. Seen:");
            list(&seen);
            Err(code)
        }
    }
}

/// Whether dicomcheck was started by a double-click: no arguments, and on Windows a console window of its own
/// (it closes the moment the program ends). `DICOMCHECK_DOUBLE_CLICK=1` says so too, for the tests.
pub fn double_clicked() -> bool {
    std::env::args_os().len() == 1
        && (owns_its_console()
            || std::env::var_os("DICOMCHECK_DOUBLE_CLICK").is_some_and(|v| v == "1"))
}

#[cfg(windows)]
fn owns_its_console() -> bool {
    #[link(name = "kernel32")]
    unsafe extern "system" {
        fn GetConsoleProcessList(list: *mut u32, count: u32) -> u32;
    }
    let mut processes = [0u32; 2];
    // SAFETY: the buffer holds the 2 ids the call is told it may write.
    unsafe { GetConsoleProcessList(processes.as_mut_ptr(), 2) == 1 }
}

#[cfg(not(windows))]
fn owns_its_console() -> bool {
    false
}

/// The double-click session: asks for the passport name on `input` (again while it cannot be read as one; empty
/// skips the name check), finds and checks the disc, then waits for Enter so the window stays open to be read.
pub fn run_interactive(input: &mut dyn std::io::BufRead) -> i32 {
    let mut prompt = |text: &str| {
        let mut out = anstream::stdout();
        let _ = write!(out, "{text}").and_then(|()| out.flush());
        let mut line = String::new();
        input
            .read_line(&mut line)
            .ok()
            .filter(|&n| n > 0)
            .map(|_| line)
    };
    let mut args = vec!["dicomcheck".to_string()];
    while let Some(line) = prompt(
        "dicomcheck: checks the DICOM CD or USB stick in this computer.\n\
         Your name as in the passport, surname first (e.g. SMITH^JOHN), then Enter: ",
    ) {
        let name = line.trim();
        if name.is_empty() {
            break;
        }
        match options::passport_name("name", name) {
            Ok(_) => {
                args.extend(["--name".to_string(), name.to_string()]);
                break;
            }
            Err(err) => {
                error(err);
            }
        }
    }
    let code = match Args::try_parse_from(&args) {
        Ok(args) => run(args),
        Err(err) => error(err),
    };
    prompt("\nPress Enter to close this window.");
    code
}

/// Asks for the passport name when both stdin and stderr are a terminal (a patient at the counter who forgot
/// `--name`); `None` when there is no terminal or nothing usable was typed.
fn ask_passport_name() -> Option<String> {
    if !std::io::stdin().is_terminal() || !std::io::stderr().is_terminal() {
        return None;
    }
    for _ in 0..3 {
        eprint!("Passport name, surname first (SURNAME^GIVEN NAMES), or Enter to skip: ");
        let mut line = String::new();
        std::io::stdin().read_line(&mut line).ok()?;
        let typed = line.trim();
        if typed.is_empty() {
            return None;
        }
        match crate::names::PassportName::parse(typed) {
            Ok(_) => return Some(typed.to_string()),
            Err(err) => {
                error(err);
            }
        }
    }
    None
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
    /// The output options of `args`; colour as `anstream` decides for stdout: only on a terminal, and never with
    /// `NO_COLOR` set and not empty.
    pub fn from_args(args: &Args) -> Self {
        let color =
            anstream::AutoStream::choice(&std::io::stdout()) != anstream::ColorChoice::Never;
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
                staff_note: args.staff_note.into(),
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
    options: &CheckOptions,
    output: &Output,
    page: Option<&Path>,
    copy: Option<&Path>,
) -> i32 {
    if let Some(page) = page
        && let Err(err) = crate::report::html::check_destination(path, page)
    {
        return error(err);
    }
    let mut inventory = |headers: &crate::report::Report| {
        if options.scan.progress && !output.json {
            eprint!("{}", crate::report::human::inventory(headers));
        }
    };
    let report = match crate::check_with(path, options, &mut inventory) {
        Ok(report) => report,
        Err(err) => return error(err),
    };
    let text = if output.json {
        match serde_json::to_string_pretty(&report) {
            Ok(json) => json + "\n",
            Err(err) => return error(format!("cannot write JSON: {err}")),
        }
    } else {
        crate::report::human::render(&report, output.human)
    };
    if anstream::stdout()
        .lock()
        .write_all(text.as_bytes())
        .is_err()
    {
        return EXIT_ERROR;
    }
    if let Some(page) = page {
        let html = crate::report::html::render(&report, output.human.staff_note);
        let guard = crate::write_guard::WriteGuard::for_media(path);
        if let Err(err) = crate::write_guard::write_replacing(&guard, page, html.as_bytes()) {
            return error(format!("cannot write {}: {err}", page.display()));
        }
    }
    if let Some(dest) = copy
        && let Err(err) = copy_to(path, dest, &report, output.human)
    {
        return error(format!("copy to {}: {err}", dest.display()));
    }
    exit_code(&report)
}

/// The exit code of one checked disc: 2 when whose scans these are was not checked (no `--name`, no
/// `--no-name`), since neither PASS nor FAIL can be said for the patient.
pub fn exit_code(report: &crate::report::Report) -> i32 {
    if !report.name_checked && !report.name_waived {
        return EXIT_ERROR;
    }
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
    crate::copy::write_reports(source, dest, &json, &text, &html)?;
    say(&format!(
        "Copied to {}: {} ({}), each verified by SHA-256 ({} written now, {} already there); check it later \
         with: dicomcheck --verify-copy {}",
        dest.display(),
        crate::checks::plural(summary.files, "file", "files"),
        crate::checks::wording::size(summary.bytes),
        summary.copied,
        summary.already_there,
        dest.display()
    ));
    if !summary.not_copied.is_empty() {
        say(&format!(
            "Not copied (links, special files, refused or incomplete archive entries, names the copy uses or Windows cannot hold): {}",
            summary
                .not_copied
                .iter()
                .map(|p| printable(&p.to_string_lossy()))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    Ok(())
}

/// `--verify-copy`: checks a copy against its manifest; exit 0 when every file matches. `quiet` prints the
/// verdict line only; the text is wrapped at `width`.
fn verify_copy(copy: &Path, json: bool, quiet: bool, width: usize) -> i32 {
    let verification = match crate::copy::verify_copy(copy) {
        Ok(v) => v,
        Err(err) => return error(err),
    };
    let ok = verification.ok();
    let clean = |names: &[String]| names.iter().map(|n| printable(n)).collect::<Vec<_>>();
    let text = if json {
        let value = serde_json::json!({
            "tool": "dicomcheck",
            "version": env!("CARGO_PKG_VERSION"),
            "copy": printable(&copy.to_string_lossy()),
            "verdict": if ok { "pass" } else { "fail" },
            "verified": verification.verified,
            "missing": clean(&verification.missing),
            "changed": clean(&verification.changed),
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
            printable(&copy.to_string_lossy()),
            crate::checks::plural(verification.verified, "file", "files"),
            crate::copy::MANIFEST
        );
        for name in clean(&verification.missing) {
            text += &format!("  missing or unreadable: {name}\n");
        }
        for name in clean(&verification.changed) {
            text += &format!("  changed since the copy was made: {name}\n");
        }
        if verification.bad_lines > 0 {
            text += &format!(
                "  {} of the manifest {} damaged\n",
                crate::checks::plural(verification.bad_lines, "line", "lines"),
                if verification.bad_lines == 1 {
                    "is"
                } else {
                    "are"
                }
            );
        }
        if ok {
            text + "RESULT: PASS\n"
        } else {
            let columns = width.clamp(40, crate::report::human::LINE_WIDTH);
            let (verdict, what_to_do) = crate::checks::wording::copy_changed();
            // It ends with what to do, wrapped to the terminal.
            format!(
                "{text}{verdict}\n{}\n",
                crate::report::human::wrap(what_to_do, 0, 2, columns)
            )
        }
    };
    if anstream::stdout()
        .lock()
        .write_all(text.as_bytes())
        .is_err()
    {
        return EXIT_ERROR;
    }
    if ok { EXIT_PASS } else { EXIT_FAIL }
}

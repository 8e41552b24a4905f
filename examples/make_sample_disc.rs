//! Write the sample disc of the README to `fixtures/sample-disc` (or to the directory given as the only
//! argument, which must not exist yet). Deterministic: running it twice gives identical bytes.
//!
//!     cargo run --example make_sample_disc

use std::path::PathBuf;
use std::process::ExitCode;
use std::{env, fs};

use dicomcheck_fixture::{sample_disc, write_disc};

fn main() -> ExitCode {
    let default = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/sample-disc");
    let target = match env::args_os().nth(1) {
        Some(arg) => {
            let path = PathBuf::from(arg);
            if path.exists() {
                eprintln!("{} already exists; give a new directory", path.display());
                return ExitCode::from(2);
            }
            path
        }
        None => {
            // Our own output directory: start from scratch so files of an older spec do not linger.
            if default.exists()
                && let Err(e) = fs::remove_dir_all(&default)
            {
                eprintln!("cannot clear {}: {e}", default.display());
                return ExitCode::FAILURE;
            }
            default
        }
    };
    match write_disc(&target, &sample_disc()) {
        Ok(disc) => {
            let files = disc.all_files();
            let bytes: u64 = files
                .iter()
                .filter_map(|f| fs::metadata(disc.path(f)).ok())
                .map(|m| m.len())
                .sum();
            println!(
                "wrote {} files, {bytes} bytes, to {}",
                files.len(),
                target.display()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("cannot write the sample disc to {}: {e}", target.display());
            ExitCode::FAILURE
        }
    }
}

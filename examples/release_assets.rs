//! Writes the man page and the shell completions, both generated from the command-line definition, into the
//! folder given as the only argument (created if needed). `scripts/release.sh` ships them in every archive and
//! the `.deb`:
//!
//!     cargo run --example release_assets -- target/assets

use std::path::PathBuf;
use std::process::ExitCode;

use clap::CommandFactory;
use clap_complete::Shell;
use dicomcheck::cli::Args;

fn main() -> ExitCode {
    let Some(dir) = std::env::args_os().nth(1).map(PathBuf::from) else {
        eprintln!("usage: release_assets DIR");
        return ExitCode::from(2);
    };
    match write_assets(&dir) {
        Ok(files) => {
            for file in files {
                println!("{}", file.display());
            }
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("release_assets: {}: {err}", dir.display());
            ExitCode::FAILURE
        }
    }
}

fn write_assets(dir: &std::path::Path) -> std::io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let mut command = Args::command();
    let mut page = Vec::new();
    clap_mangen::Man::new(command.clone()).render(&mut page)?;
    let man = dir.join("dicomcheck.1");
    std::fs::write(&man, page)?;
    let mut written = vec![man];
    for shell in [Shell::Bash, Shell::Zsh, Shell::Fish, Shell::PowerShell] {
        written.push(clap_complete::generate_to(
            shell,
            &mut command,
            "dicomcheck",
            dir,
        )?);
    }
    Ok(written)
}

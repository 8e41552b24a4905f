use clap::Parser;

use dicomcheck::cli;

fn main() {
    if let Some(code) = dicomcheck::images::worker::run_if_worker() {
        std::process::exit(code);
    }
    cli::report_panics();
    let code = if cli::double_clicked() {
        cli::run_interactive(&mut std::io::stdin().lock())
    } else {
        cli::run(cli::Args::parse())
    };
    std::process::exit(code);
}

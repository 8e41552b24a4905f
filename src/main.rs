use clap::Parser;

use dicomcheck::cli;

fn main() {
    cli::report_panics();
    let code = if cli::double_clicked() {
        cli::run_interactive(&mut std::io::stdin().lock())
    } else {
        cli::run(cli::Args::parse())
    };
    std::process::exit(code);
}

use clap::Parser;

fn main() {
    if let Some(code) = dicomcheck::images::worker::run_if_worker() {
        std::process::exit(code);
    }
    std::process::exit(dicomcheck::cli::run(dicomcheck::cli::Args::parse()));
}

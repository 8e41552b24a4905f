use clap::Parser;

fn main() {
    dicomcheck::cli::report_panics();
    std::process::exit(dicomcheck::cli::run(dicomcheck::cli::Args::parse()));
}

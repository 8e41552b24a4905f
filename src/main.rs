use clap::Parser;

fn main() {
    std::process::exit(dicomcheck::cli::run(dicomcheck::cli::Args::parse()));
}

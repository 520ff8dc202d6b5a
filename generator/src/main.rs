use clap::Parser;

fn main() {
    std::process::exit(pbgen::cli::run(pbgen::cli::Cli::parse()));
}

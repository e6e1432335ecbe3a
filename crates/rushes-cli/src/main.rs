//! The `rushes` binary: parses the command line, sets up logging and hands over to the
//! command modules. Errors are printed whole (`{:#}`) and map to the exit code.

mod args;
mod commands;
mod ingest_setup;
mod location;
mod migrate;
mod output;
mod people;
mod reindex;
mod worker;
mod workflow;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = args::Cli::parse();
    init_logging(cli.verbose, cli.quiet);
    match commands::run(cli) {
        Ok(code) => code,
        Err(error) => {
            if output::is_broken_pipe(&error) {
                return ExitCode::SUCCESS;
            }
            eprintln!("error: {}", output::error_text(&error));
            ExitCode::from(1)
        }
    }
}

/// `RUST_LOG` wins; otherwise `rushes=info`, raised by `-v` and lowered by `-q`.
fn init_logging(verbose: u8, quiet: bool) {
    use tracing_subscriber::EnvFilter;
    let default = match (quiet, verbose) {
        (true, _) => {
            "rushes=error,rushes_ingest=error,rushes_store=error,rushes_search=error,rushes_models=error,rushes_media=error,rushes_server=error"
        }
        (false, 0) => {
            "rushes=info,rushes_ingest=warn,rushes_store=warn,rushes_search=warn,rushes_models=warn,rushes_media=warn,rushes_server=info"
        }
        (false, 1) => {
            "rushes=debug,rushes_ingest=info,rushes_store=info,rushes_search=info,rushes_models=info,rushes_media=info,rushes_server=debug"
        }
        _ => {
            "rushes=trace,rushes_ingest=debug,rushes_store=debug,rushes_search=debug,rushes_models=debug,rushes_media=debug,rushes_server=debug,ort=info"
        }
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .compact()
        .init();
}

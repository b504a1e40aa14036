use smart_treasury_cli::{logging, run, Cli};
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::try_parse_given(std::env::args_os()).unwrap_or_else(|error| error.exit());
    // Logs and progress go to stderr, so stdout stays clean for tables, JSON and exports.
    logging::init();
    let mut stdout = std::io::stdout();
    match run(cli, &mut stdout).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("{}", logging::error_line(&error));
            ExitCode::FAILURE
        }
    }
}

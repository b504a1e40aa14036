//! The Smart Treasury operator CLI as a library: the `smart-treasury` binary is a thin
//! `main` over [`run`], and tests call it in-process.

pub mod args;
pub mod commands;
pub mod context;
pub mod demo;
pub mod logging;
pub mod migrate;
pub mod output;
/// The program's value rules, shared with the API: see `smart_treasury_client::rules`.
pub use smart_treasury_client::rules;

pub use args::Cli;
use std::io::Write;

/// Runs one command line (without the program name) and writes its output to `out`.
/// A bad command line is an `Err` holding clap's message.
pub async fn run_args<I, S>(args: I, out: &mut dyn Write) -> anyhow::Result<()>
where
    I: IntoIterator<Item = S>,
    S: Into<std::ffi::OsString> + Clone,
{
    let cli = Cli::try_parse_given(
        std::iter::once(std::ffi::OsString::from("smart-treasury")).chain(args.into_iter().map(Into::into)),
    )?;
    run(cli, out).await
}

pub async fn run(cli: Cli, out: &mut dyn Write) -> anyhow::Result<()> {
    commands::run(cli, out).await
}

//! One module per command group; `run` dispatches.

pub mod balance;
pub mod keeper;
pub mod local_cluster;
pub mod migrate;
pub mod pause;
pub mod serve;
pub mod source;
pub mod top_up;
pub mod treasury;

use crate::{
    args::{BalanceCommand, Cli, Command, KeeperCommand, MigrateCommand, SourceCommand, TreasuryCommand},
    context::Context,
};
use std::io::Write;

pub async fn run(cli: Cli, out: &mut dyn Write) -> anyhow::Result<()> {
    if let Command::LocalCluster(args) = &cli.command {
        return local_cluster::run(out, args).await;
    }
    if let Command::Keeper(KeeperCommand::Run(args)) = &cli.command {
        return keeper::run(&cli.global, args).await;
    }
    if let Command::Serve(args) = &cli.command {
        return serve::run(&cli.global, args, out).await;
    }
    if let Command::ApiToken(args) = &cli.command {
        return serve::api_token(args, out);
    }
    let ctx = Context::new(cli.global);
    match &cli.command {
        Command::LocalCluster(_) | Command::Keeper(_) | Command::Serve(_) | Command::ApiToken(_) => {
            unreachable!("handled above")
        }
        Command::Treasury(TreasuryCommand::Show) => treasury::show(&ctx, out).await,
        Command::Balance(BalanceCommand::List) => balance::list(&ctx, out).await,
        Command::Balance(BalanceCommand::Create(args)) => balance::create(&ctx, out, args).await,
        Command::Balance(BalanceCommand::Update(args)) => balance::update(&ctx, out, args).await,
        Command::Balance(BalanceCommand::Enable(args)) => balance::set_enabled(&ctx, out, args.id, true).await,
        Command::Balance(BalanceCommand::Disable(args)) => balance::set_enabled(&ctx, out, args.id, false).await,
        Command::Source(SourceCommand::Link(args)) => source::link(&ctx, out, args).await,
        Command::Source(SourceCommand::Unlink(args)) => source::unlink(&ctx, out, args).await,
        Command::TopUp(args) => top_up::top_up(&ctx, out, args).await,
        Command::Pause => pause::pause(&ctx, out).await,
        Command::Unpause => pause::unpause(&ctx, out).await,
        Command::Migrate(MigrateCommand::Plan(args)) => migrate::plan(&ctx, out, args).await,
        Command::Migrate(MigrateCommand::Apply(args)) => migrate::apply(&ctx, out, args).await,
        Command::Migrate(MigrateCommand::Export(args)) => migrate::export(&ctx, out, args).await,
    }
}

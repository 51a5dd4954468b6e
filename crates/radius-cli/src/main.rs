//! `radius-rs`: thin glue over radius-core; every exit code is chosen in `main`.
#![forbid(unsafe_code)]

mod commands;

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

/// The radius_rs administrator's command.
#[derive(Debug, Parser)]
#[command(name = "radius-rs", version, about)]
struct Cli {
    /// Configuration file.
    #[arg(long, global = true, default_value = radius_core::config::DEFAULT_PATH)]
    config: PathBuf,
    /// Print debug detail to stderr.
    #[arg(long, global = true)]
    debug: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Authenticate USER once and print the reply.
    Login(commands::login::Args),
    /// Show the counters of every server and of radius-rs-dmd.
    Monitor(commands::monitor::Args),
    /// List the live PPP sessions.
    Sessions,
    /// End PPP sessions (as a Disconnect-Request would).
    Disconnect(commands::disconnect::Args),
    /// Validate the configuration and explain it.
    CheckConfig,
    /// Manage the user registry's store.
    Users {
        #[command(subcommand)]
        action: commands::users::Action,
    },
    /// Print the radius.toml equivalent to pam_radius_auth's or radius.so's configuration.
    Import(commands::import::Args),
    /// List the accounting records waiting in the spool, or deliver them (--drain).
    Spool(commands::spool::Args),
}

/// What a command concluded; mapped to the exit code in one place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Accepted, or the command succeeded.
    Ok,
    /// Rejected.
    Rejected,
    /// Any error: no server, bad configuration, bad input.
    Error,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let verdict = match &cli.command {
        Command::Login(args) => commands::login::run(&cli.config, cli.debug, args),
        Command::Monitor(args) => commands::monitor::run(&cli.config, args),
        Command::Sessions => commands::sessions::run(&cli.config),
        Command::Disconnect(args) => commands::disconnect::run(&cli.config, cli.debug, args),
        Command::CheckConfig => commands::check_config::run(&cli.config),
        Command::Import(args) => commands::import::run(args),
        Command::Spool(args) => commands::spool::run(&cli.config, cli.debug, args),
        Command::Users { action } => commands::users::run(&cli.config, action),
    };
    ExitCode::from(match verdict {
        Verdict::Ok => 0,
        Verdict::Rejected => 1,
        Verdict::Error => 2,
    })
}

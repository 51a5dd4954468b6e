//! `radius-rs-dmd [--config FILE] [--foreground] [--debug]`.
#![forbid(unsafe_code)]

use clap::Parser;
use radius_core::log::{Level, Log};
use radius_core::Config;
use radius_dmd::log::DaemonLog;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

/// Receives RFC 5176 Disconnect and CoA requests for the pppd sessions of radius_rs.
#[derive(Debug, Parser)]
#[command(name = "radius-rs-dmd", version, about)]
struct Args {
    /// Configuration file.
    #[arg(long, default_value = radius_core::config::DEFAULT_PATH)]
    config: PathBuf,
    /// Stay in the foreground and log to stderr too (systemd runs it so).
    #[arg(long)]
    foreground: bool,
    /// Log debug detail.
    #[arg(long)]
    debug: bool,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let config = match Config::load(&args.config) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("radius-rs-dmd: error: {e}");
            return ExitCode::from(2);
        }
    };
    if !args.foreground {
        if let Err(e) = nix::unistd::daemon(false, false) {
            eprintln!("radius-rs-dmd: error: cannot go to the background: {e}");
            return ExitCode::from(2);
        }
    }
    let log: Arc<dyn Log + Send + Sync> = Arc::new(DaemonLog::new(args.foreground, args.debug));
    for w in &config.warnings {
        log.log(Level::Warning, &w.0);
    }
    log.log(Level::Info, concat!("radius-rs-dmd ", env!("CARGO_PKG_VERSION"), " starting"));
    match radius_dmd::server::run(config, Arc::clone(&log)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            log.log(Level::Error, &e.to_string());
            ExitCode::from(1)
        }
    }
}

//! `radius-rs disconnect`: ends sessions here, through the same code as a
//! Disconnect-Request to radius-rs-dmd (Admin-Reset in their Stop).

use crate::Verdict;
use radius_core::log::StderrLog;
use radius_host::sessions::SessionDir;
use radius_host::registry_cache::RegistryCache;
use radius_host::selector::Selector;
use radius_host::session_control;
use std::net::Ipv4Addr;
use std::path::Path;

/// Which sessions to end (every one that matches all given).
#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("which").required(true).multiple(true).args(["user", "session_id", "ip"])))]
pub struct Args {
    /// User-Name.
    #[arg(long)]
    user: Option<String>,
    /// Acct-Session-Id.
    #[arg(long)]
    session_id: Option<String>,
    /// Framed-IP-Address.
    #[arg(long)]
    ip: Option<Ipv4Addr>,
}

/// Runs `disconnect`.
pub fn run(config: &Path, debug: bool, args: &Args) -> Verdict {
    let Some(config) = super::load_config(config) else { return Verdict::Error };
    let selector = Selector {
        user: args.user.clone(),
        acct_session_id: args.session_id.clone(),
        framed_ip_address: args.ip,
        ..Default::default()
    };
    let dir = match SessionDir::open(&config.sessions.dir, &config.client.state_dir) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("radius-rs: error: {e}");
            return Verdict::Error;
        }
    };
    let mut registry = RegistryCache::new(std::sync::Arc::new(dir));
    match session_control::disconnect(&mut registry, &selector, &StderrLog { debug }) {
        Ok(ended) => {
            for s in ended {
                println!("disconnected {} ({}, session {}, pppd {})", s.ifname, s.user, s.acct_session_id, s.pid);
            }
            Verdict::Ok
        }
        Err(why) => {
            eprintln!("radius-rs: {}: {why}", selector.describe());
            Verdict::Error
        }
    }
}

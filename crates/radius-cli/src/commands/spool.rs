//! `radius-rs spool [--drain]`: the accounting records waiting in
//! `[accounting] spool_dir`, oldest first; `--drain` delivers them now (as
//! radius-rs-dmd does every `drain_interval`; for hosts that run no daemon).

use crate::Verdict;
use radius_core::log::StderrLog;
use radius_core::spool::{self, Spool};
use radius_core::{Client, Config};
use std::path::Path;
use std::time::SystemTime;

/// `radius-rs spool [--drain]`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Deliver the waiting records now, oldest first.
    #[arg(long)]
    drain: bool,
}

fn list(spool: &Spool) -> Verdict {
    let entries = match spool.entries() {
        Ok(e) => e,
        Err(e) => {
            eprintln!("radius-rs: error: {e}");
            return Verdict::Error;
        }
    };
    let now = SystemTime::now();
    for e in &entries {
        let age = now.duration_since(e.event_time).unwrap_or_default().as_secs();
        match spool.load(e) {
            Ok(r) => {
                let id = r.attributes.get_text(radius_core::packet::attr::ACCT_SESSION_ID).unwrap_or_default();
                let user = r.attributes.get_text(radius_core::packet::attr::USER_NAME).unwrap_or_default();
                println!("{:<8} {:<6} {:>7}s  {id:<26} {user}", format!("{:?}", e.kind).to_lowercase(), r.service.as_str(), age);
            }
            Err(err) => println!("{:<8} {:<6} {:>7}s  unreadable: {err}", format!("{:?}", e.kind).to_lowercase(), "-", age),
        }
    }
    println!("{} record(s) waiting in {}", entries.len(), spool.path().display());
    Verdict::Ok
}

fn drain(config: &Config, spool: &Spool, debug: bool) -> Verdict {
    let mut client = Client::new(config.clone(), Box::new(StderrLog { debug }));
    let log = StderrLog { debug };
    let d = spool::drain(spool, &mut |r| client.account(r), &log);
    if d.busy {
        eprintln!("radius-rs: another drain (radius-rs-dmd?) is running; nothing done");
        return Verdict::Error;
    }
    if let Some(why) = &d.failure {
        eprintln!("radius-rs: {why}");
    }
    println!("{} delivered, {} waiting, {} set aside as unreadable", d.sent, d.left, d.quarantined);
    if d.left == 0 {
        Verdict::Ok
    } else {
        Verdict::Error
    }
}

/// Runs `spool`.
pub fn run(config: &Path, debug: bool, args: &Args) -> Verdict {
    let Some(config) = super::load_config(config) else { return Verdict::Error };
    let spool = match Spool::open(&config.accounting) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("radius-rs: error: {e}");
            return Verdict::Error;
        }
    };
    if args.drain {
        drain(&config, &spool, debug)
    } else {
        list(&spool)
    }
}

//! `radius-rs check-config`: validate the configuration and explain it.

use crate::Verdict;
use std::path::Path;

/// Runs `check-config`.
pub fn run(path: &Path) -> Verdict {
    let Some(config) = super::load_config(path) else { return Verdict::Error };
    let c = &config.client;
    println!("{}: valid", path.display());
    println!(
        "client: nas-identifier {}, timeout {:?} per try, {} retries, dead-time {:?}, Message-Authenticator {}",
        c.nas_identifier.as_deref().unwrap_or("(none)"),
        c.timeout,
        c.retries,
        c.dead_time,
        if c.require_message_authenticator { "required" } else { "optional" },
    );
    for s in &config.servers {
        let services: Vec<&str> = s.services.iter().map(|s| s.as_str()).collect();
        println!(
            "server {}: {} auth {} acct {}{}, services {}, timeout {:?}, Message-Authenticator {}{}",
            s.index,
            s.ip,
            s.auth_port,
            s.acct_port,
            s.vrf.as_deref().map(|v| format!(" vrf {v}")).unwrap_or_default(),
            services.join(","),
            s.timeout,
            if s.require_message_authenticator { "required" } else { "optional" },
            if s.accounting_backup { ", accounting backup" } else { "" },
        );
        if let Some(tls) = &s.tls {
            // Read as every process will at its first request: a file that
            // does not load fails here, not at a login.
            match radius_core::transport::tls::client_config(tls) {
                Ok(_) => println!(
                    "  RadSec: TLS 1.2/1.3, server name `{}`, trust {}, our certificate {}",
                    tls.server_name,
                    tls.ca_file.display(),
                    tls.certificate.display()
                ),
                Err(e) => {
                    println!("  RadSec: {e}");
                    eprintln!("radius-rs: error: server {}: {e}", s.index);
                    return Verdict::Error;
                }
            }
        }
    }
    let a = &config.accounting;
    if !a.spool {
        println!("accounting spool: off (a record no server takes is lost)");
    } else {
        // Opened (made, if missing) and checked as every writer will.
        match radius_core::spool::Spool::open(a).and_then(|s| s.stats()) {
            Ok(stats) => println!(
                "accounting spool: {} (at most {} records, drained every {:?}), {} waiting",
                a.spool_dir.display(),
                a.spool_max_records,
                a.drain_interval,
                stats.depth
            ),
            Err(e) => {
                println!("accounting spool: {e}");
                eprintln!("radius-rs: error: the accounting spool cannot be used: {e}");
                return Verdict::Error;
            }
        }
    }
    if let Some(src) = config.src_address {
        println!("requests go out from {src}");
    }
    if config.warnings.is_empty() {
        println!("no warnings");
    } else {
        println!("{} warning(s), see above", config.warnings.len());
    }
    Verdict::Ok
}

//! `radius-rs monitor`: counters per server, like RouterOS `/radius monitor`.

use crate::Verdict;
use radius_core::counters::{self, Counter, Counters};
use radius_core::state::FileState;
use std::path::Path;

/// Runs `monitor`.
pub fn run(config: &Path) -> Verdict {
    let Some(config) = super::load_config(config) else { return Verdict::Error };
    let state = FileState::open(&config.client.state_dir);
    if let Some(problem) = state.problem() {
        eprintln!("radius-rs: error: state_dir: {problem}");
        return Verdict::Error;
    }
    let store = Counters::new(&state);
    let mut failed = false;
    for server in &config.servers {
        println!("server {} (auth {}, acct {}):", server.name, server.auth_port, server.acct_port);
        match store.snapshot(server) {
            Ok(snap) => {
                for (counter, name) in counters::ALL {
                    let value = snap.get(counter);
                    if counter == Counter::LastRequestRttMicros {
                        println!("  {name:>16}: {}ms", value as f64 / 1000.0);
                    } else {
                        println!("  {name:>16}: {value}");
                    }
                }
            }
            Err(e) => {
                eprintln!("radius-rs: error: cannot read counters under {}: {e}", config.client.state_dir.display());
                failed = true;
            }
        }
    }
    match radius_host::incoming_counters::snapshot(&config.client.state_dir) {
        Ok(snap) => {
            println!("incoming (radius-rs-dmd, port {}):", config.incoming.section.port);
            for (name, value) in snap.counters {
                println!("  {name:>37}: {value}");
            }
            for (cause, value) in snap.naks {
                println!("  {:>37}: {value}", format!("naks {} {}", cause.value(), cause.name()));
            }
        }
        Err(e) => {
            eprintln!("radius-rs: error: cannot read the radius-rs-dmd counters: {e}");
            failed = true;
        }
    }
    if failed {
        Verdict::Error
    } else {
        Verdict::Ok
    }
}

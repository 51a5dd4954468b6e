//! `radius-rs monitor`: counters per server, like RouterOS `/radius
//! monitor`, and radius-rs-dmd's; as text, in the Prometheus text
//! exposition format (`--prometheus`, for node_exporter's textfile
//! collector or a scrape wrapper), or refreshed every second (`--watch`).

use crate::Verdict;
use radius_core::counters::{self, Counter, Counters};
use radius_core::state::FileState;
use radius_core::spool;
use radius_core::Config;
use std::fmt::Write;
use std::path::Path;
use std::time::{Duration, SystemTime};

/// `radius-rs monitor [--prometheus] [--watch [--count N]]`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Print the Prometheus text exposition format.
    #[arg(long)]
    prometheus: bool,
    /// Refresh every second until interrupted (like RouterOS's monitor).
    #[arg(long)]
    watch: bool,
    /// With --watch: stop after this many refreshes.
    #[arg(long, requires = "watch")]
    count: Option<u64>,
}

/// One server's counters.
struct ServerCounters {
    name: String,
    auth_port: u16,
    acct_port: u16,
    values: Vec<(Counter, &'static str, u64)>,
}

/// Everything monitor shows, read once.
struct Report {
    servers: Vec<ServerCounters>,
    incoming_port: u16,
    incoming: Option<radius_host::incoming_counters::Snapshot>,
    spool: Option<(String, spool::Stats)>,
    errors: Vec<String>,
}

fn read(config: &Config) -> Result<Report, String> {
    let state = FileState::open(&config.client.state_dir);
    if let Some(problem) = state.problem() {
        return Err(format!("state_dir: {problem}"));
    }
    let store = Counters::new(&state);
    let mut report = Report { servers: Vec::new(), incoming_port: config.incoming.section.port, incoming: None, spool: None, errors: Vec::new() };
    for server in &config.servers {
        match store.snapshot(server) {
            Ok(snap) => report.servers.push(ServerCounters {
                name: server.name.clone(),
                auth_port: server.auth_port,
                acct_port: server.acct_port,
                values: counters::ALL.iter().map(|(c, n)| (*c, *n, snap.get(*c))).collect(),
            }),
            Err(e) => report.errors.push(format!("cannot read counters under {}: {e}", config.client.state_dir.display())),
        }
    }
    match radius_host::incoming_counters::snapshot(&config.client.state_dir) {
        Ok(snap) => report.incoming = Some(snap),
        Err(e) => report.errors.push(format!("cannot read the radius-rs-dmd counters: {e}")),
    }
    if config.accounting.spool {
        match spool::Spool::open(&config.accounting).and_then(|s| s.stats()) {
            Ok(stats) => report.spool = Some((config.accounting.spool_dir.display().to_string(), stats)),
            Err(e) => report.errors.push(format!("cannot read the accounting spool: {e}")),
        }
    }
    Ok(report)
}

fn text(r: &Report) -> String {
    let mut t = String::new();
    for s in &r.servers {
        let _ = writeln!(t, "server {} (auth {}, acct {}):", s.name, s.auth_port, s.acct_port);
        for (counter, name, value) in &s.values {
            if *counter == Counter::LastRequestRttMicros {
                let _ = writeln!(t, "  {name:>16}: {}ms", *value as f64 / 1000.0);
            } else {
                let _ = writeln!(t, "  {name:>16}: {value}");
            }
        }
    }
    if let Some(snap) = &r.incoming {
        let _ = writeln!(t, "incoming (radius-rs-dmd, port {}):", r.incoming_port);
        for (name, value) in &snap.counters {
            let _ = writeln!(t, "  {name:>37}: {value}");
        }
        for (cause, value) in &snap.naks {
            let _ = writeln!(t, "  {:>37}: {value}", format!("naks {} {}", cause.value(), cause.name()));
        }
    }
    if let Some((path, stats)) = &r.spool {
        let _ = writeln!(t, "accounting spool ({path}):");
        for (name, value) in spool_values(stats) {
            let _ = writeln!(t, "  {name:>16}: {value}");
        }
        let _ = writeln!(t, "  {:>16}: {}", "oldest-age", oldest_age(stats).map(|a| format!("{a}s")).unwrap_or_else(|| "-".into()));
    }
    t
}

/// The spool's numbers, by name (depth and interims are gauges, the rest counters).
fn spool_values(s: &spool::Stats) -> [(&'static str, u64); 8] {
    [
        ("depth", s.depth as u64),
        ("interims", s.interims as u64),
        ("spooled", s.spooled),
        ("drained", s.drained),
        ("dropped", s.dropped),
        ("quarantined", s.quarantined),
        ("over-limit", s.over_limit),
        ("bad-files", s.quarantined_files as u64),
    ]
}

/// Seconds since the oldest waiting record's event.
fn oldest_age(s: &spool::Stats) -> Option<u64> {
    s.oldest.map(|o| SystemTime::now().duration_since(o).unwrap_or_default().as_secs())
}

/// A Prometheus metric name from a counter's name.
fn metric(name: &str) -> String {
    name.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '_' }).collect()
}

/// A label value, escaped as the text format wants.
fn label(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

fn prometheus(r: &Report) -> String {
    let mut t = String::new();
    for (counter, name) in counters::ALL {
        let (m, kind, help) = match counter {
            Counter::Pending => ("radius_rs_server_pending".to_string(), "gauge", "requests waiting for an answer now"),
            Counter::LastRequestRttMicros => {
                ("radius_rs_server_last_request_rtt_seconds".to_string(), "gauge", "round trip of the last answered request")
            }
            _ => (format!("radius_rs_server_{}_total", metric(name)), "counter", "per-server counter, summed over every process of the host"),
        };
        let _ = writeln!(t, "# HELP {m} {help} ({name})\n# TYPE {m} {kind}");
        for s in &r.servers {
            let value = s.values.iter().find(|(c, _, _)| *c == counter).map(|(_, _, v)| *v).unwrap_or(0);
            let labels = format!("server=\"{}\",auth_port=\"{}\",acct_port=\"{}\"", label(&s.name), s.auth_port, s.acct_port);
            if counter == Counter::LastRequestRttMicros {
                let _ = writeln!(t, "{m}{{{labels}}} {}", value as f64 / 1e6);
            } else {
                let _ = writeln!(t, "{m}{{{labels}}} {value}");
            }
        }
    }
    if let Some(snap) = &r.incoming {
        for (name, value) in &snap.counters {
            let m = format!("radius_rs_dmd_{}_total", metric(name));
            let _ = writeln!(t, "# TYPE {m} counter\n{m} {value}");
        }
        let _ = writeln!(t, "# HELP radius_rs_dmd_naks_total NAKs sent, by Error-Cause\n# TYPE radius_rs_dmd_naks_total counter");
        for (cause, value) in &snap.naks {
            let _ = writeln!(t, "radius_rs_dmd_naks_total{{error_cause=\"{}\",name=\"{}\"}} {value}", cause.value(), label(cause.name()));
        }
    }
    if let Some((_, stats)) = &r.spool {
        for (name, value) in spool_values(stats) {
            let (m, kind) = match name {
                "depth" | "interims" | "bad-files" => (format!("radius_rs_spool_{}", metric(name)), "gauge"),
                _ => (format!("radius_rs_spool_{}_total", metric(name)), "counter"),
            };
            let _ = writeln!(t, "# TYPE {m} {kind}\n{m} {value}");
        }
        let _ = writeln!(t, "# HELP radius_rs_spool_oldest_age_seconds age of the oldest waiting record\n# TYPE radius_rs_spool_oldest_age_seconds gauge");
        let _ = writeln!(t, "radius_rs_spool_oldest_age_seconds {}", oldest_age(stats).unwrap_or(0));
    }
    t
}

/// Runs `monitor`.
pub fn run(config: &Path, args: &Args) -> Verdict {
    let Some(config) = super::load_config(config) else { return Verdict::Error };
    let mut shown = 0u64;
    loop {
        let report = match read(&config) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("radius-rs: error: {e}");
                return Verdict::Error;
            }
        };
        let body = if args.prometheus { prometheus(&report) } else { text(&report) };
        if args.watch {
            // Home and clear, then the page: a terminal shows it in place.
            print!("\x1b[H\x1b[2J{body}");
        } else {
            print!("{body}");
        }
        for e in &report.errors {
            eprintln!("radius-rs: error: {e}");
        }
        shown += 1;
        if !args.watch || args.count.is_some_and(|c| shown >= c) {
            return if report.errors.is_empty() { Verdict::Ok } else { Verdict::Error };
        }
        std::thread::sleep(Duration::from_secs(1));
    }
}

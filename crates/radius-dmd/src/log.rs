//! Where the daemon's lines go: syslog (facility daemon), and stderr in
//! the foreground (the journal under systemd).

use radius_core::log::{Level, Log};
use std::sync::Mutex;
use syslog::{Facility, Formatter3164, Logger, LoggerBackend};

/// The daemon's log; shared by its threads.
pub struct DaemonLog {
    syslog: Option<Mutex<Logger<LoggerBackend, Formatter3164>>>,
    stderr: bool,
    debug: bool,
}

impl std::fmt::Debug for DaemonLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DaemonLog").field("syslog", &self.syslog.is_some()).field("stderr", &self.stderr).finish()
    }
}

impl DaemonLog {
    /// Syslog when it can be reached; stderr too when `stderr`. Under
    /// systemd (`JOURNAL_STREAM` set: stderr is the journal) stderr alone,
    /// or every line would reach the journal twice.
    pub fn new(stderr: bool, debug: bool) -> Self {
        let journal = stderr && std::env::var_os("JOURNAL_STREAM").is_some();
        let formatter = Formatter3164 { facility: Facility::LOG_DAEMON, hostname: None, process: "radius-rs-dmd".into(), pid: std::process::id() };
        let syslog = if journal { None } else { syslog::unix(formatter).ok().map(Mutex::new) };
        DaemonLog { syslog, stderr, debug }
    }
}

impl Log for DaemonLog {
    fn enabled(&self, level: Level) -> bool {
        level != Level::Debug || self.debug
    }

    fn log(&self, level: Level, message: &str) {
        if level == Level::Debug && !self.debug {
            return;
        }
        if self.stderr || self.syslog.is_none() {
            // One write per line (stderr is unbuffered: eprintln! would
            // write each piece on its own, five system calls a request).
            let line = format!("radius-rs-dmd: {}: {message}\n", level.name());
            let _ = std::io::Write::write_all(&mut std::io::stderr().lock(), line.as_bytes());
        }
        if let Some(Ok(mut l)) = self.syslog.as_ref().map(|m| m.lock()) {
            let _ = match level {
                Level::Error => l.err(message),
                Level::Warning => l.warning(message),
                Level::Info => l.info(message),
                Level::Debug => l.debug(message),
            };
        }
    }
}

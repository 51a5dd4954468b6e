//! Where the daemon's lines go: syslog (facility daemon), and stderr in
//! the foreground (the journal under systemd).

use radius_core::log::{Level, Log};
use std::cell::RefCell;
use std::sync::Mutex;
use syslog::{Facility, Formatter3164, Logger, LoggerBackend};

thread_local! {
    /// The stderr lines this thread holds (see [`Log::hold`]); None: it
    /// holds none, each line is written at once.
    static HELD: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Held lines beyond this are written without waiting for the release.
const HELD_MAX: usize = 64 * 1024;

/// Adds `line` to what is held, if anything is; what is to be written now.
fn keep_or_write(held: &mut Option<String>, line: String) -> Option<String> {
    match held {
        None => Some(line),
        Some(lines) => {
            lines.push_str(&line);
            (lines.len() >= HELD_MAX).then(|| std::mem::take(lines))
        }
    }
}

/// Writes `lines` to stderr in one call.
fn write_stderr(lines: &str) {
    let _ = std::io::Write::write_all(&mut std::io::stderr().lock(), lines.as_bytes());
}

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

    fn hold(&self) {
        HELD.with(|h| {
            h.borrow_mut().get_or_insert_with(String::new);
        });
    }

    fn release(&self) {
        if let Some(lines) = HELD.with(|h| h.borrow_mut().take()) {
            if !lines.is_empty() {
                write_stderr(&lines);
            }
        }
    }

    fn log(&self, level: Level, message: &str) {
        if level == Level::Debug && !self.debug {
            return;
        }
        if self.stderr || self.syslog.is_none() {
            // One write per line, or per batch while the thread holds its
            // lines (stderr is unbuffered: eprintln! would write each piece
            // on its own, five system calls a request).
            let line = format!("radius-rs-dmd: {}: {message}\n", level.name());
            if let Some(now) = HELD.with(|h| keep_or_write(&mut h.borrow_mut(), line)) {
                write_stderr(&now);
            }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Not holding, a line is written at once; holding, lines are kept in
    /// order until the release, or until they reach HELD_MAX.
    #[test]
    fn held_lines_wait_for_the_release_or_the_limit() {
        let mut held = None;
        assert_eq!(keep_or_write(&mut held, "a\n".into()).as_deref(), Some("a\n"));
        held = Some(String::new());
        assert_eq!(keep_or_write(&mut held, "a\n".into()), None);
        assert_eq!(keep_or_write(&mut held, "b\n".into()), None);
        assert_eq!(held.as_deref(), Some("a\nb\n"));
        let long = "x".repeat(HELD_MAX);
        assert_eq!(keep_or_write(&mut held, long.clone()), Some(format!("a\nb\n{long}")));
        assert_eq!(held.as_deref(), Some(""), "still holding after the early write");
    }

    /// A thread's held lines are its own: another thread's line is not
    /// kept, and the release ends the holding.
    #[test]
    fn holding_is_per_thread_and_ends_at_release() {
        let log = DaemonLog { syslog: None, stderr: true, debug: false };
        {
            let _held = radius_core::log::HeldLines::new(&log);
            log.log(Level::Info, "kept");
            assert!(HELD.with(|h| h.borrow().as_deref() == Some("radius-rs-dmd: info: kept\n")));
            std::thread::scope(|s| {
                s.spawn(|| {
                    log.log(Level::Info, "written at once");
                    assert!(HELD.with(|h| h.borrow().is_none()));
                });
            });
        }
        assert!(HELD.with(|h| h.borrow().is_none()));
    }
}

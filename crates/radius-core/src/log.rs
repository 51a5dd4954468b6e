//! The core's logging seam: plugins send these lines to syslog, the CLI to
//! stderr. Messages never contain secrets or passwords.

/// Severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// Something failed.
    Error,
    /// Something suspicious (forged reply, dead server).
    Warning,
    /// Normal events.
    Info,
    /// Detail, shown with `debug`.
    Debug,
}

/// Where the core's log lines go.
pub trait Log {
    /// Writes one line.
    fn log(&self, level: Level, message: &str);
}

/// Discards everything.
#[derive(Debug, Default, Clone, Copy)]
pub struct NullLog;

impl Log for NullLog {
    fn log(&self, _: Level, _: &str) {}
}

/// Writes to stderr; debug lines only when `debug`.
#[derive(Debug, Default, Clone, Copy)]
pub struct StderrLog {
    /// Show debug lines.
    pub debug: bool,
}

impl Log for StderrLog {
    fn log(&self, level: Level, message: &str) {
        if level < Level::Debug || self.debug {
            eprintln!("radius-rs: {}: {message}", format!("{level:?}").to_lowercase());
        }
    }
}

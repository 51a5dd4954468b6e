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

impl Level {
    /// The level's name in a log line.
    pub fn name(self) -> &'static str {
        match self {
            Level::Error => "error",
            Level::Warning => "warning",
            Level::Info => "info",
            Level::Debug => "debug",
        }
    }
}

/// Where the core's log lines go.
pub trait Log {
    /// Writes one line.
    fn log(&self, level: Level, message: &str);
    /// Whether lines of `level` are written at all (so that a line nobody
    /// reads is not formatted, on every request).
    fn enabled(&self, level: Level) -> bool {
        let _ = level;
        true
    }
}

/// Discards everything.
#[derive(Debug, Default, Clone, Copy)]
pub struct NullLog;

impl Log for NullLog {
    fn log(&self, _: Level, _: &str) {}

    fn enabled(&self, _: Level) -> bool {
        false
    }
}

/// Writes to stderr; debug lines only when `debug`.
#[derive(Debug, Default, Clone, Copy)]
pub struct StderrLog {
    /// Show debug lines.
    pub debug: bool,
}

impl Log for StderrLog {
    fn enabled(&self, level: Level) -> bool {
        level < Level::Debug || self.debug
    }

    fn log(&self, level: Level, message: &str) {
        if level < Level::Debug || self.debug {
            let line = format!("radius-rs: {}: {message}\n", level.name());
            let _ = std::io::Write::write_all(&mut std::io::stderr().lock(), line.as_bytes());
        }
    }
}

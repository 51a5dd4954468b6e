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
    /// From now on, lines this thread writes may be kept and written
    /// together at [`Log::release`]: one system call for a batch of
    /// requests rather than one a request. Default: written at once.
    /// Use [`HeldLines`], which releases however its scope ends.
    fn hold(&self) {}
    /// Writes what this thread kept since [`Log::hold`], and holds no more.
    fn release(&self) {}
}

/// Holds the lines its thread writes to a log while it lives (see
/// [`Log::hold`]) and writes them when it drops, on unwinding too.
pub struct HeldLines<'a>(&'a dyn Log);

impl<'a> HeldLines<'a> {
    /// Holds `log`'s lines from this thread.
    pub fn new(log: &'a dyn Log) -> HeldLines<'a> {
        log.hold();
        HeldLines(log)
    }
}

impl Drop for HeldLines<'_> {
    fn drop(&mut self) {
        self.0.release();
    }
}

impl std::fmt::Debug for HeldLines<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HeldLines")
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    /// Counts holds and releases.
    #[derive(Default)]
    struct Counting {
        holds: Cell<u32>,
        releases: Cell<u32>,
    }

    impl Log for Counting {
        fn log(&self, _: Level, _: &str) {}
        fn hold(&self) {
            self.holds.set(self.holds.get() + 1)
        }
        fn release(&self) {
            self.releases.set(self.releases.get() + 1)
        }
    }

    /// What a HeldLines holds is released when it drops, and when its scope
    /// unwinds.
    #[test]
    fn held_releases_however_its_scope_ends() {
        let log = Counting::default();
        {
            let _held = HeldLines::new(&log);
            assert_eq!((log.holds.get(), log.releases.get()), (1, 0));
        }
        assert_eq!(log.releases.get(), 1);
        let unwound = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let _held = HeldLines::new(&log);
            panic!("a request handler failed");
        }));
        assert!(unwound.is_err());
        assert_eq!((log.holds.get(), log.releases.get()), (2, 2));
    }
}

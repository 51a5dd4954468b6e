//! syslog(3) for the libraries that live inside other processes. We never
//! call openlog: the host program (sshd, pppd) owns its identity; each line
//! is prefixed with ours instead, as pam_radius_auth does.

use radius_core::log::{Level, Log};
use std::ffi::CString;

/// Facility `authpriv` (PAM) or `daemon` (pppd).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Facility {
    /// LOG_AUTHPRIV: security messages, readable by root only.
    AuthPriv,
    /// LOG_DAEMON.
    Daemon,
}

/// A log writing to syslog; optionally mirrored to stderr (the module's
/// `log=stderr` argument, for debugging from a terminal and for tests).
#[derive(Debug, Clone)]
pub struct Syslog {
    /// Prefix of every line, e.g. `pam_radius_rs`.
    pub ident: &'static str,
    /// Facility.
    pub facility: Facility,
    /// Write debug lines too.
    pub debug: bool,
    /// Also write each line to stderr.
    pub mirror_to_stderr: bool,
}

impl Syslog {
    fn priority(&self, level: Level) -> libc::c_int {
        let facility = match self.facility {
            Facility::AuthPriv => libc::LOG_AUTHPRIV,
            Facility::Daemon => libc::LOG_DAEMON,
        };
        let severity = match level {
            Level::Error => libc::LOG_ERR,
            Level::Warning => libc::LOG_WARNING,
            Level::Info => libc::LOG_INFO,
            Level::Debug => libc::LOG_DEBUG,
        };
        facility | severity
    }
}

impl Log for Syslog {
    fn enabled(&self, level: Level) -> bool {
        level != Level::Debug || self.debug
    }

    fn log(&self, level: Level, message: &str) {
        if level == Level::Debug && !self.debug {
            return;
        }
        let line = format!("{}: {message}", self.ident);
        if self.mirror_to_stderr {
            eprintln!("{line}");
        }
        let Ok(text) = CString::new(line.replace('\0', "\\0")) else { return };
        // SAFETY: the format is a NUL-terminated "%s" literal and `text` a
        // valid C string that outlives the call; syslog copies it.
        unsafe { libc::syslog(self.priority(level), c"%s".as_ptr(), text.as_ptr()) };
    }
}

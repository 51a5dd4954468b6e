//! pppd's plugin API (2.4.9, `/usr/include/pppd`): raw declarations
//! ([`sys`]), safe access to the running pppd ([`host`]), the options the
//! plugin adds ([`options`]) and the plugin trait with its exports
//! ([`plugin`]).
//!
//! The pppd symbols resolve only inside pppd (it exports them to plugins);
//! nothing outside a plugin `.so` may call into this module.

pub mod host;
pub mod options;
pub mod plugin;
pub(crate) mod sys;

pub use host::{Host, Ipv6Route, LinkCounters, LinkKind, PppdHost, PppdLog};
pub use plugin::{ChapDigest, ChapResponse, ChapVerdict, PapVerdict, PppdPlugin};

/// The `pppd_version` string of the installed headers, NUL-terminated.
pub const VERSION: &[u8; env!("PPPD_VERSION").len() + 1] = {
    const V: &str = env!("PPPD_VERSION");
    const N: usize = V.len() + 1;
    let mut out = [0u8; N];
    let bytes = V.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        out[i] = bytes[i];
        i += 1;
    }
    &{ out }
};

#[cfg(test)]
mod tests;

//! radius-ffi: the only unsafe code of radius_rs.
//!
//! - [`boundary`]: the one panic boundary every `extern "C"` function goes
//!   through; a panic becomes the caller's failure value and a log line.
//! - [`syslog`]: the core's [`radius_core::log::Log`] onto syslog(3).
//! - [`pam`]: libpam for modules (a safe handle, the `pam_sm_*` exports
//!   through [`export_pam_module!`]) and for applications (the in-process
//!   driver the tests and benchmarks use).
//! - [`route6`]: IPv6 routes through an interface (the subscriber's
//!   prefixes at IPv6 up);
//! - [`pppd`]: pppd's plugin API (2.4 and 2.5) (hooks, notifiers, options, the
//!   link's state) and the `plugin_init` / `pppd_version` exports through
//!   [`export_pppd_plugin!`].
//!
//! Every `unsafe` block states why it is sound; nothing here decides
//! anything about RADIUS.

#[cfg(feature = "alloc-probe")]
pub mod alloc_probe;
pub mod boundary;
pub mod pam;
pub mod pppd;
pub mod route6;
pub mod syslog;

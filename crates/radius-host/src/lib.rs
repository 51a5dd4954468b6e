//! radius-host: what radius_rs keeps on, and learns from, the machine it
//! runs on — apart from the protocol core (`radius-core`), which knows
//! nothing of it.
//!
//! - [`nas`]: this NAS's address, for NAS-IP-Address / NAS-IPv6-Address;
//! - [`sessions`]: the on-disk registry of live PPP sessions and their
//!   control files;
//! - [`registry_cache`] and [`selector`]: the registry kept in memory, and
//!   which sessions a set of attributes names;
//! - [`session_control`]: ending sessions (a Disconnect, `radius-rs
//!   disconnect`);
//! - [`ppp_secrets`]: pppd's pap-secrets / chap-secrets, read as pppd reads them,
//!   and [`allowed_addresses`], their addresses column as pppd applies it;
//! - [`user_registry`]: users, their policies and where they may log in
//!   from, and [`user_store`], the store `radius-rs users` manages;
//! - [`incoming_counters`]: radius-rs-dmd's counters, as `radius-rs monitor` reads them.
#![forbid(unsafe_code)]

pub mod allowed_addresses;
pub mod incoming_counters;
pub mod nas;
pub mod ppp_secrets;
pub mod registry_cache;
pub mod selector;
pub mod session_control;
pub mod sessions;
pub mod user_registry;
pub mod user_store;

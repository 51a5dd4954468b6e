//! radius-rs-dmd: RFC 5176 Disconnect and CoA for the pppd sessions in
//! the radius_rs session registry.
//!
//! - [`admission`]: which datagrams are requests (client, authenticators, Event-Timestamp);
//! - [`dedup`]: duplicates get the answer already sent;
//! - [`nas_identity`]: is the request for this NAS;
//! - [`plan`] and [`selector`]: what a request asks, which sessions it names;
//! - [`registry_cache`]: the session registry, in memory, following the directory;
//! - [`actions`]: ending and changing sessions (also `radius-rs disconnect`);
//! - [`hook`]: the CoA hook script;
//! - [`respond`]: the ACK/NAK;
//! - [`stale`]: Stops for lost sessions, Accounting-On/Off;
//! - [`counters`]: what `radius-rs monitor` shows;
//! - [`server`]: the loop.
#![forbid(unsafe_code)]

pub mod actions;
pub mod admission;
pub mod counters;
pub mod dedup;
pub mod error_cause;
pub mod hook;
pub mod log;
pub mod nas_identity;
pub mod plan;
pub mod registry_cache;
pub mod respond;
pub mod selector;
pub mod server;
pub mod stale;

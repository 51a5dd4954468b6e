//! radius-rs-dmd: RFC 5176 Disconnect and CoA for the pppd sessions in
//! the radius_rs session registry.
//!
//! - [`admission`]: which datagrams are requests (client, authenticators, Event-Timestamp);
//! - [`datagrams`]: requests in and answers out, a batch per system call;
//! - [`dedup`]: duplicates get the answer already sent;
//! - [`nas_identity`]: is the request for this NAS;
//! - [`plan`]: what a request asks, and which sessions it names;
//! - [`actions`]: changing sessions for a CoA (ending them is
//!   `radius_host::session_control`, shared with `radius-rs disconnect`);
//! - [`hook`]: the CoA hook script;
//! - [`respond`]: the ACK/NAK;
//! - [`stale`]: Stops for lost sessions, Accounting-On/Off;
//! - [`server`]: the loop.
#![forbid(unsafe_code)]

pub mod actions;
pub mod admission;
pub mod datagrams;
pub mod dedup;
pub mod hook;
pub mod log;
pub mod nas_identity;
pub mod plan;
pub mod respond;
pub mod server;
pub mod stale;

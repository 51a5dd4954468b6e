//! radius-core: the RADIUS client core shared by every radius_rs artifact.
//!
//! Layout, by job:
//! - [`config`]: the TOML configuration, its validation and warnings;
//! - [`packet`]: building requests and verifying replies (sans I/O);
//! - [`auth`]: PAP, CHAP-MD5, MS-CHAPv1/v2 and MPPE key arithmetic (sans I/O);
//! - [`transport`]: blocking UDP exchange with retries, liveness probes,
//!   failover and cross-process dead-server marks;
//! - [`state`]: what every process on the host shares (counters, marks),
//!   and [`counters`], the per-server counters kept there;
//! - [`trusted_dir`]: the one way root writes files in a shared place;
//! - [`client`]: the high-level API (authenticate with challenge rounds,
//!   send accounting);
//! - [`ppp_session`]: one PPP session, the one model its requests,
//!   accounting records and registry record come from.
//!
//! What lives on the host (the NAS address, the session registry, pppd's
//! secrets files, the user registry) is in the `radius-host` crate.
#![forbid(unsafe_code)]

pub mod accounting;
pub mod auth;
pub mod client;
pub mod config;
pub mod counters;
pub mod dictionary;
pub mod log;
pub mod packet;
mod random;
pub mod ppp_session;
pub mod secret;
pub mod sources;
pub mod spool;
pub mod state;
pub mod transport;
pub mod trusted_dir;

pub use client::{AuthOutcome, AuthRequest, ChallengePrompt, ChallengeResponder, Client, ClientError, Radius};
pub use config::{Config, ConfigError, Service};
pub use secret::Secret;

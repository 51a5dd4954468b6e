//! Authentication methods and their arithmetic (no I/O).
//!
//! [`Credentials`] is what an Access-Request proves: a password (PAP), or a
//! peer's response to a challenge (CHAP-MD5, MS-CHAPv1, MS-CHAPv2). The pppd
//! plugin passes the peer's response through; the CLI and tests compute one
//! from a password with the `*_from_password` helpers, acting as the peer.

pub mod chap;
pub mod credentials;
pub mod mppe;
pub mod mschap;
pub mod password;

pub use credentials::{Credentials, Method};

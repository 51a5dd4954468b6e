//! RADIUS packets, without I/O: one codec for everything radius_rs sends
//! and receives.
//!
//! - [`attributes`]: the typed list every request is built from;
//! - [`encode`]: writing packets (Length, authenticators, Message-Authenticator);
//! - [`wire`]: a bounds-checked decoder for untrusted bytes;
//! - [`request`], [`reply`]: what the client sends and the full reply check
//!   (each reply is decoded once);
//! - [`message_authenticator`]: RFC 3579 3.2 (the BlastRADIUS defence);
//! - [`dynauth`]: RFC 5176 Disconnect/CoA requests and their answers, and
//!   [`error_cause`], the Error-Cause values of the NAKs.

pub mod attr;
pub mod attributes;
pub mod encode;
pub mod dynauth;
pub mod error_cause;
pub mod ipv6_prefix;
pub mod message_authenticator;
pub mod reply;
pub mod request;
pub mod wire;

pub use attributes::AttributeList;
pub use reply::{verify_reply, Reply, ReplyError};
pub use request::{EncodedRequest, RequestKind};
pub use wire::{Attribute, WireError};

/// RADIUS packet codes used here.
pub mod code {
    /// Access-Request.
    pub const ACCESS_REQUEST: u8 = 1;
    /// Access-Accept.
    pub const ACCESS_ACCEPT: u8 = 2;
    /// Access-Reject.
    pub const ACCESS_REJECT: u8 = 3;
    /// Accounting-Request.
    pub const ACCOUNTING_REQUEST: u8 = 4;
    /// Accounting-Response.
    pub const ACCOUNTING_RESPONSE: u8 = 5;
    /// Access-Challenge.
    pub const ACCESS_CHALLENGE: u8 = 11;
    /// Status-Server.
    pub const STATUS_SERVER: u8 = 12;
    /// Disconnect-Request.
    pub const DISCONNECT_REQUEST: u8 = 40;
    /// Disconnect-ACK.
    pub const DISCONNECT_ACK: u8 = 41;
    /// Disconnect-NAK.
    pub const DISCONNECT_NAK: u8 = 42;
    /// CoA-Request.
    pub const COA_REQUEST: u8 = 43;
    /// CoA-ACK.
    pub const COA_ACK: u8 = 44;
    /// CoA-NAK.
    pub const COA_NAK: u8 = 45;

    /// The name of a code, for logs.
    pub fn name(code: u8) -> String {
        match code {
            ACCESS_REQUEST => "Access-Request".into(),
            ACCESS_ACCEPT => "Access-Accept".into(),
            ACCESS_REJECT => "Access-Reject".into(),
            ACCOUNTING_REQUEST => "Accounting-Request".into(),
            ACCOUNTING_RESPONSE => "Accounting-Response".into(),
            ACCESS_CHALLENGE => "Access-Challenge".into(),
            STATUS_SERVER => "Status-Server".into(),
            DISCONNECT_REQUEST => "Disconnect-Request".into(),
            DISCONNECT_ACK => "Disconnect-ACK".into(),
            DISCONNECT_NAK => "Disconnect-NAK".into(),
            COA_REQUEST => "CoA-Request".into(),
            COA_ACK => "CoA-ACK".into(),
            COA_NAK => "CoA-NAK".into(),
            other => format!("code {other}"),
        }
    }
}

/// Compares two byte strings in time independent of where they differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

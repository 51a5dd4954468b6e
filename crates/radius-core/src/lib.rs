#![forbid(unsafe_code)]
pub mod auth;
pub mod config;
pub mod packet;
pub mod secret;
pub use secret::Secret;

//! Link flags of pam_radius_rs.so.
//!
//! `-z nodelete`: once a process has loaded the module it stays mapped
//! when libpam dlcloses it at pam_end, as glibc's NSS modules do. A
//! process that runs many PAM transactions (a web login, an IMAP server,
//! a test harness) maps and relocates its 2 MB once, not at every
//! pam_start; unmapping and mapping it again was a quarter of a whole
//! login's time. It also keeps alive what the module keeps from one
//! transaction to the next in a process (the configuration it read, the
//! state directory's descriptors, a UDP socket: `config::cache`,
//! `state::kept`, `transport::kept_udp`), which an unmapped module would
//! lose, its descriptors left open with no one to use or close them.
//!
//! With rust-lld, relative relocations packed and segments page-aligned
//! (`ffi/so_link.rs`, shared with the pppd plugin): a process that logs
//! one user in (sshd's child) loads the module once and pays for every
//! page the loader reads.

include!("../ffi/so_link.rs");

fn main() {
    println!("cargo:rustc-cdylib-link-arg=-Wl,-z,nodelete");
    lean_so_layout();
}

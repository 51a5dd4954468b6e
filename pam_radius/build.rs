//! Link flags of pam_radius_rs.so.
//!
//! `-z nodelete`: once a process has loaded the module it stays mapped
//! when libpam dlcloses it at pam_end, as glibc's NSS modules do. A
//! process that runs many PAM transactions (a web login, an IMAP server,
//! a test harness) maps and relocates its 2 MB once, not at every
//! pam_start; unmapping and mapping it again was a quarter of a whole
//! login's time. The module keeps no state between transactions (all of it
//! is PAM data of the handle), so nothing carries over.
fn main() {
    println!("cargo:rustc-cdylib-link-arg=-Wl,-z,nodelete");
}

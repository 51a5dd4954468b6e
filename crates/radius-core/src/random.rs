//! The one source of the core's random bytes: the kernel (`getrandom`),
//! for Request Authenticators, Identifiers, CHAP challenges, session ids,
//! backoff jitter and temporary file names alike.
//!
//! Not a user-space generator: a process that logs one user in and exits
//! (sshd's child, su) would spend more setting one up (seeding it, and the
//! CPU-feature probe its ChaCha code runs first, each `cpuid` a trap under
//! a hypervisor: about a quarter of a millisecond of CPU here) than on all
//! it ever draws. One system call a draw costs less.

use rand::RngCore;

/// `N` bytes from the kernel's generator.
pub(crate) fn bytes<const N: usize>() -> [u8; N] {
    let mut b = [0u8; N];
    rand::rngs::OsRng.fill_bytes(&mut b);
    b
}

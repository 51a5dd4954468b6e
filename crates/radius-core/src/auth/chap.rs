//! CHAP-MD5 (RFC 1994): `response = MD5(id + secret + challenge)`.

use md5::{Digest, Md5};

/// The 16-byte CHAP-MD5 response a peer with `password` sends.
pub fn md5_response(id: u8, password: &[u8], challenge: &[u8]) -> [u8; 16] {
    Md5::new()
        .chain_update([id])
        .chain_update(password)
        .chain_update(challenge)
        .finalize()
        .into()
}

/// True when `response` is the right CHAP-MD5 answer for `password`.
pub fn md5_verify(id: u8, password: &[u8], challenge: &[u8], response: &[u8]) -> bool {
    crate::packet::constant_time_eq(&md5_response(id, password, challenge), response)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A response verifies with the right password only.
    #[test]
    fn verify() {
        let r = md5_response(7, b"pw", b"challenge-bytes!");
        assert!(md5_verify(7, b"pw", b"challenge-bytes!", &r));
        assert!(!md5_verify(7, b"px", b"challenge-bytes!", &r));
        assert!(!md5_verify(8, b"pw", b"challenge-bytes!", &r));
    }
}

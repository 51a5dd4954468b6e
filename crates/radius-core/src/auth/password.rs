//! RFC 2865 section 5.2 User-Password hiding (also used by RFC 2548 2.4.1).

use md5::{Digest, Md5};

/// Hides `password` with the shared secret and Request Authenticator:
/// `c(i) = p(i) xor MD5(S + c(i-1))`, `c(0)` the authenticator, padded with
/// zeros to 16-byte blocks. Passwords over 128 bytes are refused by the caller.
pub fn hide(password: &[u8], secret: &[u8], authenticator: &[u8; 16]) -> Vec<u8> {
    let blocks = password.len().div_ceil(16).max(1);
    // Sized once: a reallocation would free a copy of the password unwiped.
    let mut padded = Vec::with_capacity(blocks * 16);
    padded.extend_from_slice(password);
    padded.resize(blocks * 16, 0);
    let mut out = Vec::with_capacity(padded.len());
    let mut prev: Vec<u8> = authenticator.to_vec();
    for chunk in padded.chunks(16) {
        let b = Md5::new().chain_update(secret).chain_update(&prev).finalize();
        let c: Vec<u8> = chunk.iter().zip(b.iter()).map(|(p, k)| p ^ k).collect();
        out.extend_from_slice(&c);
        prev = c;
    }
    zeroize::Zeroize::zeroize(&mut padded);
    out
}

/// Reverses [`hide`]; trailing zero padding is kept (callers strip it).
/// The clear text is wiped when dropped.
pub fn unhide(hidden: &[u8], secret: &[u8], authenticator: &[u8; 16]) -> Option<zeroize::Zeroizing<Vec<u8>>> {
    if hidden.is_empty() || !hidden.len().is_multiple_of(16) {
        return None;
    }
    let mut out = zeroize::Zeroizing::new(Vec::with_capacity(hidden.len()));
    let mut prev: &[u8] = authenticator;
    for chunk in hidden.chunks(16) {
        let b = Md5::new().chain_update(secret).chain_update(prev).finalize();
        out.extend(chunk.iter().zip(b.iter()).map(|(c, k)| c ^ k));
        prev = chunk;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 2865 section 7.1: "arctangent" hidden with secret "xyzzy5461".
    #[test]
    fn rfc2865_section_7_1_vector() {
        let auth = [
            0x0f, 0x40, 0x3f, 0x94, 0x73, 0x97, 0x80, 0x57, 0xbd, 0x83, 0xd5, 0xcb, 0x98, 0xf4,
            0x22, 0x7a,
        ];
        let hidden = hide(b"arctangent", b"xyzzy5461", &auth);
        assert_eq!(
            hidden,
            [
                0x0d, 0xbe, 0x70, 0x8d, 0x93, 0xd4, 0x13, 0xce, 0x31, 0x96, 0xe4, 0x3f, 0x78,
                0x2a, 0x0a, 0xee
            ]
        );
        let clear = unhide(&hidden, b"xyzzy5461", &auth).unwrap();
        assert_eq!(&clear[..10], b"arctangent");
        assert!(clear[10..].iter().all(|&b| b == 0));
    }

    /// Passwords longer than one block chain through the previous ciphertext.
    #[test]
    fn multi_block_round_trip() {
        let auth = [7u8; 16];
        let pw = b"a password that is longer than thirty-two bytes";
        let hidden = hide(pw, b"secret", &auth);
        assert_eq!(hidden.len(), 48);
        assert_eq!(&unhide(&hidden, b"secret", &auth).unwrap()[..pw.len()], pw);
    }
}

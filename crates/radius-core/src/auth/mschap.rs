//! MS-CHAPv1 (RFC 2433) and MS-CHAPv2 (RFC 2759) response arithmetic.

use des::cipher::{BlockCipherEncrypt, KeyInit};
use md4::Md4;
use sha1::{Digest, Sha1};

/// NtPasswordHash: MD4 of the UTF-16LE password (RFC 2759 8.3).
pub fn nt_password_hash(password: &[u8]) -> [u8; 16] {
    let text = String::from_utf8_lossy(password);
    let mut unicode: Vec<u8> = text.encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
    let hash: [u8; 16] = Md4::digest(&unicode).into();
    zeroize::Zeroize::zeroize(&mut unicode);
    hash
}

/// HashNtPasswordHash: MD4 of the NT hash (RFC 2759 8.4).
pub fn hash_nt_password_hash(hash: &[u8; 16]) -> [u8; 16] {
    Md4::digest(hash).into()
}

/// Spreads 56 key bits over 8 bytes (the low bit of each is DES parity).
fn des_key(seven: &[u8]) -> [u8; 8] {
    let mut k = [0u8; 8];
    let b = |i: usize| u16::from(seven.get(i).copied().unwrap_or(0));
    for (i, out) in k.iter_mut().enumerate() {
        // Bits 7*i .. 7*i+7 of the 56-bit key, placed in the top 7 bits.
        let bit = 7 * i;
        let hi = b(bit / 8);
        let lo = b(bit / 8 + 1);
        let window = (hi << 8) | lo;
        *out = ((window >> (9 - bit % 8)) as u8) << 1;
    }
    k
}

fn des_encrypt(seven: &[u8], clear: &[u8; 8]) -> [u8; 8] {
    let key = des_key(seven);
    let cipher = des::Des::new(&key.into());
    let mut block = (*clear).into();
    cipher.encrypt_block(&mut block);
    block.into()
}

/// ChallengeResponse: three DES encryptions of the 8-byte challenge under
/// the zero-padded 21-byte hash (RFC 2759 8.5).
pub fn challenge_response(challenge: &[u8; 8], hash: &[u8; 16]) -> [u8; 24] {
    let mut z = [0u8; 21];
    z[..16].copy_from_slice(hash);
    let mut out = [0u8; 24];
    for (i, chunk) in z.chunks(7).enumerate() {
        out[i * 8..i * 8 + 8].copy_from_slice(&des_encrypt(chunk, challenge));
    }
    out
}

/// The user name without a `DOMAIN\` prefix, as hashed by MS-CHAPv2.
pub fn strip_domain(user: &[u8]) -> &[u8] {
    match user.iter().rposition(|&c| c == b'\\') {
        Some(i) => &user[i + 1..],
        None => user,
    }
}

/// ChallengeHash (RFC 2759 8.2).
pub fn challenge_hash(peer_challenge: &[u8; 16], auth_challenge: &[u8; 16], user: &[u8]) -> [u8; 8] {
    let digest = Sha1::new()
        .chain_update(peer_challenge)
        .chain_update(auth_challenge)
        .chain_update(strip_domain(user))
        .finalize();
    let mut out = [0u8; 8];
    out.copy_from_slice(&digest[..8]);
    out
}

/// GenerateNTResponse for MS-CHAPv2 (RFC 2759 8.1).
pub fn v2_nt_response(
    auth_challenge: &[u8; 16],
    peer_challenge: &[u8; 16],
    user: &[u8],
    password: &[u8],
) -> [u8; 24] {
    let challenge = challenge_hash(peer_challenge, auth_challenge, user);
    challenge_response(&challenge, &nt_password_hash(password))
}

/// The MS-CHAPv1 NT-Response (RFC 2433 A.5).
pub fn v1_nt_response(challenge: &[u8; 8], password: &[u8]) -> [u8; 24] {
    challenge_response(challenge, &nt_password_hash(password))
}

const AUTH_MAGIC1: &[u8] = b"Magic server to client signing constant";
const AUTH_MAGIC2: &[u8] = b"Pad to make it do more than one iteration";

/// GenerateAuthenticatorResponse from the NT hash: `"S=" + 40 hex digits`
/// (RFC 2759 8.7).
pub fn v2_authenticator_response(
    nt_hash: &[u8; 16],
    nt_response: &[u8; 24],
    peer_challenge: &[u8; 16],
    auth_challenge: &[u8; 16],
    user: &[u8],
) -> String {
    let hash_hash = hash_nt_password_hash(nt_hash);
    let digest = Sha1::new()
        .chain_update(hash_hash)
        .chain_update(nt_response)
        .chain_update(AUTH_MAGIC1)
        .finalize();
    let challenge = challenge_hash(peer_challenge, auth_challenge, user);
    let digest = Sha1::new()
        .chain_update(digest)
        .chain_update(challenge)
        .chain_update(AUTH_MAGIC2)
        .finalize();
    let hex: String = digest.iter().map(|b| format!("{b:02X}")).collect();
    format!("S={hex}")
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) const USER: &[u8] = b"User";
    pub(crate) const PASSWORD: &[u8] = b"clientPass";
    pub(crate) const AUTH_CHALLENGE: [u8; 16] = [
        0x5B, 0x5D, 0x7C, 0x7D, 0x7B, 0x3F, 0x2F, 0x3E, 0x3C, 0x2C, 0x60, 0x21, 0x32, 0x26, 0x26,
        0x28,
    ];
    pub(crate) const PEER_CHALLENGE: [u8; 16] = [
        0x21, 0x40, 0x23, 0x24, 0x25, 0x5E, 0x26, 0x2A, 0x28, 0x29, 0x5F, 0x2B, 0x3A, 0x33, 0x7C,
        0x7E,
    ];
    pub(crate) const NT_RESPONSE: [u8; 24] = [
        0x82, 0x30, 0x9E, 0xCD, 0x8D, 0x70, 0x8B, 0x5E, 0xA0, 0x8F, 0xAA, 0x39, 0x81, 0xCD, 0x83,
        0x54, 0x42, 0x33, 0x11, 0x4A, 0x3D, 0x85, 0xD6, 0xDF,
    ];

    /// RFC 2759 section 9.2: every intermediate value of the worked example.
    #[test]
    fn rfc2759_section_9_2_example() {
        assert_eq!(
            challenge_hash(&PEER_CHALLENGE, &AUTH_CHALLENGE, USER),
            [0xD0, 0x2E, 0x43, 0x86, 0xBC, 0xE9, 0x12, 0x26]
        );
        let hash = nt_password_hash(PASSWORD);
        assert_eq!(
            hash,
            [
                0x44, 0xEB, 0xBA, 0x8D, 0x53, 0x12, 0xB8, 0xD6, 0x11, 0x47, 0x44, 0x11, 0xF5,
                0x69, 0x89, 0xAE
            ]
        );
        assert_eq!(
            hash_nt_password_hash(&hash),
            [
                0x41, 0xC0, 0x0C, 0x58, 0x4B, 0xD2, 0xD9, 0x1C, 0x40, 0x17, 0xA2, 0xA1, 0x2F,
                0xA5, 0x9F, 0x3F
            ]
        );
        assert_eq!(v2_nt_response(&AUTH_CHALLENGE, &PEER_CHALLENGE, USER, PASSWORD), NT_RESPONSE);
        assert_eq!(
            v2_authenticator_response(&hash, &NT_RESPONSE, &PEER_CHALLENGE, &AUTH_CHALLENGE, USER),
            "S=407A5589115FD0D6209F510FE9C04566932CDA56"
        );
    }

    /// A DOMAIN\ prefix is not part of the challenge hash.
    #[test]
    fn domain_is_stripped() {
        assert_eq!(
            v2_nt_response(&AUTH_CHALLENGE, &PEER_CHALLENGE, b"CORP\\User", PASSWORD),
            NT_RESPONSE
        );
    }

    /// RFC 2433 appendix B.2 (MS-CHAPv1): "MyPw" against challenge 102DB5DF085D3041.
    #[test]
    fn rfc2433_nt_response() {
        let challenge = [0x10, 0x2D, 0xB5, 0xDF, 0x08, 0x5D, 0x30, 0x41];
        assert_eq!(
            nt_password_hash(b"MyPw"),
            [
                0xFC, 0x15, 0x6A, 0xF7, 0xED, 0xCD, 0x6C, 0x0E, 0xDD, 0xE3, 0x33, 0x7D, 0x42,
                0x7F, 0x4E, 0xAC
            ]
        );
        assert_eq!(
            v1_nt_response(&challenge, b"MyPw"),
            [
                0x4E, 0x9D, 0x3C, 0x8F, 0x9C, 0xFD, 0x38, 0x5D, 0x5B, 0xF4, 0xD3, 0x24, 0x67,
                0x91, 0x95, 0x6C, 0xA4, 0xC3, 0x51, 0xAB, 0x40, 0x9A, 0x3D, 0x61
            ]
        );
    }
}

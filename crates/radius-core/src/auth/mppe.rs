//! MPPE keys: RFC 3079 derivation from MS-CHAPv2, and the RFC 2548 ways a
//! RADIUS server hides them in MS-MPPE-Send/Recv-Key and MS-CHAP-MPPE-Keys.

use super::password;
use md5::{Digest as _, Md5};
use zeroize::Zeroizing;
use sha1::Sha1;

const MASTER_MAGIC: &[u8] = b"This is the MPPE Master Key";
const MAGIC_CLIENT_SEND: &[u8] =
    b"On the client side, this is the send key; on the server side, it is the receive key.";
const MAGIC_CLIENT_RECV: &[u8] =
    b"On the client side, this is the receive key; on the server side, it is the send key.";
const SHS_PAD1: [u8; 40] = [0x00; 40];
const SHS_PAD2: [u8; 40] = [0xf2; 40];

/// GetMasterKey (RFC 3079 3.4).
pub fn master_key(password_hash_hash: &[u8; 16], nt_response: &[u8; 24]) -> [u8; 16] {
    let d = Sha1::new()
        .chain_update(password_hash_hash)
        .chain_update(nt_response)
        .chain_update(MASTER_MAGIC)
        .finalize();
    let mut out = [0u8; 16];
    out.copy_from_slice(&d[..16]);
    out
}

/// GetAsymmetricStartKey for 128-bit keys (RFC 3079 3.4).
pub fn asymmetric_start_key(master: &[u8; 16], is_send: bool, is_server: bool) -> [u8; 16] {
    let magic = if is_send == is_server { MAGIC_CLIENT_RECV } else { MAGIC_CLIENT_SEND };
    let d = Sha1::new()
        .chain_update(master)
        .chain_update(SHS_PAD1)
        .chain_update(magic)
        .chain_update(SHS_PAD2)
        .finalize();
    let mut out = [0u8; 16];
    out.copy_from_slice(&d[..16]);
    out
}

/// The server-side 128-bit MPPE keys of an MS-CHAPv2 exchange: what a RADIUS
/// server sends as MS-MPPE-Send-Key and MS-MPPE-Recv-Key.
#[derive(Clone, PartialEq, Eq)]
pub struct MppeKeys {
    /// The authenticator's (NAS's) send key.
    pub send: [u8; 16],
    /// The authenticator's (NAS's) receive key.
    pub recv: [u8; 16],
}

impl std::fmt::Debug for MppeKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MppeKeys([redacted])")
    }
}

impl Drop for MppeKeys {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.send);
        zeroize::Zeroize::zeroize(&mut self.recv);
    }
}

/// The keys RFC 3079 derives for the server side from the NT hash and NT-Response.
pub fn v2_server_keys(nt_hash: &[u8; 16], nt_response: &[u8; 24]) -> MppeKeys {
    let master = master_key(&super::mschap::hash_nt_password_hash(nt_hash), nt_response);
    MppeKeys {
        send: asymmetric_start_key(&master, true, true),
        recv: asymmetric_start_key(&master, false, true),
    }
}

/// The 128-bit MPPE start key of an MS-CHAPv1 exchange (RFC 3079 2.4,
/// `Get_Start_Key`): the first 16 bytes of SHA1(hash-hash, hash-hash,
/// challenge); both directions use it.
pub fn v1_start_key(password_hash_hash: &[u8; 16], challenge: &[u8; 8]) -> [u8; 16] {
    let d = Sha1::new()
        .chain_update(password_hash_hash)
        .chain_update(password_hash_hash)
        .chain_update(challenge)
        .finalize();
    let mut out = [0u8; 16];
    out.copy_from_slice(&d[..16]);
    out
}

/// Errors decoding a hidden key attribute.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The attribute length is not salt + a multiple of 16.
    #[error("MPPE key attribute has a bad length ({0} bytes)")]
    BadLength(usize),
    /// The salt lacks its high bit (RFC 2548 2.4.2).
    #[error("MPPE key attribute has a salt without its high bit set")]
    BadSalt,
    /// The decrypted key length does not fit.
    #[error("MPPE key attribute decrypts to an impossible key length {0}")]
    BadKeyLength(usize),
}

/// XORs `data` with the RFC 2548 key stream. The output is wiped when
/// dropped (decrypting, it is key material); no other copy is made.
fn keystream_xor(secret: &[u8], first: &[&[u8]], data: &[u8], encrypt: bool) -> Zeroizing<Vec<u8>> {
    let mut out = Zeroizing::new(Vec::with_capacity(data.len()));
    let mut prev = [0u8; 16];
    for (i, chunk) in data.chunks(16).enumerate() {
        let mut h = Md5::new().chain_update(secret);
        if i == 0 {
            for part in first {
                h.update(part);
            }
        } else {
            h.update(prev);
        }
        let b = h.finalize();
        let at = out.len();
        out.extend(chunk.iter().zip(b.iter()).map(|(d, k)| d ^ k));
        // The next block is keyed with this block's ciphertext.
        let cipher = if encrypt { out.get(at..).unwrap_or(&[]) } else { chunk };
        prev = [0; 16];
        if let Some(p) = prev.get_mut(..cipher.len()) {
            p.copy_from_slice(cipher);
        }
    }
    out
}

/// Hides a key as RFC 2548 2.4.2 describes for MS-MPPE-Send/Recv-Key.
pub fn encrypt_key(key: &[u8], salt: [u8; 2], secret: &[u8], request_authenticator: &[u8; 16]) -> Vec<u8> {
    let salt = [salt[0] | 0x80, salt[1]];
    // Sized once: a reallocation would free a copy of the key unwiped.
    let padded = (key.len() + 1).div_ceil(16) * 16;
    let mut plain = Zeroizing::new(Vec::with_capacity(padded));
    plain.push(key.len() as u8);
    plain.extend_from_slice(key);
    plain.resize(padded, 0);
    let mut out = salt.to_vec();
    out.extend_from_slice(&keystream_xor(secret, &[request_authenticator, &salt], &plain, true));
    out
}

/// Recovers a key hidden as RFC 2548 2.4.2 describes (MS-MPPE-Send/Recv-Key).
pub fn decrypt_key(value: &[u8], secret: &[u8], request_authenticator: &[u8; 16]) -> Result<Zeroizing<Vec<u8>>, KeyError> {
    let (salt, cipher) = value.split_at_checked(2).ok_or(KeyError::BadLength(value.len()))?;
    if cipher.is_empty() || !cipher.len().is_multiple_of(16) {
        return Err(KeyError::BadLength(value.len()));
    }
    if salt.first().is_none_or(|b| b & 0x80 == 0) {
        return Err(KeyError::BadSalt);
    }
    let plain = keystream_xor(secret, &[request_authenticator, salt], cipher, false);
    let len = usize::from(plain.first().copied().unwrap_or(0));
    plain.get(1..1 + len).map(|k| Zeroizing::new(k.to_vec())).ok_or(KeyError::BadKeyLength(len))
}

/// The MS-CHAPv1 LM key (8 bytes) and NT key (16 bytes), wiped on drop.
#[derive(Clone, PartialEq, Eq)]
pub struct MsChapV1Keys {
    /// The LM key.
    pub lm: [u8; 8],
    /// The NT key (the password's hash-hash).
    pub nt: [u8; 16],
}

impl std::fmt::Debug for MsChapV1Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MsChapV1Keys([redacted])")
    }
}

impl Drop for MsChapV1Keys {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.lm);
        zeroize::Zeroize::zeroize(&mut self.nt);
    }
}

/// MS-CHAPv1 keys from MS-CHAP-MPPE-Keys (RFC 2548 2.4.1): hidden like a
/// User-Password, 8 bytes of LM key then 16 bytes of NT key.
pub fn decrypt_mschap_mppe_keys(
    value: &[u8],
    secret: &[u8],
    request_authenticator: &[u8; 16],
) -> Result<MsChapV1Keys, KeyError> {
    let plain = password::unhide(value, secret, request_authenticator).ok_or(KeyError::BadLength(value.len()))?;
    let (Some(lm), Some(nt)) = (plain.get(..8), plain.get(8..24)) else { return Err(KeyError::BadLength(value.len())) };
    let mut keys = MsChapV1Keys { lm: [0; 8], nt: [0; 16] };
    keys.lm.copy_from_slice(lm);
    keys.nt.copy_from_slice(nt);
    Ok(keys)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::mschap::{hash_nt_password_hash, nt_password_hash};

    const NT_RESPONSE: [u8; 24] = [
        0x82, 0x30, 0x9E, 0xCD, 0x8D, 0x70, 0x8B, 0x5E, 0xA0, 0x8F, 0xAA, 0x39, 0x81, 0xCD, 0x83,
        0x54, 0x42, 0x33, 0x11, 0x4A, 0x3D, 0x85, 0xD6, 0xDF,
    ];

    /// RFC 3079 section 3.5.3: MasterKey and the 128-bit SendStartKey for "clientPass".
    #[test]
    fn rfc3079_128_bit_vectors() {
        let phh = hash_nt_password_hash(&nt_password_hash(b"clientPass"));
        let master = master_key(&phh, &NT_RESPONSE);
        assert_eq!(
            master,
            [
                0xFD, 0xEC, 0xE3, 0x71, 0x7A, 0x8C, 0x83, 0x8C, 0xB3, 0x88, 0xE5, 0x27, 0xAE,
                0x3C, 0xDD, 0x31
            ]
        );
        let send = asymmetric_start_key(&master, true, true);
        assert_eq!(
            send,
            [
                0x8B, 0x7C, 0xDC, 0x14, 0x9B, 0x99, 0x3A, 0x1B, 0xA1, 0x18, 0xCB, 0x15, 0x3F,
                0x56, 0xDC, 0xCB
            ]
        );
        // The server's send key is the client's receive key.
        assert_eq!(asymmetric_start_key(&master, false, false), send);
        let keys = v2_server_keys(&nt_password_hash(b"clientPass"), &NT_RESPONSE);
        assert_eq!(keys.send, send);
        assert_eq!(keys.recv, asymmetric_start_key(&master, true, false));
    }

    /// RFC 2548 2.4.2: the salt's high bit is set, the layout is salt + 32 bytes, and decryption inverts it.
    #[test]
    fn rfc2548_key_round_trip() {
        let auth = [0x11u8; 16];
        let key = [0xABu8; 16];
        let hidden = encrypt_key(&key, [0x01, 0x02], b"testing123", &auth);
        assert_eq!(hidden.len(), 34);
        assert_eq!(hidden[0], 0x81);
        assert_eq!(decrypt_key(&hidden, b"testing123", &auth).unwrap().as_slice(), key);
        assert!(decrypt_key(&hidden[..20], b"testing123", &auth).is_err());
        let mut unsalted = hidden.clone();
        unsalted[0] &= 0x7f;
        assert_eq!(decrypt_key(&unsalted, b"testing123", &auth), Err(KeyError::BadSalt));
    }

    /// RFC 2548 2.4.2 by hand: c(1) = p(1) xor MD5(S + R + A), c(2) = p(2) xor MD5(S + c(1)).
    #[test]
    fn rfc2548_construction_by_hand() {
        let auth = [0x5Au8; 16];
        let salt = [0x80, 0x07];
        let key = [0x33u8; 16];
        let hidden = encrypt_key(&key, salt, b"s3cr3t", &auth);
        let mut p = vec![16u8];
        p.extend_from_slice(&key);
        p.resize(32, 0);
        let b1 = Md5::new().chain_update(b"s3cr3t").chain_update(auth).chain_update(salt).finalize();
        let c1: Vec<u8> = p[..16].iter().zip(b1.iter()).map(|(a, b)| a ^ b).collect();
        let b2 = Md5::new().chain_update(b"s3cr3t").chain_update(&c1).finalize();
        let c2: Vec<u8> = p[16..].iter().zip(b2.iter()).map(|(a, b)| a ^ b).collect();
        assert_eq!(&hidden[2..18], &c1[..]);
        assert_eq!(&hidden[18..], &c2[..]);
    }
}

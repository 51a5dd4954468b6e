//! Message-Authenticator (RFC 3579 section 3.2): HMAC-MD5 over the whole
//! packet, keyed with the shared secret, with the attribute's own value
//! zeroed while it is computed.
#![deny(clippy::indexing_slicing)]

use super::attr::MESSAGE_AUTHENTICATOR;
use super::constant_time_eq;
use super::wire::{self, HEADER_LEN};
use hmac::{Hmac, KeyInit, Mac};
use md5::Md5;

/// Why a Message-Authenticator does not check out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MessageAuthenticatorError {
    /// The attribute is not 16 bytes long.
    #[error("Message-Authenticator is {0} bytes long instead of 16")]
    BadLength(usize),
    /// The HMAC does not match: wrong secret, or a forged or altered packet.
    #[error("Message-Authenticator does not match (wrong shared secret or a forged packet)")]
    Mismatch,
    /// More than one Message-Authenticator attribute.
    #[error("packet carries more than one Message-Authenticator")]
    Duplicate,
    /// The packet itself is malformed.
    #[error(transparent)]
    Wire(#[from] wire::WireError),
}

/// HMAC-MD5 keyed with `secret`.
pub fn hmac_md5(secret: &[u8], data: &[u8]) -> [u8; 16] {
    let mut mac = <Hmac<Md5> as KeyInit>::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// HMAC-MD5 of `packet` with its authenticator field replaced by
/// `authenticator` and the 16 bytes at `ma_value_offset` zeroed.
fn hmac_over(packet: &[u8], authenticator: &[u8; 16], ma_value_offset: usize, secret: &[u8]) -> [u8; 16] {
    let mut copy = packet.to_vec();
    if let Some(field) = copy.get_mut(4..HEADER_LEN) {
        field.copy_from_slice(authenticator);
    }
    if let Some(value) = copy.get_mut(ma_value_offset..ma_value_offset + 16) {
        value.fill(0);
    }
    hmac_md5(secret, &copy)
}

/// Finds the one Message-Authenticator among a packet's attributes and
/// returns the offset of its value; `Ok(None)` when there is none.
fn find(attributes: &[wire::Attribute]) -> Result<Option<usize>, MessageAuthenticatorError> {
    let mut found = None;
    for a in attributes.iter().filter(|a| a.typ == MESSAGE_AUTHENTICATOR) {
        if found.is_some() {
            return Err(MessageAuthenticatorError::Duplicate);
        }
        if a.value.len() != 16 {
            return Err(MessageAuthenticatorError::BadLength(a.value.len()));
        }
        found = Some(a.offset + 2);
    }
    Ok(found)
}

/// Checks the Message-Authenticator of a received packet, computing it with
/// `authenticator` in the header field (the Request Authenticator for a
/// reply; zeros for Disconnect/CoA requests). `Ok(false)`: none present.
pub fn verify(packet: &[u8], authenticator: &[u8; 16], secret: &[u8]) -> Result<bool, MessageAuthenticatorError> {
    verify_walked(packet, &wire::attributes(packet)?, authenticator, secret)
}

/// [`verify`] for a packet whose `attributes` the caller has already walked.
pub fn verify_walked(
    packet: &[u8],
    attributes: &[wire::Attribute],
    authenticator: &[u8; 16],
    secret: &[u8],
) -> Result<bool, MessageAuthenticatorError> {
    let Some(offset) = find(attributes)? else { return Ok(false) };
    let expected = hmac_over(packet, authenticator, offset, secret);
    let got = packet.get(offset..offset + 16).unwrap_or(&[]);
    if constant_time_eq(&expected, got) {
        Ok(true)
    } else {
        Err(MessageAuthenticatorError::Mismatch)
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;

    /// RFC 3579 3.2 by hand: HMAC-MD5(secret, packet with a zeroed MA) is what verify() accepts.
    #[test]
    fn sign_then_verify() {
        let mut p = vec![1, 9, 0, 38];
        p.extend([0x42u8; 16]);
        p.extend([80, 18]);
        p.extend([0u8; 16]);
        let zeroed = p.clone();
        let mac = hmac_md5(b"secret", &zeroed);
        p[22..38].copy_from_slice(&mac);
        let mut reference = <Hmac<Md5> as KeyInit>::new_from_slice(b"secret").unwrap();
        reference.update(&zeroed);
        assert_eq!(&p[22..38], &reference.finalize().into_bytes()[..]);
        assert_eq!(verify(&p, &[0x42; 16], b"secret"), Ok(true));
        assert_eq!(verify(&p, &[0x42; 16], b"other"), Err(MessageAuthenticatorError::Mismatch));
        p[30] ^= 1;
        assert_eq!(verify(&p, &[0x42; 16], b"secret"), Err(MessageAuthenticatorError::Mismatch));
    }

    /// A packet without the attribute reports none; a short one is refused.
    #[test]
    fn absent_and_short() {
        let mut p = vec![2, 1, 0, 20];
        p.extend([0u8; 16]);
        assert_eq!(verify(&p, &[0; 16], b"s"), Ok(false));
        p.extend([80, 4, 0, 0]);
        p[3] = 24;
        assert_eq!(verify(&p, &[0; 16], b"s"), Err(MessageAuthenticatorError::BadLength(2)));
    }
}

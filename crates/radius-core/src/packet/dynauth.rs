//! RFC 5176 Dynamic Authorization packets, without I/O: checking a
//! Disconnect-Request or CoA-Request (its accounting-style Request
//! Authenticator and its Message-Authenticator) and encoding the ACK/NAK
//! (Response Authenticator and Message-Authenticator over the request's
//! authenticator, as for Access replies).
#![deny(clippy::indexing_slicing)]

use super::attr::MESSAGE_AUTHENTICATOR;
use super::attributes::AttributeList;
use super::encode::{self, Builder, EncodeError};
use super::message_authenticator::{self, MessageAuthenticatorError};
use super::wire::{self, Attribute, Header, WireError};
use super::{code, constant_time_eq};

/// Why a request is not taken. None of these is answered (RFC 5176 3.3:
/// a request that fails these checks is silently discarded).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RequestCheckError {
    /// Not a well-formed RADIUS packet.
    #[error("malformed packet: {0}")]
    Malformed(#[from] WireError),
    /// Neither Disconnect-Request nor CoA-Request.
    #[error("{} is not a Disconnect-Request or CoA-Request", code::name(*.0))]
    UnexpectedCode(u8),
    /// The Request Authenticator is not MD5 over the packet and the secret.
    #[error("the Request Authenticator does not match (wrong shared secret or a forged packet)")]
    BadAuthenticator,
    /// No Message-Authenticator where one is required.
    #[error("no Message-Authenticator, and require_message_authenticator is on")]
    MissingMessageAuthenticator,
    /// A Message-Authenticator that does not check out.
    #[error(transparent)]
    MessageAuthenticator(#[from] MessageAuthenticatorError),
}

/// A request whose authenticators checked out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedRequest {
    /// Its header.
    pub header: Header,
    /// Its attributes, in order.
    pub attributes: Vec<Attribute>,
    /// Whether it carried a (valid) Message-Authenticator.
    pub signed: bool,
}

/// The Request Authenticator a Disconnect-/CoA-Request (or an
/// Accounting-Request) must carry.
pub fn request_authenticator(packet: &[u8], secret: &[u8]) -> [u8; 16] {
    encode::md5_authenticator(packet, &[0; 16], secret)
}

/// Checks a received Disconnect-Request or CoA-Request against `secret`.
pub fn check_request(datagram: &[u8], secret: &[u8], require_message_authenticator: bool) -> Result<CheckedRequest, RequestCheckError> {
    let (header, packet) = wire::header(datagram)?;
    if !matches!(header.code, code::DISCONNECT_REQUEST | code::COA_REQUEST) {
        return Err(RequestCheckError::UnexpectedCode(header.code));
    }
    let attributes = wire::attributes(packet)?;
    if !constant_time_eq(&request_authenticator(packet, secret), &header.authenticator) {
        return Err(RequestCheckError::BadAuthenticator);
    }
    // RFC 5176 3: computed with the Request Authenticator as 16 zero octets.
    let signed = message_authenticator::verify_walked(packet, &attributes, &[0; 16], secret)?;
    if !signed && require_message_authenticator {
        return Err(RequestCheckError::MissingMessageAuthenticator);
    }
    Ok(CheckedRequest { header, attributes, signed })
}

/// Encodes an ACK or NAK to a request with `identifier` and
/// `request_authenticator`, with a Message-Authenticator appended.
pub fn encode_response(
    response_code: u8,
    identifier: u8,
    request_authenticator: &[u8; 16],
    attributes: &AttributeList,
    secret: &[u8],
) -> Result<Vec<u8>, EncodeError> {
    let mut b = Builder::new(response_code, identifier, request_authenticator);
    for (typ, value) in attributes.iter().filter(|(t, _)| *t != MESSAGE_AUTHENTICATOR) {
        b.attribute(typ, value)?;
    }
    b.message_authenticator();
    let mut bytes = b.finish(secret, Some(request_authenticator))?;
    let response = encode::md5_authenticator(&bytes, request_authenticator, secret);
    encode::set_authenticator(&mut bytes, &response);
    Ok(bytes)
}

/// Checks an ACK/NAK (as a server would): the Response Authenticator and,
/// when present, the Message-Authenticator. For tests and the CLI.
pub fn verify_response(datagram: &[u8], request_authenticator: &[u8; 16], secret: &[u8]) -> Result<Vec<Attribute>, RequestCheckError> {
    let (header, packet) = wire::header(datagram)?;
    if !constant_time_eq(&encode::md5_authenticator(packet, request_authenticator, secret), &header.authenticator) {
        return Err(RequestCheckError::BadAuthenticator);
    }
    let attributes = wire::attributes(packet)?;
    message_authenticator::verify_walked(packet, &attributes, request_authenticator, secret)?;
    Ok(attributes)
}

/// Encodes a Disconnect-/CoA-Request as a server sends it, signed when
/// `sign` (for tests and benchmarks).
pub fn encode_request(request_code: u8, identifier: u8, attributes: &AttributeList, secret: &[u8], sign: bool) -> Result<Vec<u8>, EncodeError> {
    let mut b = Builder::new(request_code, identifier, &[0; 16]);
    b.attributes(attributes)?;
    if sign {
        b.message_authenticator();
    }
    let mut bytes = b.finish(secret, Some(&[0; 16]))?;
    let auth = request_authenticator(&bytes, secret);
    encode::set_authenticator(&mut bytes, &auth);
    Ok(bytes)
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::packet::attr;

    /// A signed request checks out with its secret only; tampering or a
    /// missing Message-Authenticator is refused.
    #[test]
    fn request_checks() {
        let mut attrs = AttributeList::new();
        attrs.text(attr::USER_NAME, "alice");
        let p = encode_request(code::DISCONNECT_REQUEST, 7, &attrs, b"s3cret", true).unwrap();
        let ok = check_request(&p, b"s3cret", true).unwrap();
        assert!(ok.signed);
        assert_eq!(ok.attributes[0].value, b"alice");
        assert_eq!(check_request(&p, b"other", true), Err(RequestCheckError::BadAuthenticator));
        let mut forged = p.clone();
        forged[24] ^= 1;
        assert_eq!(check_request(&forged, b"s3cret", true), Err(RequestCheckError::BadAuthenticator));
        let unsigned = encode_request(code::COA_REQUEST, 8, &attrs, b"s3cret", false).unwrap();
        assert_eq!(check_request(&unsigned, b"s3cret", true), Err(RequestCheckError::MissingMessageAuthenticator));
        assert!(!check_request(&unsigned, b"s3cret", false).unwrap().signed);
        // A wrong MA under a correct Request Authenticator (an attacker who knows neither cannot do this; a buggy server can).
        let mut bad_ma = p.clone();
        let n = bad_ma.len();
        bad_ma[n - 1] ^= 1;
        let auth = request_authenticator(&bad_ma, b"s3cret");
        bad_ma[4..20].copy_from_slice(&auth);
        assert!(matches!(check_request(&bad_ma, b"s3cret", false), Err(RequestCheckError::MessageAuthenticator(_))));
        let access = encode_request(code::ACCESS_REQUEST, 1, &attrs, b"s3cret", true).unwrap();
        assert_eq!(check_request(&access, b"s3cret", true), Err(RequestCheckError::UnexpectedCode(1)));
    }

    /// A response verifies against the request's authenticator and secret.
    #[test]
    fn response_round_trip() {
        let req = [9u8; 16];
        let mut cause = AttributeList::new();
        cause.integer(attr::ERROR_CAUSE, 503);
        let r = encode_response(code::DISCONNECT_NAK, 3, &req, &cause, b"k").unwrap();
        assert_eq!(r[0], code::DISCONNECT_NAK);
        let attrs = verify_response(&r, &req, b"k").unwrap();
        assert!(attrs.iter().any(|a| a.typ == attr::ERROR_CAUSE && a.value == 503u32.to_be_bytes()));
        assert!(attrs.iter().any(|a| a.typ == attr::MESSAGE_AUTHENTICATOR));
        assert!(verify_response(&r, &[8; 16], b"k").is_err());
        let mut long = AttributeList::new();
        long.bytes(attr::STATE, &[0; 254]);
        assert!(encode_response(code::COA_ACK, 1, &req, &long, b"k").is_err());
    }
}

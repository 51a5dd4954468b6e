//! Encoding the requests a client sends.

use super::attr::{self, ms};
use super::attributes::AttributeList;
use super::code;
use super::encode::{self, Builder};
use crate::auth::{password, Credentials};

pub use super::encode::EncodeError;

/// What kind of request a packet is; decides which replies fit it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestKind {
    /// Access-Request: Access-Accept, -Reject or -Challenge.
    Access,
    /// Accounting-Request: Accounting-Response.
    Accounting,
    /// Status-Server: Access-Accept (auth port) or Accounting-Response.
    StatusServer,
}

/// An encoded request, ready to send, with what the reply check needs.
#[derive(Debug, Clone)]
pub struct EncodedRequest {
    /// Request kind.
    pub kind: RequestKind,
    /// Identifier.
    pub identifier: u8,
    /// Request Authenticator.
    pub authenticator: [u8; 16],
    /// The bytes on the wire.
    pub bytes: Vec<u8>,
}

/// A Request Authenticator for Access-Request / Status-Server: 16 bytes
/// from the OS's random generator (RFC 2865 3: unpredictable and unique).
fn random_authenticator() -> [u8; 16] {
    crate::random::bytes()
}

/// The attributes that carry `credentials` (User-Password is hidden with
/// `secret` and `authenticator`).
fn credential_attributes(credentials: &Credentials, secret: &[u8], authenticator: &[u8; 16]) -> Result<AttributeList, EncodeError> {
    let mut out = AttributeList::new();
    match credentials {
        Credentials::Pap { password: pw } => {
            if pw.len() > 128 {
                return Err(EncodeError::PasswordTooLong);
            }
            out.bytes(attr::USER_PASSWORD, &password::hide(pw.expose(), secret, authenticator));
        }
        Credentials::Chap { id, challenge, response } => {
            let mut value = vec![*id];
            value.extend_from_slice(response);
            out.bytes(attr::CHAP_PASSWORD, &value).bytes(attr::CHAP_CHALLENGE, challenge);
        }
        Credentials::MsChapV1 { id, challenge, lm_response, nt_response, flags } => {
            let mut value = vec![*id, *flags];
            value.extend_from_slice(lm_response);
            value.extend_from_slice(nt_response);
            out.vendor(ms::VENDOR, ms::CHAP_CHALLENGE, challenge).vendor(ms::VENDOR, ms::CHAP_RESPONSE, &value);
        }
        Credentials::MsChapV2 { id, auth_challenge, peer_challenge, nt_response, flags } => {
            let mut value = vec![*id, *flags];
            value.extend_from_slice(peer_challenge);
            value.extend_from_slice(&[0u8; 8]);
            value.extend_from_slice(nt_response);
            out.vendor(ms::VENDOR, ms::CHAP_CHALLENGE, auth_challenge).vendor(ms::VENDOR, ms::CHAP2_RESPONSE, &value);
        }
    }
    Ok(out)
}

/// Encodes an Access-Request: Message-Authenticator first, then
/// `attributes`, then the credentials.
pub fn access_request(identifier: u8, attributes: &AttributeList, credentials: &Credentials, secret: &[u8]) -> Result<EncodedRequest, EncodeError> {
    let authenticator = random_authenticator();
    let mut b = Builder::new(code::ACCESS_REQUEST, identifier, &authenticator);
    b.message_authenticator().attributes(attributes)?.attributes(&credential_attributes(credentials, secret, &authenticator)?)?;
    let bytes = b.finish(secret, Some(&authenticator))?;
    Ok(EncodedRequest { kind: RequestKind::Access, identifier, authenticator, bytes })
}

/// Encodes a Status-Server (RFC 5997) with Message-Authenticator first.
pub fn status_server(identifier: u8, attributes: &AttributeList, secret: &[u8]) -> Result<EncodedRequest, EncodeError> {
    let authenticator = random_authenticator();
    let mut b = Builder::new(code::STATUS_SERVER, identifier, &authenticator);
    b.message_authenticator().attributes(attributes)?;
    let bytes = b.finish(secret, Some(&authenticator))?;
    Ok(EncodedRequest { kind: RequestKind::StatusServer, identifier, authenticator, bytes })
}

/// Encodes an Accounting-Request; its Request Authenticator is the MD5 of
/// the packet and secret (RFC 2866 section 3).
pub fn accounting_request(identifier: u8, attributes: &AttributeList, secret: &[u8]) -> Result<EncodedRequest, EncodeError> {
    let mut b = Builder::new(code::ACCOUNTING_REQUEST, identifier, &[0; 16]);
    b.attributes(attributes)?;
    let mut bytes = b.finish(secret, None)?;
    let authenticator = encode::md5_authenticator(&bytes, &[0; 16], secret);
    encode::set_authenticator(&mut bytes, &authenticator);
    Ok(EncodedRequest { kind: RequestKind::Accounting, identifier, authenticator, bytes })
}

impl EncodedRequest {
    /// The packet code.
    pub fn code(&self) -> u8 {
        match self.kind {
            RequestKind::Access => code::ACCESS_REQUEST,
            RequestKind::Accounting => code::ACCOUNTING_REQUEST,
            RequestKind::StatusServer => code::STATUS_SERVER,
        }
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::super::{message_authenticator, wire};
    use super::*;
    use crate::secret::Secret;

    fn bob() -> AttributeList {
        let mut l = AttributeList::new();
        l.text(attr::USER_NAME, "bob");
        l
    }

    /// Message-Authenticator is the first attribute and verifies; User-Password unhides to the password.
    #[test]
    fn access_request_layout() {
        let creds = Credentials::pap(Secret::from("hunter2"));
        let req = access_request(9, &bob(), &creds, b"secret").unwrap();
        let (h, pkt) = wire::header(&req.bytes).unwrap();
        assert_eq!((h.code, h.identifier, h.length), (1, 9, req.bytes.len()));
        assert_eq!(h.authenticator, req.authenticator);
        let attrs = wire::attributes(pkt).unwrap();
        assert_eq!(attrs[0].typ, attr::MESSAGE_AUTHENTICATOR);
        assert_eq!(attrs[1].value, b"bob");
        assert_eq!(message_authenticator::verify(pkt, &req.authenticator, b"secret"), Ok(true));
        let pw = attrs.iter().find(|a| a.typ == attr::USER_PASSWORD).unwrap();
        let clear = password::unhide(&pw.value, b"secret", &req.authenticator).unwrap();
        assert_eq!(&clear[..7], b"hunter2");
        let again = access_request(9, &bob(), &creds, b"secret").unwrap();
        assert_ne!(again.authenticator, req.authenticator, "each request gets a fresh authenticator");
    }

    /// The accounting Request Authenticator is MD5(code+id+len+zeros+attrs+secret).
    #[test]
    fn accounting_authenticator() {
        use md5::{Digest, Md5};
        let mut l = AttributeList::new();
        l.integer(attr::ACCT_STATUS_TYPE, 1);
        let req = accounting_request(3, &l, b"s").unwrap();
        let mut zeroed = req.bytes.clone();
        zeroed[4..20].fill(0);
        let expect: [u8; 16] = Md5::new().chain_update(&zeroed).chain_update(b"s").finalize().into();
        assert_eq!(req.authenticator, expect);
        assert_eq!(&req.bytes[4..20], &expect);
    }

    /// Passwords over 128 bytes and attributes over 253 are refused, not truncated.
    #[test]
    fn oversized_refused() {
        let creds = Credentials::pap(Secret::new(vec![b'x'; 129]));
        assert_eq!(access_request(1, &AttributeList::new(), &creds, b"s").unwrap_err(), EncodeError::PasswordTooLong);
        let mut long = AttributeList::new();
        long.bytes(attr::FILTER_ID, &[b'a'; 254]);
        assert!(matches!(status_server(1, &long, b"s"), Err(EncodeError::AttributeTooLong { typ: 11, len: 254 })));
        let mut huge = AttributeList::new();
        for _ in 0..20 {
            huge.bytes(attr::FILTER_ID, &[b'a'; 253]);
        }
        assert!(matches!(accounting_request(1, &huge, b"s"), Err(EncodeError::TooLong(_))));
    }
}

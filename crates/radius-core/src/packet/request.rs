//! Encoding requests on the `radius` crate's codec.

use super::attr::{self, ms};
use super::{code, message_authenticator, wire};
use crate::auth::{password, Credentials};
use radius::core::avp::AVP;
use radius::core::code::Code;
use radius::core::packet::Packet;

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

/// Why a request could not be encoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EncodeError {
    /// RFC 2865 limits User-Password to 128 bytes.
    #[error("password is longer than the 128 bytes RADIUS can carry")]
    PasswordTooLong,
    /// An attribute value is longer than 253 bytes.
    #[error("attribute {typ} has a value of {len} bytes; at most 253 fit")]
    AttributeTooLong {
        /// Attribute type.
        typ: u8,
        /// Value length.
        len: usize,
    },
    /// The codec refused the packet (e.g. over 4096 bytes).
    #[error("cannot encode the packet: {0}")]
    Codec(String),
}

/// A list of attributes in the order they are sent.
pub type AttributeList = Vec<(u8, Vec<u8>)>;

fn vsa(vendor: u32, typ: u8, value: &[u8]) -> (u8, Vec<u8>) {
    (attr::VENDOR_SPECIFIC, wire::vendor_value(vendor, typ, value))
}

/// The attributes that carry `credentials` (User-Password is hidden with
/// `secret` and `authenticator`).
fn credential_attributes(
    credentials: &Credentials,
    secret: &[u8],
    authenticator: &[u8; 16],
) -> Result<AttributeList, EncodeError> {
    Ok(match credentials {
        Credentials::Pap { password: pw } => {
            if pw.len() > 128 {
                return Err(EncodeError::PasswordTooLong);
            }
            vec![(attr::USER_PASSWORD, password::hide(pw.expose(), secret, authenticator))]
        }
        Credentials::Chap { id, challenge, response } => {
            let mut value = vec![*id];
            value.extend_from_slice(response);
            vec![(attr::CHAP_PASSWORD, value), (attr::CHAP_CHALLENGE, challenge.clone())]
        }
        Credentials::MsChapV1 { id, challenge, lm_response, nt_response, flags } => {
            let mut value = vec![*id, *flags];
            value.extend_from_slice(lm_response);
            value.extend_from_slice(nt_response);
            vec![vsa(ms::VENDOR, ms::CHAP_CHALLENGE, challenge), vsa(ms::VENDOR, ms::CHAP_RESPONSE, &value)]
        }
        Credentials::MsChapV2 { id, auth_challenge, peer_challenge, nt_response, flags } => {
            let mut value = vec![*id, *flags];
            value.extend_from_slice(peer_challenge);
            value.extend_from_slice(&[0u8; 8]);
            value.extend_from_slice(nt_response);
            vec![vsa(ms::VENDOR, ms::CHAP_CHALLENGE, auth_challenge), vsa(ms::VENDOR, ms::CHAP2_RESPONSE, &value)]
        }
    })
}

fn add_all(packet: &mut Packet, attributes: &[(u8, Vec<u8>)]) -> Result<(), EncodeError> {
    for (typ, value) in attributes {
        if value.len() > 253 {
            return Err(EncodeError::AttributeTooLong { typ: *typ, len: value.len() });
        }
        packet.add(AVP::from_bytes(*typ, value));
    }
    Ok(())
}

fn authenticator_of(bytes: &[u8]) -> [u8; 16] {
    let mut a = [0u8; 16];
    if let Some(field) = bytes.get(4..20) {
        a.copy_from_slice(field);
    }
    a
}

fn encode_signed(packet: &Packet, kind: RequestKind, identifier: u8, secret: &[u8]) -> Result<EncodedRequest, EncodeError> {
    let mut bytes = packet.encode().map_err(|e| EncodeError::Codec(e.to_string()))?;
    message_authenticator::sign(&mut bytes, secret).map_err(|e| EncodeError::Codec(e.to_string()))?;
    Ok(EncodedRequest { kind, identifier, authenticator: authenticator_of(&bytes), bytes })
}

/// Encodes an Access-Request: Message-Authenticator first, then
/// `attributes`, then the credentials.
pub fn access_request(
    identifier: u8,
    attributes: &[(u8, Vec<u8>)],
    credentials: &Credentials,
    secret: &[u8],
) -> Result<EncodedRequest, EncodeError> {
    let mut packet = Packet::new_with_identifier(Code::AccessRequest, secret, identifier);
    let authenticator = authenticator_of(&[&[0u8; 4][..], packet.get_authenticator()].concat());
    packet.add(AVP::from_bytes(attr::MESSAGE_AUTHENTICATOR, &[0u8; 16]));
    add_all(&mut packet, attributes)?;
    add_all(&mut packet, &credential_attributes(credentials, secret, &authenticator)?)?;
    encode_signed(&packet, RequestKind::Access, identifier, secret)
}

/// Encodes a Status-Server (RFC 5997) with Message-Authenticator first.
pub fn status_server(identifier: u8, attributes: &[(u8, Vec<u8>)], secret: &[u8]) -> Result<EncodedRequest, EncodeError> {
    let mut packet = Packet::new_with_identifier(Code::StatusServer, secret, identifier);
    packet.add(AVP::from_bytes(attr::MESSAGE_AUTHENTICATOR, &[0u8; 16]));
    add_all(&mut packet, attributes)?;
    encode_signed(&packet, RequestKind::StatusServer, identifier, secret)
}

/// Encodes an Accounting-Request; its Request Authenticator is the MD5 of
/// the packet and secret (RFC 2866 section 3), computed by the codec.
pub fn accounting_request(identifier: u8, attributes: &[(u8, Vec<u8>)], secret: &[u8]) -> Result<EncodedRequest, EncodeError> {
    let mut packet = Packet::new_with_identifier(Code::AccountingRequest, secret, identifier);
    add_all(&mut packet, attributes)?;
    let bytes = packet.encode().map_err(|e| EncodeError::Codec(e.to_string()))?;
    Ok(EncodedRequest { kind: RequestKind::Accounting, identifier, authenticator: authenticator_of(&bytes), bytes })
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
mod tests {
    use super::*;
    use crate::secret::Secret;

    /// Message-Authenticator is the first attribute and verifies; User-Password unhides to the password.
    #[test]
    fn access_request_layout() {
        let creds = Credentials::pap(Secret::from("hunter2"));
        let req = access_request(9, &[(attr::USER_NAME, b"bob".to_vec())], &creds, b"secret").unwrap();
        let (h, pkt) = wire::header(&req.bytes).unwrap();
        assert_eq!((h.code, h.identifier), (1, 9));
        let attrs = wire::attributes(pkt).unwrap();
        assert_eq!(attrs[0].typ, attr::MESSAGE_AUTHENTICATOR);
        assert_eq!(message_authenticator::verify(pkt, &req.authenticator, b"secret"), Ok(true));
        let pw = attrs.iter().find(|a| a.typ == attr::USER_PASSWORD).unwrap();
        let clear = password::unhide(&pw.value, b"secret", &req.authenticator).unwrap();
        assert_eq!(&clear[..7], b"hunter2");
    }

    /// The accounting Request Authenticator is MD5(code+id+len+zeros+attrs+secret).
    #[test]
    fn accounting_authenticator() {
        use md5::{Digest, Md5};
        let req = accounting_request(3, &[(attr::ACCT_STATUS_TYPE, 1u32.to_be_bytes().to_vec())], b"s").unwrap();
        let mut zeroed = req.bytes.clone();
        zeroed[4..20].fill(0);
        let expect: [u8; 16] = Md5::new().chain_update(&zeroed).chain_update(b"s").finalize().into();
        assert_eq!(req.authenticator, expect);
    }

    /// Passwords over 128 bytes are refused, not truncated.
    #[test]
    fn long_password_refused() {
        let creds = Credentials::pap(Secret::new(vec![b'x'; 129]));
        assert_eq!(access_request(1, &[], &creds, b"s").unwrap_err(), EncodeError::PasswordTooLong);
    }
}

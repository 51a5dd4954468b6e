//! Checking a reply against the request it claims to answer.

use super::attr;
use super::code;
use super::constant_time_eq;
use super::encode;
use super::message_authenticator::{self, MessageAuthenticatorError};
use super::request::{EncodedRequest, RequestKind};
use super::wire::{self, Attribute, VendorAttribute, WireError};

/// Why a datagram is not an acceptable reply. Each is counted as a bad
/// reply and the client keeps waiting for the real one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReplyError {
    /// Malformed bytes.
    #[error("malformed reply: {0}")]
    Wire(#[from] WireError),
    /// The Identifier is not the request's.
    #[error("reply Identifier {got} does not match the request's {expected}")]
    WrongIdentifier {
        /// The request's Identifier.
        expected: u8,
        /// The reply's.
        got: u8,
    },
    /// The code cannot answer this kind of request.
    #[error("{} cannot answer this request", code::name(*.0))]
    UnexpectedCode(u8),
    /// The Response Authenticator is wrong: wrong secret or a forgery.
    #[error("Response Authenticator does not match (wrong shared secret or a forged reply)")]
    BadResponseAuthenticator,
    /// Message-Authenticator present but wrong.
    #[error("{0}")]
    MessageAuthenticator(MessageAuthenticatorError),
    /// Message-Authenticator absent while it is required.
    #[error(
        "{} without Message-Authenticator refused: require_message_authenticator is on \
         (BlastRADIUS, CVE-2024-3596); make the server send it, or for a legacy server set \
         require_message_authenticator = false in its [[server]] section",
        code::name(*.0)
    )]
    MissingMessageAuthenticator(u8),
}

/// A verified reply.
#[derive(Debug, Clone)]
pub struct Reply {
    /// Reply code.
    pub code: u8,
    /// Identifier.
    pub identifier: u8,
    /// Attributes in wire order.
    pub attributes: Vec<Attribute>,
    /// Whether a (valid) Message-Authenticator was present.
    pub had_message_authenticator: bool,
    /// The Request Authenticator of the request it answers (needed to
    /// decrypt MPPE keys).
    pub request_authenticator: [u8; 16],
}

impl Reply {
    /// The first value of attribute `typ`.
    pub fn get(&self, typ: u8) -> Option<&[u8]> {
        self.attributes.iter().find(|a| a.typ == typ).map(|a| a.value.as_slice())
    }

    /// Every value of attribute `typ`, in order.
    pub fn get_all(&self, typ: u8) -> Vec<&[u8]> {
        self.attributes.iter().filter(|a| a.typ == typ).map(|a| a.value.as_slice()).collect()
    }

    /// Every vendor sub-attribute, in order.
    pub fn vendor_attributes(&self) -> Vec<VendorAttribute> {
        self.get_all(attr::VENDOR_SPECIFIC)
            .into_iter()
            .filter_map(wire::vendor_attributes)
            .flatten()
            .collect()
    }

    /// The first value of vendor attribute `vendor`/`typ`.
    pub fn vendor(&self, vendor: u32, typ: u8) -> Option<Vec<u8>> {
        self.vendor_attributes().into_iter().find(|v| v.vendor == vendor && v.typ == typ).map(|v| v.value)
    }

    /// Reply-Message values as text.
    pub fn reply_messages(&self) -> Vec<String> {
        self.get_all(attr::REPLY_MESSAGE).into_iter().map(|v| String::from_utf8_lossy(v).into_owned()).collect()
    }

    /// A 32-bit integer attribute.
    pub fn integer(&self, typ: u8) -> Option<u32> {
        self.get(typ).and_then(|v| v.try_into().ok()).map(u32::from_be_bytes)
    }
}

fn expected_codes(kind: RequestKind) -> &'static [u8] {
    match kind {
        RequestKind::Access => &[code::ACCESS_ACCEPT, code::ACCESS_REJECT, code::ACCESS_CHALLENGE],
        RequestKind::Accounting => &[code::ACCOUNTING_RESPONSE],
        RequestKind::StatusServer => &[code::ACCESS_ACCEPT, code::ACCOUNTING_RESPONSE],
    }
}

/// Checks `datagram` as a reply to `request`: length, Identifier, code,
/// Response Authenticator, attribute framing, and Message-Authenticator
/// (validated when present; for Access-* replies, including those to
/// Status-Server, required when `require_message_authenticator`). Unknown attributes are kept, never
/// a reason to refuse.
pub fn verify_reply(
    datagram: &[u8],
    request: &EncodedRequest,
    secret: &[u8],
    require_message_authenticator: bool,
) -> Result<Reply, ReplyError> {
    let (header, packet) = wire::header(datagram)?;
    if header.identifier != request.identifier {
        return Err(ReplyError::WrongIdentifier { expected: request.identifier, got: header.identifier });
    }
    if !expected_codes(request.kind).contains(&header.code) {
        return Err(ReplyError::UnexpectedCode(header.code));
    }
    let expected = encode::md5_authenticator(packet, &request.authenticator, secret);
    if !constant_time_eq(&expected, &header.authenticator) {
        return Err(ReplyError::BadResponseAuthenticator);
    }
    let attributes = wire::attributes(packet)?;
    let had_ma = message_authenticator::verify_walked(packet, &attributes, &request.authenticator, secret)
        .map_err(ReplyError::MessageAuthenticator)?;
    // Only Access-* replies are required to be signed: an Accounting-Response
    // (to accounting, or to Status-Server on the accounting port, which
    // FreeRADIUS sends unsigned) grants nothing, and its Response
    // Authenticator already covers it with the secret.
    if !had_ma && require_message_authenticator && header.code != code::ACCOUNTING_RESPONSE {
        return Err(ReplyError::MissingMessageAuthenticator(header.code));
    }
    Ok(Reply {
        code: header.code,
        identifier: header.identifier,
        attributes,
        had_message_authenticator: had_ma,
        request_authenticator: request.authenticator,
    })
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
pub(crate) mod tests {
    use super::*;
    use crate::auth::Credentials;
    use crate::packet::request;
    use crate::secret::Secret;
    use md5::{Digest, Md5};

    /// Builds a reply the way a server would: attributes, optional
    /// Message-Authenticator, Response Authenticator.
    pub(crate) fn server_reply(req: &EncodedRequest, code: u8, attrs: &[(u8, Vec<u8>)], with_ma: bool, secret: &[u8]) -> Vec<u8> {
        let mut b = encode::Builder::new(code, req.identifier, &req.authenticator);
        if with_ma {
            b.message_authenticator();
        }
        for (t, v) in attrs {
            b.attribute(*t, v).unwrap();
        }
        let mut p = b.finish(secret, Some(&req.authenticator)).unwrap();
        let ra = encode::md5_authenticator(&p, &req.authenticator, secret);
        encode::set_authenticator(&mut p, &ra);
        // Cross-check the MD5 by hand, as a server computes it.
        let mut by_hand = p.clone();
        by_hand[4..20].copy_from_slice(&req.authenticator);
        let hand: [u8; 16] = Md5::new().chain_update(&by_hand).chain_update(secret).finalize().into();
        assert_eq!(hand, ra);
        p
    }

    fn request() -> EncodedRequest {
        let mut l = crate::packet::AttributeList::new();
        l.text(attr::USER_NAME, "bob");
        request::access_request(5, &l, &Credentials::pap(Secret::from("pw")), b"secret").unwrap()
    }

    /// A correct reply with Message-Authenticator passes, and unknown attributes are kept.
    #[test]
    fn accepts_good_reply() {
        let req = request();
        let bytes = server_reply(&req, 2, &[(18, b"hi".to_vec()), (250, vec![1, 2])], true, b"secret");
        let r = verify_reply(&bytes, &req, b"secret", true).unwrap();
        assert_eq!(r.code, 2);
        assert!(r.had_message_authenticator);
        assert_eq!(r.reply_messages(), vec!["hi"]);
        assert_eq!(r.get(250), Some(&[1u8, 2][..]));
    }

    /// Each forgery is refused with its own reason.
    #[test]
    fn refuses_forgeries() {
        let req = request();
        let good = server_reply(&req, 2, &[], true, b"secret");
        let wrong_secret = server_reply(&req, 2, &[], true, b"guess");
        assert_eq!(verify_reply(&wrong_secret, &req, b"secret", true).unwrap_err(), ReplyError::BadResponseAuthenticator);
        let mut wrong_id = good.clone();
        wrong_id[1] ^= 1;
        assert!(matches!(verify_reply(&wrong_id, &req, b"secret", true), Err(ReplyError::WrongIdentifier { .. })));
        let legacy = server_reply(&req, 2, &[], false, b"secret");
        assert_eq!(verify_reply(&legacy, &req, b"secret", true).unwrap_err(), ReplyError::MissingMessageAuthenticator(2));
        assert!(verify_reply(&legacy, &req, b"secret", false).is_ok());
        let acct_code = server_reply(&req, 5, &[], true, b"secret");
        assert_eq!(verify_reply(&acct_code, &req, b"secret", true).unwrap_err(), ReplyError::UnexpectedCode(5));
        assert!(verify_reply(&good[..19], &req, b"secret", true).is_err());
    }

    /// Status-Server on the accounting port is answered with an unsigned
    /// Accounting-Response (FreeRADIUS 3.2 does): taken even when signing is
    /// required; an unsigned Access-Accept to the same probe is not.
    #[test]
    fn unsigned_accounting_response_to_a_probe_is_taken() {
        let probe = request::status_server(9, &crate::packet::AttributeList::new(), b"secret").unwrap();
        let acct = server_reply(&probe, code::ACCOUNTING_RESPONSE, &[], false, b"secret");
        assert_eq!(verify_reply(&acct, &probe, b"secret", true).unwrap().code, code::ACCOUNTING_RESPONSE);
        let access = server_reply(&probe, code::ACCESS_ACCEPT, &[], false, b"secret");
        assert_eq!(verify_reply(&access, &probe, b"secret", true).unwrap_err(), ReplyError::MissingMessageAuthenticator(2));
    }

    /// A reply whose Message-Authenticator was computed with another secret (but right Response Authenticator) is refused.
    #[test]
    fn refuses_bad_message_authenticator() {
        let req = request();
        let mut bytes = server_reply(&req, 2, &[], true, b"secret");
        bytes[25] ^= 0xff;
        let ra: [u8; 16] = {
            let mut p = bytes.clone();
            p[4..20].copy_from_slice(&req.authenticator);
            Md5::new().chain_update(&p).chain_update(b"secret").finalize().into()
        };
        bytes[4..20].copy_from_slice(&ra);
        assert_eq!(
            verify_reply(&bytes, &req, b"secret", false).unwrap_err(),
            ReplyError::MessageAuthenticator(MessageAuthenticatorError::Mismatch)
        );
    }
}

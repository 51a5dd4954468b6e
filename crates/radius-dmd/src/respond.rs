//! The ACK or NAK to an admitted request: Error-Cause on a NAK, State and
//! Proxy-State echoed (RFC 5176 3.1, RFC 2865 5.33), Message-Authenticator.

use radius_core::packet::error_cause::ErrorCause;
use radius_core::packet::dynauth::{self, CheckedRequest};
use radius_core::packet::request::EncodeError;
use radius_core::packet::{attr, code, AttributeList};

/// The answer's code for a request code and outcome.
pub fn response_code(request_code: u8, ok: bool) -> u8 {
    match (request_code == code::COA_REQUEST, ok) {
        (true, true) => code::COA_ACK,
        (true, false) => code::COA_NAK,
        (false, true) => code::DISCONNECT_ACK,
        (false, false) => code::DISCONNECT_NAK,
    }
}

/// Encodes the answer to `request`: ACK when `outcome` is Ok, else NAK with the cause.
pub fn encode(request: &CheckedRequest, outcome: Result<(), ErrorCause>, secret: &[u8]) -> Result<Vec<u8>, EncodeError> {
    let mut attributes = AttributeList::new();
    if let Err(cause) = outcome {
        attributes.integer(attr::ERROR_CAUSE, cause.value());
    }
    attributes.extend_received(request.attributes.iter().filter(|a| matches!(a.typ, attr::STATE | attr::PROXY_STATE)));
    let h = &request.header;
    dynauth::encode_response(response_code(h.code, outcome.is_ok()), h.identifier, &h.authenticator, &attributes, secret)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A NAK carries the cause and the Proxy-States in order, and verifies.
    #[test]
    fn nak_echoes_proxy_state() {
        let req = dynauth::encode_request(code::DISCONNECT_REQUEST, 9, &[(1, b"u".to_vec()), (33, b"p1".to_vec()), (33, b"p2".to_vec())].into_iter().collect(), b"k", true).unwrap();
        let checked = dynauth::check_request(&req, b"k", true).unwrap();
        let bytes = encode(&checked, Err(ErrorCause::SessionContextNotFound), b"k").unwrap();
        assert_eq!(bytes[0], code::DISCONNECT_NAK);
        assert_eq!(bytes[1], 9);
        let attrs = dynauth::verify_response(&bytes, &checked.header.authenticator, b"k").unwrap();
        let values: Vec<(u8, Vec<u8>)> = attrs.iter().filter(|a| a.typ != attr::MESSAGE_AUTHENTICATOR).map(|a| (a.typ, a.value.clone())).collect();
        assert_eq!(values, vec![(101, 503u32.to_be_bytes().to_vec()), (33, b"p1".to_vec()), (33, b"p2".to_vec())]);
        assert_eq!(response_code(code::COA_REQUEST, true), code::COA_ACK);
    }
}

//! What a request asks, read from its attributes: which sessions, and for
//! CoA which changes. Requests we cannot honour become an Error-Cause.

use radius_core::packet::error_cause::ErrorCause;
use radius_host::selector::{self, Selector};
use radius_core::packet::wire::Attribute;
use radius_core::packet::{attr, code};

/// Service-Type Authorize-Only (RFC 5176 3.2).
const AUTHORIZE_ONLY: u32 = 17;

/// The changes a CoA-Request asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Changes {
    /// Session-Timeout, from now (0: none).
    pub session_timeout: Option<u32>,
    /// Idle-Timeout (0: none).
    pub idle_timeout: Option<u32>,
    /// New Class values.
    pub classes: Vec<Vec<u8>>,
    /// Everything else (Mikrotik-Rate-Limit, Filter-Id, …): for the hook script.
    pub for_hook: Vec<Attribute>,
}

/// A request, understood.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    /// End the selected sessions.
    Disconnect(Selector),
    /// Change the selected sessions.
    Coa(Selector, Changes),
}

/// Attributes that only frame the request, in any kind.
fn framing(typ: u8) -> bool {
    matches!(
        typ,
        attr::STATE
            | attr::PROXY_STATE
            | attr::MESSAGE_AUTHENTICATOR
            | attr::EVENT_TIMESTAMP
            | attr::NAS_IDENTIFIER
            | attr::NAS_IP_ADDRESS
            | attr::NAS_IPV6_ADDRESS
            | attr::SERVICE_TYPE
            | attr::ACCT_TERMINATE_CAUSE
            | attr::REPLY_MESSAGE
    )
}

fn integer(a: &Attribute) -> Result<u32, ErrorCause> {
    <[u8; 4]>::try_from(a.value.as_slice()).map(u32::from_be_bytes).map_err(|_| ErrorCause::InvalidAttributeValue)
}

/// Reads a request of `request_code` (already admitted).
pub fn plan(request_code: u8, attributes: &[Attribute]) -> Result<Plan, ErrorCause> {
    let coa = request_code == code::COA_REQUEST;
    for a in attributes.iter().filter(|a| a.typ == attr::SERVICE_TYPE) {
        if integer(a)? == AUTHORIZE_ONLY {
            return Err(ErrorCause::UnsupportedService);
        }
    }
    let mut changes = Changes::default();
    for a in attributes.iter().filter(|a| !framing(a.typ) && !selector::identifies(a.typ)) {
        match (coa, a.typ) {
            (false, _) => return Err(ErrorCause::UnsupportedAttribute),
            (true, attr::SESSION_TIMEOUT) => changes.session_timeout = Some(integer(a)?),
            (true, attr::IDLE_TIMEOUT) => changes.idle_timeout = Some(integer(a)?),
            (true, attr::CLASS) => changes.classes.push(a.value.clone()),
            (true, _) => changes.for_hook.push(a.clone()),
        }
    }
    let selector = Selector::from_attributes(attributes).map_err(|_| ErrorCause::InvalidAttributeValue)?;
    if selector.is_empty() {
        return Err(ErrorCause::MissingAttribute);
    }
    Ok(if coa { Plan::Coa(selector, changes) } else { Plan::Disconnect(selector) })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(typ: u8, value: &[u8]) -> Attribute {
        Attribute { typ, value: value.to_vec(), offset: 0 }
    }

    /// The RFC 5176 refusals and a CoA's changes.
    #[test]
    fn reads_requests() {
        let user = a(1, b"alice");
        assert_eq!(plan(code::DISCONNECT_REQUEST, &[a(55, &[0; 4])]), Err(ErrorCause::MissingAttribute));
        assert_eq!(plan(code::DISCONNECT_REQUEST, &[user.clone(), a(11, b"std")]), Err(ErrorCause::UnsupportedAttribute));
        assert_eq!(plan(code::COA_REQUEST, &[user.clone(), a(6, &17u32.to_be_bytes())]), Err(ErrorCause::UnsupportedService));
        assert!(matches!(plan(code::DISCONNECT_REQUEST, &[user.clone(), a(33, b"ps")]), Ok(Plan::Disconnect(_))));
        let vsa = a(26, &[0, 0, 0x3a, 0x8c, 8, 7, b'1', b'M', b'/', b'2', b'M']);
        let Ok(Plan::Coa(s, c)) = plan(code::COA_REQUEST, &[user, a(27, &30u32.to_be_bytes()), a(25, b"gold"), vsa.clone()]) else {
            panic!("a CoA")
        };
        assert_eq!(s.user.as_deref(), Some("alice"));
        assert_eq!(c.session_timeout, Some(30));
        assert_eq!(c.classes, vec![b"gold".to_vec()]);
        assert_eq!(c.for_hook, vec![vsa]);
        assert_eq!(plan(code::COA_REQUEST, &[a(1, b"x"), a(27, &[1])]), Err(ErrorCause::InvalidAttributeValue));
    }
}

//! Session identification (RFC 5176 3): the attributes of a request that
//! name sessions, and which registry records they match. Every attribute
//! given must match; a request applies to every session that does.

use radius_core::packet::attr;
use radius_core::packet::wire::Attribute;
use crate::sessions::PppSession;
use std::net::Ipv4Addr;

/// What a request (or `radius-rs disconnect`) says about the sessions it means.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selector {
    /// User-Name.
    pub user: Option<String>,
    /// Acct-Session-Id.
    pub acct_session_id: Option<String>,
    /// Framed-IP-Address.
    pub framed_ip_address: Option<Ipv4Addr>,
    /// NAS-Port.
    pub nas_port: Option<u32>,
    /// NAS-Port-Id.
    pub nas_port_id: Option<String>,
    /// Calling-Station-Id.
    pub calling_station_id: Option<String>,
}

/// A session identification attribute whose value cannot be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("attribute {0} has a malformed value")]
pub struct BadValue(pub u8);

/// Is `typ` a session identification attribute we match on?
pub fn identifies(typ: u8) -> bool {
    matches!(
        typ,
        attr::USER_NAME | attr::ACCT_SESSION_ID | attr::FRAMED_IP_ADDRESS | attr::NAS_PORT | attr::NAS_PORT_ID | attr::CALLING_STATION_ID
    )
}

fn text(a: &Attribute) -> Result<String, BadValue> {
    String::from_utf8(a.value.clone()).map_err(|_| BadValue(a.typ))
}

impl Selector {
    /// The selector of a request's attributes.
    pub fn from_attributes(attributes: &[Attribute]) -> Result<Selector, BadValue> {
        let mut s = Selector::default();
        for a in attributes {
            match a.typ {
                attr::USER_NAME => s.user = Some(text(a)?),
                attr::ACCT_SESSION_ID => s.acct_session_id = Some(text(a)?),
                attr::NAS_PORT_ID => s.nas_port_id = Some(text(a)?),
                attr::CALLING_STATION_ID => s.calling_station_id = Some(text(a)?),
                attr::FRAMED_IP_ADDRESS => {
                    s.framed_ip_address = Some(<[u8; 4]>::try_from(a.value.as_slice()).map_err(|_| BadValue(a.typ))?.into())
                }
                attr::NAS_PORT => {
                    s.nas_port = Some(u32::from_be_bytes(<[u8; 4]>::try_from(a.value.as_slice()).map_err(|_| BadValue(a.typ))?))
                }
                _ => {}
            }
        }
        Ok(s)
    }

    /// True when it names nothing (Error-Cause 402).
    pub fn is_empty(&self) -> bool {
        *self == Selector::default()
    }

    /// Does `record` match every attribute given?
    pub fn matches(&self, record: &PppSession) -> bool {
        fn eq<T: PartialEq>(want: &Option<T>, have: &T) -> bool {
            want.as_ref().is_none_or(|w| w == have)
        }
        eq(&self.user, &record.user)
            && eq(&self.acct_session_id, &record.acct_session_id)
            && self.framed_ip_address.is_none_or(|ip| record.framed_ip_address == Some(ip))
            && eq(&self.nas_port, &record.port.nas_port)
            && eq(&self.nas_port_id, &record.port.nas_port_id)
            && self
                .calling_station_id
                .as_deref()
                .is_none_or(|c| c.eq_ignore_ascii_case(&record.port.calling_station_id))
    }

    /// For logs: what was asked for.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(v) = &self.user {
            parts.push(format!("User-Name={v}"));
        }
        if let Some(v) = &self.acct_session_id {
            parts.push(format!("Acct-Session-Id={v}"));
        }
        if let Some(v) = self.framed_ip_address {
            parts.push(format!("Framed-IP-Address={v}"));
        }
        if let Some(v) = self.nas_port {
            parts.push(format!("NAS-Port={v}"));
        }
        if let Some(v) = &self.nas_port_id {
            parts.push(format!("NAS-Port-Id={v}"));
        }
        if let Some(v) = &self.calling_station_id {
            parts.push(format!("Calling-Station-Id={v}"));
        }
        parts.join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(user: &str, id: &str, ip: [u8; 4]) -> PppSession {
        let mut s = PppSession::example("ppp0", user, 1);
        s.acct_session_id = id.into();
        s.framed_ip_address = Some(ip.into());
        s
    }

    fn a(typ: u8, value: &[u8]) -> Attribute {
        Attribute { typ, value: value.to_vec(), offset: 0 }
    }

    /// All given attributes must match; none given matches nothing useful (is_empty).
    #[test]
    fn all_given_must_match() {
        let r = record("alice", "S1", [10, 0, 0, 2]);
        let s = Selector::from_attributes(&[a(1, b"alice"), a(8, &[10, 0, 0, 2])]).unwrap();
        assert!(s.matches(&r));
        let s = Selector::from_attributes(&[a(1, b"alice"), a(44, b"S2")]).unwrap();
        assert!(!s.matches(&r));
        let s = Selector::from_attributes(&[a(31, b"02-00-00-00-00-01".as_slice())]).unwrap();
        assert!(!s.matches(&r), "MAC spellings are compared as given");
        let s = Selector::from_attributes(&[a(31, b"02:00:00:00:00:01")]).unwrap();
        assert!(s.matches(&r));
        assert!(Selector::from_attributes(&[a(18, b"hi")]).unwrap().is_empty());
        assert_eq!(Selector::from_attributes(&[a(8, &[1, 2])]), Err(BadValue(8)));
    }
}

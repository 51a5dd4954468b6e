//! Which datagrams become requests: a listed client, a correct Request
//! Authenticator, a valid Message-Authenticator (required by default) and
//! an Event-Timestamp inside the window. Everything else is dropped
//! without an answer (RFC 5176 3.3, 5.3) and counted by reason.

use radius_core::config::{unmapped, Incoming, IncomingClient};
use radius_host::incoming_counters::Counter;
use radius_core::packet::attr;
use radius_core::packet::dynauth::{self, CheckedRequest, RequestCheckError};
use radius_core::packet::message_authenticator::MessageAuthenticatorError;
use std::net::IpAddr;
use std::time::{SystemTime, UNIX_EPOCH};

/// Why a datagram was dropped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Dropped {
    /// The source is not an `[[incoming.client]]`.
    #[error("{0} is not a listed client")]
    UnknownClient(IpAddr),
    /// Not a well-formed packet.
    #[error("malformed: {0}")]
    Malformed(String),
    /// Not a Disconnect-Request or CoA-Request.
    #[error("{0}")]
    UnexpectedCode(String),
    /// Wrong Request Authenticator: wrong secret or forged.
    #[error("Request Authenticator does not match (wrong shared secret or forged)")]
    BadAuthenticator,
    /// No Message-Authenticator while one is required.
    #[error("no Message-Authenticator (require_message_authenticator = true)")]
    MissingMessageAuthenticator,
    /// A Message-Authenticator that does not check out.
    #[error("Message-Authenticator is invalid: {0}")]
    BadMessageAuthenticator(String),
    /// Event-Timestamp too far from our clock (replay, or a clock off).
    #[error("Event-Timestamp is {0}s away from our clock, outside the window")]
    StaleTimestamp(i64),
    /// No Event-Timestamp while one is required.
    #[error("no Event-Timestamp (require_event_timestamp = true)")]
    MissingTimestamp,
}

impl Dropped {
    /// The counter this drop rises.
    pub fn counter(&self) -> Counter {
        match self {
            Dropped::UnknownClient(_) => Counter::DroppedUnknownClient,
            Dropped::Malformed(_) => Counter::DroppedMalformed,
            Dropped::UnexpectedCode(_) => Counter::DroppedUnexpectedCode,
            Dropped::BadAuthenticator => Counter::DroppedBadAuthenticator,
            Dropped::MissingMessageAuthenticator => Counter::DroppedMissingMessageAuthenticator,
            Dropped::BadMessageAuthenticator(_) => Counter::DroppedBadMessageAuthenticator,
            Dropped::StaleTimestamp(_) => Counter::DroppedStaleTimestamp,
            Dropped::MissingTimestamp => Counter::DroppedMissingTimestamp,
        }
    }
}

/// A request that passed every check, with the client that sent it.
#[derive(Debug, Clone)]
pub struct Admitted<'a> {
    /// The checked packet.
    pub request: CheckedRequest,
    /// Its sender.
    pub client: &'a IncomingClient,
}

/// Checks one datagram from `source` at `now`.
pub fn admit<'a>(datagram: &[u8], source: IpAddr, incoming: &'a Incoming, now: SystemTime) -> Result<Admitted<'a>, Dropped> {
    let source = unmapped(source);
    let client = incoming
        .clients
        .iter()
        .find(|c| unmapped(c.ip) == source)
        .ok_or(Dropped::UnknownClient(source))?;
    let section = &incoming.section;
    let request = dynauth::check_request(datagram, client.secret.expose(), section.require_message_authenticator).map_err(|e| match e {
        RequestCheckError::Malformed(w) => Dropped::Malformed(w.to_string()),
        RequestCheckError::UnexpectedCode(_) => Dropped::UnexpectedCode(e.to_string()),
        RequestCheckError::BadAuthenticator => Dropped::BadAuthenticator,
        RequestCheckError::MissingMessageAuthenticator => Dropped::MissingMessageAuthenticator,
        RequestCheckError::MessageAuthenticator(MessageAuthenticatorError::Wire(w)) => Dropped::Malformed(w.to_string()),
        RequestCheckError::MessageAuthenticator(m) => Dropped::BadMessageAuthenticator(m.to_string()),
        other => Dropped::Malformed(other.to_string()),
    })?;
    let stamp = request.attributes.iter().find(|a| a.typ == attr::EVENT_TIMESTAMP);
    match stamp {
        None if section.require_event_timestamp => return Err(Dropped::MissingTimestamp),
        None => {}
        Some(a) => {
            let at = <[u8; 4]>::try_from(a.value.as_slice()).map_err(|_| Dropped::Malformed("Event-Timestamp is not 4 bytes".into()))?;
            let now = now.duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0);
            let skew = i64::from(u32::from_be_bytes(at)) - now;
            if skew.unsigned_abs() > section.event_timestamp_window.as_secs() {
                return Err(Dropped::StaleTimestamp(skew));
            }
        }
    }
    Ok(Admitted { request, client })
}

#[cfg(test)]
mod tests {
    use super::*;
    use radius_core::config::IncomingSection;
    use radius_core::packet::code;
    use radius_core::Secret;
    use std::time::Duration;

    fn incoming(require_ts: bool) -> Incoming {
        Incoming {
            section: IncomingSection { require_event_timestamp: require_ts, ..Default::default() },
            clients: vec![IncomingClient { ip: "127.0.0.1".parse().unwrap(), secret: Secret::from("testing123") }],
        }
    }

    fn ts(t: SystemTime) -> (u8, Vec<u8>) {
        (attr::EVENT_TIMESTAMP, (t.duration_since(UNIX_EPOCH).unwrap().as_secs() as u32).to_be_bytes().to_vec())
    }

    /// Each check drops with its own reason; a good request passes.
    #[test]
    fn drops_by_reason() {
        let inc = incoming(false);
        let now = SystemTime::now();
        let local: IpAddr = "127.0.0.1".parse().unwrap();
        let good = dynauth::encode_request(code::DISCONNECT_REQUEST, 1, &[(1, b"u".to_vec()), ts(now)].into_iter().collect(), b"testing123", true).unwrap();
        assert!(admit(&good, local, &inc, now).is_ok());
        assert!(admit(&good, "::ffff:127.0.0.1".parse().unwrap(), &inc, now).is_ok());
        assert_eq!(admit(&good, "10.9.9.9".parse().unwrap(), &inc, now).unwrap_err(), Dropped::UnknownClient("10.9.9.9".parse().unwrap()));
        let wrong = dynauth::encode_request(code::DISCONNECT_REQUEST, 1, &[(1, b"u".to_vec())].into_iter().collect(), b"wrong", true).unwrap();
        assert_eq!(admit(&wrong, local, &inc, now).unwrap_err(), Dropped::BadAuthenticator);
        let unsigned = dynauth::encode_request(code::COA_REQUEST, 1, &[(1, b"u".to_vec())].into_iter().collect(), b"testing123", false).unwrap();
        assert_eq!(admit(&unsigned, local, &inc, now).unwrap_err(), Dropped::MissingMessageAuthenticator);
        let old = dynauth::encode_request(code::COA_REQUEST, 1, &[ts(now - Duration::from_secs(301))].into_iter().collect(), b"testing123", true).unwrap();
        assert!(matches!(admit(&old, local, &inc, now).unwrap_err(), Dropped::StaleTimestamp(s) if s <= -301));
        let no_ts = dynauth::encode_request(code::COA_REQUEST, 1, &[(1, b"u".to_vec())].into_iter().collect(), b"testing123", true).unwrap();
        assert_eq!(admit(&no_ts, local, &incoming(true), now).unwrap_err(), Dropped::MissingTimestamp);
        assert!(matches!(admit(&[40, 1, 0], local, &inc, now).unwrap_err(), Dropped::Malformed(_)));
    }
}

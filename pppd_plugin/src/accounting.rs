//! What pppd's exit status means for accounting: Acct-Terminate-Cause as
//! radius.so maps it. The records themselves are the core's one PPP
//! session model (`radius_core::ppp_session`).

use radius_core::packet::attr::terminate_cause;

/// Acct-Terminate-Cause for pppd's exit status (`EXIT_*` in pppd.h).
pub fn terminate_cause(exit_status: i32) -> u32 {
    match exit_status {
        0 | 5 => terminate_cause::USER_REQUEST,              // OK, USER_REQUEST
        8 | 15 | 16 => terminate_cause::LOST_CARRIER,        // CONNECT_FAILED, PEER_DEAD, HANGUP
        6 | 7 | 9 | 18 => terminate_cause::PORT_ERROR,       // LOCK/OPEN/PTYCMD/INIT failed
        10 | 11 | 19 | 21 => terminate_cause::SERVICE_UNAVAILABLE, // negotiation / auth failed
        12 => terminate_cause::IDLE_TIMEOUT,
        13 => terminate_cause::SESSION_TIMEOUT,              // CONNECT_TIME (maxconnect)
        14 => terminate_cause::CALLBACK,
        20 => terminate_cause::NAS_REQUEST,                  // TRAFFIC_LIMIT
        _ => terminate_cause::NAS_ERROR,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn causes() {
        assert_eq!(terminate_cause(5), terminate_cause::USER_REQUEST);
        assert_eq!(terminate_cause(12), terminate_cause::IDLE_TIMEOUT);
        assert_eq!(terminate_cause(13), terminate_cause::SESSION_TIMEOUT);
        assert_eq!(terminate_cause(16), terminate_cause::LOST_CARRIER);
        assert_eq!(terminate_cause(99), terminate_cause::NAS_ERROR);
    }
}

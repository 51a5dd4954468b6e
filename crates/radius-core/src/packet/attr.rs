//! Attribute numbers this crate sends or reads.

#![allow(missing_docs)]

pub const USER_NAME: u8 = 1;
pub const USER_PASSWORD: u8 = 2;
pub const CHAP_PASSWORD: u8 = 3;
pub const NAS_IP_ADDRESS: u8 = 4;
pub const NAS_PORT: u8 = 5;
pub const SERVICE_TYPE: u8 = 6;
pub const FRAMED_PROTOCOL: u8 = 7;
pub const FRAMED_IP_ADDRESS: u8 = 8;
pub const FRAMED_IP_NETMASK: u8 = 9;
pub const FILTER_ID: u8 = 11;
pub const FRAMED_MTU: u8 = 12;
pub const REPLY_MESSAGE: u8 = 18;
pub const FRAMED_ROUTE: u8 = 22;
pub const STATE: u8 = 24;
pub const CLASS: u8 = 25;
pub const VENDOR_SPECIFIC: u8 = 26;
pub const SESSION_TIMEOUT: u8 = 27;
pub const IDLE_TIMEOUT: u8 = 28;
/// pppd radius.so's traffic limit in bytes (its own number, no RFC).
pub const SESSION_OCTETS_LIMIT: u8 = 227;
/// Which octets count toward it: 0 both, 1 in, 2 out, 3 and 4 the larger.
pub const OCTETS_DIRECTION: u8 = 228;
pub const CALLED_STATION_ID: u8 = 30;
pub const CALLING_STATION_ID: u8 = 31;
pub const NAS_IDENTIFIER: u8 = 32;
pub const PROXY_STATE: u8 = 33;
pub const ACCT_STATUS_TYPE: u8 = 40;
pub const ACCT_DELAY_TIME: u8 = 41;
pub const ACCT_INPUT_OCTETS: u8 = 42;
pub const ACCT_OUTPUT_OCTETS: u8 = 43;
pub const ACCT_SESSION_ID: u8 = 44;
pub const ACCT_AUTHENTIC: u8 = 45;
pub const ACCT_SESSION_TIME: u8 = 46;
pub const ACCT_INPUT_PACKETS: u8 = 47;
pub const ACCT_OUTPUT_PACKETS: u8 = 48;
pub const ACCT_TERMINATE_CAUSE: u8 = 49;
pub const ACCT_INPUT_GIGAWORDS: u8 = 52;
pub const ACCT_OUTPUT_GIGAWORDS: u8 = 53;
pub const EVENT_TIMESTAMP: u8 = 55;
pub const CHAP_CHALLENGE: u8 = 60;
pub const NAS_PORT_TYPE: u8 = 61;
pub const ACCT_INTERIM_INTERVAL: u8 = 85;
pub const NAS_PORT_ID: u8 = 87;
pub const PROMPT: u8 = 76;
pub const MESSAGE_AUTHENTICATOR: u8 = 80;
pub const NAS_IPV6_ADDRESS: u8 = 95;
pub const FRAMED_INTERFACE_ID: u8 = 96;
pub const FRAMED_IPV6_PREFIX: u8 = 97;
pub const FRAMED_IPV6_ROUTE: u8 = 99;
pub const DELEGATED_IPV6_PREFIX: u8 = 123;
pub const FRAMED_IPV6_ADDRESS: u8 = 168;
pub const DNS_SERVER_IPV6_ADDRESS: u8 = 169;
pub const ERROR_CAUSE: u8 = 101;
pub const MANAGEMENT_PRIVILEGE_LEVEL: u8 = 136;

/// Microsoft's vendor id and its attributes (RFC 2548).
pub mod ms {
    pub const VENDOR: u32 = 311;
    pub const CHAP_RESPONSE: u8 = 1;
    pub const CHAP_ERROR: u8 = 2;
    pub const CHAP_DOMAIN: u8 = 10;
    pub const CHAP_CHALLENGE: u8 = 11;
    pub const CHAP_MPPE_KEYS: u8 = 12;
    pub const MPPE_SEND_KEY: u8 = 16;
    pub const MPPE_RECV_KEY: u8 = 17;
    pub const CHAP2_RESPONSE: u8 = 25;
    pub const CHAP2_SUCCESS: u8 = 26;
    pub const MPPE_ENCRYPTION_POLICY: u8 = 7;
    pub const MPPE_ENCRYPTION_TYPES: u8 = 8;
    pub const PRIMARY_DNS_SERVER: u8 = 28;
    pub const SECONDARY_DNS_SERVER: u8 = 29;
}

/// Service-Type values.
pub mod framed_protocol {
    pub const PPP: u32 = 1;
}

pub mod service_type {
    pub const LOGIN: u32 = 1;
    pub const FRAMED: u32 = 2;
    pub const AUTHENTICATE_ONLY: u32 = 8;
}

/// Acct-Status-Type values.
pub mod acct_status {
    pub const START: u32 = 1;
    pub const STOP: u32 = 2;
    pub const INTERIM_UPDATE: u32 = 3;
    pub const ACCOUNTING_ON: u32 = 7;
    pub const ACCOUNTING_OFF: u32 = 8;
}

/// NAS-Port-Type values.
pub mod nas_port_type {
    pub const ASYNC: u32 = 0;
    pub const SYNC: u32 = 1;
    pub const VIRTUAL: u32 = 5;
    pub const ETHERNET: u32 = 15;
}

/// Acct-Authentic values.
pub mod acct_authentic {
    pub const RADIUS: u32 = 1;
    pub const LOCAL: u32 = 2;
}

/// Acct-Terminate-Cause values.
pub mod terminate_cause {
    pub const USER_REQUEST: u32 = 1;
    pub const LOST_CARRIER: u32 = 2;
    pub const LOST_SERVICE: u32 = 3;
    pub const IDLE_TIMEOUT: u32 = 4;
    pub const SESSION_TIMEOUT: u32 = 5;
    pub const ADMIN_RESET: u32 = 6;
    pub const NAS_ERROR: u32 = 9;
    pub const PORT_ERROR: u32 = 8;
    pub const NAS_REQUEST: u32 = 10;
    pub const NAS_REBOOT: u32 = 11;
    pub const SERVICE_UNAVAILABLE: u32 = 15;
    pub const CALLBACK: u32 = 16;
}

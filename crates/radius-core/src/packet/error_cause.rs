//! Error-Cause values (RFC 5176 3.5) radius-rs-dmd answers with.

/// Why a request was refused, sent as Error-Cause in the NAK.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCause {
    /// 401: an attribute we cannot honour.
    UnsupportedAttribute = 401,
    /// 402: no session identification attribute.
    MissingAttribute = 402,
    /// 403: NAS-Identifier / NAS-IP-Address names another NAS.
    NasIdentificationMismatch = 403,
    /// 404: a malformed attribute value.
    InvalidRequest = 404,
    /// 405: Service-Type we do not support (Authorize-Only).
    UnsupportedService = 405,
    /// 407: an attribute value we cannot use.
    InvalidAttributeValue = 407,
    /// 503: no session matches.
    SessionContextNotFound = 503,
    /// 504: a matching session could not be ended.
    SessionContextNotRemovable = 504,
    /// 506: the change could not be applied (the session did not take it, the hook failed).
    ResourcesUnavailable = 506,
}

/// Every cause, in the order `radius-rs monitor` shows them.
pub const ALL: [ErrorCause; 9] = [
    ErrorCause::UnsupportedAttribute,
    ErrorCause::MissingAttribute,
    ErrorCause::NasIdentificationMismatch,
    ErrorCause::InvalidRequest,
    ErrorCause::UnsupportedService,
    ErrorCause::InvalidAttributeValue,
    ErrorCause::SessionContextNotFound,
    ErrorCause::SessionContextNotRemovable,
    ErrorCause::ResourcesUnavailable,
];

impl ErrorCause {
    /// The wire value.
    pub fn value(self) -> u32 {
        self as u32
    }

    /// The RFC's name, for logs and the monitor.
    pub fn name(self) -> &'static str {
        match self {
            ErrorCause::UnsupportedAttribute => "Unsupported-Attribute",
            ErrorCause::MissingAttribute => "Missing-Attribute",
            ErrorCause::NasIdentificationMismatch => "NAS-Identification-Mismatch",
            ErrorCause::InvalidRequest => "Invalid-Request",
            ErrorCause::UnsupportedService => "Unsupported-Service",
            ErrorCause::InvalidAttributeValue => "Invalid-Attribute-Value",
            ErrorCause::SessionContextNotFound => "Session-Context-Not-Found",
            ErrorCause::SessionContextNotRemovable => "Session-Context-Not-Removable",
            ErrorCause::ResourcesUnavailable => "Resources-Unavailable",
        }
    }
}

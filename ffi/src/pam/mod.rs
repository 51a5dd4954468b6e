//! libpam, both sides: [`handle`] and [`entry`] for a module (the
//! `pam_sm_*` exports), [`app`] for an application driving a transaction.
//!
//! Every return code is a [`PamResult`]: `Ok(())` is `PAM_SUCCESS`, and a
//! [`PamError`] is every other code libpam has (and any it may add, as
//! `Unknown`), converted both ways in one place. A failure cannot be
//! `PAM_SUCCESS`.

pub mod app;
pub mod entry;
pub mod handle;

pub use handle::PamHandler;
pub use pam_sys::PamHandle as RawHandle;
use std::num::NonZeroI32;

/// A code libpam does not define (yet): never 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnknownCode(NonZeroI32);

/// Every failure libpam defines (`_pam_types.h`), and the rest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum PamError {
    OpenErr,
    SymbolErr,
    ServiceErr,
    SystemErr,
    BufErr,
    PermDenied,
    AuthErr,
    CredInsufficient,
    AuthinfoUnavail,
    UserUnknown,
    MaxTries,
    NewAuthtokReqd,
    AcctExpired,
    SessionErr,
    CredUnavail,
    CredExpired,
    CredErr,
    NoModuleData,
    ConvErr,
    AuthtokErr,
    AuthtokRecoveryErr,
    AuthtokLockBusy,
    AuthtokDisableAging,
    TryAgain,
    Ignore,
    Abort,
    AuthtokExpired,
    ModuleUnknown,
    BadItem,
    ConvAgain,
    Incomplete,
    /// A code this build does not know.
    Unknown(UnknownCode),
}

/// `Ok(())` for `PAM_SUCCESS`, else the failure.
pub type PamResult<T> = Result<T, PamError>;

/// The known failures with their values and names, in value order.
const KNOWN: [(PamError, i32, &str); 31] = [
    (PamError::OpenErr, 1, "PAM_OPEN_ERR"),
    (PamError::SymbolErr, 2, "PAM_SYMBOL_ERR"),
    (PamError::ServiceErr, 3, "PAM_SERVICE_ERR"),
    (PamError::SystemErr, 4, "PAM_SYSTEM_ERR"),
    (PamError::BufErr, 5, "PAM_BUF_ERR"),
    (PamError::PermDenied, 6, "PAM_PERM_DENIED"),
    (PamError::AuthErr, 7, "PAM_AUTH_ERR"),
    (PamError::CredInsufficient, 8, "PAM_CRED_INSUFFICIENT"),
    (PamError::AuthinfoUnavail, 9, "PAM_AUTHINFO_UNAVAIL"),
    (PamError::UserUnknown, 10, "PAM_USER_UNKNOWN"),
    (PamError::MaxTries, 11, "PAM_MAXTRIES"),
    (PamError::NewAuthtokReqd, 12, "PAM_NEW_AUTHTOK_REQD"),
    (PamError::AcctExpired, 13, "PAM_ACCT_EXPIRED"),
    (PamError::SessionErr, 14, "PAM_SESSION_ERR"),
    (PamError::CredUnavail, 15, "PAM_CRED_UNAVAIL"),
    (PamError::CredExpired, 16, "PAM_CRED_EXPIRED"),
    (PamError::CredErr, 17, "PAM_CRED_ERR"),
    (PamError::NoModuleData, 18, "PAM_NO_MODULE_DATA"),
    (PamError::ConvErr, 19, "PAM_CONV_ERR"),
    (PamError::AuthtokErr, 20, "PAM_AUTHTOK_ERR"),
    (PamError::AuthtokRecoveryErr, 21, "PAM_AUTHTOK_RECOVERY_ERR"),
    (PamError::AuthtokLockBusy, 22, "PAM_AUTHTOK_LOCK_BUSY"),
    (PamError::AuthtokDisableAging, 23, "PAM_AUTHTOK_DISABLE_AGING"),
    (PamError::TryAgain, 24, "PAM_TRY_AGAIN"),
    (PamError::Ignore, 25, "PAM_IGNORE"),
    (PamError::Abort, 26, "PAM_ABORT"),
    (PamError::AuthtokExpired, 27, "PAM_AUTHTOK_EXPIRED"),
    (PamError::ModuleUnknown, 28, "PAM_MODULE_UNKNOWN"),
    (PamError::BadItem, 29, "PAM_BAD_ITEM"),
    (PamError::ConvAgain, 30, "PAM_CONV_AGAIN"),
    (PamError::Incomplete, 31, "PAM_INCOMPLETE"),
];

impl PamError {
    /// The failure a non-zero code stands for.
    pub fn from_raw(code: NonZeroI32) -> PamError {
        KNOWN.iter().find(|(_, v, _)| *v == code.get()).map(|(e, _, _)| *e).unwrap_or(PamError::Unknown(UnknownCode(code)))
    }

    /// Its value.
    pub fn raw(self) -> i32 {
        match self {
            PamError::Unknown(UnknownCode(v)) => v.get(),
            known => KNOWN.iter().find(|(e, _, _)| *e == known).map(|(_, v, _)| *v).unwrap_or(i32::MAX),
        }
    }

    /// The name libpam's headers give it.
    pub fn name(self) -> &'static str {
        KNOWN.iter().find(|(e, _, _)| *e == self).map(|(_, _, n)| *n).unwrap_or("PAM_(unknown)")
    }
}

impl std::fmt::Display for PamError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A return code as a result.
pub fn result_from_raw(code: libc::c_int) -> PamResult<()> {
    NonZeroI32::new(code).map_or(Ok(()), |c| Err(PamError::from_raw(c)))
}

/// A result as a return code.
pub fn result_to_raw(result: PamResult<()>) -> libc::c_int {
    result.err().map_or(0, PamError::raw)
}

/// The name of a result, for logs: `PAM_SUCCESS` or the failure's.
pub fn result_name(result: PamResult<()>) -> &'static str {
    result.err().map_or("PAM_SUCCESS", PamError::name)
}

/// Items readable with pam_get_item / settable with pam_set_item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum Item {
    Service = 1,
    User = 2,
    Tty = 3,
    RemoteHost = 4,
    AuthTok = 6,
    RemoteUser = 8,
}

/// How a conversation message is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// Ask, do not echo the answer (passwords).
    PromptEchoOff = 1,
    /// Ask, echo the answer.
    PromptEchoOn = 2,
    /// Show an error.
    ErrorMsg = 3,
    /// Show information.
    TextInfo = 4,
}

impl Style {
    fn from_raw(v: libc::c_int) -> Option<Style> {
        Some(match v {
            1 => Style::PromptEchoOff,
            2 => Style::PromptEchoOn,
            3 => Style::ErrorMsg,
            4 => Style::TextInfo,
            _ => return None,
        })
    }

    /// True for the two prompt styles, which want an answer.
    pub fn is_prompt(self) -> bool {
        matches!(self, Style::PromptEchoOff | Style::PromptEchoOn)
    }
}

/// `PAM_SILENT`: show the user nothing.
pub const SILENT: libc::c_int = 0x8000;

#[cfg(test)]
mod tests {
    use super::*;

    /// Every code the installed header defines maps to the same value and
    /// name, both ways; unknown codes round-trip too, and 0 is success only.
    #[test]
    fn every_code_round_trips_against_the_header() {
        let header = std::fs::read_to_string("/usr/include/security/_pam_types.h").expect("libpam0g-dev's header");
        let mut seen = 0;
        for line in header.lines() {
            let mut words = line.split_whitespace();
            let (Some("#define"), Some(name), Some(value)) = (words.next(), words.next(), words.next()) else { continue };
            let Ok(value) = value.parse::<i32>() else { continue };
            if !name.starts_with("PAM_") || !KNOWN.iter().any(|(_, _, n)| *n == name) && name != "PAM_SUCCESS" {
                continue;
            }
            let result = result_from_raw(value);
            assert_eq!(result_name(result), name);
            assert_eq!(result_to_raw(result), value);
            seen += 1;
        }
        assert_eq!(seen, 32, "PAM_SUCCESS and the 31 failures");
        let odd = result_from_raw(4711);
        assert!(matches!(odd, Err(PamError::Unknown(_))));
        assert_eq!(result_to_raw(odd), 4711);
        assert_eq!(result_from_raw(0), Ok(()));
        for (e, v, _) in KNOWN {
            assert_eq!(e.raw(), v);
            assert_ne!(e.raw(), 0);
        }
    }
}

//! libpam, both sides: [`handle`] and [`entry`] for a module (the
//! `pam_sm_*` exports), [`app`] for an application driving a transaction.

pub mod app;
pub mod entry;
pub mod handle;

pub use pam_sys::PamHandle as RawHandle;

/// A PAM return code (`PAM_SUCCESS`, `PAM_AUTH_ERR`, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Code(pub libc::c_int);

#[allow(missing_docs)]
impl Code {
    pub const SUCCESS: Code = Code(0);
    pub const SERVICE_ERR: Code = Code(3);
    pub const SYSTEM_ERR: Code = Code(4);
    pub const BUF_ERR: Code = Code(5);
    pub const PERM_DENIED: Code = Code(6);
    pub const AUTH_ERR: Code = Code(7);
    pub const AUTHINFO_UNAVAIL: Code = Code(9);
    pub const USER_UNKNOWN: Code = Code(10);
    pub const SESSION_ERR: Code = Code(14);
    pub const NO_MODULE_DATA: Code = Code(18);
    pub const CONV_ERR: Code = Code(19);
    pub const IGNORE: Code = Code(25);
    pub const ABORT: Code = Code(26);

    /// The name libpam's headers give it.
    pub fn name(self) -> &'static str {
        match self.0 {
            0 => "PAM_SUCCESS",
            3 => "PAM_SERVICE_ERR",
            4 => "PAM_SYSTEM_ERR",
            5 => "PAM_BUF_ERR",
            6 => "PAM_PERM_DENIED",
            7 => "PAM_AUTH_ERR",
            9 => "PAM_AUTHINFO_UNAVAIL",
            10 => "PAM_USER_UNKNOWN",
            14 => "PAM_SESSION_ERR",
            18 => "PAM_NO_MODULE_DATA",
            19 => "PAM_CONV_ERR",
            25 => "PAM_IGNORE",
            26 => "PAM_ABORT",
            _ => "PAM_(other)",
        }
    }
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

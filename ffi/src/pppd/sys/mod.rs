//! pppd's plugin interface as declared in its headers (`/usr/include/pppd`,
//! or `PPPD_INCLUDE_DIR`): the hooks, variables and functions the plugin
//! uses, and the structs it reads, laid out as the headers lay them out
//! (the test `layouts_match_the_installed_headers` compiles the headers and
//! checks). What both 2.4 and 2.5 declare alike is here; what differs — the
//! option structs, the statistics, and 2.5's accessor functions in place of
//! 2.4's globals — is in [`v2_4`] or [`v2_5`] (chosen by `build.rs`), behind
//! the same names. Only declarations live here; [`super::host`] wraps them
//! safely.
#![allow(non_camel_case_types, non_upper_case_globals, missing_docs, missing_debug_implementations)]

use libc::{c_char, c_int, c_uchar, c_uint, c_void};

/// pppd's `bool`.
pub type pbool = c_uchar;

pub type notify_func = unsafe extern "C" fn(*mut c_void, c_int);

#[cfg(not(pppd_2_5))]
mod v2_4;
#[cfg(not(pppd_2_5))]
pub use v2_4::*;
#[cfg(pppd_2_5)]
mod v2_5;
#[cfg(pppd_2_5)]
pub use v2_5::*;

/// The pppd events the plugin follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notify {
    IpUp,
    IpDown,
    Ipv6Up,
    Ipv6Down,
    Exit,
    PhaseChange,
}

/// The link's counters as pppd keeps them (64-bit in 2.5, 32-bit in 2.4).
#[derive(Debug, Clone, Copy, Default)]
pub struct LinkStats {
    pub bytes_in: u64,
    pub bytes_out: u64,
    pub pkts_in: u64,
    pub pkts_out: u64,
}

#[repr(C)]
pub struct wordlist {
    pub next: *mut wordlist,
    pub word: *mut c_char,
}

/// `enum opt_type`.
pub type opt_type = c_int;
pub const o_special: opt_type = 1;
pub const o_bool: opt_type = 2;
pub const o_string: opt_type = 5;

pub const OPT_PRIV: c_uint = 0x1000;
pub const OPT_PRIO: c_uint = 0x80000;
pub const OPT_PRIOSUB: c_uint = 0x100000;

#[repr(C)]
pub struct option_t {
    pub name: *const c_char,
    pub type_: opt_type,
    pub addr: *mut c_void,
    pub description: *const c_char,
    pub flags: c_uint,
    pub addr2: *mut c_void,
    pub upper_limit: c_int,
    pub lower_limit: c_int,
    pub source: *const c_char,
    pub priority: i16,
    pub winner: i16,
}

/// `eui64_t`: a union of bytes and 32-bit words, so 4-byte aligned.
#[repr(C, align(4))]
#[derive(Debug, Clone, Copy)]
pub struct eui64_t(pub [u8; 8]);

/// `struct chap_digest_type`: only its first field, the code, is read.
#[repr(C)]
pub struct chap_digest_type {
    pub code: c_int,
}

pub const CHAP_MD5: c_int = 5;
pub const CHAP_MICROSOFT: c_int = 0x80;
pub const CHAP_MICROSOFT_V2: c_int = 0x81;
pub const MPPE_MAX_KEY_LEN: usize = 16;

pub type pap_check_fn = unsafe extern "C" fn() -> c_int;
pub type pap_auth_fn =
    unsafe extern "C" fn(*mut c_char, *mut c_char, *mut *mut c_char, *mut *mut wordlist, *mut *mut wordlist) -> c_int;
pub type chap_verify_fn = unsafe extern "C" fn(
    *mut c_char,
    *mut c_char,
    c_int,
    *mut chap_digest_type,
    *mut c_uchar,
    *mut c_uchar,
    *mut c_char,
    c_int,
) -> c_int;
pub type ip_choose_fn = unsafe extern "C" fn(*mut u32);
pub type allowed_address_fn = unsafe extern "C" fn(u32) -> c_int;
/// `struct ppp_idle` (linux/ppp_defs.h): seconds since the last packet each way.
#[repr(C)]
#[derive(Debug, Default, Clone, Copy)]
pub struct ppp_idle {
    pub xmit_idle: libc::time_t,
    pub recv_idle: libc::time_t,
}

pub type timeout_fn = unsafe extern "C" fn(*mut c_void);
pub type special_option_fn = unsafe extern "C" fn(*mut *mut c_char) -> c_int;

extern "C" {
    pub static mut pap_check_hook: Option<pap_check_fn>;
    pub static mut pap_auth_hook: Option<pap_auth_fn>;
    pub static mut chap_check_hook: Option<pap_check_fn>;
    pub static mut chap_verify_hook: Option<chap_verify_fn>;
    pub static mut ip_choose_hook: Option<ip_choose_fn>;
    pub static mut allowed_address_hook: Option<allowed_address_fn>;

    pub static ptycommand: *mut c_char;
    pub static our_name: [c_char; 0];
    pub static mut netmask: u32;

    pub static mut ipcp_wantoptions: [ipcp_options; 0];
    pub static mut ipcp_allowoptions: [ipcp_options; 0];
    pub static ipcp_hisoptions: [ipcp_options; 0];
    pub static mut ipv6cp_wantoptions: [ipv6cp_options; 0];

    pub fn lcp_close(unit: c_int, reason: *mut c_char);
    pub fn get_idle_time(unit: c_int, idle: *mut ppp_idle) -> c_int;
    pub fn info(fmt: *const c_char, ...);
    pub fn warn(fmt: *const c_char, ...);
    pub fn error(fmt: *const c_char, ...);
    pub fn dbglog(fmt: *const c_char, ...);
}

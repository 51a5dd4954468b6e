//! pppd 2.4.9's plugin interface as declared in `/usr/include/pppd/*.h`:
//! the hooks, notifiers, variables and functions the plugin uses, and the
//! structs it reads, laid out as the headers lay them out (the test
//! `layouts_match_the_installed_headers` compiles the headers and checks).
//! Only declarations live here; [`super::host`] wraps them safely.
#![allow(non_camel_case_types, non_upper_case_globals, missing_docs, missing_debug_implementations)]

use libc::{c_char, c_int, c_uchar, c_uint, c_void};

/// pppd's `bool`.
pub type pbool = c_uchar;

pub type notify_func = unsafe extern "C" fn(*mut c_void, c_int);

#[repr(C)]
pub struct notifier {
    _private: [u8; 0],
}

#[repr(C)]
pub struct wordlist {
    pub next: *mut wordlist,
    pub word: *mut c_char,
}

/// `enum opt_type`.
pub type opt_type = c_int;
pub const o_special_noarg: opt_type = 0;
pub const o_special: opt_type = 1;
pub const o_bool: opt_type = 2;
pub const o_int: opt_type = 3;
pub const o_uint32: opt_type = 4;
pub const o_string: opt_type = 5;

pub const OPT_PRIV: c_uint = 0x1000;
pub const OPT_STATIC: c_uint = 0x2000;
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

#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct pppd_stats {
    pub bytes_in: c_uint,
    pub bytes_out: c_uint,
    pub pkts_in: c_uint,
    pub pkts_out: c_uint,
}

#[repr(C)]
pub struct ipcp_options {
    pub neg_addr: pbool,
    pub old_addrs: pbool,
    pub req_addr: pbool,
    pub default_route: pbool,
    pub replace_default_route: pbool,
    pub proxy_arp: pbool,
    pub neg_vj: pbool,
    pub old_vj: pbool,
    pub accept_local: pbool,
    pub accept_remote: pbool,
    pub req_dns1: pbool,
    pub req_dns2: pbool,
    pub vj_protocol: c_int,
    pub maxslotindex: c_int,
    pub cflag: pbool,
    pub ouraddr: u32,
    pub hisaddr: u32,
    pub dnsaddr: [u32; 2],
    pub winsaddr: [u32; 2],
}

/// `eui64_t`: a union of bytes and 32-bit words, so 4-byte aligned.
#[repr(C, align(4))]
#[derive(Debug, Clone, Copy)]
pub struct eui64_t(pub [u8; 8]);

#[repr(C)]
pub struct ipv6cp_options {
    pub neg_ifaceid: c_int,
    pub req_ifaceid: c_int,
    pub default_route: c_int,
    pub accept_local: c_int,
    pub accept_remote: c_int,
    pub opt_local: c_int,
    pub opt_remote: c_int,
    pub use_ip: c_int,
    pub use_persistent: c_int,
    pub neg_vj: c_int,
    pub vj_protocol: u16,
    pub ourid: eui64_t,
    pub hisid: eui64_t,
}

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

    pub static mut ip_up_notifier: *mut notifier;
    pub static mut ip_down_notifier: *mut notifier;
    pub static mut ipv6_up_notifier: *mut notifier;
    pub static mut exitnotify: *mut notifier;
    pub static mut phasechange: *mut notifier;

    pub static ifname: [c_char; 0];
    pub static ifunit: c_int;
    pub static devnam: [c_char; 0];
    pub static remote_number: [c_char; 0];
    pub static ipparam: *mut c_char;
    pub static ptycommand: *mut c_char;
    pub static our_name: [c_char; 0];
    pub static hostname: [c_char; 0];
    pub static using_pty: c_int;
    pub static sync_serial: pbool;
    pub static mut status: c_int;
    pub static mut netmask: u32;
    pub static link_stats: pppd_stats;
    pub static link_stats_valid: c_int;
    pub static link_connect_time: c_uint;
    pub static ppp_session_number: c_int;

    pub static mut ipcp_wantoptions: [ipcp_options; 0];
    pub static mut ipcp_allowoptions: [ipcp_options; 0];
    pub static ipcp_hisoptions: [ipcp_options; 0];
    pub static mut ipv6cp_wantoptions: [ipv6cp_options; 0];

    pub static mut mppe_send_key: [c_uchar; MPPE_MAX_KEY_LEN];
    pub static mut mppe_recv_key: [c_uchar; MPPE_MAX_KEY_LEN];
    pub static mut mppe_keys_set: c_int;

    pub fn lcp_close(unit: c_int, reason: *mut c_char);
    pub fn get_idle_time(unit: c_int, idle: *mut ppp_idle) -> c_int;
    pub fn add_notifier(list: *mut *mut notifier, func: notify_func, arg: *mut c_void);
    pub fn add_options(opts: *mut option_t);
    pub fn script_setenv(var: *mut c_char, value: *mut c_char, iskey: c_int);
    pub fn update_link_stats(unit: c_int);
    pub fn timeout(func: timeout_fn, arg: *mut c_void, secs: c_int, usecs: c_int);
    pub fn untimeout(func: timeout_fn, arg: *mut c_void);
    pub fn set_mppe_enc_types(policy: c_int, types: c_int);
    pub fn netif_set_mtu(unit: c_int, mtu: c_int);
    pub fn netif_get_mtu(unit: c_int) -> c_int;
    pub fn info(fmt: *const c_char, ...);
    pub fn notice(fmt: *const c_char, ...);
    pub fn warn(fmt: *const c_char, ...);
    pub fn error(fmt: *const c_char, ...);
    pub fn dbglog(fmt: *const c_char, ...);
}

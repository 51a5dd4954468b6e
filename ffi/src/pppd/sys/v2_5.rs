//! pppd 2.5's side of the interface: its option structs (two more WINS
//! flags in IPCP's, `use_remotenumber` in IPV6CP's) and 64-bit statistics,
//! and the accessor functions 2.5 offers in place of 2.4's globals
//! (`ppp_ifname()`, `ppp_add_notify()`, `ppp_get_link_stats()`, …) behind
//! the names both versions share.

use super::{notify_func, option_t, pbool, timeout_fn, LinkStats, Notify, MPPE_MAX_KEY_LEN};
use libc::{c_char, c_int, c_uchar, c_uint, c_void};

/// `ppp_link_stats_st`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct pppd_stats {
    pub bytes_in: u64,
    pub bytes_out: u64,
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
    pub req_wins1: pbool,
    pub req_wins2: pbool,
    pub vj_protocol: c_int,
    pub maxslotindex: c_int,
    pub cflag: pbool,
    pub ouraddr: u32,
    pub hisaddr: u32,
    pub dnsaddr: [u32; 2],
    pub winsaddr: [u32; 2],
}

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
    pub use_remotenumber: c_int,
    pub neg_vj: c_int,
    pub vj_protocol: u16,
    pub ourid: super::eui64_t,
    pub hisid: super::eui64_t,
}

/// `ppp_notify_t`.
const NF_PHASE_CHANGE: c_int = 1;
const NF_EXIT: c_int = 2;
const NF_IP_UP: c_int = 4;
const NF_IP_DOWN: c_int = 5;
const NF_IPV6_UP: c_int = 6;
const NF_IPV6_DOWN: c_int = 7;

mod raw {
    use super::*;
    extern "C" {
        pub fn ppp_add_notify(which: c_int, func: notify_func, ctx: *mut c_void);
        pub fn ppp_add_options(opts: *mut option_t);
        pub fn ppp_script_setenv(var: *mut c_char, value: *mut c_char, iskey: c_int);
        pub fn ppp_timeout(func: timeout_fn, arg: *mut c_void, secs: c_int, usecs: c_int);
        pub fn ppp_untimeout(func: timeout_fn, arg: *mut c_void);
        pub fn ppp_get_mtu(unit: c_int) -> c_int;
        pub fn ppp_set_mtu(unit: c_int, mtu: c_int);
        pub fn ppp_status() -> c_int;
        pub fn ppp_set_status(code: c_int);
        pub fn ppp_get_link_stats(stats: *mut pppd_stats) -> bool;
        pub fn mppe_set_keys(send: *mut c_uchar, recv: *mut c_uchar, len: c_int);
        pub fn mppe_set_enc_types(policy: c_int, types: c_int);
        pub fn ppp_set_session_limit(octets: c_uint);
        pub fn ppp_set_session_limit_dir(direction: c_uint);
        pub fn ppp_ifname() -> *const c_char;
        pub fn ppp_ifunit() -> c_int;
        pub fn ppp_devnam() -> *const c_char;
        pub fn ppp_get_remote_number() -> *const c_char;
        pub fn ppp_ipparam() -> *const c_char;
        pub fn ppp_using_pty() -> bool;
        pub fn ppp_sync_serial() -> bool;
        pub fn ppp_get_session_number() -> c_int;
    }
}

/// # Safety
/// Only inside pppd, on its thread.
pub unsafe fn add_notify(which: Notify, func: notify_func) {
    let which = match which {
        Notify::IpUp => NF_IP_UP,
        Notify::IpDown => NF_IP_DOWN,
        Notify::Ipv6Up => NF_IPV6_UP,
        Notify::Ipv6Down => NF_IPV6_DOWN,
        Notify::Exit => NF_EXIT,
        Notify::PhaseChange => NF_PHASE_CHANGE,
    };
    // SAFETY: pppd's own symbol, used on its thread as the caller's contract requires.
    unsafe { raw::ppp_add_notify(which, func, std::ptr::null_mut()) }
}

/// # Safety
/// Only inside pppd, on its thread.
pub unsafe fn add_options(opts: *mut option_t) {
    // SAFETY: pppd's own symbol, used on its thread as the caller's contract requires.
    unsafe { raw::ppp_add_options(opts) }
}

/// # Safety
/// Only inside pppd, on its thread.
pub unsafe fn script_setenv(var: *mut c_char, value: *mut c_char) {
    // SAFETY: pppd's own symbol, used on its thread as the caller's contract requires.
    unsafe { raw::ppp_script_setenv(var, value, 0) }
}

/// # Safety
/// Only inside pppd, on its thread.
pub unsafe fn timeout(func: timeout_fn, arg: *mut c_void, secs: c_int) {
    // SAFETY: pppd's own symbol, used on its thread as the caller's contract requires.
    unsafe { raw::ppp_timeout(func, arg, secs, 0) }
}

/// # Safety
/// Only inside pppd, on its thread.
pub unsafe fn untimeout(func: timeout_fn, arg: *mut c_void) {
    // SAFETY: pppd's own symbol, used on its thread as the caller's contract requires.
    unsafe { raw::ppp_untimeout(func, arg) }
}

/// # Safety
/// Only inside pppd, on its thread.
pub unsafe fn get_mtu(unit: c_int) -> c_int {
    // SAFETY: pppd's own symbol, used on its thread as the caller's contract requires.
    unsafe { raw::ppp_get_mtu(unit) }
}

/// # Safety
/// Only inside pppd, on its thread.
pub unsafe fn set_mtu(unit: c_int, mtu: c_int) {
    // SAFETY: pppd's own symbol, used on its thread as the caller's contract requires.
    unsafe { raw::ppp_set_mtu(unit, mtu) }
}

/// # Safety
/// Only inside pppd, on its thread.
pub unsafe fn exit_status() -> c_int {
    // SAFETY: pppd's own symbol, used on its thread as the caller's contract requires.
    unsafe { raw::ppp_status() }
}

/// # Safety
/// Only inside pppd, on its thread.
pub unsafe fn set_exit_status(code: c_int) {
    // SAFETY: pppd's own symbol, used on its thread as the caller's contract requires.
    unsafe { raw::ppp_set_status(code) }
}

/// # Safety
/// Only inside pppd, on its thread.
pub unsafe fn link_stats() -> Option<LinkStats> {
    let mut s = pppd_stats::default();
    // SAFETY: pppd's own symbol, used on its thread as the caller's contract requires.
    unsafe { raw::ppp_get_link_stats(&mut s) }
        .then_some(LinkStats { bytes_in: s.bytes_in, bytes_out: s.bytes_out, pkts_in: s.pkts_in.into(), pkts_out: s.pkts_out.into() })
}

/// # Safety
/// Only inside pppd, on its thread.
pub unsafe fn set_mppe_keys(send: &[u8; MPPE_MAX_KEY_LEN], recv: &[u8; MPPE_MAX_KEY_LEN]) {
    // mppe_set_keys copies both keys.
    let (mut send, mut recv) = (*send, *recv);
    // SAFETY: pppd's own symbol, used on its thread as the caller's contract requires.
    unsafe { raw::mppe_set_keys(send.as_mut_ptr(), recv.as_mut_ptr(), MPPE_MAX_KEY_LEN as c_int) };
    send.fill(0);
    recv.fill(0);
}

/// # Safety
/// Only inside pppd, on its thread.
pub unsafe fn set_session_limit(octets: u32, direction: u32) {
    // SAFETY: pppd's own symbol, used on its thread as the caller's contract requires.
    unsafe {
        raw::ppp_set_session_limit(octets);
        raw::ppp_set_session_limit_dir(direction);
    }
}

/// # Safety
/// Only inside pppd, on its thread.
pub unsafe fn set_mppe_enc_types(policy: c_int, types: c_int) {
    // SAFETY: pppd's own symbol, used on its thread as the caller's contract requires.
    unsafe { raw::mppe_set_enc_types(policy, types) }
}

/// # Safety
/// Only inside pppd, on its thread.
pub unsafe fn ifname() -> *const c_char {
    // SAFETY: pppd's own symbol, used on its thread as the caller's contract requires.
    unsafe { raw::ppp_ifname() }
}

/// # Safety
/// Only inside pppd, on its thread.
pub unsafe fn ifunit() -> c_int {
    // SAFETY: pppd's own symbol, used on its thread as the caller's contract requires.
    unsafe { raw::ppp_ifunit() }
}

/// # Safety
/// Only inside pppd, on its thread.
pub unsafe fn devnam() -> *const c_char {
    // SAFETY: pppd's own symbol, used on its thread as the caller's contract requires.
    unsafe { raw::ppp_devnam() }
}

/// # Safety
/// Only inside pppd, on its thread.
pub unsafe fn remote_number() -> *const c_char {
    // SAFETY: pppd's own symbol, used on its thread as the caller's contract requires.
    unsafe { raw::ppp_get_remote_number() }
}

/// # Safety
/// Only inside pppd, on its thread.
pub unsafe fn ipparam() -> *const c_char {
    // SAFETY: pppd's own symbol, used on its thread as the caller's contract requires.
    unsafe { raw::ppp_ipparam() }
}

/// # Safety
/// Only inside pppd, on its thread.
pub unsafe fn using_pty() -> bool {
    // SAFETY: pppd's own symbol, used on its thread as the caller's contract requires.
    unsafe { raw::ppp_using_pty() }
}

/// # Safety
/// Only inside pppd, on its thread.
pub unsafe fn sync_serial() -> bool {
    // SAFETY: pppd's own symbol, used on its thread as the caller's contract requires.
    unsafe { raw::ppp_sync_serial() }
}

/// # Safety
/// Only inside pppd, on its thread.
pub unsafe fn session_number() -> c_int {
    // SAFETY: pppd's own symbol, used on its thread as the caller's contract requires.
    unsafe { raw::ppp_get_session_number() }
}

//! pppd 2.4's side of the interface: its option structs and statistics,
//! and its globals and functions behind the names both versions share.

use super::{notify_func, option_t, pbool, timeout_fn, LinkStats, Notify, MPPE_MAX_KEY_LEN};
use libc::{c_char, c_int, c_uchar, c_uint, c_void};

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
    pub ourid: super::eui64_t,
    pub hisid: super::eui64_t,
}

/// `struct notifier`: only pointed at.
#[repr(C)]
pub struct notifier {
    _private: [u8; 0],
}

mod raw {
    use super::*;
    extern "C" {
        pub static mut ip_up_notifier: *mut notifier;
        pub static mut ip_down_notifier: *mut notifier;
        pub static mut ipv6_up_notifier: *mut notifier;
        pub static mut ipv6_down_notifier: *mut notifier;
        pub static mut exitnotify: *mut notifier;
        pub static mut phasechange: *mut notifier;

        pub static ifname: [c_char; 0];
        pub static ifunit: c_int;
        pub static devnam: [c_char; 0];
        pub static remote_number: [c_char; 0];
        pub static ipparam: *mut c_char;
        pub static using_pty: c_int;
        pub static sync_serial: pbool;
        pub static mut status: c_int;
        pub static link_stats: pppd_stats;
        pub static link_stats_valid: c_int;
        pub static ppp_session_number: c_int;

        pub static mut mppe_send_key: [c_uchar; MPPE_MAX_KEY_LEN];
        pub static mut mppe_recv_key: [c_uchar; MPPE_MAX_KEY_LEN];
        pub static mut mppe_keys_set: c_int;
        pub static mut maxoctets: c_uint;
        pub static mut maxoctets_dir: c_int;

        pub fn add_notifier(list: *mut *mut notifier, func: notify_func, arg: *mut c_void);
        pub fn add_options(opts: *mut option_t);
        pub fn script_setenv(var: *mut c_char, value: *mut c_char, iskey: c_int);
        pub fn update_link_stats(unit: c_int);
        pub fn timeout(func: timeout_fn, arg: *mut c_void, secs: c_int, usecs: c_int);
        pub fn untimeout(func: timeout_fn, arg: *mut c_void);
        pub fn set_mppe_enc_types(policy: c_int, types: c_int);
        pub fn netif_set_mtu(unit: c_int, mtu: c_int);
        pub fn netif_get_mtu(unit: c_int) -> c_int;
    }
}

/// # Safety
/// Only inside pppd, on its thread.
pub unsafe fn add_notify(which: Notify, func: notify_func) {
    let list = match which {
        Notify::IpUp => &raw mut raw::ip_up_notifier,
        Notify::IpDown => &raw mut raw::ip_down_notifier,
        Notify::Ipv6Up => &raw mut raw::ipv6_up_notifier,
        Notify::Ipv6Down => &raw mut raw::ipv6_down_notifier,
        Notify::Exit => &raw mut raw::exitnotify,
        Notify::PhaseChange => &raw mut raw::phasechange,
    };
    // SAFETY: pppd's own symbol, used on its thread as the caller's contract requires.
    unsafe { raw::add_notifier(list, func, std::ptr::null_mut()) }
}

/// # Safety
/// Only inside pppd, on its thread.
pub unsafe fn add_options(opts: *mut option_t) {
    // SAFETY: pppd's own symbol, used on its thread as the caller's contract requires.
    unsafe { raw::add_options(opts) }
}

/// # Safety
/// Only inside pppd, on its thread.
pub unsafe fn script_setenv(var: *mut c_char, value: *mut c_char) {
    // SAFETY: pppd's own symbol, used on its thread as the caller's contract requires.
    unsafe { raw::script_setenv(var, value, 0) }
}

/// # Safety
/// Only inside pppd, on its thread.
pub unsafe fn timeout(func: timeout_fn, arg: *mut c_void, secs: c_int) {
    // SAFETY: pppd's own symbol, used on its thread as the caller's contract requires.
    unsafe { raw::timeout(func, arg, secs, 0) }
}

/// # Safety
/// Only inside pppd, on its thread.
pub unsafe fn untimeout(func: timeout_fn, arg: *mut c_void) {
    // SAFETY: pppd's own symbol, used on its thread as the caller's contract requires.
    unsafe { raw::untimeout(func, arg) }
}

/// # Safety
/// Only inside pppd, on its thread.
pub unsafe fn get_mtu(unit: c_int) -> c_int {
    // SAFETY: pppd's own symbol, used on its thread as the caller's contract requires.
    unsafe { raw::netif_get_mtu(unit) }
}

/// # Safety
/// Only inside pppd, on its thread.
pub unsafe fn set_mtu(unit: c_int, mtu: c_int) {
    // SAFETY: pppd's own symbol, used on its thread as the caller's contract requires.
    unsafe { raw::netif_set_mtu(unit, mtu) }
}

/// # Safety
/// Only inside pppd, on its thread.
pub unsafe fn exit_status() -> c_int {
    // SAFETY: pppd's own symbol, used on its thread as the caller's contract requires.
    unsafe { std::ptr::read_volatile(&raw const raw::status) }
}

/// # Safety
/// Only inside pppd, on its thread.
pub unsafe fn set_exit_status(code: c_int) {
    // SAFETY: pppd's own symbol, used on its thread as the caller's contract requires.
    unsafe { std::ptr::write_volatile(&raw mut raw::status, code) }
}

/// # Safety
/// Only inside pppd, on its thread.
pub unsafe fn link_stats() -> Option<LinkStats> {
    // SAFETY: pppd's own symbol, used on its thread as the caller's contract requires.
    unsafe {
        raw::update_link_stats(raw::ifunit);
        if raw::link_stats_valid == 0 {
            return None;
        }
        let s = raw::link_stats;
        Some(LinkStats { bytes_in: s.bytes_in.into(), bytes_out: s.bytes_out.into(), pkts_in: s.pkts_in.into(), pkts_out: s.pkts_out.into() })
    }
}

/// # Safety
/// Only inside pppd, on its thread.
pub unsafe fn set_mppe_keys(send: &[u8; MPPE_MAX_KEY_LEN], recv: &[u8; MPPE_MAX_KEY_LEN]) {
    // SAFETY: pppd's own symbol, used on its thread as the caller's contract requires.
    unsafe {
        std::ptr::copy_nonoverlapping(send.as_ptr(), (&raw mut raw::mppe_send_key).cast::<u8>(), MPPE_MAX_KEY_LEN);
        std::ptr::copy_nonoverlapping(recv.as_ptr(), (&raw mut raw::mppe_recv_key).cast::<u8>(), MPPE_MAX_KEY_LEN);
        raw::mppe_keys_set = 1;
    }
}

/// # Safety
/// Only inside pppd, on its thread.
pub unsafe fn set_session_limit(octets: u32, direction: u32) {
    // SAFETY: pppd's own symbol, used on its thread as the caller's contract requires.
    unsafe {
        raw::maxoctets = octets;
        raw::maxoctets_dir = c_int::try_from(direction).unwrap_or(0);
    }
}

/// # Safety
/// Only inside pppd, on its thread.
pub unsafe fn set_mppe_enc_types(policy: c_int, types: c_int) {
    // SAFETY: pppd's own symbol, used on its thread as the caller's contract requires.
    unsafe { raw::set_mppe_enc_types(policy, types) }
}

/// # Safety
/// Only inside pppd, on its thread.
pub unsafe fn ifname() -> *const c_char {
    (&raw const raw::ifname).cast()
}

/// # Safety
/// Only inside pppd, on its thread.
pub unsafe fn ifunit() -> c_int {
    // SAFETY: pppd's own symbol, used on its thread as the caller's contract requires.
    unsafe { raw::ifunit }
}

/// # Safety
/// Only inside pppd, on its thread.
pub unsafe fn devnam() -> *const c_char {
    (&raw const raw::devnam).cast()
}

/// # Safety
/// Only inside pppd, on its thread.
pub unsafe fn remote_number() -> *const c_char {
    (&raw const raw::remote_number).cast()
}

/// # Safety
/// Only inside pppd, on its thread.
pub unsafe fn ipparam() -> *const c_char {
    // SAFETY: pppd's own symbol, used on its thread as the caller's contract requires.
    unsafe { raw::ipparam }
}

/// # Safety
/// Only inside pppd, on its thread.
pub unsafe fn using_pty() -> bool {
    // SAFETY: pppd's own symbol, used on its thread as the caller's contract requires.
    unsafe { raw::using_pty != 0 }
}

/// # Safety
/// Only inside pppd, on its thread.
pub unsafe fn sync_serial() -> bool {
    // SAFETY: pppd's own symbol, used on its thread as the caller's contract requires.
    unsafe { raw::sync_serial != 0 }
}

/// # Safety
/// Only inside pppd, on its thread.
pub unsafe fn session_number() -> c_int {
    // SAFETY: pppd's own symbol, used on its thread as the caller's contract requires.
    unsafe { raw::ppp_session_number }
}

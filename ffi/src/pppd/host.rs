//! Safe access to the running pppd: what the link is, and the few things a
//! plugin may change, as the [`PppdHost`] trait (so the plugin's logic is
//! tested against a fake). A [`Host`] exists only inside a call from pppd
//! (the trampolines in [`super::plugin`] make one), on pppd's single thread.
//!
//! Every pointer handed to pppd lives as long as pppd may keep it: strings
//! pppd copies (script_setenv, log lines) are passed for the call only; the
//! one it keeps — the reason `lcp_close` stores in `fsm.term_reason` and
//! resends in every Terminate-Request — must be `'static`.

use super::sys;
pub use crate::route6::Ipv6Route;
use radius_core::log::Level;
use std::ffi::{CStr, CString};
use std::marker::PhantomData;
use std::net::Ipv4Addr;

/// What the plugin needs of the running pppd.
pub trait PppdHost {
    /// The interface (`ppp0`), empty before the channel is established.
    fn ifname(&self) -> String;
    /// The unit number.
    fn unit(&self) -> i32;
    /// The device (`/dev/pts/3`, `eth0` for PPPoE).
    fn devnam(&self) -> String;
    /// The remote number (the PPPoE peer's MAC, a caller id), maybe empty.
    fn remote_number(&self) -> String;
    /// The `ipparam` option.
    fn ipparam(&self) -> Option<String>;
    /// The `pty` command, if the link runs through one.
    fn pty_command(&self) -> Option<String>;
    /// Our name for authentication (`name` option, else the host name).
    fn our_name(&self) -> String;
    /// How the link reaches us.
    fn link_kind(&self) -> LinkKind;
    /// `map-to-ttyname` was given.
    fn map_to_ttyname(&self) -> bool;
    /// The `radius-rs-config` option.
    fn config_path(&self) -> Option<String>;
    /// The `radius-config-file` option (radius.so's radiusclient.conf).
    fn radiusclient_path(&self) -> Option<String>;
    /// The `radius-rs-avpair` / `avpair` options, in order.
    fn avpairs(&self) -> Vec<String>;
    /// pppd's exit status so far (`EXIT_*`).
    fn exit_status(&self) -> i32;
    /// The peer's negotiated IPv4 address.
    fn peer_address(&self) -> Option<Ipv4Addr>;
    /// The peer address given in pppd's options (`local:remote`).
    fn configured_peer_address(&self) -> Option<Ipv4Addr>;
    /// Asks the peer to use `addr` (as pppd does for a secrets line's single
    /// address); `accept_others`: the peer may still get another allowed one.
    fn suggest_peer_address(&self, addr: Ipv4Addr, accept_others: bool);
    /// Ends the session as pppd's own timers do (`status` = `exit_status`,
    /// LCP closed with `reason`, which pppd keeps: hence `'static`).
    fn end_session(&self, exit_status: i32, reason: &'static CStr);
    /// Seconds since the last packet in either direction.
    fn idle_seconds(&self) -> Option<u64>;
    /// The interface netmask (Framed-IP-Netmask).
    fn set_netmask(&self, mask: Ipv4Addr);
    /// The DNS servers offered to the peer.
    fn set_dns_servers(&self, primary: Ipv4Addr, secondary: Ipv4Addr);
    /// The peer's IPv6CP interface identifier.
    fn set_peer_interface_id(&self, id: [u8; 8]);
    /// Lowers the interface MTU to `mtu`.
    fn limit_mtu(&self, mtu: u32);
    /// Hands MPPE keys to pppd.
    fn set_mppe_keys(&self, send: &[u8; 16], recv: &[u8; 16]);
    /// pppd's traffic limit (`maxoctets`): `limit` bytes counted in
    /// `direction` (0 both, 1 in, 2 out, 3/4 the larger); pppd ends the
    /// session with EXIT_TRAFFIC_LIMIT past it.
    fn set_session_octets_limit(&self, limit: u32, direction: u32);
    /// MS-MPPE-Encryption-Policy / -Types.
    fn set_mppe_policy(&self, policy: u32, types: u32);
    /// Adds an IPv6 route through this link's interface.
    fn add_ipv6_route(&self, route: &Ipv6Route) -> std::io::Result<()>;
    /// Removes one.
    fn delete_ipv6_route(&self, route: &Ipv6Route) -> std::io::Result<()>;
    /// Exports `name=value` to the scripts.
    fn script_setenv(&self, name: &str, value: &str);
    /// The link's counters now.
    fn link_counters(&self) -> LinkCounters;
    /// Runs the plugin's timer `timer` in `seconds`.
    fn schedule(&self, timer: usize, seconds: u32);
    /// Cancels timer `timer`.
    fn cancel(&self, timer: usize);
    /// Logs through pppd.
    fn log(&self, level: Level, message: &str);
    /// This pppd's process id.
    fn pid(&self) -> u32 {
        std::process::id()
    }
}

/// The running pppd, during one call from it.
#[derive(Debug)]
pub struct Host {
    // Not Send/Sync: pppd's globals belong to its one thread.
    _not_send: PhantomData<*const ()>,
    timers: Timers,
}

/// The plugin's timer functions (they name its trampoline).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Timers {
    pub(crate) schedule: fn(usize, u32),
    pub(crate) cancel: fn(usize),
}

/// How the link reaches pppd, for NAS-Port-Type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkKind {
    /// A pty (`pty`/`notty`, L2TP/PPTP daemons).
    Pty,
    /// A synchronous serial line.
    SyncSerial,
    /// An asynchronous serial line.
    AsyncSerial,
    /// PPPoE (`ppp_session_number` set by rp-pppoe).
    Pppoe,
}

/// Byte and packet counts of the link.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LinkCounters {
    /// Bytes received from the peer.
    pub bytes_in: u64,
    /// Bytes sent to the peer.
    pub bytes_out: u64,
    /// Packets received.
    pub packets_in: u64,
    /// Packets sent.
    pub packets_out: u64,
}

fn c_array_text(p: *const libc::c_char) -> String {
    // SAFETY: callers pass the address of one of pppd's NUL-terminated
    // char arrays (ifname, devnam, remote_number, our_name, hostname), which
    // live for the whole process and are written only by pppd's own thread,
    // the one we run on.
    unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
}

fn c_text(text: &str) -> CString {
    CString::new(text.replace('\0', "?")).unwrap_or_default()
}

impl Host {
    /// Only the trampolines make one: they run on pppd's thread, inside a call from pppd.
    pub(crate) fn new(timers: Timers) -> Host {
        Host { _not_send: PhantomData, timers }
    }

    /// A host for logging only (its timers do nothing).
    pub(crate) fn for_log() -> Host {
        Host::new(Timers { schedule: |_, _| {}, cancel: |_| {} })
    }
}

impl PppdHost for Host {
    fn ifname(&self) -> String {
        // SAFETY: pppd's interface name, a NUL-terminated array it owns.
        c_array_text(unsafe { sys::ifname() })
    }

    fn unit(&self) -> i32 {
        // SAFETY: a plain int pppd owns; read on its thread.
        unsafe { sys::ifunit() }
    }

    fn devnam(&self) -> String {
        // SAFETY: pppd's device name, a NUL-terminated array it owns.
        c_array_text(unsafe { sys::devnam() })
    }

    fn remote_number(&self) -> String {
        // SAFETY: pppd's remote number, a NUL-terminated array it owns.
        c_array_text(unsafe { sys::remote_number() })
    }

    fn ipparam(&self) -> Option<String> {
        // SAFETY: a pointer pppd owns: null or a NUL-terminated string it
        // never frees; read on its thread.
        let p = unsafe { sys::ipparam() };
        (!p.is_null()).then(|| c_array_text(p))
    }

    fn pty_command(&self) -> Option<String> {
        // SAFETY: as for `ipparam`: null or a string pppd keeps.
        let p = unsafe { sys::ptycommand };
        (!p.is_null()).then(|| c_array_text(p))
    }

    fn our_name(&self) -> String {
        c_array_text((&raw const sys::our_name).cast())
    }

    fn link_kind(&self) -> LinkKind {
        // SAFETY: plain ints pppd owns; read on its thread.
        let (session, pty, sync) = unsafe { (sys::session_number(), sys::using_pty(), sys::sync_serial()) };
        if session != 0 {
            LinkKind::Pppoe
        } else if pty {
            LinkKind::Pty
        } else if sync {
            LinkKind::SyncSerial
        } else {
            LinkKind::AsyncSerial
        }
    }

    fn exit_status(&self) -> i32 {
        // SAFETY: pppd's exit status (a volatile int, or 2.5's accessor); read on its thread.
        unsafe { sys::exit_status() }
    }

    fn peer_address(&self) -> Option<Ipv4Addr> {
        // SAFETY: ipcp_hisoptions is pppd's array of NUM_PPP (≥ 1) structs;
        // element 0 is the only unit pppd uses.
        let raw = unsafe { (*(&raw const sys::ipcp_hisoptions).cast::<sys::ipcp_options>()).hisaddr };
        (raw != 0).then(|| Ipv4Addr::from(raw.to_ne_bytes()))
    }

    fn configured_peer_address(&self) -> Option<Ipv4Addr> {
        // SAFETY: as in `peer_address`, for ipcp_wantoptions.
        let raw = unsafe { (*(&raw const sys::ipcp_wantoptions).cast::<sys::ipcp_options>()).hisaddr };
        (raw != 0).then(|| Ipv4Addr::from(raw.to_ne_bytes()))
    }

    fn suggest_peer_address(&self, addr: Ipv4Addr, accept_others: bool) {
        // SAFETY: element 0 of pppd's ipcp_wantoptions array, which IPCP
        // copies when it opens (after authentication); written on pppd's
        // thread, as its own set_allowed_addrs does at this point.
        unsafe {
            let wo = &mut *(&raw mut sys::ipcp_wantoptions).cast::<sys::ipcp_options>();
            wo.hisaddr = u32::from_ne_bytes(addr.octets());
            if accept_others {
                wo.accept_remote = 1;
            }
        }
    }

    fn end_session(&self, exit_status: i32, reason: &'static CStr) {
        // SAFETY: `status` is pppd's plain int. lcp_close stores `reason` in
        // the LCP fsm (term_reason) and reads it again for every
        // Terminate-Request it resends, long after this call: it is a
        // 'static string, never freed. pppd only reads it. Both on pppd's
        // thread, as its own timers do.
        unsafe {
            sys::set_exit_status(exit_status);
            sys::lcp_close(0, reason.as_ptr().cast_mut());
        }
    }

    fn idle_seconds(&self) -> Option<u64> {
        let mut idle = sys::ppp_idle::default();
        // SAFETY: get_idle_time fills the struct we own for unit 0.
        let ok = unsafe { sys::get_idle_time(0, &mut idle) };
        (ok != 0).then(|| u64::try_from(idle.xmit_idle.min(idle.recv_idle)).unwrap_or(0))
    }

    fn set_netmask(&self, mask: Ipv4Addr) {
        // SAFETY: a plain u32 (network order) pppd reads when it configures
        // the interface at IPCP up; written on its thread before that.
        unsafe { sys::netmask = u32::from_ne_bytes(mask.octets()) };
    }

    fn set_dns_servers(&self, primary: Ipv4Addr, secondary: Ipv4Addr) {
        // SAFETY: element 0 of pppd's ipcp_allowoptions array; written on
        // its thread before IPCP negotiates.
        unsafe {
            let ao = &mut *(&raw mut sys::ipcp_allowoptions).cast::<sys::ipcp_options>();
            ao.dnsaddr = [u32::from_ne_bytes(primary.octets()), u32::from_ne_bytes(secondary.octets())];
        }
    }

    fn set_peer_interface_id(&self, id: [u8; 8]) {
        // SAFETY: element 0 of pppd's ipv6cp_wantoptions array; written on
        // its thread before IPV6CP negotiates.
        unsafe {
            let wo = &mut *(&raw mut sys::ipv6cp_wantoptions).cast::<sys::ipv6cp_options>();
            wo.hisid = sys::eui64_t(id);
            wo.opt_remote = 1;
        }
    }

    fn limit_mtu(&self, mtu: u32) {
        let unit = self.unit();
        // SAFETY: pppd's own netif helpers on its unit; they only ioctl.
        unsafe {
            let current = sys::get_mtu(unit);
            let wanted = i32::try_from(mtu).unwrap_or(i32::MAX);
            if current <= 0 || wanted < current {
                sys::set_mtu(unit, wanted);
            }
        }
    }

    fn set_mppe_keys(&self, send: &[u8; 16], recv: &[u8; 16]) {
        // SAFETY: pppd's key buffers are MPPE_MAX_KEY_LEN (16) bytes (2.5
        // copies through mppe_set_keys), read by its CCP code on this thread
        // after authentication.
        unsafe { sys::set_mppe_keys(send, recv) }
    }

    fn set_session_octets_limit(&self, limit: u32, direction: u32) {
        // SAFETY: pppd's maxoctets / maxoctets_dir (2.4) or its
        // ppp_set_session_limit[_dir] (2.5), set on its thread before the
        // network phase starts its check timer.
        unsafe { sys::set_session_limit(limit, direction) }
    }

    fn set_mppe_policy(&self, policy: u32, types: u32) {
        // SAFETY: pppd's exported helper, called as radius.so calls it.
        unsafe { sys::set_mppe_enc_types(policy as i32, types as i32) }
    }

    fn add_ipv6_route(&self, route: &Ipv6Route) -> std::io::Result<()> {
        crate::route6::add(&self.ifname(), route)
    }

    fn delete_ipv6_route(&self, route: &Ipv6Route) -> std::io::Result<()> {
        crate::route6::delete(&self.ifname(), route)
    }

    fn script_setenv(&self, name: &str, value: &str) {
        let (n, v) = (c_text(name), c_text(value));
        // SAFETY: pppd copies both strings into its own environment list.
        unsafe { sys::script_setenv(n.as_ptr().cast_mut(), v.as_ptr().cast_mut()) }
    }

    fn link_counters(&self) -> LinkCounters {
        let sysfs = |f: &str| -> Option<u64> {
            std::fs::read_to_string(format!("/sys/class/net/{}/statistics/{f}", self.ifname())).ok()?.trim().parse().ok()
        };
        if let (Some(bi), Some(bo), Some(pi), Some(po)) =
            (sysfs("rx_bytes"), sysfs("tx_bytes"), sysfs("rx_packets"), sysfs("tx_packets"))
        {
            return LinkCounters { bytes_in: bi, bytes_out: bo, packets_in: pi, packets_out: po };
        }
        // SAFETY: pppd's own statistics update and struct, on its thread.
        match unsafe { sys::link_stats() } {
            Some(s) => LinkCounters { bytes_in: s.bytes_in, bytes_out: s.bytes_out, packets_in: s.pkts_in, packets_out: s.pkts_out },
            None => LinkCounters::default(),
        }
    }

    fn log(&self, level: Level, message: &str) {
        let text = c_text(&format!("radius_rs: {message}"));
        let fmt = c"%s".as_ptr();
        // SAFETY: pppd's printf-style loggers with a "%s" format and one
        // NUL-terminated string argument.
        unsafe {
            match level {
                Level::Error => sys::error(fmt, text.as_ptr()),
                Level::Warning => sys::warn(fmt, text.as_ptr()),
                Level::Info => sys::info(fmt, text.as_ptr()),
                Level::Debug => sys::dbglog(fmt, text.as_ptr()),
            }
        }
    }

    fn map_to_ttyname(&self) -> bool {
        super::options::map_to_ttyname()
    }

    fn config_path(&self) -> Option<String> {
        super::options::config_path()
    }

    fn radiusclient_path(&self) -> Option<String> {
        super::options::radiusclient_path()
    }

    fn avpairs(&self) -> Vec<String> {
        super::options::avpairs()
    }

    fn schedule(&self, timer: usize, seconds: u32) {
        (self.timers.schedule)(timer, seconds)
    }

    fn cancel(&self, timer: usize) {
        (self.timers.cancel)(timer)
    }
}

/// pppd's log as the core's [`radius_core::log::Log`].
#[derive(Debug, Clone, Copy, Default)]
pub struct PppdLog;

impl radius_core::log::Log for PppdLog {
    fn log(&self, level: Level, message: &str) {
        PppdHost::log(&Host::for_log(), level, message)
    }
}

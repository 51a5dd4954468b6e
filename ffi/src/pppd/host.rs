//! Safe access to the running pppd: what the link is, and the few things a
//! plugin may change. A [`Host`] exists only inside a call from pppd (the
//! trampolines in [`super::plugin`] make one), on pppd's single thread.

use super::sys;
use std::ffi::{CStr, CString};
use std::marker::PhantomData;
use std::net::Ipv4Addr;

/// The running pppd, during one call from it.
#[derive(Debug)]
pub struct Host {
    // Not Send/Sync: pppd's globals belong to its one thread.
    _not_send: PhantomData<*const ()>,
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
    pub(crate) fn new() -> Host {
        Host { _not_send: PhantomData }
    }

    /// The interface (`ppp0`), empty before the channel is established.
    pub fn ifname(&self) -> String {
        c_array_text((&raw const sys::ifname).cast())
    }

    /// The unit number.
    pub fn unit(&self) -> i32 {
        // SAFETY: a plain int pppd owns; read on its thread.
        unsafe { sys::ifunit }
    }

    /// The device (`/dev/pts/3`, `eth0` for PPPoE).
    pub fn devnam(&self) -> String {
        c_array_text((&raw const sys::devnam).cast())
    }

    /// The remote number (the PPPoE peer's MAC, a caller id), maybe empty.
    pub fn remote_number(&self) -> String {
        c_array_text((&raw const sys::remote_number).cast())
    }

    /// The `ipparam` option.
    pub fn ipparam(&self) -> Option<String> {
        // SAFETY: a pointer pppd owns: null or a NUL-terminated string it
        // never frees; read on its thread.
        let p = unsafe { sys::ipparam };
        (!p.is_null()).then(|| c_array_text(p))
    }

    /// The `pty` command, if the link runs through one (user-mode
    /// pppoe-server passes the peer's session and MAC in it).
    pub fn pty_command(&self) -> Option<String> {
        // SAFETY: as for `ipparam`: null or a string pppd keeps.
        let p = unsafe { sys::ptycommand };
        (!p.is_null()).then(|| c_array_text(p))
    }

    /// Our name for authentication (`name` option, else the host name).
    pub fn our_name(&self) -> String {
        c_array_text((&raw const sys::our_name).cast())
    }

    /// How the link reaches us.
    pub fn link_kind(&self) -> LinkKind {
        // SAFETY: plain ints pppd owns; read on its thread.
        let (session, pty, sync) = unsafe { (sys::ppp_session_number, sys::using_pty, sys::sync_serial) };
        if session != 0 {
            LinkKind::Pppoe
        } else if pty != 0 {
            LinkKind::Pty
        } else if sync != 0 {
            LinkKind::SyncSerial
        } else {
            LinkKind::AsyncSerial
        }
    }

    /// pppd's exit status so far (`EXIT_*`), for Acct-Terminate-Cause.
    pub fn exit_status(&self) -> i32 {
        // SAFETY: a plain (volatile) int pppd owns; read on its thread.
        unsafe { std::ptr::read_volatile(&raw const sys::status) }
    }

    /// The peer's negotiated IPv4 address.
    pub fn peer_address(&self) -> Option<Ipv4Addr> {
        // SAFETY: ipcp_hisoptions is pppd's array of NUM_PPP (≥ 1) structs;
        // element 0 is the only unit pppd uses.
        let raw = unsafe { (*(&raw const sys::ipcp_hisoptions).cast::<sys::ipcp_options>()).hisaddr };
        (raw != 0).then(|| Ipv4Addr::from(raw.to_ne_bytes()))
    }

    /// The peer address given in pppd's options (`local:remote`), if any.
    pub fn configured_peer_address(&self) -> Option<Ipv4Addr> {
        // SAFETY: as in `peer_address`, for ipcp_wantoptions.
        let raw = unsafe { (*(&raw const sys::ipcp_wantoptions).cast::<sys::ipcp_options>()).hisaddr };
        (raw != 0).then(|| Ipv4Addr::from(raw.to_ne_bytes()))
    }

    /// Ends the session now as pppd's own timers do: `status` becomes
    /// `exit_status` (`EXIT_CONNECT_TIME`, `EXIT_IDLE_TIMEOUT`, …) and LCP
    /// is closed with `reason`.
    pub fn end_session(&self, exit_status: i32, reason: &str) {
        let reason = CString::new(reason.replace('\0', " ")).unwrap_or_default();
        // SAFETY: `status` is pppd's plain int; lcp_close takes a reason
        // string it only reads (and copies into the Terminate-Request)
        // during the call. Both on pppd's thread, as its own timers do.
        unsafe {
            std::ptr::write_volatile(&raw mut sys::status, exit_status);
            sys::lcp_close(0, reason.as_ptr().cast_mut());
        }
    }

    /// Seconds since the last packet in either direction (`None`: unknown).
    pub fn idle_seconds(&self) -> Option<u64> {
        let mut idle = sys::ppp_idle::default();
        // SAFETY: get_idle_time fills the struct we own for unit 0.
        let ok = unsafe { sys::get_idle_time(0, &mut idle) };
        (ok != 0).then(|| u64::try_from(idle.xmit_idle.min(idle.recv_idle)).unwrap_or(0))
    }

    /// The interface netmask (Framed-IP-Netmask).
    pub fn set_netmask(&self, mask: Ipv4Addr) {
        // SAFETY: a plain u32 (network order) pppd reads when it configures
        // the interface at IPCP up; written on its thread before that.
        unsafe { sys::netmask = u32::from_ne_bytes(mask.octets()) };
    }

    /// The DNS servers offered to the peer (ms-dns).
    pub fn set_dns_servers(&self, primary: Ipv4Addr, secondary: Ipv4Addr) {
        // SAFETY: element 0 of pppd's ipcp_allowoptions array; written on
        // its thread before IPCP negotiates.
        unsafe {
            let ao = &mut *(&raw mut sys::ipcp_allowoptions).cast::<sys::ipcp_options>();
            ao.dnsaddr = [u32::from_ne_bytes(primary.octets()), u32::from_ne_bytes(secondary.octets())];
        }
    }

    /// The peer's IPv6CP interface identifier (Framed-Interface-Id).
    pub fn set_peer_interface_id(&self, id: [u8; 8]) {
        // SAFETY: element 0 of pppd's ipv6cp_wantoptions array; written on
        // its thread before IPV6CP negotiates.
        unsafe {
            let wo = &mut *(&raw mut sys::ipv6cp_wantoptions).cast::<sys::ipv6cp_options>();
            wo.hisid = sys::eui64_t(id);
            wo.opt_remote = 1;
        }
    }

    /// Lowers the interface MTU to `mtu` (Framed-MTU).
    pub fn limit_mtu(&self, mtu: u32) {
        let unit = self.unit();
        // SAFETY: pppd's own netif helpers on its unit; they only ioctl.
        unsafe {
            let current = sys::netif_get_mtu(unit);
            let wanted = i32::try_from(mtu).unwrap_or(i32::MAX);
            if current <= 0 || wanted < current {
                sys::netif_set_mtu(unit, wanted);
            }
        }
    }

    /// Hands MPPE keys (the authenticator's send and receive keys) to pppd.
    pub fn set_mppe_keys(&self, send: &[u8; 16], recv: &[u8; 16]) {
        // SAFETY: pppd's key buffers are MPPE_MAX_KEY_LEN (16) bytes, read by
        // its CCP code on this thread after authentication.
        unsafe {
            std::ptr::copy_nonoverlapping(send.as_ptr(), (&raw mut sys::mppe_send_key).cast::<u8>(), 16);
            std::ptr::copy_nonoverlapping(recv.as_ptr(), (&raw mut sys::mppe_recv_key).cast::<u8>(), 16);
            sys::mppe_keys_set = 1;
        }
    }

    /// MS-MPPE-Encryption-Policy / -Types from the server.
    pub fn set_mppe_policy(&self, policy: u32, types: u32) {
        // SAFETY: pppd's exported helper, called as radius.so calls it.
        unsafe { sys::set_mppe_enc_types(policy as i32, types as i32) }
    }

    /// Exports `name=value` to the ip-up/ip-down (and ipv6-up) scripts.
    pub fn script_setenv(&self, name: &str, value: &str) {
        let (n, v) = (c_text(name), c_text(value));
        // SAFETY: pppd copies both strings into its own environment list.
        unsafe { sys::script_setenv(n.as_ptr().cast_mut(), v.as_ptr().cast_mut(), 0) }
    }

    /// The link's counters now (64-bit, from the kernel's interface
    /// statistics; pppd's own are 32-bit and wrap), and how long the link
    /// has been up.
    pub fn link_counters(&self) -> LinkCounters {
        let sysfs = |f: &str| -> Option<u64> {
            std::fs::read_to_string(format!("/sys/class/net/{}/statistics/{f}", self.ifname())).ok()?.trim().parse().ok()
        };
        if let (Some(bi), Some(bo), Some(pi), Some(po)) =
            (sysfs("rx_bytes"), sysfs("tx_bytes"), sysfs("rx_packets"), sysfs("tx_packets"))
        {
            return LinkCounters { bytes_in: bi, bytes_out: bo, packets_in: pi, packets_out: po };
        }
        // SAFETY: pppd's own statistics update and struct, on its thread.
        unsafe {
            sys::update_link_stats(sys::ifunit);
            if sys::link_stats_valid == 0 {
                return LinkCounters::default();
            }
            let s = sys::link_stats;
            LinkCounters {
                bytes_in: s.bytes_in.into(),
                bytes_out: s.bytes_out.into(),
                packets_in: s.pkts_in.into(),
                packets_out: s.pkts_out.into(),
            }
        }
    }

    /// Logs through pppd (its syslog ident and `logfile`).
    pub fn log(&self, level: radius_core::log::Level, message: &str) {
        use radius_core::log::Level;
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
}

/// pppd's log as the core's [`radius_core::log::Log`].
#[derive(Debug, Clone, Copy, Default)]
pub struct PppdLog;

impl radius_core::log::Log for PppdLog {
    fn log(&self, level: radius_core::log::Level, message: &str) {
        Host::new().log(level, message)
    }
}

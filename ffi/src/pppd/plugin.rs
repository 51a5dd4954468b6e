//! The plugin side of pppd: a [`PppdPlugin`] in safe Rust, exported by
//! [`crate::export_pppd_plugin!`] as `plugin_init` and `pppd_version`.
//! `plugin_init` installs one trampoline per hook and notifier; each runs
//! the plugin inside the panic boundary and fails closed (a rejected peer,
//! a refused address, a log line) — a panic never reaches pppd.

use super::host::{Host, PppdHost, Timers};
use super::{options, sys};
use crate::boundary;
use libc::{c_char, c_int, c_uchar, c_void};
use radius_core::log::Level;
use radius_core::Secret;
use std::ffi::CStr;
use std::net::Ipv4Addr;

/// What to do with a PAP peer.
#[derive(Debug)]
pub enum PapVerdict {
    /// Accepted.
    Accept,
    /// Rejected, with the message for the peer.
    Reject(String),
    /// pppd checks pap-secrets itself (the hook returns -1).
    LetPppdCheck,
}

/// The CHAP method of a response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChapDigest {
    /// CHAP with MD5.
    Md5,
    /// MS-CHAP (v1).
    MsChapV1,
    /// MS-CHAPv2.
    MsChapV2,
    /// Anything else (refused).
    Other(i32),
}

/// A CHAP response to verify.
#[derive(Debug)]
pub struct ChapResponse<'a> {
    /// The peer's name.
    pub user: &'a str,
    /// Our name.
    pub our_name: &'a str,
    /// The CHAP identifier.
    pub id: u8,
    /// The method.
    pub digest: ChapDigest,
    /// The challenge we sent.
    pub challenge: &'a [u8],
    /// The peer's response.
    pub response: &'a [u8],
}

/// The verdict on a CHAP response.
#[derive(Debug)]
pub struct ChapVerdict {
    /// Accepted?
    pub accepted: bool,
    /// The message in CHAP Success/Failure (for MS-CHAPv2 `S=…` / `E=…`).
    pub message: String,
}

/// A pppd plugin in safe Rust. pppd calls each function on its single
/// thread; the plugin keeps its state itself.
pub trait PppdPlugin {
    /// Prefix of log lines.
    const NAME: &'static str;
    /// After the hooks are installed, from `plugin_init`.
    fn init(host: &Host);
    /// A PAP Authenticate-Request.
    fn pap_auth(host: &Host, user: &str, password: Secret) -> PapVerdict;
    /// A CHAP / MS-CHAP response.
    fn chap_verify(host: &Host, response: &ChapResponse<'_>) -> ChapVerdict;
    /// The address to give the peer, if the plugin chooses one.
    fn choose_ip(host: &Host) -> Option<Ipv4Addr>;
    /// May the peer use `addr`? `None`: pppd decides.
    fn allowed_address(host: &Host, addr: Ipv4Addr) -> Option<bool>;
    /// IPCP is up.
    fn ip_up(host: &Host);
    /// IPCP is down.
    fn ip_down(host: &Host);
    /// IPV6CP is up.
    fn ipv6_up(host: &Host);
    /// IPV6CP is down.
    fn ipv6_down(host: &Host);
    /// pppd is exiting.
    fn exiting(host: &Host);
    /// pppd entered `phase` (`PHASE_*` in pppd.h); a new link starts at
    /// [`PHASE_ESTABLISH`].
    fn phase_changed(host: &Host, phase: i32);
    /// A timer set with [`schedule`] fired.
    fn timer(host: &Host, token: usize);
}

/// pppd's phase while a new link is negotiated (LCP), after a dead or held-off one.
pub const PHASE_ESTABLISH: i32 = 4;

fn report(entry: &str) -> impl Fn(&str) + '_ {
    move |m: &str| Host::for_log().log(Level::Error, &format!("{entry}: {m}"))
}

/// The host a trampoline of plugin `P` hands over: its timers are `P`'s.
fn host<P: PppdPlugin>() -> Host {
    Host::new(Timers { schedule: schedule::<P>, cancel: cancel::<P> })
}

fn text(p: *const c_char) -> String {
    if p.is_null() {
        return String::new();
    }
    // SAFETY: pppd passes NUL-terminated strings valid for the call.
    unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
}

/// A length-prefixed buffer as pppd passes challenges and responses.
///
/// # Safety
/// `p` is null or points at a length byte followed by that many bytes.
unsafe fn counted<'a>(p: *const c_uchar) -> &'a [u8] {
    if p.is_null() {
        return &[];
    }
    // SAFETY: caller's promise.
    unsafe { std::slice::from_raw_parts(p.add(1), usize::from(*p)) }
}

unsafe extern "C" fn check_hook() -> c_int {
    1
}

unsafe extern "C" fn pap_auth<P: PppdPlugin>(
    user: *mut c_char,
    passwd: *mut c_char,
    msgp: *mut *mut c_char,
    paddrs: *mut *mut sys::wordlist,
    popts: *mut *mut sys::wordlist,
) -> c_int {
    static mut MESSAGE: [c_char; 256] = [0; 256];
    boundary::guard("pap_auth_hook", 0, &report("pap_auth_hook"), || {
        // SAFETY: pppd passes its output pointers (each null or writable)
        // and NUL-terminated user/password buffers it owns for the call;
        // MESSAGE is ours, used only on pppd's thread, and pppd reads it
        // before the next call.
        unsafe {
            for p in [paddrs, popts] {
                if !p.is_null() {
                    *p = std::ptr::null_mut();
                }
            }
            let password = if passwd.is_null() { Secret::new(Vec::new()) } else { Secret::new(CStr::from_ptr(passwd).to_bytes().to_vec()) };
            let verdict = P::pap_auth(&host::<P>(), &text(user), password);
            let (code, message) = match verdict {
                PapVerdict::Accept => (1, "Login ok".to_string()),
                PapVerdict::Reject(m) => (0, m),
                PapVerdict::LetPppdCheck => (-1, String::new()),
            };
            let buf = (&raw mut MESSAGE).cast::<c_char>();
            write_c(buf, 256, &message);
            if !msgp.is_null() && code >= 0 {
                *msgp = buf;
            }
            code
        }
    })
}

/// Copies `message` into `dst` (`space` bytes), NUL-terminated, truncated.
///
/// # Safety
/// `dst` is writable for `space` bytes (or `space` is 0).
unsafe fn write_c(dst: *mut c_char, space: usize, message: &str) {
    if dst.is_null() || space == 0 {
        return;
    }
    let n = message.len().min(space - 1);
    // SAFETY: caller's promise: `space` writable bytes; we write n + 1 ≤ space.
    unsafe {
        std::ptr::copy_nonoverlapping(message.as_ptr().cast::<c_char>(), dst, n);
        *dst.add(n) = 0;
    }
}

#[allow(clippy::too_many_arguments)]
unsafe extern "C" fn chap_verify<P: PppdPlugin>(
    name: *mut c_char,
    ourname: *mut c_char,
    id: c_int,
    digest: *mut sys::chap_digest_type,
    challenge: *mut c_uchar,
    response: *mut c_uchar,
    message: *mut c_char,
    message_space: c_int,
) -> c_int {
    boundary::guard("chap_verify_hook", 0, &report("chap_verify_hook"), || {
        // SAFETY: pppd's chap_verify_hook convention: digest points at a
        // registered digest type, challenge/response are length-prefixed,
        // message is writable for message_space bytes.
        unsafe {
            let code = if digest.is_null() { -1 } else { (*digest).code };
            let digest = match code {
                sys::CHAP_MD5 => ChapDigest::Md5,
                sys::CHAP_MICROSOFT => ChapDigest::MsChapV1,
                sys::CHAP_MICROSOFT_V2 => ChapDigest::MsChapV2,
                other => ChapDigest::Other(other),
            };
            let (user, our_name) = (text(name), text(ourname));
            let request = ChapResponse {
                user: &user,
                our_name: &our_name,
                id: id as u8,
                digest,
                challenge: counted(challenge),
                response: counted(response),
            };
            let verdict = P::chap_verify(&host::<P>(), &request);
            write_c(message, usize::try_from(message_space).unwrap_or(0), &verdict.message);
            c_int::from(verdict.accepted)
        }
    })
}

unsafe extern "C" fn choose_ip<P: PppdPlugin>(addr: *mut u32) {
    boundary::guard("ip_choose_hook", (), &report("ip_choose_hook"), || {
        if let Some(ip) = P::choose_ip(&host::<P>()) {
            if !addr.is_null() {
                // SAFETY: pppd passes a writable u32 for the peer's address (network order).
                unsafe { *addr = u32::from_ne_bytes(ip.octets()) };
            }
        }
    })
}

unsafe extern "C" fn allowed_address<P: PppdPlugin>(addr: u32) -> c_int {
    boundary::guard("allowed_address_hook", 0, &report("allowed_address_hook"), || {
        match P::allowed_address(&host::<P>(), Ipv4Addr::from(addr.to_ne_bytes())) {
            Some(true) => 1,
            Some(false) => 0,
            None => -1,
        }
    })
}

unsafe extern "C" fn ip_up<P: PppdPlugin>(_: *mut c_void, _: c_int) {
    boundary::guard("ip_up", (), &report("ip_up"), || P::ip_up(&host::<P>()))
}

unsafe extern "C" fn ip_down<P: PppdPlugin>(_: *mut c_void, _: c_int) {
    boundary::guard("ip_down", (), &report("ip_down"), || P::ip_down(&host::<P>()))
}

unsafe extern "C" fn ipv6_up<P: PppdPlugin>(_: *mut c_void, _: c_int) {
    boundary::guard("ipv6_up", (), &report("ipv6_up"), || P::ipv6_up(&host::<P>()))
}

unsafe extern "C" fn ipv6_down<P: PppdPlugin>(_: *mut c_void, _: c_int) {
    boundary::guard("ipv6_down", (), &report("ipv6_down"), || P::ipv6_down(&host::<P>()))
}

unsafe extern "C" fn exiting<P: PppdPlugin>(_: *mut c_void, _: c_int) {
    boundary::guard("exit", (), &report("exit"), || P::exiting(&host::<P>()))
}

unsafe extern "C" fn phase_changed<P: PppdPlugin>(_: *mut c_void, phase: c_int) {
    boundary::guard("phasechange", (), &report("phasechange"), || P::phase_changed(&host::<P>(), phase))
}

unsafe extern "C" fn timer<P: PppdPlugin>(arg: *mut c_void) {
    boundary::guard("timer", (), &report("timer"), || P::timer(&host::<P>(), arg as usize))
}

/// Runs `P::timer(token)` in `seconds` (pppd's own timer list).
pub fn schedule<P: PppdPlugin>(token: usize, seconds: u32) {
    // SAFETY: pppd's timeout() keeps the function and argument; the
    // trampoline is 'static and the token is only an integer.
    unsafe { sys::timeout(timer::<P>, token as *mut c_void, i32::try_from(seconds).unwrap_or(i32::MAX)) }
}

/// Cancels a [`schedule`]d timer.
pub fn cancel<P: PppdPlugin>(token: usize) {
    // SAFETY: as for `schedule`.
    unsafe { sys::untimeout(timer::<P>, token as *mut c_void) }
}

/// The body of `plugin_init`: installs every hook and notifier, registers
/// the options, then calls `P::init`.
pub fn init<P: PppdPlugin>() {
    boundary::guard("plugin_init", (), &report("plugin_init"), || {
        // SAFETY: plugin_init runs once on pppd's thread before any hook is
        // used; the hooks are pppd's global function pointers and the
        // notifier lists its own, extended with add_notifier (2.4) or
        // ppp_add_notify (2.5).
        unsafe {
            sys::pap_check_hook = Some(check_hook);
            sys::pap_auth_hook = Some(pap_auth::<P>);
            sys::chap_check_hook = Some(check_hook);
            sys::chap_verify_hook = Some(chap_verify::<P>);
            sys::ip_choose_hook = Some(choose_ip::<P>);
            sys::allowed_address_hook = Some(allowed_address::<P>);
            sys::add_notify(sys::Notify::IpUp, ip_up::<P>);
            sys::add_notify(sys::Notify::IpDown, ip_down::<P>);
            sys::add_notify(sys::Notify::Ipv6Up, ipv6_up::<P>);
            sys::add_notify(sys::Notify::Ipv6Down, ipv6_down::<P>);
            sys::add_notify(sys::Notify::Exit, exiting::<P>);
            sys::add_notify(sys::Notify::PhaseChange, phase_changed::<P>);
        }
        options::register();
        P::init(&host::<P>());
    })
}

/// Exports a [`PppdPlugin`] as `plugin_init` and `pppd_version` (the
/// version of the headers it was built against: pppd refuses a plugin for
/// another version).
#[macro_export]
macro_rules! export_pppd_plugin {
    ($plugin:ty) => {
        /// pppd's version this plugin was built for.
        #[allow(unsafe_code, non_upper_case_globals)]
        #[no_mangle]
        pub static pppd_version: [u8; $crate::pppd::VERSION.len()] = *$crate::pppd::VERSION;

        /// Called by pppd once after loading the plugin.
        #[allow(unsafe_code)]
        #[no_mangle]
        pub extern "C" fn plugin_init() {
            $crate::pppd::plugin::init::<$plugin>()
        }
    };
}

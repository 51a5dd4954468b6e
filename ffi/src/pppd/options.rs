//! The pppd options the plugin adds, registered with `add_options` from
//! `plugin_init`, and their values as pppd parsed them:
//! - `radius-rs-config FILE`: the configuration (default
//!   /etc/radius_rs/radius.toml);
//! - `radius-rs-avpair ATTR=VALUE` (repeatable): added to every request;
//! - `map-to-ifname` (default) / `map-to-ttyname`: NAS-Port from the
//!   interface number or from the tty, as radius.so's options of those names;
//! - radius.so's own names, with the same meaning, so its peer files need
//!   no edit: `radius-config-file FILE` (a radiusclient.conf) and
//!   `avpair ATTR=VALUE` (the same list as `radius-rs-avpair`).
//!
//! Every one is `OPT_PRIV`, as radius.so's are: `/usr/sbin/pppd` is setuid
//! root for group `dip`, and an option that chooses the configuration
//! (hence the files root writes and the servers asked) or what a request
//! says must come from root or from a root-owned options file
//! (`/etc/ppp/options`, `/etc/ppp/peers/*`), never from a user's command
//! line or `~/.ppprc` — pppd refuses it there itself.

use super::sys::{self, option_t};
use crate::boundary;
use libc::{c_char, c_int, c_void};
use std::ffi::CStr;
use std::sync::Mutex;

static mut CONFIG_PATH: *mut c_char = std::ptr::null_mut();
static mut RADIUSCLIENT_PATH: *mut c_char = std::ptr::null_mut();
static mut MAP_TO_TTYNAME: sys::pbool = 0;
static AVPAIRS: Mutex<Vec<String>> = Mutex::new(Vec::new());

const NONE: option_t = option_t {
    name: std::ptr::null(),
    type_: 0,
    addr: std::ptr::null_mut(),
    description: std::ptr::null(),
    flags: 0,
    addr2: std::ptr::null_mut(),
    upper_limit: 0,
    lower_limit: 0,
    source: std::ptr::null(),
    priority: 0,
    winner: 0,
};

static mut TABLE: [option_t; 7] = [NONE; 7];

/// `radius-rs-avpair ATTR=VALUE`: pppd hands the word in `argv[0]`.
unsafe extern "C" fn add_avpair(argv: *mut *mut c_char) -> c_int {
    let report = |m: &str| super::host::PppdHost::log(&super::host::Host::for_log(), radius_core::log::Level::Error, m);
    boundary::guard("radius-rs-avpair", 0, &report, || {
        // SAFETY: pppd calls o_special handlers with argv[0] set to the
        // option's NUL-terminated argument.
        let word = unsafe {
            if argv.is_null() || (*argv).is_null() {
                return 0;
            }
            CStr::from_ptr(*argv)
        };
        let Ok(word) = word.to_str() else {
            report("radius-rs-avpair: the value is not UTF-8");
            return 0;
        };
        if !word.contains('=') {
            report(&format!("radius-rs-avpair {word}: expected ATTRIBUTE=VALUE"));
            return 0;
        }
        AVPAIRS.lock().unwrap_or_else(|e| e.into_inner()).push(word.to_string());
        1
    })
}

fn entry(name: &'static CStr, type_: sys::opt_type, addr: *mut c_void, description: &'static CStr, flags: u32) -> option_t {
    option_t { name: name.as_ptr(), type_, addr, description: description.as_ptr(), flags, ..NONE }
}

/// The options, with their flags: `OPT_PRIV` for every one.
const OPTIONS: [(&CStr, u32); 6] = [
    (c"radius-rs-config", sys::OPT_PRIV),
    (c"radius-rs-avpair", sys::OPT_PRIV),
    (c"map-to-ttyname", sys::OPT_PRIV | sys::OPT_PRIO | 1),
    (c"map-to-ifname", sys::OPT_PRIV | sys::OPT_PRIOSUB),
    (c"radius-config-file", sys::OPT_PRIV),
    (c"avpair", sys::OPT_PRIV),
];

/// The table's entries, from [`OPTIONS`] (the last one the terminator).
fn entries() -> [option_t; 7] {
    let special = add_avpair as sys::special_option_fn;
    let [config, avpair, tty, ifname, rc_config, rc_avpair] = OPTIONS;
    [
        entry(config.0, sys::o_string, (&raw mut CONFIG_PATH).cast(), c"radius_rs configuration file", config.1),
        entry(avpair.0, sys::o_special, special as *mut c_void, c"Attribute=value added to every RADIUS request", avpair.1),
        entry(tty.0, sys::o_bool, (&raw mut MAP_TO_TTYNAME).cast(), c"NAS-Port from the tty name", tty.1),
        entry(ifname.0, sys::o_bool, (&raw mut MAP_TO_TTYNAME).cast(), c"NAS-Port from the interface number (default)", ifname.1),
        entry(rc_config.0, sys::o_string, (&raw mut RADIUSCLIENT_PATH).cast(), c"radius.so's radiusclient.conf", rc_config.1),
        entry(rc_avpair.0, sys::o_special, special as *mut c_void, c"Attribute=value added to every RADIUS request (radius.so's name)", rc_avpair.1),
        NONE,
    ]
}

/// The options' names and flags, for tests and audits.
pub fn table() -> Vec<(String, u32)> {
    OPTIONS.iter().map(|(name, flags)| (name.to_string_lossy().into_owned(), *flags)).collect()
}

/// Registers the options with pppd. Called once, from `plugin_init`.
pub(crate) fn register() {
    // SAFETY: runs once in plugin_init, on pppd's thread, before pppd reads
    // the table; the table, the strings and the targets are 'static, as
    // add_options requires (pppd keeps the pointer and writes the
    // priority/source fields back into it).
    unsafe {
        let entries = entries();
        let table = (&raw mut TABLE).cast::<option_t>();
        for (i, e) in entries.into_iter().enumerate() {
            table.add(i).write(e);
        }
        sys::add_options(table);
    }
}

/// The `radius-rs-config` option, if given.
pub fn config_path() -> Option<String> {
    // SAFETY: pppd stores a strdup'ed string (or nothing) in CONFIG_PATH
    // while parsing options, on the thread we run on.
    let p = unsafe { CONFIG_PATH };
    // SAFETY: non-null means pppd's NUL-terminated copy, never freed.
    (!p.is_null()).then(|| unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned())
}

/// The `radius-config-file` option (radius.so's), if given.
pub fn radiusclient_path() -> Option<String> {
    // SAFETY: as for `config_path`, for RADIUSCLIENT_PATH.
    let p = unsafe { RADIUSCLIENT_PATH };
    // SAFETY: non-null means pppd's NUL-terminated copy, never freed.
    (!p.is_null()).then(|| unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned())
}

/// The `radius-rs-avpair` and `avpair` words, in order.
pub fn avpairs() -> Vec<String> {
    AVPAIRS.lock().unwrap_or_else(|e| e.into_inner()).clone()
}

/// True with `map-to-ttyname`.
pub fn map_to_ttyname() -> bool {
    // SAFETY: a byte pppd writes while parsing options, on our thread.
    unsafe { MAP_TO_TTYNAME != 0 }
}

#[cfg(test)]
mod tests {
    /// Every option the plugin adds is privileged: pppd refuses it from a
    /// user's command line or ~/.ppprc (it chooses files, servers or what a request says).
    #[test]
    fn every_option_is_privileged() {
        let table = super::table();
        assert_eq!(table.len(), 6);
        for (name, flags) in table {
            assert_ne!(flags & super::sys::OPT_PRIV, 0, "{name} is not OPT_PRIV");
        }
    }
}

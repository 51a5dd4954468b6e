//! The pppd options the plugin adds, registered with `add_options` from
//! `plugin_init`, and their values as pppd parsed them:
//! - `radius-rs-config FILE`: the configuration (default
//!   /etc/radius_rs/radius.toml);
//! - `radius-rs-avpair ATTR=VALUE` (repeatable): added to every request;
//! - `map-to-ifname` (default) / `map-to-ttyname`: NAS-Port from the
//!   interface number or from the tty, as radius.so's options of those names.

use super::sys::{self, option_t};
use crate::boundary;
use libc::{c_char, c_int, c_void};
use std::ffi::CStr;
use std::sync::Mutex;

static mut CONFIG_PATH: *mut c_char = std::ptr::null_mut();
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

static mut TABLE: [option_t; 5] = [NONE; 5];

/// `radius-rs-avpair ATTR=VALUE`: pppd hands the word in `argv[0]`.
unsafe extern "C" fn add_avpair(argv: *mut *mut c_char) -> c_int {
    let report = |m: &str| super::host::Host::new().log(radius_core::log::Level::Error, m);
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

/// Registers the options with pppd. Called once, from `plugin_init`.
pub(crate) fn register() {
    let special = add_avpair as sys::special_option_fn;
    // SAFETY: runs once in plugin_init, on pppd's thread, before pppd reads
    // the table; the table, the strings and the targets are 'static, as
    // add_options requires (pppd keeps the pointer and writes the
    // priority/source fields back into it).
    unsafe {
        let entries = [
            entry(c"radius-rs-config", sys::o_string, (&raw mut CONFIG_PATH).cast(), c"radius_rs configuration file", 0),
            entry(c"radius-rs-avpair", sys::o_special, special as *mut c_void, c"Attribute=value added to every RADIUS request", 0),
            entry(c"map-to-ttyname", sys::o_bool, (&raw mut MAP_TO_TTYNAME).cast(), c"NAS-Port from the tty name", sys::OPT_PRIO | 1),
            entry(
                c"map-to-ifname",
                sys::o_bool,
                (&raw mut MAP_TO_TTYNAME).cast(),
                c"NAS-Port from the interface number (default)",
                sys::OPT_PRIOSUB,
            ),
            NONE,
        ];
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

/// The `radius-rs-avpair` words, in order.
pub fn avpairs() -> Vec<String> {
    AVPAIRS.lock().unwrap_or_else(|e| e.into_inner()).clone()
}

/// True with `map-to-ttyname`.
pub fn map_to_ttyname() -> bool {
    // SAFETY: a byte pppd writes while parsing options, on our thread.
    unsafe { MAP_TO_TTYNAME != 0 }
}

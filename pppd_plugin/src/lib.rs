//! radius_rs.so: the pppd plugin of radius_rs.
//!
//! pppd loads it with `plugin radius_rs.so`. A peer with a record in
//! pppd's own pap-secrets / chap-secrets is decided locally, everybody else
//! by RADIUS (`[ppp] order`); what an Access-Accept grants is applied to
//! the link; accounting Start / Interim-Update / Stop follow IPCP; live
//! sessions are recorded for radius-rs-dmd.
//!
//! By job:
//! - [`state`]: what one pppd keeps between calls;
//! - [`decide`]: the one decision over `[ppp] order`;
//! - [`auth`]: PAP and CHAP / MS-CHAP through it;
//! - [`local`]: CHAP / MS-CHAP responses checked against a local secret;
//! - [`grant`]: what an Access-Accept grants, and [`apply`], applying it;
//! - [`lifecycle`]: Start, Interim, Stop, the session record, a new link;
//! - [`timers`]: Session-/Idle-Timeout and the CoA control poll;
//! - [`link`]: NAS-Port, NAS-Port-Type, NAS-Port-Id, Calling-Station-Id;
//! - [`radattr`]: the radattr.so-compatible file;
//! - [`settings`]: configuration and avpair options;
//! - [`accounting`]: Acct-Terminate-Cause from pppd's exit status.
//!
//! Everything is written against `radius_ffi::pppd::PppdHost` and
//! `radius_core::Radius`, so it is tested without pppd or a server
//! (`tests`); pppd itself runs it in the VM suite.
#![deny(unsafe_code)]

pub mod accounting;
pub mod apply;
pub mod auth;
pub mod decide;
pub mod grant;
pub mod lifecycle;
pub mod link;
pub mod local;
pub mod radattr;
pub mod settings;
pub mod state;
pub mod timers;
#[cfg(test)]
mod tests;

use radius_core::Secret;
use radius_ffi::pppd::{ChapResponse, ChapVerdict, Host, PapVerdict, PppdHost, PppdPlugin};
use state::State;
use std::cell::RefCell;
use std::net::Ipv4Addr;

thread_local! {
    /// The one state of this pppd (one session per process, one thread). A
    /// hook re-entered while it is borrowed panics into the boundary and
    /// fails closed; it never shares the state.
    static STATE: RefCell<State> = RefCell::new(State::new(connect));
}

/// The real client: UDP to the configured servers, logging through pppd.
fn connect(config: &radius_core::Config) -> Box<dyn radius_core::Radius> {
    Box::new(radius_core::Client::new(config.clone(), Box::new(radius_ffi::pppd::PppdLog)))
}

fn with_state<T>(f: impl FnOnce(&mut State) -> T) -> T {
    STATE.with_borrow_mut(f)
}

/// The plugin.
#[derive(Debug)]
pub struct RadiusRs;

impl PppdPlugin for RadiusRs {
    const NAME: &'static str = "radius_rs";

    fn init(host: &Host) {
        host.log(radius_core::log::Level::Info, concat!("plugin ", env!("CARGO_PKG_VERSION"), " initialized"));
    }
    fn pap_auth(host: &Host, user: &str, password: Secret) -> PapVerdict {
        with_state(|st| auth::pap_auth(st, host, user, password))
    }
    fn chap_verify(host: &Host, response: &ChapResponse<'_>) -> ChapVerdict {
        with_state(|st| auth::chap_verify(st, host, response))
    }
    fn choose_ip(_: &Host) -> Option<Ipv4Addr> {
        with_state(|st| apply::choose_ip(st))
    }
    fn allowed_address(host: &Host, addr: Ipv4Addr) -> Option<bool> {
        with_state(|st| apply::allowed_address(st, host, addr))
    }
    fn ip_up(host: &Host) {
        with_state(|st| lifecycle::ip_up(st, host))
    }
    fn ip_down(host: &Host) {
        with_state(|st| lifecycle::end(st, host))
    }
    fn ipv6_up(host: &Host) {
        with_state(|st| lifecycle::ipv6_up(st, host))
    }
    fn ipv6_down(host: &Host) {
        with_state(|st| lifecycle::ipv6_down(st, host))
    }
    fn exiting(host: &Host) {
        with_state(|st| {
            lifecycle::ipv6_down(st, host);
            lifecycle::end(st, host)
        })
    }
    fn phase_changed(host: &Host, phase: i32) {
        with_state(|st| lifecycle::phase_changed(st, host, phase))
    }
    fn timer(host: &Host, token: usize) {
        let end = match token {
            lifecycle::INTERIM_TIMER => {
                with_state(|st| lifecycle::interim(st, host));
                None
            }
            lifecycle::CONTROL_TIMER => {
                with_state(|st| timers::control(st, host));
                None
            }
            lifecycle::SESSION_TIMER => with_state(|st| timers::session_expired(st, host)),
            lifecycle::IDLE_TIMER => with_state(|st| timers::idle_check(st, host)),
            _ => None,
        };
        // pppd calls the plugin back from lcp_close: only once the state is let go.
        if let Some(end) = end {
            end.apply(host);
        }
    }
}

radius_ffi::export_pppd_plugin!(RadiusRs);

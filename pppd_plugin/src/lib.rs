//! radius_rs.so: the pppd plugin of radius_rs.
//!
//! pppd loads it with `plugin radius_rs.so`. A peer with a record in
//! pppd's own pap-secrets / chap-secrets is decided locally, everybody else
//! by RADIUS (`[ppp] order`); what an Access-Accept grants is applied to
//! the link; accounting Start / Interim-Update / Stop follow IPCP; live
//! sessions are recorded for radius-rs-dmd.
//!
//! - [`link`]: NAS-Port, NAS-Port-Type, NAS-Port-Id, Calling-Station-Id;
//! - [`local`]: CHAP / MS-CHAP responses checked against a local secret;
//! - [`grant`]: what an Access-Accept grants;
//! - [`accounting`]: the accounting records;
//! - [`radattr`]: the radattr.so-compatible file;
//! - [`settings`]: configuration and avpair options;
//! - [`session`]: the flow from authentication to exit.
#![deny(unsafe_code)]

pub mod accounting;
pub mod grant;
pub mod link;
pub mod local;
pub mod radattr;
pub mod session;
pub mod settings;

use radius_ffi::pppd::{ChapResponse, ChapVerdict, Host, PapVerdict, PppdPlugin};
use radius_core::Secret;
use std::net::Ipv4Addr;

/// The plugin.
#[derive(Debug)]
pub struct RadiusRs;

impl PppdPlugin for RadiusRs {
    const NAME: &'static str = "radius_rs";

    fn init(host: &Host) {
        host.log(radius_core::log::Level::Info, concat!("plugin ", env!("CARGO_PKG_VERSION"), " initialized"));
    }
    fn pap_auth(host: &Host, user: &str, password: Secret) -> PapVerdict {
        session::pap_auth(host, user, password)
    }
    fn chap_verify(host: &Host, response: &ChapResponse<'_>) -> ChapVerdict {
        session::chap_verify(host, response)
    }
    fn choose_ip(_: &Host) -> Option<Ipv4Addr> {
        session::choose_ip()
    }
    fn allowed_address(host: &Host, addr: Ipv4Addr) -> Option<bool> {
        session::allowed_address(host, addr)
    }
    fn ip_up(host: &Host) {
        session::ip_up(host)
    }
    fn ip_down(host: &Host) {
        session::end(host)
    }
    fn exiting(host: &Host) {
        session::end(host)
    }
    fn timer(host: &Host, token: usize) {
        match token {
            session::INTERIM_TIMER => session::interim(host),
            session::CONTROL_TIMER => session::control(host),
            session::SESSION_TIMER => session::session_expired(host),
            session::IDLE_TIMER => session::idle_check(host),
            _ => {}
        }
    }
}

radius_ffi::export_pppd_plugin!(RadiusRs);

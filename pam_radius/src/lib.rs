//! pam_radius_rs.so: RADIUS for PAM, a drop-in successor to
//! pam_radius_auth. Every argument of pam_radius_auth keeps its meaning
//! (see [`args`]), and `conf=` may name a pam_radius_auth.conf file.
//!
//! - auth: Access-Request with challenge rounds through the PAM
//!   conversation; Privilege=, Framed-IP-Address= and RADIUS_POLICIES= in
//!   the PAM environment ([`login`]);
//! - account: `require_policy=NAME` against the registry ([`account`]);
//! - session: Accounting Start/Stop ([`session`]);
//! - password: not supported by RADIUS; PAM_SERVICE_ERR.
//!
//! Every stage is written against `radius_ffi::pam::PamHandler` with its
//! [`Deps`] (how to load the configuration, how to reach RADIUS) given,
//! so the whole flow is tested with a scripted conversation and server
//! (`tests`). The exports come from `radius_ffi::export_pam_module!`, so
//! every entry point runs inside the one panic boundary; this crate has no
//! unsafe code.
#![deny(unsafe_code)]

mod account;
mod args;
mod login;
mod session;
mod settings;
mod stored;
#[cfg(test)]
mod tests;

use args::Args;
use radius_core::config::{Config, ConfigError};
use radius_core::log::{Level, Log};
use radius_core::{Client, Radius};
use radius_ffi::pam::entry::{Call, PamModule, Stage};
use radius_ffi::pam::{PamError, PamHandler, PamResult};
use std::sync::Arc;

/// What a stage is given: how to get the configuration and how to reach
/// RADIUS with it (the real ones read the file and use UDP; the tests give
/// their own), and where to log.
pub struct Deps<'a> {
    /// Loads the configuration the arguments name.
    pub load: &'a dyn Fn(&Args) -> Result<Arc<Config>, ConfigError>,
    /// A RADIUS client for a configuration.
    pub connect: &'a dyn Fn(&Arc<Config>) -> Box<dyn Radius>,
    /// The log.
    pub log: &'a dyn Log,
}

impl std::fmt::Debug for Deps<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Deps")
    }
}

/// Runs `stage` with `args` (already parsed) over `handler`.
pub fn run_stage<H: PamHandler>(stage: Stage, handler: &mut H, args: &Args, deps: &Deps<'_>) -> PamResult<()> {
    match stage {
        Stage::Authenticate => login::authenticate(handler, args, deps),
        Stage::SetCred => login::setcred(handler),
        Stage::AcctMgmt => account::acct_mgmt(handler, args, deps),
        Stage::OpenSession => session::open(handler, args, deps),
        Stage::CloseSession => session::close(handler, args, deps),
        Stage::ChAuthTok => {
            deps.log.log(Level::Error, "password change is not supported: RADIUS has no way to change a password");
            Err(PamError::ServiceErr)
        }
    }
}

/// The module.
#[derive(Debug)]
pub struct RadiusPam;

impl PamModule for RadiusPam {
    const NAME: &'static str = "pam_radius_rs";

    fn run(call: &mut Call<'_>) -> PamResult<()> {
        inject_test_panic(call.stage);
        let (args, warnings) = Args::parse(&call.args);
        for w in &warnings {
            call.log.log(Level::Warning, w);
        }
        let log = call.log.clone();
        let connect = |config: &Arc<Config>| -> Box<dyn Radius> { Box::new(Client::with_kept_state(Arc::clone(config), Box::new(log.clone()))) };
        let deps = Deps { load: &settings::load, connect: &connect, log: &call.log };
        run_stage(call.stage, &mut call.handle, &args, &deps)
    }
}

radius_ffi::export_pam_module!(RadiusPam);

/// Test builds only: `RADIUS_RS_TEST_PANIC=pam_sm_authenticate` (or any
/// entry point's name) panics inside that entry point, so the tests can
/// show the boundary fails closed. Release builds have no such hook.
#[cfg(debug_assertions)]
fn inject_test_panic(stage: Stage) {
    if std::env::var("RADIUS_RS_TEST_PANIC").is_ok_and(|v| v == stage.name()) {
        panic!("test panic injected into {}", stage.name());
    }
}

#[cfg(not(debug_assertions))]
fn inject_test_panic(_: Stage) {}

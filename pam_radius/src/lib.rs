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
//! The exports come from `radius_ffi::export_pam_module!`, so every entry
//! point runs inside the one panic boundary; this crate has no unsafe code.
#![deny(unsafe_code)]

mod account;
mod args;
mod login;
mod session;
mod settings;
mod stored;

use args::Args;
use radius_core::log::{Level, Log};
use radius_ffi::pam::entry::{Call, PamModule, Stage};
use radius_ffi::pam::Code;

/// The module.
#[derive(Debug)]
pub struct RadiusPam;

impl PamModule for RadiusPam {
    const NAME: &'static str = "pam_radius_rs";

    fn run(call: &mut Call<'_>) -> Code {
        inject_test_panic(call.stage);
        let (args, warnings) = Args::parse(&call.args);
        for w in &warnings {
            call.log.log(Level::Warning, w);
        }
        match call.stage {
            Stage::Authenticate => login::authenticate(call, &args),
            Stage::SetCred => login::setcred(call),
            Stage::AcctMgmt => account::acct_mgmt(call, &args),
            Stage::OpenSession => session::open(call, &args),
            Stage::CloseSession => session::close(call, &args),
            Stage::ChAuthTok => {
                call.log.log(Level::Error, "password change is not supported: RADIUS has no way to change a password");
                Code::SERVICE_ERR
            }
        }
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

//! What one stage leaves for the later ones of the same PAM transaction
//! (pam_set_data), under names of our own.

use radius_core::packet::AttributeList;
use radius_host::user_registry::{Policies, Registry};
use radius_core::Config;
use radius_ffi::pam::PamResult;
use std::ffi::CStr;
use std::sync::Arc;
use std::time::SystemTime;

/// Name of the [`Login`] record.
pub const LOGIN: &CStr = c"pam_radius_rs.login";
/// Name of the [`Session`] record.
pub const SESSION: &CStr = c"pam_radius_rs.session";
/// Name of the [`SetCred`] result.
pub const SETCRED: &CStr = c"pam_radius_rs.setcred";
/// Name of the [`Loaded`] configuration.
pub const CONFIG: &CStr = c"pam_radius_rs.config";

/// A login this module authenticated.
#[derive(Debug, Clone)]
pub struct Login {
    /// PAM_USER at authentication.
    pub pam_user: String,
    /// The name RADIUS accepted (PAM_RUSER with `ruser`).
    pub radius_user: String,
    /// The registry's policies, when the registry is in force.
    pub policies: Option<Policies>,
    /// Class attributes of the Access-Accept, echoed in accounting.
    pub classes: Vec<Vec<u8>>,
}

/// An open session.
#[derive(Debug, Clone)]
pub struct Session {
    /// Acct-Session-Id.
    pub id: String,
    /// When the Start was sent.
    pub started: SystemTime,
    /// The attributes of the Start, repeated in the Stop.
    pub attributes: AttributeList,
    /// Whether the Start waits in the accounting spool (the Stop then queues behind it).
    pub spool_held: radius_core::spool::Held,
}

/// What pam_sm_setcred returns: the result of pam_sm_authenticate.
#[derive(Debug, Clone, Copy)]
pub struct SetCred(pub PamResult<()>);

/// The configuration as loaded for this transaction (read once, used by
/// every stage), with what it depends on and the host's NAS address.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The arguments it was loaded for (another module line may differ).
    pub key: crate::settings::LoadKey,
    /// The configuration.
    pub config: Arc<Config>,
    /// NAS-IP-Address / NAS-IPv6-Address of `hostname=`, resolved once.
    pub nas_address: AttributeList,
    /// The user registry of the configuration.
    pub registry: Arc<Registry>,
}

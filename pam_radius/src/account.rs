//! pam_sm_acct_mgmt: may the user this module authenticated have the
//! account? Checks `require_policy=NAME` against the registry's policies.
//! Anyone this module did not authenticate in this transaction is refused,
//! or left to other modules (PAM_IGNORE) with `skip_unknown`.

use crate::args::Args;
use crate::stored;
use crate::Deps;
use radius_core::log::Level;
use radius_ffi::pam::{PamError, PamHandler, PamResult};

/// pam_sm_acct_mgmt.
pub fn acct_mgmt<H: PamHandler>(h: &mut H, args: &Args, deps: &Deps<'_>) -> PamResult<()> {
    let log = deps.log;
    let pam_user = h.user().unwrap_or_default();
    let Some(login) = h.data::<stored::Login>(stored::LOGIN).cloned() else {
        if args.skip_unknown {
            log.log(Level::Debug, &format!("`{pam_user}` was not authenticated by this module: PAM_IGNORE (skip_unknown)"));
            return Err(PamError::Ignore);
        }
        log.log(Level::Warning, &format!(
            "refusing `{pam_user}`: not authenticated by this module in this PAM transaction (add skip_unknown to let other modules decide)"
        ));
        return Err(PamError::UserUnknown);
    };
    if login.pam_user != pam_user {
        log.log(Level::Error, &format!(
            "refusing: PAM_USER changed from `{}` to `{pam_user}` after authentication", login.pam_user
        ));
        return Err(PamError::PermDenied);
    }
    let held: &[String] = login.policies.as_ref().map_or(&[], |p| &p.names);
    for required in &args.require_policies {
        if !held.contains(required) {
            let why = if login.policies.is_none() { " (the configuration has no registry)" } else { "" };
            log.log(Level::Warning, &format!(
                "refusing `{}`: policy `{required}` required, user has [{}]{why}",
                login.radius_user,
                held.join(",")
            ));
            return Err(PamError::PermDenied);
        }
    }
    Ok(())
}

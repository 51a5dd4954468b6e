//! pam_sm_acct_mgmt: may the user this module authenticated have the
//! account? Checks `require_policy=NAME` against the registry's policies.
//! Anyone this module did not authenticate in this transaction is refused,
//! or left to other modules (PAM_IGNORE) with `skip_unknown`.

use crate::args::Args;
use crate::stored;
use radius_core::log::{Level, Log};
use radius_ffi::pam::entry::Call;
use radius_ffi::pam::Code;

/// pam_sm_acct_mgmt.
pub fn acct_mgmt(call: &mut Call<'_>, args: &Args) -> Code {
    let pam_user = call.handle.user().unwrap_or_default();
    let Some(login) = call.handle.data::<stored::Login>(stored::LOGIN).cloned() else {
        if args.skip_unknown {
            call.log.log(Level::Debug, &format!("`{pam_user}` was not authenticated by this module: PAM_IGNORE (skip_unknown)"));
            return Code::IGNORE;
        }
        call.log.log(Level::Warning, &format!(
            "refusing `{pam_user}`: not authenticated by this module in this PAM transaction (add skip_unknown to let other modules decide)"
        ));
        return Code::USER_UNKNOWN;
    };
    if login.pam_user != pam_user {
        call.log.log(Level::Error, &format!(
            "refusing: PAM_USER changed from `{}` to `{pam_user}` after authentication", login.pam_user
        ));
        return Code::PERM_DENIED;
    }
    let held: &[String] = login.policies.as_ref().map_or(&[], |p| &p.names);
    for required in &args.require_policies {
        if !held.contains(required) {
            let why = if login.policies.is_none() { " (the configuration has no registry)" } else { "" };
            call.log.log(Level::Warning, &format!(
                "refusing `{}`: policy `{required}` required, user has [{}]{why}",
                login.radius_user,
                held.join(",")
            ));
            return Code::PERM_DENIED;
        }
    }
    Code::SUCCESS
}

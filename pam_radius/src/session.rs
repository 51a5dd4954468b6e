//! pam_sm_open_session / pam_sm_close_session: Accounting Start and Stop
//! for the login, with an Acct-Session-Id unique across hosts and reboots.

use crate::args::Args;
use crate::{login, settings, stored, Deps};
use radius_core::accounting::{new_session_id, AccountingRecord, AcctStatus};
use radius_core::log::Level;
use radius_core::packet::attr;
use radius_core::packet::AttributeList;
use radius_core::Service;
use radius_ffi::pam::{Item, PamError, PamHandler, PamResult};
use std::time::SystemTime;

/// pam_sm_open_session: Accounting-Request Start.
pub fn open<H: PamHandler>(h: &mut H, args: &Args, deps: &Deps<'_>) -> PamResult<()> {
    let log = deps.log;
    let pam_user = match h.user() {
        Ok(u) if !u.is_empty() => u,
        _ => {
            log.log(Level::Error, "open_session: no user name");
            return Err(PamError::SessionErr);
        }
    };
    let login = h.data::<stored::Login>(stored::LOGIN).cloned();
    let user = login.as_ref().map_or_else(|| login::radius_user(h, args, &pam_user), |l| l.radius_user.clone());
    let id = new_session_id();
    let mut attributes = AttributeList::new();
    attributes.text(attr::ACCT_SESSION_ID, &id).text(attr::USER_NAME, &user);
    if let Some(login) = &login {
        for class in &login.classes {
            attributes.bytes(attr::CLASS, class);
        }
    }
    if let Ok(Some(rhost)) = h.item(Item::RemoteHost) {
        if !rhost.is_empty() {
            attributes.text(attr::CALLING_STATION_ID, &rhost);
        }
    }
    let loaded = settings::for_transaction(h, args, deps.load).map_err(|e| {
        log.log(Level::Error, &format!("accounting Start for session {id} (`{user}`) not sent: {e}"));
        PamError::SessionErr
    })?;
    let authentic = if login.is_some() { attr::acct_authentic::RADIUS } else { attr::acct_authentic::LOCAL };
    attributes
        .extend(&loaded.nas_address)
        .integer(attr::NAS_PORT, loaded.config.client.nas_port)
        .integer(attr::ACCT_AUTHENTIC, authentic)
        .integer(attr::NAS_PORT_TYPE, attr::nas_port_type::VIRTUAL);
    if let Some(id) = login::nas_identifier(h, args) {
        attributes.text(attr::NAS_IDENTIFIER, &id);
    }
    let started = SystemTime::now();
    let record = AccountingRecord { attributes: attributes.clone(), ..AccountingRecord::new(AcctStatus::Start, Service::Login) };
    send(deps, &loaded.config, &record, &id, &user)?;
    h.set_data(stored::SESSION, stored::Session { id, started, attributes }).map_err(|_| {
        log.log(Level::Error, "cannot keep the session for close_session");
        PamError::SessionErr
    })
}

/// pam_sm_close_session: Accounting-Request Stop with the session time.
pub fn close<H: PamHandler>(h: &mut H, args: &Args, deps: &Deps<'_>) -> PamResult<()> {
    let log = deps.log;
    let Some(session) = h.data::<stored::Session>(stored::SESSION).cloned() else {
        log.log(Level::Error, "close_session: no session was opened by this module in this PAM transaction");
        return Err(PamError::SessionErr);
    };
    let seconds = SystemTime::now().duration_since(session.started).map(|d| d.as_secs()).unwrap_or(0);
    let mut record = AccountingRecord::new(AcctStatus::Stop, Service::Login);
    record.attributes = session.attributes.clone();
    record
        .attributes
        .integer(attr::ACCT_SESSION_TIME, u32::try_from(seconds).unwrap_or(u32::MAX))
        .integer(attr::ACCT_TERMINATE_CAUSE, attr::terminate_cause::USER_REQUEST);
    let user = session.attributes.get_text(attr::USER_NAME).unwrap_or_default();
    let loaded = settings::for_transaction(h, args, deps.load).map_err(|e| {
        log.log(Level::Error, &format!("accounting Stop for session {} (`{user}`) not sent: {e}", session.id));
        PamError::SessionErr
    })?;
    send(deps, &loaded.config, &record, &session.id, &user)
}

fn send(deps: &Deps<'_>, config: &radius_core::Config, record: &AccountingRecord, id: &str, user: &str) -> PamResult<()> {
    let what = match record.status {
        AcctStatus::Start => "Start",
        _ => "Stop",
    };
    let mut radius = (deps.connect)(config);
    match radius.account(record) {
        Ok(server) => {
            deps.log.log(Level::Info, &format!(
                "accounting {what} for session {id} (`{user}`) accepted by server {}",
                radius.server_name(server)
            ));
            Ok(())
        }
        Err(e) => {
            deps.log.log(Level::Error, &format!("accounting {what} for session {id} (`{user}`) not delivered: {e}"));
            Err(PamError::SessionErr)
        }
    }
}

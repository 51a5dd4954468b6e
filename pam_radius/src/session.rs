//! pam_sm_open_session / pam_sm_close_session: Accounting Start and Stop
//! for the login, with an Acct-Session-Id unique across hosts and reboots.

use crate::args::Args;
use crate::{login, settings, stored, Deps};
use radius_core::accounting::{new_session_id, AccountingRecord, AcctStatus};
use radius_core::log::Level;
use radius_core::packet::attr;
use radius_core::packet::AttributeList;
use radius_core::spool::{deliver, Delivery, Held, LazySpool};
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
    let mut spool_held = Held::default();
    send(deps, &loaded.config, &record, &id, &user, &mut spool_held)?;
    h.set_data(stored::SESSION, stored::Session { id, started, attributes, spool_held }).map_err(|_| {
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
    let mut held = session.spool_held;
    send(deps, &loaded.config, &record, &session.id, &user, &mut held)
}

/// Delivers a record to a server or, when none takes it, into the
/// accounting spool (radius-rs-dmd sends it later): either way the session
/// goes on. Only a record that is neither sent nor safely spooled fails it.
fn send(deps: &Deps<'_>, config: &std::sync::Arc<radius_core::Config>, record: &AccountingRecord, id: &str, user: &str, held: &mut Held) -> PamResult<()> {
    let what = match record.status {
        AcctStatus::Start => "Start",
        _ => "Stop",
    };
    let mut radius = (deps.connect)(config);
    let spool = LazySpool::new(&config.accounting);
    let delivered = deliver(&spool, held, record, &mut |r| radius.account(r), deps.log);
    match delivered {
        Ok(Delivery::Sent { server }) => {
            deps.log.log(Level::Info, &format!(
                "accounting {what} for session {id} (`{user}`) accepted by server {}",
                radius.server_name(server)
            ));
            Ok(())
        }
        Ok(Delivery::Spooled { name, why }) => {
            let why = why.map(|e| e.to_string()).unwrap_or_else(|| "the session's Start waits in the spool".into());
            deps.log.log(Level::Warning, &format!(
                "accounting {what} for session {id} (`{user}`): {why}; spooled as {name} for radius-rs-dmd to deliver"
            ));
            Ok(())
        }
        Ok(Delivery::Dropped { .. }) => unreachable_dropped(deps, what, id, user),
        Err(e) => {
            deps.log.log(Level::Error, &format!("accounting {what} for session {id} (`{user}`) not delivered: {e}"));
            Err(PamError::SessionErr)
        }
    }
}

/// Only Interim-Updates are dropped from a full spool, and PAM sends none.
fn unreachable_dropped(deps: &Deps<'_>, what: &str, id: &str, user: &str) -> PamResult<()> {
    deps.log.log(Level::Error, &format!("accounting {what} for session {id} (`{user}`) dropped from a full spool"));
    Err(PamError::SessionErr)
}

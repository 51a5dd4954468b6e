//! pam_sm_open_session / pam_sm_close_session: Accounting Start and Stop
//! for the login, with an Acct-Session-Id unique across hosts and reboots.

use crate::args::Args;
use crate::{login, settings, stored};
use radius_core::nas;
use radius_core::accounting::{new_session_id, AccountingRecord, AcctStatus};
use radius_core::log::{Level, Log};
use radius_core::packet::attr;
use radius_core::packet::AttributeList;
use radius_core::{Client, Config, Service};
use radius_ffi::pam::entry::Call;
use radius_ffi::pam::{Code, Item};
use std::time::SystemTime;

/// pam_sm_open_session: Accounting-Request Start.
pub fn open(call: &mut Call<'_>, args: &Args) -> Code {
    let pam_user = match call.handle.user() {
        Ok(u) if !u.is_empty() => u,
        _ => {
            call.log.log(Level::Error, "open_session: no user name");
            return Code::SESSION_ERR;
        }
    };
    let login = call.handle.data::<stored::Login>(stored::LOGIN).cloned();
    let user = login.as_ref().map_or_else(|| login::radius_user(call, args, &pam_user), |l| l.radius_user.clone());
    let id = new_session_id();
    let mut attributes = AttributeList::new();
    attributes.text(attr::ACCT_SESSION_ID, &id).text(attr::USER_NAME, &user);
    if let Some(login) = &login {
        for class in &login.classes {
            attributes.bytes(attr::CLASS, class);
        }
    }
    if let Ok(Some(rhost)) = call.handle.item(Item::RemoteHost) {
        if !rhost.is_empty() {
            attributes.text(attr::CALLING_STATION_ID, &rhost);
        }
    }
    let Some(config) = load_config(call, args, "Start", &id, &user) else { return Code::SESSION_ERR };
    let authentic = if login.is_some() { attr::acct_authentic::RADIUS } else { attr::acct_authentic::LOCAL };
    attributes
        .extend(&nas::address_attributes(&config, args.hostname.as_deref(), args.families))
        .integer(attr::NAS_PORT, config.client.nas_port)
        .integer(attr::ACCT_AUTHENTIC, authentic)
        .integer(attr::NAS_PORT_TYPE, attr::nas_port_type::VIRTUAL);
    if let Some(id) = login::nas_identifier(call, args) {
        attributes.text(attr::NAS_IDENTIFIER, &id);
    }
    let started = SystemTime::now();
    let record = AccountingRecord { attributes: attributes.clone(), ..AccountingRecord::new(AcctStatus::Start, Service::Login) };
    let code = send(call, config, &record, &id, &user);
    if code == Code::SUCCESS && call.handle.set_data(stored::SESSION, stored::Session { id, started, attributes }).is_err() {
        call.log.log(Level::Error, "cannot keep the session for close_session");
        return Code::SESSION_ERR;
    }
    code
}

/// pam_sm_close_session: Accounting-Request Stop with the session time.
pub fn close(call: &mut Call<'_>, args: &Args) -> Code {
    let Some(session) = call.handle.data::<stored::Session>(stored::SESSION).cloned() else {
        call.log.log(Level::Error, "close_session: no session was opened by this module in this PAM transaction");
        return Code::SESSION_ERR;
    };
    let seconds = SystemTime::now().duration_since(session.started).map(|d| d.as_secs()).unwrap_or(0);
    let mut record = AccountingRecord::new(AcctStatus::Stop, Service::Login);
    record.attributes = session.attributes.clone();
    record
        .attributes
        .integer(attr::ACCT_SESSION_TIME, u32::try_from(seconds).unwrap_or(u32::MAX))
        .integer(attr::ACCT_TERMINATE_CAUSE, attr::terminate_cause::USER_REQUEST);
    let user = session.attributes.get_text(attr::USER_NAME).unwrap_or_default();
    let Some(config) = load_config(call, args, "Stop", &session.id, &user) else { return Code::SESSION_ERR };
    send(call, config, &record, &session.id, &user)
}

/// The configuration, or `None` after logging why the record is not sent.
fn load_config(call: &Call<'_>, args: &Args, what: &str, id: &str, user: &str) -> Option<Config> {
    settings::load(args)
        .inspect_err(|e| call.log.log(Level::Error, &format!("accounting {what} for session {id} (`{user}`) not sent: {e}")))
        .ok()
}

fn send(call: &Call<'_>, config: Config, record: &AccountingRecord, id: &str, user: &str) -> Code {
    let what = match record.status {
        AcctStatus::Start => "Start",
        _ => "Stop",
    };
    let mut client = Client::new(config, Box::new(call.log.clone()));
    match client.account(record) {
        Ok(server) => {
            let name = client.server(server).map_or("?", |s| s.name.as_str());
            call.log.log(Level::Info, &format!("accounting {what} for session {id} (`{user}`) accepted by server {name}"));
            Code::SUCCESS
        }
        Err(e) => {
            call.log.log(Level::Error, &format!("accounting {what} for session {id} (`{user}`) not delivered: {e}"));
            Code::SESSION_ERR
        }
    }
}

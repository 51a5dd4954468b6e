//! Accounting (RFC 2866): Start and Stop reach FreeRADIUS's detail file
//! with the attributes sent; with the only primary down the
//! accounting_backup server gets them; an undelivered record is handed
//! back to the caller, never silently dropped.

mod common;

use common::{server, TestConfig};
use radius_core::accounting::{AccountingRecord, AcctStatus};
use radius_core::packet::attr;
use radius_core::{ClientError, Service};
use radius_testbed::{closed_port, FreeRadius};

fn start_record(session: &str) -> AccountingRecord {
    AccountingRecord::new(AcctStatus::Start, Service::Login)
        .text(attr::ACCT_SESSION_ID, session)
        .text(attr::USER_NAME, "alice")
        .integer(attr::NAS_PORT, 7)
        .text(attr::CALLING_STATION_ID, "192.0.2.10")
        .bytes(attr::CLASS, b"alice-class")
        .integer(attr::ACCT_AUTHENTIC, 1)
}

fn stop_record(session: &str) -> AccountingRecord {
    AccountingRecord::new(AcctStatus::Stop, Service::Login)
        .text(attr::ACCT_SESSION_ID, session)
        .text(attr::USER_NAME, "alice")
        .integer(attr::ACCT_SESSION_TIME, 42)
        .integer(attr::ACCT_TERMINATE_CAUSE, 1)
}

/// Start and Stop arrive in the detail file with every attribute sent.
#[test]
fn start_and_stop_reach_the_detail_file() {
    let fr = FreeRadius::start();
    let cfg = TestConfig::new("", &server("127.0.0.1", fr.modern_auth, fr.modern_acct, ""));
    let mut client = cfg.client();
    client.account(&start_record("sess-0001")).expect("Start delivered");
    client.account(&stop_record("sess-0001")).expect("Stop delivered");
    let detail = fr.wait_detail("modern", "Acct-Status-Type = Stop");
    for line in [
        "Acct-Status-Type = Start",
        "Acct-Session-Id = \"sess-0001\"",
        "User-Name = \"alice\"",
        "NAS-Port = 7",
        "Calling-Station-Id = \"192.0.2.10\"",
        "Class = 0x616c6963652d636c617373",
        "Acct-Authentic = RADIUS",
        "NAS-Identifier = \"test-nas\"",
        "Event-Timestamp = ",
        "Acct-Delay-Time = 0",
        "Acct-Status-Type = Stop",
        "Acct-Session-Time = 42",
        "Acct-Terminate-Cause = User-Request",
    ] {
        assert!(detail.contains(line), "detail file lacks `{line}`:\n{detail}");
    }
}

/// With the only primary down, the accounting_backup server receives the records.
#[test]
fn backup_gets_records_when_primary_is_down() {
    let fr = FreeRadius::start();
    let down = closed_port();
    let servers = server("127.0.0.1", down, down, "")
        + &server("127.0.0.1", fr.legacy_auth, fr.legacy_acct, "accounting_backup = true");
    let cfg = TestConfig::new("", &servers);
    let mut client = cfg.client();
    let used = client.account(&start_record("sess-backup")).expect("delivered to the backup");
    assert_eq!(used, 1);
    let detail = fr.wait_detail("legacy", "sess-backup");
    assert!(detail.contains("Acct-Session-Id = \"sess-backup\""), "{detail}");
    assert!(fr.detail("modern").is_empty());
}

/// The backup is not used for authentication.
#[test]
fn backup_is_not_asked_to_authenticate() {
    let cfg = TestConfig::new("", &server("127.0.0.1", 1812, 1813, "accounting_backup = true"));
    assert!(cfg.config().auth_servers(Service::Login).is_empty());
}

/// With every server down the record comes back to the caller as undelivered.
#[test]
fn undelivered_record_is_returned() {
    let down = closed_port();
    let cfg = TestConfig::new("", &server("127.0.0.1", down, down, ""));
    let err = cfg.client().account(&start_record("sess-lost")).unwrap_err();
    assert!(matches!(err, ClientError::AccountingUndelivered(_)), "{err}");
}

//! The file's tables, as toml's parser gives them (spanned values), read
//! into the structs of `model`: each key by name, unknown keys refused,
//! every error placed by the span of what is wrong and named by its key
//! path (`server[0].auth_port`).
//!
//! The structs are filled here rather than by serde's derive: the derive's
//! visitors, instantiated once per struct inside toml's deserializer, were
//! 130 kB of the code every authenticating pppd runs (and so maps), against
//! a few kB for this.

use super::duration::parse_duration;
use super::model::{
    AccountingSection, ClientSection, ConfigFile, IncomingClientSection, IncomingSection, MaxWait, PppSection, Protocol,
    RegistrySection, SecretSource, ServerSection, Service, SessionsSection, UserSection,
};
use crate::secret::Secret;
use ipnet::IpNet;
use std::collections::BTreeMap;
use std::net::IpAddr;
use std::ops::Range;
use std::path::PathBuf;
use std::time::Duration;
use toml::de::{DeTable, DeValue};
use toml::Spanned;

/// What is wrong in a file, where, and under which key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadError {
    /// Byte range, in the text, of what is wrong.
    pub span: Option<Range<usize>>,
    /// The key path, e.g. `server[0].auth_port`; empty for the whole file.
    pub key: String,
    /// What is wrong.
    pub message: String,
}

type Value<'i> = Spanned<DeValue<'i>>;

/// A [`ReadError`] on its way out: boxed, so that the readers' many `?`
/// move a pointer rather than the error.
type Failed = Box<ReadError>;

#[cold]
fn failed(span: Option<Range<usize>>, key: String, message: String) -> Failed {
    Box::new(ReadError { span, key, message })
}

/// A value that is wrong, and where it is (its key is added by the table).
#[derive(Debug)]
pub(crate) struct BadValue {
    span: Range<usize>,
    message: String,
}

/// One value of the file that becomes a `Self`.
pub(crate) trait FromValue: Sized {
    /// `value` as a `Self`, or what is wrong with it.
    fn from_value(value: &Value<'_>) -> Result<Self, BadValue>;
}

/// "a string", "an integer"…: what a value is, for messages.
fn kind(value: &DeValue<'_>) -> &'static str {
    match value {
        DeValue::String(_) => "a string",
        DeValue::Integer(_) => "an integer",
        DeValue::Float(_) => "a float",
        DeValue::Boolean(_) => "a boolean",
        DeValue::Datetime(_) => "a date-time",
        DeValue::Array(_) => "an array",
        DeValue::Table(_) => "a table",
    }
}

impl BadValue {
    /// The error it makes under `key`.
    fn under(self, key: String) -> Failed {
        failed(Some(self.span), key, self.message)
    }
}

fn bad(value: &Value<'_>, message: String) -> BadValue {
    BadValue { span: value.span(), message }
}

fn wrong_type(value: &Value<'_>, expected: &str) -> BadValue {
    bad(value, format!("invalid type: {}, expected {expected}", kind(value.get_ref())))
}

/// The text of a string value.
fn text<'a>(value: &'a Value<'_>) -> Result<&'a str, BadValue> {
    value.get_ref().as_str().ok_or_else(|| wrong_type(value, "a string"))
}

/// A string value parsed by `parse`, whose error is the message.
fn parsed<T>(value: &Value<'_>, parse: impl FnOnce(&str) -> Result<T, String>) -> Result<T, BadValue> {
    parse(text(value)?).map_err(|message| bad(value, message))
}

impl FromValue for bool {
    fn from_value(value: &Value<'_>) -> Result<Self, BadValue> {
        value.get_ref().as_bool().ok_or_else(|| wrong_type(value, "a boolean (true or false)"))
    }
}

/// A whole number from 0 to `max`.
fn whole(value: &Value<'_>, max: u64) -> Result<u64, BadValue> {
    let DeValue::Integer(i) = value.get_ref() else { return Err(wrong_type(value, &format!("an integer from 0 to {max}"))) };
    match i128::from_str_radix(i.as_str(), i.radix()) {
        Ok(n) if (0..=i128::from(max)).contains(&n) => Ok(n as u64),
        _ => Err(bad(value, format!("invalid value: integer `{i}`, expected an integer from 0 to {max}"))),
    }
}

impl FromValue for u16 {
    fn from_value(value: &Value<'_>) -> Result<Self, BadValue> {
        whole(value, u16::MAX.into()).map(|n| n as u16)
    }
}

impl FromValue for u32 {
    fn from_value(value: &Value<'_>) -> Result<Self, BadValue> {
        whole(value, u32::MAX.into()).map(|n| n as u32)
    }
}

impl FromValue for usize {
    fn from_value(value: &Value<'_>) -> Result<Self, BadValue> {
        whole(value, usize::MAX as u64).map(|n| n as usize)
    }
}

impl FromValue for String {
    fn from_value(value: &Value<'_>) -> Result<Self, BadValue> {
        text(value).map(str::to_string)
    }
}

impl FromValue for PathBuf {
    fn from_value(value: &Value<'_>) -> Result<Self, BadValue> {
        text(value).map(PathBuf::from)
    }
}

impl FromValue for Secret {
    fn from_value(value: &Value<'_>) -> Result<Self, BadValue> {
        text(value).map(Secret::from)
    }
}

impl FromValue for Duration {
    fn from_value(value: &Value<'_>) -> Result<Self, BadValue> {
        parsed(value, parse_duration)
    }
}

impl FromValue for IpAddr {
    fn from_value(value: &Value<'_>) -> Result<Self, BadValue> {
        parsed(value, |t| t.parse().map_err(|_| format!("invalid value: `{t}` is not an IP address")))
    }
}

impl FromValue for IpNet {
    fn from_value(value: &Value<'_>) -> Result<Self, BadValue> {
        parsed(value, |t| t.parse().map_err(|_| format!("invalid value: `{t}` is not a network (e.g. 10.0.0.0/8)")))
    }
}

/// One of `names` (as written in the file), as its variant in `variants`.
fn variant<T: Copy>(value: &Value<'_>, names: &[&str], variants: &[T]) -> Result<T, BadValue> {
    let t = text(value)?;
    match names.iter().position(|n| *n == t) {
        Some(i) => Ok(variants[i]),
        None => Err(bad(value, format!("unknown variant `{t}`, expected {}", one_of(names)))),
    }
}

impl FromValue for Service {
    fn from_value(value: &Value<'_>) -> Result<Self, BadValue> {
        variant(value, &["login", "ppp"], &[Service::Login, Service::Ppp])
    }
}

impl FromValue for SecretSource {
    fn from_value(value: &Value<'_>) -> Result<Self, BadValue> {
        variant(value, &["local", "radius"], &[SecretSource::Local, SecretSource::Radius])
    }
}

impl FromValue for Protocol {
    fn from_value(value: &Value<'_>) -> Result<Self, BadValue> {
        variant(value, &["udp", "radsec"], &[Protocol::Udp, Protocol::Radsec])
    }
}

impl<T: FromValue> FromValue for Vec<T> {
    fn from_value(value: &Value<'_>) -> Result<Self, BadValue> {
        let DeValue::Array(items) = value.get_ref() else { return Err(wrong_type(value, "an array")) };
        items.iter().map(T::from_value).collect()
    }
}

/// "`a`, `b` or `c`".
fn one_of(names: &[&str]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    match quoted.split_last() {
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("one of {} or {last}", rest.join(", ")),
        None => "nothing".into(),
    }
}

/// A table of the file being read, every key of which is known.
pub(crate) struct Table<'a, 'i> {
    entries: &'a DeTable<'i>,
    span: Range<usize>,
    /// Its key path; empty for the whole file.
    path: String,
}

impl<'a, 'i> Table<'a, 'i> {
    /// `value` as the table at `path`, whatever its keys.
    fn open(value: &'a Value<'i>, path: String) -> Result<Self, Failed> {
        match value.get_ref() {
            DeValue::Table(entries) => Ok(Table { entries, span: value.span(), path }),
            _ => Err(wrong_type(value, "a table").under(path)),
        }
    }

    /// `value` as the table at `path`; refused if it is not a table or
    /// holds a key not in `known`.
    pub(crate) fn new(value: &'a Value<'i>, path: String, known: &[&str]) -> Result<Self, Failed> {
        let table = Table::open(value, path)?;
        if let Some((key, _)) = table.entries.iter().find(|(k, _)| !known.contains(&k.get_ref().as_ref())) {
            return Err(failed(
                Some(key.span()),
                table.key(key.get_ref()),
                format!("unknown field `{}`, expected {}", key.get_ref(), one_of(known)),
            ));
        }
        Ok(table)
    }

    fn key(&self, name: &str) -> String {
        if self.path.is_empty() {
            name.to_string()
        } else {
            format!("{}.{name}", self.path)
        }
    }

    fn value(&self, name: &str) -> Option<&'a Value<'i>> {
        self.entries.get(name)
    }

    /// The value of `name`, if the table sets it.
    pub(crate) fn get<T: FromValue>(&self, name: &str) -> Result<Option<T>, Failed> {
        let Some(value) = self.value(name) else { return Ok(None) };
        T::from_value(value).map(Some).map_err(|e| e.under(self.key(name)))
    }

    /// The value of `name`, or `default` when the table does not set it.
    pub(crate) fn or<T: FromValue>(&self, name: &str, default: T) -> Result<T, Failed> {
        Ok(self.get(name)?.unwrap_or(default))
    }

    /// The value of `name`, which the table must set.
    pub(crate) fn required<T: FromValue>(&self, name: &str) -> Result<T, Failed> {
        self.get(name)?.ok_or_else(|| failed(Some(self.span.clone()), self.path.clone(), format!("missing field `{name}`")))
    }

    /// The table `name` (e.g. `[client]`) with keys `known`, if set, read by `read`.
    pub(crate) fn table<T>(&self, name: &str, known: &[&str], read: impl FnOnce(&Table<'a, 'i>) -> Result<T, Failed>) -> Result<Option<T>, Failed> {
        self.value(name).map(|v| read(&Table::new(v, self.key(name), known)?)).transpose()
    }

    /// The array of tables `name` (e.g. `[[server]]`) with keys `known`,
    /// each read by `read`.
    pub(crate) fn tables<T>(&self, name: &str, known: &[&str], read: impl Fn(&Table<'a, 'i>) -> Result<T, Failed>) -> Result<Vec<T>, Failed> {
        let Some(value) = self.value(name) else { return Ok(Vec::new()) };
        let DeValue::Array(items) = value.get_ref() else { return Err(wrong_type(value, "an array of tables").under(self.key(name))) };
        items.iter().enumerate().map(|(i, item)| read(&Table::new(item, format!("{}[{i}]", self.key(name)), known)?)).collect()
    }

    /// The table `name` whose every key names a table with keys `known`
    /// (e.g. `[users.NAME]`), each read by `read`.
    pub(crate) fn named_tables<T>(
        &self,
        name: &str,
        known: &[&str],
        read: impl Fn(&Table<'a, 'i>) -> Result<T, Failed>,
    ) -> Result<BTreeMap<String, T>, Failed> {
        let Some(value) = self.value(name) else { return Ok(BTreeMap::new()) };
        let outer = Table::open(value, self.key(name))?;
        outer
            .entries
            .iter()
            .map(|(k, v)| Ok((k.get_ref().to_string(), read(&Table::new(v, outer.key(k.get_ref()), known)?)?)))
            .collect()
    }
}

/// The keys of each table, as written in the file.
const FILE_KEYS: &[&str] = &["client", "server", "registry", "users", "ppp", "sessions", "incoming", "accounting"];
const CLIENT_KEYS: &[&str] = &[
    "nas_identifier",
    "nas_ip_address",
    "src_address",
    "timeout",
    "retries",
    "max_wait",
    "dead_time",
    "require_message_authenticator",
    "realm",
    "domain",
    "called_id",
    "nas_port",
    "state_dir",
];
const MAX_WAIT_KEYS: &[&str] = &["login", "ppp", "accounting"];
const SERVER_KEYS: &[&str] = &[
    "address",
    "secret",
    "secret_file",
    "auth_port",
    "acct_port",
    "protocol",
    "certificate",
    "private_key",
    "ca_file",
    "server_name",
    "services",
    "accounting_backup",
    "timeout",
    "require_message_authenticator",
    "status_server",
];
const REGISTRY_KEYS: &[&str] = &["unregistered_user_policies", "bound_cidrs", "store"];
const USER_KEYS: &[&str] = &["policies", "bound_cidrs"];
const PPP_KEYS: &[&str] = &["order", "pap_secrets", "chap_secrets", "interim_floor", "radattr_dir", "control_poll"];
const SESSIONS_KEYS: &[&str] = &["dir"];
const INCOMING_KEYS: &[&str] = &[
    "accept",
    "port",
    "listen",
    "vrf",
    "require_message_authenticator",
    "event_timestamp_window",
    "require_event_timestamp",
    "client",
    "coa_hook",
    "hook_timeout",
    "stale_check",
];
const INCOMING_CLIENT_KEYS: &[&str] = &["address", "secret", "secret_file"];
const ACCOUNTING_KEYS: &[&str] = &["spool", "spool_dir", "spool_max_records", "drain_interval"];

/// The keys `struct_name` reads, for the reference's check that each
/// documented field is read: (struct, keys).
#[cfg(test)]
pub(super) const KEYS: &[(&str, &[&str])] = &[
    ("ConfigFile", FILE_KEYS),
    ("ClientSection", CLIENT_KEYS),
    ("MaxWait", MAX_WAIT_KEYS),
    ("ServerSection", SERVER_KEYS),
    ("RegistrySection", REGISTRY_KEYS),
    ("UserSection", USER_KEYS),
    ("PppSection", PPP_KEYS),
    ("SessionsSection", SESSIONS_KEYS),
    ("IncomingSection", INCOMING_KEYS),
    ("IncomingClientSection", INCOMING_CLIENT_KEYS),
    ("AccountingSection", ACCOUNTING_KEYS),
];


/// A whole configuration file's text.
pub fn config_file(text: &str) -> Result<ConfigFile, ReadError> {
    config_tables(text).map_err(|e| *e)
}

fn config_tables(text: &str) -> Result<ConfigFile, Failed> {
    let root = parse(text)?;
    let t = Table::new(&root, String::new(), FILE_KEYS)?;
    Ok(ConfigFile {
        client: t.table("client", CLIENT_KEYS, client)?.unwrap_or_default(),
        servers: t.tables("server", SERVER_KEYS, server)?,
        registry: t.table("registry", REGISTRY_KEYS, registry)?,
        users: t.named_tables("users", USER_KEYS, user)?,
        ppp: t.table("ppp", PPP_KEYS, ppp)?.unwrap_or_default(),
        sessions: t.table("sessions", SESSIONS_KEYS, sessions)?.unwrap_or_default(),
        incoming: t.table("incoming", INCOMING_KEYS, incoming)?.unwrap_or_default(),
        accounting: t.table("accounting", ACCOUNTING_KEYS, accounting)?.unwrap_or_default(),
    })
}

/// A user's own file in the user store: the keys of `[users.NAME]`.
pub fn user_file(text: &str) -> Result<UserSection, ReadError> {
    let root = parse(text)?;
    Table::new(&root, String::new(), USER_KEYS).and_then(|t| user(&t)).map_err(|e| *e)
}

/// The text as TOML; a syntax error is placed by its span (its key is
/// found by the caller, which has the text).
fn parse(text: &str) -> Result<Value<'_>, ReadError> {
    DeTable::parse(text)
        .map(|t| {
            let span = t.span();
            Spanned::new(span, DeValue::Table(t.into_inner()))
        })
        .map_err(|e| ReadError { span: e.span(), key: String::new(), message: e.message().trim().to_string() })
}

fn client(t: &Table) -> Result<ClientSection, Failed> {
    let d = ClientSection::default();
    Ok(ClientSection {
        nas_identifier: t.get("nas_identifier")?,
        nas_ip_address: t.get("nas_ip_address")?,
        src_address: t.get("src_address")?,
        timeout: t.or("timeout", d.timeout)?,
        retries: t.or("retries", d.retries)?,
        max_wait: t.table("max_wait", MAX_WAIT_KEYS, max_wait)?.unwrap_or(d.max_wait),
        dead_time: t.or("dead_time", d.dead_time)?,
        require_message_authenticator: t.or("require_message_authenticator", d.require_message_authenticator)?,
        realm: t.or("realm", d.realm)?,
        domain: t.or("domain", d.domain)?,
        called_id: t.or("called_id", d.called_id)?,
        nas_port: t.or("nas_port", d.nas_port)?,
        state_dir: t.or("state_dir", d.state_dir)?,
    })
}

fn max_wait(t: &Table) -> Result<MaxWait, Failed> {
    let d = MaxWait::default();
    Ok(MaxWait { login: t.or("login", d.login)?, ppp: t.or("ppp", d.ppp)?, accounting: t.or("accounting", d.accounting)? })
}

fn server(t: &Table) -> Result<ServerSection, Failed> {
    Ok(ServerSection {
        address: t.required("address")?,
        secret: t.get("secret")?,
        secret_file: t.get("secret_file")?,
        auth_port: t.get("auth_port")?,
        acct_port: t.get("acct_port")?,
        protocol: t.or("protocol", Protocol::default())?,
        certificate: t.get("certificate")?,
        private_key: t.get("private_key")?,
        ca_file: t.get("ca_file")?,
        server_name: t.get("server_name")?,
        services: t.or("services", vec![Service::Login, Service::Ppp])?,
        accounting_backup: t.or("accounting_backup", false)?,
        timeout: t.get("timeout")?,
        require_message_authenticator: t.get("require_message_authenticator")?,
        status_server: t.or("status_server", true)?,
    })
}

fn registry(t: &Table) -> Result<RegistrySection, Failed> {
    Ok(RegistrySection {
        unregistered_user_policies: t.or("unregistered_user_policies", Vec::new())?,
        bound_cidrs: t.or("bound_cidrs", Vec::new())?,
        store: t.get("store")?,
    })
}

fn user(t: &Table) -> Result<UserSection, Failed> {
    Ok(UserSection { policies: t.or("policies", Vec::new())?, bound_cidrs: t.or("bound_cidrs", Vec::new())? })
}

fn ppp(t: &Table) -> Result<PppSection, Failed> {
    let d = PppSection::default();
    Ok(PppSection {
        order: t.or("order", d.order)?,
        pap_secrets: t.or("pap_secrets", d.pap_secrets)?,
        chap_secrets: t.or("chap_secrets", d.chap_secrets)?,
        interim_floor: t.or("interim_floor", d.interim_floor)?,
        radattr_dir: t.or("radattr_dir", d.radattr_dir)?,
        control_poll: t.or("control_poll", d.control_poll)?,
    })
}

fn sessions(t: &Table) -> Result<SessionsSection, Failed> {
    Ok(SessionsSection { dir: t.or("dir", SessionsSection::default().dir)? })
}

fn incoming(t: &Table) -> Result<IncomingSection, Failed> {
    let d = IncomingSection::default();
    Ok(IncomingSection {
        accept: t.or("accept", d.accept)?,
        port: t.or("port", d.port)?,
        listen: t.or("listen", d.listen)?,
        vrf: t.or("vrf", d.vrf)?,
        require_message_authenticator: t.or("require_message_authenticator", d.require_message_authenticator)?,
        event_timestamp_window: t.or("event_timestamp_window", d.event_timestamp_window)?,
        require_event_timestamp: t.or("require_event_timestamp", d.require_event_timestamp)?,
        clients: t.tables("client", INCOMING_CLIENT_KEYS, incoming_client)?,
        coa_hook: t.get("coa_hook")?,
        hook_timeout: t.or("hook_timeout", d.hook_timeout)?,
        stale_check: t.or("stale_check", d.stale_check)?,
    })
}

fn incoming_client(t: &Table) -> Result<IncomingClientSection, Failed> {
    Ok(IncomingClientSection { address: t.required("address")?, secret: t.get("secret")?, secret_file: t.get("secret_file")? })
}

fn accounting(t: &Table) -> Result<AccountingSection, Failed> {
    let d = AccountingSection::default();
    Ok(AccountingSection {
        spool: t.or("spool", d.spool)?,
        spool_dir: t.or("spool_dir", d.spool_dir)?,
        spool_max_records: t.or("spool_max_records", d.spool_max_records)?,
        drain_interval: t.or("drain_interval", d.drain_interval)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(text: &str) -> ReadError {
        config_file(text).expect_err(text)
    }

    /// The line an error's span starts on.
    fn line(text: &str, e: &ReadError) -> usize {
        text[..e.span.clone().expect("a span").start].matches('\n').count() + 1
    }

    /// Every table's keys are checked, however deep, and the one refused
    /// is named by its whole key path and placed on its line.
    #[test]
    fn unknown_keys_are_refused_at_every_depth() {
        let cases = [
            ("[client]\ntimeout = \"1s\"\ntimeuot = \"2s\"\n", "client.timeuot", 3),
            ("[client.max_wait]\nlogin = \"5s\"\nsms = \"1s\"\n", "client.max_wait.sms", 3),
            ("[[server]]\naddress = \"a\"\n[[server]]\naddress = \"b\"\nport = 1\n", "server[1].port", 5),
            ("[[incoming.client]]\naddress = \"127.0.0.1\"\nkey = \"x\"\n", "incoming.client[0].key", 3),
            ("[users.bob]\npolicies = []\npolicy = \"admin\"\n", "users.bob.policy", 3),
            ("colour = \"blue\"\n", "colour", 1),
        ];
        for (text, key, at) in cases {
            let e = error(text);
            assert_eq!(e.key, key, "{text}");
            assert!(e.message.starts_with(&format!("unknown field `{}`, expected", key.rsplit('.').next().unwrap())), "{e:?}");
            assert_eq!(line(text, &e), at, "{e:?}");
        }
    }

    /// A value of the wrong type or out of range is refused with what was
    /// expected, under its key.
    #[test]
    fn wrong_values_say_what_was_expected() {
        let cases = [
            ("[[server]]\naddress = \"a\"\nauth_port = 70000\n", "server[0].auth_port", "expected an integer from 0 to 65535"),
            ("[[server]]\naddress = \"a\"\nauth_port = -1\n", "server[0].auth_port", "expected an integer from 0 to 65535"),
            ("[[server]]\naddress = \"a\"\nauth_port = \"1812\"\n", "server[0].auth_port", "invalid type: a string"),
            ("[[server]]\naddress = \"a\"\nservices = [\"login\", \"ssh\"]\n", "server[0].services", "unknown variant `ssh`, expected one of `login` or `ppp`"),
            ("[[server]]\naddress = \"a\"\nprotocol = \"tcp\"\n", "server[0].protocol", "unknown variant `tcp`"),
            ("[client]\nrequire_message_authenticator = \"yes\"\n", "client.require_message_authenticator", "expected a boolean"),
            ("[client]\nnas_ip_address = \"10.0.0.300\"\n", "client.nas_ip_address", "is not an IP address"),
            ("[registry]\nbound_cidrs = [\"10.0.0.0/33\"]\n", "registry.bound_cidrs", "is not a network"),
            ("[client]\ntimeout = \"3 weeks\"\n", "client.timeout", "unknown unit"),
            ("[ppp]\norder = \"local\"\n", "ppp.order", "expected an array"),
            ("client = 5\n", "client", "expected a table"),
            ("[[server]]\nsecret = \"s\"\n", "server[0]", "missing field `address`"),
        ];
        for (text, key, message) in cases {
            let e = error(text);
            assert_eq!(e.key, key, "{text}");
            assert!(e.message.contains(message), "{text}: {}", e.message);
        }
    }

    /// What the file does not set takes the documented default; what it
    /// sets is read, in every table.
    #[test]
    fn set_keys_are_read_and_the_rest_defaulted() {
        let text = "[client]\nretries = +4\nnas_port = 0x20\n[client.max_wait]\nppp = \"7s\"\n\
                    [[server]]\naddress = \"127.0.0.1\"\nservices = [\"ppp\"]\nstatus_server = false\ntimeout = \"250ms\"\n\
                    [users.bob]\npolicies = [\"admin\"]\nbound_cidrs = [\"10.0.0.0/8\"]\n\
                    [incoming]\naccept = true\nlisten = [\"::1\"]\n[[incoming.client]]\naddress = \"127.0.0.2\"\nsecret = \"x\"\n\
                    [accounting]\nspool_max_records = 1_000_000\n";
        let f = config_file(text).unwrap();
        assert_eq!((f.client.retries, f.client.nas_port, f.client.timeout), (4, 32, Duration::from_millis(300)));
        assert_eq!((f.client.max_wait.ppp, f.client.max_wait.login), (Duration::from_secs(7), Duration::from_secs(60)));
        let s = &f.servers[0];
        assert_eq!((s.services.as_slice(), s.status_server, s.timeout, s.protocol), (&[Service::Ppp][..], false, Some(Duration::from_millis(250)), Protocol::Udp));
        assert_eq!(f.users["bob"].policies, ["admin"]);
        assert_eq!(f.users["bob"].bound_cidrs[0].to_string(), "10.0.0.0/8");
        assert!(f.incoming.accept && f.incoming.listen == [IpAddr::from(std::net::Ipv6Addr::LOCALHOST)]);
        assert_eq!((f.incoming.port, f.incoming.clients[0].address), (1700, IpAddr::from([127, 0, 0, 2])));
        assert_eq!((f.accounting.spool_max_records, f.accounting.spool), (1_000_000, true));
        assert_eq!(f.ppp.order, [SecretSource::Local, SecretSource::Radius]);
        assert!(f.registry.is_none() && f.sessions.dir == SessionsSection::default().dir);
    }

    /// A user store file holds the keys of `[users.NAME]` and nothing else.
    #[test]
    fn user_files() {
        assert_eq!(user_file("policies = [\"a\", \"b\"]\n").unwrap().policies, ["a", "b"]);
        assert_eq!(user_file("policies = [\"a\"]\nshell = \"/bin/sh\"\n").unwrap_err().key, "shell");
        assert!(user_file("policies = [\"a\"\n").unwrap_err().span.is_some());
    }
}

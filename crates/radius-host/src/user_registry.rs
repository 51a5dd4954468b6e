//! The local user registry (the OpenBao RADIUS auth model): users mapped to
//! policies, policies for users RADIUS accepts but the registry does not
//! name, and the networks a login may come from.
//!
//! The registry is in force only when the configuration has a
//! `[registry]` or a `[users.NAME]` table; without one (a plain server
//! list, or a pam_radius_auth file) RADIUS alone decides.

use crate::user_store::{UserStore, DEFAULT_STORE};
use radius_core::config::{Config, RegistrySection, UserSection};
use ipnet::IpNet;
use std::collections::BTreeMap;
use std::net::IpAddr;

/// Why the registry refuses a login RADIUS may have accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// Unregistered, and no `unregistered_user_policies`.
    #[error("user `{0}` is not in the registry and no unregistered_user_policies are configured")]
    Unregistered(String),
    /// The user store could not be read (fail closed).
    #[error("{0}")]
    Store(String),
    /// The login comes from outside `bound_cidrs`.
    #[error("user `{user}` may not log in from {source_host}: not in bound_cidrs")]
    OutsideBoundCidrs {
        /// Who.
        user: String,
        /// PAM_RHOST.
        source_host: String,
    },
    /// `bound_cidrs` is set but the service gave no remote host to check.
    #[error("user `{0}`: bound_cidrs is set but the login has no remote host (PAM_RHOST) to check")]
    NoRemoteHost(String),
    /// The remote host is a name, not an address, so it cannot be checked.
    #[error("user `{user}`: remote host `{source_host}` is not an IP address, so bound_cidrs cannot be checked")]
    RemoteHostNotAnAddress {
        /// Who.
        user: String,
        /// PAM_RHOST.
        source_host: String,
    },
}

/// The policies a login gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policies {
    /// Policy names, in configured order.
    pub names: Vec<String>,
    /// True when the user is in `[users]`.
    pub registered: bool,
}

impl Policies {
    /// `a,b,c`, as exported in `RADIUS_POLICIES`.
    pub fn joined(&self) -> String {
        self.names.join(",")
    }
}

/// The registry, as configured.
#[derive(Debug, Clone, Default)]
pub struct Registry {
    in_force: bool,
    users: BTreeMap<String, UserSection>,
    defaults: RegistrySection,
    store: Option<UserStore>,
}

impl Registry {
    /// A registry from the configuration's `[registry]` and `[users]`;
    /// `in_force` when either table was written.
    pub fn new(defaults: RegistrySection, users: BTreeMap<String, UserSection>, in_force: bool) -> Self {
        Registry { in_force, users, defaults, store: None }
    }

    /// The same, also looking users up in `store` (after the tables).
    pub fn with_store(mut self, store: UserStore) -> Self {
        self.store = Some(store);
        self
    }

    /// The store it looks users up in, if any.
    pub fn store(&self) -> Option<&UserStore> {
        self.store.as_ref()
    }

    /// A user: from the `[users]` tables, else from the store.
    fn user(&self, name: &str) -> Result<Option<UserSection>, Refusal> {
        if let Some(u) = self.users.get(name) {
            return Ok(Some(u.clone()));
        }
        match &self.store {
            Some(store) => store.get(name).map_err(|e| Refusal::Store(e.to_string())),
            None => Ok(None),
        }
    }

    /// The registry of a loaded configuration: in force when it has a
    /// `[registry]` or a `[users.NAME]` table.
    pub fn from_config(config: &Config) -> Self {
        let tables = &config.user_tables;
        let in_force = tables.registry.is_some() || !tables.users.is_empty();
        let defaults = tables.registry.clone().unwrap_or_default();
        let store = UserStore::new(defaults.store.clone().unwrap_or_else(|| DEFAULT_STORE.into()));
        Registry::new(defaults, tables.users.clone(), in_force).with_store(store)
    }

    /// True when the configuration has a registry at all.
    pub fn in_force(&self) -> bool {
        self.in_force
    }

    /// Registered user names, sorted, starting after `after`, at most `limit`.
    pub fn list(&self, after: Option<&str>, limit: usize) -> Vec<&str> {
        self.users
            .keys()
            .map(String::as_str)
            .filter(|u| after.is_none_or(|a| *u > a))
            .take(limit)
            .collect()
    }

    /// `user` looked up once (the tables, then the store), for both
    /// questions a login asks: where he may come from, then his policies.
    pub fn entry(&self, user: &str) -> Result<Entry<'_>, Refusal> {
        Ok(Entry { registry: self, user: user.to_string(), found: self.user(user)? })
    }

    /// The policies of an accepted `user`.
    pub fn policies_for(&self, user: &str) -> Result<Policies, Refusal> {
        self.entry(user)?.policies()
    }

    /// Checks where a login comes from against the user's `bound_cidrs`
    /// (or the registry's). No limit configured: anywhere.
    pub fn check_source(&self, user: &str, remote_host: Option<&str>) -> Result<(), Refusal> {
        self.entry(user)?.check_source(remote_host)
    }
}

/// One user as the registry found him (or did not).
#[derive(Debug, Clone)]
pub struct Entry<'a> {
    registry: &'a Registry,
    user: String,
    found: Option<UserSection>,
}

impl Entry<'_> {
    /// His policies once RADIUS accepted him.
    pub fn policies(&self) -> Result<Policies, Refusal> {
        if let Some(entry) = &self.found {
            return Ok(Policies { names: entry.policies.clone(), registered: true });
        }
        let defaults = &self.registry.defaults;
        if defaults.unregistered_user_policies.is_empty() {
            return Err(Refusal::Unregistered(self.user.clone()));
        }
        Ok(Policies { names: defaults.unregistered_user_policies.clone(), registered: false })
    }

    /// Checks where the login comes from against his `bound_cidrs` (or the
    /// registry's). No limit configured: anywhere.
    pub fn check_source(&self, remote_host: Option<&str>) -> Result<(), Refusal> {
        let user = self.user.as_str();
        let cidrs: &[IpNet] = match &self.found {
            Some(u) if !u.bound_cidrs.is_empty() => &u.bound_cidrs,
            _ => &self.registry.defaults.bound_cidrs,
        };
        if cidrs.is_empty() {
            return Ok(());
        }
        let host = remote_host.filter(|h| !h.is_empty()).ok_or_else(|| Refusal::NoRemoteHost(user.to_string()))?;
        let ip = parse_host(host).ok_or_else(|| Refusal::RemoteHostNotAnAddress {
            user: user.to_string(),
            source_host: host.to_string(),
        })?;
        if cidrs.iter().any(|net| net.contains(&ip)) {
            Ok(())
        } else {
            Err(Refusal::OutsideBoundCidrs { user: user.to_string(), source_host: host.to_string() })
        }
    }
}

/// An address as PAM_RHOST gives it: plain, bracketed, or IPv4-mapped IPv6.
fn parse_host(host: &str) -> Option<IpAddr> {
    let ip: IpAddr = host.trim_start_matches('[').trim_end_matches(']').parse().ok()?;
    Some(radius_core::config::unmapped(ip))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn registry() -> Registry {
        let mut users = BTreeMap::new();
        users.insert("alice".into(), UserSection { policies: vec!["admin".into(), "ops".into()], bound_cidrs: vec![] });
        users.insert(
            "bob".into(),
            UserSection { policies: vec!["dev".into()], bound_cidrs: vec!["192.0.2.0/24".parse().unwrap()] },
        );
        let defaults = RegistrySection {
            unregistered_user_policies: vec!["guest".into()],
            bound_cidrs: vec!["127.0.0.0/8".parse().unwrap(), "::1/128".parse().unwrap()],
            store: None,
        };
        Registry::new(defaults, users, true)
    }

    #[test]
    fn registered_and_unregistered_policies() {
        let r = registry();
        assert_eq!(r.policies_for("alice").unwrap().joined(), "admin,ops");
        let guest = r.policies_for("carol").unwrap();
        assert_eq!((guest.joined().as_str(), guest.registered), ("guest", false));
        let strict = Registry::new(RegistrySection::default(), BTreeMap::new(), true);
        assert_eq!(strict.policies_for("carol"), Err(Refusal::Unregistered("carol".into())));
    }

    #[test]
    fn bound_cidrs_per_user_then_default() {
        let r = registry();
        assert!(r.check_source("alice", Some("127.0.0.5")).is_ok());
        assert!(r.check_source("alice", Some("::ffff:127.0.0.1")).is_ok());
        assert!(r.check_source("alice", Some("::1")).is_ok());
        assert!(matches!(r.check_source("alice", Some("10.1.1.1")), Err(Refusal::OutsideBoundCidrs { .. })));
        assert!(r.check_source("bob", Some("192.0.2.9")).is_ok());
        assert!(r.check_source("bob", Some("127.0.0.1")).is_err(), "bob's own list replaces the default");
        assert_eq!(r.check_source("alice", None), Err(Refusal::NoRemoteHost("alice".into())));
        assert!(matches!(r.check_source("alice", Some("host.example")), Err(Refusal::RemoteHostNotAnAddress { .. })));
        assert!(Registry::default().check_source("x", None).is_ok(), "no bound_cidrs: anywhere");
    }

    /// The registry of a TOML configuration is in force with either table,
    /// and not without.
    #[test]
    fn from_config_tables() {
        let text = "[[server]]\naddress = \"127.0.0.1\"\nsecret = \"a-long-enough-secret\"\n\
                    [registry]\nunregistered_user_policies = [\"guest\"]\nbound_cidrs = [\"10.0.0.0/8\"]\n\
                    [users.alice]\npolicies = [\"admin\"]\n";
        let path = std::path::Path::new("/r.toml");
        let r = Registry::from_config(&Config::from_toml(text, path).unwrap());
        assert!(r.in_force());
        assert_eq!(r.policies_for("alice").unwrap().joined(), "admin");
        assert_eq!(r.policies_for("bob").unwrap().joined(), "guest");
        assert!(r.check_source("bob", Some("10.2.3.4")).is_ok());
        let only_users = Config::from_toml("[[server]]\naddress = \"127.0.0.1\"\nsecret = \"a-long-enough-secret\"\n[users.x]\npolicies = []\n", path).unwrap();
        assert!(Registry::from_config(&only_users).in_force());
        let plain = Config::from_toml("[[server]]\naddress = \"127.0.0.1\"\nsecret = \"a-long-enough-secret\"\n", path).unwrap();
        assert!(!Registry::from_config(&plain).in_force());
    }

    /// Users from the store count as registered, after the tables; a store
    /// that cannot be trusted refuses the login instead of guessing.
    #[test]
    fn store_users_after_the_tables() {
        let dir = tempfile::tempdir().unwrap();
        let store = UserStore::new(dir.path().join("users"));
        store.put("carol", &UserSection { policies: vec!["store-policy".into()], bound_cidrs: vec!["10.0.0.0/8".parse().unwrap()] }, false).unwrap();
        store.put("alice", &UserSection { policies: vec!["not-this".into()], bound_cidrs: vec![] }, false).unwrap();
        let r = registry().with_store(store);
        let carol = r.policies_for("carol").unwrap();
        assert_eq!((carol.joined().as_str(), carol.registered), ("store-policy", true));
        assert_eq!(r.policies_for("alice").unwrap().joined(), "admin,ops", "the tables first");
        assert!(r.check_source("carol", Some("10.1.2.3")).is_ok() && r.check_source("carol", Some("127.0.0.1")).is_err());
        assert_eq!(r.policies_for("dave").unwrap().joined(), "guest");
        std::fs::set_permissions(dir.path().join("users"), std::os::unix::fs::PermissionsExt::from_mode(0o777)).unwrap();
        assert!(matches!(r.policies_for("dave"), Err(Refusal::Store(_))), "a world-writable store is not trusted");
    }

    #[test]
    fn list_pages_with_after_and_limit() {
        let r = registry();
        assert_eq!(r.list(None, 10), vec!["alice", "bob"]);
        assert_eq!(r.list(Some("alice"), 10), vec!["bob"]);
        assert_eq!(r.list(None, 1), vec!["alice"]);
    }
}

//! What one pppd remembers between pppd's calls: the configuration and
//! RADIUS client (loaded at first use), who authenticated the peer of the
//! current link and what was granted, and the running session.
//!
//! pppd runs one session per process on one thread, so the plugin keeps a
//! single [`State`] (a thread-local in `lib.rs`); every function here takes
//! it explicitly, so the tests make their own.

use crate::grant::Grant;
use crate::settings::{self, Settings};
use radius_core::log::Level;
use radius_core::ppp_session::PppSession;
use radius_host::allowed_addresses::AllowedAddresses;
use radius_host::sessions::SessionDir;
use radius_core::Radius;
use std::cell::OnceCell;
use radius_ffi::pppd::{Ipv6Route, PppdHost};
use radius_core::spool::{Held, LazySpool};
use std::time::Instant;

/// The configuration and the client to reach RADIUS with.
pub struct Setup {
    /// The RADIUS client.
    pub radius: Box<dyn Radius>,
    /// The configuration and the avpair options.
    pub settings: Settings,
    sessions: OnceCell<Result<SessionDir, String>>,
    /// The accounting spool, opened when a record first needs it.
    pub spool: LazySpool,
}

impl Setup {
    /// A setup of `radius` and `settings`.
    pub fn new(radius: Box<dyn Radius>, settings: Settings) -> Setup {
        let spool = LazySpool::new(&settings.config.accounting);
        Setup { radius, settings, sessions: OnceCell::new(), spool }
    }

    /// The session registry (opened and checked once).
    pub fn sessions(&self) -> Result<&SessionDir, String> {
        self.sessions
            .get_or_init(|| SessionDir::open(&self.settings.config.sessions.dir, &self.settings.config.client.state_dir).map_err(|e| e.to_string()))
            .as_ref()
            .map_err(Clone::clone)
    }
}

impl std::fmt::Debug for Setup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Setup").field("config", &self.settings.config.path).finish_non_exhaustive()
    }
}

/// Who decided the peer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decider {
    /// Local secrets, with the entry's allowed addresses.
    Local {
        /// The addresses column of the chap-secrets line; `None` for PAP
        /// (pppd applies pap-secrets' itself) and for a line without one
        /// (pppd decides).
        addresses: Option<AllowedAddresses>,
    },
    /// RADIUS, and what it granted.
    Radius {
        /// The grant.
        grant: Grant,
    },
}

/// The peer of the current link, once authenticated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authenticated {
    /// The User-Name (as sent to RADIUS, or the local name).
    pub user: String,
    /// Who decided.
    pub by: Decider,
}

/// The running session (IP up until IP down).
#[derive(Debug)]
pub struct Running {
    /// The session, as the registry keeps it.
    pub session: PppSession,
    /// When IP came up.
    pub started: Instant,
    /// Acct-Interim-Interval in force (seconds).
    pub interim: Option<u32>,
    /// Idle-Timeout in force (seconds).
    pub idle_timeout: Option<u32>,
    /// How often the control file is looked for (seconds).
    pub control_poll: u32,
    /// Acct-Terminate-Cause radius-rs-dmd asked for (Admin-Reset).
    pub terminate_cause: Option<u32>,
    /// Whether the session has records waiting in the accounting spool.
    pub spool_held: Held,
}

/// Makes the RADIUS client for a configuration.
pub type Connect = fn(&radius_core::Config) -> Box<dyn Radius>;

/// Everything the plugin keeps.
#[derive(Debug)]
pub struct State {
    setup: Option<Result<Setup, String>>,
    connect: Connect,
    /// The current link's authenticated peer.
    pub auth: Option<Authenticated>,
    /// The running session.
    pub running: Option<Running>,
    /// IPv6 routes the plugin added through the link (removed at IPv6 down).
    pub routes6: Vec<Ipv6Route>,
}

impl State {
    /// A state that loads its setup at first use and reaches RADIUS
    /// through what `connect` makes.
    pub fn new(connect: Connect) -> State {
        State { setup: None, connect, auth: None, running: None, routes6: Vec::new() }
    }

    /// A state with `setup` already loaded (tests).
    pub fn with_setup(setup: Setup) -> State {
        State { setup: Some(Ok(setup)), ..State::new(|_| panic!("the setup is given")) }
    }

    /// The setup, loaded at first use from pppd's options; `None` (logged)
    /// when the configuration cannot be used.
    pub fn setup(&mut self, host: &impl PppdHost) -> Option<&mut Setup> {
        let connect = self.connect;
        let setup = self.setup.get_or_insert_with(|| load(host, connect));
        match setup {
            Ok(s) => Some(s),
            Err(e) => {
                host.log(Level::Error, &format!("{e}; refusing every peer until it is fixed"));
                None
            }
        }
    }

    /// The setup if it was loaded and is usable.
    pub fn loaded(&mut self) -> Option<&mut Setup> {
        self.setup.as_mut().and_then(|s| s.as_mut().ok())
    }

    /// The loaded setup and the running session, at once.
    pub fn parts(&mut self) -> (Option<&mut Setup>, &mut Option<Running>) {
        (self.setup.as_mut().and_then(|s| s.as_mut().ok()), &mut self.running)
    }

    /// A new link begins (pppd's `persist`/`demand` run several links in one
    /// process): nothing of the previous peer's authentication carries over.
    pub fn new_link(&mut self) {
        self.auth = None;
    }
}

fn load(host: &impl PppdHost, connect: Connect) -> Result<Setup, String> {
    let path = settings::choose(host.config_path(), host.radiusclient_path(), |p| std::path::Path::new(p).exists());
    let settings = settings::load(path, &host.avpairs())?;
    for w in &settings.config.warnings {
        host.log(Level::Warning, &w.0);
    }
    Ok(Setup::new(connect(&settings.config), settings))
}

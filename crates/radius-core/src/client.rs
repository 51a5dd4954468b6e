//! The high-level API every artifact uses: authenticate (with
//! Access-Challenge rounds) and send accounting.

use crate::accounting::AccountingRecord;
use crate::auth::{mppe, mschap, Credentials, Method};
use crate::config::{unmapped, Config, Server, Service};
use crate::counters::Counters;
use crate::log::{Level, Log};
use crate::packet::attr::{self, ms};
use crate::packet::request::{self, EncodeError};
use crate::packet::{code, AttributeList, EncodedRequest, Reply, RequestKind};
use crate::secret::Secret;
use crate::state::kept::KeptState;
use crate::state::{FileState, SharedState};
use crate::transport::{self, system::SystemNetwork, ExchangeContext, ExchangeError, Network, RequestFactory};
use std::borrow::Cow;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// What the user is asked in an Access-Challenge round.
#[derive(Debug, Clone)]
pub struct ChallengePrompt {
    /// Reply-Message lines from the server.
    pub messages: Vec<String>,
    /// The server's Prompt attribute: `Some(true)` echo the answer,
    /// `Some(false)` hide it, `None` the server said nothing.
    pub echo: Option<bool>,
    /// Round number, from 1.
    pub round: u32,
}

/// Answers Access-Challenge rounds (an OTP prompt, a PAM conversation).
pub trait ChallengeResponder {
    /// The answer to send, or `None` to give up.
    fn respond(&mut self, prompt: &ChallengePrompt) -> Option<Secret>;
}

/// A responder for services that cannot answer challenges: gives up.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoChallenge;

impl ChallengeResponder for NoChallenge {
    fn respond(&mut self, _: &ChallengePrompt) -> Option<Secret> {
        None
    }
}

/// One authentication to perform.
#[derive(Debug, Clone)]
pub struct AuthRequest {
    /// The user as typed (realm/domain rules are applied here).
    pub user: String,
    /// The proof.
    pub credentials: Credentials,
    /// The service whose servers are asked.
    pub service: Service,
    /// Extra attributes (Service-Type, NAS-Port-Type, Calling-Station-Id, …).
    pub attributes: AttributeList,
    /// NAS-Port; `client.nas_port` when `None`.
    pub nas_port: Option<u32>,
    /// Called-Station-Id; `client.called_id` when `None`.
    pub called_station_id: Option<String>,
    /// NAS-Identifier; `client.nas_identifier` when `None`.
    pub nas_identifier: Option<String>,
    /// How many Access-Challenge rounds to answer at most.
    pub max_challenge_rounds: u32,
}

impl AuthRequest {
    /// A request for `user` with `credentials` for `service`, defaults elsewhere.
    pub fn new(user: &str, credentials: Credentials, service: Service) -> Self {
        AuthRequest {
            user: user.to_string(),
            credentials,
            service,
            attributes: AttributeList::new(),
            nas_port: None,
            called_station_id: None,
            nas_identifier: None,
            max_challenge_rounds: 5,
        }
    }
}

/// How an authentication ended.
#[derive(Debug)]
pub enum AuthOutcome {
    /// Access-Accept.
    Accept {
        /// The reply.
        reply: Reply,
        /// The server that accepted.
        server_index: usize,
    },
    /// Access-Reject.
    Reject {
        /// The reply.
        reply: Reply,
        /// The server that rejected.
        server_index: usize,
    },
}

impl AuthOutcome {
    /// The reply, accepted or not.
    pub fn reply(&self) -> &Reply {
        match self {
            AuthOutcome::Accept { reply, .. } | AuthOutcome::Reject { reply, .. } => reply,
        }
    }

    /// True for Access-Accept.
    pub fn is_accept(&self) -> bool {
        matches!(self, AuthOutcome::Accept { .. })
    }
}

/// Why no decision was reached.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// No server is configured for the service.
    #[error("no RADIUS server is configured for service `{}`", .0.as_str())]
    NoServer(Service),
    /// Every server failed.
    #[error("{0}")]
    Unreachable(transport::ExchangeFailed),
    /// The request could not be encoded.
    #[error(transparent)]
    Encode(#[from] EncodeError),
    /// More Access-Challenge rounds than allowed.
    #[error("the server sent more than {0} Access-Challenge rounds")]
    TooManyChallenges(u32),
    /// The responder gave no answer to a challenge.
    #[error("Access-Challenge left unanswered")]
    ChallengeUnanswered,
    /// An accounting record reached no server; the caller keeps it.
    #[error("accounting record not delivered: {0}")]
    AccountingUndelivered(transport::ExchangeFailed),
}

fn map_exchange(e: ExchangeError, service: Service) -> ClientError {
    match e {
        ExchangeError::NoServer => ClientError::NoServer(service),
        ExchangeError::Encode(e) => ClientError::Encode(e),
        ExchangeError::Failed(f) => ClientError::Unreachable(f),
    }
}

/// Everything an exchange reads besides the network, kept apart from it so
/// both can be borrowed at once.
struct Shared {
    config: Arc<Config>,
    state: Box<dyn SharedState>,
    log: Box<dyn Log>,
}

impl Shared {
    fn context(&self, max_wait: Duration) -> ExchangeContext<'_> {
        ExchangeContext {
            state: self.state.as_ref(),
            log: self.log.as_ref(),
            src_address: self.config.src_address,
            retries: self.config.client.retries,
            dead_time: self.config.client.dead_time,
            max_wait,
            nas_identifier: self.config.client.nas_identifier.as_deref(),
        }
    }

    /// The server at `index` in the configuration, as a list to try.
    fn only(&self, index: usize) -> Vec<&Server> {
        self.config.servers.iter().filter(|s| s.index == index).collect()
    }
}

/// The RADIUS client: configuration, network, shared state, log.
pub struct Client<N: Network = SystemNetwork> {
    network: N,
    shared: Shared,
}

impl<N: Network> std::fmt::Debug for Client<N> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client").field("config", &self.shared.config.path).finish_non_exhaustive()
    }
}

impl Client<SystemNetwork> {
    /// A client on real sockets (UDP, or TLS to RadSec servers), sharing counters and marks with every
    /// process under `[client] state_dir` (a directory that fails the
    /// checks is not used, with one log line saying why).
    pub fn new(config: impl Into<Arc<Config>>, log: Box<dyn Log>) -> Self {
        let config = config.into();
        let state = Arc::new(FileState::open(&config.client.state_dir));
        Client::on_state(config, state, log)
    }

    /// As [`Client::new`], for a module that a long-lived host calls again
    /// and again (PAM): the state directory's descriptors are kept from one
    /// client to the next while they hold ([`crate::state::kept`]), and
    /// checked while the first request is out (a state directory that
    /// fails the checks is said once, then); so is a UDP socket that served
    /// an exchange as expected ([`crate::transport::kept_udp`]).
    pub fn with_kept_state(config: impl Into<Arc<Config>>, log: Box<dyn Log>) -> Self {
        let config = config.into();
        let state = KeptState::new(&config.client.state_dir);
        let retries = config.client.retries;
        Client::with_network(config, SystemNetwork::keeping_udp_sockets(retries), Box::new(state), log)
    }

    fn on_state(config: Arc<Config>, state: Arc<FileState>, log: Box<dyn Log>) -> Self {
        if let Some(problem) = state.problem() {
            log.log(Level::Warning, &crate::state::unshared(problem));
        }
        let retries = config.client.retries;
        Client::with_network(config, SystemNetwork::new(retries), Box::new(state), log)
    }
}

/// `attributes`, with NAS-IP-Address / NAS-IPv6-Address of the address
/// the request goes out from when they carry neither (as RouterOS sends
/// its source address): known without a name lookup, and the address the
/// server sees.
fn with_source_address<'x>(attributes: &'x AttributeList, source: &mut dyn FnMut() -> Option<IpAddr>) -> Cow<'x, AttributeList> {
    if attributes.contains(attr::NAS_IP_ADDRESS) || attributes.contains(attr::NAS_IPV6_ADDRESS) {
        return Cow::Borrowed(attributes);
    }
    match source() {
        Some(ip) => {
            let mut with = attributes.clone();
            with.nas_address(unmapped(ip));
            Cow::Owned(with)
        }
        None => Cow::Borrowed(attributes),
    }
}

struct AccessFactory<'a> {
    attributes: &'a AttributeList,
    credentials: &'a Credentials,
}

impl RequestFactory for AccessFactory<'_> {
    fn encode(&mut self, server: &Server, identifier: u8, source: &mut dyn FnMut() -> Option<IpAddr>) -> Result<EncodedRequest, EncodeError> {
        let attributes = with_source_address(self.attributes, source);
        request::access_request(identifier, &attributes, self.credentials, server.secret.expose())
    }
}

struct StatusFactory<'a> {
    attributes: &'a AttributeList,
}

impl RequestFactory for StatusFactory<'_> {
    fn encode(&mut self, server: &Server, identifier: u8, _: &mut dyn FnMut() -> Option<IpAddr>) -> Result<EncodedRequest, EncodeError> {
        request::status_server(identifier, self.attributes, server.secret.expose())
    }
}

struct AccountingFactory<'a> {
    attributes: &'a AttributeList,
    record: &'a AccountingRecord,
}

impl RequestFactory for AccountingFactory<'_> {
    /// Acct-Delay-Time as of this server's turn; its resends are the same bytes.
    fn encode(&mut self, server: &Server, identifier: u8, source: &mut dyn FnMut() -> Option<IpAddr>) -> Result<EncodedRequest, EncodeError> {
        let mut attrs = with_source_address(self.attributes, source).into_owned();
        attrs.integer(attr::ACCT_DELAY_TIME, self.record.delay_at(SystemTime::now()));
        request::accounting_request(identifier, &attrs, server.secret.expose())
    }
}

impl<N: Network> Client<N> {
    /// A client on `network` with `state` (tests pass scripted ones).
    pub fn with_network(config: impl Into<Arc<Config>>, network: N, state: Box<dyn SharedState>, log: Box<dyn Log>) -> Self {
        Client { network, shared: Shared { config: config.into(), state, log } }
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.shared.config
    }

    /// The shared counters.
    pub fn counters(&self) -> Counters<'_> {
        Counters::new(self.shared.state.as_ref())
    }

    /// The server at configuration position `index`.
    pub fn server(&self, index: usize) -> Option<&Server> {
        self.shared.config.servers.iter().find(|s| s.index == index)
    }

    /// The User-Name sent for `user`: `user@realm` when a realm is set and
    /// the user typed none; `DOMAIN\user` for MS-CHAP when a domain is set.
    pub fn user_name(&self, user: &str, method: Method) -> String {
        user_name(self.config(), user, method)
    }

    /// NAS-Identifier and NAS-IP-Address / NAS-IPv6-Address.
    fn nas_attributes(&self, nas_identifier: Option<&str>) -> AttributeList {
        let c = &self.config().client;
        let mut attrs = AttributeList::new();
        if let Some(id) = nas_identifier.or(c.nas_identifier.as_deref()) {
            attrs.text(attr::NAS_IDENTIFIER, id);
        }
        if let Some(ip) = c.nas_ip_address {
            attrs.nas_address(ip);
        }
        attrs
    }

    fn base_attributes(&self, request: &AuthRequest) -> AttributeList {
        let c = &self.config().client;
        let name = self.user_name(&request.user, request.credentials.method());
        let mut attrs = AttributeList::new();
        attrs.text(attr::USER_NAME, &name);
        attrs.extend(&self.nas_attributes(request.nas_identifier.as_deref()));
        attrs.integer(attr::NAS_PORT, request.nas_port.unwrap_or(c.nas_port));
        let called = request.called_station_id.as_deref().unwrap_or(&c.called_id);
        if !called.is_empty() {
            attrs.text(attr::CALLED_STATION_ID, called);
        }
        attrs.extend(&request.attributes);
        attrs
    }


    /// Authenticates, answering Access-Challenge rounds through `responder`
    /// (each later round goes to the server that challenged, State echoed).
    pub fn authenticate(&mut self, request: &AuthRequest, responder: &mut dyn ChallengeResponder) -> Result<AuthOutcome, ClientError> {
        let base = self.base_attributes(request);
        let mut credentials = request.credentials.clone();
        let mut state: Option<Vec<u8>> = None;
        let mut only_server: Option<usize> = None;
        let mut round = 0;
        let max_wait = self.shared.config.client.max_wait.for_service(request.service);
        loop {
            let mut attributes = base.clone();
            if let Some(s) = &state {
                attributes.bytes(attr::STATE, s);
            }
            let servers = match only_server {
                Some(i) => self.shared.only(i),
                None => self.shared.config.auth_servers(request.service),
            };
            let mut factory = AccessFactory { attributes: &attributes, credentials: &credentials };
            let ctx = self.shared.context(max_wait);
            let answer = transport::exchange(&mut self.network, &ctx, &servers, RequestKind::Access, &mut factory)
                .map_err(|e| map_exchange(e, request.service))?;
            let server_index = answer.server_index;
            let reply = answer.reply;
            match reply.code {
                code::ACCESS_ACCEPT => return Ok(AuthOutcome::Accept { reply, server_index }),
                code::ACCESS_CHALLENGE => {
                    round += 1;
                    if round > request.max_challenge_rounds {
                        return Err(ClientError::TooManyChallenges(request.max_challenge_rounds));
                    }
                    let prompt = ChallengePrompt {
                        messages: reply.reply_messages(),
                        echo: reply.integer(attr::PROMPT).map(|p| p == 1),
                        round,
                    };
                    let answer = responder.respond(&prompt).ok_or(ClientError::ChallengeUnanswered)?;
                    credentials = Credentials::pap(answer);
                    state = reply.get(attr::STATE).map(<[u8]>::to_vec);
                    only_server = Some(server_index);
                }
                _ => return Ok(AuthOutcome::Reject { reply, server_index }),
            }
        }
    }

    /// Sends an accounting record to the service's servers (primaries in
    /// order, then `accounting_backup` ones). Acct-Delay-Time is set at
    /// each send, so a resend gets a new Identifier.
    pub fn account(&mut self, record: &AccountingRecord) -> Result<usize, ClientError> {
        let mut attributes = AttributeList::new();
        attributes.integer(attr::ACCT_STATUS_TYPE, record.status.value());
        // The record's own NAS-Identifier (a PAM service name) wins over the configured one.
        for (t, v) in self.nas_attributes(None).iter().filter(|(t, _)| !record.attributes.contains(*t)) {
            attributes.bytes(t, v);
        }
        attributes.extend(&record.attributes);
        if !attributes.contains(attr::EVENT_TIMESTAMP) {
            attributes.integer(attr::EVENT_TIMESTAMP, record.event_timestamp());
        }
        let servers = self.shared.config.acct_servers(record.service);
        let mut factory = AccountingFactory { attributes: &attributes, record };
        let ctx = self.shared.context(self.shared.config.client.max_wait.accounting);
        match transport::exchange(&mut self.network, &ctx, &servers, RequestKind::Accounting, &mut factory) {
            Ok(answer) => Ok(answer.server_index),
            Err(ExchangeError::Failed(f)) => Err(ClientError::AccountingUndelivered(f)),
            Err(e) => Err(map_exchange(e, record.service)),
        }
    }

    /// Asks one server whether it is alive with a Status-Server (RFC 5997)
    /// on its authentication port; the reply is checked like any other.
    pub fn status_server(&mut self, server_index: usize) -> Result<Reply, ClientError> {
        let servers = self.shared.only(server_index);
        let attributes = self.nas_attributes(None);
        let mut factory = StatusFactory { attributes: &attributes };
        let ctx = self.shared.context(self.shared.config.client.max_wait.login);
        transport::exchange(&mut self.network, &ctx, &servers, RequestKind::StatusServer, &mut factory)
            .map(|answer| answer.reply)
            .map_err(|e| map_exchange(e, Service::Login))
    }

    /// The MPPE keys in an MS-CHAPv2 Access-Accept (MS-MPPE-Send/Recv-Key),
    /// decrypted with the answering server's secret.
    pub fn mppe_keys(&self, reply: &Reply, server_index: usize) -> Result<Option<mppe::MppeKeys>, mppe::KeyError> {
        let Some(server) = self.server(server_index) else { return Ok(None) };
        let secret = server.secret.expose();
        let (Some(send), Some(recv)) = (reply.vendor(ms::VENDOR, ms::MPPE_SEND_KEY), reply.vendor(ms::VENDOR, ms::MPPE_RECV_KEY)) else {
            return Ok(None);
        };
        let send = mppe::decrypt_key(&send, secret, &reply.request_authenticator)?;
        let recv = mppe::decrypt_key(&recv, secret, &reply.request_authenticator)?;
        let take = |k: zeroize::Zeroizing<Vec<u8>>| -> Result<[u8; 16], mppe::KeyError> {
            let n = k.len();
            k.get(..16).and_then(|s| s.try_into().ok()).ok_or(mppe::KeyError::BadKeyLength(n))
        };
        Ok(Some(mppe::MppeKeys { send: take(send)?, recv: take(recv)? }))
    }

    /// The MS-CHAPv1 keys in MS-CHAP-MPPE-Keys, decrypted.
    pub fn mschap_v1_keys(&self, reply: &Reply, server_index: usize) -> Result<Option<mppe::MsChapV1Keys>, mppe::KeyError> {
        let Some(server) = self.server(server_index) else { return Ok(None) };
        match reply.vendor(ms::VENDOR, ms::CHAP_MPPE_KEYS) {
            Some(v) => mppe::decrypt_mschap_mppe_keys(&v, server.secret.expose(), &reply.request_authenticator).map(Some),
            None => Ok(None),
        }
    }
}

/// The RADIUS client as the plugins use it: the seam that lets their
/// logic be tested against a scripted client. [`Client`] is the real one.
pub trait Radius {
    /// The configuration.
    fn config(&self) -> &Config;
    /// Authenticates (see [`Client::authenticate`]).
    fn authenticate(&mut self, request: &AuthRequest, responder: &mut dyn ChallengeResponder) -> Result<AuthOutcome, ClientError>;
    /// Sends an accounting record (see [`Client::account`]).
    fn account(&mut self, record: &AccountingRecord) -> Result<usize, ClientError>;
    /// The MPPE keys of an MS-CHAPv2 Access-Accept.
    fn mppe_keys(&self, reply: &Reply, server_index: usize) -> Result<Option<mppe::MppeKeys>, mppe::KeyError>;
    /// The MS-CHAPv1 keys of an Access-Accept.
    fn mschap_v1_keys(&self, reply: &Reply, server_index: usize) -> Result<Option<mppe::MsChapV1Keys>, mppe::KeyError>;
    /// The User-Name sent for `user` (realm and domain rules).
    fn user_name(&self, user: &str, method: Method) -> String {
        user_name(self.config(), user, method)
    }
    /// The name of the server at configuration position `index`, for messages.
    fn server_name(&self, index: usize) -> String {
        self.config().servers.iter().find(|s| s.index == index).map(|s| s.name.clone()).unwrap_or_else(|| format!("#{index}"))
    }
}

impl<N: Network> Radius for Client<N> {
    fn config(&self) -> &Config {
        Client::config(self)
    }
    fn authenticate(&mut self, request: &AuthRequest, responder: &mut dyn ChallengeResponder) -> Result<AuthOutcome, ClientError> {
        Client::authenticate(self, request, responder)
    }
    fn account(&mut self, record: &AccountingRecord) -> Result<usize, ClientError> {
        Client::account(self, record)
    }
    fn mppe_keys(&self, reply: &Reply, server_index: usize) -> Result<Option<mppe::MppeKeys>, mppe::KeyError> {
        Client::mppe_keys(self, reply, server_index)
    }
    fn mschap_v1_keys(&self, reply: &Reply, server_index: usize) -> Result<Option<mppe::MsChapV1Keys>, mppe::KeyError> {
        Client::mschap_v1_keys(self, reply, server_index)
    }
}

/// The User-Name sent for `user` under `config`: `user@realm` when a realm
/// is set and the user typed none; `DOMAIN\user` for MS-CHAP when a domain is set.
pub fn user_name(config: &Config, user: &str, method: Method) -> String {
    let c = &config.client;
    let mut name = user.to_string();
    if !c.realm.is_empty() && !name.contains('@') {
        name = format!("{name}@{}", c.realm);
    }
    if matches!(method, Method::MsChapV1 | Method::MsChapV2) && !c.domain.is_empty() && !name.contains('\\') {
        name = format!("{}\\{name}", c.domain);
    }
    name
}

/// Checks the MS-CHAP2-Success of an Access-Accept against the
/// authenticator response computed from `password` (what a peer does to
/// verify the server). `None` when the reply carries no MS-CHAP2-Success.
pub fn verify_mschap_v2_success(reply: &Reply, credentials: &Credentials, user: &str, password: &Secret) -> Option<bool> {
    let Credentials::MsChapV2 { auth_challenge, peer_challenge, nt_response, .. } = credentials else { return None };
    let success = reply.vendor(ms::VENDOR, ms::CHAP2_SUCCESS)?;
    let text = success.get(1..).map(String::from_utf8_lossy)?;
    let expected = mschap::v2_authenticator_response(
        &mschap::nt_password_hash(password.expose()),
        nt_response,
        peer_challenge,
        auth_challenge,
        user.as_bytes(),
    );
    Some(text.split_whitespace().next() == Some(expected.as_str()))
}

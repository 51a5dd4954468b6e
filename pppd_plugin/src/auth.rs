//! Authenticating the peer, PAP and CHAP / MS-CHAP, over `[ppp] order`
//! with the one decision of [`crate::decide`]: a peer with a local record
//! is decided by pppd's secrets, everybody else by RADIUS; an unreachable
//! RADIUS passes the peer to the next source.

use crate::apply;
use crate::decide::{decide, Said};
use crate::grant::{self, Grant};
use crate::link::Link;
use crate::local;
use crate::state::{Authenticated, Decider, Setup, State};
use radius_core::auth::{mppe, Credentials, Method};
use radius_core::client::NoChallenge;
use radius_core::config::SecretSource;
use radius_core::log::Level;
use radius_core::packet::attr::ms;
use radius_core::packet::Reply;
use radius_core::{AuthOutcome, AuthRequest, ClientError, Secret, Service};
use radius_host::allowed_addresses::AllowedAddresses;
use radius_host::ppp_secrets;
use radius_ffi::pppd::{ChapDigest, ChapResponse, ChapVerdict, PapVerdict, PppdHost};

/// What RADIUS said, as a source of the decision: accepted with the reply
/// and the server; rejected with the reply (`None`: it failed and the
/// peer is refused anyway); unreachable passes.
type RadiusSaid = Said<(Reply, usize), Option<Reply>>;

fn ask_radius(setup: &mut Setup, host: &impl PppdHost, user: &str, credentials: Credentials) -> RadiusSaid {
    let link = Link::read(host);
    let port = link.port(&setup.settings.config.client.called_id);
    let mut request = AuthRequest::new(user, credentials, Service::Ppp);
    request.nas_port = Some(port.nas_port);
    request.attributes = port.access_attributes();
    request.attributes.extend(&setup.settings.avpairs);
    request.max_challenge_rounds = 0;
    match setup.radius.authenticate(&request, &mut NoChallenge) {
        Ok(AuthOutcome::Accept { reply, server_index }) => Said::Accept((reply, server_index)),
        Ok(AuthOutcome::Reject { reply, .. }) => Said::Reject(Some(reply)),
        Err(e @ (ClientError::Unreachable(_) | ClientError::NoServer(_))) => {
            host.log(Level::Error, &format!("{user}: {e}"));
            Said::Pass
        }
        Err(e) => {
            host.log(Level::Error, &format!("{user}: {e}; refusing the peer"));
            Said::Reject(None)
        }
    }
}

fn reply_message(reply: &Reply, fallback: &str) -> String {
    let m = reply.reply_messages().join(" ");
    if m.is_empty() {
        fallback.to_string()
    } else {
        m
    }
}

/// Takes a RADIUS grant for the link: applied once per link (a CHAP
/// rechallenge re-authenticates the same peer).
fn granted(st: &mut State, host: &impl PppdHost, user: String, grant: Grant) {
    if st.auth.is_none() {
        if let Some(setup) = st.loaded() {
            apply::grant(host, &setup.settings, &grant);
        }
        st.auth = Some(Authenticated { user, by: Decider::Radius { grant } });
    }
}

/// How PAP was decided.
enum PapAccept {
    /// The peer has a local record: pppd checks it.
    Local,
    /// RADIUS accepted, with this User-Name and grant.
    Radius(String, Box<Grant>),
}

/// A PAP Authenticate-Request.
pub fn pap_auth(st: &mut State, host: &impl PppdHost, user: &str, password: Secret) -> PapVerdict {
    let unavailable = || PapVerdict::Reject("Service unavailable".into());
    let Some(setup) = st.setup(host) else { return unavailable() };
    let order = setup.settings.config.ppp.order.clone();
    let said = decide(&order, |source| match source {
        SecretSource::Local => match ppp_secrets::lookup(&setup.settings.config.ppp.pap_secrets, user, &host.our_name()) {
            Err(e) => {
                host.log(Level::Error, &format!("{e}; refusing {user}"));
                Said::Reject("Service unavailable".to_string())
            }
            Ok(Some(_)) => {
                host.log(Level::Info, &format!("{user} has a local PAP record: pppd checks it, RADIUS is not asked"));
                Said::Accept(PapAccept::Local)
            }
            Ok(None) => Said::Pass,
        },
        SecretSource::Radius => {
            let name = setup.radius.user_name(user, Method::Pap);
            match ask_radius(setup, host, user, Credentials::pap(password.clone())) {
                Said::Accept((reply, _)) => match grant::from_attributes(&reply.attributes) {
                    Ok(g) => {
                        host.log(Level::Info, &format!("{user} accepted by RADIUS (PAP)"));
                        Said::Accept(PapAccept::Radius(name, Box::new(g)))
                    }
                    Err(e) => {
                        host.log(Level::Error, &format!("{user}: {e}"));
                        Said::Reject("Service not permitted".to_string())
                    }
                },
                Said::Reject(Some(reply)) => {
                    host.log(Level::Info, &format!("{user} rejected by RADIUS (PAP)"));
                    Said::Reject(reply_message(&reply, "Authentication failed"))
                }
                Said::Reject(None) => Said::Reject("Service unavailable".to_string()),
                Said::Pass => Said::Pass,
            }
        }
    });
    match said {
        Some(Said::Accept(PapAccept::Local)) => {
            st.auth = Some(Authenticated { user: user.to_string(), by: Decider::Local { addresses: None } });
            PapVerdict::LetPppdCheck
        }
        Some(Said::Accept(PapAccept::Radius(name, g))) => {
            granted(st, host, name, *g);
            PapVerdict::Accept
        }
        Some(Said::Reject(message)) => PapVerdict::Reject(message),
        Some(Said::Pass) | None => {
            host.log(Level::Error, &format!("{user}: no source in [ppp] order could decide; refusing"));
            unavailable()
        }
    }
}

fn arr<const N: usize>(s: &[u8]) -> Option<[u8; N]> {
    s.try_into().ok()
}

/// The credentials a CHAP / MS-CHAP response carries, for RADIUS.
pub fn credentials(r: &ChapResponse<'_>) -> Option<Credentials> {
    match r.digest {
        ChapDigest::Md5 => Some(Credentials::Chap { id: r.id, challenge: r.challenge.to_vec(), response: arr(r.response)? }),
        ChapDigest::MsChapV1 if r.response.len() == 49 => Some(Credentials::MsChapV1 {
            id: r.id,
            challenge: arr(r.challenge)?,
            lm_response: arr(r.response.get(..24)?)?,
            nt_response: arr(r.response.get(24..48)?)?,
            flags: *r.response.get(48)?,
        }),
        ChapDigest::MsChapV2 if r.response.len() == 49 => Some(Credentials::MsChapV2 {
            id: r.id,
            auth_challenge: arr(r.challenge)?,
            peer_challenge: arr(r.response.get(..16)?)?,
            nt_response: arr(r.response.get(24..48)?)?,
            flags: *r.response.get(48)?,
        }),
        _ => None,
    }
}

fn refuse(r: &ChapResponse<'_>, message: Option<String>) -> ChapVerdict {
    let message = match r.digest {
        ChapDigest::MsChapV1 | ChapDigest::MsChapV2 => message.unwrap_or_else(|| local::mschap_failure(r.challenge)),
        _ => message.unwrap_or_else(|| "Access denied".into()),
    };
    ChapVerdict { accepted: false, message }
}

/// The MPPE keys of an MS-CHAP Access-Accept, handed to pppd.
fn radius_keys(setup: &Setup, host: &impl PppdHost, r: &ChapResponse<'_>, reply: &Reply, server: usize) -> Result<(), String> {
    match r.digest {
        ChapDigest::MsChapV2 => {
            if let Some(k) = setup.radius.mppe_keys(reply, server).map_err(|e| e.to_string())? {
                host.set_mppe_keys(&k.send, &k.recv);
            }
        }
        ChapDigest::MsChapV1 => {
            if let Some(keys) = setup.radius.mschap_v1_keys(reply, server).map_err(|e| e.to_string())? {
                let challenge: [u8; 8] = r.challenge.try_into().map_err(|_| "bad MS-CHAP challenge".to_string())?;
                let key = mppe::v1_start_key(&keys.nt, &challenge);
                host.set_mppe_keys(&key, &key);
            }
        }
        _ => {}
    }
    Ok(())
}

/// How CHAP was decided.
enum ChapAccept {
    /// By the local secret: the message, and the entry's addresses.
    Local(String, Vec<String>),
    /// By RADIUS: the message, the User-Name and the grant.
    Radius(String, String, Box<Grant>),
}

/// The addresses column of a local CHAP record, applied as pppd applies it
/// when it checks the secret itself (its own check is bypassed by the
/// plugin's verifier): the single address it lists is suggested to the
/// peer. PAP needs none of this: pppd checks pap-secrets and applies the
/// column itself.
fn local_addresses(host: &impl PppdHost, user: &str, words: &[String]) -> Option<AllowedAddresses> {
    let unit = u32::try_from(host.unit()).unwrap_or(0);
    let list = AllowedAddresses::parse(words, unit)?;
    for w in &list.warnings {
        host.log(Level::Warning, &format!("{user}: chap-secrets: {w}"));
    }
    if let Some(s) = list.suggestion(host.configured_peer_address()) {
        host.log(Level::Debug, &format!("{user}: chap-secrets gives the peer {}", s.address));
        host.suggest_peer_address(s.address, s.accept_others);
    }
    Some(list)
}

/// A CHAP / MS-CHAP response.
pub fn chap_verify(st: &mut State, host: &impl PppdHost, r: &ChapResponse<'_>) -> ChapVerdict {
    let Some(setup) = st.setup(host) else { return refuse(r, None) };
    let order = setup.settings.config.ppp.order.clone();
    let user = r.user;
    let said = decide(&order, |source| match source {
        SecretSource::Local => {
            let entry = match ppp_secrets::lookup(&setup.settings.config.ppp.chap_secrets, user, r.our_name) {
                Ok(Some(e)) => e,
                Ok(None) => return Said::Pass,
                Err(e) => {
                    host.log(Level::Error, &format!("{e}; refusing {user}"));
                    return Said::Reject(None);
                }
            };
            let checked = local::check(r.digest, r.id, user, r.challenge, r.response, entry.secret.expose());
            let verdict = if checked.accepted { "accepted" } else { "rejected" };
            host.log(Level::Info, &format!("{user} has a local CHAP record (line {}): {verdict} without RADIUS", entry.line));
            if !checked.accepted {
                return Said::Reject(Some(checked.message));
            }
            if let Some(k) = &checked.keys {
                host.set_mppe_keys(&k.send, &k.recv);
            }
            Said::Accept(ChapAccept::Local(checked.message, entry.addresses.clone()))
        }
        SecretSource::Radius => {
            let Some(creds) = credentials(r) else {
                host.log(Level::Error, &format!("{user}: malformed {:?} response ({} bytes); refusing", r.digest, r.response.len()));
                return Said::Reject(None);
            };
            let name = setup.radius.user_name(user, creds.method());
            match ask_radius(setup, host, user, creds) {
                Said::Accept((reply, server)) => {
                    let success = reply.vendor(ms::VENDOR, ms::CHAP2_SUCCESS);
                    let message = match (r.digest, success.as_deref()) {
                        (ChapDigest::MsChapV2, Some([_, text @ ..])) if text.starts_with(b"S=") => String::from_utf8_lossy(text).into_owned(),
                        (ChapDigest::MsChapV2, _) => {
                            host.log(Level::Error, &format!("{user}: the Access-Accept has no valid MS-CHAP2-Success; refusing"));
                            return Said::Reject(None);
                        }
                        _ => "Access granted".into(),
                    };
                    if let Err(e) = radius_keys(setup, host, r, &reply, server) {
                        host.log(Level::Error, &format!("{user}: MPPE keys in the Access-Accept: {e}; refusing"));
                        return Said::Reject(None);
                    }
                    match grant::from_attributes(&reply.attributes) {
                        Ok(g) => {
                            host.log(Level::Info, &format!("{user} accepted by RADIUS ({:?})", r.digest));
                            Said::Accept(ChapAccept::Radius(message, name, Box::new(g)))
                        }
                        Err(e) => {
                            host.log(Level::Error, &format!("{user}: {e}"));
                            Said::Reject(None)
                        }
                    }
                }
                Said::Reject(Some(reply)) => {
                    host.log(Level::Info, &format!("{user} rejected by RADIUS ({:?})", r.digest));
                    let error = reply.vendor(ms::VENDOR, ms::CHAP_ERROR);
                    Said::Reject(error.as_deref().and_then(|e| e.get(1..)).map(|e| String::from_utf8_lossy(e).into_owned()))
                }
                Said::Reject(None) => Said::Reject(None),
                Said::Pass => Said::Pass,
            }
        }
    });
    match said {
        Some(Said::Accept(ChapAccept::Local(message, words))) => {
            if st.auth.is_none() {
                let addresses = local_addresses(host, user, &words);
                st.auth = Some(Authenticated { user: user.to_string(), by: Decider::Local { addresses } });
            }
            ChapVerdict { accepted: true, message }
        }
        Some(Said::Accept(ChapAccept::Radius(message, name, g))) => {
            granted(st, host, name, *g);
            ChapVerdict { accepted: true, message }
        }
        Some(Said::Reject(message)) => refuse(r, message),
        Some(Said::Pass) | None => {
            host.log(Level::Error, &format!("{user}: no source in [ppp] order could decide; refusing"));
            refuse(r, None)
        }
    }
}

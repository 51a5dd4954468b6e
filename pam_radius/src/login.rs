//! pam_sm_authenticate and pam_sm_setcred: who is logging in, the
//! password (bytes, as the user typed them), the Access-Request, challenge
//! rounds through the PAM conversation, and what an Accept leaves in the
//! PAM environment.

use crate::args::{Args, PasswordSource};
use crate::{settings, stored, Deps};
use radius_core::auth::{Credentials, Method};
use radius_core::client::{verify_mschap_v2_success, AuthOutcome, AuthRequest, ChallengePrompt, ChallengeResponder, ClientError};
use radius_core::log::Level;
use radius_core::packet::attr;
use radius_core::{Secret, Service};
use radius_ffi::pam::{Item, PamError, PamHandler, PamResult, Style};
use std::net::Ipv4Addr;
use zeroize::Zeroizing;

/// The longest User-Name RADIUS can carry.
const MAX_USER_LEN: usize = 253;

/// pam_sm_authenticate.
pub fn authenticate<H: PamHandler>(h: &mut H, args: &Args, deps: &Deps<'_>) -> PamResult<()> {
    let result = authenticate_inner(h, args, deps);
    if h.set_data(stored::SETCRED, stored::SetCred(result)).is_err() {
        deps.log.log(Level::Warning, "could not keep the result for pam_sm_setcred");
    }
    result
}

/// pam_sm_setcred: the result of pam_sm_authenticate (pam_radius_auth
/// does the same; returning PAM_IGNORE would break stacks where this is
/// the only module), or success when it did not run.
pub fn setcred<H: PamHandler>(h: &H) -> PamResult<()> {
    h.data::<stored::SetCred>(stored::SETCRED).map_or(Ok(()), |s| s.0)
}

fn authenticate_inner<H: PamHandler>(h: &mut H, args: &Args, deps: &Deps<'_>) -> PamResult<()> {
    let log = deps.log;
    let pam_user = match h.user() {
        Ok(u) if !u.is_empty() && u.len() <= MAX_USER_LEN => u,
        Ok(u) => {
            log.log(Level::Error, &format!("user name is empty or longer than {MAX_USER_LEN} bytes ({} bytes)", u.len()));
            return Err(PamError::UserUnknown);
        }
        Err(e) => {
            log.log(Level::Error, &format!("cannot get the user name: {e}"));
            return Err(e);
        }
    };
    let user = radius_user(h, args, &pam_user);
    let loaded = settings::for_transaction(h, args, deps.load).map_err(|e| {
        log.log(Level::Error, &format!("{e}; refusing every login until it is fixed"));
        PamError::ServiceErr
    })?;
    let config = &loaded.config;
    for warning in &config.warnings {
        log.log(Level::Warning, &warning.0);
    }
    let rhost = h.item(Item::RemoteHost).ok().flatten().filter(|h| !h.is_empty());
    // The registry is asked once: where the user may come from now, his
    // policies once RADIUS accepts him.
    let entry = if loaded.registry.in_force() {
        let checked = loaded.registry.entry(&user).and_then(|e| e.check_source(rhost.as_deref()).map(|()| e));
        Some(checked.map_err(|refusal| {
            log.log(Level::Warning, &format!("refused: {refusal}"));
            PamError::AuthErr
        })?)
    } else {
        None
    };
    let password = obtain_password(h, args, deps)?;

    let secret = Secret::new(password.to_vec());
    let sent_name = radius_core::client::user_name(config, &user, args.method);
    let credentials = Credentials::from_password(args.method, &sent_name, &secret);
    let mut request = AuthRequest::new(&user, credentials.clone(), Service::Login);
    request.nas_identifier = nas_identifier(h, args);
    request.max_challenge_rounds = args.challenge_rounds();
    request
        .attributes
        .extend(&loaded.nas_address)
        .integer(attr::NAS_PORT_TYPE, attr::nas_port_type::VIRTUAL)
        .integer(attr::SERVICE_TYPE, attr::service_type::AUTHENTICATE_ONLY);
    if let Some(host) = &rhost {
        request.attributes.text(attr::CALLING_STATION_ID, host);
    }

    let mut radius = (deps.connect)(config);
    let outcome = radius.authenticate(&request, &mut PamChallenge { handler: &*h, prompt_attribute: args.prompt_attribute });
    // Hand the password on to the next module, as pam_radius_auth does.
    if !password.is_empty() && h.set_authtok(&password).is_err() {
        log.log(Level::Warning, "could not pass the password on (PAM_AUTHTOK)");
    }
    let (reply, server) = match outcome {
        Ok(AuthOutcome::Accept { reply, server_index }) => (reply, server_index),
        Ok(AuthOutcome::Reject { reply, server_index }) => {
            let said = reply.reply_messages().join(" / ");
            log.log(Level::Info, &format!(
                "authentication of `{user}` rejected by server {}{}",
                radius.server_name(server_index),
                if said.is_empty() { String::new() } else { format!(" ({said})") }
            ));
            return Err(PamError::AuthErr);
        }
        Err(e) => return Err(failure(args, deps, &user, &e)),
    };
    let server_name = radius.server_name(server);
    if args.method == Method::MsChapV2 {
        // The server proves it knows the password too (RFC 2759 mutual authentication).
        match verify_mschap_v2_success(&reply, &credentials, &sent_name, &secret) {
            Some(true) => {}
            Some(false) => {
                log.log(Level::Error, &format!(
                    "server {server_name} accepted `{user}` with an MS-CHAP2-Success that does not prove it knows the password: refused"
                ));
                return Err(PamError::AuthErr);
            }
            None => {
                log.log(Level::Error, &format!("server {server_name} accepted `{user}` (MS-CHAPv2) without MS-CHAP2-Success: refused"));
                return Err(PamError::AuthErr);
            }
        }
    }
    match reply.integer(attr::MANAGEMENT_PRIVILEGE_LEVEL) {
        Some(level) => h.putenv("Privilege", &level.to_string()).inspect_err(|_| {
            log.log(Level::Error, "cannot set the PAM environment variable Privilege");
        }).map_err(|_| PamError::AuthinfoUnavail)?,
        None if args.privilege_level => {
            log.log(Level::Error, &format!("Access-Accept for `{user}` has no Management-Privilege-Level, which privilege_level requires"));
            return Err(PamError::AuthinfoUnavail);
        }
        None => {}
    }
    if let Some(ip) = reply.get(attr::FRAMED_IP_ADDRESS).and_then(|b| <[u8; 4]>::try_from(b).ok()) {
        let _ = h.putenv("Framed-IP-Address", &Ipv4Addr::from(ip).to_string());
    }
    let policies = if let Some(entry) = &entry {
        match entry.policies() {
            Ok(p) => {
                h.putenv("RADIUS_POLICIES", &p.joined()).map_err(|_| {
                    log.log(Level::Error, "cannot set the PAM environment variable RADIUS_POLICIES");
                    PamError::ServiceErr
                })?;
                Some(p)
            }
            Err(refusal) => {
                log.log(Level::Warning, &format!("RADIUS accepted, but refused: {refusal}"));
                return Err(PamError::AuthErr);
            }
        }
    } else {
        None
    };
    let login = stored::Login {
        pam_user,
        radius_user: user.clone(),
        policies,
        classes: reply.get_all(attr::CLASS).into_iter().map(<[u8]>::to_vec).collect(),
    };
    h.set_data(stored::LOGIN, login).map_err(|_| {
        log.log(Level::Error, "cannot keep the login for the later stages");
        PamError::ServiceErr
    })?;
    // As pam_radius_auth and pam_unix: success is the application's to log
    // (sshd's "Accepted …"); here only with `debug`.
    if log.enabled(Level::Debug) {
        log.log(Level::Debug, &format!("`{user}` authenticated by server {server_name}"));
    }
    Ok(())
}

/// PAM_USER, or PAM_RUSER when `ruser` is given and PAM_USER is root.
pub fn radius_user<H: PamHandler>(h: &H, args: &Args, pam_user: &str) -> String {
    if args.ruser && pam_user == "root" {
        if let Ok(Some(ruser)) = h.item(Item::RemoteUser) {
            if !ruser.is_empty() {
                return ruser;
            }
        }
    }
    pam_user.to_string()
}

/// NAS-Identifier: `client_id=` (empty: none), else the PAM service.
pub fn nas_identifier<H: PamHandler>(h: &H, args: &Args) -> Option<String> {
    match &args.client_id {
        Some(id) if id.is_empty() => None,
        Some(id) => Some(id.clone()),
        None => h.item(Item::Service).ok().flatten().filter(|s| !s.is_empty()),
    }
}

/// The password, as bytes: PAM_AUTHTOK from an earlier module, or asked.
fn obtain_password<H: PamHandler>(h: &H, args: &Args, deps: &Deps<'_>) -> PamResult<Zeroizing<Vec<u8>>> {
    let earlier = if args.force_prompt { None } else { h.authtok().ok().flatten() };
    if let Some(p) = earlier {
        return Ok(p);
    }
    match args.password {
        PasswordSource::UseFirstPass => {
            deps.log.log(Level::Info, "use_first_pass: no password from an earlier module");
            Err(PamError::AuthErr)
        }
        PasswordSource::SkipPasswd => Ok(Zeroizing::new(Vec::new())),
        PasswordSource::TryFirstPass => h.prompt(Style::PromptEchoOff, &args.prompt_text()).inspect_err(|e| {
            deps.log.log(Level::Error, &format!("the password prompt failed: {e}"));
        }),
    }
}

fn failure(args: &Args, deps: &Deps<'_>, user: &str, e: &ClientError) -> PamError {
    let log = deps.log;
    match e {
        ClientError::NoServer(_) | ClientError::Unreachable(_) => {
            let (code, what) = if args.localifdown {
                (PamError::Ignore, "PAM_IGNORE (localifdown)")
            } else {
                (PamError::AuthinfoUnavail, "PAM_AUTHINFO_UNAVAIL")
            };
            log.log(Level::Error, &format!("no RADIUS server answered for `{user}`: {e}; returning {what}"));
            code
        }
        ClientError::TooManyChallenges(_) | ClientError::ChallengeUnanswered => {
            log.log(Level::Info, &format!("authentication of `{user}` failed: {e}"));
            PamError::AuthErr
        }
        _ => {
            log.log(Level::Error, &format!("authentication of `{user}` failed: {e}"));
            PamError::ServiceErr
        }
    }
}

/// Answers Access-Challenge rounds through the PAM conversation: the
/// Reply-Message is the prompt; echo is on unless `prompt_attribute` is
/// given and the server sent Prompt = No-Echo (pam_radius_auth's rule).
struct PamChallenge<'h, H: PamHandler> {
    handler: &'h H,
    prompt_attribute: bool,
}

impl<H: PamHandler> ChallengeResponder for PamChallenge<'_, H> {
    fn respond(&mut self, prompt: &ChallengePrompt) -> Option<Secret> {
        let style = match (self.prompt_attribute, prompt.echo) {
            (true, Some(false)) => Style::PromptEchoOff,
            _ => Style::PromptEchoOn,
        };
        let text = if prompt.messages.is_empty() { "Response: ".to_string() } else { prompt.messages.join("\n") };
        let answer = self.handler.prompt(style, &text).ok()?;
        Some(Secret::new(answer.to_vec()))
    }
}

//! pam_sm_authenticate and pam_sm_setcred: who is logging in, the
//! password, the Access-Request, challenge rounds through the PAM
//! conversation, and what an Accept leaves in the PAM environment.

use crate::args::{Args, PasswordSource};
use crate::{settings, stored};
use radius_core::nas;
use radius_core::auth::Credentials;
use radius_core::client::{AuthOutcome, AuthRequest, ChallengePrompt, ChallengeResponder, ClientError};
use radius_core::log::{Level, Log};
use radius_core::packet::attr;
use radius_core::{Client, Secret, Service};
use radius_ffi::pam::entry::Call;
use radius_ffi::pam::handle::Handle;
use radius_ffi::pam::{Code, Item, Style};
use std::net::Ipv4Addr;
use zeroize::Zeroizing;

/// The longest User-Name RADIUS can carry.
const MAX_USER_LEN: usize = 253;

/// pam_sm_authenticate.
pub fn authenticate(call: &mut Call<'_>, args: &Args) -> Code {
    let code = authenticate_inner(call, args);
    if call.handle.set_data(stored::SETCRED, stored::SetCred(code)).is_err() {
        call.log.log(Level::Warning, "could not keep the result for pam_sm_setcred");
    }
    code
}

/// pam_sm_setcred: the result of pam_sm_authenticate (pam_radius_auth
/// does the same; returning PAM_IGNORE would break stacks where this is
/// the only module), or success when it did not run.
pub fn setcred(call: &Call<'_>) -> Code {
    call.handle.data::<stored::SetCred>(stored::SETCRED).map_or(Code::SUCCESS, |s| s.0)
}

fn authenticate_inner(call: &mut Call<'_>, args: &Args) -> Code {
    let pam_user = match call.handle.user() {
        Ok(u) if !u.is_empty() && u.len() <= MAX_USER_LEN => u,
        Ok(u) => {
            call.log.log(Level::Error, &format!("user name is empty or longer than {MAX_USER_LEN} bytes ({} bytes)", u.len()));
            return Code::USER_UNKNOWN;
        }
        Err(code) => {
            call.log.log(Level::Error, &format!("cannot get the user name: {}", code.name()));
            return code;
        }
    };
    let user = radius_user(call, args, &pam_user);
    let config = match settings::load(args) {
        Ok(c) => c,
        Err(e) => {
            call.log.log(Level::Error, &format!("{e}; refusing every login until it is fixed"));
            return Code::SERVICE_ERR;
        }
    };
    for warning in &config.warnings {
        call.log.log(Level::Warning, &warning.0);
    }
    let rhost = call.handle.item(Item::RemoteHost).ok().flatten().filter(|h| !h.is_empty());
    if config.registry.in_force() {
        if let Err(refusal) = config.registry.check_source(&user, rhost.as_deref()) {
            call.log.log(Level::Warning, &format!("refused: {refusal}"));
            return Code::AUTH_ERR;
        }
    }
    let password = match obtain_password(call, args) {
        Ok(p) => p,
        Err(code) => return code,
    };

    let mut request = AuthRequest::new(&user, Credentials::pap(Secret::from(password.as_str())), Service::Login);
    request.nas_identifier = nas_identifier(call, args);
    request.max_challenge_rounds = args.challenge_rounds();
    request
        .attributes
        .extend(&nas::address_attributes(&config, args.hostname.as_deref(), args.families))
        .integer(attr::NAS_PORT_TYPE, attr::nas_port_type::VIRTUAL)
        .integer(attr::SERVICE_TYPE, attr::service_type::AUTHENTICATE_ONLY);
    if let Some(host) = &rhost {
        request.attributes.text(attr::CALLING_STATION_ID, host);
    }

    let mut client = Client::new(config, Box::new(call.log.clone()));
    let outcome = {
        let mut responder = PamChallenge { handle: &call.handle, prompt_attribute: args.prompt_attribute };
        client.authenticate(&request, &mut responder)
    };
    // Hand the password on to the next module, as pam_radius_auth does.
    if !password.is_empty() && call.handle.set_item(Item::AuthTok, &password).is_err() {
        call.log.log(Level::Warning, "could not pass the password on (PAM_AUTHTOK)");
    }
    let (reply, server) = match outcome {
        Ok(AuthOutcome::Accept { reply, server_index }) => (reply, server_index),
        Ok(AuthOutcome::Reject { reply, server_index }) => {
            let said = reply.reply_messages().join(" / ");
            call.log.log(Level::Info, &format!(
                "authentication of `{user}` rejected by server {}{}",
                client.server(server_index).map_or("?", |s| s.name.as_str()),
                if said.is_empty() { String::new() } else { format!(" ({said})") }
            ));
            return Code::AUTH_ERR;
        }
        Err(e) => return failure_code(call, args, &user, &e),
    };
    let server_name = client.server(server).map(|s| s.name.clone()).unwrap_or_default();
    if !reply.had_message_authenticator {
        call.log.log(Level::Warning, &format!(
            "server {server_name} sent no Message-Authenticator: its replies can be forged (BlastRADIUS, \
             CVE-2024-3596); make it send one and add require_message_authenticator"
        ));
    }
    match reply.integer(attr::MANAGEMENT_PRIVILEGE_LEVEL) {
        Some(level) if call.handle.putenv("Privilege", &level.to_string()).is_err() => {
            call.log.log(Level::Error, "cannot set the PAM environment variable Privilege");
            return Code::AUTHINFO_UNAVAIL;
        }
        Some(_) => {}
        None if args.privilege_level => {
            call.log.log(Level::Error, &format!(
                "Access-Accept for `{user}` has no Management-Privilege-Level, which privilege_level requires"
            ));
            return Code::AUTHINFO_UNAVAIL;
        }
        None => {}
    }
    if let Some(ip) = reply.get(attr::FRAMED_IP_ADDRESS).and_then(|b| <[u8; 4]>::try_from(b).ok()) {
        let _ = call.handle.putenv("Framed-IP-Address", &Ipv4Addr::from(ip).to_string());
    }
    let registry = &client.config().registry;
    let policies = if registry.in_force() {
        match registry.policies_for(&user) {
            Ok(p) => {
                if call.handle.putenv("RADIUS_POLICIES", &p.joined()).is_err() {
                    call.log.log(Level::Error, "cannot set the PAM environment variable RADIUS_POLICIES");
                    return Code::SERVICE_ERR;
                }
                Some(p)
            }
            Err(refusal) => {
                call.log.log(Level::Warning, &format!("RADIUS accepted, but refused: {refusal}"));
                return Code::AUTH_ERR;
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
    if call.handle.set_data(stored::LOGIN, login).is_err() {
        call.log.log(Level::Error, "cannot keep the login for the later stages");
        return Code::SERVICE_ERR;
    }
    call.log.log(Level::Info, &format!("`{user}` authenticated by server {server_name}"));
    Code::SUCCESS
}

/// PAM_USER, or PAM_RUSER when `ruser` is given and PAM_USER is root.
pub fn radius_user(call: &Call<'_>, args: &Args, pam_user: &str) -> String {
    if args.ruser && pam_user == "root" {
        if let Ok(Some(ruser)) = call.handle.item(Item::RemoteUser) {
            if !ruser.is_empty() {
                return ruser;
            }
        }
    }
    pam_user.to_string()
}

/// NAS-Identifier: `client_id=` (empty: none), else the PAM service.
pub fn nas_identifier(call: &Call<'_>, args: &Args) -> Option<String> {
    match &args.client_id {
        Some(id) if id.is_empty() => None,
        Some(id) => Some(id.clone()),
        None => call.handle.item(Item::Service).ok().flatten().filter(|s| !s.is_empty()),
    }
}

fn obtain_password(call: &Call<'_>, args: &Args) -> Result<Zeroizing<String>, Code> {
    let earlier = if args.force_prompt { None } else { call.handle.authtok().ok().flatten() };
    if let Some(p) = earlier {
        return Ok(p);
    }
    match args.password {
        PasswordSource::UseFirstPass => {
            call.log.log(Level::Info, "use_first_pass: no password from an earlier module");
            Err(Code::AUTH_ERR)
        }
        PasswordSource::SkipPasswd => Ok(Zeroizing::new(String::new())),
        PasswordSource::TryFirstPass => {
            let answers = call.handle.converse(&[(Style::PromptEchoOff, &args.prompt_text())]).inspect_err(|code| {
                call.log.log(Level::Error, &format!("the password prompt failed: {}", code.name()));
            })?;
            answers.into_iter().next().flatten().ok_or(Code::CONV_ERR)
        }
    }
}

fn failure_code(call: &Call<'_>, args: &Args, user: &str, e: &ClientError) -> Code {
    match e {
        ClientError::NoServer(_) | ClientError::Unreachable(_) => {
            let (code, what) = if args.localifdown {
                (Code::IGNORE, "PAM_IGNORE (localifdown)")
            } else {
                (Code::AUTHINFO_UNAVAIL, "PAM_AUTHINFO_UNAVAIL")
            };
            call.log.log(Level::Error, &format!("no RADIUS server answered for `{user}`: {e}; returning {what}"));
            code
        }
        ClientError::TooManyChallenges(_) | ClientError::ChallengeUnanswered => {
            call.log.log(Level::Info, &format!("authentication of `{user}` failed: {e}"));
            Code::AUTH_ERR
        }
        _ => {
            call.log.log(Level::Error, &format!("authentication of `{user}` failed: {e}"));
            Code::SERVICE_ERR
        }
    }
}

/// Answers Access-Challenge rounds through the PAM conversation: the
/// Reply-Message is the prompt; echo is on unless `prompt_attribute` is
/// given and the server sent Prompt = No-Echo (pam_radius_auth's rule).
struct PamChallenge<'h, 'call> {
    handle: &'h Handle<'call>,
    prompt_attribute: bool,
}

impl ChallengeResponder for PamChallenge<'_, '_> {
    fn respond(&mut self, prompt: &ChallengePrompt) -> Option<Secret> {
        let style = match (self.prompt_attribute, prompt.echo) {
            (true, Some(false)) => Style::PromptEchoOff,
            _ => Style::PromptEchoOn,
        };
        let text = if prompt.messages.is_empty() { "Response: ".to_string() } else { prompt.messages.join("\n") };
        let answer = self.handle.converse(&[(style, &text)]).ok()?.into_iter().next().flatten()?;
        Some(Secret::from(answer.as_str()))
    }
}

//! The module arguments from the service file: every argument
//! pam_radius_auth accepts, with its meaning, plus ours.

use radius_core::auth::Method;
use radius_core::config::Families;

/// Where the password comes from (pam_radius_auth's flags).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordSource {
    /// PAM_AUTHTOK if an earlier module set it, else ask (the default;
    /// also `try_first_pass`).
    TryFirstPass,
    /// PAM_AUTHTOK only; without one, fail (`use_first_pass`).
    UseFirstPass,
    /// Never ask: PAM_AUTHTOK or an empty password, for servers that
    /// answer with a challenge (`skip_passwd`).
    SkipPasswd,
}

/// Parsed arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Args {
    /// `conf=FILE`: our TOML or a pam_radius_auth.conf server list.
    pub conf: String,
    /// `debug`: log detail.
    pub debug: bool,
    /// `use_first_pass` / `try_first_pass` / `skip_passwd`.
    pub password: PasswordSource,
    /// `force_prompt`: ask even when PAM_AUTHTOK is set.
    pub force_prompt: bool,
    /// `client_id=ID`: NAS-Identifier (`Some("")` sends none); default the PAM service.
    pub client_id: Option<String>,
    /// `hostname=NAME`: whose address is sent as NAS-IP(v6)-Address.
    pub hostname: Option<String>,
    /// `retry=N`: resends per server.
    pub retry: Option<u32>,
    /// `localifdown`: PAM_IGNORE instead of PAM_AUTHINFO_UNAVAIL when no
    /// server answers.
    pub localifdown: bool,
    /// `ruser`: authenticate PAM_RUSER when PAM_USER is root.
    pub ruser: bool,
    /// `prompt=TEXT`: the password prompt, without `: `.
    pub prompt: String,
    /// `prompt_attribute`: honour the Prompt attribute for echo in challenges.
    pub prompt_attribute: bool,
    /// `max_challenge=N`: Access-Challenge rounds allowed (0: our default).
    pub max_challenge: u32,
    /// `ipv4=yes|no`, `ipv6=yes|no`.
    pub families: Families,
    /// `privilege_level`: Management-Privilege-Level required in an Accept.
    pub privilege_level: bool,
    /// `require_message_authenticator`: require it from every server.
    pub require_message_authenticator: bool,
    /// `require_policy=NAME` (repeatable, account stage).
    pub require_policies: Vec<String>,
    /// `skip_unknown` (account stage): PAM_IGNORE for users this module
    /// did not authenticate.
    pub skip_unknown: bool,
    /// `method=pap|chap|mschapv1|mschapv2`: how the password is proven
    /// (default pap, as pam_radius_auth). With MS-CHAPv2 the password
    /// itself never goes on the wire and the Accept must prove the server
    /// knows it (MS-CHAP2-Success).
    pub method: Method,
}

/// Challenge rounds allowed when `max_challenge` is not given.
pub const DEFAULT_MAX_CHALLENGE: u32 = 16;

impl Default for Args {
    fn default() -> Self {
        Args {
            conf: radius_core::config::DEFAULT_PATH.to_string(),
            debug: false,
            password: PasswordSource::TryFirstPass,
            force_prompt: false,
            client_id: None,
            hostname: None,
            retry: None,
            localifdown: false,
            ruser: false,
            prompt: "Password".to_string(),
            prompt_attribute: false,
            max_challenge: 0,
            families: Families::default(),
            privilege_level: false,
            require_message_authenticator: false,
            require_policies: Vec::new(),
            skip_unknown: false,
            method: Method::Pap,
        }
    }
}

impl Args {
    /// Parses the arguments; unknown or malformed ones are returned as
    /// warnings (pam_radius_auth logs and ignores them too).
    pub fn parse(raw: &[String]) -> (Args, Vec<String>) {
        let mut args = Args::default();
        let mut warnings = Vec::new();
        for arg in raw {
            let (key, value) = match arg.split_once('=') {
                Some((k, v)) => (k, Some(v)),
                None => (arg.as_str(), None),
            };
            match (key, value) {
                ("conf", Some(v)) => args.conf = v.to_string(),
                ("debug", None) => args.debug = true,
                ("use_first_pass", None) => args.password = PasswordSource::UseFirstPass,
                ("try_first_pass", None) => args.password = PasswordSource::TryFirstPass,
                ("skip_passwd", None) => args.password = PasswordSource::SkipPasswd,
                ("force_prompt", None) => args.force_prompt = true,
                ("client_id", Some(v)) => args.client_id = Some(v.to_string()),
                ("hostname", Some(v)) => args.hostname = Some(v.to_string()),
                ("retry", Some(v)) => match v.parse() {
                    Ok(n) => args.retry = Some(n),
                    Err(_) => warnings.push(format!("ignoring `{arg}`: not a number")),
                },
                ("localifdown", None) => args.localifdown = true,
                ("ruser", None) => args.ruser = true,
                ("prompt", Some(v)) => args.prompt = v.to_string(),
                ("prompt_attribute", None) => args.prompt_attribute = true,
                ("max_challenge", Some(v)) => match v.parse() {
                    Ok(n) => args.max_challenge = n,
                    Err(_) => warnings.push(format!("ignoring `{arg}`: not a number")),
                },
                ("ipv4", Some(v)) | ("ipv6", Some(v)) => {
                    let on = match v {
                        "yes" => true,
                        "no" => false,
                        _ => {
                            warnings.push(format!("ignoring `{arg}`: use yes or no"));
                            continue;
                        }
                    };
                    if key == "ipv4" { args.families.ipv4 = on } else { args.families.ipv6 = on }
                }
                ("privilege_level", None) => args.privilege_level = true,
                ("require_message_authenticator", None) => args.require_message_authenticator = true,
                ("require_policy", Some(v)) if !v.is_empty() => args.require_policies.push(v.to_string()),
                ("skip_unknown", None) => args.skip_unknown = true,
                ("method", Some(v)) => match v.parse() {
                    Ok(m) => args.method = m,
                    Err(e) => warnings.push(format!("ignoring `{arg}`: {e}")),
                },
                ("log", Some("stderr")) => {}
                _ => warnings.push(format!("unrecognized option `{arg}`")),
            }
        }
        if !args.families.ipv4 && !args.families.ipv6 {
            warnings.push("cannot disable both IPv4 and IPv6: IPv4 stays on".into());
            args.families.ipv4 = true;
        }
        (args, warnings)
    }

    /// The password prompt as shown: `Password: `.
    pub fn prompt_text(&self) -> String {
        format!("{}: ", self.prompt)
    }

    /// Challenge rounds allowed.
    pub fn challenge_rounds(&self) -> u32 {
        if self.max_challenge == 0 { DEFAULT_MAX_CHALLENGE } else { self.max_challenge }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> (Args, Vec<String>) {
        Args::parse(&args.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn every_pam_radius_auth_argument() {
        let (a, w) = parse(&[
            "conf=/etc/pam_radius_auth.conf", "debug", "use_first_pass", "force_prompt", "client_id=sshd-host",
            "hostname=nas.example", "retry=2", "localifdown", "ruser", "prompt=Token", "prompt_attribute",
            "max_challenge=3", "ipv6=no", "privilege_level", "require_message_authenticator",
            "method=mschapv2",
        ]);
        assert!(w.is_empty(), "{w:?}");
        assert_eq!(a.method, Method::MsChapV2);
        assert!(!parse(&["method=ntlm"]).1.is_empty());
        assert_eq!(a.conf, "/etc/pam_radius_auth.conf");
        assert_eq!(a.password, PasswordSource::UseFirstPass);
        assert_eq!(a.client_id.as_deref(), Some("sshd-host"));
        assert_eq!(a.hostname.as_deref(), Some("nas.example"));
        assert_eq!(a.retry, Some(2));
        assert_eq!(a.prompt_text(), "Token: ");
        assert_eq!(a.challenge_rounds(), 3);
        assert_eq!(a.families, Families { ipv4: true, ipv6: false });
        assert!(a.debug && a.force_prompt && a.localifdown && a.ruser && a.prompt_attribute);
        assert!(a.privilege_level && a.require_message_authenticator);
    }

    #[test]
    fn ours_and_the_defaults() {
        let (a, w) = parse(&["require_policy=admin", "require_policy=ops", "skip_unknown", "log=stderr", "skip_passwd"]);
        assert!(w.is_empty(), "{w:?}");
        assert_eq!(a.require_policies, vec!["admin", "ops"]);
        assert!(a.skip_unknown);
        assert_eq!(a.password, PasswordSource::SkipPasswd);
        let (d, _) = parse(&[]);
        assert_eq!(d.conf, "/etc/radius_rs/radius.toml");
        assert_eq!(d.prompt_text(), "Password: ");
        assert_eq!(d.challenge_rounds(), DEFAULT_MAX_CHALLENGE);
        assert_eq!(d.client_id, None);
    }

    #[test]
    fn bad_arguments_are_warnings_not_settings() {
        let (a, w) = parse(&["retry=many", "frobnicate", "ipv4=no", "ipv6=no", "require_policy="]);
        assert_eq!(a.retry, None);
        assert!(a.families.ipv4, "both off is refused");
        assert_eq!(w.len(), 4, "{w:?}");
        assert!(w[1].contains("unrecognized option `frobnicate`"));
    }
}

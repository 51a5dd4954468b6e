//! `radius-rs login USER`: one authentication, every reply attribute printed.

use crate::Verdict;
use radius_core::auth::{Credentials, Method};
use radius_core::client::verify_mschap_v2_success;
use radius_core::dictionary;
use radius_core::log::StderrLog;
use radius_core::packet::code;
use radius_core::{AuthRequest, ChallengePrompt, ChallengeResponder, Client, Secret, Service};
use std::io::{BufRead, Write};
use std::path::Path;

/// Arguments of `login`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The user to authenticate.
    user: String,
    /// The password (visible in the process list: prefer --password-stdin).
    #[arg(long, conflicts_with = "password_stdin")]
    password: Option<String>,
    /// Read the password from the first line of standard input; later lines
    /// answer Access-Challenge rounds.
    #[arg(long)]
    password_stdin: bool,
    /// Authentication method: pap, chap, mschapv1, mschapv2.
    #[arg(long, default_value = "pap")]
    method: Method,
    /// Which servers to use: login or ppp.
    #[arg(long, default_value = "login")]
    service: Service,
}

/// Answers challenges with further lines of standard input.
struct StdinResponder;

impl ChallengeResponder for StdinResponder {
    fn respond(&mut self, prompt: &ChallengePrompt) -> Option<Secret> {
        for m in &prompt.messages {
            eprintln!("{m}");
        }
        eprint!("challenge response: ");
        let _ = std::io::stderr().flush();
        read_line()
    }
}

/// One line of standard input as bytes (a password need not be UTF-8),
/// without its line end; the buffer is wiped when dropped.
fn read_line() -> Option<Secret> {
    // Room for any password RADIUS carries, so the buffer does not grow
    // (a reallocation would free a copy unwiped).
    let mut line = zeroize::Zeroizing::new(Vec::with_capacity(1024));
    match std::io::stdin().lock().read_until(b'\n', &mut line) {
        Ok(0) | Err(_) => None,
        Ok(_) => {
            while line.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
                line.pop();
            }
            Some(Secret::new(line.to_vec()))
        }
    }
}

/// Runs `login`.
pub fn run(config: &Path, debug: bool, args: &Args) -> Verdict {
    let Some(config) = super::load_config(config) else { return Verdict::Error };
    let password = match (&args.password, args.password_stdin) {
        (Some(p), _) => Secret::new(p.as_bytes().to_vec()),
        (None, true) => match read_line() {
            Some(p) => p,
            None => {
                eprintln!("radius-rs: error: no password on standard input");
                return Verdict::Error;
            }
        },
        (None, false) => {
            eprintln!("radius-rs: error: give --password PW or --password-stdin");
            return Verdict::Error;
        }
    };
    let registry = radius_host::user_registry::Registry::from_config(&config);
    let mut client = Client::new(config, Box::new(StderrLog { debug }));
    let credentials = Credentials::from_password(args.method, &client.user_name(&args.user, args.method), &password);
    let request = AuthRequest::new(&args.user, credentials.clone(), args.service);
    let outcome = match client.authenticate(&request, &mut StdinResponder) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("radius-rs: error: {e}");
            return Verdict::Error;
        }
    };
    let reply = outcome.reply();
    println!("{}", code::name(reply.code));
    for a in &reply.attributes {
        for line in dictionary::format_attribute(a) {
            println!("    {line}");
        }
    }
    if outcome.is_accept() && args.method == Method::MsChapV2 {
        let name = client.user_name(&args.user, args.method);
        match verify_mschap_v2_success(reply, &credentials, &name, &password) {
            Some(true) => println!("MS-CHAP2-Success authenticator response: valid"),
            Some(false) => {
                println!("MS-CHAP2-Success authenticator response: INVALID (the server does not know the password)");
                return Verdict::Error;
            }
            None => println!("MS-CHAP2-Success: missing"),
        }
    }
    if outcome.is_accept() && registry.in_force() {
        // What the PAM module would export as RADIUS_POLICIES (OpenBao's login response).
        match registry.policies_for(&args.user) {
            Ok(p) => println!("policies: {} ({})", p.joined(), if p.registered { "registered" } else { "unregistered_user_policies" }),
            Err(e) => {
                println!("refused by the registry: {e}");
                return Verdict::Rejected;
            }
        }
    }
    if outcome.is_accept() {
        Verdict::Ok
    } else {
        Verdict::Rejected
    }
}

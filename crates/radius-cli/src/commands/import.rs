//! `radius-rs import pam_radius_auth.conf FILE` and `radius-rs import
//! radiusclient FILE`: read the old module's configuration with the same
//! reader the PAM module and the pppd plugin use, and print the equivalent
//! `radius.toml` (servers, secrets, ports, timeouts, retries, NAS
//! identifier, realm, source address, Message-Authenticator as the old
//! module had it), so its users move with one command.

use crate::Verdict;
use radius_core::config::{legacy, radiusclient, Families};
use radius_core::sources::{Sources, System};
use radius_core::{Config, Service};
use std::fmt::Write;
use std::path::{Path, PathBuf};

/// Which old configuration.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Format {
    /// pam_radius_auth's server file (`server[:port] secret [timeout [source [vrf]]]`).
    #[value(name = "pam_radius_auth.conf")]
    PamRadiusAuth,
    /// pppd radius.so's radiusclient.conf (with the `servers` file it names).
    Radiusclient,
}

/// `radius-rs import FORMAT FILE`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The old file's format.
    #[arg(value_enum)]
    format: Format,
    /// The old file.
    file: PathBuf,
}

/// Runs `import`: the TOML on stdout, errors and warnings on stderr.
pub fn run(args: &Args) -> Verdict {
    match import(args.format, &args.file, &System) {
        Ok(config) => {
            for w in &config.warnings {
                eprintln!("radius-rs: warning: {w}");
            }
            print!("{}", to_toml(&config, args.format, &args.file));
            Verdict::Ok
        }
        Err(e) => {
            eprintln!("radius-rs: error: {e}");
            Verdict::Error
        }
    }
}

/// Reads `file` as `format`.
pub fn import(format: Format, file: &Path, sources: &dyn Sources) -> Result<Config, String> {
    let text = sources.read(file).map_err(|e| format!("{}: cannot read: {e}", file.display()))?;
    match format {
        Format::PamRadiusAuth => legacy::parse_with(&text, file, Families::default(), sources),
        Format::Radiusclient => radiusclient::parse_with(&text, file, sources),
    }
    .map_err(|e| e.to_string())
}

/// A TOML string value, quoted and escaped by the toml crate.
fn quoted(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

fn duration(d: std::time::Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("\"{}s\"", d.as_secs())
    } else {
        format!("\"{}ms\"", d.as_millis())
    }
}

/// The configuration as a `radius.toml` that loads back to the same servers.
pub fn to_toml(c: &Config, format: Format, from: &Path) -> String {
    let mut t = String::new();
    let what = match format {
        Format::PamRadiusAuth => "pam_radius_auth.conf",
        Format::Radiusclient => "radiusclient.conf",
    };
    let _ = writeln!(t, "# radius_rs configuration imported from {} ({what}) by `radius-rs import`.", from.display());
    let _ = writeln!(t, "# It holds the shared secrets: keep it mode 0600, owned by root.\n");
    let _ = writeln!(t, "[client]");
    if let Some(id) = &c.client.nas_identifier {
        let _ = writeln!(t, "nas_identifier = {}", quoted(id));
    }
    if let Some(src) = c.src_address {
        let _ = writeln!(t, "src_address = {}", quoted(&src.to_string()));
    }
    let _ = writeln!(t, "timeout = {}", duration(c.client.timeout));
    let _ = writeln!(t, "retries = {}", c.client.retries);
    if !c.client.realm.is_empty() {
        let _ = writeln!(t, "realm = {}", quoted(&c.client.realm));
    }
    let _ = writeln!(
        t,
        "# The old module did not require Message-Authenticator in replies; once every server signs\n\
         # them (FreeRADIUS 3.2.5+ does), set this to true: the BlastRADIUS defence.\n\
         require_message_authenticator = {}",
        c.client.require_message_authenticator
    );
    for s in &c.servers {
        let _ = writeln!(t, "\n[[server]]");
        let address = match &s.vrf {
            Some(v) => format!("{}@{v}", host_of(&s.name, s.ip)),
            None => host_of(&s.name, s.ip),
        };
        let _ = writeln!(t, "address = {}", quoted(&address));
        let _ = writeln!(t, "secret = {}", quoted(&String::from_utf8_lossy(s.secret.expose())));
        if s.auth_port != 0 {
            let _ = writeln!(t, "auth_port = {}", s.auth_port);
        }
        if s.acct_port != 0 {
            let _ = writeln!(t, "acct_port = {}", s.acct_port);
        }
        if s.auth_port == 0 || s.acct_port == 0 {
            let _ = writeln!(t, "# {} only in the old file", if s.auth_port == 0 { "accounting" } else { "authentication" });
        }
        let services: Vec<String> = s.services.iter().map(|v: &Service| quoted(v.as_str())).collect();
        let _ = writeln!(t, "services = [{}]", services.join(", "));
        if s.timeout != c.client.timeout {
            let _ = writeln!(t, "timeout = {}", duration(s.timeout));
        }
        let _ = writeln!(t, "require_message_authenticator = {}", s.require_message_authenticator);
    }
    t
}

/// The server's name as the old file wrote it (without a port), or its address.
fn host_of(name: &str, ip: std::net::IpAddr) -> String {
    let bare = name.trim_start_matches('[');
    let host = match bare.split_once(']') {
        Some((h, _)) => h,
        None if name.parse::<std::net::IpAddr>().is_ok() => name,
        None => name.split(':').next().unwrap_or(name),
    };
    if host.is_empty() {
        ip.to_string()
    } else {
        host.to_string()
    }
}

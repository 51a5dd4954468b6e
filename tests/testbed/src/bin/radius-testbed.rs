//! `radius-testbed run -- CMD…`: starts the test FreeRADIUS, runs CMD with
//! its ports in the environment, stops FreeRADIUS, exits with CMD's status.
//! Used by the README's main-job command.

use radius_testbed::{FreeRadius, SECRET};
use std::process::{Command, ExitCode};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let cmd = match args.as_slice() {
        [run, dash, cmd @ ..] if run == "run" && dash == "--" && !cmd.is_empty() => cmd.to_vec(),
        _ => {
            eprintln!("usage: radius-testbed run -- COMMAND [ARGS…]");
            return ExitCode::from(2);
        }
    };
    // TESTBED_QUIET=1: no debug output, as a production server runs.
    let fr = if std::env::var_os("TESTBED_QUIET").is_some() { FreeRadius::start_quiet() } else { FreeRadius::start() };
    eprintln!(
        "radius-testbed: FreeRADIUS up in {} (modern auth {} acct {}, legacy auth {} acct {})",
        fr.dir().display(),
        fr.modern_auth,
        fr.modern_acct,
        fr.legacy_auth,
        fr.legacy_acct
    );
    let status = Command::new(&cmd[0])
        .args(&cmd[1..])
        .env("TESTBED_SECRET", SECRET)
        .env("TESTBED_AUTH_PORT", fr.modern_auth.to_string())
        .env("TESTBED_ACCT_PORT", fr.modern_acct.to_string())
        .env("TESTBED_LEGACY_AUTH_PORT", fr.legacy_auth.to_string())
        .env("TESTBED_LEGACY_ACCT_PORT", fr.legacy_acct.to_string())
        .env("TESTBED_DETAIL", fr.detail_path("modern"))
        .status();
    drop(fr);
    match status {
        Ok(s) if s.success() => ExitCode::SUCCESS,
        Ok(s) => ExitCode::from(s.code().unwrap_or(1).clamp(1, 255) as u8),
        Err(e) => {
            eprintln!("radius-testbed: cannot run {}: {e}", cmd[0]);
            ExitCode::from(2)
        }
    }
}

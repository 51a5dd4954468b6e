//! `ppp-scenarios OUT_DIR [--plugin PATH]`: runs inside the throwaway VM
//! (the host kernel has no PPP) and drives real pppd 2.4.9 sessions against
//! a real FreeRADIUS: our plugin over a pty, PPPoE and L2TP, local secrets
//! first, and the stock radius.so for comparison. Each scenario checks the
//! outcome a subscriber or an operator sees and writes one verdict line to
//! `OUT_DIR/verdicts` (`name<TAB>ok` or `name<TAB>FAIL<TAB>why`); the host
//! test suite `pppd_plugin` reads them. Logs go to `OUT_DIR/<name>.log`.

mod dm;
mod hardening;
mod reference;
mod rig;
mod scenarios;

use std::io::Write;
use std::path::PathBuf;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let out = PathBuf::from(args.first().expect("usage: ppp-scenarios OUT_DIR PLUGIN_SO"));
    let plugin = PathBuf::from(args.get(1).expect("usage: ppp-scenarios OUT_DIR PLUGIN_SO"));
    let only: Option<&String> = args.get(2);
    std::fs::create_dir_all(&out).expect("out dir");
    let mut verdicts = std::fs::OpenOptions::new().create(true).append(true).open(out.join("verdicts")).expect("verdicts");
    let rig = match rig::Rig::start(&out, &plugin) {
        Ok(r) => r,
        Err(e) => {
            writeln!(verdicts, "setup\tFAIL\t{e}").ok();
            return;
        }
    };
    writeln!(verdicts, "setup\tok").ok();
    let named = |name: &str| only.is_some_and(|o| o.split(',').any(|w| w == name));
    for (name, scenario) in scenarios::ALL.iter().chain(scenarios::BENCH) {
        let bench = scenarios::BENCH.iter().any(|(b, _)| b == name);
        if (bench && !named(name)) || (!bench && only.is_some_and(|o| !o.split(',').any(|w| name.contains(w)))) {
            continue;
        }
        let started = std::time::Instant::now();
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| scenario(&rig, name)));
        let line = match result {
            Ok(Ok(())) => format!("{name}\tok"),
            Ok(Err(why)) => format!("{name}\tFAIL\t{}", why.replace(['\n', '\t'], " ")),
            Err(_) => format!("{name}\tFAIL\tpanicked"),
        };
        eprintln!("{line} ({:.1}s)", started.elapsed().as_secs_f32());
        writeln!(verdicts, "{line}").ok();
        verdicts.flush().ok();
        rig.cleanup();
    }
    let _ = std::fs::write(out.join("freeradius.log"), rig.fr.debug_log());
    writeln!(verdicts, "done\tok").ok();
}

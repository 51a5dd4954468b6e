//! pam_radius_rs.so against Debian's pam_radius_auth.so, in one run, with
//! the same pam_radius_auth.conf and the same FreeRADIUS: N in-process
//! logins each (pam_start → pam_authenticate → pam_end), median of each
//! and their ratio. Then the same with a closed port as the first server,
//! where pam_radius_auth waits its timeout and we should not.
//!
//! Run with `bash scripts/bench.sh` (builds the release module first).

use radius_ffi::pam::app::Transaction;
use radius_ffi::pam::Style;
use radius_testbed::{closed_port, FreeRadius, SECRET};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

fn our_module() -> PathBuf {
    let exe = std::env::current_exe().expect("bench exe");
    let so = exe.parent().and_then(Path::parent).expect("target/<profile>").join("libpam_radius_rs.so");
    assert!(so.exists(), "{} missing: cargo build --release -p pam_radius_rs", so.display());
    so
}

fn reference_module() -> PathBuf {
    ["/lib/x86_64-linux-gnu/security", "/usr/lib/x86_64-linux-gnu/security"]
        .iter()
        .map(|d| Path::new(d).join("pam_radius_auth.so"))
        .find(|p| p.exists())
        .expect("pam_radius_auth.so (apt-get install libpam-radius-auth)")
}

/// Median time of `n` logins of alice through `module` with `conf`.
fn median_login(confdir: &Path, module: &Path, conf: &Path, n: usize) -> Duration {
    let service = format!("rrs-bench-{}", module.file_stem().unwrap().to_string_lossy().to_lowercase());
    std::fs::write(confdir.join(&service), format!("auth required {} conf={}\n", module.display(), conf.display())).unwrap();
    let mut times: Vec<Duration> = (0..n)
        .map(|_| {
            let t = Instant::now();
            let answer = Box::new(|style: Style, _: &str| style.is_prompt().then(|| b"alice-password".to_vec()));
            let mut tx = Transaction::start(&service, "alice", Some(confdir), answer).expect("pam_start");
            assert_eq!(tx.authenticate(0), Ok(()), "{} failed to log alice in", module.display());
            drop(tx);
            t.elapsed()
        })
        .collect();
    times.sort();
    times[n / 2]
}

fn report(title: &str, ours: Duration, reference: Duration) {
    println!("{title}");
    println!("  pam_radius_rs.so   median {:>10.3} ms", ours.as_secs_f64() * 1e3);
    println!("  pam_radius_auth.so median {:>10.3} ms", reference.as_secs_f64() * 1e3);
    println!("  ratio (pam_radius_auth / ours): {:.2}x {}", reference.as_secs_f64() / ours.as_secs_f64(),
        if ours < reference { "(ours faster)" } else { "(ours NOT faster)" });
}

fn main() {
    let n: usize = std::env::var("BENCH_LOGINS").ok().and_then(|v| v.parse().ok()).unwrap_or(200);
    let fr = FreeRadius::start();
    let dir = tempfile::tempdir().unwrap();
    let (ours, reference) = (our_module(), reference_module());

    let direct = dir.path().join("direct.conf");
    std::fs::write(&direct, format!("127.0.0.1:{} {SECRET} 3\n", fr.legacy_auth)).unwrap();
    let r = median_login(dir.path(), &reference, &direct, n);
    let o = median_login(dir.path(), &ours, &direct, n);
    report(&format!("login, one live server ({n} logins each):"), o, r);

    // pam_radius_auth waits its full timeout (3 s minimum) on a closed
    // port; so few logins are enough to see it.
    let slow_n = 5;
    let closed = dir.path().join("closed-first.conf");
    std::fs::write(&closed, format!("127.0.0.1:{} {SECRET} 3\n127.0.0.1:{} {SECRET} 3\n", closed_port(), fr.legacy_auth)).unwrap();
    let r = median_login(dir.path(), &reference, &closed, slow_n);
    let o = median_login(dir.path(), &ours, &closed, slow_n);
    report(&format!("login, first server a closed port ({slow_n} logins each):"), o, r);
}

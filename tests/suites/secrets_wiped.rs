//! Secrets are wiped before their memory is given back: a test allocator
//! (radius_ffi::alloc_probe) scans every freed block for the secret while
//! the core loads configurations that hold it (inline, from a secret_file,
//! a pam_radius_auth.conf), hides and unhides a password with it, and
//! decrypts MPPE keys. Not one block may still hold it.

use radius_core::auth::{mppe, password};
use radius_core::Config;
use radius_ffi::alloc_probe::{self, ScanningAllocator};

#[global_allocator]
static ALLOCATOR: ScanningAllocator = ScanningAllocator;

/// Runs `work` while watching for `needle`; the freed blocks that held it.
fn leaks(needle: &[u8], work: impl FnOnce()) -> usize {
    alloc_probe::watch(needle);
    work();
    alloc_probe::stop()
}

/// One test, so nothing else runs (and allocates) while a needle is watched.
#[test]
fn secrets_never_reach_freed_memory() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: String| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p
    };
    // Every file is written before a needle is watched (the test's own strings hold it).
    let file_secret = "needle-from-a-secret-file-4d1e";
    write("secret", format!("{file_secret}\nsecond line\n"));
    let with_file = write("file.toml", "[[server]]\naddress = \"127.0.0.1\"\nsecret_file = \"secret\"\n".into());
    let inline_secret = "needle-inline-toml-secret-8c2b";
    let inline = write("inline.toml", format!("[[server]]\naddress = \"127.0.0.1\"\nsecret = \"{inline_secret}\"\n"));
    let legacy_secret = "needle-legacy-conf-secret-3f7a";
    let legacy = write("pam_radius_auth.conf", format!("127.0.0.1:1812 {legacy_secret} 3\n"));

    for (path, needle) in [(&with_file, file_secret), (&inline, inline_secret), (&legacy, legacy_secret)] {
        let n = leaks(needle.as_bytes(), || {
            let config = Config::load(path).expect("loads");
            assert_eq!(config.servers[0].secret.expose(), needle.as_bytes());
            drop(config);
        });
        assert_eq!(n, 0, "{}: {n} freed blocks still held the shared secret", path.display());
    }

    let user_password = b"needle-user-password-91ab";
    let n = leaks(user_password, || {
        let hidden = password::hide(user_password, b"a-shared-secret", &[7; 16]);
        let clear = password::unhide(&hidden, b"a-shared-secret", &[7; 16]).unwrap();
        assert_eq!(&clear[..user_password.len()], user_password);
    });
    assert_eq!(n, 0, "{n} freed blocks still held the password");

    let key = [0x5au8; 16];
    let mut hidden = Vec::new();
    let n = leaks(&key, || {
        hidden = mppe::encrypt_key(&key, [0x81, 0x02], b"a-shared-secret", &[9; 16]);
        let clear = mppe::decrypt_key(&hidden, b"a-shared-secret", &[9; 16]).unwrap();
        assert_eq!(clear.as_slice(), &key);
    });
    assert_eq!(n, 0, "{n} freed blocks still held the MPPE key");
}

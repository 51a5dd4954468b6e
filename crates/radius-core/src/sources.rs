//! What loading a configuration needs from the host: reading a file it
//! names (a `secret_file`, a pppd `@file` secret) and resolving a server's
//! name. [`System`] reads the file system and asks the resolver; the fuzz
//! targets and tests use [`Offline`], which touches neither.

use std::io::{self, Read};
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::path::Path;
use zeroize::Zeroizing;

/// The most of a named file that is read: a secret is one short line.
pub const MAX_FILE: u64 = 64 * 1024;

/// The host's files and names.
pub trait Sources {
    /// The text of `path` (at most [`MAX_FILE`] bytes), wiped when dropped.
    fn read(&self, path: &Path) -> io::Result<Zeroizing<String>>;
    /// The addresses of `host`.
    fn resolve(&self, host: &str, port: u16) -> io::Result<Vec<IpAddr>>;
}

/// The real file system and resolver.
#[derive(Debug, Default, Clone, Copy)]
pub struct System;

impl System {
    /// As [`Sources::read`], with the metadata of the file read (taken
    /// from its descriptor: the file whose text this is).
    pub fn read_with_metadata(&self, path: &Path) -> io::Result<(Zeroizing<String>, std::fs::Metadata)> {
        let file = std::fs::File::open(path)?;
        let meta = file.metadata()?;
        let size = meta.len().min(MAX_FILE);
        // Sized once, so no reallocation leaves a copy of the secret behind.
        let mut text = Zeroizing::new(String::with_capacity(usize::try_from(size).unwrap_or(0) + 1));
        file.take(MAX_FILE).read_to_string(&mut text)?;
        Ok((text, meta))
    }
}

impl Sources for System {
    fn read(&self, path: &Path) -> io::Result<Zeroizing<String>> {
        self.read_with_metadata(path).map(|(text, _)| text)
    }

    fn resolve(&self, host: &str, port: u16) -> io::Result<Vec<IpAddr>> {
        Ok((host, port).to_socket_addrs()?.map(|a: SocketAddr| a.ip()).collect())
    }
}

/// No file system and no resolver: every file holds `offline-secret`, every
/// name is 192.0.2.1 (for fuzzing the parsers).
#[derive(Debug, Default, Clone, Copy)]
pub struct Offline;

impl Sources for Offline {
    fn read(&self, _: &Path) -> io::Result<Zeroizing<String>> {
        Ok(Zeroizing::new("offline-secret\n".to_string()))
    }

    fn resolve(&self, _: &str, _: u16) -> io::Result<Vec<IpAddr>> {
        Ok(vec![IpAddr::from([192, 0, 2, 1])])
    }
}

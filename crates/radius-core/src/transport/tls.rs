//! RadSec (RFC 6614): RADIUS packets over TLS over TCP.
//!
//! One connection carries whole RADIUS packets back to back, each framed
//! by its own Length field. TLS 1.2 or 1.3 (rustls, ring), never 0-RTT;
//! the server's certificate must chain to `ca_file` and carry
//! `server_name`; we present `certificate` (mutual authentication).
//! TCP_NODELAY is set: with Nagle on, the first request on a TLS 1.3
//! connection waits ~40 ms for the server's delayed ACK.
//!
//! A failed handshake is told by what did not match (the issuer, the
//! validity, the name, the server's alert). A connection the server closes
//! before answering anything is reported as a refusal of our certificate
//! (FreeRADIUS closes without an alert) or a connection limit, never as a
//! timeout. We send close_notify when done and do not wait for the
//! server's (FreeRADIUS does not send one).

use super::{Link, OpenError, Received};
use crate::config::TlsSettings;
use crate::packet::wire;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{AlertDescription, CertificateError, ClientConfig, ClientConnection, RootCertStore};
use socket2::{Domain, Protocol, SockAddr, Socket, Type};
use std::io::{self, Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The rustls client configuration for one server's [`TlsSettings`]:
/// its trust anchors and our certificate and key, read from their files.
pub fn client_config(settings: &TlsSettings) -> Result<Arc<ClientConfig>, String> {
    let file = |what: &str, path: &std::path::Path, e: &dyn std::fmt::Display| {
        format!("{what} {}: {e}", path.display())
    };
    let mut roots = RootCertStore::empty();
    let anchors = CertificateDer::pem_file_iter(&settings.ca_file)
        .map_err(|e| file("ca_file", &settings.ca_file, &e))?;
    for cert in anchors {
        let cert = cert.map_err(|e| file("ca_file", &settings.ca_file, &e))?;
        roots
            .add(cert)
            .map_err(|e| file("ca_file", &settings.ca_file, &e))?;
    }
    if roots.is_empty() {
        return Err(file("ca_file", &settings.ca_file, &"holds no certificate"));
    }
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&settings.certificate)
        .and_then(|certs| certs.collect())
        .map_err(|e| file("certificate", &settings.certificate, &e))?;
    if chain.is_empty() {
        return Err(file(
            "certificate",
            &settings.certificate,
            &"holds no certificate",
        ));
    }
    let key = PrivateKeyDer::from_pem_file(&settings.private_key)
        .map_err(|e| file("private_key", &settings.private_key, &e))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_client_auth_cert(chain, key)
        .map_err(|e| {
            format!(
                "certificate {} with private_key {}: {e}",
                settings.certificate.display(),
                settings.private_key.display()
            )
        })?;
    // 0-RTT stays off (rustls's default): a replayable login is no login.
    debug_assert!(!config.enable_early_data);
    Ok(Arc::new(config))
}

/// A TLS connection to one RadSec server.
#[derive(Debug)]
pub struct TlsLink {
    stream: rustls::StreamOwned<ClientConnection, TcpStream>,
    to: SocketAddr,
    /// Bytes read that do not make a whole packet yet.
    pending: Vec<u8>,
    /// Carried an earlier exchange (kept by [`super::system::SystemNetwork`]).
    pub(super) reused: bool,
    /// When the last exchange on it ended.
    pub(super) idle_since: Instant,
}

impl TlsLink {
    /// Connects to `to` (from `src`, bound to `vrf`) and completes the
    /// handshake, each step within `timeout`.
    pub fn connect(
        config: Arc<ClientConfig>,
        settings: &TlsSettings,
        to: SocketAddr,
        src: Option<IpAddr>,
        vrf: Option<&str>,
        timeout: Duration,
    ) -> Result<TlsLink, OpenError> {
        let name = ServerName::try_from(settings.server_name.clone()).map_err(|_| {
            OpenError::Tls(format!(
                "server_name `{}` is neither a DNS name nor an IP address",
                settings.server_name
            ))
        })?;
        let socket = Socket::new(Domain::for_address(to), Type::STREAM, Some(Protocol::TCP))?;
        if let Some(ip) = src {
            socket.bind(&SockAddr::from(SocketAddr::new(ip, 0)))?;
        }
        if let Some(vrf) = vrf {
            socket.bind_device(Some(vrf.as_bytes()))?;
        }
        socket.set_tcp_nodelay(true)?;
        socket
            .connect_timeout(&SockAddr::from(to), timeout)
            .map_err(|e| match e.kind() {
                io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => {
                    OpenError::Socket(io::Error::new(
                        io::ErrorKind::TimedOut,
                        format!("TCP connect: no answer in {timeout:?}"),
                    ))
                }
                _ => OpenError::Socket(e),
            })?;
        let tcp: TcpStream = socket.into();
        tcp.set_read_timeout(Some(timeout))?;
        tcp.set_write_timeout(Some(timeout))?;
        let conn =
            ClientConnection::new(config, name).map_err(|e| OpenError::Tls(e.to_string()))?;
        let mut stream = rustls::StreamOwned::new(conn, tcp);
        let deadline = Instant::now() + timeout;
        let mut heard = Counted {
            sock: &mut stream.sock,
            read: 0,
        };
        while stream.conn.is_handshaking() {
            if let Err(e) = stream.conn.complete_io(&mut heard) {
                // Closed before the server said a word: FreeRADIUS at its
                // connection limit for us ("Ignoring new connection due to
                // client max_connections"), not a judgement of our certificate.
                if heard.read == 0 && closed_by_peer(&e) {
                    return Err(OpenError::Busy);
                }
                return Err(OpenError::Tls(handshake_failure(&e, settings, timeout)));
            }
            if Instant::now() > deadline && stream.conn.is_handshaking() {
                return Err(OpenError::Tls(format!(
                    "the TLS handshake did not finish in {timeout:?}"
                )));
            }
        }
        Ok(TlsLink {
            stream,
            to,
            pending: Vec::new(),
            reused: false,
            idle_since: Instant::now(),
        })
    }

    /// The server's address.
    pub fn peer(&self) -> SocketAddr {
        self.to
    }

    /// Whether the server has closed (or written to) the idle connection:
    /// then it is not to be used again.
    pub(super) fn server_spoke(&self) -> bool {
        use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
        use std::os::fd::AsFd;
        let mut fds = [PollFd::new(self.stream.sock.as_fd(), PollFlags::POLLIN)];
        !matches!(poll(&mut fds, PollTimeout::ZERO), Ok(0))
    }

    /// A whole packet at the front of `pending`, moved into `buf`.
    fn take_packet(&mut self, buf: &mut [u8]) -> Option<Result<usize, io::Error>> {
        if self.pending.len() < 4 {
            return None;
        }
        let len = usize::from(u16::from_be_bytes([self.pending[2], self.pending[3]]));
        if !(wire::HEADER_LEN..=wire::MAX_LEN).contains(&len) || len > buf.len() {
            return Some(Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("a packet of length {len} on the stream: framing lost"),
            )));
        }
        if self.pending.len() < len {
            return None;
        }
        buf[..len].copy_from_slice(&self.pending[..len]);
        self.pending.drain(..len);
        Some(Ok(len))
    }
}

impl Link for TlsLink {
    fn send(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.stream.write_all(bytes)?;
        self.stream.flush()
    }

    fn recv(&mut self, buf: &mut [u8], timeout: Duration) -> Received {
        let deadline = Instant::now() + timeout;
        let mut chunk = [0u8; 4096];
        loop {
            match self.take_packet(buf) {
                Some(Ok(len)) => return Received::Datagram { len, from: self.to },
                Some(Err(e)) => return Received::Failed(e),
                None => {}
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Received::TimedOut;
            }
            if let Err(e) = self.stream.sock.set_read_timeout(Some(left)) {
                return Received::Failed(e);
            }
            match self.stream.read(&mut chunk) {
                Ok(0) => return Received::Closed(None),
                Ok(n) => self.pending.extend_from_slice(&chunk[..n]),
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) =>
                {
                    return Received::TimedOut
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => return Received::Interrupted,
                Err(e) if closed_by_peer(&e) => {
                    return Received::Closed(None)
                }
                Err(e) => {
                    return Received::Closed(Some(match tls_error(&e) {
                        Some(rustls::Error::AlertReceived(alert)) => alert_text(*alert),
                        Some(other) => other.to_string(),
                        None => e.to_string(),
                    }))
                }
            }
        }
    }

    fn source_ip(&mut self) -> Option<IpAddr> {
        self.stream.sock.local_addr().ok().map(|a| a.ip())
    }

    fn reliable(&self) -> bool {
        true
    }

    fn reused(&self) -> bool {
        self.reused
    }
}

impl Drop for TlsLink {
    /// close_notify, without waiting for the server's.
    fn drop(&mut self) {
        self.stream.conn.send_close_notify();
        let _ = self
            .stream
            .sock
            .set_write_timeout(Some(Duration::from_millis(100)));
        let _ = self.stream.conn.write_tls(&mut self.stream.sock);
    }
}

/// The socket, counting what the server sent.
struct Counted<'a> {
    sock: &'a mut TcpStream,
    read: usize,
}

impl Read for Counted<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.sock.read(buf)?;
        self.read += n;
        Ok(n)
    }
}

impl Write for Counted<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.sock.write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.sock.flush()
    }
}

/// The server closed its end: EOF without close_notify, a reset, or a
/// write into a connection it had closed.
fn closed_by_peer(e: &io::Error) -> bool {
    matches!(e.kind(), io::ErrorKind::UnexpectedEof | io::ErrorKind::ConnectionReset | io::ErrorKind::BrokenPipe)
}

fn tls_error(e: &io::Error) -> Option<&rustls::Error> {
    e.get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
}

/// What a failed handshake means, naming what did not match.
fn handshake_failure(e: &io::Error, settings: &TlsSettings, timeout: Duration) -> String {
    let ca = settings.ca_file.display();
    match tls_error(e) {
        Some(rustls::Error::InvalidCertificate(why)) => match why {
            CertificateError::UnknownIssuer => {
                format!("the server's certificate is not signed by a CA in ca_file {ca} (unknown issuer)")
            }
            CertificateError::Expired => "the server's certificate has expired".into(),
            CertificateError::ExpiredContext { time, not_after } => {
                format!("the server's certificate expired at {} (now {})", utc(*not_after), utc(*time))
            }
            CertificateError::NotValidYet => "the server's certificate is not valid yet".into(),
            CertificateError::NotValidYetContext { time, not_before } => {
                format!("the server's certificate is not valid before {} (now {})", utc(*not_before), utc(*time))
            }
            CertificateError::NotValidForName => format!("the server's certificate is not for server_name `{}`", settings.server_name),
            CertificateError::NotValidForNameContext { presented, .. } => format!(
                "the server's certificate is not for server_name `{}`: it names {}",
                settings.server_name,
                if presented.is_empty() { "nothing".to_string() } else { presented.join(", ") }
            ),
            CertificateError::BadSignature => format!("the server's certificate has a bad signature (ca_file {ca})"),
            CertificateError::InvalidPurpose | CertificateError::InvalidPurposeContext { .. } => {
                "the server's certificate is not for TLS server authentication (extended key usage)".into()
            }
            other => format!("the server's certificate was refused: {other:?}"),
        },
        Some(rustls::Error::AlertReceived(alert)) => format!("the server ended the handshake: {}", alert_text(*alert)),
        Some(other) => format!("TLS handshake failed: {other}"),
        None if closed_by_peer(e) => "the server closed the connection during the TLS handshake: it refused our certificate".into(),
        None => match e.kind() {
            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => format!("the TLS handshake did not finish in {timeout:?}"),
            _ => format!("TLS handshake failed: {e}"),
        },
    }
}

/// An alert from the server, said as what it means to us.
fn alert_text(alert: AlertDescription) -> String {
    match alert {
        AlertDescription::UnknownCA
        | AlertDescription::BadCertificate
        | AlertDescription::CertificateUnknown => {
            format!("it refused our certificate (TLS alert {alert:?})")
        }
        AlertDescription::CertificateExpired => {
            format!("it says our certificate has expired (TLS alert {alert:?})")
        }
        AlertDescription::CertificateRequired => {
            format!("it wants a client certificate (TLS alert {alert:?})")
        }
        AlertDescription::ProtocolVersion => {
            format!("no TLS version in common (TLS alert {alert:?})")
        }
        other => format!("TLS alert {other:?}"),
    }
}

/// `2026-12-02 03:04:05 UTC`.
fn utc(t: UnixTime) -> String {
    let secs = t.as_secs();
    let (days, rest) = (secs / 86_400, secs % 86_400);
    // Howard Hinnant's civil_from_days.
    let z = i64::try_from(days).unwrap_or(0) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_dates() {
        assert_eq!(
            utc(UnixTime::since_unix_epoch(Duration::from_secs(0))),
            "1970-01-01 00:00:00 UTC"
        );
        assert_eq!(
            utc(UnixTime::since_unix_epoch(Duration::from_secs(
                1_795_662_245
            ))),
            "2026-11-26 03:04:05 UTC"
        );
        assert_eq!(
            utc(UnixTime::since_unix_epoch(Duration::from_secs(951_782_400))),
            "2000-02-29 00:00:00 UTC"
        );
    }
}

//! IPv6 routes through an interface, as pppd adds its own IPv6 default
//! route (`SIOCADDRT` with a `struct in6_rtmsg` on an AF_INET6 socket):
//! what the pppd plugin installs for a subscriber's delegated prefix,
//! Framed-IPv6-Prefix and Framed-IPv6-Route at IPv6 up, and removes at
//! IPv6 down. No process is run and no netlink library pulled in.

use std::ffi::CString;
use std::io;
use std::net::Ipv6Addr;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

/// One route: `prefix/len` through the interface, optionally via `gateway`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ipv6Route {
    /// The destination prefix.
    pub prefix: Ipv6Addr,
    /// Its length (0..=128).
    pub len: u8,
    /// The next hop, if not the link itself.
    pub gateway: Option<Ipv6Addr>,
    /// The metric (0: the kernel's default for user routes).
    pub metric: u32,
}

impl std::fmt::Display for Ipv6Route {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.prefix, self.len)?;
        if let Some(g) = self.gateway {
            write!(f, " via {g}")?;
        }
        if self.metric != 0 {
            write!(f, " metric {}", self.metric)?;
        }
        Ok(())
    }
}

/// `struct in6_rtmsg` (linux/ipv6_route.h).
#[repr(C)]
struct in6_rtmsg {
    rtmsg_dst: [u8; 16],
    rtmsg_src: [u8; 16],
    rtmsg_gateway: [u8; 16],
    rtmsg_type: u32,
    rtmsg_dst_len: u16,
    rtmsg_src_len: u16,
    rtmsg_metric: u32,
    rtmsg_info: libc::c_ulong,
    rtmsg_flags: u32,
    rtmsg_ifindex: libc::c_int,
}

const RTF_UP: u32 = 0x0001;
const RTF_GATEWAY: u32 = 0x0002;

fn request(ifname: &str, route: &Ipv6Route, op: libc::Ioctl) -> io::Result<()> {
    let name = CString::new(ifname).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
    // SAFETY: a NUL-terminated name; if_nametoindex only reads it.
    let ifindex = unsafe { libc::if_nametoindex(name.as_ptr()) };
    if ifindex == 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: a plain socket(2); the fd is owned from here on.
    let fd = unsafe { libc::socket(libc::AF_INET6, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `fd` was just returned by socket(2) and nothing else owns it.
    let sock = unsafe { OwnedFd::from_raw_fd(fd) };
    let msg = in6_rtmsg {
        rtmsg_dst: route.prefix.octets(),
        rtmsg_src: [0; 16],
        rtmsg_gateway: route.gateway.map(|g| g.octets()).unwrap_or([0; 16]),
        rtmsg_type: 0,
        rtmsg_dst_len: route.len.min(128).into(),
        rtmsg_src_len: 0,
        rtmsg_metric: route.metric,
        rtmsg_info: 0,
        rtmsg_flags: RTF_UP | if route.gateway.is_some() { RTF_GATEWAY } else { 0 },
        rtmsg_ifindex: libc::c_int::try_from(ifindex).unwrap_or(0),
    };
    // SAFETY: SIOCADDRT / SIOCDELRT on an AF_INET6 socket read one struct
    // in6_rtmsg, which `msg` is, laid out as the kernel's (tested below).
    let rc = unsafe { libc::ioctl(sock.as_raw_fd(), op, &msg) };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Adds `route` through `ifname`.
pub fn add(ifname: &str, route: &Ipv6Route) -> io::Result<()> {
    request(ifname, route, libc::SIOCADDRT)
}

/// Removes `route` through `ifname`.
pub fn delete(ifname: &str, route: &Ipv6Route) -> io::Result<()> {
    request(ifname, route, libc::SIOCDELRT)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::mem::{offset_of, size_of};

    /// The layout of linux/ipv6_route.h's struct, compiled.
    #[test]
    fn in6_rtmsg_matches_the_kernel_header() {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("rt.c");
        std::fs::write(
            &src,
            "#include <stdio.h>\n#include <stddef.h>\n#include <netinet/in.h>\n#include <linux/ipv6_route.h>\n\
             int main(void){printf(\"%zu %zu %zu %zu %zu %zu\\n\", sizeof(struct in6_rtmsg), offsetof(struct in6_rtmsg, rtmsg_dst_len),\
             offsetof(struct in6_rtmsg, rtmsg_metric), offsetof(struct in6_rtmsg, rtmsg_info), offsetof(struct in6_rtmsg, rtmsg_flags),\
             offsetof(struct in6_rtmsg, rtmsg_ifindex));return 0;}\n",
        )
        .unwrap();
        let bin = dir.path().join("rt");
        let ok = std::process::Command::new("cc").arg("-o").arg(&bin).arg(&src).status().unwrap().success();
        assert!(ok, "cc failed");
        let out = String::from_utf8(std::process::Command::new(&bin).output().unwrap().stdout).unwrap();
        let ours = format!(
            "{} {} {} {} {} {}\n",
            size_of::<in6_rtmsg>(),
            offset_of!(in6_rtmsg, rtmsg_dst_len),
            offset_of!(in6_rtmsg, rtmsg_metric),
            offset_of!(in6_rtmsg, rtmsg_info),
            offset_of!(in6_rtmsg, rtmsg_flags),
            offset_of!(in6_rtmsg, rtmsg_ifindex)
        );
        assert_eq!(out, ours);
    }

    #[test]
    fn an_unknown_interface_is_an_error() {
        let r = Ipv6Route { prefix: "2001:db8::".parse().unwrap(), len: 56, gateway: None, metric: 0 };
        assert!(add("no-such-if0", &r).is_err());
        assert_eq!(r.to_string(), "2001:db8::/56");
    }
}

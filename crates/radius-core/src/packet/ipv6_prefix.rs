//! The IPv6 prefix value of Framed-IPv6-Prefix and Delegated-IPv6-Prefix
//! (RFC 3162 2.3, RFC 4818): a reserved byte, the prefix length, then only
//! the prefix's significant bytes.

use ipnet::Ipv6Net;
use std::net::Ipv6Addr;

/// Reads a prefix value; `None` when it is malformed (length over 128, more
/// bytes than 16, or fewer than the length needs).
pub fn decode(value: &[u8]) -> Option<Ipv6Net> {
    let [_, len, rest @ ..] = value else { return None };
    if *len > 128 || rest.len() > 16 || rest.len() * 8 < usize::from(*len) {
        return None;
    }
    let mut b = [0u8; 16];
    b[..rest.len()].copy_from_slice(rest);
    Ipv6Net::new(Ipv6Addr::from(b), *len).ok().map(|n| n.trunc())
}

/// The value for `net`: as many prefix bytes as its length needs.
pub fn encode(net: &Ipv6Net) -> Vec<u8> {
    let net = net.trunc();
    let bytes = usize::from(net.prefix_len()).div_ceil(8);
    let mut v = vec![0, net.prefix_len()];
    v.extend_from_slice(&net.addr().octets()[..bytes]);
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_malformed_values() {
        let net: Ipv6Net = "2001:db8:0:1200::/56".parse().unwrap();
        assert_eq!(encode(&net), vec![0, 56, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0x12]);
        assert_eq!(decode(&encode(&net)), Some(net));
        let full = vec![0, 64, 0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        assert_eq!(decode(&full), Some("2001:db8:1::/64".parse().unwrap()));
        assert_eq!(decode(&[0, 129]), None);
        assert_eq!(decode(&[0, 64, 0x20]), None);
        assert_eq!(decode(&[0]), None);
        assert_eq!(decode(&[0; 19]), None);
        assert_eq!(decode(&[0, 0]), Some("::/0".parse().unwrap()));
    }
}

//! The one way attributes are built: a typed list, in the order they are
//! sent, whose values are encoded by their kind (text, 32-bit integer,
//! IPv4/IPv6 address, vendor-specific) instead of by hand at each caller.

use super::attr;
use super::wire::{self, Attribute};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Attributes in the order they are sent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AttributeList(Vec<(u8, Vec<u8>)>);

impl AttributeList {
    /// An empty list.
    pub fn new() -> Self {
        AttributeList(Vec::new())
    }

    /// Appends raw bytes.
    pub fn bytes(&mut self, typ: u8, value: &[u8]) -> &mut Self {
        self.0.push((typ, value.to_vec()));
        self
    }

    /// Appends a text value.
    pub fn text(&mut self, typ: u8, value: &str) -> &mut Self {
        self.bytes(typ, value.as_bytes())
    }

    /// Appends a 32-bit integer (also enumerated values).
    pub fn integer(&mut self, typ: u8, value: u32) -> &mut Self {
        self.bytes(typ, &value.to_be_bytes())
    }

    /// Appends an IPv4 address.
    pub fn ipv4(&mut self, typ: u8, value: Ipv4Addr) -> &mut Self {
        self.bytes(typ, &value.octets())
    }

    /// Appends an IPv6 address.
    pub fn ipv6(&mut self, typ: u8, value: Ipv6Addr) -> &mut Self {
        self.bytes(typ, &value.octets())
    }

    /// Appends NAS-IP-Address or NAS-IPv6-Address, by the address's family.
    pub fn nas_address(&mut self, ip: IpAddr) -> &mut Self {
        match ip {
            IpAddr::V4(v4) => self.ipv4(attr::NAS_IP_ADDRESS, v4),
            IpAddr::V6(v6) => self.ipv6(attr::NAS_IPV6_ADDRESS, v6),
        }
    }

    /// Appends a Vendor-Specific attribute holding one sub-attribute.
    pub fn vendor(&mut self, vendor: u32, typ: u8, value: &[u8]) -> &mut Self {
        self.bytes(attr::VENDOR_SPECIFIC, &wire::vendor_value(vendor, typ, value))
    }

    /// Appends every attribute of `other`.
    pub fn extend(&mut self, other: &AttributeList) -> &mut Self {
        self.0.extend(other.0.iter().cloned());
        self
    }

    /// Appends attributes as received (e.g. a Class echoed).
    pub fn extend_received<'a>(&mut self, attributes: impl IntoIterator<Item = &'a Attribute>) -> &mut Self {
        self.0.extend(attributes.into_iter().map(|a| (a.typ, a.value.clone())));
        self
    }

    /// The first value of `typ`.
    pub fn get(&self, typ: u8) -> Option<&[u8]> {
        self.0.iter().find(|(t, _)| *t == typ).map(|(_, v)| v.as_slice())
    }

    /// The first value of `typ` as a 32-bit integer.
    pub fn get_integer(&self, typ: u8) -> Option<u32> {
        self.get(typ).and_then(|v| <[u8; 4]>::try_from(v).ok()).map(u32::from_be_bytes)
    }

    /// The first value of `typ` as text.
    pub fn get_text(&self, typ: u8) -> Option<String> {
        self.get(typ).map(|v| String::from_utf8_lossy(v).into_owned())
    }

    /// True when `typ` is present.
    pub fn contains(&self, typ: u8) -> bool {
        self.0.iter().any(|(t, _)| *t == typ)
    }

    /// Drops every attribute of `typ`.
    pub fn remove(&mut self, typ: u8) -> &mut Self {
        self.0.retain(|(t, _)| *t != typ);
        self
    }

    /// The attributes in order.
    pub fn iter(&self) -> impl Iterator<Item = (u8, &[u8])> {
        self.0.iter().map(|(t, v)| (*t, v.as_slice()))
    }

    /// The distinct attribute types, in order of first appearance.
    pub fn types(&self) -> Vec<u8> {
        let mut out: Vec<u8> = Vec::new();
        for (t, _) in &self.0 {
            if !out.contains(t) {
                out.push(*t);
            }
        }
        out
    }

    /// Number of attributes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl FromIterator<(u8, Vec<u8>)> for AttributeList {
    fn from_iter<I: IntoIterator<Item = (u8, Vec<u8>)>>(iter: I) -> Self {
        AttributeList(iter.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Values are encoded by kind and read back; order is kept.
    #[test]
    fn typed_values() {
        let mut l = AttributeList::new();
        l.text(attr::USER_NAME, "bob").integer(attr::NAS_PORT, 7).ipv4(attr::FRAMED_IP_ADDRESS, Ipv4Addr::new(10, 0, 0, 1));
        l.nas_address("::1".parse().unwrap()).vendor(311, 26, b"x");
        assert_eq!(l.get(attr::USER_NAME), Some(&b"bob"[..]));
        assert_eq!(l.get_integer(attr::NAS_PORT), Some(7));
        assert_eq!(l.get(attr::NAS_IPV6_ADDRESS).map(<[u8]>::len), Some(16));
        assert_eq!(l.get(attr::VENDOR_SPECIFIC), Some(&[0, 0, 1, 0x37, 26, 3, b'x'][..]));
        assert_eq!(l.types(), vec![1, 5, 8, 95, 26]);
        l.remove(attr::NAS_PORT);
        assert!(!l.contains(attr::NAS_PORT));
    }
}

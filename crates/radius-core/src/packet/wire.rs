//! Bounds-checked reading of untrusted RADIUS bytes.
//!
//! Every read goes through `get`/`split_at_checked`; malformed input gives a
//! typed [`WireError`], never a panic.
#![deny(clippy::indexing_slicing)]

/// Header length: code, identifier, length, authenticator.
pub const HEADER_LEN: usize = 20;
/// The largest RADIUS packet (RFC 2865 section 3).
pub const MAX_LEN: usize = 4096;

/// Why bytes are not a well-formed RADIUS packet.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WireError {
    /// Shorter than a header.
    #[error("packet of {0} bytes is shorter than the 20-byte header")]
    Short(usize),
    /// The Length field is below 20, above 4096 or above the datagram size.
    #[error("Length field {length} is impossible for a datagram of {received} bytes")]
    BadLength {
        /// The Length field.
        length: usize,
        /// Bytes received.
        received: usize,
    },
    /// An attribute runs past the end or has a length below 2.
    #[error("attribute at offset {offset} has a bad length")]
    BadAttribute {
        /// Byte offset of the attribute.
        offset: usize,
    },
}

/// One attribute as found on the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribute {
    /// Attribute type.
    pub typ: u8,
    /// Value bytes.
    pub value: Vec<u8>,
    /// Offset of the attribute's type byte within the packet.
    pub offset: usize,
}

/// The header fields of a packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// Code.
    pub code: u8,
    /// Identifier.
    pub identifier: u8,
    /// Length field (already checked against the datagram).
    pub length: usize,
    /// Authenticator.
    pub authenticator: [u8; 16],
}

/// Checks the header of a datagram and returns it with the packet bytes
/// (trailing bytes beyond Length are ignored, as RFC 2865 asks).
pub fn header(datagram: &[u8]) -> Result<(Header, &[u8]), WireError> {
    let (head, _) = datagram
        .split_at_checked(HEADER_LEN)
        .ok_or(WireError::Short(datagram.len()))?;
    let byte = |i: usize| head.get(i).copied().unwrap_or(0);
    let length = usize::from(u16::from_be_bytes([byte(2), byte(3)]));
    if !(HEADER_LEN..=MAX_LEN).contains(&length) || length > datagram.len() {
        return Err(WireError::BadLength { length, received: datagram.len() });
    }
    let mut authenticator = [0u8; 16];
    authenticator.copy_from_slice(head.get(4..HEADER_LEN).unwrap_or(&[0; 16]));
    let packet = datagram.get(..length).ok_or(WireError::Short(datagram.len()))?;
    Ok((Header { code: byte(0), identifier: byte(1), length, authenticator }, packet))
}

/// Walks the attributes of a packet whose header was checked by [`header`].
pub fn attributes(packet: &[u8]) -> Result<Vec<Attribute>, WireError> {
    let mut out = Vec::new();
    let mut offset = HEADER_LEN;
    while offset < packet.len() {
        let typ = *packet.get(offset).ok_or(WireError::BadAttribute { offset })?;
        let len = usize::from(*packet.get(offset + 1).ok_or(WireError::BadAttribute { offset })?);
        if len < 2 {
            return Err(WireError::BadAttribute { offset });
        }
        let value = packet
            .get(offset + 2..offset + len)
            .ok_or(WireError::BadAttribute { offset })?;
        out.push(Attribute { typ, value: value.to_vec(), offset });
        offset += len;
    }
    Ok(out)
}

/// One sub-attribute of a Vendor-Specific attribute (RFC 2865 5.26 format).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VendorAttribute {
    /// Vendor id (SMI enterprise number).
    pub vendor: u32,
    /// Vendor type.
    pub typ: u8,
    /// Value bytes.
    pub value: Vec<u8>,
}

/// Splits a Vendor-Specific value into its sub-attributes; `None` when it
/// does not follow the recommended format (it is then ignored, not fatal).
pub fn vendor_attributes(value: &[u8]) -> Option<Vec<VendorAttribute>> {
    let (id, mut rest) = value.split_at_checked(4)?;
    let vendor = u32::from_be_bytes(id.try_into().ok()?);
    let mut out = Vec::new();
    while !rest.is_empty() {
        let typ = *rest.first()?;
        let len = usize::from(*rest.get(1)?);
        if len < 2 {
            return None;
        }
        let (sub, tail) = rest.split_at_checked(len)?;
        out.push(VendorAttribute { vendor, typ, value: sub.get(2..)?.to_vec() });
        rest = tail;
    }
    Some(out)
}

/// Encodes a Vendor-Specific value holding one sub-attribute.
pub fn vendor_value(vendor: u32, typ: u8, value: &[u8]) -> Vec<u8> {
    let mut v = vendor.to_be_bytes().to_vec();
    v.push(typ);
    v.push((value.len() + 2).min(255) as u8);
    v.extend_from_slice(value);
    v
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn packet(attrs: &[u8]) -> Vec<u8> {
        let mut p = vec![2, 7, 0, 0];
        p.extend([0u8; 16]);
        p.extend_from_slice(attrs);
        let len = p.len() as u16;
        p[2..4].copy_from_slice(&len.to_be_bytes());
        p
    }

    /// Well-formed attributes are walked; trailing datagram bytes past Length are ignored.
    #[test]
    fn walks_attributes() {
        let mut p = packet(&[1, 5, b'b', b'o', b'b', 18, 2]);
        p.extend([0xff, 0xff]);
        let (h, pkt) = header(&p).unwrap();
        assert_eq!((h.code, h.identifier, h.length), (2, 7, 27));
        let a = attributes(pkt).unwrap();
        assert_eq!(a.len(), 2);
        assert_eq!(a[0].value, b"bob");
        assert!(a[1].value.is_empty());
    }

    /// Truncated and overlong inputs give typed errors.
    #[test]
    fn rejects_malformed() {
        assert_eq!(header(&[1, 2, 3]), Err(WireError::Short(3)));
        let mut p = packet(&[]);
        p[3] = 200;
        assert!(matches!(header(&p), Err(WireError::BadLength { .. })));
        let p = packet(&[1, 9, b'x']);
        let (_, pkt) = header(&p).unwrap();
        assert_eq!(attributes(pkt), Err(WireError::BadAttribute { offset: 20 }));
        let p = packet(&[1, 1]);
        let (_, pkt) = header(&p).unwrap();
        assert!(attributes(pkt).is_err());
    }

    /// Vendor-Specific values split into sub-attributes and round-trip.
    #[test]
    fn vendor_round_trip() {
        let v = vendor_value(311, 26, b"\x01S=AB");
        let subs = vendor_attributes(&v).unwrap();
        assert_eq!(subs, vec![VendorAttribute { vendor: 311, typ: 26, value: b"\x01S=AB".to_vec() }]);
        assert!(vendor_attributes(&[0, 0, 1]).is_none());
        assert!(vendor_attributes(&[0, 0, 1, 55, 1, 1]).is_none());
    }
}

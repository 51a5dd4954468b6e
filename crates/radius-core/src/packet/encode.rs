//! Writing packets: header, attributes, Length, and the two authenticator
//! computations every packet kind uses. The inverse of [`super::wire`].

use super::attr::MESSAGE_AUTHENTICATOR;
use super::attributes::AttributeList;
use super::wire::{HEADER_LEN, MAX_LEN};
use md5::{Digest, Md5};

/// Why a packet could not be encoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EncodeError {
    /// RFC 2865 limits User-Password to 128 bytes.
    #[error("password is longer than the 128 bytes RADIUS can carry")]
    PasswordTooLong,
    /// An attribute value is longer than 253 bytes.
    #[error("attribute {typ} has a value of {len} bytes; at most 253 fit")]
    AttributeTooLong {
        /// Attribute type.
        typ: u8,
        /// Value length.
        len: usize,
    },
    /// The packet would be longer than RADIUS allows.
    #[error("a packet of {0} bytes is over the 4096 RADIUS allows")]
    TooLong(usize),
}

/// A packet being written.
#[derive(Debug, Clone)]
pub struct Builder {
    bytes: Vec<u8>,
    ma_offset: Option<usize>,
}

impl Builder {
    /// A packet of `code` with `identifier` and the given authenticator field.
    pub fn new(code: u8, identifier: u8, authenticator: &[u8; 16]) -> Builder {
        let mut bytes = Vec::with_capacity(256);
        bytes.extend([code, identifier, 0, 0]);
        bytes.extend_from_slice(authenticator);
        Builder { bytes, ma_offset: None }
    }

    /// Appends one attribute.
    pub fn attribute(&mut self, typ: u8, value: &[u8]) -> Result<&mut Self, EncodeError> {
        let len = u8::try_from(value.len() + 2).ok().filter(|_| value.len() <= 253);
        let len = len.ok_or(EncodeError::AttributeTooLong { typ, len: value.len() })?;
        self.bytes.extend([typ, len]);
        self.bytes.extend_from_slice(value);
        Ok(self)
    }

    /// Appends every attribute of `list`.
    pub fn attributes(&mut self, list: &AttributeList) -> Result<&mut Self, EncodeError> {
        for (typ, value) in list.iter() {
            self.attribute(typ, value)?;
        }
        Ok(self)
    }

    /// Appends a Message-Authenticator to be filled in by [`Builder::finish`].
    pub fn message_authenticator(&mut self) -> &mut Self {
        self.ma_offset = Some(self.bytes.len() + 2);
        self.bytes.extend([MESSAGE_AUTHENTICATOR, 18]);
        self.bytes.extend([0u8; 16]);
        self
    }

    /// Sets Length, signs the Message-Authenticator (if any) over the packet
    /// as it stands with `ma_authenticator` in the authenticator field
    /// (RFC 3579 3.2; RFC 5176 for Disconnect/CoA), and returns the bytes.
    pub fn finish(mut self, secret: &[u8], ma_authenticator: Option<&[u8; 16]>) -> Result<Vec<u8>, EncodeError> {
        let length = self.bytes.len();
        let field = u16::try_from(length).ok().filter(|_| length <= MAX_LEN).ok_or(EncodeError::TooLong(length))?;
        if let Some(len) = self.bytes.get_mut(2..4) {
            len.copy_from_slice(&field.to_be_bytes());
        }
        if let Some(offset) = self.ma_offset {
            let mut copy = self.bytes.clone();
            if let (Some(auth), Some(a)) = (copy.get_mut(4..HEADER_LEN), ma_authenticator) {
                auth.copy_from_slice(a);
            }
            let mac = super::message_authenticator::hmac_md5(secret, &copy);
            if let Some(value) = self.bytes.get_mut(offset..offset + 16) {
                value.copy_from_slice(&mac);
            }
        }
        Ok(self.bytes)
    }
}

/// MD5(Code + Identifier + Length + `authenticator` + Attributes + Secret):
/// the Response Authenticator of a reply (with the Request Authenticator),
/// the Request Authenticator of an Accounting-, Disconnect- or CoA-Request
/// (with zeros).
pub fn md5_authenticator(packet: &[u8], authenticator: &[u8; 16], secret: &[u8]) -> [u8; 16] {
    let mut md5 = Md5::new();
    md5.update(packet.get(..4).unwrap_or(&[]));
    md5.update(authenticator);
    md5.update(packet.get(HEADER_LEN..).unwrap_or(&[]));
    md5.update(secret);
    md5.finalize().into()
}

/// Writes `authenticator` into the header of `packet`.
pub fn set_authenticator(packet: &mut [u8], authenticator: &[u8; 16]) {
    if let Some(field) = packet.get_mut(4..HEADER_LEN) {
        field.copy_from_slice(authenticator);
    }
}

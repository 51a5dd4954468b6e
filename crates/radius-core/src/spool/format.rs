//! One spooled record as bytes: a magic line, the record, and an MD5
//! digest of all that came before it, so a file cut short or damaged is
//! recognised as such and never sent.
//!
//! ```text
//! "RRSPOOL1\n"  status:u8  service:u8  secs:u64  nanos:u32  count:u16
//! count × (type:u8  len:u16  value)   md5:16
//! ```
//! (integers big-endian.)

use crate::accounting::{AccountingRecord, AcctStatus};
use crate::config::Service;
use crate::packet::attr::acct_status;
use crate::packet::AttributeList;
use md5::{Digest, Md5};
use std::time::{Duration, UNIX_EPOCH};

const MAGIC: &[u8] = b"RRSPOOL1\n";
const DIGEST: usize = 16;

/// Why stored bytes are not a record.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormatError {
    /// Not a spool file, or one of another version.
    #[error("not a radius_rs spool record (bad magic)")]
    Magic,
    /// Shorter than its contents say (a write cut short).
    #[error("cut short")]
    Truncated,
    /// The digest does not match (damaged on disk).
    #[error("checksum mismatch")]
    Checksum,
    /// A field with a value no writer produces.
    #[error("bad {0}")]
    Field(&'static str),
}

fn status_byte(s: AcctStatus) -> u8 {
    s.value() as u8
}

fn status_from(b: u8) -> Option<AcctStatus> {
    Some(match u32::from(b) {
        acct_status::START => AcctStatus::Start,
        acct_status::STOP => AcctStatus::Stop,
        acct_status::INTERIM_UPDATE => AcctStatus::InterimUpdate,
        acct_status::ACCOUNTING_ON => AcctStatus::AccountingOn,
        acct_status::ACCOUNTING_OFF => AcctStatus::AccountingOff,
        _ => return None,
    })
}

/// The record's bytes.
pub fn encode(record: &AccountingRecord) -> Vec<u8> {
    let since = record.event_time.duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO);
    let mut out = Vec::with_capacity(64 + record.attributes.iter().map(|(_, v)| v.len() + 3).sum::<usize>());
    out.extend_from_slice(MAGIC);
    out.push(status_byte(record.status));
    out.push(match record.service {
        Service::Login => 0,
        Service::Ppp => 1,
    });
    out.extend_from_slice(&since.as_secs().to_be_bytes());
    out.extend_from_slice(&since.subsec_nanos().to_be_bytes());
    let count = u16::try_from(record.attributes.len()).unwrap_or(u16::MAX);
    out.extend_from_slice(&count.to_be_bytes());
    for (typ, value) in record.attributes.iter().take(usize::from(count)) {
        out.push(typ);
        let len = u16::try_from(value.len()).unwrap_or(u16::MAX);
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(&value[..usize::from(len)]);
    }
    let digest = Md5::digest(&out);
    out.extend_from_slice(&digest);
    out
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], FormatError> {
        if self.0.len() < n {
            return Err(FormatError::Truncated);
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }
    fn u8(&mut self) -> Result<u8, FormatError> {
        Ok(self.take(1)?[0])
    }
    fn u16(&mut self) -> Result<u16, FormatError> {
        Ok(u16::from_be_bytes(self.take(2)?.try_into().map_err(|_| FormatError::Truncated)?))
    }
    fn u32(&mut self) -> Result<u32, FormatError> {
        Ok(u32::from_be_bytes(self.take(4)?.try_into().map_err(|_| FormatError::Truncated)?))
    }
    fn u64(&mut self) -> Result<u64, FormatError> {
        Ok(u64::from_be_bytes(self.take(8)?.try_into().map_err(|_| FormatError::Truncated)?))
    }
}

/// The record in `bytes`, checked.
pub fn decode(bytes: &[u8]) -> Result<AccountingRecord, FormatError> {
    if bytes.len() < MAGIC.len() || &bytes[..MAGIC.len()] != MAGIC {
        return Err(if MAGIC.starts_with(bytes) { FormatError::Truncated } else { FormatError::Magic });
    }
    if bytes.len() < MAGIC.len() + DIGEST {
        return Err(FormatError::Truncated);
    }
    let (body, digest) = bytes.split_at(bytes.len() - DIGEST);
    if Md5::digest(body).as_slice() != digest {
        // A write cut short and a damaged file look alike: neither is sent.
        return Err(FormatError::Checksum);
    }
    let mut r = Reader(&body[MAGIC.len()..]);
    let status = status_from(r.u8()?).ok_or(FormatError::Field("Acct-Status-Type"))?;
    let service = match r.u8()? {
        0 => Service::Login,
        1 => Service::Ppp,
        _ => return Err(FormatError::Field("service")),
    };
    let secs = r.u64()?;
    let nanos = r.u32()?;
    if nanos >= 1_000_000_000 {
        return Err(FormatError::Field("event time"));
    }
    let event_time = UNIX_EPOCH.checked_add(Duration::new(secs, nanos)).ok_or(FormatError::Field("event time"))?;
    let count = r.u16()?;
    let mut attributes = AttributeList::new();
    for _ in 0..count {
        let typ = r.u8()?;
        let len = r.u16()?;
        attributes.bytes(typ, r.take(usize::from(len))?);
    }
    if !r.0.is_empty() {
        return Err(FormatError::Field("length"));
    }
    Ok(AccountingRecord { status, service, attributes, event_time })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::packet::attr;

    fn record() -> AccountingRecord {
        AccountingRecord::new(AcctStatus::Stop, Service::Ppp)
            .text(attr::ACCT_SESSION_ID, "6740A1B2-9F3C2D4E5A6B7C8D")
            .text(attr::USER_NAME, "alice")
            .integer(attr::ACCT_INPUT_OCTETS, 123_456)
            .bytes(attr::CLASS, &[0, 1, 2, 255])
    }

    /// What is written is read back the same.
    #[test]
    fn round_trip() {
        let r = record();
        let back = decode(&encode(&r)).unwrap();
        assert_eq!(back.status, r.status);
        assert_eq!(back.service, r.service);
        assert_eq!(back.event_time, r.event_time);
        assert_eq!(back.attributes.iter().collect::<Vec<_>>(), r.attributes.iter().collect::<Vec<_>>());
    }

    /// Every prefix of a record (a write cut anywhere) and every single
    /// flipped byte is refused, never read as a different record.
    #[test]
    fn cut_or_damaged_is_refused() {
        let bytes = encode(&record());
        for n in 0..bytes.len() {
            assert!(decode(&bytes[..n]).is_err(), "prefix of {n} bytes accepted");
        }
        for i in 0..bytes.len() {
            let mut b = bytes.clone();
            b[i] ^= 0x40;
            assert!(decode(&b).is_err(), "byte {i} flipped and accepted");
        }
        assert!(matches!(decode(b"garbage garbage garbage garbage"), Err(FormatError::Magic)));
    }
}

//! Names and value formats of the attributes radius_rs prints and parses.

use crate::packet::attr::ms;
use crate::packet::wire::{self, Attribute};
use std::net::{Ipv4Addr, Ipv6Addr};

/// How a value is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// UTF-8 text.
    Text,
    /// 32-bit unsigned integer.
    Integer,
    /// IPv4 address.
    Ipv4,
    /// IPv6 address.
    Ipv6,
    /// IPv6 prefix (reserved, length, prefix).
    Ipv6Prefix,
    /// Opaque bytes, shown in hex.
    Octets,
    /// Hidden key material: only its length is shown.
    Hidden,
}

/// Standard attributes: (type, name, kind).
pub const STANDARD: &[(u8, &str, Kind)] = &[
    (1, "User-Name", Kind::Text),
    (2, "User-Password", Kind::Hidden),
    (3, "CHAP-Password", Kind::Octets),
    (4, "NAS-IP-Address", Kind::Ipv4),
    (5, "NAS-Port", Kind::Integer),
    (6, "Service-Type", Kind::Integer),
    (7, "Framed-Protocol", Kind::Integer),
    (8, "Framed-IP-Address", Kind::Ipv4),
    (9, "Framed-IP-Netmask", Kind::Ipv4),
    (10, "Framed-Routing", Kind::Integer),
    (11, "Filter-Id", Kind::Text),
    (12, "Framed-MTU", Kind::Integer),
    (13, "Framed-Compression", Kind::Integer),
    (18, "Reply-Message", Kind::Text),
    (22, "Framed-Route", Kind::Text),
    (24, "State", Kind::Octets),
    (25, "Class", Kind::Octets),
    (26, "Vendor-Specific", Kind::Octets),
    (27, "Session-Timeout", Kind::Integer),
    (28, "Idle-Timeout", Kind::Integer),
    (30, "Called-Station-Id", Kind::Text),
    (31, "Calling-Station-Id", Kind::Text),
    (32, "NAS-Identifier", Kind::Text),
    (33, "Proxy-State", Kind::Octets),
    (40, "Acct-Status-Type", Kind::Integer),
    (41, "Acct-Delay-Time", Kind::Integer),
    (42, "Acct-Input-Octets", Kind::Integer),
    (43, "Acct-Output-Octets", Kind::Integer),
    (44, "Acct-Session-Id", Kind::Text),
    (45, "Acct-Authentic", Kind::Integer),
    (46, "Acct-Session-Time", Kind::Integer),
    (47, "Acct-Input-Packets", Kind::Integer),
    (48, "Acct-Output-Packets", Kind::Integer),
    (49, "Acct-Terminate-Cause", Kind::Integer),
    (50, "Acct-Multi-Session-Id", Kind::Text),
    (52, "Acct-Input-Gigawords", Kind::Integer),
    (53, "Acct-Output-Gigawords", Kind::Integer),
    (55, "Event-Timestamp", Kind::Integer),
    (60, "CHAP-Challenge", Kind::Octets),
    (61, "NAS-Port-Type", Kind::Integer),
    (62, "Port-Limit", Kind::Integer),
    (76, "Prompt", Kind::Integer),
    (80, "Message-Authenticator", Kind::Octets),
    (85, "Acct-Interim-Interval", Kind::Integer),
    (87, "NAS-Port-Id", Kind::Text),
    (88, "Framed-Pool", Kind::Text),
    (95, "NAS-IPv6-Address", Kind::Ipv6),
    (96, "Framed-Interface-Id", Kind::Octets),
    (97, "Framed-IPv6-Prefix", Kind::Ipv6Prefix),
    (99, "Framed-IPv6-Route", Kind::Text),
    (100, "Framed-IPv6-Pool", Kind::Text),
    (101, "Error-Cause", Kind::Integer),
    (123, "Delegated-IPv6-Prefix", Kind::Ipv6Prefix),
    (136, "Management-Privilege-Level", Kind::Integer),
    (168, "Framed-IPv6-Address", Kind::Ipv6),
    (169, "DNS-Server-IPv6-Address", Kind::Ipv6),
    (170, "Route-IPv6-Information", Kind::Ipv6Prefix),
    (227, "Session-Octets-Limit", Kind::Integer),
    (228, "Octets-Direction", Kind::Integer),
];

/// Vendor attributes: (vendor, type, name, kind).
pub const VENDOR: &[(u32, u8, &str, Kind)] = &[
    (ms::VENDOR, ms::CHAP_RESPONSE, "MS-CHAP-Response", Kind::Octets),
    (ms::VENDOR, ms::CHAP_ERROR, "MS-CHAP-Error", Kind::Text),
    (ms::VENDOR, 7, "MS-MPPE-Encryption-Policy", Kind::Integer),
    (ms::VENDOR, 8, "MS-MPPE-Encryption-Types", Kind::Integer),
    (ms::VENDOR, ms::CHAP_DOMAIN, "MS-CHAP-Domain", Kind::Text),
    (ms::VENDOR, ms::CHAP_CHALLENGE, "MS-CHAP-Challenge", Kind::Octets),
    (ms::VENDOR, ms::CHAP_MPPE_KEYS, "MS-CHAP-MPPE-Keys", Kind::Hidden),
    (ms::VENDOR, ms::MPPE_SEND_KEY, "MS-MPPE-Send-Key", Kind::Hidden),
    (ms::VENDOR, ms::MPPE_RECV_KEY, "MS-MPPE-Recv-Key", Kind::Hidden),
    (ms::VENDOR, ms::CHAP2_RESPONSE, "MS-CHAP2-Response", Kind::Octets),
    (ms::VENDOR, ms::CHAP2_SUCCESS, "MS-CHAP2-Success", Kind::Text),
    (ms::VENDOR, 28, "MS-Primary-DNS-Server", Kind::Ipv4),
    (ms::VENDOR, 29, "MS-Secondary-DNS-Server", Kind::Ipv4),
    (14988, 1, "Mikrotik-Recv-Limit", Kind::Integer),
    (14988, 2, "Mikrotik-Xmit-Limit", Kind::Integer),
    (14988, 3, "Mikrotik-Group", Kind::Text),
    (14988, 8, "Mikrotik-Rate-Limit", Kind::Text),
    (14988, 10, "Mikrotik-Address-List", Kind::Text),
];

/// Formats a value of `kind`.
pub fn format_value(kind: Kind, value: &[u8]) -> String {
    let hex = || format!("0x{}", value.iter().map(|b| format!("{b:02x}")).collect::<String>());
    match kind {
        Kind::Text => match std::str::from_utf8(value) {
            Ok(s) if !s.chars().any(|c| c.is_control()) => format!("\"{s}\""),
            _ => hex(),
        },
        Kind::Integer => <[u8; 4]>::try_from(value).map(|b| u32::from_be_bytes(b).to_string()).unwrap_or_else(|_| hex()),
        Kind::Ipv4 => <[u8; 4]>::try_from(value).map(|b| Ipv4Addr::from(b).to_string()).unwrap_or_else(|_| hex()),
        Kind::Ipv6 => <[u8; 16]>::try_from(value).map(|b| Ipv6Addr::from(b).to_string()).unwrap_or_else(|_| hex()),
        Kind::Ipv6Prefix => match value {
            [_, len, rest @ ..] if rest.len() <= 16 => {
                let mut b = [0u8; 16];
                b[..rest.len()].copy_from_slice(rest);
                format!("{}/{len}", Ipv6Addr::from(b))
            }
            _ => hex(),
        },
        Kind::Octets => hex(),
        Kind::Hidden => format!("<hidden, {} bytes>", value.len()),
    }
}

/// Formats one attribute as `Name = value` lines (a Vendor-Specific
/// attribute gives one line per sub-attribute; unknown ones are shown by
/// number).
pub fn format_attribute(a: &Attribute) -> Vec<String> {
    if a.typ == crate::packet::attr::VENDOR_SPECIFIC {
        if let Some(subs) = wire::vendor_attributes(&a.value) {
            return subs
                .iter()
                .map(|v| match VENDOR.iter().find(|(id, t, _, _)| *id == v.vendor && *t == v.typ) {
                    Some((_, _, name, kind)) => format!("{name} = {}", format_value(*kind, &v.value)),
                    None => format!("Vendor-{}-Attr-{} = {}", v.vendor, v.typ, format_value(Kind::Octets, &v.value)),
                })
                .collect();
        }
    }
    vec![match STANDARD.iter().find(|(t, _, _)| *t == a.typ) {
        Some((_, name, kind)) => format!("{name} = {}", format_value(*kind, &a.value)),
        None => format!("Attr-{} = {}", a.typ, format_value(Kind::Octets, &a.value)),
    }]
}

/// Named integer values radiusclient's dictionary gives (what radattr.so prints).
/// Named integer values: (attribute, value, name).
pub const NAMED_VALUES: &[(u8, u32, &str)] = &[
    (6, 1, "Login-User"),
    (6, 2, "Framed-User"),
    (6, 5, "Outbound-User"),
    (6, 6, "Administrative-User"),
    (6, 7, "NAS-Prompt-User"),
    (7, 1, "PPP"),
    (7, 2, "SLIP"),
    (10, 0, "None"),
    (10, 1, "Broadcast"),
    (10, 2, "Listen"),
    (10, 3, "Broadcast-Listen"),
    (13, 0, "None"),
    (13, 1, "Van-Jacobson-TCP-IP"),
];

fn radattr_value(typ: u8, kind: Kind, value: &[u8]) -> String {
    match kind {
        // One attribute is one line: text with a newline (or any control
        // character, or not UTF-8) is written in hex, never raw, so a reply
        // cannot add lines of its choosing to the file or the scripts' environment.
        Kind::Text => match std::str::from_utf8(value) {
            Ok(s) if !s.chars().any(char::is_control) => s.to_string(),
            _ => format_value(Kind::Octets, value),
        },
        Kind::Integer => {
            let n = <[u8; 4]>::try_from(value).map(u32::from_be_bytes).ok();
            match n.and_then(|n| NAMED_VALUES.iter().find(|(t, v, _)| *t == typ && *v == n)) {
                Some((_, _, name)) => (*name).to_string(),
                None => format_value(kind, value),
            }
        }
        _ => format_value(kind, value),
    }
}

/// One attribute as `radattr.so` writes it to `/var/run/radattr.pppN`:
/// `Name value` lines, text unquoted, known integers by name. Key material
/// (Hidden) is left out.
pub fn radattr_lines(a: &Attribute) -> Vec<String> {
    if a.typ == crate::packet::attr::VENDOR_SPECIFIC {
        if let Some(subs) = wire::vendor_attributes(&a.value) {
            return subs
                .iter()
                .filter_map(|v| match VENDOR.iter().find(|(id, t, _, _)| *id == v.vendor && *t == v.typ) {
                    Some((_, _, _, Kind::Hidden)) => None,
                    Some((_, _, name, kind)) => Some(format!("{name} {}", radattr_value(0, *kind, &v.value))),
                    None => Some(format!("Vendor-{}-Attr-{} {}", v.vendor, v.typ, format_value(Kind::Octets, &v.value))),
                })
                .collect();
        }
    }
    match STANDARD.iter().find(|(t, _, _)| *t == a.typ) {
        Some((_, _, Kind::Hidden)) => Vec::new(),
        Some((t, name, kind)) => vec![format!("{name} {}", radattr_value(*t, *kind, &a.value))],
        None => vec![format!("Attr-{} {}", a.typ, format_value(Kind::Octets, &a.value))],
    }
}

/// Parses `Name=value` (a standard attribute by name; integers by number
/// or by their dictionary name) into a type and wire value, as pppd's
/// `avpair` options are written.
pub fn parse_avpair(text: &str) -> Result<(u8, Vec<u8>), String> {
    let (name, value) = text.split_once('=').ok_or_else(|| format!("`{text}`: expected ATTRIBUTE=VALUE"))?;
    let (name, value) = (name.trim(), value.trim());
    let (typ, kind) = standard_by_name(name).ok_or_else(|| format!("`{text}`: unknown attribute `{name}`"))?;
    let bad = |what: &str| format!("`{text}`: {name} takes {what}");
    let bytes = match kind {
        Kind::Text => value.as_bytes().to_vec(),
        Kind::Integer => match value.parse::<u32>() {
            Ok(n) => n.to_be_bytes().to_vec(),
            Err(_) => NAMED_VALUES
                .iter()
                .find(|(t, _, n)| *t == typ && n.eq_ignore_ascii_case(value))
                .map(|(_, v, _)| v.to_be_bytes().to_vec())
                .ok_or_else(|| bad("a number"))?,
        },
        Kind::Ipv4 => value.parse::<Ipv4Addr>().map_err(|_| bad("an IPv4 address"))?.octets().to_vec(),
        Kind::Ipv6 => value.parse::<Ipv6Addr>().map_err(|_| bad("an IPv6 address"))?.octets().to_vec(),
        Kind::Octets => value.strip_prefix("0x").and_then(unhex).ok_or_else(|| bad("0x-prefixed hex"))?,
        Kind::Ipv6Prefix | Kind::Hidden => return Err(format!("`{text}`: {name} cannot be set this way")),
    };
    Ok((typ, bytes))
}

/// Hex digits as bytes; `None` for an odd count or anything but a hex digit.
fn unhex(hex: &str) -> Option<Vec<u8>> {
    let digits = hex.as_bytes();
    if !digits.len().is_multiple_of(2) {
        return None;
    }
    digits
        .chunks(2)
        .map(|pair| {
            let digit = |b: u8| char::from(b).to_digit(16);
            Some((digit(*pair.first()?)? * 16 + digit(*pair.get(1)?)?) as u8)
        })
        .collect()
}

/// The number of a standard attribute by name.
pub fn standard_by_name(name: &str) -> Option<(u8, Kind)> {
    STANDARD.iter().find(|(_, n, _)| n.eq_ignore_ascii_case(name)).map(|(t, _, k)| (*t, *k))
}

/// `RADIUS_*` variables for a script (ip-up, the CoA hook) from
/// attributes, named as radattr names them (`Mikrotik-Rate-Limit` →
/// `RADIUS_MIKROTIK_RATE_LIMIT`); repeated attributes are joined with `;`.
/// Message-Authenticator, State and Proxy-State are left out.
pub fn script_env(attributes: &[Attribute]) -> Vec<(String, String)> {
    use crate::packet::attr;
    let mut env: Vec<(String, String)> = Vec::new();
    let private = |t: u8| matches!(t, attr::MESSAGE_AUTHENTICATOR | attr::STATE | attr::PROXY_STATE);
    for a in attributes.iter().filter(|a| !private(a.typ)) {
        for line in radattr_lines(a) {
            let Some((name, value)) = line.split_once(' ') else { continue };
            let name: String = name.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_uppercase() } else { '_' }).collect();
            let name = format!("RADIUS_{name}");
            match env.iter_mut().find(|(n, _)| *n == name) {
                Some((_, existing)) => {
                    existing.push(';');
                    existing.push_str(value);
                }
                None => env.push((name, value.to_string())),
            }
        }
    }
    env
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Values print by kind; keys stay hidden; unknown attributes print by number.
    #[test]
    fn formats() {
        let a = |typ, value: &[u8]| Attribute { typ, value: value.to_vec(), offset: 0 };
        assert_eq!(format_attribute(&a(8, &[10, 0, 0, 7])), vec!["Framed-IP-Address = 10.0.0.7"]);
        assert_eq!(format_attribute(&a(18, b"hello")), vec!["Reply-Message = \"hello\""]);
        assert_eq!(format_attribute(&a(27, &[0, 0, 0, 60])), vec!["Session-Timeout = 60"]);
        assert_eq!(format_attribute(&a(240, &[1])), vec!["Attr-240 = 0x01"]);
        let key = wire::vendor_value(311, 16, &[0x80; 34]);
        assert_eq!(format_attribute(&a(26, &key)), vec!["MS-MPPE-Send-Key = <hidden, 34 bytes>"]);
        let rate = wire::vendor_value(14988, 8, b"10M/10M");
        assert_eq!(format_attribute(&a(26, &rate)), vec!["Mikrotik-Rate-Limit = \"10M/10M\""]);
        assert_eq!(standard_by_name("framed-ip-address"), Some((8, Kind::Ipv4)));
    }

    #[test]
    fn avpairs() {
        assert_eq!(parse_avpair("NAS-Identifier=bras-1"), Ok((32, b"bras-1".to_vec())));
        assert_eq!(parse_avpair("Service-Type=Framed-User"), Ok((6, vec![0, 0, 0, 2])));
        assert_eq!(parse_avpair("NAS-Port-Type = 15"), Ok((61, vec![0, 0, 0, 15])));
        assert_eq!(parse_avpair("NAS-IP-Address=192.0.2.1"), Ok((4, vec![192, 0, 2, 1])));
        assert!(parse_avpair("No-Such=1").unwrap_err().contains("unknown attribute"));
        assert!(parse_avpair("Session-Timeout=x").unwrap_err().contains("a number"));
        assert!(parse_avpair("User-Password=x").is_err());
        assert_eq!(parse_avpair("Class=0x676f6c64"), Ok((25, b"gold".to_vec())));
        // Found by the avpair fuzz target: a non-ASCII character inside the hex split it mid-character.
        assert!(parse_avpair("Class=0x676f6\u{28f}6c64-").is_err());
        assert!(parse_avpair("Class=0x6").is_err());
        assert!(parse_avpair("novalue").is_err());
    }

    /// radattr.so's format: unquoted text, integers by name, keys left out.
    #[test]
    fn radattr_format() {
        let a = |typ, value: &[u8]| Attribute { typ, value: value.to_vec(), offset: 0 };
        assert_eq!(radattr_lines(&a(6, &[0, 0, 0, 2])), vec!["Service-Type Framed-User"]);
        assert_eq!(radattr_lines(&a(8, &[10, 0, 0, 7])), vec!["Framed-IP-Address 10.0.0.7"]);
        assert_eq!(radattr_lines(&a(11, b"std.in")), vec!["Filter-Id std.in"]);
        assert_eq!(radattr_lines(&a(27, &[0, 0, 0, 60])), vec!["Session-Timeout 60"]);
        let rate = wire::vendor_value(14988, 8, b"10M/10M");
        assert_eq!(radattr_lines(&a(26, &rate)), vec!["Mikrotik-Rate-Limit 10M/10M"]);
        assert!(radattr_lines(&a(26, &wire::vendor_value(311, 16, &[0x80; 34]))).is_empty());
    }

    /// A text value with a newline cannot inject a line into radattr or a script's environment.
    #[test]
    fn radattr_text_is_one_line() {
        let a = |typ, value: &[u8]| Attribute { typ, value: value.to_vec(), offset: 0 };
        let evil = a(11, b"std\nFramed-IP-Address 192.0.2.66");
        assert_eq!(radattr_lines(&evil), vec!["Filter-Id 0x7374640a4672616d65642d49502d41646472657373203139322e302e322e3636"]);
        let rate = a(26, &wire::vendor_value(14988, 8, b"1M\r\nX 1"));
        assert_eq!(radattr_lines(&rate), vec!["Mikrotik-Rate-Limit 0x314d0d0a582031"]);
        let env = script_env(&[evil]);
        assert!(env.iter().all(|(_, v)| !v.contains('\n')), "{env:?}");
    }
}

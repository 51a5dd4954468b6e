//! The allowed-addresses column of a pap-secrets / chap-secrets line, read
//! and applied as pppd's own `set_allowed_addrs` / `ip_addr_check` do, so a
//! local user decided by the plugin gets what pppd alone would give him:
//!
//! - the words are tried in order, the first that contains the address
//!   decides; an address no word contains is refused;
//! - `a.b.c.d` is one host, `a.b.c.d/len` a subnet, `a.b.c.d/len+` the
//!   subnet's host number unit+1 (`ppp0` gets `.1`); `!` before a word
//!   refuses what it contains;
//! - `*` allows any address and ends the list; `-` ends the list (alone:
//!   no address at all);
//! - the first single host listed is the address suggested to the peer when
//!   pppd's options give none (or one the list refuses), and insisted on
//!   when it is the only word;
//! - a line with no addresses (three words) yields no list: pppd decides
//!   (it refuses every address to a peer that had to authenticate).
//!
//! pppd also resolves host and network names here; radius_rs does not look
//! names up during a login: such a word is skipped with a warning, as pppd
//! skips a name that does not resolve.

use std::net::Ipv4Addr;

/// One word of the list: addresses `a` with `a & mask == base`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Rule {
    permit: bool,
    base: u32,
    mask: u32,
}

/// The parsed column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedAddresses {
    rules: Vec<Rule>,
    suggested: Option<Ipv4Addr>,
    /// Words that could not be used (for a log line).
    pub warnings: Vec<String>,
}

/// What pppd does with the suggested address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Suggestion {
    /// The address to ask the peer to use.
    pub address: Ipv4Addr,
    /// Whether the peer may still ask for another allowed address
    /// (the list allows more than this one).
    pub accept_others: bool,
}

impl AllowedAddresses {
    /// Reads the column `words` for the link on pppd unit `unit`; `None`
    /// when the line has no addresses.
    pub fn parse(words: &[String], unit: u32) -> Option<AllowedAddresses> {
        if words.is_empty() {
            return None;
        }
        let mut list = AllowedAddresses { rules: Vec::new(), suggested: None, warnings: Vec::new() };
        for word in words {
            if word == "-" {
                break;
            }
            if word == "*" {
                list.rules.push(Rule { permit: true, base: 0, mask: 0 });
                break;
            }
            let (permit, text) = match word.strip_prefix('!') {
                Some(rest) => (false, rest),
                None => (true, word.as_str()),
            };
            let (host, length) = match text.split_once('/') {
                Some((h, l)) => (h, Some(l)),
                None => (text, None),
            };
            let mut mask = u32::MAX;
            let mut offset = 0u32;
            if let Some(length) = length {
                let (digits, plus) = match length.strip_suffix('+') {
                    Some(d) => (d, true),
                    None => (length, false),
                };
                match digits.parse::<u32>() {
                    Ok(bits @ 1..=32) => mask = u32::MAX.checked_shl(32 - bits).unwrap_or(0),
                    _ => {
                        list.warnings.push(format!("invalid address length {length} in the address list"));
                        continue;
                    }
                }
                if plus {
                    offset = unit.saturating_add(1);
                }
            }
            let Ok(addr) = host.parse::<Ipv4Addr>() else {
                list.warnings.push(format!("unknown host {word} in the address list (names are not looked up)"));
                continue;
            };
            let mut a = u32::from(addr);
            if offset != 0 {
                if offset >= !mask {
                    list.warnings.push(format!("interface unit {unit} too large for subnet {text}"));
                    continue;
                }
                a = (a & mask) + offset;
                mask = u32::MAX;
            }
            list.rules.push(Rule { permit, base: a & mask, mask });
            if mask == u32::MAX && list.suggested.is_none() {
                list.suggested = Some(Ipv4Addr::from(a));
            }
        }
        Some(list)
    }

    /// May the peer use `addr`?
    pub fn allows(&self, addr: Ipv4Addr) -> bool {
        let a = u32::from(addr);
        self.rules.iter().find(|r| a & r.mask == r.base).is_some_and(|r| r.permit)
    }

    /// The address to suggest to the peer, given the one pppd's options
    /// chose (`configured`): a single host of the list, when the options
    /// gave none or one the list refuses.
    pub fn suggestion(&self, configured: Option<Ipv4Addr>) -> Option<Suggestion> {
        let address = self.suggested?;
        if configured.is_some_and(|c| self.allows(c)) {
            return None;
        }
        Some(Suggestion { address, accept_others: self.rules.len() > 1 })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(words: &[&str], unit: u32) -> AllowedAddresses {
        AllowedAddresses::parse(&words.iter().map(|w| w.to_string()).collect::<Vec<_>>(), unit).expect("a list")
    }

    fn ip(s: &str) -> Ipv4Addr {
        s.parse().unwrap()
    }

    #[test]
    fn no_column_is_no_list() {
        assert_eq!(AllowedAddresses::parse(&[], 0), None);
    }

    /// One address: the only one allowed, suggested and insisted on.
    #[test]
    fn a_single_address_is_assigned() {
        let l = list(&["10.65.0.60"], 0);
        assert!(l.allows(ip("10.65.0.60")) && !l.allows(ip("10.65.0.61")));
        assert_eq!(l.suggestion(None), Some(Suggestion { address: ip("10.65.0.60"), accept_others: false }));
        assert_eq!(l.suggestion(Some(ip("10.65.0.9"))), Some(Suggestion { address: ip("10.65.0.60"), accept_others: false }));
        assert_eq!(l.suggestion(Some(ip("10.65.0.60"))), None);
    }

    /// Subnets and lists restrict; the first word that contains the address decides.
    #[test]
    fn lists_and_subnets_restrict_in_order() {
        let l = list(&["!10.0.0.9", "10.0.0.0/24", "192.0.2.7"], 0);
        assert!(!l.allows(ip("10.0.0.9")));
        assert!(l.allows(ip("10.0.0.10")) && l.allows(ip("192.0.2.7")));
        assert!(!l.allows(ip("10.0.1.1")));
        // "!10.0.0.9" is the first single host: pppd suggests it (and then refuses it).
        assert_eq!(l.suggestion(None).map(|s| (s.address, s.accept_others)), Some((ip("10.0.0.9"), true)));
        let subnet = list(&["10.0.0.0/24"], 0);
        assert_eq!(subnet.suggestion(None), None);
        assert!(subnet.allows(ip("10.0.0.255")));
    }

    #[test]
    fn star_allows_anything_and_ends_the_list() {
        let l = list(&["*", "!10.0.0.1"], 0);
        assert!(l.allows(ip("10.0.0.1")) && l.allows(ip("203.0.113.5")));
        assert_eq!(l.suggestion(None), None);
        let after = list(&["10.0.0.1", "*"], 0);
        assert_eq!(after.suggestion(None), Some(Suggestion { address: ip("10.0.0.1"), accept_others: true }));
        assert!(after.allows(ip("10.9.9.9")));
    }

    #[test]
    fn dash_ends_the_list() {
        let none = list(&["-"], 0);
        assert!(!none.allows(ip("10.0.0.1")) && none.suggestion(None).is_none());
        let l = list(&["10.0.0.1", "-", "10.0.0.2"], 0);
        assert!(l.allows(ip("10.0.0.1")) && !l.allows(ip("10.0.0.2")));
    }

    /// `/len+`: the subnet's host number unit+1.
    #[test]
    fn unit_offset() {
        let l = list(&["10.1.0.0/24+"], 2);
        assert!(l.allows(ip("10.1.0.3")) && !l.allows(ip("10.1.0.4")));
        assert_eq!(l.suggestion(None).map(|s| s.address), Some(ip("10.1.0.3")));
        let small = list(&["10.1.0.0/31+"], 4);
        assert_eq!(small.rules.len(), 0);
        assert_eq!(small.warnings.len(), 1);
    }

    #[test]
    fn unusable_words_are_skipped_with_a_warning() {
        let l = list(&["gateway.example", "10.0.0.0/33", "10.0.0.0/x", "10.0.0.5"], 0);
        assert_eq!(l.warnings.len(), 3, "{:?}", l.warnings);
        assert!(l.allows(ip("10.0.0.5")) && !l.allows(ip("10.0.0.6")));
        assert_eq!(l.suggestion(None).map(|s| (s.address, s.accept_others)), Some((ip("10.0.0.5"), false)));
    }
}

//! The one decision over `[ppp] order`, for PAP and CHAP alike: each
//! source in turn either decides the peer or passes it on (no local
//! record; RADIUS unreachable), and the first that decides is final.

use radius_core::config::SecretSource;

/// What one source said about the peer.
#[derive(Debug, PartialEq, Eq)]
pub enum Said<A, R> {
    /// Accepted, with what goes with it.
    Accept(A),
    /// Rejected, with what goes with it.
    Reject(R),
    /// This source cannot decide: ask the next.
    Pass,
}

/// Asks the sources of `order` in turn; the first that decides, or `None`
/// when none could.
pub fn decide<A, R>(order: &[SecretSource], mut ask: impl FnMut(SecretSource) -> Said<A, R>) -> Option<Said<A, R>> {
    order.iter().map(|source| ask(*source)).find(|said| !matches!(said, Said::Pass))
}

#[cfg(test)]
mod tests {
    use super::*;
    use SecretSource::{Local, Radius};

    /// The first source that decides is final; passing sources are skipped; none deciding is `None`.
    #[test]
    fn first_decider_wins() {
        let mut asked = Vec::new();
        let said = decide(&[Local, Radius], |s| {
            asked.push(s);
            if s == Local { Said::<&str, ()>::Pass } else { Said::Accept("radius") }
        });
        assert_eq!(said, Some(Said::Accept("radius")));
        assert_eq!(asked, vec![Local, Radius]);
        let mut asked = Vec::new();
        let said = decide(&[Local, Radius], |s| {
            asked.push(s);
            Said::<(), &str>::Reject("local says no")
        });
        assert_eq!(said, Some(Said::Reject("local says no")));
        assert_eq!(asked, vec![Local], "RADIUS is not asked once local decided");
        assert_eq!(decide(&[Radius], |_| Said::<(), ()>::Pass), None);
    }
}

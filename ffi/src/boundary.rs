//! The single panic boundary. Every `extern "C"` function of radius_rs
//! (PAM entry points, conversation and cleanup callbacks, pppd hooks) runs
//! its body through [`guard`], so a panic never unwinds into C: it is
//! caught, reported, and replaced by the caller's failure value (fail
//! closed: a PAM error code, a rejected peer).

use std::any::Any;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// Runs `body`; on panic reports `"<entry>: internal error (panic: …); failing closed"`
/// through `report` and returns `on_panic`.
pub fn guard<T>(entry: &str, on_panic: T, report: &dyn Fn(&str), body: impl FnOnce() -> T) -> T {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(value) => value,
        Err(payload) => {
            report(&format!("{entry}: internal error (panic: {}); failing closed", panic_message(&*payload)));
            on_panic
        }
    }
}

fn panic_message(payload: &(dyn Any + Send)) -> &str {
    if let Some(s) = payload.downcast_ref::<&str>() {
        s
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s
    } else {
        "non-text payload"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;

    #[test]
    fn a_panic_becomes_the_failure_value_and_a_report() {
        let seen = RefCell::new(String::new());
        let report = |m: &str| *seen.borrow_mut() = m.to_string();
        let code = guard("pam_sm_authenticate", 7, &report, || -> i32 { panic!("boom {}", 1) });
        assert_eq!(code, 7);
        assert_eq!(*seen.borrow(), "pam_sm_authenticate: internal error (panic: boom 1); failing closed");
        assert_eq!(guard("x", 7, &report, || 0), 0);
    }
}

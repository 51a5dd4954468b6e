//! Integration suites live in `suites/`; this crate has no library code.

//! The conformance suites: behaviours written once against the service traits, run for every provider.

pub mod compute;
pub mod compute_faults;
pub mod faults;
pub mod storage;

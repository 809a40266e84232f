//! The conformance suites: behaviours written once against the service traits, run for every provider.

pub mod compute;
pub mod faults;
pub mod storage;

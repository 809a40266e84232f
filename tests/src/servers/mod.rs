//! Real servers the tests run against, started and stopped by the tests themselves.

pub mod azurite;
pub mod fault_proxy;
pub mod gcs;
pub mod mimic;
pub mod moto;
pub mod prism;
pub mod s3s;
pub mod swift;
pub mod tls;

//! Test support shared by the workspace-wide tests: servers that run in the test process and that the
//! tests script, and helpers to start and reach the real servers the harness installs.

pub mod conformance;
pub mod counting;
pub mod files;
pub mod forms;
pub mod fuzz;
pub mod redaction;
pub mod scripted;
pub mod server;
pub mod servers;
pub mod usage;

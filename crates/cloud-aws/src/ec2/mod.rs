//! Amazon EC2 compute over the EC2 Query API.
//!
//! [`Ec2`] implements [`ComputeDriver`](cloud_compute::ComputeDriver): RunInstances with a count and a
//! client token (a retried create never launches twice), DescribeInstances following `NextToken` and
//! filtering by id (so waiting for a thousand nodes costs one call per look), instance types, images,
//! zones, key pairs, volumes and snapshots. Requests are signed with SigV4 on every attempt.

mod compute;
mod config;
mod convert;
#[cfg(feature = "fuzzing")]
pub(crate) mod fuzzing;
mod model;

pub use compute::Ec2;
pub use config::Ec2Builder;

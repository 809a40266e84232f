//! The shared foundation of the `cloud` crates: the connection layer, errors, credentials, pagination and
//! polling. It knows no provider and no service.
//!
//! - [`HttpClient`]: one pooled HTTP client (hyper + rustls) per process, cheap to clone and shared by any
//!   number of tasks. Each provider gets an [`HttpService`] from it: the request pipeline
//!   (trace → concurrency limit → retry → authorize → transport, which bounds each attempt), where the provider's
//!   [`Authorize`] signs **every attempt** afresh.
//! - [`Error`] with an [`ErrorKind`] and context; [`Secret`] for credentials; [`TokenCache`] for tokens that
//!   expire.
//! - [`paginate`] turns page-token APIs into lazy streams; [`poll_until`] waits for a condition with
//!   backoff, a deadline and cancellation.
//! - The debug log ([`debug_log`]): `CLOUD_DEBUG=1` prints each request as a `curl` command with every
//!   credential replaced by `***`.
//!
//! ```
//! use futures_util::TryStreamExt;
//! use cloud_core::{paginate, ErrorKind, HttpClient, Page, ServiceConfig};
//!
//! # tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap().block_on(async {
//! // One client for the whole process; services for each provider share its connection pool.
//! let client = HttpClient::new()?;
//! let service = client.service(ServiceConfig::new("example"));
//! let for_another_task = service.clone();
//! # drop((service, for_another_task));
//!
//! // A listing API that returns pages becomes a lazy stream of items.
//! let names: Vec<String> = paginate(|token: Option<usize>| async move {
//!     let start = token.unwrap_or(0);
//!     let names = (start..start + 2).map(|i| format!("object-{i}")).collect();
//!     Ok(Page::new(names, (start < 2).then_some(start + 2)))
//! })
//! .try_collect()
//! .await?;
//! assert_eq!(names.len(), 4);
//! # Ok::<(), cloud_core::Error>(())
//! # }).unwrap();
//! ```

pub mod backoff;
pub mod body;
pub mod client;
pub mod clock;
pub mod debug_log;
pub mod endpoint;
pub mod error;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
pub mod headers;
pub mod hex;
#[cfg(feature = "json")]
pub mod json;
#[cfg(feature = "oauth")]
pub mod oauth;
pub mod pagination;
pub mod pipeline;
pub mod poll;
pub mod process;
pub mod redact;
pub mod request;
mod resource;
pub mod secret;
pub mod time;
pub mod token;
#[cfg(feature = "xml")]
pub mod xml;

pub use backoff::{Backoff, Jitter};
pub use body::{Body, ResponseBody};
pub use client::{HttpClient, HttpClientBuilder, HttpService, ProxyConfig, ServiceConfig};
pub use clock::{Clock, ManualClock, SystemClock};
pub use debug_log::DebugLog;
pub use error::{BoxError, Error, ErrorKind, Result};
pub use pagination::{paginate, Page};
pub use pipeline::{
    body_summary, default_error, Authorize, BearerToken, ErrorParser, GenericErrors, NoAuth,
    Operation, Request, Response, RetryConfig,
};
pub use poll::{poll_until, CancellationToken, PollOptions};
pub use resource::Resource;
pub use secret::Secret;
pub use token::{Provide, TemporaryToken, TokenCache};

// Re-exported so providers and users name the same versions.
pub use async_trait::async_trait;
pub use bytes;
pub use http;

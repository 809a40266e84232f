//! Faults the in-memory providers inject on request, so users can test how their code copes.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use cloud_core::{Error, ErrorKind, Result};

/// Which faults to inject. Calls are counted from 1 across every operation of the provider (a part of a
/// multipart upload counts as one call).
///
/// ```
/// use std::time::Duration;
/// use cloud_core::ErrorKind;
/// use cloud_local::Faults;
///
/// // The third call fails as a broken connection; every call takes 5 ms; every tenth is throttled.
/// let faults = Faults::new()
///     .fail_call(3, ErrorKind::Transport)
///     .delay(Duration::from_millis(5))
///     .throttle_every(10);
/// # let _ = faults;
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Faults {
    /// Fail call number N (from 1) with an error of this kind.
    pub fail_call: Option<(u64, ErrorKind)>,
    /// Fail every Nth call with [`ErrorKind::RateLimited`].
    pub throttle_every: Option<u64>,
    /// Delay every call by this much.
    pub delay: Option<Duration>,
    /// Cut every object body short after this many bytes, while the metadata still claims the whole
    /// size: a source that lies about its length.
    pub truncate_reads: Option<u64>,
}

impl Faults {
    /// No faults.
    pub fn new() -> Faults {
        Faults::default()
    }

    /// Fails call number `n` (from 1) with an error of `kind`.
    pub fn fail_call(mut self, n: u64, kind: ErrorKind) -> Faults {
        self.fail_call = Some((n, kind));
        self
    }

    /// Fails every `n`th call with [`ErrorKind::RateLimited`].
    pub fn throttle_every(mut self, n: u64) -> Faults {
        self.throttle_every = Some(n.max(1));
        self
    }

    /// Delays every call by `delay`.
    pub fn delay(mut self, delay: Duration) -> Faults {
        self.delay = Some(delay);
        self
    }

    /// Cuts object bodies short after `bytes` bytes.
    pub fn truncate_reads(mut self, bytes: u64) -> Faults {
        self.truncate_reads = Some(bytes);
        self
    }
}

/// The faults and the call counter of one provider instance.
#[derive(Debug, Default)]
pub(crate) struct FaultState {
    pub(crate) faults: Faults,
    calls: AtomicU64,
}

impl FaultState {
    pub(crate) fn new(faults: Faults) -> FaultState {
        FaultState {
            faults,
            calls: AtomicU64::new(0),
        }
    }

    /// Counts a call and injects whatever fault is due.
    pub(crate) async fn enter(&self, operation: &'static str) -> Result<()> {
        let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
        if let Some(delay) = self.faults.delay {
            tokio::time::sleep(delay).await;
        }
        if let Some((at, kind)) = self.faults.fail_call {
            if at == n {
                return Err(Error::new(
                    kind,
                    format!("injected fault: call {n} ({operation}) fails"),
                ));
            }
        }
        if let Some(every) = self.faults.throttle_every {
            if n.is_multiple_of(every) {
                return Err(Error::new(
                    ErrorKind::RateLimited,
                    format!("injected fault: call {n} ({operation}) throttled"),
                ));
            }
        }
        Ok(())
    }

    /// How many calls were made.
    #[cfg(feature = "storage")]
    pub(crate) fn calls(&self) -> u64 {
        self.calls.load(Ordering::SeqCst)
    }
}

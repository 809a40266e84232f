//! The fault scenario suite: what every storage driver does when the network and the server misbehave,
//! written once against `dyn StorageDriver` and run for each provider through the in-process
//! [`FaultProxy`] in front of its real server (see [`storage_faults!`](crate::storage_faults!)).
//!
//! Each scenario arms faults for the requests it names (resets mid-request and mid-body, stalls, bursts
//! of 429, 500 and 503, listings cut short or replaced by garbage, bodies changed in flight) and then
//! holds the driver to one rule: the call returns verified data, or a typed error that leaves no
//! partial object and no pending multipart upload behind.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use cloud_core::{Backoff, ErrorKind, HttpClient, Jitter, ManualClock, ProxyConfig, RetryConfig};
use cloud_storage::{download_file, GetOptions, ListOptions, StorageDriver, StorageExt};
use futures_util::TryStreamExt;
use http::Method;

use super::storage::pattern;
use crate::servers::fault_proxy::{Action, FaultProxy, Matcher, Plan};

/// Which requests of a provider are which, by method and path-and-query.
pub struct Requests {
    /// A read of an object's bytes.
    pub object_read: Matcher,
    /// A page of an object listing.
    pub listing: Matcher,
    /// A request carrying object bytes (a whole object or one part).
    pub upload: Matcher,
    /// Where the provider keeps the parts of a container's large objects, when not in the container
    /// itself (Swift's `_segments` containers).
    pub parts_container: Option<fn(&str) -> String>,
}

/// A driver whose every request goes through a [`FaultProxy`], with the faults a test arms.
pub struct FaultFixture {
    /// The driver, talking to the proxy.
    pub store: Arc<dyn StorageDriver>,
    /// The faults to come.
    pub plan: Plan,
    /// The proxy, to see what it did.
    pub proxy: FaultProxy,
    /// The provider's requests.
    pub requests: Requests,
    /// An object size that the driver uploads in several parts.
    pub large: usize,
    _keep: Box<dyn std::any::Any + Send + Sync>,
}

/// How long a body may stall before the driver gives up on it: short, so that stalls cost little.
pub const IDLE: Duration = Duration::from_millis(300);

/// The client every fixture's driver uses: no proxy from the environment, retries without real
/// waiting (a fake clock), and short first-byte and idle timeouts.
pub fn client() -> HttpClient {
    HttpClient::builder()
        .proxies(ProxyConfig::none())
        .clock(Arc::new(ManualClock::new()))
        .retry(
            RetryConfig::default().with_backoff(Backoff::default().with_jitter(Jitter::fixed(0.5))),
        )
        .first_byte_timeout(Some(Duration::from_secs(5)))
        .read_idle_timeout(Some(IDLE))
        .max_concurrency(Some(8))
        .build()
        .expect("a client")
}

impl FaultFixture {
    /// A proxy to `upstream`, and the driver `build` makes for the proxy's endpoint with [`client`].
    pub async fn new(
        upstream: &str,
        requests: Requests,
        large: usize,
        build: impl FnOnce(&str, HttpClient) -> Arc<dyn StorageDriver>,
        keep: impl std::any::Any + Send + Sync,
    ) -> FaultFixture {
        let plan = Plan::default();
        let proxy = FaultProxy::planned(upstream, plan.clone()).await;
        let store = build(&proxy.endpoint(), client());
        FaultFixture {
            store,
            plan,
            proxy,
            requests,
            large,
            _keep: Box::new(keep),
        }
    }

    /// A new container for one scenario.
    pub async fn container(&self) -> String {
        let name = format!(
            "faults-{}-{:x}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap_or_default()
                .as_nanos()
                & 0xff_ffff_ffff
        );
        self.store
            .create_container(&name)
            .await
            .expect("create a container for the scenario");
        name
    }

    /// How many requests the proxy answered with `action`.
    pub fn dealt(&self, action: Action) -> usize {
        self.proxy
            .seen()
            .iter()
            .filter(|s| s.action == action)
            .count()
    }

    /// Asserts that nothing of `key` is left: no object, and no pending upload where the provider can
    /// list them.
    pub async fn nothing_left(&self, container: &str, key: &str) {
        self.plan.clear();
        let err = self.store.head_object(container, key).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound, "a partial object: {err}");
        if self.store.capabilities().pending_uploads {
            let pending = self.store.list_pending_uploads(container).await.unwrap();
            assert!(pending.is_empty(), "uploads left pending: {pending:?}");
        }
        if let Some(parts) = self.requests.parts_container {
            let listed: cloud_core::Result<Vec<_>> = self
                .store
                .list_objects(&parts(container), &ListOptions::default())
                .try_collect()
                .await;
            match listed {
                Ok(left) => assert!(left.is_empty(), "parts left behind: {left:?}"),
                Err(err) => assert_eq!(err.kind(), ErrorKind::NotFound, "{err}"),
            }
        }
    }
}

/// A matcher from a function.
pub fn matcher(f: impl Fn(&Method, &str) -> bool + Send + Sync + 'static) -> Matcher {
    Arc::new(f)
}

/// Any request at all.
pub fn any() -> Matcher {
    matcher(|_, _| true)
}

/// Generates one test per scenario for the provider whose fixture `$factory` makes.
#[macro_export]
macro_rules! storage_faults {
    ($factory:path) => {
        $crate::storage_faults!(@each $factory;
            an_upload_cut_mid_request_is_sent_again,
            a_large_upload_with_a_part_cut_mid_request_is_whole,
            a_download_cut_mid_body_resumes,
            a_stalled_download_resumes,
            bursts_of_429_500_and_503_are_retried,
            a_listing_cut_short_is_read_again,
            a_malformed_listing_is_an_error_not_an_empty_one,
            a_download_changed_in_flight_is_refused,
            a_file_download_changed_in_flight_leaves_no_file,
            a_read_that_skips_its_checksum_takes_the_bytes_as_they_come,
            a_failed_upload_leaves_nothing_behind,
            a_failed_large_upload_leaves_no_parts_behind,
        );
    };
    (@each $factory:path; $($scenario:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $scenario() {
                let fixture = $factory().await;
                $crate::conformance::faults::$scenario(&fixture).await;
            }
        )*
    };
}

/// A connection broken while an object's bytes are sent: the upload is sent again and lands whole.
pub async fn an_upload_cut_mid_request_is_sent_again(f: &FaultFixture) {
    let container = f.container().await;
    let data = pattern(256 << 10);
    f.plan
        .arm(f.requests.upload.clone(), Action::CutRequest(64 << 10), 1);
    let meta = f
        .store
        .put_bytes(&container, "k", data.clone())
        .await
        .unwrap();
    assert_eq!(meta.size, data.len() as u64);
    assert_eq!(
        f.dealt(Action::CutRequest(64 << 10)),
        1,
        "the fault was dealt"
    );
    assert_eq!(f.store.get_bytes(&container, "k").await.unwrap(), data);
}

/// One part of a multipart upload is cut: that part is sent again and the object is whole.
pub async fn a_large_upload_with_a_part_cut_mid_request_is_whole(f: &FaultFixture) {
    let container = f.container().await;
    let data = pattern(f.large);
    // The third upload request: a part after the first, whatever begins the upload.
    f.plan.arm(f.requests.upload.clone(), Action::Pass, 2);
    f.plan
        .arm(f.requests.upload.clone(), Action::CutRequest(32 << 10), 1);
    f.store
        .put_bytes(&container, "big", data.clone())
        .await
        .unwrap();
    assert_eq!(
        f.dealt(Action::CutRequest(32 << 10)),
        1,
        "the fault was dealt"
    );
    assert_eq!(f.store.get_bytes(&container, "big").await.unwrap(), data);
}

async fn stored(f: &FaultFixture, len: usize) -> (String, Bytes) {
    let container = f.container().await;
    let data = pattern(len);
    f.store
        .put_bytes(&container, "k", data.clone())
        .await
        .unwrap();
    (container, data)
}

/// A download whose connection breaks midway resumes, and returns the object byte for byte.
pub async fn a_download_cut_mid_body_resumes(f: &FaultFixture) {
    let (container, data) = stored(f, 512 << 10).await;
    f.plan.arm(
        f.requests.object_read.clone(),
        Action::CutResponse(100 << 10),
        2,
    );
    assert_eq!(f.store.get_bytes(&container, "k").await.unwrap(), data);
    assert!(
        f.dealt(Action::CutResponse(100 << 10)) >= 1,
        "the fault was dealt"
    );
}

/// A download whose body stops arriving resumes after the idle timeout.
pub async fn a_stalled_download_resumes(f: &FaultFixture) {
    let (container, data) = stored(f, 512 << 10).await;
    f.plan.arm(
        f.requests.object_read.clone(),
        Action::StallResponse(100 << 10),
        1,
    );
    assert_eq!(f.store.get_bytes(&container, "k").await.unwrap(), data);
    assert_eq!(
        f.dealt(Action::StallResponse(100 << 10)),
        1,
        "the fault was dealt"
    );
}

/// Two of each throttling or failing answer before every kind of call: all are retried.
pub async fn bursts_of_429_500_and_503_are_retried(f: &FaultFixture) {
    let container = f.container().await;
    let data = pattern(10 << 10);
    for status in [429, 500, 503] {
        let key = format!("k{status}");
        f.plan.arm(any(), Action::Status(status), 2);
        f.store
            .put_bytes(&container, &key, data.clone())
            .await
            .unwrap();
        f.plan.arm(any(), Action::Status(status), 2);
        assert_eq!(f.store.get_bytes(&container, &key).await.unwrap(), data);
        f.plan.arm(any(), Action::Status(status), 2);
        assert_eq!(
            f.store.head_object(&container, &key).await.unwrap().size,
            10 << 10
        );
        f.plan.arm(any(), Action::Status(status), 2);
        let listed: Vec<_> = f
            .store
            .list_objects(&container, &ListOptions::default())
            .try_collect()
            .await
            .unwrap();
        assert!(listed.iter().any(|e| e.name() == key), "{listed:?}");
        assert_eq!(f.dealt(Action::Status(status)), 8, "every fault was dealt");
    }
}

/// A listing page cut short is read again, not taken as the end of the listing.
pub async fn a_listing_cut_short_is_read_again(f: &FaultFixture) {
    let container = f.container().await;
    for i in 0..5 {
        f.store
            .put_bytes(&container, &format!("k{i}"), Bytes::from_static(b"x"))
            .await
            .unwrap();
    }
    f.plan
        .arm(f.requests.listing.clone(), Action::CutResponse(20), 1);
    let listed: Vec<_> = f
        .store
        .list_objects(&container, &ListOptions::default())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(listed.len(), 5, "{listed:?}");
    assert_eq!(f.dealt(Action::CutResponse(20)), 1, "the fault was dealt");
}

/// A listing answered with something that is not a listing is an error, never an empty success.
pub async fn a_malformed_listing_is_an_error_not_an_empty_one(f: &FaultFixture) {
    let container = f.container().await;
    f.store
        .put_bytes(&container, "k", Bytes::from_static(b"x"))
        .await
        .unwrap();
    for garbage in ["<<<not a listing", "{\"unexpected\": true}", ""] {
        f.plan
            .arm(f.requests.listing.clone(), Action::Replace(garbage), 100);
        let listed: cloud_core::Result<Vec<_>> = f
            .store
            .list_objects(&container, &ListOptions::default())
            .try_collect()
            .await;
        let err = listed.expect_err(&format!("{garbage:?} taken as a listing"));
        assert_eq!(err.kind(), ErrorKind::Unexpected, "{garbage:?}: {err}");
        f.plan.clear();
    }
}

/// A body changed in flight fails the download's check instead of reaching the caller.
pub async fn a_download_changed_in_flight_is_refused(f: &FaultFixture) {
    let (container, _) = stored(f, 64 << 10).await;
    f.plan
        .arm(f.requests.object_read.clone(), Action::Corrupt, 100);
    let got = f.store.get_bytes(&container, "k").await.map(|b| b.len());
    let err = got.expect_err("a changed body was returned");
    assert_eq!(err.kind(), ErrorKind::ChecksumMismatch, "{err}");
}

/// [`download_file`] (which does the driver's check itself, hashing each byte once) refuses a body
/// changed in flight and leaves neither the file nor its temporary beside it.
pub async fn a_file_download_changed_in_flight_leaves_no_file(f: &FaultFixture) {
    let (container, _) = stored(f, 64 << 10).await;
    let dir = tempfile::tempdir().unwrap();
    f.plan
        .arm(f.requests.object_read.clone(), Action::Corrupt, 100);
    let err = download_file(f.store.as_ref(), &container, "k", dir.path().join("k"))
        .await
        .expect_err("a changed body was written");
    assert_eq!(err.kind(), ErrorKind::ChecksumMismatch, "{err}");
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert!(left.is_empty(), "left behind: {left:?}");
    f.plan.clear();
    download_file(f.store.as_ref(), &container, "k", dir.path().join("k"))
        .await
        .unwrap();
    assert_eq!(std::fs::read(dir.path().join("k")).unwrap().len(), 64 << 10);
}

/// With [`GetOptions::skip_checksum`] a whole read is not held to the object's checksum, so the same
/// changed body comes through (its length still checked): the option is the caller's to take.
pub async fn a_read_that_skips_its_checksum_takes_the_bytes_as_they_come(f: &FaultFixture) {
    let (container, data) = stored(f, 64 << 10).await;
    f.plan
        .arm(f.requests.object_read.clone(), Action::Corrupt, 100);
    let unchecked = GetOptions::new().skip_checksum(true);
    let got = f
        .store
        .get_object(&container, "k", &unchecked)
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(got.len(), data.len());
    assert_ne!(got, data, "the fault was not dealt");
}

/// An upload that fails on every attempt is a typed error, and no object of that name appears.
pub async fn a_failed_upload_leaves_nothing_behind(f: &FaultFixture) {
    let container = f.container().await;
    f.plan
        .arm(f.requests.upload.clone(), Action::CutRequest(16 << 10), 100);
    let err = f
        .store
        .put_bytes(&container, "k", pattern(128 << 10))
        .await
        .unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::Transport | ErrorKind::Timeout),
        "{err}"
    );
    f.nothing_left(&container, "k").await;
}

/// A multipart upload whose parts keep failing is abandoned: no object, no pending upload, and no
/// stored part left to pay for.
pub async fn a_failed_large_upload_leaves_no_parts_behind(f: &FaultFixture) {
    let container = f.container().await;
    f.plan.arm(f.requests.upload.clone(), Action::Pass, 1);
    f.plan
        .arm(f.requests.upload.clone(), Action::Status(500), 1000);
    let err = f
        .store
        .put_bytes(&container, "big", pattern(f.large))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err.kind(),
            ErrorKind::ServiceUnavailable | ErrorKind::Transport
        ),
        "{err}"
    );
    f.nothing_left(&container, "big").await;
}

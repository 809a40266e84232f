//! The storage conformance suite: what every [`StorageDriver`] must do, written once against
//! `dyn StorageDriver`. A provider joins the project by passing it; see [`storage_conformance!`](crate::storage_conformance!).
//!
//! Behaviours that depend on an optional capability check [`Capabilities`](cloud_storage::Capabilities)
//! and assert the typed [`ErrorKind::Unsupported`] where the provider says it lacks it.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use cloud_core::ErrorKind;
use cloud_storage::{
    download_file, download_range, upload_file, ByteRange, GetOptions, ListEntry, ListOptions,
    Payload, PutOptions, StorageDriver, StorageExt,
};
use futures_util::{StreamExt, TryStreamExt};

/// A known gap of a test server (not of the driver). A behaviour that meets one asserts that the gap is
/// still there, so the quirk is dropped from the fixture as soon as the server is fixed, and is run in
/// full against the other servers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Quirk {
    /// GetObject ignores `If-Match` and `If-None-Match`.
    IgnoresConditionalReads,
    /// DeleteBucket removes a bucket that still holds objects.
    DeletesNonEmptyBuckets,
    /// PutObject into a bucket that does not exist creates it.
    CreatesBucketsOnPut,
    /// ListMultipartUploads is not implemented.
    CannotListUploads,
}

/// A driver under test, and whatever must live as long as it (a temporary folder, a server).
pub struct StorageFixture {
    /// The driver.
    pub store: Arc<dyn StorageDriver>,
    quirks: Vec<Quirk>,
    _keep: Box<dyn std::any::Any + Send + Sync>,
}

static NEXT: AtomicU64 = AtomicU64::new(0);

impl StorageFixture {
    /// A fixture for `store`, keeping `keep` alive as long as it.
    pub fn new(
        store: Arc<dyn StorageDriver>,
        keep: impl std::any::Any + Send + Sync,
    ) -> StorageFixture {
        StorageFixture {
            store,
            quirks: Vec::new(),
            _keep: Box::new(keep),
        }
    }

    /// Declares the server's known gaps.
    pub fn with_quirks(mut self, quirks: &[Quirk]) -> StorageFixture {
        self.quirks = quirks.to_vec();
        self
    }

    /// Whether the server has `quirk`.
    pub fn has(&self, quirk: Quirk) -> bool {
        self.quirks.contains(&quirk)
    }

    /// A new, empty container with a name no other test uses (valid on every provider: lower-case
    /// letters, digits and hyphens).
    pub async fn container(&self) -> String {
        let name = format!(
            "conformance-{}-{}-{:x}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::SeqCst),
            fastrand_suffix()
        );
        self.store
            .create_container(&name)
            .await
            .expect("create a test container");
        name
    }
}

fn fastrand_suffix() -> u32 {
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default();
    nanos.subsec_nanos()
}

/// Where the provider says it lacks a capability, the operation must fail with
/// [`ErrorKind::Unsupported`]; returns whether it lacks it (and the behaviour stops there).
async fn lacking<T>(
    has: bool,
    attempt: impl std::future::Future<Output = cloud_core::Result<T>>,
) -> bool {
    if has {
        return false;
    }
    match attempt.await {
        Ok(_) => panic!("an operation the provider says it lacks must fail"),
        Err(err) => assert_eq!(err.kind(), ErrorKind::Unsupported, "{err}"),
    }
    true
}

/// Bytes that differ from position to position, so misplaced ranges show.
pub fn pattern(len: usize) -> Bytes {
    (0..len)
        .map(|i| (i % 251) as u8)
        .collect::<Vec<u8>>()
        .into()
}

async fn keys(store: &dyn StorageDriver, container: &str, options: ListOptions) -> Vec<String> {
    store
        .list_objects(container, &options)
        .map_ok(|entry| match entry {
            ListEntry::Prefix(prefix) => format!("{prefix}(prefix)"),
            other => other.name().to_owned(),
        })
        .try_collect()
        .await
        .expect("listing")
}

async fn put(store: &dyn StorageDriver, container: &str, key: &str, data: impl Into<Bytes>) {
    store
        .put_bytes(container, key, data.into())
        .await
        .expect("put");
}

/// Generates one test per behaviour of the suite for the provider whose fixture `$factory` makes:
/// `storage_conformance!(fixture);` where `async fn fixture() -> StorageFixture`.
#[macro_export]
macro_rules! storage_conformance {
    ($factory:path) => {
        $crate::storage_conformance!(@each $factory;
            creates_lists_and_deletes_a_container,
            creating_an_existing_container_is_already_exists,
            deleting_a_non_empty_container_is_not_empty,
            a_missing_container_is_not_found,
            puts_gets_heads_and_deletes_an_object,
            a_missing_object_is_not_found,
            objects_of_a_missing_container_are_not_found,
            deleting_a_missing_object_succeeds,
            overwriting_replaces_content_and_metadata,
            the_etag_changes_with_the_content,
            a_zero_byte_object_round_trips,
            a_multi_mib_object_round_trips,
            odd_names_round_trip,
            content_type_and_metadata_round_trip,
            lists_with_a_prefix,
            lists_with_a_delimiter_as_common_prefixes,
            lists_nested_folders_with_prefix_and_delimiter,
            lists_across_many_pages_in_order,
            lists_after_start_after,
            reads_a_bounded_range,
            reads_an_open_ended_range,
            reads_a_suffix_range,
            cuts_a_range_at_the_end_of_the_object,
            an_unsatisfiable_range_is_a_typed_error,
            conditional_reads_follow_the_etag,
            copies_an_object_with_its_metadata,
            copying_a_missing_object_is_not_found,
            a_hundred_tasks_put_distinct_keys_at_once,
            streams_an_upload_of_unknown_length,
            a_stream_shorter_than_declared_stores_nothing,
            a_failing_stream_keeps_the_previous_version,
            upload_file_guesses_the_content_type,
            download_file_writes_the_object_whole,
            download_file_of_a_missing_object_leaves_no_file,
            download_range_reads_only_the_range,
            last_modified_is_recent,
            no_upload_is_left_pending,
        );
    };
    (@each $factory:path; $($behaviour:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $behaviour() {
                let fixture = $factory().await;
                $crate::conformance::storage::$behaviour(&fixture).await;
            }
        )*
    };
}

/// A container is created, found, listed, and deleted.
pub async fn creates_lists_and_deletes_a_container(f: &StorageFixture) {
    let name = f.container().await;
    assert_eq!(f.store.get_container(&name).await.unwrap().name, name);
    let listed: Vec<String> = f
        .store
        .list_containers()
        .map_ok(|c| c.name)
        .try_collect()
        .await
        .unwrap();
    assert!(listed.contains(&name), "{listed:?}");
    f.store.delete_container(&name).await.unwrap();
    assert_eq!(
        f.store.get_container(&name).await.unwrap_err().kind(),
        ErrorKind::NotFound
    );
}

/// Creating a container twice is [`ErrorKind::AlreadyExists`].
pub async fn creating_an_existing_container_is_already_exists(f: &StorageFixture) {
    let name = f.container().await;
    let err = f.store.create_container(&name).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AlreadyExists, "{err}");
}

/// A container holding an object is not deleted.
pub async fn deleting_a_non_empty_container_is_not_empty(f: &StorageFixture) {
    let name = f.container().await;
    put(&*f.store, &name, "nested/object", "x").await;
    if f.has(Quirk::DeletesNonEmptyBuckets) {
        f.store
            .delete_container(&name)
            .await
            .expect("the quirk: the server deletes non-empty buckets");
        let err = f.store.get_container(&name).await.unwrap_err();
        assert_eq!(
            err.kind(),
            ErrorKind::NotFound,
            "the quirk: gone, object and all: {err}"
        );
        return;
    }
    let err = f.store.delete_container(&name).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotEmpty, "{err}");
    assert_eq!(
        f.store.get_bytes(&name, "nested/object").await.unwrap(),
        "x",
        "nothing was lost"
    );
}

/// Getting or deleting a container that does not exist is [`ErrorKind::NotFound`].
pub async fn a_missing_container_is_not_found(f: &StorageFixture) {
    let name = "conformance-never-created";
    assert_eq!(
        f.store.get_container(name).await.unwrap_err().kind(),
        ErrorKind::NotFound
    );
    assert_eq!(
        f.store.delete_container(name).await.unwrap_err().kind(),
        ErrorKind::NotFound
    );
}

/// The basic life of an object.
pub async fn puts_gets_heads_and_deletes_an_object(f: &StorageFixture) {
    let c = f.container().await;
    let meta = f
        .store
        .put_bytes(&c, "greeting.txt", "hello")
        .await
        .unwrap();
    assert_eq!((meta.key.as_str(), meta.size), ("greeting.txt", 5));
    assert_eq!(
        f.store.get_bytes(&c, "greeting.txt").await.unwrap(),
        "hello"
    );
    let head = f.store.head_object(&c, "greeting.txt").await.unwrap();
    assert_eq!(head.size, 5);
    assert!(head.etag.is_some(), "an ETag is reported");
    f.store.delete_object(&c, "greeting.txt").await.unwrap();
    assert!(!f.store.exists(&c, "greeting.txt").await.unwrap());
}

/// Reading an object that does not exist is [`ErrorKind::NotFound`].
pub async fn a_missing_object_is_not_found(f: &StorageFixture) {
    let c = f.container().await;
    assert_eq!(
        f.store.head_object(&c, "nope").await.unwrap_err().kind(),
        ErrorKind::NotFound
    );
    let err = f
        .store
        .get_object(&c, "nope", &GetOptions::new())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
}

/// Objects of a container that does not exist are [`ErrorKind::NotFound`], for reads, writes and lists.
pub async fn objects_of_a_missing_container_are_not_found(f: &StorageFixture) {
    let c = "conformance-missing-container";
    assert_eq!(
        f.store.head_object(c, "k").await.unwrap_err().kind(),
        ErrorKind::NotFound
    );
    let first = f.store.list_objects(c, &ListOptions::new()).next().await;
    assert_eq!(
        first.expect("an error item").unwrap_err().kind(),
        ErrorKind::NotFound
    );
    if f.has(Quirk::CreatesBucketsOnPut) {
        f.store
            .put_bytes(c, "k", "v")
            .await
            .expect("the quirk: the server creates the bucket");
        assert_eq!(f.store.get_bytes(c, "k").await.unwrap(), "v", "the quirk");
        return;
    }
    assert_eq!(
        f.store.put_bytes(c, "k", "v").await.unwrap_err().kind(),
        ErrorKind::NotFound
    );
}

/// Deleting an object that does not exist succeeds (it is gone either way).
pub async fn deleting_a_missing_object_succeeds(f: &StorageFixture) {
    let c = f.container().await;
    f.store.delete_object(&c, "never-was").await.unwrap();
}

/// A second put of a key replaces the first entirely.
pub async fn overwriting_replaces_content_and_metadata(f: &StorageFixture) {
    let c = f.container().await;
    let first = PutOptions::new()
        .content_type("text/plain")
        .metadata("version", "1");
    f.store
        .put_object(&c, "k", Payload::from("first version"), &first)
        .await
        .unwrap();
    let second = PutOptions::new()
        .content_type("application/json")
        .metadata("version", "2");
    f.store
        .put_object(&c, "k", Payload::from("{}"), &second)
        .await
        .unwrap();
    assert_eq!(f.store.get_bytes(&c, "k").await.unwrap(), "{}");
    let head = f.store.head_object(&c, "k").await.unwrap();
    assert_eq!(head.size, 2);
    assert_eq!(head.content_type.as_deref(), Some("application/json"));
    assert_eq!(head.metadata.get("version").map(String::as_str), Some("2"));
}

/// The ETag differs when the content does.
pub async fn the_etag_changes_with_the_content(f: &StorageFixture) {
    let c = f.container().await;
    let first = f.store.put_bytes(&c, "k", "one").await.unwrap();
    let second = f.store.put_bytes(&c, "k", "two!").await.unwrap();
    assert_ne!(first.etag, second.etag);
    assert_eq!(
        f.store.head_object(&c, "k").await.unwrap().etag,
        second.etag
    );
}

/// An empty object is an object.
pub async fn a_zero_byte_object_round_trips(f: &StorageFixture) {
    let c = f.container().await;
    f.store.put_bytes(&c, "empty", Bytes::new()).await.unwrap();
    assert_eq!(f.store.head_object(&c, "empty").await.unwrap().size, 0);
    assert!(f.store.get_bytes(&c, "empty").await.unwrap().is_empty());
    assert_eq!(keys(&*f.store, &c, ListOptions::new()).await, ["empty"]);
}

/// Several MiB come back byte for byte.
pub async fn a_multi_mib_object_round_trips(f: &StorageFixture) {
    let c = f.container().await;
    let data = pattern(6 << 20);
    f.store
        .put_bytes(&c, "big.bin", data.clone())
        .await
        .unwrap();
    assert_eq!(f.store.get_bytes(&c, "big.bin").await.unwrap(), data);
}

/// Names with unicode, spaces and URL-special characters round-trip through put, get and list.
pub async fn odd_names_round_trip(f: &StorageFixture) {
    let c = f.container().await;
    let names = [
        "spaces in name.txt",
        "percent%20encoded%2F.txt",
        "plus+sign",
        "tilde~file",
        "hash#tag",
        "question?mark",
        "ümlaut/日本語/ファイル.txt",
        "emoji-🚀.bin",
        "semi;colon&amp=eq",
    ];
    for (i, name) in names.iter().enumerate() {
        put(&*f.store, &c, name, format!("content {i}")).await;
    }
    for (i, name) in names.iter().enumerate() {
        assert_eq!(
            f.store.get_bytes(&c, name).await.unwrap(),
            format!("content {i}"),
            "{name}"
        );
    }
    let listed: BTreeSet<String> = keys(&*f.store, &c, ListOptions::new())
        .await
        .into_iter()
        .collect();
    let expected: BTreeSet<String> = names.iter().map(|n| n.to_string()).collect();
    assert_eq!(listed, expected);
}

/// Content type and user metadata set on write are read back.
pub async fn content_type_and_metadata_round_trip(f: &StorageFixture) {
    let c = f.container().await;
    let options = PutOptions::new()
        .content_type("image/png")
        .metadata("owner", "ada")
        .metadata("purpose", "conformance test");
    let attempt = f
        .store
        .put_object(&c, "pic", Payload::from("png"), &options);
    if lacking(f.store.capabilities().user_metadata, attempt).await {
        return;
    }
    f.store
        .put_object(&c, "pic", Payload::from("png"), &options)
        .await
        .unwrap();
    for meta in [
        f.store.head_object(&c, "pic").await.unwrap(),
        f.store
            .get_object(&c, "pic", &GetOptions::new())
            .await
            .unwrap()
            .meta,
    ] {
        assert_eq!(meta.content_type.as_deref(), Some("image/png"));
        assert_eq!(meta.metadata.get("owner").map(String::as_str), Some("ada"));
        assert_eq!(
            meta.metadata.get("purpose").map(String::as_str),
            Some("conformance test")
        );
    }
}

async fn fill_tree(f: &StorageFixture) -> String {
    let c = f.container().await;
    for key in ["a-c", "a/b", "a/c/d", "a/e", "b", "c/x", "c/y/z"] {
        put(&*f.store, &c, key, key.to_owned()).await;
    }
    c
}

/// A prefix selects the keys that start with it.
pub async fn lists_with_a_prefix(f: &StorageFixture) {
    let c = fill_tree(f).await;
    assert_eq!(
        keys(&*f.store, &c, ListOptions::new().prefix("a/")).await,
        ["a/b", "a/c/d", "a/e"]
    );
    assert_eq!(
        keys(&*f.store, &c, ListOptions::new().prefix("c")).await,
        ["c/x", "c/y/z"]
    );
    assert!(keys(&*f.store, &c, ListOptions::new().prefix("zzz"))
        .await
        .is_empty());
}

/// A delimiter groups deeper keys into common prefixes, listed once each, in order.
pub async fn lists_with_a_delimiter_as_common_prefixes(f: &StorageFixture) {
    let c = fill_tree(f).await;
    assert_eq!(
        keys(&*f.store, &c, ListOptions::new().delimiter("/")).await,
        ["a-c", "a/(prefix)", "b", "c/(prefix)"]
    );
}

/// Prefix and delimiter together list one folder level.
pub async fn lists_nested_folders_with_prefix_and_delimiter(f: &StorageFixture) {
    let c = fill_tree(f).await;
    assert_eq!(
        keys(
            &*f.store,
            &c,
            ListOptions::new().prefix("a/").delimiter("/")
        )
        .await,
        ["a/b", "a/c/(prefix)", "a/e"]
    );
    assert_eq!(
        keys(
            &*f.store,
            &c,
            ListOptions::new().prefix("c/").delimiter("/")
        )
        .await,
        ["c/x", "c/y/(prefix)"]
    );
}

/// 1,200 objects listed 100 to a page come back complete and in order.
pub async fn lists_across_many_pages_in_order(f: &StorageFixture) {
    let c = f.container().await;
    let names: Vec<String> = (0..1200).map(|i| format!("many/{i:05}")).collect();
    futures_util::stream::iter(names.clone())
        .for_each_concurrent(32, |key| {
            let store = f.store.clone();
            let c = c.clone();
            async move {
                store
                    .put_bytes(&c, &key, Bytes::from_static(b"x"))
                    .await
                    .map(drop)
                    .unwrap()
            }
        })
        .await;
    let listed = keys(
        &*f.store,
        &c,
        ListOptions::new().prefix("many/").page_size(100),
    )
    .await;
    assert_eq!(listed.len(), 1200);
    assert_eq!(listed, names, "complete, without repeats, in key order");
}

/// Only keys after `start_after` are listed.
pub async fn lists_after_start_after(f: &StorageFixture) {
    let c = fill_tree(f).await;
    let attempt = f
        .store
        .list_objects(&c, &ListOptions::new().start_after("a/c/d"))
        .try_collect::<Vec<_>>();
    if lacking(f.store.capabilities().list_start_after, attempt).await {
        return;
    }
    assert_eq!(
        keys(&*f.store, &c, ListOptions::new().start_after("a/c/d")).await,
        ["a/e", "b", "c/x", "c/y/z"]
    );
}

async fn read_range(
    f: &StorageFixture,
    c: &str,
    range: ByteRange,
) -> (Bytes, std::ops::Range<u64>, u64) {
    let result = f
        .store
        .get_object(c, "r", &GetOptions::new().range(range))
        .await
        .unwrap();
    let (range, size) = (result.range.clone(), result.meta.size);
    (result.bytes().await.unwrap(), range, size)
}

async fn ranged(f: &StorageFixture) -> (String, Bytes) {
    let c = f.container().await;
    let data = pattern(1000);
    put(&*f.store, &c, "r", data.clone()).await;
    (c, data)
}

/// `start..end` reads those bytes, and says so.
pub async fn reads_a_bounded_range(f: &StorageFixture) {
    let (c, data) = ranged(f).await;
    let (bytes, range, size) = read_range(f, &c, ByteRange::new(100..250)).await;
    assert_eq!(bytes, data.slice(100..250));
    assert_eq!(range, 100..250);
    assert_eq!(size, 1000, "the metadata describes the whole object");
}

/// `start..` reads to the end.
pub async fn reads_an_open_ended_range(f: &StorageFixture) {
    let (c, data) = ranged(f).await;
    let (bytes, range, _) = read_range(f, &c, ByteRange::From(900)).await;
    assert_eq!(bytes, data.slice(900..));
    assert_eq!(range, 900..1000);
}

/// The last N bytes.
pub async fn reads_a_suffix_range(f: &StorageFixture) {
    let (c, data) = ranged(f).await;
    let (bytes, range, _) = read_range(f, &c, ByteRange::Suffix(10)).await;
    assert_eq!(bytes, data.slice(990..));
    assert_eq!(range, 990..1000);
}

/// A range that runs past the end is cut to it.
pub async fn cuts_a_range_at_the_end_of_the_object(f: &StorageFixture) {
    let (c, data) = ranged(f).await;
    let (bytes, range, _) = read_range(f, &c, ByteRange::new(990..5000)).await;
    assert_eq!(bytes, data.slice(990..));
    assert_eq!(range, 990..1000);
}

/// A range that starts past the end is [`ErrorKind::RangeNotSatisfiable`].
pub async fn an_unsatisfiable_range_is_a_typed_error(f: &StorageFixture) {
    let (c, _) = ranged(f).await;
    let err = f
        .store
        .get_object(&c, "r", &GetOptions::new().range(ByteRange::From(5000)))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::RangeNotSatisfiable, "{err}");
}

/// `If-Match` and `If-None-Match` follow the ETag.
pub async fn conditional_reads_follow_the_etag(f: &StorageFixture) {
    let c = f.container().await;
    let etag = f
        .store
        .put_bytes(&c, "k", "v")
        .await
        .unwrap()
        .etag
        .expect("an ETag");
    let conditional = GetOptions::new().if_match(&etag);
    let attempt = f.store.get_object(&c, "k", &conditional);
    if lacking(f.store.capabilities().conditional_reads, attempt).await {
        return;
    }
    if f.has(Quirk::IgnoresConditionalReads) {
        for options in [
            GetOptions::new().if_match("\"other\""),
            GetOptions::new().if_none_match(&etag),
        ] {
            let ignored = f.store.get_object(&c, "k", &options).await;
            let read = ignored.expect("the quirk: the server ignores the condition");
            assert_eq!(read.bytes().await.unwrap(), "v", "the quirk: read anyway");
        }
        return;
    }
    let matching = f
        .store
        .get_object(&c, "k", &GetOptions::new().if_match(&etag))
        .await
        .unwrap();
    assert_eq!(matching.bytes().await.unwrap(), "v");
    let err = f
        .store
        .get_object(&c, "k", &GetOptions::new().if_match("\"other\""))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PreconditionFailed, "{err}");
    let err = f
        .store
        .get_object(&c, "k", &GetOptions::new().if_none_match(&etag))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotModified, "{err}");
}

/// A copy has the source's content, content type and metadata, and leaves the source in place.
pub async fn copies_an_object_with_its_metadata(f: &StorageFixture) {
    let c = f.container().await;
    let other = f.container().await;
    let options = PutOptions::new()
        .content_type("text/csv")
        .metadata("origin", "source");
    f.store
        .put_object(&c, "src.csv", Payload::from("a,b\n1,2\n"), &options)
        .await
        .unwrap();
    let copy = f
        .store
        .copy_object(&c, "src.csv", &other, "copy/dst.csv")
        .await
        .unwrap();
    assert_eq!(copy.size, 8);
    assert_eq!(
        f.store.get_bytes(&other, "copy/dst.csv").await.unwrap(),
        "a,b\n1,2\n"
    );
    let head = f.store.head_object(&other, "copy/dst.csv").await.unwrap();
    assert_eq!(head.content_type.as_deref(), Some("text/csv"));
    if f.store.capabilities().user_metadata {
        assert_eq!(
            head.metadata.get("origin").map(String::as_str),
            Some("source")
        );
    }
    assert!(
        f.store.exists(&c, "src.csv").await.unwrap(),
        "the source stays"
    );
}

/// Copying an object that does not exist is [`ErrorKind::NotFound`].
pub async fn copying_a_missing_object_is_not_found(f: &StorageFixture) {
    let c = f.container().await;
    let err = f
        .store
        .copy_object(&c, "absent", &c, "dst")
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
    assert!(!f.store.exists(&c, "dst").await.unwrap());
}

/// One driver, shared by 100 tasks writing at once.
pub async fn a_hundred_tasks_put_distinct_keys_at_once(f: &StorageFixture) {
    let c = f.container().await;
    let tasks: Vec<_> = (0..100)
        .map(|i| {
            let store = f.store.clone();
            let c = c.clone();
            tokio::spawn(async move {
                store
                    .put_bytes(&c, &format!("task/{i:03}"), format!("from task {i}"))
                    .await
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    let listed = keys(&*f.store, &c, ListOptions::new().prefix("task/")).await;
    assert_eq!(listed.len(), 100);
    for i in [0, 42, 99] {
        assert_eq!(
            f.store
                .get_bytes(&c, &format!("task/{i:03}"))
                .await
                .unwrap(),
            format!("from task {i}")
        );
    }
}

/// A stream of unknown total length is stored whole.
pub async fn streams_an_upload_of_unknown_length(f: &StorageFixture) {
    let c = f.container().await;
    let data = pattern(3 << 20);
    let chunks: Vec<Result<Bytes, std::io::Error>> = data
        .chunks(100_000)
        .map(|chunk| Ok(Bytes::copy_from_slice(chunk)))
        .collect();
    let payload = Payload::from_stream(futures_util::stream::iter(chunks), None);
    let meta = f
        .store
        .put_object(&c, "streamed", payload, &PutOptions::new())
        .await
        .unwrap();
    assert_eq!(meta.size, data.len() as u64);
    assert_eq!(f.store.get_bytes(&c, "streamed").await.unwrap(), data);
}

/// A stream that ends before its declared length is refused, and nothing is stored.
pub async fn a_stream_shorter_than_declared_stores_nothing(f: &StorageFixture) {
    let c = f.container().await;
    let stream =
        futures_util::stream::iter([Ok::<_, std::io::Error>(Bytes::from_static(b"short"))]);
    let payload = Payload::from_stream(stream, Some(10));
    let err = f
        .store
        .put_object(&c, "short", payload, &PutOptions::new())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
    assert!(
        !f.store.exists(&c, "short").await.unwrap(),
        "no partial object"
    );
}

/// A write whose stream fails midway leaves the previous version of the object as it was.
pub async fn a_failing_stream_keeps_the_previous_version(f: &StorageFixture) {
    let c = f.container().await;
    put(&*f.store, &c, "k", "old and whole").await;
    let stream = futures_util::stream::iter([
        Ok(Bytes::from_static(b"new and")),
        Err(std::io::Error::other("the source failed")),
    ]);
    let payload = Payload::from_stream(stream, None);
    let err = f
        .store
        .put_object(&c, "k", payload, &PutOptions::new())
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("the source failed"),
        "the source's failure: {err}"
    );
    assert_eq!(f.store.get_bytes(&c, "k").await.unwrap(), "old and whole");
}

/// `upload_file` sends the file whole and guesses its content type from its name.
pub async fn upload_file_guesses_the_content_type(f: &StorageFixture) {
    let c = f.container().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("page.html");
    std::fs::write(&path, "<h1>hi</h1>").unwrap();
    let meta = upload_file(&*f.store, &c, "site/index.html", &path, &PutOptions::new())
        .await
        .unwrap();
    assert_eq!(meta.size, 11);
    let head = f.store.head_object(&c, "site/index.html").await.unwrap();
    assert_eq!(head.content_type.as_deref(), Some("text/html"));
    assert_eq!(
        f.store.get_bytes(&c, "site/index.html").await.unwrap(),
        "<h1>hi</h1>"
    );
}

/// `download_file` writes the whole object and leaves no temporary file beside it.
pub async fn download_file_writes_the_object_whole(f: &StorageFixture) {
    let c = f.container().await;
    let data = pattern(2 << 20);
    put(&*f.store, &c, "dl.bin", data.clone()).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dl.bin");
    let meta = download_file(&*f.store, &c, "dl.bin", &path).await.unwrap();
    assert_eq!(meta.size, data.len() as u64);
    assert_eq!(std::fs::read(&path).unwrap(), data);
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(
        left,
        [std::ffi::OsString::from("dl.bin")],
        "no temporary file remains"
    );
}

/// `download_file` of an object that does not exist fails and creates nothing.
pub async fn download_file_of_a_missing_object_leaves_no_file(f: &StorageFixture) {
    let c = f.container().await;
    let dir = tempfile::tempdir().unwrap();
    let err = download_file(&*f.store, &c, "absent", dir.path().join("absent"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

/// `download_range` reads only the range.
pub async fn download_range_reads_only_the_range(f: &StorageFixture) {
    let (c, data) = ranged(f).await;
    let bytes = download_range(&*f.store, &c, "r", ByteRange::new(10..20))
        .await
        .unwrap();
    assert_eq!(bytes, data.slice(10..20));
}

/// The modification time is the time of the write.
pub async fn last_modified_is_recent(f: &StorageFixture) {
    let c = f.container().await;
    let meta = f.store.put_bytes(&c, "k", "v").await.unwrap();
    let head = f.store.head_object(&c, "k").await.unwrap();
    let modified = head
        .last_modified
        .or(meta.last_modified)
        .expect("a modification time");
    let age = SystemTime::now()
        .duration_since(modified)
        .unwrap_or_default();
    assert!(age < Duration::from_secs(300), "modified {age:?} ago");
}

/// After successful and failed uploads alike, no multipart upload is left pending.
pub async fn no_upload_is_left_pending(f: &StorageFixture) {
    let c = f.container().await;
    let big = pattern(20 << 20);
    put(&*f.store, &c, "big", big.clone()).await;
    let failing = futures_util::stream::iter([
        Ok(big.slice(..10 << 20)),
        Err(std::io::Error::other("source failed")),
    ]);
    let payload = Payload::from_stream(failing, None);
    let err = f
        .store
        .put_object(&c, "failed", payload, &PutOptions::new())
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("source failed"),
        "the source's failure: {err}"
    );
    match f.store.list_pending_uploads(&c).await {
        Ok(pending) => assert!(pending.is_empty(), "{pending:?}"),
        Err(err) if f.has(Quirk::CannotListUploads) => {
            assert_eq!(err.kind(), ErrorKind::Unsupported, "the quirk: {err}")
        }
        // Only a provider without multipart uploads, or without a list of them, may have none to list.
        Err(err)
            if !f.store.capabilities().multipart || !f.store.capabilities().pending_uploads =>
        {
            assert_eq!(err.kind(), ErrorKind::Unsupported, "{err}")
        }
        Err(err) => panic!("pending uploads cannot be listed: {err}"),
    }
    assert!(!f.store.exists(&c, "failed").await.unwrap());
}

//! The multipart engine's tests: bounds, order, retries, and aborts on failure or cancellation.

use super::*;
use bytes::Bytes;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// Records how many parts, and bytes, are in flight at once.
#[derive(Debug, Default)]
struct Tracking {
    in_flight: AtomicUsize,
    bytes: AtomicUsize,
    peak_parts: AtomicUsize,
    peak_bytes: AtomicUsize,
    parts: Mutex<Vec<(u32, usize)>>,
    aborted: AtomicUsize,
    in_flight_at_abort: AtomicUsize,
}

#[async_trait]
impl MultipartUpload for Tracking {
    async fn put_part(&self, number: u32, data: PartData) -> Result<Part> {
        let parts = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        let bytes = self.bytes.fetch_add(data.len(), Ordering::SeqCst) + data.len();
        self.peak_parts.fetch_max(parts, Ordering::SeqCst);
        self.peak_bytes.fetch_max(bytes, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(5)).await;
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
        self.bytes.fetch_sub(data.len(), Ordering::SeqCst);
        self.parts.lock().unwrap().push((number, data.len()));
        Ok(Part::new(number, "etag", data.len() as u64))
    }

    async fn complete(&self, parts: Vec<Part>) -> Result<ObjectMeta> {
        let numbers: Vec<u32> = parts.iter().map(|p| p.number).collect();
        assert_eq!(
            numbers,
            (1..=numbers.len() as u32).collect::<Vec<_>>(),
            "in order, none missing"
        );
        Ok(ObjectMeta::new("k", parts.iter().map(|p| p.size).sum()))
    }

    async fn abort(&self) -> Result<()> {
        let in_flight = self.in_flight.load(Ordering::SeqCst);
        self.in_flight_at_abort.store(in_flight, Ordering::SeqCst);
        self.aborted.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

fn chunks(total: usize, chunk: usize) -> ByteStream {
    let pieces: Vec<Result<Bytes>> = (0..total.div_ceil(chunk))
        .map(|i| Ok(Bytes::from(vec![1u8; chunk.min(total - i * chunk)])))
        .collect();
    futures_util::stream::iter(pieces).boxed()
}

#[tokio::test]
async fn keeps_parts_in_flight_and_bytes_in_memory_bounded() {
    let upload = Arc::new(Tracking::default());
    let config = MultipartConfig::new().part_size(64 << 10).concurrency(3);
    let meta = upload_in_parts(upload.clone(), chunks(2 << 20, 10_000), &config)
        .await
        .unwrap();
    assert_eq!(meta.size, 2 << 20);
    assert_eq!(upload.parts.lock().unwrap().len(), 32);
    assert_eq!(
        upload.peak_parts.load(Ordering::SeqCst),
        3,
        "as many parts as allowed, no more"
    );
    assert!(upload.peak_bytes.load(Ordering::SeqCst) <= 3 * (64 << 10));
    assert_eq!(upload.aborted.load(Ordering::SeqCst), 0);
}

#[test]
fn sizes_parts_so_a_known_length_fits_in_max_parts() {
    let config = MultipartConfig::new().part_size(8 << 20);
    let terabyte = config.for_length(Some(1 << 40));
    assert!(u64::from(config.max_parts) * terabyte.part_size as u64 >= 1 << 40);
    assert_eq!(
        config.for_length(Some(1 << 30)).part_size,
        8 << 20,
        "small objects keep the default"
    );
}

/// The figures README.md gives for S3's defaults (8 MiB parts, 5 in flight).
#[test]
fn memory_held_is_as_the_readme_says() {
    let config = MultipartConfig::new().part_size(8 << 20).concurrency(5);
    let mib = |bytes: usize| bytes >> 20;
    assert_eq!(mib(config.memory_bound()), 48);
    assert_eq!(
        mib(config.for_length(Some(83_886_080_000)).memory_bound()),
        48
    );
    assert!(config.for_length(Some(84_000_000_000)).memory_bound() > config.memory_bound());
    assert_eq!(mib(config.for_length(Some(1 << 40)).memory_bound()), 629);
    // A stream keeps 8 MiB parts for its first 2,000 parts (15.6 GiB), then doubles them.
    let stream = config.for_length(None);
    assert_eq!(stream.part_size_at(2_000), 8 << 20);
    assert_eq!(stream.part_size_at(2_001), 16 << 20);
}

#[tokio::test]
async fn parts_grow_for_a_long_stream_of_unknown_length() {
    let upload = Arc::new(Tracking::default());
    let config = MultipartConfig::new()
        .part_size(1000)
        .max_parts(10)
        .concurrency(2);
    // Parts double every 2 parts: 1000, 1000, 2000, 2000, 4000, …
    upload_in_parts(
        upload.clone(),
        chunks(10_000, 500),
        &config.for_length(None),
    )
    .await
    .unwrap();
    let mut sizes: Vec<(u32, usize)> = upload.parts.lock().unwrap().clone();
    sizes.sort();
    let sizes: Vec<usize> = sizes.into_iter().map(|(_, s)| s).collect();
    assert_eq!(sizes, [1000, 1000, 2000, 2000, 4000]);
}

#[tokio::test]
async fn an_empty_stream_uploads_one_empty_part() {
    let upload = Arc::new(Tracking::default());
    let meta = upload_in_parts(upload.clone(), chunks(0, 1), &MultipartConfig::new())
        .await
        .unwrap();
    assert_eq!(meta.size, 0);
    assert_eq!(*upload.parts.lock().unwrap(), [(1, 0)]);
}

#[tokio::test]
async fn a_failing_source_aborts_the_upload() {
    let upload = Arc::new(Tracking::default());
    let stream = futures_util::stream::iter([
        Ok(Bytes::from(vec![0u8; 100])),
        Err(Error::unexpected("source broke")),
    ]);
    let err = upload_in_parts(upload.clone(), stream.boxed(), &MultipartConfig::new())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unexpected);
    assert_eq!(upload.aborted.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn an_abort_waits_for_the_parts_already_sent() {
    let upload = Arc::new(Tracking::default());
    let stream = futures_util::stream::iter([
        Ok(Bytes::from(vec![0u8; 300])),
        Err(Error::unexpected("source broke")),
    ]);
    let config = MultipartConfig::new().part_size(100).concurrency(4);
    upload_in_parts(upload.clone(), stream.boxed(), &config)
        .await
        .unwrap_err();
    assert_eq!(upload.aborted.load(Ordering::SeqCst), 1);
    assert_eq!(
        upload.in_flight_at_abort.load(Ordering::SeqCst),
        0,
        "no part is still on its way when the abort runs"
    );
    assert_eq!(upload.parts.lock().unwrap().len(), 3);
}

#[tokio::test]
async fn an_upload_whose_start_is_cancelled_is_aborted_once_it_exists() {
    let upload = Arc::new(Tracking::default());
    let asked = Arc::new(tokio::sync::Notify::new());
    let begin = {
        let (upload, asked) = (upload.clone(), asked.clone());
        move || async move {
            asked.notify_one();
            // The server has made the upload and takes its time to say so.
            tokio::time::sleep(Duration::from_millis(100)).await;
            Ok(upload as Arc<dyn MultipartUpload>)
        }
    };
    let payload = Payload::from_stream(
        futures_util::stream::pending::<std::io::Result<Bytes>>(),
        None,
    );
    let put =
        tokio::spawn(
            async move { upload_if_large(payload, 0, &MultipartConfig::new(), begin).await },
        );
    asked.notified().await;
    put.abort();
    assert!(put.await.unwrap_err().is_cancelled());
    // Once its start is answered, the upload no caller took is aborted.
    for _ in 0..100 {
        if upload.aborted.load(Ordering::SeqCst) > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(upload.aborted.load(Ordering::SeqCst), 1);
}

//! The blocking API: one `Storage` shared by many `std::thread`s, with the same guarantees as the async
//! API.

use std::io::Read;
use std::sync::Arc;

use cloud::blocking::Storage;
use cloud::storage::{
    ByteRange, Faults, GetOptions, ListOptions, LocalStorage, MemoryStorage, PutOptions,
};
use cloud::ErrorKind;
use cloud_tests::conformance::storage::pattern;
use cloud_tests::files::overwrite_keeping_time;

#[test]
fn one_storage_serves_many_threads_at_once() {
    let store = Storage::new(Arc::new(MemoryStorage::new()));
    store.create_container("c").unwrap();
    let threads: Vec<_> = (0..32)
        .map(|t| {
            let store = store.clone();
            std::thread::spawn(move || {
                for i in 0..20 {
                    let key = format!("t{t:02}/{i:02}");
                    store.put_bytes("c", &key, key.clone()).unwrap();
                    assert_eq!(store.get_bytes("c", &key).unwrap(), key);
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    let listed = store
        .list_objects("c", &ListOptions::new().page_size(50))
        .count();
    assert_eq!(listed, 32 * 20);
}

#[test]
fn a_reader_streams_and_a_std_reader_uploads() {
    let store = Storage::new(Arc::new(MemoryStorage::new()));
    store.create_container("c").unwrap();
    let data = pattern(3 << 20);
    let meta = store
        .put_reader(
            "c",
            "k",
            std::io::Cursor::new(data.to_vec()),
            None,
            &PutOptions::new(),
        )
        .unwrap();
    assert_eq!(meta.size, data.len() as u64);
    let mut back = Vec::new();
    store
        .reader("c", "k")
        .unwrap()
        .read_to_end(&mut back)
        .unwrap();
    assert_eq!(back, data);
    // A range, through the same reader.
    let mut part = Vec::new();
    let range = GetOptions::new().range(ByteRange::new(1000..1100));
    let reader = store.reader_with("c", "k", &range).unwrap();
    assert_eq!(reader.meta().size, data.len() as u64);
    reader.take(1000).read_to_end(&mut part).unwrap();
    assert_eq!(part, data[1000..1100]);
}

/// A local file whose bytes changed under its record: the reader's last read is the checksum's error,
/// and a reader that skips the check reads the file as it is.
#[test]
fn a_reader_is_held_to_the_checksum_unless_it_skips_it() {
    let root = tempfile::tempdir().unwrap();
    let store = Storage::new(Arc::new(LocalStorage::new(root.path()).unwrap()));
    store.create_container("c").unwrap();
    let data = pattern(2 << 20);
    store.put_bytes("c", "k", data.clone()).unwrap();
    let mut changed = data.to_vec();
    changed[12345] ^= 1;
    overwrite_keeping_time(&root.path().join("c/k"), &changed);
    let err = read_all(&store, "k", &GetOptions::new()).unwrap_err();
    let inner = err.get_ref().and_then(|e| e.downcast_ref::<cloud::Error>());
    assert_eq!(
        inner.map(cloud::Error::kind),
        Some(ErrorKind::ChecksumMismatch),
        "{err}"
    );
    let unchecked = GetOptions::new().skip_checksum(true);
    assert_eq!(read_all(&store, "k", &unchecked).unwrap(), changed);
}

/// Everything a reader of `c/key` with `options` reads, or the error it ends with.
fn read_all(store: &Storage, key: &str, options: &GetOptions) -> std::io::Result<Vec<u8>> {
    let mut back = Vec::new();
    store
        .reader_with("c", key, options)
        .unwrap()
        .read_to_end(&mut back)?;
    Ok(back)
}

#[test]
fn a_body_cut_short_is_an_unexpected_eof() {
    let store = Storage::new(Arc::new(
        MemoryStorage::builder()
            .faults(Faults::new().truncate_reads(10))
            .build(),
    ));
    store.create_container("c").unwrap();
    store.put_bytes("c", "k", pattern(100)).unwrap();
    let err = read_all(&store, "k", &GetOptions::new()).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::UnexpectedEof);
}

#[tokio::test]
async fn calling_it_from_async_code_is_refused_not_a_panic() {
    let store = Storage::new(Arc::new(MemoryStorage::new()));
    let err = store.create_container("c").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
}

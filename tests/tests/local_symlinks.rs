//! `LocalStorage` against symbolic links planted in its root: a link that leads out of its container
//! (to a folder outside the root, or into another container) is refused for every operation, and
//! nothing outside is read, written or deleted. A link that stays inside its container is followed.

use std::collections::BTreeMap;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};

use cloud_core::ErrorKind;
use cloud_local::LocalStorage;
use cloud_storage::{ListOptions, StorageDriver, StorageExt};
use futures_util::TryStreamExt;

/// A root with container `box`, a folder `outside` (beside the root) holding `secret`, and links in
/// `box`: `link` to the outside folder, `file` to the outside secret, `sibling` into container `other`.
struct Planted {
    _dir: tempfile::TempDir,
    root: PathBuf,
    outside: PathBuf,
    store: LocalStorage,
}

async fn planted() -> Planted {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    let outside = dir.path().join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(outside.join("secret"), "top secret").unwrap();
    let store = LocalStorage::new(&root).unwrap();
    store.create_container("box").await.unwrap();
    store.create_container("other").await.unwrap();
    store.put_bytes("other", "theirs", "other's").await.unwrap();
    store.put_bytes("box", "mine", "mine").await.unwrap();
    symlink(&outside, root.join("box/link")).unwrap();
    symlink(outside.join("secret"), root.join("box/file")).unwrap();
    symlink(root.join("other"), root.join("box/sibling")).unwrap();
    symlink("../other/theirs", root.join("box/relative")).unwrap();
    // A container that is itself a link.
    symlink(&outside, root.join("evil")).unwrap();
    Planted {
        _dir: dir,
        root,
        outside,
        store,
    }
}

impl Planted {
    /// The secret outside the root and the other container's object are as planted.
    async fn untouched(&self) {
        let secret = std::fs::read_to_string(self.outside.join("secret")).unwrap();
        assert_eq!(secret, "top secret");
        let theirs = self.store.get_bytes("other", "theirs").await.unwrap();
        assert_eq!(theirs, "other's");
    }
}

/// Every file below `dir` with its contents, without following links.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut found = BTreeMap::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let kind = entry.file_type().unwrap();
        if kind.is_dir() {
            found.extend(snapshot(&entry.path()));
        } else if kind.is_file() {
            found.insert(entry.path(), std::fs::read(entry.path()).unwrap());
        }
    }
    found
}

const ESCAPING_KEYS: [&str; 5] = [
    "link/secret",
    "file",
    "sibling/theirs",
    "relative",
    "link/new",
];

fn refused(kind: ErrorKind) -> bool {
    matches!(kind, ErrorKind::PermissionDenied | ErrorKind::NotFound)
}

#[tokio::test]
async fn reads_through_links_that_leave_the_container_are_refused() {
    let p = planted().await;
    for key in ESCAPING_KEYS {
        let err = p.store.get_bytes("box", key).await.unwrap_err();
        assert!(refused(err.kind()), "get {key}: {err}");
        assert!(!err.to_string().contains("top secret"));
        let err = p.store.head_object("box", key).await.unwrap_err();
        assert!(refused(err.kind()), "head {key}: {err}");
    }
    let err = p.store.get_bytes("box", "link/secret").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PermissionDenied, "{err}");
    assert!(err.to_string().contains("symbolic link"), "{err}");
}

#[tokio::test]
async fn writes_and_copies_through_links_touch_nothing_outside() {
    let p = planted().await;
    let outside_before = snapshot(&p.outside);
    let other_before = snapshot(&p.root.join("other"));
    // A link on the way to the key: refused.
    for key in [
        "link/secret",
        "link/new",
        "link/deeper/new",
        "sibling/theirs",
    ] {
        let err = p
            .store
            .put_bytes("box", key, "overwritten")
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::PermissionDenied, "put {key}: {err}");
        let err = p
            .store
            .copy_object("box", "mine", "box", key)
            .await
            .unwrap_err();
        assert_eq!(
            err.kind(),
            ErrorKind::PermissionDenied,
            "copy to {key}: {err}"
        );
    }
    for key in ESCAPING_KEYS {
        let err = p
            .store
            .copy_object("box", key, "box", "stolen")
            .await
            .unwrap_err();
        assert!(refused(err.kind()), "copy from {key}: {err}");
    }
    // The key is itself a link: writing it replaces the link with an object, never its target.
    p.store.put_bytes("box", "file", "replaced").await.unwrap();
    p.store
        .copy_object("box", "mine", "box", "relative")
        .await
        .unwrap();
    assert!(p
        .root
        .join("box/file")
        .symlink_metadata()
        .unwrap()
        .is_file());
    assert_eq!(p.store.get_bytes("box", "file").await.unwrap(), "replaced");
    assert_eq!(p.store.get_bytes("box", "relative").await.unwrap(), "mine");
    assert_eq!(snapshot(&p.outside), outside_before, "outside unchanged");
    assert_eq!(snapshot(&p.root.join("other")), other_before);
    assert!(!p.outside.join("new").exists());
    assert!(!p.outside.join("deeper").exists());
    assert!(!p.root.join("box/stolen").exists());
}

#[tokio::test]
async fn deletes_through_links_remove_nothing_outside() {
    let p = planted().await;
    for key in ESCAPING_KEYS {
        match p.store.delete_object("box", key).await {
            Ok(()) => {}
            Err(err) => assert!(refused(err.kind()), "delete {key}: {err}"),
        }
    }
    p.untouched().await;
}

#[tokio::test]
async fn listings_show_no_links_and_deleting_the_container_removes_only_links() {
    let p = planted().await;
    let keys: Vec<String> = p
        .store
        .list_objects("box", &ListOptions::new())
        .map_ok(|entry| entry.name().to_owned())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(keys, ["mine"], "links are not objects");
    p.store.delete_object("box", "mine").await.unwrap();
    // Only links are left: the container counts as empty, and deleting it removes the links alone.
    p.store.delete_container("box").await.unwrap();
    assert!(!p.root.join("box").exists());
    p.untouched().await;
}

#[tokio::test]
async fn a_container_that_is_a_link_is_no_container() {
    let p = planted().await;
    let names: Vec<String> = p
        .store
        .list_containers()
        .map_ok(|c| c.name)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(names, ["box", "other"]);
    let notfound = |e: cloud_core::Error| assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
    notfound(p.store.get_container("evil").await.unwrap_err());
    notfound(p.store.get_bytes("evil", "secret").await.unwrap_err());
    notfound(p.store.put_bytes("evil", "new", "x").await.unwrap_err());
    notfound(p.store.delete_object("evil", "secret").await.unwrap_err());
    notfound(p.store.delete_container("evil").await.unwrap_err());
    let listed: Result<Vec<_>, _> = p
        .store
        .list_objects("evil", &ListOptions::new())
        .try_collect()
        .await;
    notfound(listed.unwrap_err());
    assert!(p.outside.join("secret").exists());
    assert!(!p.outside.join("new").exists());
}

#[tokio::test]
async fn links_that_stay_inside_the_container_are_followed() {
    let p = planted().await;
    std::fs::create_dir_all(p.root.join("box/real")).unwrap();
    std::fs::write(p.root.join("box/real/data"), "inside").unwrap();
    symlink("real", p.root.join("box/alias")).unwrap();
    assert_eq!(
        p.store.get_bytes("box", "alias/data").await.unwrap(),
        "inside"
    );
    p.store
        .put_bytes("box", "alias/more", "via link")
        .await
        .unwrap();
    assert_eq!(
        std::fs::read_to_string(p.root.join("box/real/more")).unwrap(),
        "via link"
    );
}

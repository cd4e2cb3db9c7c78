//! Mailboxes in an object store shared by two relays: the layout, resumes that cross
//! relays, a bundle whose last chunk never arrived, and expiry. The store here is
//! object_store's folder store; `garage.rs` runs the same protocol against a real
//! three-node Garage cluster (long mode).

use std::sync::Arc;
use std::time::Duration;

use object_store::local::LocalFileSystem;
use object_store::{ObjectStore, ObjectStoreExt};
use satchel_relay::{Config, Relay as Server, Storage};

use super::*;

/// A relay served on a thread of this process, over `storage`.
pub(crate) fn serve_in_process(cfg: Config) -> (String, Arc<Server>) {
    let relay = Server::new(cfg).unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let served = relay.clone();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(async move {
            let l = tokio::net::TcpListener::from_std(listener).unwrap();
            satchel_relay::serve(served, l).await
        })
    });
    (base, relay)
}

/// An object store in a fresh folder, and relay storage over it under `prefix`.
fn folder_store(prefix: &str) -> (tempfile::TempDir, Arc<dyn ObjectStore>, Storage) {
    let tmp = tempfile::tempdir().unwrap();
    let store: Arc<dyn ObjectStore> =
        Arc::new(LocalFileSystem::new_with_prefix(tmp.path()).unwrap());
    let storage = Storage::Objects {
        store: store.clone(),
        prefix: prefix.into(),
    };
    (tmp, store, storage)
}

pub(crate) fn mailbox_in(relay: &Server) -> Mailbox {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (id, tokens) = rt.block_on(relay.create_mailbox()).unwrap();
    Mailbox {
        id: id.to_hex(),
        deposit: tokens.deposit_token,
        collect: tokens.collect_token,
    }
}

fn delete(base: &str, path: &str, token: &str) -> u16 {
    agent()
        .delete(format!("{base}{path}"))
        .header("authorization", format!("Bearer {token}"))
        .header("tus-resumable", "1.0.0")
        .call()
        .unwrap()
        .status()
        .as_u16()
}

/// Every object's name under the store, as the operator of the store sees them.
fn names(store: &Arc<dyn ObjectStore>) -> Vec<String> {
    use futures_util::TryStreamExt;
    let rt = tokio::runtime::Runtime::new().unwrap();
    let mut v: Vec<String> = rt
        .block_on(
            store
                .list(None)
                .map_ok(|m| m.location.to_string())
                .try_collect::<Vec<_>>(),
        )
        .unwrap();
    v.sort();
    v
}

/// An upload begun through one relay continues through the other at the offset the
/// store holds; the bundle lists, downloads (whole and by range) and deletes through
/// either; what the store holds is ciphertext chunks under random names, and nothing
/// is left once it is collected.
#[test]
fn two_relays_share_one_store_and_an_upload_moves_between_them() {
    let (_tmp, store, storage) = folder_store("org/relay");
    let (a, relay_a) = serve_in_process(Config::with_storage(storage.clone()));
    let (b, _) = serve_in_process(Config::with_storage(storage));
    let m = mailbox_in(&relay_a);
    let bundle = random(2 * 1_048_576 + 4321);
    let r = begin(&a, &m, &m.deposit, bundle.len() as u64);
    assert_eq!(r.status, 201);
    let at = r.location.unwrap();
    let r = chunk(&a, &at, &m.deposit, 0, &bundle[..1_048_576]);
    assert_eq!((r.status, r.offset), (204, Some(1_048_576)));
    // Relay A is gone for this client: B knows where the upload stands.
    let r = head(&b, &at, &m.deposit);
    assert_eq!((r.status, r.offset), (200, Some(1_048_576)));
    // A chunk at a stale offset is refused with the true one.
    let r = chunk(&b, &at, &m.deposit, 0, &bundle[..1000]);
    assert_eq!((r.status, r.offset), (409, Some(1_048_576)));
    let r = chunk(
        &b,
        &at,
        &m.deposit,
        1_048_576,
        &bundle[1_048_576..2_097_152],
    );
    assert_eq!((r.status, r.offset), (204, Some(2_097_152)));
    // Not a bundle yet: nothing to collect.
    assert!(blobs(&a, &m).is_empty());
    let r = chunk(&a, &at, &m.deposit, 2_097_152, &bundle[2_097_152..]);
    assert_eq!((r.status, r.offset), (204, Some(bundle.len() as u64)));
    let list = blobs(&b, &m);
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].1, bundle.len() as u64);
    let path = format!("/v1/mailboxes/{}/blobs/{}", m.id, list[0].0);
    let whole = get(&b, &path, &m.collect, None);
    assert_eq!((whole.status, whole.body == bundle), (200, true));
    // A range across two chunks.
    let tail = get(&a, &path, &m.collect, Some(1_000_000));
    assert_eq!((tail.status, &tail.body[..]), (206, &bundle[1_000_000..]));
    // The deposit token neither lists nor deletes.
    assert_eq!(get(&a, &path, &m.deposit, None).status, 404);
    assert_eq!(delete(&a, &path, &m.deposit), 404);

    let held = names(&store);
    assert!(
        held.iter().all(|n| n.starts_with("org/relay/m/")),
        "{held:?}"
    );
    assert_eq!(
        held.iter().filter(|n| n.contains("/u/")).count(),
        4,
        "length and three chunks: {held:?}"
    );
    // The store holds the bytes as sent, and no token.
    for secret in [&m.deposit, &m.collect] {
        assert!(held.iter().all(|n| !n.contains(secret.as_str())));
    }

    assert_eq!(delete(&b, &path, &m.collect), 204);
    assert!(blobs(&a, &m).is_empty());
    assert_eq!(get(&a, &path, &m.collect, None).status, 404);
    let left = names(&store);
    assert!(
        left.len() == 1 && left[0].starts_with(&format!("org/relay/m/{}/tokens-", m.id)),
        "only the mailbox's tokens are left: {left:?}"
    );
}

/// A depositor cut after the bundle's marker but before its last chunk: the bundle is
/// listed but refused as incomplete (never served short), the upload still says
/// where it stands, and the depositor's retry completes it.
#[test]
fn a_bundle_whose_last_chunk_is_missing_is_refused_until_it_arrives() {
    let (_tmp, store, storage) = folder_store("");
    let (a, relay) = serve_in_process(Config::with_storage(storage));
    let m = mailbox_in(&relay);
    let bundle = random(300_000);
    let at = begin(&a, &m, &m.deposit, 300_000).location.unwrap();
    assert_eq!(
        chunk(&a, &at, &m.deposit, 0, &bundle[..100_000]).status,
        204
    );
    assert_eq!(
        chunk(&a, &at, &m.deposit, 100_000, &bundle[100_000..]).status,
        204
    );
    // The last chunk's object is lost, as if the relay died between its two writes.
    let last = names(&store)
        .into_iter()
        .find(|n| n.ends_with(&format!("{:020}", 100_000)))
        .unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(store.delete(&object_store::path::Path::from(last)))
        .unwrap();
    let list = blobs(&a, &m);
    let path = format!("/v1/mailboxes/{}/blobs/{}", m.id, list[0].0);
    let r = get(&a, &path, &m.collect, None);
    assert_eq!(r.status, 409, "{}", String::from_utf8_lossy(&r.body));
    assert!(String::from_utf8_lossy(&r.body).contains("not complete"));
    let r = head(&a, &at, &m.deposit);
    assert_eq!(r.offset, Some(100_000));
    assert_eq!(
        chunk(&a, &at, &m.deposit, 100_000, &bundle[100_000..]).status,
        204
    );
    let r = get(&a, &path, &m.collect, None);
    assert_eq!((r.status, r.body == bundle), (200, true));
    // A bundle is no upload: the deposit token cannot cancel it any more.
    assert_eq!(delete(&a, &at, &m.deposit), 404);
}

/// Quotas count what the store holds across relays; expired bundles and uploads are
/// swept by any relay, and a wrong token or unknown mailbox looks the same.
#[test]
fn quotas_and_expiry_hold_across_relays() {
    let (_tmp, store, storage) = folder_store("r");
    let cfg = Config {
        quota_bytes: 250_000,
        quota_blobs: 2,
        ttl: Duration::from_secs(1),
        ..Config::with_storage(storage.clone())
    };
    let (a, relay_a) = serve_in_process(Config {
        ttl: Duration::from_secs(3600),
        ..cfg.clone()
    });
    let (b, relay_b) = serve_in_process(Config {
        ttl: Duration::from_secs(3600),
        ..cfg.clone()
    });
    let m = mailbox_in(&relay_a);
    let data = random(100_000);
    let at = begin(&a, &m, &m.deposit, 100_000).location.unwrap();
    assert_eq!(chunk(&a, &at, &m.deposit, 0, &data).status, 204);
    // Promised, not yet sent: counted too.
    assert_eq!(begin(&b, &m, &m.deposit, 100_000).status, 201);
    assert_eq!(begin(&b, &m, &m.deposit, 10).status, 507, "two is the most");
    let other = mailbox_in(&relay_b);
    assert_eq!(begin(&a, &other, &other.deposit, 250_001).status, 413);
    let wrong = Mailbox {
        id: m.id.clone(),
        deposit: other.deposit.clone(),
        collect: String::new(),
    };
    let unknown = Mailbox {
        id: "ab".repeat(32),
        deposit: other.deposit.clone(),
        collect: String::new(),
    };
    let (w, u) = (
        begin(&a, &wrong, &wrong.deposit, 10),
        begin(&a, &unknown, &unknown.deposit, 10),
    );
    assert_eq!((w.status, w.body.clone()), (u.status, u.body.clone()));
    assert_eq!(w.status, 404);

    // Nothing expires within the hour; with a one-second TTL both go.
    let rt = tokio::runtime::Runtime::new().unwrap();
    assert_eq!(rt.block_on(relay_b.sweep()).unwrap(), 0);
    std::thread::sleep(Duration::from_millis(1500));
    let sweeper = Server::new(cfg).unwrap();
    assert_eq!(rt.block_on(sweeper.sweep()).unwrap(), 2);
    assert!(blobs(&a, &m).is_empty());
    let left = names(&store);
    assert!(left.iter().all(|n| is_tokens(n)), "{left:?}");
}

/// A bundle that fits in one request comes whole with the POST that creates its
/// upload (tus creation-with-upload): one object in the store, listed, read by range
/// and deleted like any other, through either relay; and the same on a folder relay.
/// A body whose checksum is wrong, or longer than the upload, creates nothing.
#[test]
fn a_small_bundle_comes_whole_in_one_request() {
    let (tmp, store, storage) = folder_store("r");
    let (a, relay) = serve_in_process(Config::with_storage(storage.clone()));
    let (b, _) = serve_in_process(Config::with_storage(storage));
    let folder = tmp.path().join("folder");
    let (f, folder_relay) = serve_in_process(Config::new(folder));
    for (one, other, relay) in [(&a, &b, &relay), (&f, &f, &folder_relay)] {
        let m = mailbox_in(relay);
        let bundle = random(200_000);
        let sum = sha2::Sha256::digest(&bundle);
        let bad = begin_with(one, &m, 200_000, &bundle, &sha2::Sha256::digest(b"other"));
        assert_eq!(bad.status, 460);
        // Small enough to be sent whole before the answer, which closes the link.
        let over = &bundle[..2000];
        let long = begin_with(one, &m, 1000, over, &sha2::Sha256::digest(over));
        assert_eq!(long.status, 413);
        assert!(
            blobs(other, &m).is_empty(),
            "a refused creation left something"
        );
        let r = begin_with(one, &m, 200_000, &bundle, &sum);
        assert_eq!((r.status, r.offset), (201, Some(200_000)));
        let at = r.location.unwrap();
        // Already complete: HEAD says so, and a further chunk is refused.
        let r = head(other, &at, &m.deposit);
        assert_eq!((r.status, r.offset), (200, Some(200_000)), "{one}");
        let r = chunk(one, &at, &m.deposit, 200_000, b"more");
        assert_eq!((r.status, r.offset), (409, Some(200_000)));
        let list = blobs(other, &m);
        assert_eq!(list.len(), 1);
        assert_eq!(list[0].1, 200_000);
        let path = format!("/v1/mailboxes/{}/blobs/{}", m.id, list[0].0);
        let whole = get(other, &path, &m.collect, None);
        assert_eq!((whole.status, whole.body == bundle), (200, true));
        let tail = get(one, &path, &m.collect, Some(123_456));
        assert_eq!((tail.status, &tail.body[..]), (206, &bundle[123_456..]));
        assert_eq!(delete(other, &path, &m.collect), 204);
        assert!(blobs(one, &m).is_empty());
    }
    let held = names(&store);
    assert!(held.iter().all(|n| is_tokens(n)), "{held:?}");
}

/// A mailbox's tokens object (its hashes are in its name in a store; a folder keeps
/// a `tokens` file).
fn is_tokens(name: &str) -> bool {
    name.rsplit('/')
        .next()
        .is_some_and(|last| last.starts_with("tokens"))
}

/// A relay that never saw a mailbox learns its tokens and its usage from one listing
/// (the hashes are in the tokens object's name); a mailbox an older relay created,
/// with its hashes inside a `tokens` object, is still served; a wrong token is
/// refused either way.
#[test]
fn tokens_are_read_from_the_listing_and_from_an_older_relays_object() {
    let (_tmp, store, storage) = folder_store("r");
    let (_, creator) = serve_in_process(Config::with_storage(storage.clone()));
    let (other, _) = serve_in_process(Config::with_storage(storage.clone()));
    let m = mailbox_in(&creator);
    assert!(blobs(&other, &m).is_empty());
    assert_eq!(
        begin(&other, &m, &m.collect, 10).status,
        404,
        "the collect token does not deposit"
    );
    assert_eq!(begin(&other, &m, &m.deposit, 10).status, 201);
    // The same mailbox as an older relay wrote it: the 64 bytes in `tokens`.
    let named = names(&store)
        .into_iter()
        .find(|n| n.contains("/tokens-"))
        .unwrap();
    let last = named.rsplit('/').next().unwrap().to_owned();
    let hashes: Vec<u8> = last
        .trim_start_matches("tokens-")
        .replace('-', "")
        .as_bytes()
        .chunks(2)
        .map(|h| u8::from_str_radix(std::str::from_utf8(h).unwrap(), 16).unwrap())
        .collect();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let old = object_store::path::Path::from(format!("r/m/{}/tokens", m.id));
        store.put(&old, hashes.into()).await.unwrap();
        store
            .delete(&object_store::path::Path::from(named.as_str()))
            .await
            .unwrap();
    });
    let (fresh, _) = serve_in_process(Config::with_storage(storage));
    assert_eq!(blobs(&fresh, &m).len(), 0);
    assert_eq!(begin(&fresh, &m, &m.deposit, 10).status, 201);
    assert_eq!(begin(&fresh, &m, &m.collect, 10).status, 404);
}

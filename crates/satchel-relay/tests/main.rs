//! The relay as a real process on loopback: resumable uploads, downloads, and every
//! bad request answered clearly with nothing lost.
// Test code: a failed unwrap or index is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use sha2::Digest;

mod garage;
mod objects;

struct Relay {
    child: Child,
    base: String,
    output: std::sync::Arc<std::sync::Mutex<String>>,
}

impl Relay {
    fn start(data: &Path, extra: &[&str]) -> Self {
        let mut args = vec!["--data".to_owned(), data.display().to_string()];
        args.extend(extra.iter().map(|a| (*a).to_owned()));
        Self::serve(&args, &[])
    }

    /// `satchel-relay serve ARGS` on a free port of loopback, with `env` added.
    fn serve(args: &[String], env: &[(String, String)]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_satchel-relay"))
            .arg("serve")
            .args(["--listen", "127.0.0.1:0"])
            .args(args)
            .envs(env.iter().cloned())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        out.read_line(&mut line).unwrap();
        let addr = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap()
            .to_owned();
        let output = std::sync::Arc::new(std::sync::Mutex::new(line.clone()));
        let (o, mut err) = (output.clone(), child.stderr.take().unwrap());
        std::thread::spawn(move || {
            let mut rest = String::new();
            let _ = out.read_to_string(&mut rest);
            let _ = err.read_to_string(&mut rest);
            o.lock().unwrap().push_str(&rest);
        });
        Self {
            child,
            base: format!("http://{addr}"),
            output,
        }
    }

    fn stop(mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        std::thread::sleep(std::time::Duration::from_millis(100));
        self.output.lock().unwrap().clone()
    }
}

struct Mailbox {
    id: String,
    deposit: String,
    collect: String,
}

fn create_mailbox(data: &Path) -> Mailbox {
    let out = Command::new(env!("CARGO_BIN_EXE_satchel-relay"))
        .args(["mailbox", "create", "--data"])
        .arg(data)
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    Mailbox {
        id: v["mailbox"].as_str().unwrap().into(),
        deposit: v["deposit"].as_str().unwrap().into(),
        collect: v["collect"].as_str().unwrap().into(),
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into()
}

struct Reply {
    status: u16,
    offset: Option<u64>,
    location: Option<String>,
    body: Vec<u8>,
}

fn reply(r: ureq::http::Response<ureq::Body>) -> Reply {
    let header = |k: &str| {
        r.headers()
            .get(k)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let (offset, location) = (
        header("upload-offset").and_then(|v| v.parse().ok()),
        header("location"),
    );
    let status = r.status().as_u16();
    let body = r.into_body().read_to_vec().unwrap_or_default();
    Reply {
        status,
        offset,
        location,
        body,
    }
}

fn begin(base: &str, m: &Mailbox, token: &str, length: u64) -> Reply {
    reply(
        agent()
            .post(format!("{base}/v1/mailboxes/{}/uploads", m.id))
            .header("tus-resumable", "1.0.0")
            .header("authorization", format!("Bearer {token}"))
            .header("upload-length", length.to_string())
            .send_empty()
            .unwrap(),
    )
}

fn patch(base: &str, location: &str, token: &str, offset: u64, bytes: &[u8], sum: &[u8]) -> Reply {
    reply(
        agent()
            .patch(format!("{base}{location}"))
            .header("tus-resumable", "1.0.0")
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", "application/offset+octet-stream")
            .header("upload-offset", offset.to_string())
            .header(
                "upload-checksum",
                format!("sha256 {}", data_encoding::BASE64.encode(sum)),
            )
            .send(bytes)
            .unwrap(),
    )
}

/// tus creation-with-upload: a POST that carries the upload's first `bytes`.
fn begin_with(base: &str, m: &Mailbox, length: u64, bytes: &[u8], sum: &[u8]) -> Reply {
    reply(
        agent()
            .post(format!("{base}/v1/mailboxes/{}/uploads", m.id))
            .header("tus-resumable", "1.0.0")
            .header("authorization", format!("Bearer {}", m.deposit))
            .header("upload-length", length.to_string())
            .header("content-type", "application/offset+octet-stream")
            .header(
                "upload-checksum",
                format!("sha256 {}", data_encoding::BASE64.encode(sum)),
            )
            .send(bytes)
            .unwrap(),
    )
}

fn chunk(base: &str, location: &str, token: &str, offset: u64, bytes: &[u8]) -> Reply {
    patch(
        base,
        location,
        token,
        offset,
        bytes,
        &sha2::Sha256::digest(bytes),
    )
}

fn head(base: &str, location: &str, token: &str) -> Reply {
    reply(
        agent()
            .head(format!("{base}{location}"))
            .header("tus-resumable", "1.0.0")
            .header("authorization", format!("Bearer {token}"))
            .call()
            .unwrap(),
    )
}

fn get(base: &str, path: &str, token: &str, range: Option<u64>) -> Reply {
    let mut req = agent()
        .get(format!("{base}{path}"))
        .header("authorization", format!("Bearer {token}"));
    if let Some(from) = range {
        req = req.header("range", format!("bytes={from}-"));
    }
    reply(req.call().unwrap())
}

fn blobs(base: &str, m: &Mailbox) -> Vec<(String, u64)> {
    let r = get(
        base,
        &format!("/v1/mailboxes/{}/blobs", m.id),
        &m.collect,
        None,
    );
    assert_eq!(r.status, 200);
    let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    v["blobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            (
                b["id"].as_str().unwrap().into(),
                b["size"].as_u64().unwrap(),
            )
        })
        .collect()
}

fn random(n: usize) -> Vec<u8> {
    let mut b = vec![0u8; n];
    getrandom::fill(&mut b).unwrap();
    b
}

/// An upload cut after any byte resumes from the offset the relay reports, even
/// across a relay killed and started again; the bundle then downloads whole, resumes
/// from a byte too, and is gone once collected. Nothing the relay printed names the
/// mailbox or a token.
#[test]
fn an_upload_cut_anywhere_resumes_and_the_bundle_is_collected_once() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("relay");
    let m = create_mailbox(&data);
    let relay = Relay::start(&data, &[]);
    let bundle = random(200_000);
    let r = begin(&relay.base, &m, &m.deposit, bundle.len() as u64);
    assert_eq!(r.status, 201);
    let at = r.location.unwrap();
    let r = chunk(&relay.base, &at, &m.deposit, 0, &bundle[..70_001]);
    assert_eq!((r.status, r.offset), (204, Some(70_001)));
    // The relay dies mid-transfer; a new one on the same folder knows the offset.
    let said = relay.stop();
    let relay = Relay::start(&data, &[]);
    let r = head(&relay.base, &at, &m.deposit);
    assert_eq!((r.status, r.offset), (200, Some(70_001)));
    let r = chunk(&relay.base, &at, &m.deposit, 70_001, &bundle[70_001..]);
    assert_eq!((r.status, r.offset), (204, Some(200_000)));
    let list = blobs(&relay.base, &m);
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].1, 200_000);
    let path = format!("/v1/mailboxes/{}/blobs/{}", m.id, list[0].0);
    let whole = get(&relay.base, &path, &m.collect, None);
    assert_eq!((whole.status, whole.body == bundle), (200, true));
    let tail = get(&relay.base, &path, &m.collect, Some(150_000));
    assert_eq!((tail.status, &tail.body[..]), (206, &bundle[150_000..]));
    let gone = reply(
        agent()
            .delete(format!("{}{path}", relay.base))
            .header("authorization", format!("Bearer {}", m.collect))
            .call()
            .unwrap(),
    );
    assert_eq!(gone.status, 204);
    assert!(blobs(&relay.base, &m).is_empty());
    let said = said + &relay.stop();
    for secret in [&m.id, &m.deposit, &m.collect] {
        assert!(
            !said.contains(secret.as_str()),
            "the relay printed {secret}: {said}"
        );
    }
    assert!(!said.contains("127.0.0.1:") || said.lines().all(|l| l.starts_with("listening on")));
}

/// Each bad request gets its own clear status, and none changes what the mailbox
/// holds or where an upload stands.
#[test]
fn bad_requests_are_refused_clearly_and_lose_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("relay");
    let m = create_mailbox(&data);
    let other = create_mailbox(&data);
    let relay = Relay::start(&data, &["--quota-mib", "1", "--max-chunk-mib", "1"]);
    let base = relay.base.clone();
    // A wrong token, the other mailbox's token, and an unknown mailbox: alike.
    assert_eq!(begin(&base, &m, "not-a-token", 10).status, 404);
    assert_eq!(begin(&base, &m, &other.deposit, 10).status, 404);
    assert_eq!(begin(&base, &m, &m.collect, 10).status, 404);
    let unknown = Mailbox {
        id: "ab".repeat(32),
        ..create_mailbox(&tmp.path().join("elsewhere"))
    };
    assert_eq!(begin(&base, &unknown, &unknown.deposit, 10).status, 404);
    assert_eq!(
        get(
            &base,
            &format!("/v1/mailboxes/{}/blobs", m.id),
            &m.deposit,
            None
        )
        .status,
        404,
        "the deposit token collects"
    );
    // Larger than the quota.
    assert_eq!(begin(&base, &m, &m.deposit, (1 << 20) + 1).status, 413);
    // An upload, then bad chunks.
    let bundle = random(50_000);
    let at = begin(&base, &m, &m.deposit, 50_000).location.unwrap();
    assert_eq!(
        chunk(&base, &at, &m.deposit, 0, &bundle[..20_000]).offset,
        Some(20_000)
    );
    let wrong_offset = chunk(&base, &at, &m.deposit, 10_000, &bundle[10_000..30_000]);
    assert_eq!(
        (wrong_offset.status, wrong_offset.offset),
        (409, Some(20_000))
    );
    let mut corrupted = bundle[20_000..30_000].to_vec();
    let sum = sha2::Sha256::digest(&corrupted);
    corrupted[5] ^= 1;
    assert_eq!(
        patch(&base, &at, &m.deposit, 20_000, &corrupted, &sum).status,
        460
    );
    let past_end = chunk(&base, &at, &m.deposit, 20_000, &random(40_000));
    assert_eq!(past_end.status, 413);
    let no_tus = reply(
        agent()
            .head(format!("{base}{at}"))
            .header("authorization", format!("Bearer {}", m.deposit))
            .call()
            .unwrap(),
    );
    assert_eq!(no_tus.status, 412);
    // Nothing moved: the upload is where it was and finishes.
    assert_eq!(head(&base, &at, &m.deposit).offset, Some(20_000));
    assert_eq!(
        chunk(&base, &at, &m.deposit, 20_000, &bundle[20_000..]).status,
        204
    );
    let list = blobs(&base, &m);
    assert_eq!(list.len(), 1);
    let got = get(
        &base,
        &format!("/v1/mailboxes/{}/blobs/{}", m.id, list[0].0),
        &m.collect,
        None,
    );
    assert_eq!(got.body, bundle);
    // Registration is closed unless the operator gave a token.
    let closed = reply(
        agent()
            .post(format!("{base}/v1/mailboxes"))
            .send_empty()
            .unwrap(),
    );
    assert_eq!(closed.status, 403);
    relay.stop();
}

/// Over HTTP, a mailbox is created only with the operator's registration token; a
/// mailbox's requests beyond its rate are refused; expired bundles are swept.
#[test]
fn registration_needs_the_token_rates_are_limited_and_old_bundles_expire() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("relay");
    let token_file = tmp.path().join("registration");
    std::fs::write(&token_file, "let-me-in-0123456789").unwrap();
    let relay = Relay::start(
        &data,
        &[
            "--registration-token-file",
            token_file.to_str().unwrap(),
            "--rate-per-minute",
            "5",
        ],
    );
    let base = relay.base.clone();
    let create = |token: &str| {
        reply(
            agent()
                .post(format!("{base}/v1/mailboxes"))
                .header("authorization", format!("Bearer {token}"))
                .send_empty()
                .unwrap(),
        )
    };
    assert_eq!(create("wrong").status, 403);
    let made = create("let-me-in-0123456789");
    assert_eq!(made.status, 201);
    let v: serde_json::Value = serde_json::from_slice(&made.body).unwrap();
    let m = Mailbox {
        id: v["mailbox"].as_str().unwrap().into(),
        deposit: v["deposit"].as_str().unwrap().into(),
        collect: v["collect"].as_str().unwrap().into(),
    };
    let at = begin(&base, &m, &m.deposit, 3).location.unwrap();
    assert_eq!(chunk(&base, &at, &m.deposit, 0, b"abc").status, 204);
    let statuses: Vec<u16> = (0..6)
        .map(|_| head(&base, &at, &m.deposit).status)
        .collect();
    assert!(statuses.contains(&429), "{statuses:?}");
    relay.stop();
    // Expiry: with no time to live, the bundle is swept.
    let cfg = satchel_relay::Config {
        ttl: std::time::Duration::ZERO,
        ..satchel_relay::Config::new(data.clone())
    };
    std::thread::sleep(std::time::Duration::from_millis(20));
    let rt = tokio::runtime::Runtime::new().unwrap();
    let relay = satchel_relay::Relay::new(cfg).unwrap();
    assert_eq!(rt.block_on(relay.sweep()).unwrap(), 1);
    let relay = Relay::start(&data, &[]);
    assert!(blobs(&relay.base, &m).is_empty());
    relay.stop();
}

/// A mounted tmpfs of `size`, unmounted when dropped (needs root, as the README's
/// test command runs; elsewhere set SATCHEL_SKIP_MOUNT_TESTS=1).
struct Tmpfs(std::path::PathBuf);

impl Tmpfs {
    fn mount(at: &Path, size: &str) -> Option<Self> {
        std::fs::create_dir_all(at).unwrap();
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(at)
            .status()
            .is_ok_and(|s| s.success());
        if ok {
            return Some(Self(at.to_owned()));
        }
        assert!(
            std::env::var_os("SATCHEL_SKIP_MOUNT_TESTS").is_some(),
            "cannot mount a tmpfs to simulate a full disk: run as root, or set SATCHEL_SKIP_MOUNT_TESTS=1"
        );
        None
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

/// The relay's disk fills up mid-upload: the chunk that did not fit is refused (507),
/// the upload stays at the last byte that did, and once the sender gives that upload
/// up, a bundle that fits goes through whole.
#[test]
fn a_full_disk_on_the_relay_refuses_the_chunk_and_keeps_the_offset_true() {
    let tmp = tempfile::tempdir().unwrap();
    let Some(disk) = Tmpfs::mount(&tmp.path().join("disk"), "1m") else {
        return;
    };
    let data = disk.0.join("relay");
    let m = create_mailbox(&data);
    let relay = Relay::start(&data, &[]);
    let base = relay.base.clone();
    let big = random(3 << 20);
    let at = begin(&base, &m, &m.deposit, big.len() as u64)
        .location
        .unwrap();
    let mut offset = 0u64;
    let mut refused = None;
    for piece in big.chunks(256 * 1024) {
        let r = chunk(&base, &at, &m.deposit, offset, piece);
        if r.status != 204 {
            refused = Some(r.status);
            break;
        }
        offset = r.offset.unwrap();
    }
    assert_eq!(refused, Some(507), "the disk never filled");
    assert_eq!(head(&base, &at, &m.deposit).offset, Some(offset));
    let dropped = reply(
        agent()
            .delete(format!("{base}{at}"))
            .header("tus-resumable", "1.0.0")
            .header("authorization", format!("Bearer {}", m.deposit))
            .call()
            .unwrap(),
    );
    assert_eq!(dropped.status, 204);
    let small = random(100_000);
    let at = begin(&base, &m, &m.deposit, small.len() as u64)
        .location
        .unwrap();
    assert_eq!(chunk(&base, &at, &m.deposit, 0, &small).status, 204);
    let list = blobs(&base, &m);
    let got = get(
        &base,
        &format!("/v1/mailboxes/{}/blobs/{}", m.id, list[0].0),
        &m.collect,
        None,
    );
    assert_eq!(got.body, small);
    relay.stop();
}

/// Satchel's client: a deposit cut when the relay dies mid-transfer resumes on the
/// relay started again, from where it stood; the bundle is listed, downloaded (a cut
/// download continues), and deleted. With a proxy that cannot be reached, nothing
/// goes direct: the deposit fails and the relay sees nothing.
/// More uploads at once than the relay's budget for request bodies (64 MiB), into
/// one mailbox: bundles of several chunks (a creation, then PATCHes under the
/// mailbox's lock) beside more bundles that come whole in their creation than the
/// budget has room for. Every one arrives whole: uploads beyond the budget wait
/// their turn, none is refused or lost.
#[test]
fn more_uploads_than_the_body_budget_all_arrive() {
    use satchel_relay::client::{CHUNK, RelayClient};
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("relay");
    let m = create_mailbox(&data);
    let relay = Relay::start(&data, &["--rate-per-minute", "100000"]);
    let client = RelayClient::new(&relay.base, None).unwrap();
    // 100 bundles that come whole (each counted as 1 MiB of the budget) and 20 of
    // three chunks.
    let sizes: Vec<usize> = (0..120)
        .map(|i| {
            if i % 6 == 0 {
                2 * CHUNK + i
            } else {
                64 * 1024 + i
            }
        })
        .collect();
    std::thread::scope(|s| {
        for &size in &sizes {
            let (client, m) = (&client, &m);
            s.spawn(move || {
                let bundle = random(size);
                client
                    .deposit(
                        &m.id,
                        &m.deposit,
                        &mut std::io::Cursor::new(&bundle),
                        size as u64,
                        None,
                        &mut |_| {},
                        &mut |_, _| {},
                    )
                    .unwrap();
            });
        }
    });
    let mut held: Vec<u64> = client
        .list(&m.id, &m.collect)
        .unwrap()
        .into_iter()
        .map(|(_, n)| n)
        .collect();
    let mut sent: Vec<u64> = sizes.iter().map(|&n| n as u64).collect();
    held.sort_unstable();
    sent.sort_unstable();
    assert_eq!(held, sent, "not every bundle arrived whole");
    relay.stop();
}

#[test]
fn the_client_resumes_a_cut_deposit_and_never_goes_around_its_proxy() {
    use satchel_relay::client::{ClientError, RelayClient};
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("relay");
    let m = create_mailbox(&data);
    let bundle = random(3 * satchel_relay::client::CHUNK + 12_345);
    let relay = Relay::start(&data, &[]);
    let client = RelayClient::new(&relay.base, None).unwrap();
    let mut upload: Option<String> = None;
    let mut relay = Some(relay);
    let total = bundle.len() as u64;
    let cut = client.deposit(
        &m.id,
        &m.deposit,
        &mut std::io::Cursor::new(&bundle),
        total,
        None,
        &mut |l| upload = Some(l.to_owned()),
        &mut |done, _| {
            // The relay dies after the first chunk is in.
            if done > 0
                && let Some(r) = relay.take()
            {
                r.stop();
            }
        },
    );
    assert!(matches!(cut, Err(ClientError::Network(_))), "{cut:?}");
    assert!(upload.is_some(), "the upload's location was not kept");
    let relay = Relay::start(&data, &[]);
    let client = RelayClient::new(&relay.base, None).unwrap();
    let mut resumed = Vec::new();
    client
        .deposit(
            &m.id,
            &m.deposit,
            &mut std::io::Cursor::new(&bundle),
            total,
            upload.as_deref(),
            &mut |_| panic!("a new upload was made"),
            &mut |done, _| resumed.push(done),
        )
        .unwrap();
    assert_eq!(
        resumed.first().copied(),
        Some(satchel_relay::client::CHUNK as u64)
    );
    assert_eq!(resumed.last().copied(), Some(total));
    let list = client.list(&m.id, &m.collect).unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].1, total);
    let path = tmp.path().join("in");
    std::fs::write(&path, &bundle[..1000]).unwrap();
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&path)
        .unwrap();
    let mut seen = Vec::new();
    client
        .download(
            &m.id,
            &m.collect,
            &list[0].0,
            total,
            &mut file,
            &mut |done, _| seen.push(done),
        )
        .unwrap();
    assert_eq!(
        seen.first().copied(),
        Some(1000),
        "the download started again"
    );
    assert!(
        std::fs::read(&path).unwrap() == bundle,
        "the continued download differs"
    );
    // A raised flag stops a transfer before anything more is sent...
    let flag = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let stopped = RelayClient::new(&relay.base, None)
        .unwrap()
        .with_stop(Some(flag.clone()));
    let r = stopped.deposit(
        &m.id,
        &m.deposit,
        &mut std::io::Cursor::new(&bundle),
        total,
        None,
        &mut |_| panic!("an upload was made after the stop"),
        &mut |_, _| {},
    );
    assert!(matches!(r, Err(ClientError::Stopped)), "{r:?}");
    // ...and one stalled on a link that never answers ends when the flag rises, not
    // when the request times out (minutes later).
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead_url = format!("http://{}", dead.local_addr().unwrap());
    flag.store(false, std::sync::atomic::Ordering::Relaxed);
    let stalled = RelayClient::new(&dead_url, None)
        .unwrap()
        .with_stop(Some(flag.clone()));
    let raiser = {
        let flag = flag.clone();
        std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(300));
            flag.store(true, std::sync::atomic::Ordering::Relaxed);
        })
    };
    let began = std::time::Instant::now();
    let r = stalled.list(&m.id, &m.collect);
    assert!(matches!(r, Err(ClientError::Stopped)), "{r:?}");
    assert!(
        began.elapsed() < std::time::Duration::from_secs(20),
        "it waited for the dead link"
    );
    raiser.join().unwrap();
    drop(dead);
    client.delete(&m.id, &m.collect, &list[0].0).unwrap();
    assert!(client.list(&m.id, &m.collect).unwrap().is_empty());
    assert!(matches!(
        client.list(&m.id, &m.deposit),
        Err(ClientError::NotFound)
    ));

    // Through a proxy nobody listens on: refused, and nothing reached the relay.
    assert!(matches!(
        RelayClient::new(&relay.base, Some("http://127.0.0.1:9")),
        Err(ClientError::BadProxy)
    ));
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let proxied =
        RelayClient::new(&relay.base, Some(&format!("socks5h://127.0.0.1:{port}"))).unwrap();
    let mut made = false;
    let r = proxied.deposit(
        &m.id,
        &m.deposit,
        &mut std::io::Cursor::new(b"bundle"),
        6,
        None,
        &mut |_| made = true,
        &mut |_, _| {},
    );
    assert!(matches!(r, Err(ClientError::Network(_))), "{r:?}");
    assert!(!made);
    assert!(client.list(&m.id, &m.collect).unwrap().is_empty());
    relay.stop();
}

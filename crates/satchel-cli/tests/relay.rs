//! Network sync through a real relay process on loopback: two devices, what went
//! and what came, a replayed bundle and junk in a mailbox, transfers cut by a relay
//! killed mid-upload and mid-download, and the safe-to-sync policy holding
//! everything back with not one connection made.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{
    Arc,
    atomic::{AtomicBool, AtomicUsize, Ordering},
};
use std::time::{Duration, Instant};

use crate::sync::{card, carry, import};
use crate::*;

/// The relay binary, built beside this one by `cargo test --workspace`; built
/// here when this package's tests run alone and it is missing or older than the
/// relay's sources (a stale relay fails these tests in confusing ways).
fn relay_bin() -> PathBuf {
    let bin = Path::new(env!("CARGO_BIN_EXE_satchel"))
        .with_file_name(format!("satchel-relay{}", std::env::consts::EXE_SUFFIX));
    let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    let sources = Path::new(env!("CARGO_MANIFEST_DIR")).join("../satchel-relay/src");
    let newest = std::fs::read_dir(&sources)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| modified(&e.path()))
        .max();
    if modified(&bin).is_none_or(|built| newest.is_some_and(|n| n > built)) {
        let status = Command::new(env!("CARGO"))
            .args([
                "build",
                "-q",
                "-p",
                "satchel-relay",
                "--bin",
                "satchel-relay",
            ])
            .status()
            .unwrap();
        assert!(status.success());
    }
    bin
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub(crate) struct Relay {
    child: Child,
    pub(crate) port: u16,
    pub(crate) data: PathBuf,
}

impl Relay {
    pub(crate) fn start(data: &Path, port: u16) -> Self {
        let mut child = Command::new(relay_bin())
            .args(["serve", "--data"])
            .arg(data)
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert!(line.starts_with("listening on "), "{line}");
        Self {
            child,
            port,
            data: data.to_owned(),
        }
    }

    pub(crate) fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub(crate) fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A mailbox as the operator makes it: the JSON file and its parsed fields.
pub(crate) fn mailbox(data: &Path, into: &Path) -> serde_json::Value {
    let out = Command::new(relay_bin())
        .args(["mailbox", "create", "--data"])
        .arg(data)
        .output()
        .unwrap();
    assert!(out.status.success());
    std::fs::write(into, &out.stdout).unwrap();
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Bundles waiting in a mailbox, as files on the relay's disk.
fn waiting(data: &Path, mailbox: &serde_json::Value) -> usize {
    let dir = data
        .join("m")
        .join(mailbox["mailbox"].as_str().unwrap())
        .join("b");
    std::fs::read_dir(dir).map_or(0, |d| d.count())
}

fn sync_json(s: &Sandbox) -> serde_json::Value {
    let r = s.run(&["--json", "sync", "now"]);
    assert_eq!(r.code, 0, "sync now failed: {}", r.stderr);
    serde_json::from_str(&r.stdout).unwrap()
}

fn peer<'a>(report: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    report["peers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == name)
        .unwrap()
}

/// Two devices that exchanged one bundle each by file, so each knows the
/// other's mailbox.
fn pair(
    url: &str,
    data: &Path,
    root: &Path,
) -> (Sandbox, Sandbox, serde_json::Value, serde_json::Value) {
    let (a, b) = (Sandbox::new(), Sandbox::new());
    a.init();
    b.init();
    a.ok(&["peer", "add", &card(&b), "--name", "bo"]);
    b.ok(&["peer", "add", &card(&a), "--name", "ana"]);
    let (ma, mb) = (root.join("a.json"), root.join("b.json"));
    let (box_a, box_b) = (mailbox(data, &ma), mailbox(data, &mb));
    let said = a.ok(&["relay", "add", url, "--mailbox", ma.to_str().unwrap()]);
    assert!(said.contains("delete it now"), "{said}");
    // From stdin too.
    let mut c = b.cmd(&["relay", "add", url, "--mailbox", "-"]);
    c.stdin(Stdio::piped()).stdout(Stdio::piped());
    let mut child = c.spawn().unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(&std::fs::read(&mb).unwrap())
        .unwrap();
    assert!(child.wait().unwrap().success());
    let usb = tempfile::tempdir().unwrap();
    import(&b, &carry(&a, "bo", usb.path()));
    import(&a, &carry(&b, "ana", usb.path()));
    (a, b, box_a, box_b)
}

const CANARIES: [&str; 3] = ["CanaryR7Relay", "릴레이카나리아", "中继金丝雀"];

#[test]
fn two_devices_sync_through_a_relay_and_nothing_arrives_twice() {
    let root = tempfile::tempdir().unwrap();
    let relay = Relay::start(&root.path().join("relay"), free_port());
    let (a, b, _, box_b) = pair(&relay.url(), &relay.data, root.path());
    let listed = a.ok(&["relay", "list"]);
    assert!(listed.contains(&relay.url()), "{listed}");
    assert!(
        !listed.contains(box_b["deposit"].as_str().unwrap()),
        "a token was shown"
    );

    let id = a
        .ok(&[
            "record",
            "add",
            "contact",
            "--set",
            &format!("name={}", CANARIES[1]),
            "--set",
            &format!("notes={} {}", CANARIES[0], CANARIES[2]),
        ])
        .trim()
        .to_owned();
    let out = a.ok(&["sync", "now"]);
    assert!(out.contains("bo: sent 1 op(s)"), "{out}");
    assert_eq!(waiting(&relay.data, &box_b), 1);
    // The relay holds only ciphertext.
    assert!(crate::leak::assert_free_of(&[&relay.data], &CANARIES) > 0);
    // The bundle as the relay holds it, to deposit again later.
    let blob_dir = relay
        .data
        .join("m")
        .join(box_b["mailbox"].as_str().unwrap())
        .join("b");
    let blob = std::fs::read_dir(&blob_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.is_file())
        .unwrap();
    let copy = std::fs::read(&blob).unwrap();

    // Nothing new: nothing sent again.
    let report = sync_json(&a);
    assert_eq!(peer(&report, "bo")["sent_bytes"], 0);
    assert_eq!(waiting(&relay.data, &box_b), 1);

    let report = sync_json(&b);
    assert_eq!(peer(&report, "ana")["received"], 1);
    assert_eq!(peer(&report, "ana")["applied"], 1);
    assert!(b.ok(&["record", "show", &id]).contains(CANARIES[0]));
    assert_eq!(waiting(&relay.data, &box_b), 0, "deleted once imported");

    // The same bundle again, and junk: the one changes nothing, the other is
    // refused; both leave the relay.
    let client = satchel_relay::client::RelayClient::new(&relay.url(), None).unwrap();
    let deposit = |bytes: &[u8]| {
        client
            .deposit(
                box_b["mailbox"].as_str().unwrap(),
                box_b["deposit"].as_str().unwrap(),
                &mut std::io::Cursor::new(bytes),
                bytes.len() as u64,
                None,
                &mut |_| {},
                &mut |_, _| {},
            )
            .unwrap()
    };
    deposit(&copy);
    deposit(&[0x5a; 70_000]);
    let report = sync_json(&b);
    assert_eq!(peer(&report, "ana")["applied"], 0, "imported twice");
    assert_eq!(report["refused"].as_array().unwrap().len(), 1, "{report}");
    assert_eq!(report["refused"][0]["code"], "bundle_refused");
    assert_eq!(waiting(&relay.data, &box_b), 0);
    let list: serde_json::Value =
        serde_json::from_str(&b.ok(&["--json", "record", "list"])).unwrap();
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");

    // And back: b's acknowledgement and its own change reach a.
    b.ok(&["record", "edit", &id, "--set", "phone=after nine"]);
    let out = b.ok(&["sync", "now"]);
    assert!(out.contains("ana: sent"), "{out}");
    let out = a.ok(&["sync", "now"]);
    assert!(out.contains("applied 1 op(s)"), "{out}");
    assert!(a.ok(&["record", "show", &id]).contains("after nine"));
    let status = a.ok(&["sync", "status"]);
    assert!(status.contains("Last network sync: "), "{status}");

    // A removed relay is no longer collected, and a removed peer no longer sent to.
    a.ok(&["relay", "remove", &relay.url()]);
    assert!(a.ok(&["relay", "list"]).contains("No relays"));
    let r = a.run(&["relay", "remove", &relay.url()]);
    assert_eq!(r.code, 1);
    assert!(
        error_line(&r).contains("no relay at that address"),
        "{}",
        r.stderr
    );
    a.ok(&["peer", "remove", "bo"]);
    let r = a.run(&["sync", "now"]);
    assert_eq!(r.code, 1);
    assert!(
        error_line(&r).contains("no relay is set up"),
        "{}",
        r.stderr
    );
}

#[test]
fn bad_relays_and_mailboxes_are_refused_clearly() {
    let root = tempfile::tempdir().unwrap();
    let s = Sandbox::new();
    s.init();
    // Registration, with the relay's token and without it.
    let token_file = root.path().join("registration");
    std::fs::write(&token_file, "let-me-in-0123456789\n").unwrap();
    let port = free_port();
    let data = root.path().join("open");
    let mut child = Command::new(relay_bin())
        .args(["serve", "--data"])
        .arg(&data)
        .args([
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--registration-token-file",
        ])
        .arg(&token_file)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let open = Relay { child, port, data };
    let r = s.run_with(
        &["relay", "add", &open.url(), "--register"],
        &[("SATCHEL_RELAY_TOKEN", "wrong")],
    );
    assert_eq!(r.code, 1);
    assert!(
        error_line(&r).contains("would not make a mailbox"),
        "{}",
        r.stderr
    );
    let r = s.run_with(
        &["relay", "add", &open.url(), "--register"],
        &[("SATCHEL_RELAY_TOKEN", "let-me-in-0123456789")],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(s.ok(&["relay", "list"]).contains(&open.url()));
    drop(open);
    let good = mailbox(&root.path().join("relay"), &root.path().join("m.json"));
    let m = root.path().join("m.json");
    let refused = |args: &[&str], says: &str| {
        let r = s.run(args);
        assert_ne!(r.code, 0, "{args:?} succeeded");
        assert!(error_line(&r).contains(says), "{args:?}: {}", r.stderr);
    };
    refused(
        &[
            "relay",
            "add",
            "ftp://relay.example.org",
            "--mailbox",
            m.to_str().unwrap(),
        ],
        "https://",
    );
    let bad = root.path().join("bad.json");
    for text in [
        "not json".to_owned(),
        "{}".to_owned(),
        serde_json::json!({"mailbox": "00", "deposit": good["deposit"], "collect": good["collect"]}).to_string(),
        serde_json::json!({"mailbox": good["mailbox"], "deposit": "short", "collect": good["collect"]}).to_string(),
    ] {
        std::fs::write(&bad, text).unwrap();
        refused(
            &["relay", "add", "https://relay.example.org", "--mailbox", bad.to_str().unwrap()],
            "not a mailbox",
        );
    }
    s.ok(&[
        "relay",
        "add",
        "https://relay.example.org/",
        "--mailbox",
        m.to_str().unwrap(),
    ]);
    refused(
        &[
            "relay",
            "add",
            "https://relay.example.org",
            "--mailbox",
            m.to_str().unwrap(),
        ],
        "set up already",
    );
    refused(&["relay", "add", "https://relay.example.org"], "--mailbox");
    for (args, says) in [
        (vec!["--window", "25:00-01:00"], "HH:MM-HH:MM"),
        (vec!["--proxy", "http://127.0.0.1:8080"], "socks5h://"),
        (vec!["--quiet-after-unlock", "1441"], "0 to 1440"),
    ] {
        let mut all = vec!["sync", "policy"];
        all.extend(args);
        refused(&all, says);
    }
    // A policy's sync hours as set, shown back.
    let out = s.ok(&[
        "sync",
        "policy",
        "--window",
        "22:00-06:00",
        "--quiet-after-unlock",
        "5",
    ]);
    assert!(out.contains("Hours: 22:00-06:00"), "{out}");
    assert!(out.contains("Wait after unlock: 5 minute(s)"), "{out}");
}

/// A listener that counts the connections made to it and answers none.
struct Trap {
    port: u16,
    seen: Arc<AtomicUsize>,
    done: Arc<AtomicBool>,
}

impl Trap {
    fn new() -> Self {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        l.set_nonblocking(true).unwrap();
        let (seen, done) = (
            Arc::new(AtomicUsize::new(0)),
            Arc::new(AtomicBool::new(false)),
        );
        let (s, d) = (seen.clone(), done.clone());
        std::thread::spawn(move || {
            while !d.load(Ordering::Relaxed) {
                if l.accept().is_ok() {
                    s.fetch_add(1, Ordering::Relaxed);
                }
                std::thread::sleep(Duration::from_millis(5));
            }
        });
        Self { port, seen, done }
    }

    fn connections(&self) -> usize {
        std::thread::sleep(Duration::from_millis(50));
        self.seen.load(Ordering::Relaxed)
    }
}

impl Drop for Trap {
    fn drop(&mut self) {
        self.done.store(true, Ordering::Relaxed);
    }
}

#[test]
fn the_policy_holds_sync_back_and_nothing_connects() {
    let root = tempfile::tempdir().unwrap();
    let trap = Trap::new();
    let s = Sandbox::new();
    s.init();
    let m = root.path().join("m.json");
    mailbox(&root.path().join("relay"), &m);
    let url = format!("http://127.0.0.1:{}", trap.port);
    s.ok(&["relay", "add", &url, "--mailbox", m.to_str().unwrap()]);
    let held = |args: &[&str], says: &str| {
        let r = s.run_with(args, &[("SATCHEL_RELAY_TOKEN", "t")]);
        assert_eq!(r.code, 1, "{args:?}: {}", r.stdout);
        assert!(error_line(&r).contains(says), "{args:?}: {}", r.stderr);
    };

    // Only through a proxy, and none set: fail closed.
    s.ok(&["sync", "policy", "--proxy-only", "on"]);
    held(&["sync", "now"], "only through a proxy");
    held(
        &["relay", "add", "http://127.0.0.1:9", "--register"],
        "only through a proxy",
    );
    // A proxy nobody listens on: the sync fails, and never goes around it.
    let dead = free_port();
    let r = s.run(&[
        "sync",
        "now",
        "--proxy",
        &format!("socks5h://127.0.0.1:{dead}"),
    ]);
    assert_eq!(r.code, 1);
    assert!(r.stdout.contains("could not be reached"), "{}", r.stdout);
    held(
        &["sync", "now", "--proxy", "socks5://127.0.0.1:9050"],
        "socks5h://",
    );
    s.ok(&["sync", "policy", "--proxy-only", "off"]);

    // Outside the sync hours: the window is the hour two hours from now (UTC).
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let hour = (now / 3600 + 2) % 24;
    let window = format!("{hour:02}:00-{:02}:00", (hour + 1) % 24);
    s.ok(&["sync", "policy", "--window", &window]);
    let r = s.run_with(&["sync", "now"], &[("TZ", "UTC")]);
    assert_eq!(r.code, 1);
    assert!(
        error_line(&r).contains("outside the policy's sync hours"),
        "{}",
        r.stderr
    );
    s.ok(&["sync", "policy", "--any-time"]);

    // Too soon after unlock (every command unlocks).
    s.ok(&["sync", "policy", "--quiet-after-unlock", "10"]);
    held(&["sync", "now"], "10 more minute(s) after unlock");
    s.ok(&["sync", "policy", "--quiet-after-unlock", "0"]);
    assert_eq!(
        trap.connections(),
        0,
        "something connected despite the policy"
    );

    // Allowed: now it connects (and the trap never answers, so it fails).
    let r = s.run(&["sync", "now"]);
    assert_eq!(r.code, 1);
    assert!(trap.connections() > 0);
}

/// Forwards connections to `to` on loopback, as a link that is slow (a pause after
/// each piece of 16 KiB) and, with a seed, bad: each connection is cut, both ways,
/// after a random 100 KiB to 1.5 MiB, and one in five is refused at once.
/// Deterministic from the seed. (The kernel here has no netem, so the link is made
/// in user space.)
struct Link {
    port: u16,
}

impl Link {
    /// A link carrying about `bytes_per_s`, never cut.
    fn slow(to: u16, bytes_per_s: u64) -> Self {
        Self::new(
            to,
            Duration::from_micros(16 * 1024 * 1_000_000 / bytes_per_s),
            None,
        )
    }

    /// A link that cuts and refuses connections, as `seed` says.
    fn flaky(to: u16, seed: u64) -> Self {
        Self::new(to, Duration::from_millis(2), Some(seed))
    }

    fn new(to: u16, pause: Duration, seed: Option<u64>) -> Self {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        std::thread::spawn(move || {
            let mut state = seed.unwrap_or(1) | 1;
            let mut next = move || {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state
            };
            for conn in l.incoming() {
                let Ok(client) = conn else { continue };
                if seed.is_some() && next() % 5 == 0 {
                    drop(client);
                    continue;
                }
                let Ok(server) = TcpStream::connect(("127.0.0.1", to)) else {
                    continue;
                };
                let budget = Arc::new(AtomicUsize::new(match seed {
                    Some(_) => 100 * 1024 + (next() % (1400 * 1024)) as usize,
                    None => usize::MAX,
                }));
                for (mut from, mut into) in [
                    (client.try_clone().unwrap(), server.try_clone().unwrap()),
                    (server, client),
                ] {
                    let budget = budget.clone();
                    std::thread::spawn(move || {
                        let mut buf = [0u8; 16 * 1024];
                        while let Ok(got) = from.read(&mut buf) {
                            if got == 0 {
                                break;
                            }
                            // Both directions draw on one budget; the connection is
                            // cut, both ways, once it is spent.
                            let left = budget
                                .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |l| {
                                    Some(l.saturating_sub(got))
                                })
                                .unwrap_or(0);
                            let n = got.min(left);
                            if n > 0 && into.write_all(&buf[..n]).is_err() || n < got {
                                break;
                            }
                            std::thread::sleep(pause);
                        }
                        let _ = into.shutdown(std::net::Shutdown::Both);
                        let _ = from.shutdown(std::net::Shutdown::Both);
                    });
                }
            }
        });
        Self { port }
    }
}

fn size_of_largest(dir: &Path) -> u64 {
    let mut files = Vec::new();
    crate::leak::files(dir, &mut files);
    files
        .iter()
        .filter_map(|f| std::fs::metadata(f).ok())
        .map(|m| m.len())
        .max()
        .unwrap_or(0)
}

/// Runs `satchel sync now` and kills the relay once `grown` says the transfer is
/// part-way; returns the run's report of failure.
fn cut(s: &Sandbox, relay: Relay, grown: impl Fn() -> bool) -> Run {
    let child = s
        .cmd(&["sync", "now"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while !grown() {
        assert!(start.elapsed() < Duration::from_secs(60), "never got going");
        std::thread::sleep(Duration::from_millis(10));
    }
    relay.kill();
    let out = child.wait_with_output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into(),
        stderr: String::from_utf8_lossy(&out.stderr).into(),
    }
}

#[test]
fn a_relay_killed_mid_upload_and_mid_download_loses_nothing() {
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("relay");
    let port = free_port();
    let relay = Relay::start(&data, port);
    // Both devices reach the relay through a slow link: 4 MiB/s.
    let slow = Link::slow(port, 4 << 20);
    let (a, b, _, box_b) = pair(
        &format!("http://127.0.0.1:{}", slow.port),
        &data,
        root.path(),
    );
    // An attachment that does not compress: a bundle of 6 chunks.
    let photo = root.path().join("photo.bin");
    let mut bytes = vec![0u8; 6 << 20];
    getrandom::fill(&mut bytes).unwrap();
    std::fs::write(&photo, &bytes).unwrap();
    let id = a
        .ok(&[
            "record",
            "add",
            "contact",
            "--set",
            "name=Kim",
            "--attach",
            photo.to_str().unwrap(),
        ])
        .trim()
        .to_owned();

    // Cut after 2 MiB reached the relay.
    let uploads = data.join("m").join(box_b["mailbox"].as_str().unwrap());
    let r = cut(&a, relay, || size_of_largest(&uploads) >= 3 << 20);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(r.stderr.contains("resume"), "{}", r.stderr);
    let relay = Relay::start(&data, port);
    let report = sync_json(&a);
    let bo = peer(&report, "bo");
    assert_eq!(bo["resumed"], true, "{report}");
    let sent = bo["sent_bytes"].as_u64().unwrap();
    assert!(sent < 5 << 20, "sent {sent} bytes again: it did not resume");
    assert_eq!(waiting(&data, &box_b), 1);

    // Cut after 2 MiB came down.
    let transfers = b.vault.join("transfers");
    let r = cut(&b, relay, || size_of_largest(&transfers) >= 2 << 20);
    assert_eq!(r.code, 1, "{}", r.stdout);
    let held = size_of_largest(&transfers);
    assert!(held >= 2 << 20, "the part downloaded was not kept");
    let _relay = Relay::start(&data, port);
    let report = sync_json(&b);
    assert_eq!(peer(&report, "ana")["applied"], 1, "{report}");
    assert_eq!(waiting(&data, &box_b), 0);
    assert!(!transfers.exists(), "transfer files left behind");
    let shown = b.ok(&["--json", "record", "show", &id]);
    assert!(shown.contains("photo.bin"), "{shown}");
}

/// Runs a command and insists on success.
fn sh(args: &[&str]) {
    let out = Command::new(args[0]).args(&args[1..]).output().unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn have(tool: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// A network namespace joined to this one by a veth pair: the namespace is
/// 10.213.77.2, this side 10.213.77.1. Its own loopback holds nothing, so the relay
/// on this side's 127.0.0.1 cannot be reached from it directly.
struct Netns {
    name: String,
}

impl Netns {
    fn new() -> Self {
        let name = format!("satchel{}", std::process::id());
        let (here, there) = (format!("{name}a"), format!("{name}b"));
        // What a run killed before could clean up would route the subnet elsewhere.
        if let Ok(o) = Command::new("ip")
            .args(["-o", "addr", "show", "to", "10.213.77.0/30"])
            .output()
        {
            for line in String::from_utf8_lossy(&o.stdout).lines() {
                if let Some(dev) = line.split_whitespace().nth(1) {
                    let _ = Command::new("ip").args(["link", "del", dev]).status();
                }
            }
        }
        let _ = Command::new("ip")
            .args(["netns", "del", &name])
            .stderr(Stdio::null())
            .status();
        sh(&["ip", "netns", "add", &name]);
        sh(&[
            "ip", "link", "add", &here, "type", "veth", "peer", "name", &there,
        ]);
        sh(&["ip", "link", "set", &there, "netns", &name]);
        sh(&[
            "sysctl",
            "-q",
            "-w",
            &format!("net.ipv6.conf.{here}.disable_ipv6=1"),
        ]);
        sh(&["ip", "addr", "add", "10.213.77.1/30", "dev", &here]);
        sh(&["ip", "link", "set", &here, "up"]);
        let inside = |args: &[&str]| {
            let mut all = vec!["ip", "netns", "exec", &name];
            all.extend_from_slice(args);
            sh(&all);
        };
        // No IPv6: the kernel's own neighbour discovery would fill the captures.
        inside(&["sysctl", "-q", "-w", "net.ipv6.conf.all.disable_ipv6=1"]);
        inside(&[
            "sysctl",
            "-q",
            "-w",
            &format!("net.ipv6.conf.{there}.disable_ipv6=1"),
        ]);
        inside(&["ip", "addr", "add", "10.213.77.2/30", "dev", &there]);
        inside(&["ip", "link", "set", &there, "up"]);
        inside(&["ip", "link", "set", "lo", "up"]);
        Self { name }
    }

    /// `satchel` inside the namespace, with the sandbox's environment.
    fn satchel(&self, s: &Sandbox, args: &[&str]) -> Run {
        let probe = s.cmd(args);
        let mut c = Command::new("ip");
        c.args(["netns", "exec", &self.name, env!("CARGO_BIN_EXE_satchel")])
            .args(args)
            .env_clear();
        for (k, v) in probe.get_envs() {
            if let Some(v) = v {
                c.env(k, v);
            }
        }
        let out = c.stdin(Stdio::null()).output().unwrap();
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into(),
            stderr: String::from_utf8_lossy(&out.stderr).into(),
        }
    }

    /// Captures every packet on every interface of the namespace that `filter`
    /// lets through, until [`Capture::count`].
    fn capture(&self, filter: &str, into: &Path) -> Capture {
        let mut child = Command::new("ip")
            .args([
                "netns",
                "exec",
                &self.name,
                "tcpdump",
                "--immediate-mode",
                "-i",
                "any",
                "-n",
                "-U",
                "-w",
            ])
            .arg(into)
            .args(filter.split_whitespace())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // It says where it listens once it does.
        let mut err = BufReader::new(child.stderr.take().unwrap());
        let mut said = String::new();
        while !said.contains("listening") {
            let mut line = String::new();
            assert!(err.read_line(&mut line).unwrap() > 0, "tcpdump: {said}");
            said.push_str(&line);
        }
        // Drained to the end: a closed pipe would end tcpdump at its next word.
        std::thread::spawn(move || std::io::copy(&mut err, &mut std::io::sink()));
        Capture {
            child,
            file: into.to_owned(),
        }
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        // A process left inside would keep the namespace, and its veth, alive.
        let _ = Command::new("ip")
            .args(["netns", "pids", &self.name])
            .output()
            .map(|o| {
                for pid in String::from_utf8_lossy(&o.stdout).split_whitespace() {
                    let _ = Command::new("kill").args(["-9", pid]).status();
                }
            });
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .status();
        let _ = Command::new("ip")
            .args(["link", "del", &format!("{}a", self.name)])
            .stderr(Stdio::null())
            .status();
    }
}

/// A process killed when the test ends, however it ends.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

struct Capture {
    child: Child,
    file: PathBuf,
}

impl Drop for Capture {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Capture {
    /// Stops the capture; the packets it saw, one line each.
    fn packets(mut self) -> Vec<String> {
        // Left to Drop if this fails.
        std::thread::sleep(Duration::from_millis(300));
        let _ = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
        let out = Command::new("tcpdump")
            .args(["-n", "-r"])
            .arg(&self.file)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("reading from file"), "tcpdump -r: {err}");
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::to_owned)
            .collect()
    }
}

/// In a network namespace, watched by tcpdump: while the policy holds sync back,
/// and for every command that is not a sync, not one packet leaves; "only through
/// the proxy" syncs through a real SOCKS5 server (microsocks) when the relay cannot
/// be reached directly, and with the proxy gone, fails without a packet to anything
/// but the proxy. Needs root, ip, tcpdump and microsocks (installed by
/// `scripts/setup.sh --tests`; CI runs it as root).
#[test]
fn in_a_network_namespace_nothing_leaves_outside_the_policy() {
    let root_user = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0\n"));
    let missing: Vec<&str> = ["ip", "tcpdump", "microsocks"]
        .into_iter()
        .filter(|t| !have(t))
        .collect();
    if !root_user || !missing.is_empty() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must run the namespace test: root {root_user}, missing {missing:?}"
        );
        eprintln!("skipped: needs root and {missing:?}");
        return;
    }
    let root = tempfile::tempdir().unwrap();
    let relay = Relay::start(&root.path().join("relay"), free_port());
    let ns = Netns::new();
    let s = Sandbox::new();
    s.init();
    let m = root.path().join("m.json");
    mailbox(&relay.data, &m);
    s.ok(&[
        "relay",
        "add",
        &relay.url(),
        "--mailbox",
        m.to_str().unwrap(),
    ]);
    s.ok(&["record", "add", "contact", "--set", "name=Kim"]);

    // Held back, or not a sync at all: nothing at all leaves.
    let all = ns.capture("", &root.path().join("held.pcap"));
    let window = {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let hour = (now / 3600 + 2) % 24;
        format!("{hour:02}:00-{:02}:00", (hour + 1) % 24)
    };
    for (policy, says) in [
        (vec!["--proxy-only", "on"], "only through a proxy"),
        (
            vec!["--proxy-only", "off", "--window", &window],
            "outside the policy's sync hours",
        ),
        (
            vec!["--any-time", "--quiet-after-unlock", "30"],
            "after unlock",
        ),
    ] {
        let mut args = vec!["sync", "policy"];
        args.extend(policy);
        assert_eq!(ns.satchel(&s, &args).code, 0);
        let r = ns.satchel(&s, &["sync", "now"]);
        assert_eq!(r.code, 1, "{}", r.stdout);
        assert!(error_line(&r).contains(says), "{}", r.stderr);
    }
    for args in [
        &["sync", "status"][..],
        &["relay", "list"],
        &["record", "list"],
        &["sync", "policy"],
        &["info"],
    ] {
        assert_eq!(ns.satchel(&s, args).code, 0, "{args:?}");
    }
    let seen = all.packets();
    assert!(
        seen.is_empty(),
        "packets left while nothing should: {seen:?}"
    );

    // Only through the proxy: the relay is reached through microsocks, never
    // directly (which is impossible from the namespace anyway).
    let port = free_port();
    let mut socks = Killed(
        Command::new("microsocks")
            .args(["-i", "10.213.77.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    std::thread::sleep(Duration::from_millis(300));
    let proxy = format!("socks5h://10.213.77.1:{port}");
    let others = ns.capture(
        &format!("not ( host 10.213.77.1 and port {port} )"),
        &root.path().join("others.pcap"),
    );
    // The same capture unfiltered: it does see the traffic to the proxy.
    let any = ns.capture("", &root.path().join("any.pcap"));
    assert_eq!(
        ns.satchel(
            &s,
            &[
                "sync",
                "policy",
                "--quiet-after-unlock",
                "0",
                "--any-time",
                "--proxy-only",
                "on"
            ]
        )
        .code,
        0
    );
    let r = ns.satchel(&s, &["sync", "now", "--proxy", &proxy]);
    assert_eq!(r.code, 0, "through the proxy: {} {}", r.stdout, r.stderr);
    // Directly, it cannot be reached from here; and the policy refuses to try.
    let r = ns.satchel(&s, &["sync", "now"]);
    assert!(
        error_line(&r).contains("only through a proxy"),
        "{}",
        r.stderr
    );
    // The proxy gone: the sync fails, and never goes around it.
    let _ = socks.0.kill();
    let _ = socks.0.wait();
    let r = ns.satchel(&s, &["sync", "now", "--proxy", &proxy]);
    assert_eq!(r.code, 1);
    assert!(r.stdout.contains("could not be reached"), "{}", r.stdout);
    let to_proxy = any.packets();
    assert!(
        to_proxy
            .iter()
            .any(|l| l.contains(&format!("10.213.77.1.{port}"))),
        "the capture saw nothing: {to_proxy:?}"
    );
    let seen = others.packets();
    assert!(
        seen.iter()
            .all(|l| l.contains("ARP") && l.contains("10.213.77.1")),
        "packets to something other than the proxy: {seen:?}"
    );
}

/// Over a link that cuts every connection after a megabyte or so and refuses some:
/// syncing again and again, everything arrives once, attachment whole, and the
/// relay and the transfers folder end empty.
#[test]
fn a_flaky_link_loses_nothing_and_delivers_once() {
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("relay");
    let port = free_port();
    let _relay = Relay::start(&data, port);
    let flaky = Link::flaky(port, 0x5eed_f1a4);
    let (a, b, _, box_b) = pair(
        &format!("http://127.0.0.1:{}", flaky.port),
        &data,
        root.path(),
    );
    drop(a.add_contacts(20, |i| format!("연락처 {i} 联系人 Contact")));
    let photo = root.path().join("photo.bin");
    let mut bytes = vec![0u8; 4 << 20];
    getrandom::fill(&mut bytes).unwrap();
    std::fs::write(&photo, &bytes).unwrap();
    let id = a
        .ok(&[
            "record",
            "add",
            "contact",
            "--set",
            "name=With photo",
            "--attach",
            photo.to_str().unwrap(),
        ])
        .trim()
        .to_owned();
    let until_done = |s: &Sandbox, what: &str| {
        let mut last = String::new();
        for _ in 0..60 {
            let r = s.run(&["sync", "now"]);
            if r.code == 0 {
                return;
            }
            last = format!("{}{}", r.stdout, r.stderr);
        }
        panic!("{what}: never completed over the flaky link: {last}");
    };
    until_done(&a, "sending");
    assert_eq!(waiting(&data, &box_b), 1);
    until_done(&b, "receiving");
    assert_eq!(waiting(&data, &box_b), 0);
    let list: serde_json::Value =
        serde_json::from_str(&b.ok(&["--json", "record", "list", "--limit", "100"])).unwrap();
    assert_eq!(list.as_array().unwrap().len(), 21, "{list}");
    // The attachment arrived whole.
    let shown: serde_json::Value =
        serde_json::from_str(&b.ok(&["--json", "record", "show", &id])).unwrap();
    fn blake3_in(v: &serde_json::Value) -> Option<String> {
        match v {
            serde_json::Value::Object(m) => m
                .get("blake3")
                .and_then(|h| h.as_str().map(str::to_owned))
                .or_else(|| m.values().find_map(blake3_in)),
            serde_json::Value::Array(a) => a.iter().find_map(blake3_in),
            _ => None,
        }
    }
    let hash = blake3_in(&shown).unwrap_or_else(|| panic!("no attachment in {shown}"));
    let out = root.path().join("photo.out");
    b.ok(&[
        "record",
        "save-attachment",
        &id,
        &hash,
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(
        std::fs::read(&out).unwrap() == bytes,
        "the attachment arrived damaged"
    );
    assert!(!b.vault.join("transfers").exists());
    assert!(!a.vault.join("transfers").exists());
}

/// A deposit that could not finish leaves its sealed bundle in the vault's
/// `transfers` folder; a wipe takes it with everything else.
#[test]
fn a_wipe_takes_the_bundles_in_transit() {
    let root = tempfile::tempdir().unwrap();
    let trap = Trap::new();
    let (a, _b, _, _) = pair(
        &format!("http://127.0.0.1:{}", trap.port),
        &root.path().join("relay"),
        root.path(),
    );
    a.ok(&["record", "add", "contact", "--set", "name=Kim"]);
    let r = a.run(&["sync", "now"]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    let transfers = a.vault.join("transfers");
    assert!(size_of_largest(&transfers) > 0, "no bundle left in transit");
    a.ok(&["wipe", "--yes"]);
    assert!(!a.vault.exists(), "the wipe left the vault folder");
}

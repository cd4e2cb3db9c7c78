//! The relay's figures (`--only-relay`), against the relay process built beside this
//! benchmark (`cargo build --release -p satchel-relay`):
//!
//! - throughput on loopback: bundles of 256 KiB deposited by many concurrent clients,
//!   against writing the same bytes straight to files on the same disk (each synced,
//!   as the relay syncs each chunk) from as many threads, in the same run; and the
//!   relay's peak RSS;
//! - resume: the bytes sent again after the relay is killed with 90% of a 50 MB
//!   bundle in, against one chunk;
//! - a coordinator with many field devices: `sync now` collecting and importing the
//!   bundle each device left in its mailbox, against importing the same files from a
//!   folder into a copy of the same vault.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow};
use satchel_relay::client::{CHUNK, RelayClient};

fn relay_bin() -> Result<PathBuf> {
    let me = std::env::current_exe()?;
    let bin = me.with_file_name("satchel-relay");
    if !bin.exists() {
        return Err(anyhow!(
            "{} is missing: build it in the same profile (cargo build [--release] -p satchel-relay)",
            bin.display()
        ));
    }
    Ok(bin)
}

struct Relay {
    child: Child,
    url: String,
}

impl Relay {
    fn start(data: &Path, listen: &str) -> Result<Self> {
        Self::serve(&["--data".into(), data.display().to_string()], listen)
    }

    /// `satchel-relay serve` with `storage` arguments, limits out of the way.
    fn serve(storage: &[String], listen: &str) -> Result<Self> {
        let mut child = Command::new(relay_bin()?)
            .arg("serve")
            .args(storage)
            .args([
                "--listen",
                listen,
                "--quota-blobs",
                "100000",
                "--rate-per-minute",
                "100000",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()?;
        let mut line = String::new();
        BufReader::new(child.stdout.take().context("relay stdout")?).read_line(&mut line)?;
        let addr = line
            .trim()
            .strip_prefix("listening on ")
            .ok_or_else(|| anyhow!("relay said {line:?}"))?
            .to_owned();
        Ok(Self {
            child,
            url: format!("http://{addr}"),
        })
    }

    /// Its peak resident memory so far, in KiB.
    fn peak_rss_kib(&self) -> u64 {
        std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .ok()
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with("VmHWM:"))
                    .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
            })
            .unwrap_or(0)
    }

    fn kill(mut self) {
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

/// CPU seconds (user and system) a process has used, from /proc (in USER_HZ, 100
/// ticks a second on Linux); 0 once it is gone.
fn cpu_secs(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| {
            // The name is in parentheses and may hold spaces; utime and stime are the
            // 12th and 13th fields after it.
            let rest = s.get(s.rfind(')')? + 2..)?;
            let mut f = rest.split(' ').skip(11);
            let user: f64 = f.next()?.parse().ok()?;
            let system: f64 = f.next()?.parse().ok()?;
            Some((user + system) / 100.0)
        })
        .unwrap_or(0.0)
}

/// The processes named `name` (their comm), by pid.
fn pids_named(name: &str) -> Vec<u32> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/comm")).is_ok_and(|c| c.trim() == name)
        })
        .collect()
}

/// CPU seconds used so far by the store's nodes, the relay and this process.
#[derive(Clone, Copy, Default)]
struct Cpu {
    store: f64,
    relay: f64,
    clients: f64,
}

impl Cpu {
    fn now(relay: u32) -> Self {
        Self {
            store: pids_named("garage").into_iter().map(cpu_secs).sum(),
            relay: cpu_secs(relay),
            clients: cpu_secs(std::process::id()),
        }
    }

    fn add_since(&mut self, start: Self, end: Self) {
        self.store += end.store - start.store;
        self.relay += end.relay - start.relay;
        self.clients += end.clients - start.clients;
    }
}

fn mailbox(data: &Path) -> Result<(String, String)> {
    let out = Command::new(relay_bin()?)
        .args(["mailbox", "create", "--data"])
        .arg(data)
        .output()?;
    let v: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    let field = |k: &str| {
        v.get(k)
            .and_then(|x| x.as_str())
            .map(str::to_owned)
            .ok_or_else(|| anyhow!("no {k}"))
    };
    Ok((field("mailbox")?, field("deposit")?))
}

/// The JSON `satchel-relay mailbox create` prints: id and both tokens.
fn mailbox_json(data: &Path) -> Result<String> {
    let out = Command::new(relay_bin()?)
        .args(["mailbox", "create", "--data"])
        .arg(data)
        .output()?;
    anyhow::ensure!(out.status.success(), "mailbox create failed");
    Ok(String::from_utf8(out.stdout)?)
}

fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to)?;
    for e in std::fs::read_dir(from)? {
        let e = e?;
        if e.file_type()?.is_dir() {
            copy_dir(&e.path(), &to.join(e.file_name()))?;
        } else {
            std::fs::copy(e.path(), to.join(e.file_name()))?;
        }
    }
    Ok(())
}

/// A coordinator with `devices` field devices, each of which left a bundle of
/// `records` new records in the coordinator's mailbox: `sync now` against importing
/// the same bundle files from a folder, each into the same starting vault.
pub(crate) fn coordinator(devices: usize, records: usize) -> Result<()> {
    use satchel_api::{FieldInput, KdfProfile, SecretString};
    let dir =
        tempfile::tempdir_in(std::env::var_os("SATCHEL_BENCH_DIR").unwrap_or_else(|| ".".into()))?;
    let pass = SecretString::from("benchmark passphrase");
    let vault =
        |name: &str| satchel_api::init(&dir.path().join(name), &pass, KdfProfile::InsecureTest);
    let data = dir.path().join("relay");
    std::fs::create_dir_all(&data)?;
    let relay = Relay::start(&data, "127.0.0.1:0")?;
    let (mut c, _) = vault("coordinator")?;
    let mine = mailbox_json(&data)?;
    c.relay_add(&relay.url, &mine)?;
    let id = serde_json::from_str::<serde_json::Value>(&mine)?
        .get("mailbox")
        .and_then(|v| v.as_str())
        .map(str::to_owned)
        .context("mailbox id")?;
    // The deposit token is what a device learns from the coordinator's bundles.
    let deposit = serde_json::from_str::<serde_json::Value>(&mine)?
        .get("deposit")
        .and_then(|v| v.as_str())
        .map(str::to_owned)
        .context("deposit token")?;
    let folder = dir.path().join("usb");
    let mut files = Vec::with_capacity(devices);
    let client = RelayClient::new(&relay.url, None)?;
    for i in 0..devices {
        let name = format!("device-{i}");
        let (mut d, _) = vault(&name)?;
        d.add_peer(&c.identity().card, "coordinator")?;
        c.add_peer(&d.identity().card, &name)?;
        let rows: Vec<_> = (0..records)
            .map(|r| {
                vec![(
                    "name".to_owned(),
                    FieldInput::Text(format!("contact {r} of {name}")),
                )]
            })
            .collect();
        d.add_records("contact", &rows)?;
        let out = d.export_bundle(&["coordinator".to_owned()], &folder)?;
        let path = folder.join(&out.file);
        let mut f = std::fs::File::open(&path)?;
        client.deposit(
            &id,
            &deposit,
            &mut f,
            out.size,
            None,
            &mut |_| {},
            &mut |_, _| {},
        )?;
        files.push(path);
    }
    // The same coordinator, twice: one collects from the relay, one imports files.
    drop(c);
    copy_dir(
        &dir.path().join("coordinator"),
        &dir.path().join("by-folder"),
    )?;
    let mut c = satchel_api::unlock(
        &dir.path().join("coordinator"),
        &pass,
        KdfProfile::InsecureTest,
    )?;
    let mut f = satchel_api::unlock(
        &dir.path().join("by-folder"),
        &pass,
        KdfProfile::InsecureTest,
    )?;

    let t = Instant::now();
    let report = c.sync_now(true, None, &mut |_| {})?;
    let by_relay = t.elapsed();
    let received: u64 = report.peers.iter().map(|p| p.received).sum();
    let applied: u64 = report.peers.iter().map(|p| p.applied).sum();
    anyhow::ensure!(
        received == devices as u64 && report.refused.is_empty() && report.errors.is_empty(),
        "collected {received} of {devices}"
    );
    let t = Instant::now();
    let mut applied_folder = 0u64;
    for p in &files {
        applied_folder += f.import_bundle(p)?.applied as u64;
    }
    let by_folder = t.elapsed();
    anyhow::ensure!(
        applied == applied_folder,
        "{applied} ops by relay, {applied_folder} by folder"
    );
    println!(
        "a coordinator with {devices} field devices: collecting and importing their {devices} bundles ({applied} ops) through the relay {:.1} s; importing the same files from a folder {:.1} s; ratio {:.2}",
        by_relay.as_secs_f64(),
        by_folder.as_secs_f64(),
        by_relay.as_secs_f64() / by_folder.as_secs_f64()
    );
    drop(relay);
    Ok(())
}

/// Deposits `per` copies of `blob` into each mailbox, a thread per mailbox, through
/// one client (as the direct baseline uses one store client for all its tasks).
fn deposit_all(url: &str, boxes: &[(String, String)], per: usize, blob: &[u8]) -> Result<()> {
    let client = &RelayClient::new(url, None)?;
    std::thread::scope(|s| -> Result<()> {
        let handles: Vec<_> = boxes
            .iter()
            .map(|(id, token)| {
                s.spawn(move || -> Result<()> {
                    for _ in 0..per {
                        client.deposit(
                            id,
                            token,
                            &mut std::io::Cursor::new(blob),
                            blob.len() as u64,
                            None,
                            &mut |_| {},
                            &mut |_, _| {},
                        )?;
                    }
                    Ok(())
                })
            })
            .collect();
        for h in handles {
            h.join().map_err(|_| anyhow!("a client panicked"))??;
        }
        Ok(())
    })
}

/// Through a relay over the object store the environment names (a Garage cluster
/// from scripts/garage-cluster.sh), against PUTs of the same bundles straight to the
/// same store from as many concurrent tasks, in the same run.
pub(crate) fn throughput_s3(clients: usize, bundles: usize, size: usize) -> Result<()> {
    use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
    let env = |k: &str| {
        std::env::var(k).with_context(|| {
            format!("{k} is not set: start a store with scripts/garage-cluster.sh start DIR and load DIR/env")
        })
    };
    let (endpoint, bucket) = (env("GARAGE_S3_1")?, env("GARAGE_BUCKET")?);
    let run = crate::random::<8>()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<String>();
    let storage: Vec<String> = vec![
        "--s3-endpoint".into(),
        endpoint.clone(),
        "--s3-bucket".into(),
        bucket.clone(),
        "--s3-prefix".into(),
        format!("bench-{run}"),
    ];
    let boxes = (0..clients)
        .map(|_| {
            let out = Command::new(relay_bin()?)
                .args(["mailbox", "create"])
                .args(&storage)
                .output()?;
            anyhow::ensure!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            let v: serde_json::Value = serde_json::from_slice(&out.stdout)?;
            let field = |k: &str| {
                v.get(k)
                    .and_then(|x| x.as_str())
                    .map(str::to_owned)
                    .context("mailbox")
            };
            Ok((field("mailbox")?, field("deposit")?))
        })
        .collect::<Result<Vec<_>>>()?;
    let mut blob = vec![0u8; size];
    getrandom::fill(&mut blob).map_err(|e| anyhow!("{e}"))?;
    let per = bundles / clients;
    let relay = Relay::serve(&storage, "127.0.0.1:0")?;
    satchel_relay::client::install_tls_provider();
    let store: std::sync::Arc<dyn ObjectStore> = std::sync::Arc::new(
        object_store::aws::AmazonS3Builder::new()
            .with_endpoint(&endpoint)
            .with_bucket_name(&bucket)
            .with_region("garage")
            .with_access_key_id(env("AWS_ACCESS_KEY_ID")?)
            .with_secret_access_key(env("AWS_SECRET_ACCESS_KEY")?)
            .with_client_options(object_store::ClientOptions::new().with_allow_http(true))
            .build()?,
    );
    let payload = bytes::Bytes::copy_from_slice(&blob);
    let rt = tokio::runtime::Runtime::new()?;
    let direct = |round: usize| -> Result<f64> {
        let t = Instant::now();
        rt.block_on(async {
            let tasks: Vec<_> = (0..clients)
                .map(|c| {
                    let (store, payload, run) = (store.clone(), payload.clone(), run.clone());
                    tokio::spawn(async move {
                        for i in 0..per {
                            let path = object_store::path::Path::from(format!(
                                "bench-direct-{run}/{round}/{c}/{i}"
                            ));
                            store.put(&path, PutPayload::from(payload.clone())).await?;
                        }
                        Ok::<(), object_store::Error>(())
                    })
                })
                .collect();
            for t in tasks {
                t.await??;
            }
            Ok::<(), anyhow::Error>(())
        })?;
        Ok(t.elapsed().as_secs_f64())
    };
    // Two rounds of each, taking turns, so neither gains from going second (a store
    // that has warmed up, or filled up).
    let (mut relay_s, mut direct_s) = (0.0, 0.0);
    // Where the CPU went in each phase: the machine runs the store's nodes, the relay
    // and the clients at once.
    let (mut relay_cpu, mut direct_cpu) = (Cpu::default(), Cpu::default());
    let pid = relay.child.id();
    for round in 0..2 {
        let (t, c) = (Instant::now(), Cpu::now(pid));
        deposit_all(&relay.url, &boxes, per, &blob)?;
        relay_s += t.elapsed().as_secs_f64();
        relay_cpu.add_since(c, Cpu::now(pid));
        let c = Cpu::now(pid);
        direct_s += direct(round)?;
        direct_cpu.add_since(c, Cpu::now(pid));
    }
    let rss = relay.peak_rss_kib();
    relay.kill();
    let mb = (2 * per * clients * size) as f64 / 1e6;
    println!(
        "relay over a 3-node Garage cluster (replication 3), 2 rounds of {} bundles of {} KiB from {clients} concurrent clients: {:.0} MB/s; direct S3 PUTs of the same bundles to the same cluster from {clients} tasks: {:.0} MB/s; ratio {:.2} (goal >= 0.8); relay peak RSS {:.1} MiB",
        per * clients,
        size / 1024,
        mb / relay_s,
        mb / direct_s,
        direct_s / relay_s,
        rss as f64 / 1024.0
    );
    let share = |cpu: Cpu, secs: f64| {
        format!(
            "store {:.0}%, relay {:.0}%, clients {:.0}% of one core ({:.1} CPU ms per bundle)",
            100.0 * cpu.store / secs,
            100.0 * cpu.relay / secs,
            100.0 * cpu.clients / secs,
            1000.0 * (cpu.store + cpu.relay + cpu.clients) / (2 * per * clients) as f64
        )
    };
    println!(
        "  CPU through the relay: {}; direct: {}",
        share(relay_cpu, relay_s),
        share(direct_cpu, direct_s)
    );
    Ok(())
}

/// `bundles` bundles of `size` bytes from `clients` concurrent clients.
pub(crate) fn throughput(clients: usize, bundles: usize, size: usize) -> Result<()> {
    let dir =
        tempfile::tempdir_in(std::env::var_os("SATCHEL_BENCH_DIR").unwrap_or_else(|| ".".into()))?;
    let data = dir.path().join("relay");
    std::fs::create_dir_all(&data)?;
    // One mailbox per client, as devices have.
    let boxes = (0..clients)
        .map(|_| mailbox(&data))
        .collect::<Result<Vec<_>>>()?;
    let mut blob = vec![0u8; size];
    getrandom::fill(&mut blob).map_err(|e| anyhow!("{e}"))?;
    let per = bundles / clients;
    let relay = Relay::start(&data, "127.0.0.1:0")?;

    let t = Instant::now();
    deposit_all(&relay.url, &boxes, per, &blob)?;
    let relay_s = t.elapsed().as_secs_f64();
    let rss = relay.peak_rss_kib();
    relay.kill();

    let direct = dir.path().join("direct");
    std::fs::create_dir_all(&direct)?;
    let t = Instant::now();
    std::thread::scope(|s| -> Result<()> {
        let handles: Vec<_> = (0..clients)
            .map(|c| {
                let (direct, blob) = (&direct, &blob);
                s.spawn(move || -> Result<()> {
                    for i in 0..per {
                        let mut f = std::fs::File::create(direct.join(format!("{c}-{i}")))?;
                        f.write_all(blob)?;
                        f.sync_all()?;
                    }
                    Ok(())
                })
            })
            .collect();
        for h in handles {
            h.join().map_err(|_| anyhow!("a writer panicked"))??;
        }
        Ok(())
    })?;
    let direct_s = t.elapsed().as_secs_f64();
    let mb = (per * clients * size) as f64 / 1e6;
    println!(
        "relay, {} bundles of {} KiB from {clients} concurrent clients on loopback: {:.0} MB/s; the same files written straight to disk (synced) from {clients} threads: {:.0} MB/s; ratio {:.2}; relay peak RSS {:.1} MiB (goal < 150)",
        per * clients,
        size / 1024,
        mb / relay_s,
        mb / direct_s,
        direct_s / relay_s,
        rss as f64 / 1024.0
    );
    Ok(())
}

/// The bytes sent again when the relay dies with 90% of a `size`-byte bundle in.
pub(crate) fn resume(size: usize) -> Result<()> {
    let dir =
        tempfile::tempdir_in(std::env::var_os("SATCHEL_BENCH_DIR").unwrap_or_else(|| ".".into()))?;
    let data = dir.path().join("relay");
    std::fs::create_dir_all(&data)?;
    let (id, token) = mailbox(&data)?;
    let mut blob = vec![0u8; size];
    getrandom::fill(&mut blob).map_err(|e| anyhow!("{e}"))?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let listen = format!("127.0.0.1:{port}");
    let relay = Relay::start(&data, &listen)?;
    let url = relay.url.clone();
    let uploads = data.join("m").join(&id).join("u");
    // Killed from here once 90% of the bundle is on the relay's disk: mid-chunk,
    // as a lost connection cuts it.
    let killer = std::thread::spawn(move || -> Result<u64> {
        let target = (size as u64) * 9 / 10;
        let start = Instant::now();
        loop {
            let on_disk = std::fs::read_dir(&uploads)
                .ok()
                .into_iter()
                .flatten()
                .flatten()
                .filter_map(|e| e.metadata().ok())
                .map(|m| m.len())
                .max()
                .unwrap_or(0);
            if on_disk >= target {
                relay.kill();
                return Ok(on_disk);
            }
            if start.elapsed() > Duration::from_secs(120) {
                return Err(anyhow!("the upload never reached 90%"));
            }
            std::thread::sleep(Duration::from_micros(200));
        }
    });
    let client = RelayClient::new(&url, None)?;
    let mut location = None;
    let mut sent_first = 0u64;
    // Every byte handed to the connection, the chunk in flight at the cut included.
    let mut counted = Counting {
        inner: std::io::Cursor::new(&blob),
        read: 0,
    };
    let cut = client.deposit(
        &id,
        &token,
        &mut counted,
        size as u64,
        None,
        &mut |l| location = Some(l.to_owned()),
        &mut |done, _| sent_first = done,
    );
    let reached = killer.join().map_err(|_| anyhow!("killer panicked"))??;
    if cut.is_ok() {
        return Err(anyhow!("the upload finished before the cut"));
    }
    let relay = Relay::start(&data, &listen)?;
    let client = RelayClient::new(&relay.url, None)?;
    let mut from = None;
    client.deposit(
        &id,
        &token,
        &mut std::io::Cursor::new(&blob),
        size as u64,
        location.as_deref(),
        &mut |_| {},
        &mut |done, _| {
            from.get_or_insert(done);
        },
    )?;
    let from = from.unwrap_or(0);
    // Sent again, at most: every byte the first run handed to the connection past
    // the offset the second run started from.
    let again = counted.read.saturating_sub(from);
    println!(
        "resume: a {:.0} MB bundle cut with {:.1}% on the relay's disk ({:.1}% acknowledged to the client): resumed at byte {from}; at most {again} bytes sent again (goal < one chunk, {CHUNK} bytes); the second run sent {} bytes",
        size as f64 / 1e6,
        reached as f64 * 100.0 / size as f64,
        sent_first as f64 * 100.0 / size as f64,
        size as u64 - from
    );
    relay.kill();
    Ok(())
}

/// A source that counts the bytes read from it.
struct Counting<R> {
    inner: R,
    read: u64,
}

impl<R: std::io::Read> std::io::Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        Ok(n)
    }
}

impl<R: std::io::Seek> std::io::Seek for Counting<R> {
    fn seek(&mut self, pos: std::io::SeekFrom) -> std::io::Result<u64> {
        self.inner.seek(pos)
    }
}

//! The relay's figures (`--only-relay`), against the relay process built beside this
//! benchmark (`cargo build --release -p satchel-relay`):
//!
//! - throughput on loopback: bundles of 256 KiB deposited by many concurrent clients,
//!   against writing the same bytes straight to files on the same disk (each synced,
//!   as the relay syncs each chunk) from as many threads, in the same run; and the
//!   relay's peak RSS;
//! - resume: the bytes sent again after the relay is killed with 90% of a 50 MB
//!   bundle in, against one chunk.

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
        let mut child = Command::new(relay_bin()?)
            .args(["serve", "--data"])
            .arg(data)
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
    std::thread::scope(|s| -> Result<()> {
        let handles: Vec<_> = boxes
            .iter()
            .map(|(id, token)| {
                let (url, blob) = (relay.url.clone(), &blob);
                s.spawn(move || -> Result<()> {
                    let client = RelayClient::new(&url, None)?;
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
    })?;
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

//! What the end-to-end test (ui/e2e/scenario.e2e.ts) needs from outside the app.
//! Above all it looks for secrets in the memory of the running app and every
//! process it started (the WebKit processes), as someone who takes the
//! unlocked-then-locked laptop would: by reading `/proc/PID/mem`, after lock, panic
//! and wipe; the goal is zero hits.
//!
//!   satchel-e2e key --vault DIR
//!       prints the vault's database key in hex (passphrase in $SATCHEL_MEMSCAN_PASSPHRASE;
//!       the debug app's cheap key derivation when $SATCHEL_E2E_KDF is `insecure`)
//!   satchel-e2e scan --pid PID [--needle-env NAME]... [--key-env NAME]... [--canary TEXT]...
//!       prints JSON: per process, the hits of each needle (by label, never the text)
//!   satchel-e2e count --vault DIR
//!       prints the vault's record and op counts (passphrase as for `key`)
//!   satchel-e2e bundle --card CARD --records N --out DIR
//!       makes a vault with N records and exports them for CARD; prints the
//!       sender's card and the bundle's file name (a large import to interrupt)
//!   satchel-e2e fork --card CARD --out DIR
//!       a worker whose vault was restored from a backup, and a relay it synced with:
//!       prints the worker's card, the relay's card, the worker's bundle and the
//!       relay's, whose second op of the worker forks the first bundle's (for the
//!       quarantine to show)
//!
//! Each needle is looked for as UTF-8 and as UTF-16LE (how the web view keeps text
//! that is not Latin-1); a key given in hex (`--key-env`) also as raw bytes and as
//! upper-case hex. Reading another process's memory needs root (or ptrace rights):
//! the app makes itself non-dumpable.
#![allow(clippy::print_stdout)]

use std::{
    collections::{BTreeMap, BTreeSet},
    fs,
    io::{Read, Seek, SeekFrom},
    path::PathBuf,
};

use aho_corasick::AhoCorasick;
use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use satchel_api::FieldInput;
use satchel_crypto::{kdf::KdfProfile, keyslots::Keyslots, secrecy::SecretString};

#[derive(Parser)]
#[command(about = "Looks for secrets in a running app's memory")]
struct Args {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Prints a vault's database key in hex.
    Key {
        #[arg(long)]
        vault: PathBuf,
    },
    /// Prints a vault's record and op counts (passphrase and key derivation as for
    /// `key`).
    Count {
        #[arg(long)]
        vault: PathBuf,
    },
    /// Makes a large bundle for a card.
    Bundle {
        #[arg(long)]
        card: String,
        #[arg(long)]
        records: usize,
        #[arg(long)]
        out: PathBuf,
    },
    /// Makes two bundles for a card whose ops fork one author's chain.
    Fork {
        #[arg(long)]
        card: String,
        #[arg(long)]
        out: PathBuf,
    },
    /// Scans a process and its descendants.
    Scan {
        #[arg(long)]
        pid: u32,
        /// An environment variable holding a secret (passphrase, recovery key).
        #[arg(long = "needle-env")]
        needle_env: Vec<String>,
        /// An environment variable holding a 32-byte key in hex.
        #[arg(long = "key-env")]
        key_env: Vec<String>,
        /// A text typed into a record.
        #[arg(long)]
        canary: Vec<String>,
    },
}

fn main() -> Result<()> {
    match Args::parse().cmd {
        Cmd::Key { vault } => {
            let profile = app_kdf();
            let pass = std::env::var("SATCHEL_MEMSCAN_PASSPHRASE")
                .context("set SATCHEL_MEMSCAN_PASSPHRASE")?;
            let slots = Keyslots::read(&fs::read(vault.join("keyslots"))?)?;
            let kek = slots.derive_kek(&SecretString::from(pass), profile)?;
            let opened = slots.open(&kek, profile)?;
            println!(
                "{}",
                data_encoding::HEXLOWER.encode(opened.key.expose_secret())
            );
        }
        Cmd::Count { vault } => {
            let pass = std::env::var("SATCHEL_MEMSCAN_PASSPHRASE")
                .context("set SATCHEL_MEMSCAN_PASSPHRASE")?;
            let v = satchel_api::unlock(&vault, &SecretString::from(pass), app_kdf())?;
            let info = v.info()?;
            println!("records {} ops {}", info.records, info.ops);
        }
        Cmd::Bundle { card, records, out } => {
            let tmp = tempfile::tempdir()?;
            let pass = SecretString::from("e2e bulk sender passphrase".to_owned());
            let (mut vault, _) =
                satchel_api::init(&tmp.path().join("v"), &pass, KdfProfile::InsecureTest)?;
            vault.add_peer(&card, "recipient")?;
            let rows: Vec<Vec<(String, FieldInput)>> = (0..records)
                .map(|i| {
                    vec![
                        (
                            "name".to_owned(),
                            FieldInput::Text(format!("bulk contact {i}")),
                        ),
                        ("phone".to_owned(), FieldInput::Text(format!("010-{i:08}"))),
                    ]
                })
                .collect();
            vault.add_records("contact", &rows)?;
            let report = vault.export_bundle(&["recipient".to_owned()], &out)?;
            println!("{}", vault.identity().card);
            println!("{}", report.file);
        }
        Cmd::Fork { card, out } => fork(&card, &out)?,
        Cmd::Scan {
            pid,
            needle_env,
            key_env,
            canary,
        } => {
            let mut needles: Vec<(String, Vec<u8>)> = Vec::new();
            for name in &needle_env {
                let v = std::env::var(name).with_context(|| format!("{name} is not set"))?;
                text_needles(&mut needles, name, &v);
            }
            for name in &key_env {
                let hex = std::env::var(name).with_context(|| format!("{name} is not set"))?;
                let raw = data_encoding::HEXLOWER_PERMISSIVE
                    .decode(hex.trim().as_bytes())
                    .with_context(|| format!("{name} is not hex"))?;
                needles.push((format!("{name} (raw)"), raw));
                text_needles(&mut needles, &format!("{name} (hex)"), &hex.to_lowercase());
                text_needles(&mut needles, &format!("{name} (HEX)"), &hex.to_uppercase());
            }
            for (i, c) in canary.iter().enumerate() {
                text_needles(&mut needles, &format!("canary {i} {c}"), c);
            }
            if needles.is_empty() {
                bail!("nothing to look for");
            }
            let report = scan_tree(pid, &needles)?;
            println!("{}", serde_json::to_string_pretty(&report)?);
        }
    }
    Ok(())
}

/// As `satchel quarantine`'s test in the CLI: the worker's vault goes on after a
/// copy of it was taken, and the restored copy writes another second op, which a
/// relay carries to the recipient after the worker's own bundle.
fn fork(card: &str, out: &std::path::Path) -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let pass = SecretString::from("e2e fork passphrase".to_owned());
    let kdf = KdfProfile::InsecureTest;
    let contact = |name: &str| vec![vec![("name".to_owned(), FieldInput::Text(name.to_owned()))]];
    let (worker_dir, restored_dir, relay_dir) = (
        tmp.path().join("w"),
        tmp.path().join("r"),
        tmp.path().join("relay"),
    );
    let (mut relay, _) = satchel_api::init(&relay_dir, &pass, kdf)?;
    let (mut worker, _) = satchel_api::init(&worker_dir, &pass, kdf)?;
    let (worker_card, relay_card) = (worker.identity().card, relay.identity().card);
    worker.add_peer(card, "recipient")?;
    worker.add_peer(&relay_card, "relay")?;
    relay.add_peer(&worker_card, "worker")?;
    relay.add_peer(card, "recipient")?;
    worker.add_records("contact", &contact("Fork first"))?;
    drop(worker);
    fs::create_dir_all(&restored_dir)?;
    for e in fs::read_dir(&worker_dir)? {
        let e = e?;
        fs::copy(e.path(), restored_dir.join(e.file_name()))?;
    }
    let mut worker = satchel_api::unlock(&worker_dir, &pass, kdf)?;
    worker.add_records("contact", &contact("Fork original"))?;
    let first = worker.export_bundle(&["recipient".to_owned()], out)?;
    let mut restored = satchel_api::unlock(&restored_dir, &pass, kdf)?;
    restored.add_records("contact", &contact("Fork restored"))?;
    let carried = restored.export_bundle(&["relay".to_owned()], tmp.path())?;
    relay.import_bundle(&tmp.path().join(&carried.file))?;
    let second = relay.export_bundle(&["recipient".to_owned()], out)?;
    println!(
        "{worker_card}\n{relay_card}\n{}\n{}",
        first.file, second.file
    );
    Ok(())
}

/// The key derivation of the app under test: the debug app's cheap one under its
/// knob (`SATCHEL_E2E_KDF=insecure`), the shipped one for the release app.
fn app_kdf() -> KdfProfile {
    if std::env::var("SATCHEL_E2E_KDF").as_deref() == Ok("insecure") {
        KdfProfile::InsecureTest
    } else {
        KdfProfile::Default
    }
}

/// Bytes of context to print around each hit ($SATCHEL_E2E_SCAN_CONTEXT), when
/// debugging a leak; never in a normal run, as it prints what it found.
fn context() -> Option<usize> {
    std::env::var("SATCHEL_E2E_SCAN_CONTEXT").ok()?.parse().ok()
}

fn text_needles(out: &mut Vec<(String, Vec<u8>)>, label: &str, text: &str) {
    out.push((format!("{label} (utf-8)"), text.as_bytes().to_vec()));
    let wide: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
    out.push((format!("{label} (utf-16)"), wide));
}

/// `pid` and every process whose parent chain leads to it.
fn tree(pid: u32) -> Result<Vec<u32>> {
    let mut parent = BTreeMap::new();
    for entry in fs::read_dir("/proc")? {
        let Ok(n) = entry?.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        if let Ok(stat) = fs::read_to_string(format!("/proc/{n}/stat")) {
            // "pid (comm) state ppid …": comm may hold spaces and parentheses.
            // Zombies hold no memory.
            let mut fields = stat
                .rsplit_once(')')
                .map(|(_, rest)| rest.split_whitespace());
            let state = fields.as_mut().and_then(Iterator::next);
            let ppid = fields
                .as_mut()
                .and_then(Iterator::next)
                .and_then(|p| p.parse::<u32>().ok());
            if let (Some(p), false) = (ppid, state == Some("Z")) {
                parent.insert(n, p);
            }
        }
    }
    let mut out = vec![pid];
    let mut seen = BTreeSet::from([pid]);
    loop {
        let before = out.len();
        for (&child, &p) in &parent {
            if seen.contains(&p) && seen.insert(child) {
                out.push(child);
            }
        }
        if out.len() == before {
            return Ok(out);
        }
    }
}

#[derive(serde::Serialize)]
struct ProcessReport {
    pid: u32,
    name: String,
    /// Bytes read.
    scanned: u64,
    /// Needle label → number of hits and the mappings they were in.
    hits: BTreeMap<String, (usize, BTreeSet<String>)>,
}

fn scan_tree(pid: u32, needles: &[(String, Vec<u8>)]) -> Result<Vec<ProcessReport>> {
    let matcher = AhoCorasick::new(needles.iter().map(|(_, n)| n))?;
    let longest = needles.iter().map(|(_, n)| n.len()).max().unwrap_or(0);
    let mut out = Vec::new();
    for p in tree(pid)? {
        let name = fs::read_to_string(format!("/proc/{p}/comm"))
            .map(|s| s.trim().to_owned())
            .unwrap_or_default();
        let mut report = ProcessReport {
            pid: p,
            name,
            scanned: 0,
            hits: BTreeMap::new(),
        };
        scan_process(p, &matcher, longest, needles, &mut report)
            .with_context(|| format!("reading the memory of process {p} (run as root)"))?;
        out.push(report);
    }
    Ok(out)
}

/// Every readable mapping, page runs that are present in memory or swapped out
/// only (per `/proc/PID/pagemap`: a mapping of many GiB, as WebKit reserves, may hold
/// a few MiB), read in pieces that overlap by the longest needle.
fn scan_process(
    pid: u32,
    matcher: &AhoCorasick,
    longest: usize,
    needles: &[(String, Vec<u8>)],
    report: &mut ProcessReport,
) -> Result<()> {
    const PAGE: u64 = 4096;
    const WINDOW: u64 = 4096; // pages per pagemap read
    let maps = fs::read_to_string(format!("/proc/{pid}/maps"))?;
    let mut mem = fs::File::open(format!("/proc/{pid}/mem"))?;
    let mut pagemap = fs::File::open(format!("/proc/{pid}/pagemap"))?;
    let mut buf = Vec::new();
    let mut entries = vec![0u8; (WINDOW * 8) as usize];
    for line in maps.lines() {
        let mut parts = line.split_whitespace();
        let Some((a, b)) = parts.next().and_then(|r| r.split_once('-')) else {
            continue;
        };
        let (Ok(start), Ok(end)) = (u64::from_str_radix(a, 16), u64::from_str_radix(b, 16)) else {
            continue;
        };
        let readable = parts.next().is_some_and(|p| p.starts_with('r'));
        let path = parts.nth(3).unwrap_or("[anon]").to_owned();
        if !readable || path == "[vvar]" || path == "[vsyscall]" {
            continue;
        }
        // Runs of pages that hold something, as (start, end) addresses.
        let mut runs: Vec<(u64, u64)> = Vec::new();
        let mut page = start / PAGE;
        while page < end / PAGE {
            let n = (end / PAGE - page).min(WINDOW);
            let want = (n * 8) as usize;
            pagemap.seek(SeekFrom::Start(page * 8))?;
            let got = pagemap.read(entries.get_mut(..want).unwrap_or_default())?;
            if got < 8 {
                break;
            }
            for (i, e) in entries
                .get(..got)
                .unwrap_or_default()
                .chunks_exact(8)
                .enumerate()
            {
                let v = u64::from_le_bytes(e.try_into().unwrap_or_default());
                if v & (3 << 62) == 0 {
                    continue; // neither present nor swapped: reads as zeros
                }
                let at = (page + i as u64) * PAGE;
                match runs.last_mut() {
                    Some(last) if last.1 == at => last.1 = at + PAGE,
                    _ => runs.push((at, at + PAGE)),
                }
            }
            page += (got / 8) as u64;
        }
        for (run_start, run_end) in runs {
            scan_range(
                &mut mem, run_start, run_end, &mut buf, matcher, longest, needles, &path, report,
            );
        }
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn scan_range(
    mem: &mut fs::File,
    start: u64,
    end: u64,
    buf: &mut Vec<u8>,
    matcher: &AhoCorasick,
    longest: usize,
    needles: &[(String, Vec<u8>)],
    path: &str,
    report: &mut ProcessReport,
) {
    const PIECE: u64 = 8 << 20;
    let mut at = start;
    while at < end {
        let len = (end - at).min(PIECE) as usize;
        buf.resize(len, 0);
        if mem.seek(SeekFrom::Start(at)).is_err() {
            return;
        }
        let Ok(got) = mem.read(buf) else {
            return; // unmapped while we looked
        };
        report.scanned += got as u64;
        for m in matcher.find_overlapping_iter(buf.get(..got).unwrap_or_default()) {
            let label = needles
                .get(m.pattern().as_usize())
                .map(|(l, _)| l.clone())
                .unwrap_or_default();
            if let Some(n) = context() {
                // For the person debugging a leak: where it is and what surrounds it.
                let from = m.start().saturating_sub(n);
                let to = (m.end() + n).min(got);
                let around = buf.get(from..to).unwrap_or_default();
                eprintln!(
                    "{label} at {:#x} in {path} [{start:#x}-{end:#x}]: {}",
                    at + m.start() as u64,
                    String::from_utf8_lossy(around).replace(|c: char| c.is_control(), ".")
                );
            }
            let e = report.hits.entry(label).or_default();
            e.0 += 1;
            e.1.insert(path.to_owned());
        }
        if got < len || at + got as u64 >= end {
            return;
        }
        // Overlap so a needle across two pieces is found (and may count twice).
        at += (got as u64).saturating_sub(longest as u64).max(1);
    }
}

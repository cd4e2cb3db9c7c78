//! Looks for secrets in the memory of a running app and every process it started
//! (the WebKit processes), as someone who takes the unlocked-then-locked laptop
//! would: by reading `/proc/PID/mem`. The end-to-end test runs it after lock, panic
//! and wipe (ui/e2e/scenario.e2e.ts); the goal is zero hits.
//!
//!   satchel-memscan key --vault DIR [--insecure-test-kdf]
//!       prints the vault's database key in hex (passphrase in $SATCHEL_MEMSCAN_PASSPHRASE)
//!   satchel-memscan scan --pid PID [--needle-env NAME]... [--canary TEXT]...
//!       prints JSON: per process, the hits of each needle (by label, never the text)
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
        /// The vault was made with the test-only cheap key derivation.
        #[arg(long)]
        insecure_test_kdf: bool,
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
        Cmd::Key {
            vault,
            insecure_test_kdf,
        } => {
            let profile = if insecure_test_kdf {
                KdfProfile::InsecureTest
            } else {
                KdfProfile::Default
            };
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
            let ppid = stat
                .rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().nth(1))
                .and_then(|p| p.parse::<u32>().ok());
            if let Some(p) = ppid {
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

/// Every readable mapping that holds pages (per `smaps`), read in pieces that
/// overlap by the longest needle.
fn scan_process(
    pid: u32,
    matcher: &AhoCorasick,
    longest: usize,
    needles: &[(String, Vec<u8>)],
    report: &mut ProcessReport,
) -> Result<()> {
    let smaps = fs::read_to_string(format!("/proc/{pid}/smaps"))?;
    let mut mem = fs::File::open(format!("/proc/{pid}/mem"))?;
    let mut regions: Vec<(u64, u64, String)> = Vec::new();
    let mut current: Option<(u64, u64, bool, String)> = None;
    for line in smaps.lines() {
        let mut parts = line.split_whitespace();
        let first = parts.next().unwrap_or_default();
        if let Some((a, b)) = first.split_once('-')
            && let (Ok(start), Ok(end)) = (u64::from_str_radix(a, 16), u64::from_str_radix(b, 16))
        {
            let perms = parts.next().unwrap_or_default();
            let path = parts.nth(3).unwrap_or("[anon]").to_owned();
            current = Some((start, end, perms.starts_with('r'), path));
        } else if first == "Rss:"
            && let Some((start, end, readable, path)) = current.take()
        {
            let rss: u64 = parts.next().and_then(|v| v.parse().ok()).unwrap_or(0);
            if readable && rss > 0 && path != "[vvar]" && path != "[vsyscall]" {
                regions.push((start, end, path));
            }
        }
    }
    const PIECE: u64 = 8 << 20;
    let mut buf = Vec::new();
    for (start, end, path) in regions {
        let mut at = start;
        while at < end {
            let len = (end - at).min(PIECE) as usize;
            buf.resize(len, 0);
            if mem.seek(SeekFrom::Start(at)).is_err() {
                break;
            }
            let got = match mem.read(&mut buf) {
                Ok(n) => n,
                Err(_) => break, // unmapped while we looked, or a guard page
            };
            report.scanned += got as u64;
            for m in matcher.find_overlapping_iter(buf.get(..got).unwrap_or_default()) {
                let label = needles
                    .get(m.pattern().as_usize())
                    .map(|(l, _)| l.clone())
                    .unwrap_or_default();
                let e = report.hits.entry(label).or_default();
                e.0 += 1;
                e.1.insert(path.clone());
            }
            if got < len {
                break;
            }
            // Overlap so a needle across two pieces is found (and may count twice).
            let step = (got as u64).saturating_sub(longest as u64).max(1);
            at += if at + (got as u64) >= end {
                got as u64
            } else {
                step
            };
        }
    }
    Ok(())
}

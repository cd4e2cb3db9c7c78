//! `satchel-bench`: Satchel's figures, each against its baseline in the same run.
//!
//! - record insert throughput through the vault vs the same schema in plain SQLite
//!   (the same SQLite build, opened without a key), one record per transaction as the
//!   CLI and app write, and in batches of 1000;
//! - search latency (p50, p99) at 100,000 generated records with Korean and Chinese;
//! - unlock time with the default KDF and the peak memory of that process, plus the
//!   Argon2id cost of candidate parameters.
//!
//! Run: `cargo run --release -p satchel-bench` (add `--quick` for a smoke run).
//!
//! Hidden: `SATCHEL_PASSPHRASE=... satchel-bench --make-vault DIR --records N` creates
//! a vault with the default KDF holding N generated records (for measuring the app,
//! `scripts/measure-app.sh`).
// A measuring tool over inputs it generates itself: a failed index is a bug here, not an attack.
#![allow(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use std::path::Path;
use std::time::{Duration, Instant};

mod audit;
mod forms;
mod relay;

use anyhow::{Context, Result};
use clap::Parser;
use rusqlite::params;
use satchel_api::{FieldInput, KdfProfile, SecretString, Vault};
use satchel_crypto::identity::DeviceKeys;
use satchel_crypto::kdf::{self, KdfParams};
use satchel_sync::{
    bundle::BundleBody,
    hlc::Hlc,
    op::{Body, Draft, Op, OpId, OpKind, RecordId, WriteBody},
    vv::VersionVector,
};

#[derive(Parser)]
struct Args {
    /// Smaller sizes, for a smoke test
    #[arg(long)]
    quick: bool,
    /// Records for the search benchmark
    #[arg(long, default_value_t = 100_000)]
    search_records: usize,
    /// Only the batched insert figure (for profiling)
    #[arg(long, hide = true)]
    only_batched: bool,
    /// Only the search, list and draft figures, at `--search-records`
    #[arg(long, hide = true)]
    only_search: bool,
    /// Only the bundle seal/open figure (for profiling)
    #[arg(long, hide = true)]
    only_seal: bool,
    /// Only the import of N ops from two interleaved and two independent chains
    #[arg(long, hide = true)]
    only_interleaved: Option<usize>,
    /// Only the rekey of a vault of N records
    #[arg(long, hide = true)]
    only_rekey: Option<usize>,
    /// Internal: unlock the vault in DIR once and report time and peak memory
    #[arg(long, hide = true)]
    unlock_child: Option<std::path::PathBuf>,
    /// Create a vault in DIR (default KDF, passphrase from SATCHEL_PASSPHRASE) holding
    /// `--records` generated records
    #[arg(long, hide = true, value_name = "DIR")]
    make_vault: Option<std::path::PathBuf>,
    /// Records for `--make-vault`
    #[arg(long, hide = true, default_value_t = 100_000)]
    records: usize,
    /// Only the peak-memory figures of streaming bundles and attachments, at this
    /// many MiB
    #[arg(long, hide = true)]
    only_memory: Option<u64>,
    /// Only the comparison with `age`: export and import of three attachments of
    /// this many MiB
    #[arg(long, hide = true)]
    only_age: Option<u64>,
    /// Only how soon an import of this many records stops once asked to
    #[arg(long, hide = true)]
    only_stop: Option<usize>,
    /// Only the import of this many ops in an organisation (every op's author and
    /// role checked) against the same import between standalone vaults
    #[arg(long, hide = true)]
    only_org: Option<usize>,
    /// Only a field vault's size before and after offload: this many records, 1 %
    /// of them staying assigned
    #[arg(long, hide = true)]
    only_offload: Option<usize>,
    /// Only a report of this many records written as CSV and as XLSX
    #[arg(long, hide = true)]
    only_export: Option<usize>,
    /// Internal: run one action on a vault in this process and report its time and
    /// peak memory: `refuse|import VAULT FILE`, `export VAULT DIR PEER`
    #[arg(long, hide = true, num_args = 2.., value_name = "ACTION")]
    rss_child: Option<Vec<String>>,
    /// Only the audit figures: verifying an export of this many ops (from one
    /// device per 5,000), proofs in a log of as many leaves, and what the log adds
    /// to a save, an export and an import
    #[arg(long, hide = true)]
    only_audit: Option<usize>,
    /// Only the relay's figures: throughput from many clients on loopback against
    /// writing to disk, the relay's peak memory, the bytes a resumed deposit sends
    /// again, and a coordinator collecting from 500 devices (needs the relay binary
    /// built beside this one)
    #[arg(long, hide = true)]
    only_relay: bool,
    /// Only the coordinator's figure: collecting the bundles of this many field
    /// devices through the relay, against importing them from a folder
    #[arg(long, hide = true)]
    only_coordinator: Option<usize>,
    /// Only the relay over an object store: throughput through the relay against
    /// direct S3 PUTs of the same bundles to the same store, which the environment
    /// names (scripts/garage-cluster.sh writes it: GARAGE_S3_1, GARAGE_BUCKET and the
    /// AWS key)
    #[arg(long, hide = true)]
    only_relay_s3: bool,
    /// Only the forms' figures: a 500-question XLSForm's import, a 200-field form's
    /// rules per keystroke
    #[arg(long, hide = true)]
    only_forms: bool,
    /// Only the memory a session of syncs keeps: a vault of this many records, five
    /// times importing a small bundle from a peer and exporting everything to it,
    /// under the app's allocator tunables
    #[arg(long, hide = true)]
    only_session_memory: Option<usize>,
}

/// A small deterministic generator, so every run measures the same data.
struct Gen(u64);

impl Gen {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[(self.next() % from.len() as u64) as usize]
    }

    fn name(&mut self) -> String {
        const FAMILY: &[&str] = &[
            "김", "이", "박", "최", "정", "강", "조", "윤", "장", "임", "한", "오", "서", "신",
            "권", "황", "안", "송", "류", "홍",
        ];
        const GIVEN: &[&str] = &[
            "민", "서", "지", "현", "영", "수", "철", "희", "성", "준", "은", "혜", "경", "숙",
            "호", "진", "미", "순", "옥", "광", "명", "춘", "금", "향",
        ];
        format!(
            "{}{}{}",
            self.pick(FAMILY),
            self.pick(GIVEN),
            self.pick(GIVEN)
        )
    }

    fn note(&mut self) -> String {
        const ZH: &[&str] = &[
            "延吉", "朋友", "住在", "工作", "医院", "孩子", "母亲", "学校", "火车", "边境", "丹东",
            "图们", "沈阳", "安全", "联系", "等待", "帮助", "生病", "市场", "教会",
        ];
        const EN: &[&str] = &[
            "met", "market", "bus", "family", "sister", "brother", "winter", "border", "church",
            "shelter", "clinic", "train",
        ];
        let mut out = String::new();
        for i in 0..12 {
            out.push_str(if i % 3 == 2 {
                self.pick(EN)
            } else {
                self.pick(ZH)
            });
            out.push(if i % 3 == 2 { ' ' } else { '，' });
        }
        out
    }

    fn row(&mut self) -> Vec<(String, FieldInput)> {
        vec![
            ("name".into(), FieldInput::Text(self.name())),
            ("notes".into(), FieldInput::Text(self.note())),
            (
                "household_size".into(),
                FieldInput::Text((self.next() % 9 + 1).to_string()),
            ),
        ]
    }
}

fn text_of(row: &[(String, FieldInput)]) -> Vec<String> {
    row.iter()
        .map(|(_, v)| match v {
            FieldInput::Text(t) => t.clone(),
            FieldInput::Json(j) => j.to_string(),
        })
        .collect()
}

fn test_vault(dir: &Path) -> Result<Vault> {
    let (v, _) = satchel_api::init(
        dir,
        &SecretString::from("benchmark passphrase"),
        KdfProfile::InsecureTest,
    )?;
    Ok(v)
}

fn random<const N: usize>() -> [u8; N] {
    let mut b = [0u8; N];
    let _ = getrandom::fill(&mut b);
    b
}

/// The same schema and pragmas, no key, no signing, no validation: rows of the same
/// shape and size as the vault writes.
fn baseline(path: &Path, rows: &[Vec<(String, FieldInput)>], batch: usize) -> Result<Duration> {
    let mut conn = rusqlite::Connection::open(path)?;
    conn.execute_batch(
        "PRAGMA locking_mode = EXCLUSIVE; PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;
         PRAGMA temp_store = MEMORY; PRAGMA secure_delete = ON;",
    )?;
    for m in satchel_store::schema::MIGRATIONS {
        conn.execute_batch(m)?;
    }
    let author = random::<32>();
    let start = Instant::now();
    let mut seq = 0i64;
    for chunk in rows.chunks(batch) {
        let tx = conn.transaction()?;
        for row in chunk {
            seq += 1;
            let values = text_of(row);
            let fields: serde_json::Map<String, serde_json::Value> = row
                .iter()
                .zip(&values)
                .map(|((k, _), v)| (k.clone(), serde_json::json!(v)))
                .collect();
            let mut payload = random::<16>().to_vec();
            payload.extend(serde_json::to_vec(
                &serde_json::json!({"form": "contact", "fields": fields}),
            )?);
            let state_fields: serde_json::Map<String, serde_json::Value> = fields
                .iter()
                .map(|(k, v)| {
                    (k.clone(), serde_json::json!([{ "value": v, "op": "0".repeat(64), "author": "0".repeat(64), "hlc": {"wall_ms": 1, "counter": 0} }]))
                })
                .collect();
            let state = serde_json::json!({"form": "contact", "fields": state_fields, "deleted": false,
                "delete_conflict": false, "created": {"wall_ms": 1, "counter": 0}, "updated": {"wall_ms": 1, "counter": 0}});
            let record = random::<16>();
            tx.prepare_cached(
                "INSERT INTO ops (id, author, seq, record, kind, hlc_ms, hlc_counter, header, signature, payload)
                 VALUES (?1, ?2, ?3, ?4, 1, ?5, 0, ?6, ?7, ?8)",
            )?
            .execute(params![&random::<32>()[..], &author[..], seq, &record[..], seq, &random::<190>()[..], &random::<64>()[..], payload])?;
            let rowid: i64 = tx
                .prepare_cached(
                    "INSERT INTO records (id, form, created_ms, updated_ms, deleted, state, created_by)
                     VALUES (?1, 'contact', ?2, ?2, 0, ?3, ?4) RETURNING rowid",
                )?
                .query_row(params![&record[..], seq, state.to_string(), &author[..]], |r| r.get(0))?;
            let body = satchel_store::search::index_text(values.iter().map(String::as_str));
            tx.prepare_cached("INSERT INTO search (rowid, body) VALUES (?1, ?2)")?
                .execute(params![rowid, body])?;
        }
        tx.commit()?;
    }
    Ok(start.elapsed())
}

fn through_vault(dir: &Path, rows: &[Vec<(String, FieldInput)>], batch: usize) -> Result<Duration> {
    let mut v = test_vault(dir)?;
    let start = Instant::now();
    if batch == 1 {
        for row in rows {
            v.add_record("contact", row, &[])?;
        }
    } else {
        for chunk in rows.chunks(batch) {
            v.add_records("contact", chunk)?;
        }
    }
    Ok(start.elapsed())
}

fn insert_figures(n: usize, batch: usize, data: &mut Gen) -> Result<()> {
    let rows: Vec<_> = (0..n).map(|_| data.row()).collect();
    let dir = tempfile::tempdir()?;
    let plain = baseline(&dir.path().join("plain.db"), &rows, batch)?;
    let vault = through_vault(&dir.path().join("vault"), &rows, batch)?;
    let rate = |d: Duration| n as f64 / d.as_secs_f64();
    println!(
        "insert, {n} records, {} per transaction: vault {:.0}/s, plain SQLite {:.0}/s, ratio {:.2} (goal >= 0.5)",
        batch,
        rate(vault),
        rate(plain),
        rate(vault) / rate(plain)
    );
    Ok(())
}

/// `rekey` against copying the same database files and syncing them, the least any
/// re-encryption into new files must do.
fn rekey_figures(n: usize, data: &mut Gen) -> Result<()> {
    let dir = tempfile::tempdir()?;
    let vault_dir = dir.path().join("vault");
    let mut v = test_vault(&vault_dir)?;
    let rows: Vec<_> = (0..n).map(|_| data.row()).collect();
    for chunk in rows.chunks(1000) {
        v.add_records("contact", chunk)?;
    }
    drop(v);
    let files = ["vault.db", "spare.db", "vault.pack", "spare.pack"];
    let bytes: u64 = files
        .iter()
        .map(|f| std::fs::metadata(vault_dir.join(f)).map_or(0, |m| m.len()))
        .sum();
    let started = Instant::now();
    let copies = dir.path().join("copies");
    std::fs::create_dir(&copies)?;
    for f in files {
        std::fs::copy(vault_dir.join(f), copies.join(f))?;
        std::fs::File::open(copies.join(f))?.sync_all()?;
    }
    let copy = started.elapsed();
    let pass = SecretString::from("benchmark passphrase");
    let mut v = satchel_api::unlock(&vault_dir, &pass, KdfProfile::InsecureTest)?;
    let started = Instant::now();
    v.rekey(&pass, |_| {})?;
    let rekey = started.elapsed();
    let mib = bytes as f64 / f64::from(1 << 20);
    println!(
        "rekey, {n} records ({mib:.1} MiB in both databases): {:.2} s ({:.1} MiB/s); copying the files {:.2} s; ratio {:.2} (test KDF; the real one adds about a second for each of its two derivations)",
        rekey.as_secs_f64(),
        mib / rekey.as_secs_f64(),
        copy.as_secs_f64(),
        copy.as_secs_f64() / rekey.as_secs_f64()
    );
    Ok(())
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn search_figures(n: usize, data: &mut Gen) -> Result<()> {
    let dir = tempfile::tempdir()?;
    let mut v = test_vault(&dir.path().join("vault"))?;
    let build = Instant::now();
    // A few records of another form, older than every contact: a search within
    // that form must find them behind 100,000 newer matches of other forms.
    let cases: Vec<Vec<(String, FieldInput)>> = (0..20)
        .map(|i| {
            vec![
                (
                    "title".to_owned(),
                    FieldInput::Text(format!("Shelter {i} near the market bus, 延吉 김철수")),
                ),
                ("status".to_owned(), FieldInput::Text("open".to_owned())),
            ]
        })
        .collect();
    v.add_records("case", &cases)?;
    let mut samples = Vec::new();
    let mut done = 0;
    while done < n {
        let rows: Vec<_> = (0..1000.min(n - done)).map(|_| data.row()).collect();
        if samples.len() < 400 {
            samples.extend(rows.iter().take(4).map(|r| text_of(r)));
        }
        v.add_records("contact", &rows)?;
        done += rows.len();
    }
    let built = build.elapsed();
    let mut queries: Vec<String> = Vec::new();
    for (i, s) in samples.iter().enumerate() {
        let chars: Vec<char> = s[(i % 2).min(s.len() - 1)].chars().collect();
        let start = (data.next() as usize) % chars.len().saturating_sub(1).max(1);
        let q: String = chars.iter().skip(start).take(2).collect();
        if q.trim().chars().count() == 2 && q.chars().all(char::is_alphanumeric) {
            queries.push(q);
        }
    }
    queries.extend(
        ["market", "shel", "延吉", "김철", "朋友 bus"]
            .iter()
            .map(|s| (*s).to_owned()),
    );
    let time = |form: Option<&str>, limit: usize| -> Result<(Vec<Duration>, usize)> {
        let mut times = Vec::new();
        let mut hits = 0;
        for q in &queries {
            let t = Instant::now();
            hits += v.search_in(q, form, limit)?.items.len();
            times.push(t.elapsed());
        }
        times.sort();
        Ok((times, hits))
    };
    let (times, hits) = time(None, 50)?;
    println!(
        "search, {n} records ({:.1} s to build), {} queries ({} hits): p50 {:.2} ms, p99 {:.2} ms (goal p99 < 20 ms)",
        built.as_secs_f64(),
        queries.len(),
        hits,
        percentile(&times, 0.5).as_secs_f64() * 1e3,
        percentile(&times, 0.99).as_secs_f64() * 1e3
    );
    for (label, form) in [
        ("as the app asks", None),
        ("within the form of nearly every match", Some("contact")),
        ("within a rare form", Some("case")),
    ] {
        let (times, hits) = time(form, 0)?;
        println!(
            "search {label} (200 results and whether there are more), same queries ({hits} hits): p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
            percentile(&times, 0.5).as_secs_f64() * 1e3,
            percentile(&times, 0.99).as_secs_f64() * 1e3,
            percentile(&times, 1.0).as_secs_f64() * 1e3
        );
    }
    list_figures(&v)?;
    draft_figures(&mut v, data)
}

/// The records list at this size: the first page, a deep page and the count, as the
/// app asks for them, unfiltered and with each kind of filter (median of five each).
/// Every record here was written by this device today, so "this device" and "today"
/// select them all (the most rows to page through) and the others none.
fn list_figures(v: &Vault) -> Result<()> {
    use satchel_api::{ListFilter, RecordEvent, RecordFilter};
    let me = v
        .record_authors()?
        .first()
        .map(|a| a.id.clone())
        .unwrap_or_default();
    let today = time::OffsetDateTime::now_utc().date().to_string();
    let filters: [(&str, RecordFilter); 6] = [
        ("unfiltered", RecordFilter::default()),
        (
            "created by the author of all",
            RecordFilter {
                author: Some(me.clone()),
                ..Default::default()
            },
        ),
        (
            "changed by the author of all",
            RecordFilter {
                author: Some(me),
                author_did: RecordEvent::Changed,
                ..Default::default()
            },
        ),
        (
            "created by an author of none",
            RecordFilter {
                author: Some("7".repeat(64)),
                ..Default::default()
            },
        ),
        (
            "created today (all)",
            RecordFilter {
                since: Some(today.clone()),
                until: Some(today),
                ..Default::default()
            },
        ),
        (
            "changed before 2000 (none)",
            RecordFilter {
                until: Some("1999".into()),
                dated: RecordEvent::Changed,
                ..Default::default()
            },
        ),
    ];
    for (label, f) in filters {
        let base = v.list_filter(&f)?;
        let median = |run: &dyn Fn() -> Result<()>| -> Result<Duration> {
            let mut times = Vec::new();
            for _ in 0..5 {
                let t = Instant::now();
                run()?;
                times.push(t.elapsed());
            }
            times.sort();
            Ok(times[2])
        };
        let page = |offset: usize| ListFilter {
            limit: 200,
            offset,
            ..base.clone()
        };
        let first = median(&|| v.records(&page(0)).map(drop).map_err(Into::into))?;
        let deep = median(&|| v.records(&page(50_000)).map(drop).map_err(Into::into))?;
        let count = median(&|| v.count_records(&base).map(drop).map_err(Into::into))?;
        println!(
            "list {label}: first page {:.2} ms, page at 50,000 {:.2} ms, count {:.2} ms",
            first.as_secs_f64() * 1e3,
            deep.as_secs_f64() * 1e3,
            count.as_secs_f64() * 1e3
        );
    }
    Ok(())
}

/// What keeping a form's input costs the app on each change, beside what saving the
/// record itself costs, in the same vault.
fn draft_figures(v: &mut Vault, data: &mut Gen) -> Result<()> {
    let (mut kept, mut saved) = (Vec::new(), Vec::new());
    for i in 0..200 {
        let row = data.row();
        let mut inputs = serde_json::Map::new();
        for (field, value) in &row {
            if let FieldInput::Text(t) = value {
                inputs.insert(field.clone(), serde_json::Value::String(t.repeat(8)));
            }
        }
        inputs.insert(
            "notes".into(),
            serde_json::Value::String(format!("{i} ").repeat(300)),
        );
        let body = serde_json::json!({ "v": 1, "inputs": inputs, "files": [] });
        let t = Instant::now();
        v.save_draft("new:contact", &body)?;
        kept.push(t.elapsed());
        let t = Instant::now();
        v.add_record("contact", &row, &[])?;
        saved.push(t.elapsed());
    }
    kept.sort();
    saved.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "draft kept (about 2 KiB of input), 200 saves: p50 {:.2} ms, p99 {:.2} ms; saving the record itself p50 {:.2} ms, p99 {:.2} ms; ratio at p50 {:.2}",
        ms(percentile(&kept, 0.5)),
        ms(percentile(&kept, 0.99)),
        ms(percentile(&saved, 0.5)),
        ms(percentile(&saved, 0.99)),
        ms(percentile(&kept, 0.5)) / ms(percentile(&saved, 0.5))
    );
    Ok(())
}

fn peak_rss_kib() -> u64 {
    status_kib("VmHWM:")
}

fn status_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|n| n.parse().ok()))
        })
        .unwrap_or(0)
}

fn unlock_child(dir: &Path) -> Result<()> {
    let t = Instant::now();
    let v = satchel_api::unlock(
        dir,
        &SecretString::from("benchmark passphrase"),
        KdfProfile::Default,
    )?;
    let elapsed = t.elapsed();
    drop(v);
    println!("{} {}", elapsed.as_secs_f64(), peak_rss_kib());
    Ok(())
}

fn unlock_figures() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let vdir = dir.path().join("vault");
    drop(satchel_api::init(
        &vdir,
        &SecretString::from("benchmark passphrase"),
        KdfProfile::Default,
    )?);
    let exe = std::env::current_exe()?;
    let mut runs = Vec::new();
    for _ in 0..3 {
        let out = std::process::Command::new(&exe)
            .arg("--unlock-child")
            .arg(&vdir)
            .output()?;
        let text = String::from_utf8(out.stdout)?;
        let mut parts = text.split_whitespace();
        let secs: f64 = parts.next().context("child output")?.parse()?;
        let rss: u64 = parts.next().context("child output")?.parse()?;
        runs.push((secs, rss));
    }
    runs.sort_by(|a, b| a.0.total_cmp(&b.0));
    let p = KdfProfile::Default.params();
    println!(
        "unlock, default KDF (Argon2id m = {} MiB, t = {}, p = {}): median {:.2} s over 3 runs, peak RSS {:.0} MiB",
        p.m_kib / 1024,
        p.t,
        p.p,
        runs[1].0,
        runs[1].1 as f64 / 1024.0
    );
    for m in [64, 128, 256] {
        let params = KdfParams {
            m_kib: m * 1024,
            t: 3,
            p: 4,
        };
        let t = Instant::now();
        kdf::derive_with(b"benchmark passphrase", &[7; 32], params)?;
        println!(
            "  Argon2id m = {m} MiB, t = 3, p = 4: {:.2} s",
            t.elapsed().as_secs_f64()
        );
    }
    Ok(())
}

fn seal_figures(mb: usize) -> Result<()> {
    use chacha20poly1305::{ChaCha20Poly1305, KeyInit, Nonce, aead::AeadInOut};
    use satchel_crypto::{bundle, identity::DeviceKeys};
    let mut content = vec![0u8; mb * 1024 * 1024];
    getrandom::fill(&mut content)?;
    let sender = DeviceKeys::generate()?;
    let me = DeviceKeys::generate()?;
    let t = Instant::now();
    let sealed = bundle::seal(&sender, &[me.public().agreement], &content)?;
    let seal = t.elapsed();
    let t = Instant::now();
    let opened = bundle::open(&me, sealed.as_slice(), |_| true, u64::MAX)?;
    let open = t.elapsed();
    anyhow::ensure!(opened.content.len() == content.len(), "round trip");
    // Baseline: raw ChaCha20-Poly1305 over the same bytes into a new buffer (as any
    // sealing must), in the same 64 KiB pieces.
    let cipher = ChaCha20Poly1305::new(&[7u8; 32].into());
    let t = Instant::now();
    let mut raw_out: Vec<u8> =
        Vec::with_capacity(content.len() + content.len() / bundle::CHUNK * 16 + 16);
    for (i, chunk) in content.chunks(bundle::CHUNK).enumerate() {
        let mut nonce = [0u8; 12];
        nonce[..8].copy_from_slice(&(i as u64).to_be_bytes());
        let start = raw_out.len();
        raw_out.extend_from_slice(chunk);
        let tag = cipher
            .encrypt_inout_detached(&Nonce::from(nonce), b"", (&mut raw_out[start..]).into())
            .map_err(|_| anyhow::anyhow!("encrypt"))?;
        raw_out.extend_from_slice(&tag);
    }
    let raw = t.elapsed();
    drop(raw_out);
    let rate = |d: Duration| mb as f64 / d.as_secs_f64();
    println!(
        "bundle, {mb} MB payload: seal {:.0} MB/s, open {:.0} MB/s, raw ChaCha20-Poly1305 {:.0} MB/s; ratios {:.2} / {:.2} (goal >= 0.6)",
        rate(seal),
        rate(open),
        rate(raw),
        rate(seal) / rate(raw),
        rate(open) / rate(raw)
    );
    Ok(())
}

fn import_figures(n: usize, data: &mut Gen) -> Result<()> {
    let dir = tempfile::tempdir()?;
    let mut a = test_vault(&dir.path().join("a"))?;
    let mut b = test_vault(&dir.path().join("b"))?;
    a.add_peer(&b.identity().card, "b")?;
    b.add_peer(&a.identity().card, "a")?;
    let mut rows_all = Vec::with_capacity(n);
    let mut ids = Vec::new();
    while rows_all.len() < n {
        let rows: Vec<_> = (0..1000.min(n - rows_all.len()))
            .map(|_| data.row())
            .collect();
        ids.extend(a.add_records("contact", &rows)?);
        rows_all.extend(rows);
    }
    let mail = dir.path().join("mail");
    let t = Instant::now();
    let out = a.export_bundle(&["b".to_owned()], &mail)?;
    let export = t.elapsed();
    let t = Instant::now();
    let report = b.import_bundle(&mail.join(&out.file))?;
    let import = t.elapsed();
    anyhow::ensure!(report.applied == n, "applied {} of {n}", report.applied);
    let plain = baseline(&dir.path().join("plain.db"), &rows_all, n)?;
    println!(
        "bundle of {n} ops ({:.1} MB): export {:.1} s, import into a fresh vault {:.1} s; plain SQLite inserting the same rows {:.1} s: ratio {:.1} (goal <= 3)",
        out.size as f64 / 1e6,
        export.as_secs_f64(),
        import.as_secs_f64(),
        plain.as_secs_f64(),
        import.as_secs_f64() / plain.as_secs_f64()
    );
    let back = b.export_bundle(&["a".to_owned()], &mail)?;
    a.import_bundle(&mail.join(&back.file))?;
    a.edit_record(
        &ids[n / 2],
        &[("phone".to_owned(), FieldInput::Text("1".into()))],
        &[],
    )?;
    let next = a.export_bundle(&["b".to_owned()], &mail)?;
    println!(
        "after one edit on a vault of {n} records whose peer has everything else: next bundle {} ops, {} bytes (floor {})",
        next.ops,
        next.size,
        satchel_crypto::bundle::FLOOR
    );
    Ok(())
}

/// How two authors' ops relate, for the import and planning figures.
#[derive(Clone, Copy, PartialEq)]
enum Chains {
    /// Each author writes records of its own.
    Independent,
    /// Both edit 100 shared records, each edit after the other's last one there.
    Shared,
    /// Every op needs the other author's previous op: the tightest interleaving.
    Tight,
}

/// Importing `n` ops from two authors who edit shared records (so each chain needs
/// the other), against `n` ops of two independent chains, each into a fresh vault;
/// then planning alone for the tightest interleaving against independent chains.
/// Planning once took quadratic time (16,000 tightly interleaved ops: 30 s).
fn interleaved_figures(n: usize) -> Result<()> {
    let mut times = Vec::new();
    for chains in [Chains::Independent, Chains::Shared] {
        let dir = tempfile::tempdir()?;
        let mut vault = test_vault(&dir.path().join("v"))?;
        let sender = DeviceKeys::generate()?;
        vault.add_peer(&satchel_api::sync::card_text(&sender.public()), "sender")?;
        let me = satchel_api::sync::parse_card(&vault.identity().card)?;
        let body = BundleBody {
            bundle_id: [7; 16],
            sender_seq: 1,
            prev_bundle: [0; 32],
            acks: VersionVector::default(),
            ops: two_authors(n, chains)?,
            blobs: Vec::new(),
            forms: Vec::new(),
            certificates: Vec::new(),
            revocations: Vec::new(),
            // The sender wrote none of the ops: its own log is empty.
            log: satchel_sync::bundle::LogSection {
                checkpoint: satchel_audit::Checkpoint::new(
                    &satchel_audit::device_origin(&sender.public().signing),
                    0,
                    satchel_audit::log::empty_root(),
                )
                .sign(&satchel_audit::witness::DeviceLogKey::log(&sender))?
                .to_bytes(),
                ..Default::default()
            },
            reach: Vec::new(),
        };
        let (content, _) = body.write()?;
        let sealed = satchel_crypto::bundle::seal(&sender, &[me.agreement], &content)?;
        let t = Instant::now();
        let report = vault.import_bundle_from(sealed.as_slice())?;
        times.push(t.elapsed());
        anyhow::ensure!(report.applied == n, "applied {} of {n}", report.applied);
    }
    println!(
        "import of {n} ops from two authors: independent chains {:.2} s, editing shared records {:.2} s: ratio {:.2} (goal < 1.5 at 100,000)",
        times[0].as_secs_f64(),
        times[1].as_secs_f64(),
        times[1].as_secs_f64() / times[0].as_secs_f64()
    );
    let mut plans = Vec::new();
    for chains in [Chains::Independent, Chains::Tight] {
        let mut ops = two_authors(n, chains)?;
        ops.reverse();
        let t = Instant::now();
        let planned = satchel_sync::sync::plan(&VersionVector::default(), &Default::default(), ops);
        plans.push(t.elapsed());
        anyhow::ensure!(
            planned.apply.len() == n,
            "planned {} of {n}",
            planned.apply.len()
        );
    }
    println!(
        "planning {n} ops arriving in reverse: independent chains {:.1} ms, each op needing the other chain's last {:.1} ms: ratio {:.2} (goal < 1.5 at 100,000)",
        plans[0].as_secs_f64() * 1e3,
        plans[1].as_secs_f64() * 1e3,
        plans[1].as_secs_f64() / plans[0].as_secs_f64()
    );
    Ok(())
}

/// `n` signed writes by two authors, turn by turn, related as `chains` says.
fn two_authors(n: usize, chains: Chains) -> Result<Vec<Op>> {
    const RECORDS: usize = 100;
    let keys = [DeviceKeys::generate()?, DeviceKeys::generate()?];
    let records: Vec<[RecordId; 2]> = (0..RECORDS)
        .map(|_| Ok([RecordId::random()?, RecordId::random()?]))
        .collect::<Result<_>>()?;
    let mut contexts: Vec<[VersionVector; 2]> = vec![Default::default(); RECORDS];
    let mut prev: [Option<OpId>; 2] = [None, None];
    let mut seq = [0u64; 2];
    let start = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_millis() as u64
        - n as u64;
    let mut ops: Vec<Op> = Vec::with_capacity(n);
    for i in 0..n {
        let (who, r) = (i % 2, (i / 2) % RECORDS);
        let (slot, record) = match chains {
            Chains::Shared => (0, records[r][0]),
            Chains::Independent | Chains::Tight => (who, records[r][who]),
        };
        let mut context = contexts[r][slot].clone();
        if let (Chains::Tight, Some(last)) = (chains, ops.last()) {
            context.observe(last.header.author, last.header.seq);
        }
        seq[who] += 1;
        let mut body = WriteBody::new("contact");
        body.fields
            .insert("name".into(), serde_json::json!(format!("person {i}")));
        let draft = Draft {
            seq: seq[who],
            prev: prev[who],
            hlc: Hlc {
                wall_ms: start + i as u64,
                counter: 0,
            },
            record,
            kind: OpKind::Write,
            context,
        };
        let op = Op::create(&keys[who], draft, &Body::Write(body))?;
        contexts[r][slot].observe(op.header.author, op.header.seq);
        prev[who] = Some(op.id);
        ops.push(op);
    }
    Ok(ops)
}

/// A vault of `n` generated records, inserted in batches, for measuring the app.
fn make_vault(dir: &Path, n: usize) -> Result<()> {
    const BATCH: usize = 5_000;
    let pass = std::env::var("SATCHEL_PASSPHRASE")
        .ok()
        .filter(|p| !p.is_empty())
        .context(
            "--make-vault takes the passphrase from SATCHEL_PASSPHRASE, which is not set or empty",
        )?;
    let start = Instant::now();
    let (mut v, _recovery) = satchel_api::init(dir, &SecretString::from(pass), KdfProfile::Default)
        .with_context(|| format!("could not create a vault in {}", dir.display()))?;
    let mut data = Gen(0x5EED_CAFE_F00D_0001);
    let mut done = 0;
    while done < n {
        let rows: Vec<_> = (0..BATCH.min(n - done)).map(|_| data.row()).collect();
        v.add_records("contact", &rows)?;
        done += rows.len();
        eprintln!(
            "make-vault: {done}/{n} records ({:.1} s)",
            start.elapsed().as_secs_f64()
        );
    }
    Ok(())
}

fn main() -> Result<()> {
    let args = Args::parse();
    if let Some(dir) = args.unlock_child {
        return unlock_child(&dir);
    }
    if let Some(action) = args.rss_child {
        return rss_child(&action);
    }
    if let Some(mib) = args.only_memory {
        return memory_figures(mib);
    }
    if let Some(n) = args.only_session_memory {
        return session_memory_figures(n);
    }
    if let Some(mib) = args.only_age {
        return age_figures(mib);
    }
    if let Some(n) = args.only_stop {
        return stop_figures(n);
    }
    if let Some(n) = args.only_org {
        return org_figures(n);
    }
    if let Some(n) = args.only_offload {
        return offload_figures(n, n / 100);
    }
    if let Some(n) = args.only_export {
        return report_figures(n);
    }
    if let Some(n) = args.only_audit {
        return audit_figures(n);
    }
    if let Some(n) = args.only_coordinator {
        return relay::coordinator(n, 20);
    }
    if args.only_forms {
        return forms::figures(500, 200, 20_000);
    }
    if args.only_relay_s3 {
        return relay::throughput_s3(100, 1_000, 256 * 1024);
    }
    if args.only_relay {
        relay::throughput(100, 1_000, 256 * 1024)?;
        relay::resume(50_000_000)?;
        return relay::coordinator(500, 20);
    }
    if let Some(dir) = args.make_vault {
        return make_vault(&dir, args.records);
    }
    let mut data = Gen(0x5EED_CAFE_F00D_0001);
    println!(
        "Satchel figures ({} cores)",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    let (single, batched, search) = if args.quick {
        (50, 2_000, 2_000)
    } else {
        (500, 20_000, args.search_records)
    };
    if args.only_batched {
        return insert_figures(batched, 1000, &mut data);
    }
    if args.only_search {
        return search_figures(search, &mut data);
    }
    if let Some(n) = args.only_interleaved {
        return interleaved_figures(n);
    }
    if let Some(n) = args.only_rekey {
        return rekey_figures(n, &mut data);
    }
    if args.only_seal {
        return seal_figures(100);
    }
    insert_figures(single, 1, &mut data)?;
    insert_figures(batched, 1000, &mut data)?;
    unlock_figures()?;
    search_figures(search, &mut data)?;
    seal_figures(if args.quick { 8 } else { 100 })?;
    import_figures(if args.quick { 2_000 } else { 100_000 }, &mut data)?;
    interleaved_figures(if args.quick { 4_000 } else { 100_000 })?;
    rekey_figures(if args.quick { 2_000 } else { 100_000 }, &mut data)?;
    memory_figures(if args.quick { 4 } else { 1024 })?;
    age_figures(if args.quick { 1 } else { 30 })?;
    stop_figures(if args.quick { 2_000 } else { 100_000 })?;
    org_figures(if args.quick { 1_000 } else { 100_000 })?;
    report_figures(if args.quick { 1_000 } else { 10_000 })?;
    if args.quick {
        offload_figures(200, 5)?;
    } else {
        offload_figures(5_000, 50)?;
    }
    session_memory_figures(if args.quick { 2_000 } else { 100_000 })?;
    audit_figures(if args.quick { 10_000 } else { 1_000_000 })?;
    if args.quick {
        forms::figures(50, 50, 500)?;
    } else {
        forms::figures(500, 200, 20_000)?;
    }
    if args.quick {
        relay::throughput(10, 50, 64 * 1024)?;
        relay::resume(5_000_000)?;
        relay::coordinator(5, 5)?;
    } else {
        relay::throughput(100, 1_000, 256 * 1024)?;
        relay::resume(50_000_000)?;
        relay::coordinator(500, 20)?;
    }
    Ok(())
}

/// The audit's figures at `n` ops (see `--only-audit`).
fn audit_figures(n: usize) -> Result<()> {
    let devices = (n / 5_000).max(2);
    audit::verify_figures(devices, n / devices)?;
    audit::proof_figures(n as u64)?;
    audit::cost_figures((n / 10).clamp(1_000, 100_000), 5)
}

/// A field worker's `n` new records imported by a coordinator, with the
/// organisation's checks (author a member now, role allows it) against the same
/// import between two standalone vaults, in the same run (median of three each).
fn org_figures(n: usize) -> Result<()> {
    let dir = tempfile::tempdir()?;
    let rows: Vec<_> = (0..n)
        .map(|i| vec![("name".to_owned(), FieldInput::Text(format!("person {i}")))])
        .collect();
    let mut times = [Vec::new(), Vec::new()];
    for round in 0..3 {
        for (k, in_org) in [false, true].into_iter().enumerate() {
            let base = dir.path().join(format!("r{round}-{k}"));
            let mut a = test_vault(&base.join("a"))?;
            let mut b = test_vault(&base.join("b"))?;
            if in_org {
                a.org_create("Bench", "Coordinator", 30)?;
                let req = b.enrol_request("Worker")?;
                let approval = a.enrol_approve(&req.text, &req.fingerprint, "field", 30)?;
                b.enrol_accept(&approval.text)?;
            }
            a.add_peer(&b.identity().card, "b")?;
            b.add_peer(&a.identity().card, "a")?;
            for chunk in rows.chunks(1000) {
                b.add_records("contact", chunk)?;
            }
            let out = base.join("out");
            let file = out.join(b.export_bundle(&["a".to_owned()], &out)?.file);
            let t = Instant::now();
            let r = a.import_bundle(&file)?;
            if let Some(list) = times.get_mut(k) {
                list.push(t.elapsed());
            }
            anyhow::ensure!(r.applied == n, "applied {} of {n}", r.applied);
        }
    }
    let median = |v: &mut Vec<Duration>| {
        v.sort();
        v.get(v.len() / 2).copied().unwrap_or_default()
    };
    let [plain, org] = &mut times;
    let (plain, org) = (median(plain), median(org));
    println!(
        "import of {n} ops in an organisation (author and role checked): {:.2} s; between standalone vaults {:.2} s; ratio {:.2} (goal <= 1.2)",
        org.as_secs_f64(),
        plain.as_secs_f64(),
        org.as_secs_f64() / plain.as_secs_f64()
    );
    Ok(())
}

/// How soon an import stops once the flag the app raises for a lock, the panic key
/// or Stop goes up: an import of `n` records, the flag raised after several
/// delays, each into a fresh vault. The panic key waits this long (at most 500 ms)
/// before it restarts the app with the vault closed.
fn stop_figures(n: usize) -> Result<()> {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    let dir = tempfile::tempdir()?;
    let mut a = test_vault(&dir.path().join("a"))?;
    let rows: Vec<_> = (0..n)
        .map(|i| vec![("name".to_owned(), FieldInput::Text(format!("person {i}")))])
        .collect();
    for chunk in rows.chunks(1000) {
        a.add_records("contact", chunk)?;
    }
    let mut worst = Duration::ZERO;
    let mut stopped = 0;
    let mut finished = 0;
    for (i, delay_ms) in [10u64, 50, 150, 300, 600, 1000].into_iter().enumerate() {
        let mut b = test_vault(&dir.path().join(format!("b{i}")))?;
        a.add_peer(&b.identity().card, &format!("b{i}"))?;
        b.add_peer(&a.identity().card, "a")?;
        let out = dir.path().join(format!("out{i}"));
        let file = out.join(a.export_bundle(&[format!("b{i}")], &out)?.file);
        let flag = Arc::new(AtomicBool::new(false));
        b.set_cancel(Arc::clone(&flag))?;
        let raised = std::thread::scope(|scope| {
            let raiser = scope.spawn(|| {
                std::thread::sleep(Duration::from_millis(delay_ms));
                flag.store(true, Ordering::Relaxed);
                Instant::now()
            });
            let result = b.import_bundle(&file);
            let ended = Instant::now();
            let at = raiser.join().map_err(|_| anyhow::anyhow!("raiser"))?;
            anyhow::Ok((result, ended.saturating_duration_since(at)))
        })?;
        match raised {
            (Err(satchel_api::ApiError::Cancelled), took) => {
                stopped += 1;
                worst = worst.max(took);
            }
            (Ok(_), _) => finished += 1,
            (Err(e), _) => return Err(e.into()),
        }
    }
    println!(
        "import of {n} records stopped by the flag: {stopped} of 6 stopped, slowest {:.0} ms after the flag ({finished} had finished; goal < 500 ms, the panic key's wait)",
        worst.as_secs_f64() * 1000.0
    );
    Ok(())
}

/// Median of three timings of `f`.
fn median3(mut f: impl FnMut(usize) -> Result<Duration>) -> Result<Duration> {
    let mut runs = [f(0)?, f(1)?, f(2)?];
    runs.sort();
    Ok(runs[1])
}

/// A bundle carrying three incompressible attachments of `mib` MiB against `age`
/// (what a user would otherwise pick) encrypting the same files into a folder, and
/// decrypting them. Satchel's side runs in this process on unlocked vaults; `age`
/// runs as its command, once per file.
fn age_figures(mib: u64) -> Result<()> {
    let age_ok = std::process::Command::new("age")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !age_ok {
        println!("bundle vs age: skipped (install age: apt-get install age)");
        return Ok(());
    }
    let dir = tempfile::tempdir()?;
    let files: Vec<std::path::PathBuf> = (0..3)
        .map(|i| dir.path().join(format!("clip{i}.mp4")))
        .collect();
    for f in &files {
        write_random_file(f, mib)?;
    }
    let mut a = test_vault(&dir.path().join("a"))?;
    let mut peers = Vec::new();
    for i in 0..3 {
        let mut b = test_vault(&dir.path().join(format!("b{i}")))?;
        a.add_peer(&b.identity().card, &format!("b{i}"))?;
        b.add_peer(&a.identity().card, "a")?;
        peers.push(b);
    }
    let mut atts = Vec::new();
    for f in &files {
        atts.push(a.store_attachment_file(f, &mut |_, _| {})?);
    }
    a.add_record(
        "contact",
        &[("name".into(), FieldInput::Text("Testimony".into()))],
        &atts,
    )?;
    let mut bundles = Vec::new();
    let export = median3(|i| {
        let out = dir.path().join(format!("out{i}"));
        let t = Instant::now();
        let r = a.export_bundle(&[format!("b{i}")], &out)?;
        let d = t.elapsed();
        bundles.push(out.join(r.file));
        Ok(d)
    })?;
    let import = median3(|i| {
        let t = Instant::now();
        let r = peers[i].import_bundle(&bundles[i])?;
        let d = t.elapsed();
        anyhow::ensure!(r.applied == 1, "import applied {}", r.applied);
        Ok(d)
    })?;

    let keyfile = dir.path().join("age.key");
    let out = std::process::Command::new("age-keygen")
        .arg("-o")
        .arg(&keyfile)
        .output()?;
    anyhow::ensure!(out.status.success(), "age-keygen failed");
    let recipient = String::from_utf8(out.stderr)?
        .trim()
        .rsplit(' ')
        .next()
        .context("age-keygen output")?
        .to_owned();
    let run = |args: &[&std::ffi::OsStr]| -> Result<()> {
        let out = std::process::Command::new("age").args(args).output()?;
        anyhow::ensure!(
            out.status.success(),
            "age failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Ok(())
    };
    let age_enc = median3(|i| {
        let folder = dir.path().join(format!("age{i}"));
        std::fs::create_dir(&folder)?;
        let t = Instant::now();
        for f in &files {
            let to = folder.join(f.file_name().context("name")?);
            run(&[
                "-r".as_ref(),
                recipient.as_ref(),
                "-o".as_ref(),
                to.as_os_str(),
                f.as_os_str(),
            ])?;
        }
        Ok(t.elapsed())
    })?;
    let age_dec = median3(|i| {
        let folder = dir.path().join(format!("age{i}"));
        let t = Instant::now();
        for f in &files {
            let from = folder.join(f.file_name().context("name")?);
            let to = folder.join("plain");
            run(&[
                "-d".as_ref(),
                "-i".as_ref(),
                keyfile.as_os_str(),
                "-o".as_ref(),
                to.as_os_str(),
                from.as_os_str(),
            ])?;
            std::fs::remove_file(&to)?;
        }
        Ok(t.elapsed())
    })?;
    let s = |d: Duration| d.as_secs_f64();
    println!(
        "bundle export of 3 × {mib} MiB attachments: {:.3} s; age encrypting them into a folder: {:.3} s; speed {:.2}× age's (goal ≥ 0.5)",
        s(export),
        s(age_enc),
        s(age_enc) / s(export)
    );
    println!(
        "bundle import of it: {:.3} s; age -d of the three files: {:.3} s; speed {:.2}× age's (goal ≥ 0.5)",
        s(import),
        s(age_dec),
        s(age_dec) / s(import)
    );
    Ok(())
}

/// Resets this process's peak RSS to its current RSS (Linux 4.0+), so a child
/// measures one action and not the set-up before it.
fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn rss_child(args: &[String]) -> Result<()> {
    let [action, vault, rest @ ..] = args else {
        anyhow::bail!("--rss-child ACTION VAULT ...");
    };
    let mut v = satchel_api::unlock(
        Path::new(vault),
        &SecretString::from("benchmark passphrase"),
        KdfProfile::InsecureTest,
    )?;
    reset_peak();
    let base = status_kib("VmRSS:");
    let t = Instant::now();
    let mut extra = 0u64;
    match (action.as_str(), rest) {
        ("refuse", [file]) => {
            let mut f = std::fs::File::open(file)?;
            let len = f.metadata()?.len();
            let mut counted = CountingReader(&mut f, 0);
            let err = v
                .import_bundle_from(&mut counted)
                .err()
                .context("a stranger's bundle was accepted")?;
            anyhow::ensure!(
                matches!(err, satchel_api::ApiError::UnknownSender),
                "refused for another reason: {err}"
            );
            anyhow::ensure!(len > counted.1, "read the whole file");
            extra = counted.1;
        }
        ("import", [file]) => {
            v.import_bundle(Path::new(file))?;
        }
        ("attach", [file]) => {
            let att = v.store_attachment_file(Path::new(file), &mut |_, _| {})?;
            extra = att.stored.map_or(0, |s| s.size);
            v.add_record(
                "contact",
                &[("name".into(), FieldInput::Text("Testimony".into()))],
                &[att],
            )?;
        }
        ("export", [dir, peer]) => {
            extra = v
                .export_bundle(std::slice::from_ref(peer), Path::new(dir))?
                .size;
        }
        _ => anyhow::bail!("unknown action {action}"),
    }
    println!(
        "{} {} {} {}",
        t.elapsed().as_secs_f64(),
        peak_rss_kib(),
        base,
        extra
    );
    Ok(())
}

struct CountingReader<R>(R, u64);

impl<R: std::io::Read> std::io::Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.0.read(buf)?;
        self.1 += n as u64;
        Ok(n)
    }
}

/// What a child measured.
struct Measured {
    secs: f64,
    peak_kib: u64,
    /// RSS of the unlocked vault before the action.
    base_kib: u64,
    extra: u64,
}

impl Measured {
    fn memory(&self) -> String {
        format!(
            "peak RSS {:.1} MiB ({:.1} MiB with the vault unlocked before it)",
            self.peak_kib as f64 / 1024.0,
            self.base_kib as f64 / 1024.0
        )
    }
}

/// Runs `--rss-child ARGS` in a fresh process.
fn in_child(args: &[&std::ffi::OsStr]) -> Result<Measured> {
    let out = std::process::Command::new(std::env::current_exe()?)
        .arg("--rss-child")
        .args(args)
        .output()?;
    anyhow::ensure!(
        out.status.success(),
        "child failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout)?;
    let mut parts = text.split_whitespace();
    let mut next = || parts.next().context("child output");
    Ok(Measured {
        secs: next()?.parse()?,
        peak_kib: next()?.parse()?,
        base_kib: next()?.parse()?,
        extra: next()?.parse()?,
    })
}

/// Writes a bundle of `mib` MiB of content from a device that is no one's peer.
fn stranger_bundle(to: &Vault, path: &Path, mib: u64) -> Result<()> {
    use std::io::Write;
    let stranger = DeviceKeys::generate()?;
    let me = satchel_api::sync::parse_card(&to.identity().card)?;
    let out = std::io::BufWriter::new(std::fs::File::create(path)?);
    let len = mib << 20;
    let mut sealer = satchel_crypto::bundle::Sealer::new(&stranger, &[me.agreement], len, out)?;
    let piece = vec![0x5a; 1 << 20];
    for _ in 0..mib {
        sealer.write_all(&piece)?;
    }
    sealer.finish()?.flush()?;
    Ok(())
}

/// Peak memory of streaming work, each in its own process: refusing a large bundle
/// from a stranger (finding: it was decrypted whole before it was refused).
fn memory_figures(mib: u64) -> Result<()> {
    let dir = tempfile::tempdir()?;
    let vdir = dir.path().join("vault");
    let v = test_vault(&vdir)?;
    let file = dir.path().join("stranger");
    stranger_bundle(&v, &file, mib)?;
    drop(v);
    let m = in_child(&["refuse".as_ref(), vdir.as_os_str(), file.as_os_str()])?;
    println!(
        "refusing a {mib} MiB bundle from an unknown sender: {:.1} ms, {} KiB read, {} (goal: independent of the size)",
        m.secs * 1000.0,
        m.extra / 1024,
        m.memory()
    );
    std::fs::remove_file(&file)?;

    // A recorded testimony of `mib` MiB: added from a file, exported to a peer,
    // imported there.
    let bdir = dir.path().join("peer");
    {
        let mut a = satchel_api::unlock(
            &vdir,
            &SecretString::from("benchmark passphrase"),
            KdfProfile::InsecureTest,
        )?;
        let mut b = test_vault(&bdir)?;
        a.add_peer(&b.identity().card, "peer")?;
        b.add_peer(&a.identity().card, "sender")?;
    }
    let media = dir.path().join("testimony.mp4");
    write_random_file(&media, mib)?;
    let attach = in_child(&["attach".as_ref(), vdir.as_os_str(), media.as_os_str()])?;
    std::fs::remove_file(&media)?;
    let out = dir.path().join("out");
    let export = in_child(&[
        "export".as_ref(),
        vdir.as_os_str(),
        out.as_os_str(),
        "peer".as_ref(),
    ])?;
    let bundle = std::fs::read_dir(&out)?
        .next()
        .context("no bundle written")??
        .path();
    let import = in_child(&["import".as_ref(), bdir.as_os_str(), bundle.as_os_str()])?;
    for (what, m) in [
        ("added from a file", attach),
        ("exported in a bundle", export),
        ("imported from it", import),
    ] {
        println!(
            "a {mib} MiB attachment {what}: {:.2} s, {} (goal: independent of the size)",
            m.secs,
            m.memory()
        );
    }
    Ok(())
}

/// `mib` MiB of random (incompressible) bytes, written a MiB at a time.
fn write_random_file(path: &Path, mib: u64) -> Result<()> {
    use std::io::Write;
    let mut f = std::io::BufWriter::new(std::fs::File::create(path)?);
    let mut piece = vec![0u8; 1 << 20];
    for _ in 0..mib {
        getrandom::fill(&mut piece)?;
        f.write_all(&piece)?;
    }
    f.flush()?;
    Ok(())
}

/// Bytes of every file in a vault folder.
fn vault_bytes(dir: &std::path::Path) -> Result<u64> {
    let mut total = 0;
    for entry in std::fs::read_dir(dir)? {
        let meta = entry?.metadata()?;
        if meta.is_file() {
            total += meta.len();
        }
    }
    Ok(total)
}

/// A field worker's vault before and after offload: `n` records they created (a
/// photo of 300 KB on every tenth), all acknowledged by their coordinator, of which
/// `assigned` stay assigned to them.
fn offload_figures(n: usize, assigned: usize) -> Result<()> {
    let dir = tempfile::tempdir()?;
    let mut co = test_vault(&dir.path().join("co"))?;
    let mut field = test_vault(&dir.path().join("field"))?;
    co.org_create("Bench", "Coordinator", 30)?;
    let req = field.enrol_request("Worker")?;
    let approval = co.enrol_approve(&req.text, &req.fingerprint, "field", 30)?;
    field.enrol_accept(&approval.text)?;
    co.add_peer(&field.identity().card, "field")?;
    field.add_peer(&co.identity().card, "co")?;
    field.set_offload_policy(false)?;
    let mut data = Gen(0x0FF1_0AD5);
    let mut ids = Vec::with_capacity(n);
    for i in 0..n {
        let mut values = vec![
            ("name".to_owned(), FieldInput::Text(data.name())),
            (
                "notes".to_owned(),
                FieldInput::Text(format!("met at the {}th place; {}", i, data.name())),
            ),
        ];
        values.truncate(if i % 3 == 0 { 2 } else { 1 });
        let photo = (i % 10 == 0).then(|| {
            let mut bytes = vec![0u8; 300_000];
            for b in bytes.iter_mut() {
                *b = data.next() as u8;
            }
            satchel_api::NewAttachment::in_memory(
                format!("p{i}.jpg"),
                zeroize::Zeroizing::new(bytes),
            )
        });
        let id = field.add_record("contact", &values, photo.as_slice())?;
        ids.push(id);
    }
    let out = dir.path().join("out");
    let file = out.join(field.export_bundle(&["co".to_owned()], &out)?.file);
    co.import_bundle(&file)?;
    for id in ids.iter().take(assigned) {
        co.assign_record(id, "Worker", true)?;
    }
    let file = out.join(co.export_bundle(&["field".to_owned()], &out)?.file);
    field.import_bundle(&file)?;
    drop(field);
    let before = vault_bytes(&dir.path().join("field"))?;
    let mut field = satchel_api::unlock(
        &dir.path().join("field"),
        &SecretString::from("benchmark passphrase"),
        KdfProfile::InsecureTest,
    )?;
    let t = Instant::now();
    let r = field.offload(false)?;
    let took = t.elapsed();
    drop(field);
    let after = vault_bytes(&dir.path().join("field"))?;
    anyhow::ensure!(
        r.erased == n - assigned,
        "erased {} of {}",
        r.erased,
        n - assigned
    );
    println!(
        "offload of a field vault with {n} records, {assigned} staying assigned: {:.1} MB before, {:.1} MB after ({:.3} of before), {} records erased in {:.2} s",
        before as f64 / 1e6,
        after as f64 / 1e6,
        after as f64 / before as f64,
        r.erased,
        took.as_secs_f64()
    );
    Ok(())
}

/// A report of `n` contacts (name, notes in Hanzi and English, household size, a
/// partial date and a choice), every field and the id and time columns, written as
/// CSV and as XLSX; against the time to list the same records from the vault, which
/// every export pays first.
fn report_figures(n: usize) -> Result<()> {
    use satchel_api::export::{ExportColumns, ExportFormat, ExportRequest};
    let dir = tempfile::tempdir()?;
    let mut vault = test_vault(&dir.path().join("vault"))?;
    let mut data = Gen(0x2E90_2700);
    let rows: Vec<Vec<(String, FieldInput)>> = (0..n)
        .map(|i| {
            let mut row = data.row();
            row.push((
                "birth_date".into(),
                FieldInput::Text(format!("~19{:02}", i % 100)),
            ));
            row.push((
                "sex".into(),
                FieldInput::Text(["female", "male", "other"][i % 3].into()),
            ));
            row
        })
        .collect();
    for chunk in rows.chunks(1_000) {
        vault.add_records("contact", chunk)?;
    }
    let t = Instant::now();
    let listed = vault
        .records(&satchel_api::ListFilter {
            form: Some("contact".into()),
            ..Default::default()
        })?
        .len();
    let list = t.elapsed();
    anyhow::ensure!(listed == n, "listed {listed} of {n}");
    let out = dir.path().join("out");
    std::fs::create_dir(&out)?;
    let mut line = format!(
        "report of {n} records: listing them {:.2} s",
        list.as_secs_f64()
    );
    for format in [ExportFormat::Csv, ExportFormat::Xlsx] {
        let request = ExportRequest {
            form: "contact".into(),
            columns: ExportColumns {
                id: true,
                created: true,
                changed: true,
                ..Default::default()
            },
            format,
            lang: "ko".into(),
            ..Default::default()
        };
        let path = out.join(format!("report.{}", format.extension()));
        let t = Instant::now();
        let report = vault.export_to(&request, &path, false, &mut |_, _| {})?;
        let took = t.elapsed();
        anyhow::ensure!(
            report.records == n as u64,
            "wrote {} of {n}",
            report.records
        );
        line.push_str(&format!(
            "; {} {:.2} s ({:.1} MB)",
            format.extension().to_uppercase(),
            took.as_secs_f64(),
            std::fs::metadata(&path)?.len() as f64 / 1e6
        ));
    }
    println!("{line}");
    Ok(())
}

/// The allocator tunables the app runs with (`src-tauri/src/hardening.rs`).
const APP_TUNABLES: &str = "glibc.malloc.perturb=165:glibc.malloc.tcache_count=0:\
                            glibc.malloc.mmap_threshold=131072:glibc.malloc.trim_threshold=131072";

/// The memory a working session keeps (issue: the app grew by ~160 MB over five syncs
/// at 100,000 records): a vault of `n` records imports a 20-record bundle from a
/// peer and exports all it holds to that peer, five times, each step on a thread of
/// its own as the app's commands run; anonymous RSS after each step. Runs itself
/// again under the app's allocator tunables if it was started without them.
fn session_memory_figures(n: usize) -> Result<()> {
    if !std::env::var("GLIBC_TUNABLES").is_ok_and(|t| t.contains("glibc.malloc.perturb")) {
        let status = std::process::Command::new(std::env::current_exe()?)
            .arg("--only-session-memory")
            .arg(n.to_string())
            .env("GLIBC_TUNABLES", APP_TUNABLES)
            .status()?;
        anyhow::ensure!(status.success(), "the measuring process failed");
        return Ok(());
    }
    const ROUNDS: usize = 5;
    let mib = |kib: u64| kib as f64 / 1024.0;
    let dir = tempfile::tempdir()?;
    let mut a = test_vault(&dir.path().join("a"))?;
    let mut b = test_vault(&dir.path().join("b"))?;
    a.add_peer(&b.identity().card, "peer")?;
    b.add_peer(&a.identity().card, "office")?;
    let mut data = Gen(0x5EED_CAFE_F00D_0001);
    let mut done = 0;
    while done < n {
        let rows: Vec<_> = (0..5_000.min(n - done)).map(|_| data.row()).collect();
        a.add_records("contact", &rows)?;
        done += rows.len();
    }
    // The peer's bundles, made before measuring: 20 new records each.
    let mut from_peer = Vec::new();
    for i in 0..ROUNDS {
        let rows: Vec<_> = (0..20).map(|_| data.row()).collect();
        b.add_records("contact", &rows)?;
        let out = dir.path().join(format!("from-peer-{i}"));
        let r = b.export_bundle(&["office".to_owned()], &out)?;
        from_peer.push(out.join(r.file));
    }
    drop(b);
    let out = dir.path().join("to-peer");
    println!(
        "session memory at {n} records (GLIBC_TUNABLES as the app): RssAnon {:.1} MiB before",
        mib(status_kib("RssAnon:"))
    );
    // The peak of the session alone, not of making the vault.
    reset_peak();
    let mut export_secs = Vec::new();
    for (i, bundle) in from_peer.iter().enumerate() {
        // Moved to the thread as `&mut`: a vault is `Send`, not `Sync`.
        let v = &mut a;
        let found = std::thread::scope(|s| {
            s.spawn(move || {
                let mut found = 0;
                for q in ["김", "서", "민수", "a"] {
                    found += v
                        .search_filtered(q, &satchel_api::RecordFilter::default(), 0)?
                        .items
                        .len();
                }
                let page = satchel_api::ListFilter {
                    limit: 100,
                    ..Default::default()
                };
                found += v.records(&page)?.len();
                Ok::<_, satchel_api::ApiError>(found)
            })
            .join()
        })
        .map_err(|_| anyhow::anyhow!("search panicked"))??;
        println!(
            "  sync {}: four searches and a page of the list ({found} rows): RssAnon {:.1} MiB",
            i + 1,
            mib(status_kib("RssAnon:"))
        );
        let imported = std::thread::scope(|s| s.spawn(|| a.import_bundle(bundle)).join())
            .map_err(|_| anyhow::anyhow!("import panicked"))??;
        anyhow::ensure!(imported.applied > 0, "nothing imported");
        println!(
            "  sync {}: import of {} ops: RssAnon {:.1} MiB",
            i + 1,
            imported.applied,
            mib(status_kib("RssAnon:"))
        );
        let t = Instant::now();
        let exported = std::thread::scope(|s| {
            s.spawn(|| a.export_bundle(&["peer".to_owned()], &out))
                .join()
        })
        .map_err(|_| anyhow::anyhow!("export panicked"))??;
        let secs = t.elapsed().as_secs_f64();
        export_secs.push(secs);
        std::fs::remove_file(out.join(&exported.file))?;
        println!(
            "  sync {}: export of {} ops ({:.1} MiB) in {secs:.2} s: RssAnon {:.1} MiB",
            i + 1,
            exported.ops,
            exported.size as f64 / f64::from(1 << 20),
            mib(status_kib("RssAnon:"))
        );
    }
    export_secs.sort_by(f64::total_cmp);
    println!(
        "after {ROUNDS} syncs: RssAnon {:.1} MiB, peak RSS during them {:.1} MiB, median export {:.2} s",
        mib(status_kib("RssAnon:")),
        mib(peak_rss_kib()),
        export_secs[ROUNDS / 2]
    );
    Ok(())
}

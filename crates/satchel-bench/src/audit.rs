//! Figures of the transparency logs and the audit: verifying an export against raw
//! Ed25519 verification of the same signatures, proof sizes and times in a large
//! log, and what the log adds to saving, exporting and importing.

use std::time::{Duration, Instant};

use anyhow::Result;
use satchel_api::FieldInput;
use satchel_audit::export::{DeviceExport, PublicOp};
use satchel_audit::{AuditExport, Log, verify_consistency, verify_inclusion};
use satchel_crypto::identity::DeviceKeys;
use satchel_sync::{
    hlc::Hlc,
    op::{Body, Draft, Op, OpKind, RecordId, WriteBody},
    vv::VersionVector,
};

use crate::test_vault;

/// `per_device` signed ops by each of `devices` devices, as an audit export.
fn export_of(devices: usize, per_device: usize) -> Result<AuditExport> {
    let hex = |b: &[u8]| data_encoding::HEXLOWER.encode(b);
    let mut out = Vec::with_capacity(devices);
    for d in 0..devices {
        let keys = DeviceKeys::generate()?;
        let mut ops = Vec::with_capacity(per_device);
        let mut prev = None;
        for seq in 1..=per_device as u64 {
            let mut w = WriteBody::new("contact");
            w.fields
                .insert("name".into(), format!("person {d}-{seq}").into());
            let mut record = [0u8; 16];
            record[..8].copy_from_slice(&seq.to_be_bytes());
            record[8] = (d % 256) as u8;
            let op = Op::create(
                &keys,
                Draft {
                    seq,
                    prev,
                    hlc: Hlc {
                        wall_ms: 1_780_000_000_000 + seq * 60_000,
                        counter: 0,
                    },
                    record: RecordId(record),
                    kind: OpKind::Write,
                    context: VersionVector::default(),
                },
                &Body::Write(w),
            )?;
            prev = Some(op.id);
            ops.push(PublicOp {
                header: hex(&op.header_bytes),
                signature: hex(&op.signature),
            });
        }
        out.push(DeviceExport {
            key: hex(&keys.public().signing),
            ops,
            checkpoints: Vec::new(),
            proofs: Vec::new(),
        });
    }
    Ok(AuditExport {
        format: satchel_audit::export::FORMAT.into(),
        version: satchel_audit::export::VERSION,
        exported_by: out.first().map(|d| d.key.clone()).unwrap_or_default(),
        organisation: None,
        devices: out,
        accepted: None,
        openings: Vec::new(),
    })
}

/// Verifying an export of `devices` × `per_device` ops (parse included) against raw
/// Ed25519 verification of the same signatures, in the same run.
pub(crate) fn verify_figures(devices: usize, per_device: usize) -> Result<()> {
    let t = Instant::now();
    let export = export_of(devices, per_device)?;
    let bytes = serde_json::to_vec(&export)?;
    let n = devices * per_device;
    println!(
        "audit export of {n} ops from {devices} devices: {:.0} MB, made in {:.1} s",
        bytes.len() as f64 / 1e6,
        t.elapsed().as_secs_f64()
    );
    drop(export);
    // Raw: every signature checked as an op's signature, nothing else.
    let parsed = AuditExport::parse(&bytes)?;
    let parts: Vec<([u8; 32], Vec<u8>, [u8; 64])> = parsed
        .devices
        .iter()
        .flat_map(|d| {
            let key: [u8; 32] = data_encoding::HEXLOWER
                .decode(d.key.as_bytes())
                .ok()
                .and_then(|k| k.try_into().ok())
                .unwrap_or([0; 32]);
            d.ops.iter().map(move |o| {
                let h = data_encoding::HEXLOWER
                    .decode(o.header.as_bytes())
                    .unwrap_or_default();
                let s: [u8; 64] = data_encoding::HEXLOWER
                    .decode(o.signature.as_bytes())
                    .ok()
                    .and_then(|s| s.try_into().ok())
                    .unwrap_or([0; 64]);
                (key, h, s)
            })
        })
        .collect();
    let t = Instant::now();
    let mut good = 0usize;
    for (key, header, sig) in &parts {
        if satchel_crypto::identity::verify(
            key,
            satchel_crypto::hash::domain::OP_SIGNATURE,
            header,
            sig,
        )
        .is_ok()
        {
            good += 1;
        }
    }
    let raw = t.elapsed();
    anyhow::ensure!(good == n, "{good} of {n} signatures verify");
    drop(parts);
    drop(parsed);
    let t = Instant::now();
    let export = AuditExport::parse(&bytes)?;
    let report = satchel_audit::verify_export(&export);
    let full = t.elapsed();
    anyhow::ensure!(report.anomalies == 0, "{} anomalies", report.anomalies);
    let rate = |d: Duration| n as f64 / d.as_secs_f64();
    println!(
        "audit verify of {n} ops ({devices} devices; parse, signatures, chains, trees): {:.0} ops/s; raw Ed25519 of the same signatures {:.0} ops/s; ratio {:.2} (goal >= 0.5)",
        rate(full),
        rate(raw),
        rate(full) / rate(raw)
    );
    Ok(())
}

/// Proof sizes and times in a log of `n` leaves.
pub(crate) fn proof_figures(n: u64) -> Result<()> {
    let t = Instant::now();
    let log = Log::from_leaves((0..n).map(|i| {
        let mut leaf = [0u8; 32];
        leaf[..8].copy_from_slice(&i.to_be_bytes());
        leaf
    }));
    let build = t.elapsed();
    let root = log.root();
    let samples = 1000u64;
    let (mut prove, mut check, mut hashes) = (Duration::ZERO, Duration::ZERO, 0usize);
    for k in 0..samples {
        let i = (k * (n / samples) + k % 7).min(n - 1);
        let t = Instant::now();
        let proof = log
            .prove_inclusion(i)
            .ok_or_else(|| anyhow::anyhow!("no proof for {i}"))?;
        prove += t.elapsed();
        hashes = hashes.max(proof.len());
        let leaf = log
            .leaves()
            .get(usize::try_from(i)?)
            .copied()
            .unwrap_or_default();
        let t = Instant::now();
        verify_inclusion(&leaf, i, n, &root, &proof)
            .map_err(|e| anyhow::anyhow!("inclusion: {e}"))?;
        check += t.elapsed();
    }
    println!(
        "log of {n} leaves: built in {:.2} s; inclusion proof at most {hashes} hashes ({} bytes), made in {:.1} µs, checked in {:.1} µs",
        build.as_secs_f64(),
        hashes * 32,
        prove.as_secs_f64() * 1e6 / samples as f64,
        check.as_secs_f64() * 1e6 / samples as f64,
    );
    let old = n / 2 + n / 7;
    let old_log = Log::from_leaves(log.leaves().iter().take(usize::try_from(old)?).copied());
    let t = Instant::now();
    let proof = log
        .prove_consistency(old)
        .ok_or_else(|| anyhow::anyhow!("no consistency proof"))?;
    let made = t.elapsed();
    let t = Instant::now();
    verify_consistency(old, &old_log.root(), n, &root, &proof)
        .map_err(|e| anyhow::anyhow!("consistency: {e}"))?;
    println!(
        "consistency proof from {old} to {n} leaves: {} hashes ({} bytes), made in {:.1} µs, checked in {:.1} µs",
        proof.len(),
        proof.len() * 32,
        made.as_secs_f64() * 1e6,
        t.elapsed().as_secs_f64() * 1e6
    );
    Ok(())
}

fn median(v: &mut [Duration]) -> Duration {
    v.sort();
    v.get(v.len() / 2).copied().unwrap_or_default()
}

/// What the log adds: a save does no log work (checkpoints are signed at export);
/// an export signs a checkpoint over the device's own ops; an import checks the
/// sender's checkpoint and proof and cosigns it. Each against the operation as a
/// whole, on a vault whose device wrote `n` ops, median of `rounds`.
pub(crate) fn cost_figures(n: usize, rounds: usize) -> Result<()> {
    let dir = tempfile::tempdir()?;
    let mut a = test_vault(&dir.path().join("a"))?;
    let mut b = test_vault(&dir.path().join("b"))?;
    a.add_peer(&b.identity().card, "b")?;
    b.add_peer(&a.identity().card, "a")?;
    let rows: Vec<_> = (0..n)
        .map(|i| vec![("name".to_owned(), FieldInput::Text(format!("person {i}")))])
        .collect();
    for chunk in rows.chunks(1000) {
        a.add_records("contact", chunk)?;
    }
    let out = dir.path().join("out");
    let first = out.join(a.export_bundle(&["b".to_owned()], &out)?.file);
    b.import_bundle(&first)?;
    let back = out.join(b.export_bundle(&["a".to_owned()], &out)?.file);
    a.import_bundle(&back)?;
    let (mut export, mut sign, mut import, mut check) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for i in 0..rounds {
        a.add_record(
            "contact",
            &[("name".to_owned(), FieldInput::Text(format!("later {i}")))],
            &[],
        )?;
        // The export with its checkpoint, then the checkpoint alone after one more
        // edit: the same work the export did for it.
        let t = Instant::now();
        let file = out.join(a.export_bundle(&["b".to_owned()], &out)?.file);
        export.push(t.elapsed());
        a.add_record(
            "contact",
            &[("name".to_owned(), FieldInput::Text(format!("again {i}")))],
            &[],
        )?;
        let t = Instant::now();
        a.log_checkpoint()?;
        sign.push(t.elapsed());
        // The check alone first (it changes nothing), then the whole import.
        check.push(b.time_bundle_log_check(&file)?);
        let t = Instant::now();
        b.import_bundle(&file)?;
        import.push(t.elapsed());
        let back = out.join(b.export_bundle(&["a".to_owned()], &out)?.file);
        a.import_bundle(&back)?;
    }
    let (export, sign, import, check) = (
        median(&mut export),
        median(&mut sign),
        median(&mut import),
        median(&mut check),
    );
    let ratio = |all: Duration, part: Duration| {
        all.as_secs_f64() / (all.as_secs_f64() - part.as_secs_f64()).max(1e-9)
    };
    println!(
        "log cost, a device with {n} ops: a save 0 (no log work); a one-op export {:.1} ms of which the checkpoint {:.1} ms: ratio {:.2}; its import {:.1} ms of which the log check {:.2} ms: ratio {:.2} (goal <= 1.2)",
        export.as_secs_f64() * 1e3,
        sign.as_secs_f64() * 1e3,
        ratio(export, sign),
        import.as_secs_f64() * 1e3,
        check.as_secs_f64() * 1e3,
        ratio(import, check)
    );
    Ok(())
}

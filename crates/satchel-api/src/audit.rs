//! This device's transparency log: its ops' ids in chain order, as an RFC 6962
//! Merkle log whose checkpoints the device signs as C2SP notes, so that anyone holding
//! its public key can later check that its history only grew (docs/audit-format.md).

use satchel_audit::witness::DeviceLogKey;
use satchel_audit::{Checkpoint, Log, Note};
use satchel_sync::bundle::{self, BundleHead, LogSection};
use satchel_sync::op::DeviceId;
use satchel_sync::verify::KeptCheckpoint;
use serde::Serialize;

use crate::error::BundleRefusal;
use crate::{ApiError, Result, Vault};

/// The name of a device's log (and of the key that signs its checkpoints).
pub fn log_origin(device: &DeviceId) -> String {
    satchel_audit::device_origin(&device.0)
}

/// A signed checkpoint of this device's log.
#[derive(Debug, Clone, Serialize)]
pub struct LogCheckpoint {
    /// The log's name: `satchel/device/` and the device's key in hex.
    pub origin: String,
    /// How many ops.
    pub size: u64,
    /// Their tree hash, base64 (as in the note).
    pub root: String,
    /// The key that verifies it, in C2SP verifier-key form.
    pub verifier_key: String,
    /// The checkpoint as a C2SP signed note.
    pub note: String,
}

impl Vault {
    /// The checkpoint of this device's log at its current size, signed and kept (the
    /// one kept already if the log has not grown). Checks first that the log still
    /// holds, unchanged, what the last checkpoint kept said it held: a chain that lost
    /// or changed ops since is refused as damaged.
    pub fn log_checkpoint(&mut self) -> Result<LogCheckpoint> {
        let (cp, note, _) = self.own_log()?;
        let me = self.device.public().signing;
        let verifier =
            satchel_audit::witness::log_verifier(&me).map_err(|_| ApiError::DatabaseDamaged)?;
        Ok(view(&cp, &verifier, &note))
    }

    /// This device's log: its newest checkpoint (signed now if the log grew), that
    /// checkpoint's note as kept, and the tree. The leaves are kept in
    /// `self.own_leaves` for the next time; the tree is not.
    fn own_log(&mut self) -> Result<(Checkpoint, Vec<u8>, Log)> {
        let me = DeviceId(self.device.public().signing);
        let origin = log_origin(&me);
        // Grown from the leaves of the last export: reading them again took 0.3 s
        // at 100,000 ops of this device's own, most of a small export; making the
        // tree over them takes 0.12 s. The tree is three times the leaves' size
        // (9.6 MB at 100,000), so it is made again rather than kept.
        let mut log = Log::from_leaves(self.own_leaves.take().unwrap_or_default());
        // The tree's last leaf must still be the op held there (a database changed
        // outside Satchel since is damaged, as below).
        if let Some(last) = log.leaves().last() {
            use satchel_sync::verify::Known;
            let held = self.store.op_at(&me, log.size())?;
            if held.map(|id| id.0) != Some(*last) {
                return Err(ApiError::DatabaseDamaged);
            }
        }
        for id in self.store.chain_ids_after(&me, log.size())? {
            log.push(id);
        }
        let verifier =
            satchel_audit::witness::log_verifier(&me.0).map_err(|_| ApiError::DatabaseDamaged)?;
        if let Some((size, note)) = self.store.checkpoint_latest(&origin)? {
            let (kept, _) =
                Checkpoint::open(&note, &verifier).map_err(|_| ApiError::DatabaseDamaged)?;
            // What was kept must be a prefix of the chain now: one consistency proof.
            let proof = log
                .prove_consistency(size)
                .ok_or(ApiError::DatabaseDamaged)?;
            if kept.size != size
                || satchel_audit::verify_consistency(
                    size,
                    &kept.root,
                    log.size(),
                    &log.root(),
                    &proof,
                )
                .is_err()
            {
                return Err(ApiError::DatabaseDamaged);
            }
            if size == log.size() {
                self.own_leaves = Some(log.leaves().to_vec());
                return Ok((kept, note, log));
            }
        }
        let cp = Checkpoint::new(&origin, log.size(), log.root());
        let note = cp
            .sign(&DeviceLogKey::log(&self.device))
            .map_err(|_| ApiError::DatabaseDamaged)?
            .to_bytes();
        self.store.checkpoint_put(&origin, cp.size, &note)?;
        self.own_leaves = Some(log.leaves().to_vec());
        Ok((cp, note, log))
    }

    /// The log section of a bundle to `peers`: this device's checkpoint now, proofs
    /// from every size of it a recipient may hold, and each recipient's newest
    /// checkpoint kept here, which this device cosigned when it came.
    pub(crate) fn bundle_log(&mut self, peers: &[[u8; 32]]) -> Result<LogSection> {
        let (cp, note, log) = self.own_log()?;
        let me = self.device.public().signing;
        let kept = self.store.checkpoints(&log_origin(&DeviceId(me)))?;
        // A recipient holds the size it last cosigned, or a later one sent since.
        let mut floor = u64::MAX;
        for peer in peers {
            let witness =
                satchel_audit::witness::witness_of(peer).map_err(|_| ApiError::DatabaseDamaged)?;
            let acked = kept
                .iter()
                .rev()
                .find(|(_, n)| cosigned_by(n, &witness))
                .map_or(0, |(size, _)| *size);
            floor = floor.min(acked);
        }
        let mut sizes: Vec<u64> = kept
            .iter()
            .map(|(size, _)| *size)
            .filter(|s| *s >= floor && *s > 0 && *s < cp.size)
            .collect();
        let skip = sizes.len().saturating_sub(bundle::MAX_PROOFS);
        sizes.drain(..skip);
        let mut proofs = Vec::with_capacity(sizes.len());
        for size in sizes {
            proofs.push((
                size,
                log.prove_consistency(size)
                    .ok_or(ApiError::DatabaseDamaged)?,
            ));
        }
        let mut witnessed = Vec::new();
        for peer in peers {
            if let Some((_, n)) = self
                .store
                .checkpoint_latest(&log_origin(&DeviceId(*peer)))?
            {
                witnessed.push(n);
            }
        }
        Ok(LogSection {
            checkpoint: note,
            proofs,
            witnessed,
        })
    }

    /// The time [`Vault::check_bundle_log`] takes on the bundle at `path` (opened
    /// and read first, untimed), changing nothing: for the benchmark of what the log
    /// adds to an import.
    #[doc(hidden)]
    pub fn time_bundle_log_check(&self, path: &std::path::Path) -> Result<std::time::Duration> {
        let peers = self.store.peers()?;
        let file = std::io::BufReader::new(std::fs::File::open(path)?);
        let mut opening = satchel_crypto::bundle::open_stream(&self.device, file, |s| {
            peers.iter().any(|p| p.signing == *s)
        })
        .map_err(ApiError::from)?;
        let sender = opening.sender();
        let (head, _) = BundleHead::read(&mut opening).map_err(|e| ApiError::BundleContent {
            reason: BundleRefusal::Malformed,
            detail: e.to_string(),
        })?;
        let t = std::time::Instant::now();
        self.check_bundle_log(&sender, &head)?;
        Ok(t.elapsed())
    }

    /// Checks a bundle's log section from `sender` (docs/bundle-format.md, "Log"):
    /// the sender's checkpoint extends the one kept of its log, and covers the ops of
    /// its own it sent. Returns what the import keeps: the sender's checkpoint with
    /// this device's cosignature, and this device's own checkpoints with the sender's
    /// cosignature added.
    pub(crate) fn check_bundle_log(
        &self,
        sender: &[u8; 32],
        head: &BundleHead,
    ) -> Result<Vec<KeptCheckpoint>> {
        use satchel_audit::witness::{LogRefusal, check_sender_log};
        let refuse =
            |reason: BundleRefusal, detail: String| ApiError::BundleContent { reason, detail };
        let origin = log_origin(&DeviceId(*sender));
        let kept = self.store.checkpoint_latest(&origin)?;
        // A bundle older than one imported from the sender (they may arrive in any
        // order) is checked against nothing newer than itself; its checkpoint is not
        // kept.
        let late = self
            .store
            .newest_bundle_seq(sender)?
            .is_some_and(|newest| head.sender_seq < newest);
        let checked = if late {
            // An older bundle's checkpoint is a prefix of the log as held, where the
            // chain held reaches that far: a device restored from an old copy may
            // number its bundles as before.
            check_sender_log(sender, None, &head.log.checkpoint, &head.log.proofs).and_then(
                |(cp, note)| {
                    let leaves = self
                        .store
                        .chain_ids(&DeviceId(*sender))
                        .map_err(|e| LogRefusal::Malformed(e.to_string()))?;
                    let held = usize::try_from(cp.size)
                        .ok()
                        .and_then(|n| leaves.get(..n))
                        .map(|l| Log::from_leaves(l.iter().copied()).root());
                    match held {
                        Some(root) if root != cp.root => Err(LogRefusal::Forked {
                            kept: leaves.len() as u64,
                            sent: cp.size,
                        }),
                        _ => Ok((cp, note)),
                    }
                },
            )
        } else {
            check_sender_log(
                sender,
                kept.as_ref().map(|(_, n)| n.as_slice()),
                &head.log.checkpoint,
                &head.log.proofs,
            )
        };
        // No proof from the size kept here: the sender's chain held, continued by its
        // ops in this bundle, may show it.
        let checked = match (checked, &kept) {
            (Err(LogRefusal::Unproven { .. }), Some((_, kept))) => {
                let mut leaves = self.store.chain_ids(&DeviceId(*sender))?;
                let mut own: Vec<_> = head
                    .ops
                    .iter()
                    .filter(|o| o.header.author.0 == *sender)
                    .collect();
                own.sort_by_key(|o| o.header.seq);
                for op in own {
                    if op.header.seq == leaves.len() as u64 + 1 {
                        leaves.push(op.id.0);
                    }
                }
                satchel_audit::witness::check_sender_log_by_leaves(
                    sender,
                    kept,
                    &head.log.checkpoint,
                    &leaves,
                )
            }
            (other, _) => other,
        };
        let (cp, note) = checked.map_err(|e| {
            let reason = match e {
                LogRefusal::Rewound { .. } => BundleRefusal::LogRewound,
                LogRefusal::Forked { .. } => BundleRefusal::LogForked,
                LogRefusal::Unproven { .. } => BundleRefusal::LogUnproven,
                _ => BundleRefusal::Malformed,
            };
            refuse(reason, e.to_string())
        })?;
        if head
            .ops
            .iter()
            .any(|o| o.header.author.0 == *sender && o.header.seq > cp.size)
        {
            return Err(refuse(
                BundleRefusal::Malformed,
                "the sender's ops go past its own checkpoint".into(),
            ));
        }
        let mut out = Vec::new();
        let now_s = crate::records::now_ms() / 1000;
        let me = self.device.public().signing;
        let keep_sender = !late || kept.as_ref().is_none_or(|(size, _)| cp.size > *size);
        if keep_sender {
            let witness = DeviceLogKey::witness(&self.device);
            let note = satchel_audit::witness::cosigned(note, &cp, &witness, now_s)
                .map_err(|_| ApiError::DatabaseDamaged)?;
            out.push(KeptCheckpoint {
                origin,
                size: cp.size,
                note: note.to_bytes(),
            });
        }
        // This device's own checkpoints, cosigned by the sender as its witness.
        let mine = log_origin(&DeviceId(me));
        let witness =
            satchel_audit::witness::witness_of(sender).map_err(|_| ApiError::DatabaseDamaged)?;
        for returned in &head.log.witnessed {
            let Some(size) = Note::parse(returned)
                .ok()
                .and_then(|n| Checkpoint::parse(n.text()).ok())
                .filter(|c| c.origin == mine)
                .map(|c| c.size)
            else {
                continue;
            };
            let Some((_, own)) = self
                .store
                .checkpoints(&mine)?
                .into_iter()
                .find(|(s, _)| *s == size)
            else {
                continue;
            };
            if let Some(merged) =
                satchel_audit::witness::merge_cosignature(&own, returned, &witness)
            {
                out.push(KeptCheckpoint {
                    origin: mine.clone(),
                    size,
                    note: merged.to_bytes(),
                });
            }
        }
        Ok(out)
    }

    /// Writes the audit export to `path` (docs/audit-format.md, "Audit export"):
    /// every op's header and signature by device, and the checkpoints kept, after
    /// signing one of this device's log as it is now. Nothing of any record's
    /// content. Returns the number of ops written.
    pub fn audit_export(&mut self, path: &std::path::Path) -> Result<usize> {
        self.audit_export_with(path, &AuditGrants::default())
    }

    /// [`Vault::audit_export`] that also opens the records `grants` names to the
    /// auditor: their content, as the vault holds them, and their ops' payloads, so
    /// the auditor can check both against the signed headers ("Openings").
    pub fn audit_export_with(
        &mut self,
        path: &std::path::Path,
        grants: &AuditGrants,
    ) -> Result<usize> {
        let openings = self.openings(grants)?;
        let accepted = self.accepted_log()?;
        self.log_checkpoint()?;
        let me = DeviceId(self.device.public().signing);
        let hex = |b: &[u8]| data_encoding::HEXLOWER.encode(b);
        let mut devices: Vec<satchel_audit::export::DeviceExport> = Vec::new();
        let mut count = 0;
        self.store.each_public_op(|author, header, signature| {
            let key = hex(&author);
            if devices.last().is_none_or(|d| d.key != key) {
                devices.push(satchel_audit::export::DeviceExport {
                    key,
                    ops: Vec::new(),
                    checkpoints: Vec::new(),
                    proofs: Vec::new(),
                });
            }
            if let Some(d) = devices.last_mut() {
                d.ops.push(satchel_audit::export::PublicOp {
                    header: hex(header),
                    signature: hex(signature),
                });
            }
            count += 1;
        })?;
        let mine = hex(&me.0);
        // Every checkpoint kept: this device's own (with the cosignatures that came
        // back) and its peers' (each with this device's cosignature).
        for d in &mut devices {
            let Some(key) = data_encoding::HEXLOWER
                .decode(d.key.as_bytes())
                .ok()
                .and_then(|k| <[u8; 32]>::try_from(k).ok())
            else {
                continue;
            };
            let kept = self.store.checkpoints(&log_origin(&DeviceId(key)))?;
            for (_, note) in &kept {
                d.checkpoints
                    .push(String::from_utf8_lossy(note).into_owned());
            }
            // Proofs from each checkpoint to the largest, over the chain held.
            let Some(&(newest, _)) = kept.last() else {
                continue;
            };
            let chain = self.store.chain_ids(&DeviceId(key))?;
            let Some(leaves) = usize::try_from(newest).ok().and_then(|n| chain.get(..n)) else {
                continue;
            };
            let log = Log::from_leaves(leaves.iter().copied());
            for (size, _) in &kept {
                if *size == 0 || *size >= newest {
                    continue;
                }
                if let Some(hashes) = log.prove_consistency(*size) {
                    d.proofs.push(satchel_audit::export::ConsistencyProof {
                        from: *size,
                        to: newest,
                        hashes: hashes.iter().map(|h| hex(h)).collect(),
                    });
                }
            }
        }
        let organisation = match self.org_id()? {
            Some(org) => {
                use satchel_store::MemberObject;
                let all = |kind| -> Result<Vec<String>> {
                    Ok(self
                        .store
                        .member_objects(kind)?
                        .iter()
                        .map(|b| hex(b))
                        .collect())
                };
                Some(satchel_audit::export::OrganisationExport {
                    id: hex(&org.0),
                    certificates: all(MemberObject::Certificate)?,
                    revocations: all(MemberObject::Revocation)?,
                })
            }
            None => None,
        };
        let export = satchel_audit::AuditExport {
            format: satchel_audit::export::FORMAT.into(),
            version: satchel_audit::export::VERSION,
            exported_by: mine,
            organisation,
            devices,
            openings,
            accepted: Some(accepted),
        };
        let bytes = serde_json::to_vec_pretty(&export).map_err(|_| ApiError::DatabaseDamaged)?;
        crate::files::replace(path, &bytes)?;
        Ok(count)
    }
}

/// What an audit export opens to the auditor: records by id, and every record of
/// the forms named.
#[derive(Debug, Clone, Default)]
pub struct AuditGrants {
    /// Records, by id.
    pub records: Vec<crate::RecordId>,
    /// Forms, by name: all their records, deleted ones included.
    pub forms: Vec<String>,
}

impl Vault {
    /// This vault's accepted-ops log for an export: every op id in the order
    /// accepted, and every checkpoint of it kept, one signed now if it grew. What was
    /// kept must still be a prefix of the log, or the vault is damaged.
    fn accepted_log(&mut self) -> Result<satchel_audit::accepted::AcceptedExport> {
        use satchel_audit::accepted::{AcceptedExport, accepted_origin};
        let me = self.device.public().signing;
        let origin = accepted_origin(&me);
        let ids = self.store.accepted_ids()?;
        let log = Log::from_leaves(ids.iter().copied());
        let verifier = satchel_audit::NoteVerifier::new(&origin, &me)
            .map_err(|_| ApiError::DatabaseDamaged)?;
        let kept = self.store.checkpoint_latest(&origin)?;
        if let Some((size, note)) = &kept {
            let (cp, _) =
                Checkpoint::open(note, &verifier).map_err(|_| ApiError::DatabaseDamaged)?;
            let proof = log
                .prove_consistency(*size)
                .ok_or(ApiError::DatabaseDamaged)?;
            satchel_audit::verify_consistency(cp.size, &cp.root, log.size(), &log.root(), &proof)
                .map_err(|_| ApiError::DatabaseDamaged)?;
        }
        if kept.is_none_or(|(size, _)| size < log.size()) {
            let note = Checkpoint::new(&origin, log.size(), log.root())
                .sign(&DeviceLogKey::accepted(&self.device))
                .map_err(|_| ApiError::DatabaseDamaged)?
                .to_bytes();
            self.store.checkpoint_put(&origin, log.size(), &note)?;
        }
        let hex = |b: &[u8]| data_encoding::HEXLOWER.encode(b);
        Ok(AcceptedExport {
            ops: ids.iter().map(|id| hex(id)).collect(),
            checkpoints: self
                .store
                .checkpoints(&origin)?
                .into_iter()
                .map(|(_, n)| String::from_utf8_lossy(&n).into_owned())
                .collect(),
        })
    }

    fn openings(&self, grants: &AuditGrants) -> Result<Vec<satchel_audit::opening::Opening>> {
        use satchel_audit::opening::{OpenedOp, Opening};
        let hex = |b: &[u8]| data_encoding::HEXLOWER.encode(b);
        let mut ids: Vec<satchel_sync::op::RecordId> = grants.records.clone();
        for form in &grants.forms {
            if !self.forms.contains_key(form) {
                return Err(ApiError::UnknownForm(form.clone()));
            }
            let filter = satchel_store::ListFilter {
                form: Some(form.clone()),
                include_deleted: true,
                ..Default::default()
            };
            ids.extend(self.store.records(&filter)?.into_iter().map(|r| r.id));
        }
        ids.sort();
        ids.dedup();
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            let Some(rec) = self.store.record(&id)? else {
                return Err(ApiError::RecordNotFound(hex(&id.0)));
            };
            let mut opening = Opening {
                record: hex(&id.0),
                state: rec.state,
                payloads: Vec::new(),
                withheld: Vec::new(),
                void: Vec::new(),
            };
            for op in self.store.record_openings(&id)? {
                match (op.void, op.payload) {
                    (true, _) => opening.void.push(hex(&op.id)),
                    (false, Some(p)) => opening.payloads.push(OpenedOp {
                        op: hex(&op.id),
                        payload: hex(&p),
                    }),
                    (false, None) => opening.withheld.push(hex(&op.id)),
                }
            }
            out.push(opening);
        }
        Ok(out)
    }
}

fn view(cp: &Checkpoint, verifier: &satchel_audit::NoteVerifier, note: &[u8]) -> LogCheckpoint {
    LogCheckpoint {
        origin: cp.origin.clone(),
        size: cp.size,
        root: data_encoding::BASE64.encode(&cp.root),
        verifier_key: verifier.to_text(),
        note: String::from_utf8_lossy(note).into_owned(),
    }
}

/// Whether `note` carries a valid cosignature by `witness`.
fn cosigned_by(note: &[u8], witness: &satchel_audit::Witness) -> bool {
    let Ok(n) = Note::parse(note) else {
        return false;
    };
    let Ok(cp) = Checkpoint::parse(n.text()) else {
        return false;
    };
    matches!(witness.check(&cp, n.signatures()), Ok(Some(_)))
}

//! Peers, bundles and conflicts: exchanging ops with other devices by file.

use std::collections::BTreeSet;
use std::path::Path;

use std::io::Write;

use crate::error::BundleRefusal;
use crate::form::ValueProblem;
use satchel_crypto::{
    bundle::{self, BundleError},
    hash,
    identity::PublicIdentity,
    rng,
};
use satchel_store::{ImportRefused, Peer};
use satchel_sync::{
    BodyError,
    bundle::{BlobReader, BundleHead, HeadWriter},
    op::{Body, DeviceId, Op, RecordId},
    verify,
    vv::VersionVector,
};
use serde::Serialize;
use serde_json::Value;

use crate::{
    error::{ApiError, Result},
    files,
    records::{FieldInput, ShownValue, now_ms},
    vault::Vault,
};

const CARD_PREFIX: &str = "SATCHEL-";
const CARD_CHECK: &str = "satchel 2026-11 identity card checksum v1";
const META_BUNDLE_SEQ: &str = "bundle.seq";
const META_BUNDLE_PREV: &str = "bundle.prev";
/// Most peers one bundle can be addressed to.
pub const MAX_RECIPIENTS: usize = bundle::SLOTS;

/// This device's public card: what a peer needs to address and verify bundles.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct Card {
    /// The copyable text.
    pub card: String,
    /// Fingerprint words.
    pub fingerprint: String,
    /// Fingerprint hex.
    pub fingerprint_hex: String,
}

/// A peer as listed.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct PeerView {
    /// Local name.
    pub name: String,
    /// Fingerprint words.
    pub fingerprint: String,
    /// Whether the user confirmed the fingerprint against the words on the peer's
    /// own screen ([`Vault::verify_peer`]). Bundles flow either way; this is a mark.
    pub verified: bool,
}

/// Fingerprint words as shown (English, Korean or Chinese) in the UI language
/// `lang` (`en`, `ko`, `zh-Hans`); unchanged if they are not fingerprint words.
pub fn words_in(shown: &str, lang: &str) -> String {
    satchel_crypto::identity::words_in(shown, lang).unwrap_or_else(|| shown.to_owned())
}

/// Per peer: what it acknowledged and what waits for it.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct PeerStatus {
    /// Local name.
    pub name: String,
    /// Ops it has acknowledged, counted over all authors.
    pub acknowledged: u64,
    /// Ops it has not acknowledged: the next bundle to it carries these.
    pub waiting: u64,
}

/// What an export wrote.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct ExportReport {
    /// File name (random, no extension).
    pub file: String,
    /// Ops carried.
    pub ops: usize,
    /// File size in bytes (padded).
    pub size: u64,
}

/// What an import did.
#[derive(Debug, Clone, Default, Serialize, ts_rs::TS)]
pub struct ImportReport {
    /// Ops applied.
    pub applied: usize,
    /// Ops already held.
    pub already_known: usize,
    /// Ops waiting in quarantine for predecessors, after this import.
    pub quarantined: usize,
    /// Ops newly set aside because they fork their author's chain as held (never
    /// merged; see `satchel quarantine list`). They refuse nothing else.
    pub forks: usize,
    /// Ops newly set aside because a value does not fit its form (never merged).
    pub invalid: usize,
    /// In an organisation: ops newly set aside because their author is not a member
    /// now or their role does not allow them (never merged; heard again if that
    /// changes).
    pub refused: usize,
    /// In an organisation: form versions in the bundle not installed because no
    /// coordinator of this organisation published them.
    pub forms_refused: usize,
    /// Quarantined ops forgotten: past the quarantine's caps, or held through too many
    /// imports. Nothing is lost: a peer that holds them sends them again.
    pub dropped: usize,
    /// Fields newly in conflict.
    pub conflicts_created: usize,
    /// Records whose content this device erased after the import, a coordinator
    /// holding them (the offload policy; 0 when it is off).
    pub offloaded: usize,
    /// Nothing changed: this bundle was imported before.
    pub already_imported: bool,
    /// The peer that sent it.
    pub from: String,
}

/// One field in conflict.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct Conflict {
    /// Record id.
    pub record: String,
    /// The record's title, as in lists.
    pub title: String,
    /// Field id.
    pub field: String,
    /// The field's label in the requested language.
    pub label: String,
    /// Every sibling value, default first.
    pub values: Vec<ShownValue>,
}

/// The card text for a public identity.
pub fn card_text(id: &PublicIdentity) -> String {
    let mut bytes = id.signing.to_vec();
    bytes.extend_from_slice(&id.agreement);
    let check = hash::hash(CARD_CHECK, &[&bytes]);
    bytes.extend_from_slice(check.get(..4).unwrap_or_default());
    format!(
        "{CARD_PREFIX}{}",
        data_encoding::BASE32_NOPAD.encode(&bytes)
    )
}

/// Parses a peer's card.
pub fn parse_card(text: &str) -> Result<PublicIdentity> {
    let bad = || ApiError::InvalidCard;
    let body: String = text
        .trim()
        .strip_prefix(CARD_PREFIX)
        .ok_or_else(bad)?
        .split_whitespace()
        .collect();
    let bytes = data_encoding::BASE32_NOPAD
        .decode(body.to_uppercase().as_bytes())
        .map_err(|_| bad())?;
    if bytes.len() != 68 {
        return Err(bad());
    }
    let (keys, check) = bytes.split_at(64);
    if hash::hash(CARD_CHECK, &[keys]).get(..4) != Some(check) {
        return Err(bad());
    }
    let signing: [u8; 32] = keys
        .get(..32)
        .and_then(|k| k.try_into().ok())
        .ok_or_else(bad)?;
    let agreement: [u8; 32] = keys
        .get(32..)
        .and_then(|k| k.try_into().ok())
        .ok_or_else(bad)?;
    Ok(PublicIdentity { signing, agreement })
}

fn conflict_count(v: &Vault, records: &[RecordId]) -> Result<usize> {
    let mut n = 0;
    for id in records {
        if let Some(r) = v.store.record(id)? {
            n += r.state.conflicts().count() + usize::from(r.state.delete_conflict);
        }
    }
    Ok(n)
}

impl Vault {
    /// This device's card and fingerprint.
    pub fn identity(&self) -> Card {
        let me = self.device.public();
        let fp = me.fingerprint();
        Card {
            card: card_text(&me),
            fingerprint: fp.to_string(),
            fingerprint_hex: fp.hex,
        }
    }

    /// Stores a peer from its card; returns its fingerprint for the user to compare.
    pub fn add_peer(&mut self, card: &str, name: &str) -> Result<PeerView> {
        let id = parse_card(card)?;
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 60 || name.contains(',') {
            return Err(ApiError::InvalidPeerName);
        }
        if id.signing == self.device.public().signing {
            return Err(ApiError::PeerIsSelf);
        }
        let peers = self.store.peers()?;
        if peers
            .iter()
            .any(|p| p.name == name || p.signing == id.signing)
        {
            return Err(ApiError::PeerExists(name.to_owned()));
        }
        let peer = Peer {
            name: name.to_owned(),
            signing: id.signing,
            agreement: id.agreement,
            verified: false,
        };
        self.store.peer_add(&peer, now_ms())?;
        Ok(PeerView {
            name: peer.name,
            fingerprint: id.fingerprint().to_string(),
            verified: false,
        })
    }

    /// Marks a peer verified once the user typed the fingerprint words its own
    /// screen shows (at least the first four, in English, Korean or Chinese).
    /// Words that differ: [`ApiError::FingerprintMismatch`], and nothing changes.
    pub fn verify_peer(&mut self, name: &str, typed: &str) -> Result<PeerView> {
        let peer = self.peer(name.trim())?;
        let fingerprint = PublicIdentity {
            signing: peer.signing,
            agreement: peer.agreement,
        }
        .fingerprint();
        if !fingerprint.confirms(typed) {
            return Err(ApiError::FingerprintMismatch);
        }
        if !self.store.peer_set_verified(&peer.signing)? {
            return Err(ApiError::UnknownPeer(peer.name));
        }
        Ok(PeerView {
            name: peer.name,
            fingerprint: fingerprint.to_string(),
            verified: true,
        })
    }

    /// All peers.
    pub fn peers(&self) -> Result<Vec<PeerView>> {
        Ok(self
            .store
            .peers()?
            .into_iter()
            .map(|p| PeerView {
                fingerprint: PublicIdentity {
                    signing: p.signing,
                    agreement: p.agreement,
                }
                .fingerprint()
                .to_string(),
                name: p.name,
                verified: p.verified,
            })
            .collect())
    }

    /// Forgets a peer: its bundles are refused from now on.
    pub fn remove_peer(&mut self, name: &str) -> Result<()> {
        let signing = self.peer(name).map(|p| p.signing);
        if self.store.peer_remove(name)? {
            if let Ok(s) = signing {
                self.forget_peer_network(&s)?;
            }
            Ok(())
        } else {
            Err(ApiError::UnknownPeer(name.to_owned()))
        }
    }

    fn peer(&self, name: &str) -> Result<Peer> {
        self.store
            .peers()?
            .into_iter()
            .find(|p| p.name == name)
            .ok_or_else(|| ApiError::UnknownPeer(name.chars().take(60).collect()))
    }

    /// What each peer has acknowledged and what waits for it.
    pub fn sync_status(&self) -> Result<Vec<PeerStatus>> {
        let have = self.store.have()?;
        let total: u64 = have.0.values().sum();
        self.store
            .peers()?
            .into_iter()
            .map(|p| {
                let acks = self.store.peer_acks(&p.signing)?;
                let acknowledged: u64 = have.0.iter().map(|(a, s)| acks.get(a).min(*s)).sum();
                Ok(PeerStatus {
                    name: p.name,
                    acknowledged,
                    waiting: total - acknowledged,
                })
            })
            .collect()
    }

    /// Writes one bundle for `peers` into `dir`: every op any of them has not
    /// acknowledged, the attachments those ops name, the forms and our acknowledgement.
    pub fn export_bundle(&mut self, peers: &[String], dir: &Path) -> Result<ExportReport> {
        self.export_bundle_with(peers, dir, &mut |_, _| {})
    }

    /// [`Vault::export_bundle`], reporting `(bytes written, bytes in all)` as it
    /// goes. Attachments stream from the vault into the file one chunk at a time.
    pub fn export_bundle_with(
        &mut self,
        peers: &[String],
        dir: &Path,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<ExportReport> {
        let peers: Vec<Peer> = peers
            .iter()
            .map(|n| self.peer(n.trim()))
            .collect::<Result<_>>()?;
        if peers.is_empty() || peers.len() > bundle::SLOTS {
            return Err(ApiError::BundleRecipients { max: bundle::SLOTS });
        }
        // What every recipient holds: the pointwise minimum of their acknowledgements.
        let mut floor: Option<VersionVector> = None;
        for p in &peers {
            let acks = self.store.peer_acks(&p.signing)?;
            floor = Some(match floor {
                None => acks,
                Some(f) => f.meet(&acks),
            });
        }
        let floor = floor.unwrap_or_default();
        let field = self.field_recipient(&peers)?;
        self.cancelled()?;
        let seq = self
            .store
            .meta_get(META_BUNDLE_SEQ)?
            .and_then(|b| b.as_slice().try_into().ok())
            .map_or(0, u64::from_be_bytes)
            + 1;
        let prev: [u8; 32] = self
            .store
            .meta_get(META_BUNDLE_PREV)?
            .and_then(|b| b.as_slice().try_into().ok())
            .unwrap_or([0; 32]);
        let mut head = HeadWriter::new(rng::array()?, seq, prev, &self.store.have()?)?;
        // Ops go into the head as they are read: at 100,000 records, holding them all
        // decoded took ~120 MiB in 100,000s of small blocks, which the allocator kept
        // after the export (`satchel-bench --only-session-memory`).
        let mut hashes = BTreeSet::new();
        let mut add = |op: Op| -> Result<()> {
            if let Some(Body::Write(w)) = &op.body {
                hashes.extend(w.attachments());
            }
            head.op(&op)?;
            if head.ops() % 4096 == 0 {
                self.cancelled()?;
            }
            Ok(())
        };
        match field {
            Some(field) => self.each_need_to_know(field, &floor, &mut add)?,
            None => self.store.each_op_after(&floor, add)?,
        }
        self.cancelled()?;
        let mut blobs = Vec::new();
        for h in hashes {
            if let Some(size) = self.store.blob_size(&h)? {
                blobs.push((h, size));
            }
        }
        let forms = self.forms_to_send()?;
        let (certificates, revocations) = self.members_to_send()?;
        let ops = head.ops();
        let signing: Vec<[u8; 32]> = peers.iter().map(|p| p.signing).collect();
        let log = self.bundle_log(&signing)?;
        let reach = self.bundle_reach()?;
        let (prefix, body_hash, content_len) =
            head.finish(&forms, &certificates, &revocations, &log, &reach, &blobs)?;
        let recipients: Vec<[u8; 32]> = peers.iter().map(|p| p.agreement).collect();
        let name = data_encoding::HEXLOWER.encode(&rng::array::<16>()?);
        files::create_dir(dir)?;
        let path = dir.join(&name);
        let file = files::create_new(&path)?;
        let written = self.write_bundle(&recipients, &blobs, &prefix, content_len, file, progress);
        let size = match written {
            Ok(size) => size,
            Err(e) => {
                let _ = std::fs::remove_file(&path);
                return Err(e);
            }
        };
        files::sync_dir(dir)?;
        self.store.meta_set(META_BUNDLE_SEQ, &seq.to_be_bytes())?;
        self.store.meta_set(META_BUNDLE_PREV, &body_hash)?;
        Ok(ExportReport {
            file: name,
            ops,
            size,
        })
    }

    fn write_bundle(
        &self,
        recipients: &[[u8; 32]],
        blobs: &[([u8; 32], u64)],
        prefix: &[u8],
        content_len: u64,
        file: std::fs::File,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<u64> {
        // The sealer writes whole 64 KiB chunks; a thread of its own writes them to
        // disk while the next ones are sealed.
        let out = crate::background::BackgroundWriter::new(file);
        let mut sealer = bundle::Sealer::new(&self.device, recipients, content_len, out)
            .map_err(ApiError::from)?;
        let write = |sealer: &mut bundle::Sealer<'_, _>, bytes: &[u8]| {
            sealer
                .write_all(bytes)
                .map_err(|e| match BundleError::from_io(&e) {
                    Some(b) => ApiError::from(b),
                    None => ApiError::from(e),
                })
        };
        write(&mut sealer, prefix)?;
        let mut done = prefix.len() as u64;
        progress(done, content_len);
        for (hash, _) in blobs {
            self.store.blob_read(hash, |piece| {
                write(&mut sealer, piece)?;
                done += piece.len() as u64;
                progress(done, content_len);
                Ok::<(), ApiError>(())
            })?;
        }
        let file = sealer.finish().map_err(ApiError::from)?.finish()?;
        file.sync_all()?;
        Ok(file.metadata()?.len())
    }

    /// Imports a bundle file: authenticates the sender after the first chunk, then
    /// streams the rest, verifies every op and the whole content, and applies
    /// everything in one transaction. Importing the same bundle again changes nothing.
    pub fn import_bundle(&mut self, path: &Path) -> Result<ImportReport> {
        self.import_bundle_file(path, &mut |_, _| {})
    }

    /// [`Vault::import_bundle`], reporting `(content bytes read, content bytes in
    /// all)` as it goes.
    pub fn import_bundle_file(
        &mut self,
        path: &Path,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<ImportReport> {
        let file = std::fs::File::open(path)?;
        self.import_bundle_with(
            std::io::BufReader::with_capacity(satchel_store::BLOB_CHUNK, file),
            progress,
        )
    }

    /// Imports a bundle read from `source` (the app hands over the bytes of a file the
    /// user chose, so no path crosses into the shell). Same checks as
    /// [`Vault::import_bundle`].
    pub fn import_bundle_from(&mut self, source: impl std::io::Read) -> Result<ImportReport> {
        self.import_bundle_with(source, &mut |_, _| {})
    }

    /// [`Vault::import_bundle_from`], reporting `(content bytes read, content bytes
    /// in all)` as it goes.
    pub fn import_bundle_with(
        &mut self,
        source: impl std::io::Read,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<ImportReport> {
        let mut report = match self.import_stream(source, progress) {
            // Whatever failed once the flag went up (a read refused, a statement
            // interrupted) is a stop: nothing was changed.
            Err(_) if self.cancelled().is_err() => return Err(ApiError::Cancelled),
            other => other?,
        };
        if !report.already_imported {
            report.offloaded = self.offload_after_import()?;
        }
        Ok(report)
    }

    fn import_stream(
        &mut self,
        source: impl std::io::Read,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<ImportReport> {
        let peers = self.store.peers()?;
        let source = crate::cancel::Stoppable::new(source, self.store.cancel_flag());
        // The sender is checked against our peers after the first chunk, before
        // anything else is decrypted: a stranger's bundle costs 64 KiB to refuse.
        let mut opening = bundle::open_stream(&self.device, source, |sender| {
            peers.iter().any(|p| p.signing == *sender)
        })
        .map_err(ApiError::from)?;
        let peer = peers
            .into_iter()
            .find(|p| p.signing == opening.sender())
            .ok_or(ApiError::UnknownSender)?;
        let total = opening.content_len();
        let stop = || self.cancelled().is_err();
        let (head, body_hash) =
            BundleHead::read_until(&mut opening, &stop).map_err(ApiError::bundle_body)?;
        self.cancelled()?;
        // The sender's log before anything else: a device whose history went back
        // or was rewritten is refused as a whole.
        let checkpoints = self.check_bundle_log(&peer.signing, &head)?;
        // Load what verification needs, verify, apply, report.
        let members = self.members_state()?;
        let conn_have = self.store.have()?;
        let heads = self.store.heads()?;
        let ctx = verify::Context {
            me: DeviceId(self.device.public().signing),
            now_ms: now_ms(),
            sender: DeviceId(peer.signing),
            chain: self
                .store
                .sender_chain(&peer.signing, &head.bundle_id, head.sender_seq)?,
            members: members.as_ref(),
            forms: &self.forms,
            have: &conn_have,
            heads: &heads,
            quarantine: self.store.quarantined(false)?,
            imports_done: self.store.imports_done()?,
            known: &self.store,
            checkpoints,
        };
        let verified = match verify::verify(&head, body_hash, ctx) {
            Ok(v) => v,
            Err(verify::Refused::AlreadyImported) => {
                return Ok(ImportReport {
                    already_known: head.ops.len(),
                    already_imported: true,
                    from: peer.name,
                    ..ImportReport::default()
                });
            }
            Err(e) => return Err(ApiError::from_refused(e)),
        };
        self.cancelled()?;
        let mut touched: Vec<RecordId> = verified
            .plan()
            .apply
            .iter()
            .chain(verified.refills())
            .map(|o| o.header.record)
            .collect();
        touched.sort();
        touched.dedup();
        let before = conflict_count(self, &touched)?;
        let blob_bytes = head
            .blobs
            .iter()
            .fold(0u64, |n, (_, l)| n.saturating_add(*l));
        let mut done = total.saturating_sub(blob_bytes);
        progress(done, total);
        let importing = self.store.import_begin()?;
        // Attachments stream into the import's transaction: kept only when an op
        // refers to them, and committed only with everything else.
        for (hash, len) in &head.blobs {
            let wanted = verified.names_attachment(hash) || importing.is_referenced(hash)?;
            // The reader checks the bytes against the hash at the end, before
            // anything commits.
            let mut writer = if wanted && !importing.has_blob(hash)? {
                Some(importing.blob_begin_checked(*hash)?)
            } else {
                None
            };
            let mut reader = BlobReader::new(*hash, *len);
            while let Some(piece) = reader.next(&mut opening).map_err(ApiError::bundle_body)? {
                if let Some(w) = writer.as_mut() {
                    importing.blob_write(w, piece)?;
                }
                done += piece.len() as u64;
                progress(done, total);
            }
            if let Some(w) = writer {
                importing.blob_finish(w)?;
            }
        }
        // The content signature: nothing is committed unless it verifies.
        opening.finish().map_err(ApiError::from)?;
        let outcome = match importing.finish(&verified) {
            Ok(o) => o,
            Err(ImportRefused::AlreadyImported) => {
                return Ok(ImportReport {
                    already_known: head.ops.len(),
                    already_imported: true,
                    from: peer.name,
                    ..ImportReport::default()
                });
            }
            Err(ImportRefused::Store(e)) => return Err(e.into()),
            Err(other) => {
                let reason = match &other {
                    ImportRefused::BundleFork(_) => BundleRefusal::BundleFork,
                    ImportRefused::OpFork(_) => BundleRefusal::OpFork,
                    _ => BundleRefusal::Malformed,
                };
                return Err(ApiError::BundleContent {
                    reason,
                    detail: other.to_string(),
                });
            }
        };
        if outcome.purged {
            self.store.checkpoint()?;
        }
        // Where the sender takes bundles over a network, as of this bundle.
        self.keep_reach(&peer.signing, head.sender_seq, &head.reach)?;
        for f in verified.forms() {
            self.forms.insert(f.name.clone(), f.clone());
        }
        let after = conflict_count(self, &outcome.records)?;
        let counts = verified.counts();
        Ok(ImportReport {
            applied: outcome.applied,
            already_known: outcome.known,
            quarantined: counts.waiting,
            forks: counts.forks,
            invalid: counts.invalid,
            refused: counts.refused,
            forms_refused: counts.forms_refused,
            dropped: counts.dropped,
            conflicts_created: after.saturating_sub(before),
            offloaded: 0,
            already_imported: false,
            from: peer.name,
        })
    }

    /// Every field in conflict, on records that are shown.
    pub fn conflicts(&self, lang: &str) -> Result<Vec<Conflict>> {
        let mut out = Vec::new();
        for rec in self.store.records(&satchel_store::ListFilter::default())? {
            if rec.state.conflicts().next().is_none() {
                continue;
            }
            let view = self.record(&rec.id, lang)?;
            let title = self.summary(rec.id, &rec.state, &self.forms).title;
            for f in view.fields.into_iter().filter(|f| f.values.len() > 1) {
                out.push(Conflict {
                    record: view.id.clone(),
                    title: title.clone(),
                    field: f.id,
                    label: f.label,
                    values: f.values,
                });
            }
        }
        Ok(out)
    }

    /// Resolves a conflict by picking a sibling (by its op id or a unique prefix of
    /// it) or writing a new value. The resolving op has seen every sibling.
    pub fn resolve_conflict(
        &mut self,
        id: &RecordId,
        field: &str,
        pick: Option<&str>,
        set: Option<FieldInput>,
    ) -> Result<()> {
        let state = self
            .store
            .record(id)?
            .ok_or_else(|| ApiError::RecordNotFound(id.to_string()))?
            .state;
        let values = state
            .fields
            .get(field)
            .filter(|v| v.len() > 1)
            .ok_or_else(|| ApiError::NoConflict(field.chars().take(60).collect()))?;
        let value = match (pick, set) {
            (Some(p), None) => {
                let p = p.trim().to_lowercase();
                let matches: Vec<&Value> = values
                    .iter()
                    .filter(|v| p.len() >= 6 && v.op.to_hex().starts_with(&p))
                    .map(|v| &v.value)
                    .collect();
                match matches.as_slice() {
                    [one] => FieldInput::Json((*one).clone()),
                    [] => return Err(ApiError::NoSuchValue(p)),
                    _ => return Err(ApiError::NoSuchValue(p)),
                }
            }
            (None, Some(v)) => v,
            _ => {
                return Err(ApiError::InvalidValue {
                    field: field.to_owned(),
                    problem: ValueProblem::PickOrValue,
                });
            }
        };
        self.edit_record(id, &[(field.to_owned(), value)], &[])
    }
}

impl ApiError {
    fn from_refused(e: verify::Refused<satchel_store::StoreError>) -> Self {
        match e {
            verify::Refused::Lookup(e) => e.into(),
            verify::Refused::Stopped => ApiError::Cancelled,
            verify::Refused::Form { name, reason } if name.is_empty() => {
                ApiError::InvalidForm(reason)
            }
            other => {
                let reason = match &other {
                    verify::Refused::AlreadyImported => BundleRefusal::AlreadyImported,
                    verify::Refused::BundleFork(_) => BundleRefusal::BundleFork,
                    verify::Refused::ClockAhead => BundleRefusal::ClockAhead,
                    verify::Refused::Form { name, .. } => {
                        BundleRefusal::Form(name.chars().take(40).collect())
                    }
                    verify::Refused::Membership(_) => BundleRefusal::Membership,
                    _ => BundleRefusal::Malformed,
                };
                ApiError::BundleContent {
                    reason,
                    detail: other.to_string(),
                }
            }
        }
    }

    fn bundle_body(e: BodyError) -> Self {
        match e {
            BodyError::Read(io) => match BundleError::from_io(&io) {
                Some(b) => ApiError::from(b),
                None => ApiError::from(io),
            },
            other => ApiError::BundleContent {
                reason: BundleRefusal::Malformed,
                detail: other.to_string(),
            },
        }
    }
}

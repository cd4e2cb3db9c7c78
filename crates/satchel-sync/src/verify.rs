//! Import verification: one pure, typed step between a bundle's parsed head and the
//! store. Every check an import makes lives here, in this order: the bundle's place
//! in its sender's chain, clocks, the organisation's membership as it will be after
//! the bundle, the forms and who published them, each op's values against its form,
//! each op's author and role ([`crate::authz`]), chains and forks ([`crate::sync`]),
//! the quarantine's bounds, and which withheld payloads may be filled in.
//!
//! [`verify`] is the only way to build a [`VerifiedImport`], and the store applies
//! nothing else, so nothing a peer sent is acted on before it was checked (the shape
//! of a certificate verifier that hands back a verified type). What the vault holds
//! comes in through a [`Context`] and the [`Known`] lookups; time comes in as an
//! argument. Given the same inputs, the same result, on every device.

use std::collections::{BTreeMap, BTreeSet};

use satchel_forms::{self as forms, Form};
use serde_json::Value;

use crate::{
    authz::{self, RecordFacts},
    bundle::BundleHead,
    hlc::Hlc,
    member::{Certificate, Members, Revocation, Role},
    op::{ASSIGNED_PREFIX, ATTACHMENT_PREFIX, Body, DeviceId, Op, OpId, RecordId},
    publication::Publication,
    sync::{Held, LIMITS, Plan, Reason, bound, plan},
    vv::VersionVector,
};

/// Longest detail kept with a quarantine entry, in characters.
pub const MAX_DETAIL: usize = 300;

/// What is known of a record here: who created it, whom it is assigned to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facts {
    /// The record's creator ([`crate::authz::creator`]).
    pub created_by: DeviceId,
    /// The members it is assigned to.
    pub assigned_to: Vec<DeviceId>,
}

/// Lookups into what the vault holds, asked only for what a bundle touches.
pub trait Known {
    /// The lookup's error (the store's).
    type Error;
    /// Facts about a record, if any op of it is held.
    fn record(&self, id: &RecordId) -> Result<Option<Facts>, Self::Error>;
    /// The id of the op held at `seq` of `author`'s chain.
    fn op_at(&self, author: &DeviceId, seq: u64) -> Result<Option<OpId>, Self::Error>;
    /// Whether the op is held as its header alone (its payload withheld or erased),
    /// and not void.
    fn withheld(&self, id: &OpId) -> Result<bool, Self::Error>;
    /// Whether the op is held void (in its author's chain, counting for nothing).
    fn is_void(&self, id: &OpId) -> Result<bool, Self::Error>;
    /// The op held at `seq` of `author`'s chain with its payload, unless void.
    fn held_op(&self, author: &DeviceId, seq: u64) -> Result<Option<Op>, Self::Error>;
    /// Asked between steps of long loops: `true` stops verification.
    fn stop(&self) -> bool {
        false
    }
}

/// The sender's bundle chain as this vault has seen it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SenderChain {
    /// This bundle (its id) was imported before.
    pub already_imported: bool,
    /// Another bundle with the same sender sequence was imported.
    pub same_seq_seen: bool,
    /// The hash of the sender's bundle just before this one, if it was imported.
    pub prev_hash: Option<[u8; 32]>,
}

/// A signed checkpoint the import keeps: the sender's, checked by the caller to extend
/// the one kept before and cosigned, or one of this device's own with a witness's
/// cosignature added (`satchel-audit`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeptCheckpoint {
    /// The log's origin.
    pub origin: String,
    /// Its size.
    pub size: u64,
    /// The note, with every cosignature kept.
    pub note: Vec<u8>,
}

/// What a verification needs besides the bundle: the vault's state, loaded by the
/// caller.
#[derive(Debug)]
pub struct Context<'a, K> {
    /// This device.
    pub me: DeviceId,
    /// Now, in milliseconds since 1970 (the verifier's clock, never the sender's).
    pub now_ms: u64,
    /// The sender, authenticated by the envelope, one of this device's peers.
    pub sender: DeviceId,
    /// The sender's chain of bundles as seen here.
    pub chain: SenderChain,
    /// The organisation's membership as held; `None`: a vault in no organisation.
    pub members: Option<&'a Members>,
    /// The forms as held, by name.
    pub forms: &'a BTreeMap<String, Form>,
    /// Per author, the last op held (chains are contiguous).
    pub have: &'a VersionVector,
    /// Per author, the id of that op.
    pub heads: &'a BTreeMap<DeviceId, OpId>,
    /// The quarantine as held.
    pub quarantine: Vec<Held>,
    /// Imports done before this one (the quarantine's clock).
    pub imports_done: u64,
    /// Everything else, looked up as needed.
    pub known: &'a K,
    /// The checkpoints to keep with the import, checked by the caller.
    pub checkpoints: Vec<KeptCheckpoint>,
}

/// Why a bundle was refused as a whole. Single ops never refuse a bundle: they are
/// set aside in the quarantine with their reason.
#[derive(Debug, thiserror::Error)]
pub enum Refused<E> {
    /// This bundle was imported before: nothing to do.
    #[error("this bundle was imported before")]
    AlreadyImported,
    /// The sender's bundle chain forks: another bundle at this sequence, or one that
    /// does not name the bundle before it.
    #[error("the sender's bundle sequence forks (two bundles numbered {0})")]
    BundleFork(u64),
    /// An op's clock is more than a day ahead of this device's.
    #[error("an op's clock is more than a day ahead of ours")]
    ClockAhead,
    /// A form in the bundle is not a valid definition, or a newer version drops a
    /// field, a type or an option.
    #[error("form `{name}`: {reason}")]
    Form {
        /// The form's name (peer text: neutralise before showing).
        name: String,
        /// What is wrong.
        reason: String,
    },
    /// The organisation's objects in the bundle cannot be combined with those held.
    #[error("membership: {0}")]
    Membership(String),
    /// [`Known::stop`] said so.
    #[error("stopped on request")]
    Stopped,
    /// A lookup failed.
    #[error("could not read the vault")]
    Lookup(E),
}

/// How many of each outcome, for the import's report.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Ops newly set aside as forks.
    pub forks: usize,
    /// Ops newly set aside because a value does not fit its form.
    pub invalid: usize,
    /// Ops newly set aside by the organisation's rules.
    pub refused: usize,
    /// Ops waiting in quarantine after this import.
    pub waiting: usize,
    /// Quarantine entries forgotten.
    pub dropped: usize,
    /// Form versions not installed: not published by a coordinator of this
    /// organisation.
    pub forms_refused: usize,
}

/// A bundle that passed every check, and what to do with it. Only [`verify`] builds
/// one; the store applies nothing else.
#[derive(Debug)]
pub struct VerifiedImport {
    bundle_id: [u8; 16],
    sender: DeviceId,
    sender_seq: u64,
    body_hash: [u8; 32],
    prev_bundle: [u8; 32],
    acks: VersionVector,
    plan: Plan,
    quarantine: Vec<Held>,
    forms: Vec<Form>,
    publications: Vec<(String, Publication)>,
    certificates: Vec<Certificate>,
    revocations: Vec<Revocation>,
    refills: Vec<Op>,
    void: BTreeSet<OpId>,
    to_void: Vec<OpId>,
    unvoid: Vec<Op>,
    attachments: BTreeSet<[u8; 32]>,
    counts: Counts,
    ops_in_bundle: usize,
    checkpoints: Vec<KeptCheckpoint>,
}

impl VerifiedImport {
    /// The checkpoints to keep.
    pub fn checkpoints(&self) -> &[KeptCheckpoint] {
        &self.checkpoints
    }

    /// The bundle's random id.
    pub fn bundle_id(&self) -> [u8; 16] {
        self.bundle_id
    }
    /// The sender.
    pub fn sender(&self) -> DeviceId {
        self.sender
    }
    /// The sender's bundle sequence.
    pub fn sender_seq(&self) -> u64 {
        self.sender_seq
    }
    /// The body's hash (the sender's bundle chain).
    pub fn body_hash(&self) -> [u8; 32] {
        self.body_hash
    }
    /// The hash of the sender's previous bundle, as this one names it.
    pub fn prev_bundle(&self) -> [u8; 32] {
        self.prev_bundle
    }
    /// The sender's acknowledgements.
    pub fn acks(&self) -> &VersionVector {
        &self.acks
    }
    /// Ops to apply (in chain and context order), and those already held.
    pub fn plan(&self) -> &Plan {
        &self.plan
    }
    /// The whole quarantine after this import.
    pub fn quarantine(&self) -> &[Held] {
        &self.quarantine
    }
    /// Form versions to install (each newer than the one held).
    pub fn forms(&self) -> &[Form] {
        &self.forms
    }
    /// In an organisation, the publications of those forms (by form name), to pass
    /// on with the publisher's signature.
    pub fn publications(&self) -> &[(String, Publication)] {
        &self.publications
    }
    /// The organisation's certificates not held yet.
    pub fn certificates(&self) -> &[Certificate] {
        &self.certificates
    }
    /// The organisation's revocations not held yet.
    pub fn revocations(&self) -> &[Revocation] {
        &self.revocations
    }
    /// Ops held as headers alone whose payload may now be filled in.
    pub fn refills(&self) -> &[Op] {
        &self.refills
    }
    /// Of the ops to apply, those that go in void: their author's chain holds their
    /// header, the records nothing of them (their content is in the quarantine).
    pub fn void_ids(&self) -> &BTreeSet<OpId> {
        &self.void
    }
    /// Ops held that a revocation in this bundle now voids.
    pub fn to_void(&self) -> &[OpId] {
        &self.to_void
    }
    /// Void ops the rules now allow, with their content, to count again.
    pub fn unvoid(&self) -> &[Op] {
        &self.unvoid
    }
    /// Whether an attachment in the bundle is named by an op in it.
    pub fn names_attachment(&self, hash: &[u8; 32]) -> bool {
        self.attachments.contains(hash)
    }
    /// What was set aside, dropped and refused.
    pub fn counts(&self) -> Counts {
        self.counts
    }
    /// Ops the bundle carried.
    pub fn ops_in_bundle(&self) -> usize {
        self.ops_in_bundle
    }
}

fn cut(text: &str) -> String {
    text.chars().take(MAX_DETAIL).collect()
}

/// Checks a received op's values against its form: the rules local input gets
/// (`satchel_forms`), one implementation. Returns what failed, for people.
pub fn check_values(
    op: &Op,
    forms: &BTreeMap<String, Form>,
    rules: &BTreeMap<String, forms::Rules>,
) -> Result<(), String> {
    let Some(Body::Write(w)) = &op.body else {
        return Ok(()); // deletes and purges carry no values; a purged write none left
    };
    let form = forms.get(&w.form).ok_or_else(|| {
        format!(
            "unknown form `{}`",
            w.form.chars().take(60).collect::<String>()
        )
    })?;
    // Versions only add (docs/forms.md): values made with an older one fit the newest
    // held; one made with a version not held yet waits for it to arrive.
    if let Some(v) = w.version
        && (v < 1 || v > form.version)
    {
        return Err(format!(
            "made with version {v} of form `{}`, not held here",
            w.form.chars().take(60).collect::<String>()
        ));
    }
    for (key, value) in &w.fields {
        if let Some(hex) = key.strip_prefix(ASSIGNED_PREFIX) {
            // Who may assign is the organisation's rule (authz); here only the shape.
            if hex.len() != 64
                || OpId::from_hex(hex).is_none()
                || !(value.is_null() || *value == Value::Bool(true))
            {
                return Err("an assignment names a member's key and is true or null".into());
            }
            continue;
        }
        let checked = match key.strip_prefix(ATTACHMENT_PREFIX) {
            Some(hex) if hex.len() == 64 && OpId::from_hex(hex).is_some() => {
                forms::validate_attachment(value)
            }
            Some(_) => Err(forms::FormError::InvalidValue {
                field: "attachment".into(),
                problem: forms::ValueProblem::AttachmentKey,
            }),
            None => form.field(key).and_then(|def| def.validate(value)),
        };
        checked.map_err(|e| cut(&e.to_string()))?;
    }
    // The form's skip logic and constraints, as a save here checks them: a creation
    // carries every value the record starts with; an edit only what it changes.
    if form.has_rules() {
        let rules = rules
            .get(&w.form)
            .ok_or_else(|| format!("the rules of form `{}` do not parse", cut(&w.form)))?;
        let get = |k: &str| w.fields.get(k);
        let out = if op.header.context == VersionVector::default() {
            rules.check(form, &get)
        } else {
            rules.check_known(form, &get)
        };
        if let Some((field, problem)) = out.problems.first() {
            return Err(cut(&format!("field `{field}`: {problem}")));
        }
    }
    Ok(())
}

/// The rules of each form that has any, parsed once for a whole import.
pub fn rules_of(forms: &BTreeMap<String, Form>) -> BTreeMap<String, forms::Rules> {
    forms
        .iter()
        .filter(|(_, f)| f.has_rules())
        .filter_map(|(name, f)| Some((name.clone(), forms::Rules::new(f).ok()?)))
        .collect()
}

/// Whether a received form version may be installed: in an organisation, only one
/// published to it by a coordinator heard now; in no organisation, any from a peer.
pub fn form_publisher_ok(
    p: &Publication,
    members: Option<&Members>,
    now_s: u64,
) -> Result<(), String> {
    let Some(members) = members else {
        return Ok(());
    };
    if p.org != members.org().0 {
        return Err("published to another organisation".into());
    }
    match members.at(now_s).check(p.publisher, u64::MAX) {
        Ok(Role::Coordinator) => Ok(()),
        Ok(role) => Err(format!("published by a member in the {role} role")),
        Err(e) => Err(format!("publisher not heard: {e}")),
    }
}

/// The membership with a bundle's objects of the same organisation added, and those
/// of them not held before (objects of another organisation are ignored).
pub fn members_after(
    members: &Members,
    certs: &[Certificate],
    revs: &[Revocation],
) -> Result<(Members, Vec<Certificate>, Vec<Revocation>), String> {
    let org = members.org();
    let new_certs: Vec<Certificate> = certs
        .iter()
        .filter(|c| c.org() == org && members.certificate(&c.id()).is_none())
        .cloned()
        .collect();
    let new_revs: Vec<Revocation> = revs
        .iter()
        .filter(|r| r.org() == org && members.revocations().all(|h| h.id() != r.id()))
        .cloned()
        .collect();
    if new_certs.is_empty() && new_revs.is_empty() {
        return Ok((members.clone(), new_certs, new_revs));
    }
    let after = Members::from_parts(
        org,
        members
            .certificates()
            .cloned()
            .chain(new_certs.iter().cloned()),
        members
            .revocations()
            .cloned()
            .chain(new_revs.iter().cloned()),
    )
    .map_err(|e| e.to_string())?;
    Ok((after, new_certs, new_revs))
}

/// Verifies a bundle's head against what the vault holds (see the module's
/// documentation for the checks and their order).
pub fn verify<K: Known>(
    head: &BundleHead,
    body_hash: [u8; 32],
    ctx: Context<'_, K>,
) -> Result<VerifiedImport, Refused<K::Error>> {
    let known = ctx.known;
    // The sender's bundle chain.
    if ctx.chain.already_imported {
        return Err(Refused::AlreadyImported);
    }
    if ctx.chain.same_seq_seen || ctx.chain.prev_hash.is_some_and(|h| h != head.prev_bundle) {
        return Err(Refused::BundleFork(head.sender_seq));
    }
    // Clocks: a day ahead of ours at most.
    if head
        .ops
        .iter()
        .any(|o| o.header.hlc.check_drift(ctx.now_ms).is_err())
    {
        return Err(Refused::ClockAhead);
    }
    let now_s = ctx.now_ms / 1000;
    // The organisation as it will be after this bundle judges its forms and ops.
    let (members, certificates, revocations) = match ctx.members {
        Some(m) => {
            let (after, c, r) = members_after(m, &head.certificates, &head.revocations)
                .map_err(Refused::Membership)?;
            (Some(after), c, r)
        }
        None => (None, Vec::new(), Vec::new()),
    };
    // Forms: published by a coordinator (in an organisation), valid, and a newer
    // version keeps every field, type and option of the one held.
    let mut counts = Counts::default();
    let mut forms_after = ctx.forms.clone();
    let mut forms = Vec::new();
    let mut publications = Vec::new();
    for p in &head.forms {
        if form_publisher_ok(p, members.as_ref(), now_s).is_err() {
            counts.forms_refused += 1;
            continue;
        }
        let f = Form::parse(&p.json).map_err(|e| Refused::Form {
            name: String::new(),
            reason: e.to_string(),
        })?;
        match forms_after.get(&f.name) {
            Some(have) if have.version >= f.version => continue,
            Some(have) => f.check_successor(have).map_err(|e| Refused::Form {
                name: f.name.clone(),
                reason: e.to_string(),
            })?,
            None => {}
        }
        if members.is_some() {
            publications.push((f.name.clone(), p.clone()));
        }
        forms_after.insert(f.name.clone(), f.clone());
        forms.push(f);
    }
    // The ops: the bundle's and those waiting in quarantine.
    let imports_now = ctx.imports_done.saturating_add(1);
    let was: BTreeMap<OpId, (Reason, u64)> = ctx
        .quarantine
        .iter()
        .map(|h| (h.op.id, (h.reason, h.since)))
        .collect();
    let since = |id: &OpId| was.get(id).map_or(imports_now, |(_, s)| *s);
    let mut entries: Vec<Held> = Vec::new();
    let mut incoming: Vec<Op> = Vec::new();
    for h in ctx.quarantine {
        // Forks stay set aside as they are; the others are looked at again.
        if h.reason == Reason::Fork {
            entries.push(h);
        } else {
            incoming.push(h.op);
        }
    }
    incoming.extend(head.ops.iter().cloned());
    let have = ctx.have;
    // Values against their form (ops at a sequence held are the op held there, or a
    // fork: checked below, never merged again).
    let mut held_seq: Vec<Op> = Vec::new();
    let mut new = Vec::new();
    let rules = rules_of(&forms_after);
    for (i, op) in incoming.into_iter().enumerate() {
        if i % 256 == 255 && known.stop() {
            return Err(Refused::Stopped);
        }
        if op.header.seq <= have.get(&op.header.author) {
            held_seq.push(op);
            continue;
        }
        match check_values(&op, &forms_after, &rules) {
            Ok(()) => new.push(op),
            Err(detail) => entries.push(Held {
                since: since(&op.id),
                op,
                reason: Reason::Invalid,
                detail,
            }),
        }
    }
    // Who may write what, in an organisation.
    let (mut checked, refused) = match &members {
        Some(m) => authorise(m, now_s, new, known)?,
        None => (new, Vec::new()),
    };
    // A member's op the rules refuse goes into its author's chain void, so the rest
    // of their work is not held back; an unknown or lapsed author's waits.
    let mut void = BTreeSet::new();
    for (op, why) in refused {
        if goes_void(&why) {
            void.insert(op.id);
            checked.push(header_only(&op));
        }
        entries.push(Held {
            since: since(&op.id),
            op,
            reason: Reason::Refused,
            detail: cut(&why.to_string()),
        });
    }
    // Refused ops held void are judged again: the rules may allow them now.
    let mut unvoid = Vec::new();
    let mut judged_again: BTreeMap<OpId, Op> = BTreeMap::new();
    held_seq.retain(|op| {
        let again = was.get(&op.id).is_some_and(|(r, _)| *r == Reason::Refused);
        if again {
            // The copy with its content, if any copy has it.
            let e = judged_again.entry(op.id).or_insert_with(|| op.clone());
            if e.payload.is_none() {
                *e = op.clone();
            }
        }
        !again
    });
    if let Some(m) = &members {
        for op in judged_again.into_values() {
            if !known.is_void(&op.id).map_err(Refused::Lookup)? {
                continue; // no longer void here: nothing to keep aside
            }
            let (ok, no) = authorise(m, now_s, vec![op.clone()], known)?;
            if ok.is_empty() {
                let why = no.first().map(|(_, e)| e.to_string()).unwrap_or_default();
                entries.push(Held {
                    since: since(&op.id),
                    op,
                    reason: Reason::Refused,
                    detail: cut(&why),
                });
            } else {
                unvoid.extend(ok);
            }
        }
    }
    // Ops held from a device a revocation in this bundle now reaches: void from its
    // point on, their content kept aside.
    let mut to_void = Vec::new();
    if let (Some(before), Some(after)) = (ctx.members, &members) {
        for h in newly_revoked(before, after, have, now_s, imports_now, known)? {
            to_void.push(h.op.id);
            entries.push(h);
        }
    }
    checked.extend(held_seq);
    // Chains and forks.
    let mut planned = plan(have, ctx.heads, checked);
    let mut known_ops = Vec::new();
    for op in std::mem::take(&mut planned.known) {
        let held = known
            .op_at(&op.header.author, op.header.seq)
            .map_err(Refused::Lookup)?;
        if held.is_some_and(|id| id != op.id) {
            planned.broken.push(op);
        } else {
            known_ops.push(op);
        }
    }
    planned.known = known_ops;
    for op in std::mem::take(&mut planned.broken) {
        entries.push(Held {
            since: since(&op.id),
            detail: format!(
                "another op of its author holds or precedes sequence {}",
                op.header.seq
            ),
            op,
            reason: Reason::Fork,
        });
    }
    for op in std::mem::take(&mut planned.wait) {
        entries.push(Held {
            since: since(&op.id),
            detail: String::new(),
            op,
            reason: Reason::Waiting,
        });
    }
    let mut have_after = have.clone();
    for op in &planned.apply {
        have_after.observe(op.header.author, op.header.seq);
    }
    let bounded = bound(entries, &have_after, imports_now, &LIMITS);
    let newly = |reason: Reason| {
        bounded
            .kept
            .iter()
            .filter(|h| h.reason == reason && was.get(&h.op.id).is_none_or(|(r, _)| *r != reason))
            .count()
    };
    counts.forks = newly(Reason::Fork);
    counts.invalid = newly(Reason::Invalid);
    counts.refused = newly(Reason::Refused);
    counts.waiting = bounded
        .kept
        .iter()
        .filter(|h| h.reason == Reason::Waiting)
        .count();
    counts.dropped = bounded.expired.len() + bounded.over.len();
    let refills = match &members {
        Some(m) => refills(ctx.me, m, now_s, &planned, &forms_after, known)?,
        None => Vec::new(),
    };
    let mut attachments = BTreeSet::new();
    for op in &head.ops {
        if let Some(Body::Write(w)) = &op.body {
            attachments.extend(w.attachments());
        }
    }
    Ok(VerifiedImport {
        bundle_id: head.bundle_id,
        sender: ctx.sender,
        sender_seq: head.sender_seq,
        body_hash,
        prev_bundle: head.prev_bundle,
        acks: head.acks.clone(),
        plan: planned,
        quarantine: bounded.kept,
        forms,
        publications,
        certificates,
        revocations,
        refills,
        void,
        to_void,
        unvoid,
        attachments,
        counts,
        ops_in_bundle: head.ops.len(),
        checkpoints: ctx.checkpoints,
    })
}

/// Ops held that `after` revokes and `before` did not: each device's ops from its
/// revocation point to the last held, with their content, as quarantine entries.
/// What a revocation, arriving by bundle or made here, voids.
pub fn newly_revoked<K: Known>(
    before: &Members,
    after: &Members,
    have: &VersionVector,
    now_s: u64,
    imports_now: u64,
    known: &K,
) -> Result<Vec<Held>, Refused<K::Error>> {
    let mut out = Vec::new();
    for (author, last) in &have.0 {
        let Err(crate::member::Refusal::Revoked { from_seq }) =
            after.at(now_s).check(*author, *last)
        else {
            continue;
        };
        let was_from = match before.at(now_s).check(*author, *last) {
            Err(crate::member::Refusal::Revoked { from_seq }) => from_seq,
            _ => u64::MAX,
        };
        for seq in from_seq..was_from.min(last.saturating_add(1)) {
            if let Some(op) = known.held_op(author, seq).map_err(Refused::Lookup)? {
                out.push(Held {
                    since: imports_now,
                    detail: cut(&crate::member::Refusal::Revoked { from_seq }.to_string()),
                    op,
                    reason: Reason::Refused,
                });
            }
        }
    }
    Ok(out)
}

/// Whether a refused op goes into its author's chain void: its author is a member
/// (the role does not allow it, or the device was revoked from this point), so the
/// refusal will not change by waiting for a certificate.
fn goes_void(why: &authz::OpRefused) -> bool {
    matches!(
        why,
        authz::OpRefused::Role(_)
            | authz::OpRefused::Author(crate::member::Refusal::Revoked { .. })
    )
}

/// The op as its header alone: what a void op keeps in the chain.
fn header_only(op: &Op) -> Op {
    let mut out = op.clone();
    out.payload = None;
    out.body = None;
    out
}

/// Sorted by the organisation's rules: ops whose author is heard in a role that
/// allows them, and those refused with why.
type Sorted = (Vec<Op>, Vec<(Op, authz::OpRefused)>);

/// The records' facts as held, with the creation and the coordinators' assignments
/// this batch brings.
struct Records<'k, K: Known> {
    known: &'k K,
    held: BTreeMap<RecordId, Option<Facts>>,
    /// A record first seen in this batch was created by its earliest creation here.
    first: BTreeMap<RecordId, (Hlc, DeviceId)>,
    assigned: BTreeMap<RecordId, Vec<DeviceId>>,
}

impl<K: Known> Records<'_, K> {
    fn facts(&mut self, op: &Op) -> Result<Option<Facts>, Refused<K::Error>> {
        let record = op.header.record;
        let held = match self.held.get(&record) {
            Some(f) => f.clone(),
            None => {
                let f = self.known.record(&record).map_err(Refused::Lookup)?;
                self.held.insert(record, f.clone());
                f
            }
        };
        let batch = self.assigned.get(&record).cloned().unwrap_or_default();
        Ok(match held {
            Some(mut f) => {
                f.assigned_to.extend(batch);
                Some(f)
            }
            None => {
                // The op that creates a record needs no facts about it.
                let first = self.first.get(&record).copied();
                if first == Some((op.header.hlc, op.header.author)) {
                    None
                } else {
                    first.map(|(_, created_by)| Facts {
                        created_by,
                        assigned_to: batch,
                    })
                }
            }
        })
    }
}

fn authorise<K: Known>(
    members: &Members,
    now_s: u64,
    ops: Vec<Op>,
    known: &K,
) -> Result<Sorted, Refused<K::Error>> {
    let at = members.at(now_s);
    let mut records = Records {
        known,
        held: BTreeMap::new(),
        first: BTreeMap::new(),
        assigned: BTreeMap::new(),
    };
    for op in &ops {
        let h = &op.header;
        if authz::creates(h) {
            let e = records.first.entry(h.record).or_insert((h.hlc, h.author));
            if (h.hlc, h.author) < *e {
                *e = (h.hlc, h.author);
            }
        }
        // Assignments a coordinator makes in this batch count for the ops after them.
        if let Some(Body::Write(w)) = &op.body
            && w.touches_assignment()
            && at.check_op(h) == Ok(Role::Coordinator)
        {
            let state = crate::merge::materialise(&[op.view()]);
            records
                .assigned
                .entry(h.record)
                .or_default()
                .extend(state.map(|s| s.assigned_to()).unwrap_or_default());
        }
    }
    let (mut ok, mut refused) = (Vec::new(), Vec::new());
    for (i, op) in ops.into_iter().enumerate() {
        if i % 256 == 255 && known.stop() {
            return Err(Refused::Stopped);
        }
        let facts = records.facts(&op)?;
        let facts = facts.as_ref().map(|f| RecordFacts {
            created_by: f.created_by,
            assigned_to: &f.assigned_to,
        });
        match authz::check(&at, &op, facts.as_ref()) {
            Ok(_) => ok.push(op),
            Err(e) => refused.push((op, e)),
        }
    }
    Ok((ok, refused))
}

/// Ops held here as headers alone whose payload the bundle brings: taken when the
/// record is assigned to this device (as held or by this bundle), after the checks a
/// new op gets. A purge's erasure is redone by the store as it refreshes the record.
fn refills<K: Known>(
    me: DeviceId,
    members: &Members,
    now_s: u64,
    planned: &Plan,
    forms: &BTreeMap<String, Form>,
    known: &K,
) -> Result<Vec<Op>, Refused<K::Error>> {
    let mine = format!("{ASSIGNED_PREFIX}{}", data_encoding::HEXLOWER.encode(&me.0));
    let newly: BTreeSet<RecordId> = planned
        .apply
        .iter()
        .filter(|o| match &o.body {
            Some(Body::Write(w)) => w.fields.get(&mine) == Some(&Value::Bool(true)),
            _ => false,
        })
        .map(|o| o.header.record)
        .collect();
    let at = members.at(now_s);
    let rules = rules_of(forms);
    let mut out = Vec::new();
    for op in planned.known.iter().filter(|o| o.payload.is_some()) {
        if !known.withheld(&op.id).map_err(Refused::Lookup)? {
            continue;
        }
        let record = op.header.record;
        let facts = known.record(&record).map_err(Refused::Lookup)?;
        let assigned = facts.as_ref().is_some_and(|f| f.assigned_to.contains(&me));
        if !newly.contains(&record) && !assigned {
            continue;
        }
        let facts = facts.as_ref().map(|f| RecordFacts {
            created_by: f.created_by,
            assigned_to: &f.assigned_to,
        });
        if check_values(op, forms, &rules).is_ok() && authz::check(&at, op, facts.as_ref()).is_ok()
        {
            out.push(op.clone());
        }
    }
    Ok(out)
}

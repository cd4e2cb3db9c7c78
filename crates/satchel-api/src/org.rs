//! The organisation on this device: creating one, enrolling devices into it, and the
//! member list (`satchel_sync::member`, ADR 0018). Membership objects are kept in the
//! vault as their signed bytes; the state is worked out from the whole set each time.
//! Every bundle carries the whole set, and the forms as their publishers signed them.

use satchel_crypto::rng;
use satchel_store::MemberObject;
use satchel_sync::member::{
    Certificate, DAY, EnrolmentRequest, MAX_VALIDITY, Members, OrgId, OrgRoot, Refusal, Revocation,
    Role, SERIAL_LEN,
};
use std::collections::{BTreeMap, BTreeSet};

use satchel_sync::{
    authz::{self, RecordFacts},
    op::{ASSIGNED_PREFIX, Body, DeviceId, Op, OpKind, RecordId, WriteBody},
    publication::Publication,
    vv::VersionVector,
};
use serde::Serialize;

use crate::{
    error::{ApiError, ErrorParam, MemberReason, MembershipRefusal, Result},
    records::now_ms,
    vault::Vault,
};

const META_ORG: &str = "org-id";
const META_ORG_NAME: &str = "org-name";
/// The root key, on the device that created the organisation (ADR 0018: to be
/// exported and kept offline once coordinators are certified).
const META_ORG_ROOT: &str = "org-root";
use satchel_store::META_FORM_PUB;

/// How authors are shown: in an organisation by member name and role, with this
/// device marked; otherwise by the first fingerprint words of their key.
pub(crate) struct Authors {
    names: BTreeMap<DeviceId, String>,
}

impl Authors {
    pub(crate) fn name(&self, author: &DeviceId) -> String {
        self.names
            .get(author)
            .cloned()
            .unwrap_or_else(|| crate::records::author_name(author))
    }
}

/// How long a certificate lasts unless asked otherwise.
pub const DEFAULT_VALID_DAYS: u64 = 365;

fn now_s() -> u64 {
    now_ms() / 1000
}

/// A name from the user, cut short for an error message.
fn shown(name: &str) -> String {
    name.chars().take(64).collect()
}

/// A refusal from the membership rules, with the rule it names.
pub(crate) trait Refuses: std::fmt::Display {
    fn reason(&self) -> MemberReason;
}

impl Refuses for satchel_sync::member::MemberError {
    fn reason(&self) -> MemberReason {
        MemberReason::from(self)
    }
}

impl Refuses for authz::Denied {
    fn reason(&self) -> MemberReason {
        self.reason.into()
    }
}

impl<E: std::fmt::Debug> Refuses for satchel_sync::verify::Refused<E> {
    fn reason(&self) -> MemberReason {
        MemberReason::Other
    }
}

pub(crate) fn bad(e: impl Refuses) -> ApiError {
    ApiError::Membership(MembershipRefusal::new(e.reason(), e))
}

pub(crate) fn refused(reason: MemberReason, message: impl std::fmt::Display) -> ApiError {
    ApiError::Membership(MembershipRefusal::new(reason, message))
}

fn refused_with(
    reason: MemberReason,
    param: (&'static str, impl Into<ErrorParam>),
    message: impl std::fmt::Display,
) -> ApiError {
    ApiError::Membership(MembershipRefusal::new(reason, message).with(param.0, param.1))
}

/// A date as people read it (UTC).
fn day(secs: u64) -> String {
    i64::try_from(secs)
        .ok()
        .and_then(|s| time::OffsetDateTime::from_unix_timestamp(s).ok())
        .map_or_else(|| "?".to_owned(), |t| t.date().to_string())
}

/// The organisation this vault belongs to.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct OrgInfo {
    /// Its id (the root's public key, hex).
    pub id: String,
    /// Its name, as given where it was created (not signed; a label).
    pub name: String,
}

/// `org create`: the organisation and this device's coordinator certificate.
#[derive(Debug, Clone, Serialize)]
pub struct OrgCreated {
    /// The organisation.
    pub org: OrgInfo,
    /// This device as a member.
    pub member: MemberView,
}

/// `enrol request`: what to carry to a coordinator.
#[derive(Debug, Clone, Serialize)]
pub struct RequestOut {
    /// The request as text (`SATCHEL-ENROL-…`).
    pub text: String,
    /// The name asked for.
    pub name: String,
    /// This device's fingerprint, for the coordinator to compare.
    pub fingerprint: String,
}

/// `enrol approve`: the certificate and what the device needs with it.
#[derive(Debug, Clone, Serialize)]
pub struct Approval {
    /// Lines of text: the new certificate first, then the coordinators' certificates
    /// that vouch for it.
    pub text: String,
    /// The new member.
    pub member: MemberView,
}

/// One member, as `member list` shows it.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct MemberView {
    /// The name their certificate gives.
    pub name: String,
    /// `field`, `coordinator` or `auditor`.
    pub role: String,
    /// Their device's fingerprint (words).
    pub fingerprint: String,
    /// Valid from (UTC date).
    pub valid_from: String,
    /// Valid until (UTC date).
    pub valid_until: String,
    /// `active`, `expired`, `not yet valid`, `revoked from op N` or `not vouched for`.
    pub status: String,
    /// Whether this is this device.
    pub this_device: bool,
    /// The last op held from this device (0: none).
    pub last_op: u64,
}

fn status(s: &std::result::Result<Role, Refusal>) -> String {
    match s {
        Ok(_) => "active".into(),
        Err(Refusal::Expired { .. }) => "expired".into(),
        Err(Refusal::NotYetValid { .. }) => "not yet valid".into(),
        Err(Refusal::Revoked { from_seq }) => format!("revoked from op {from_seq}"),
        Err(Refusal::BadIssuer) => "not vouched for".into(),
        Err(_) => "unknown".into(),
    }
}

fn valid_days(days: u64) -> Result<u64> {
    if days == 0 || days.saturating_mul(DAY) > MAX_VALIDITY {
        return Err(refused_with(
            MemberReason::ValidDays,
            ("max", MAX_VALIDITY / DAY),
            format!("a certificate lasts 1 to {} days", MAX_VALIDITY / DAY),
        ));
    }
    Ok(days)
}

/// Certificates and revocations from text, one per line (blank lines and `#`
/// comments skipped).
fn parse_objects(text: &str) -> Result<(Vec<Certificate>, Vec<Revocation>)> {
    let (mut certs, mut revs) = (Vec::new(), Vec::new());
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if line.starts_with(satchel_sync::member::REVOCATION_PREFIX) {
            revs.push(Revocation::from_text(line).map_err(bad)?);
        } else {
            certs.push(Certificate::from_text(line).map_err(bad)?);
        }
    }
    Ok((certs, revs))
}

/// The newest certificate of the one device named `name`.
fn named_cert(members: &Members, name: &str) -> Result<Certificate> {
    let named: Vec<&Certificate> = members
        .certificates()
        .filter(|c| c.name() == name.trim())
        .collect();
    let devices: std::collections::BTreeSet<DeviceId> =
        named.iter().map(|c| c.device_id()).collect();
    match (devices.len(), named.iter().max_by_key(|c| c.not_before())) {
        (1, Some(c)) => Ok((*c).clone()),
        (0, _) | (_, None) => Err(refused_with(
            MemberReason::NoMember,
            ("name", shown(name)),
            format!(
                "no member named `{}`; see `satchel member list`",
                shown(name)
            ),
        )),
        _ => Err(refused_with(
            MemberReason::SeveralMembers,
            ("name", shown(name)),
            format!("several devices are named `{}`", shown(name)),
        )),
    }
}

impl Vault {
    /// The organisation, if this vault is in one.
    pub fn org(&self) -> Result<Option<OrgInfo>> {
        let Some(id) = self.store.meta_get(META_ORG)? else {
            return Ok(None);
        };
        let name = self
            .store
            .meta_get(META_ORG_NAME)?
            .map(|n| String::from_utf8_lossy(&n).into_owned())
            .unwrap_or_default();
        Ok(Some(OrgInfo {
            id: data_encoding::HEXLOWER.encode(&id),
            name,
        }))
    }

    pub(crate) fn org_id(&self) -> Result<Option<OrgId>> {
        Ok(self
            .store
            .meta_get(META_ORG)?
            .and_then(|v| <[u8; 32]>::try_from(v.as_slice()).ok())
            .map(OrgId))
    }

    /// The membership state from every object held, or `None` outside an
    /// organisation.
    pub(crate) fn members_state(&self) -> Result<Option<Members>> {
        let Some(org) = self.org_id()? else {
            return Ok(None);
        };
        let certs = self
            .store
            .member_objects(MemberObject::Certificate)?
            .iter()
            .map(|b| Certificate::read(b))
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|_| ApiError::DatabaseDamaged)?;
        let revs = self
            .store
            .member_objects(MemberObject::Revocation)?
            .iter()
            .map(|b| Revocation::read(b))
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|_| ApiError::DatabaseDamaged)?;
        Ok(Some(Members::from_parts(org, certs, revs).map_err(bad)?))
    }

    /// What a bundle carries of the organisation: every certificate and revocation.
    pub(crate) fn members_to_send(&self) -> Result<(Vec<Certificate>, Vec<Revocation>)> {
        Ok(match self.members_state()? {
            Some(m) => (
                m.certificates().cloned().collect(),
                m.revocations().cloned().collect(),
            ),
            None => (Vec::new(), Vec::new()),
        })
    }

    /// The forms a bundle carries. In an organisation, the versions coordinators
    /// published, with their signatures; in no organisation, every form, signed by
    /// this device (peers there are trusted by hand, as before).
    pub(crate) fn forms_to_send(&self) -> Result<Vec<Publication>> {
        if self.org_id()?.is_some() {
            return self
                .store
                .meta_with_prefix(META_FORM_PUB)?
                .iter()
                .map(|(_, bytes)| match Publication::read(bytes) {
                    Ok((p, [])) => Ok(p),
                    _ => Err(ApiError::DatabaseDamaged),
                })
                .collect();
        }
        self.forms
            .values()
            .map(|f| Ok(Publication::sign(&self.device, [0; 32], f.to_json()?)))
            .collect()
    }

    /// `form publish`: signs the installed version of a form for the organisation, so
    /// that it travels in every bundle. Coordinators only.
    pub fn publish_form(&mut self, name: &str) -> Result<crate::form::Form> {
        self.not_decoy()?;
        let form = self.form(name)?;
        let Some(members) = self.members_state()? else {
            return Err(refused(
                MemberReason::NotInOrganisation,
                "this vault is in no organisation: its forms travel to its peers as they are",
            ));
        };
        let me = DeviceId(self.device.public().signing);
        let role = members.at(now_s()).check(me, u64::MAX).map_err(|e| {
            refused(
                MemberReason::NotMemberNow,
                format!("this device cannot publish: {e}"),
            )
        })?;
        authz::authorise(role, me, authz::Action::PublishForm, None).map_err(bad)?;
        let p = Publication::sign(&self.device, members.org().0, form.to_json()?);
        self.store
            .meta_set(&format!("{META_FORM_PUB}{}", form.name), &p.write())?;
        Ok(form)
    }

    /// Refuses unless this device acts as a coordinator now, for what only
    /// coordinators do beyond the rules every op is checked against (an audit export
    /// of the whole organisation's history). A vault in no organisation is its own
    /// coordinator.
    pub fn check_coordinator(&self) -> Result<()> {
        let Some(members) = self.members_state()? else {
            return Ok(());
        };
        let me = DeviceId(self.device.public().signing);
        match members.at(now_s()).check(me, u64::MAX) {
            Ok(Role::Coordinator) => Ok(()),
            Ok(role) => Err(refused(
                MemberReason::CoordinatorOnly,
                format!("only a coordinator of the organisation may do that, not a {role} member"),
            )),
            Err(e) => Err(refused(
                MemberReason::NotMemberNow,
                format!("this device is not a member of the organisation now: {e}"),
            )),
        }
    }

    /// In an organisation, only a coordinator installs forms (and publishes them at
    /// once): a form only one device knows would set aside every record made with it
    /// everywhere else.
    pub(crate) fn may_install_forms(&self) -> Result<bool> {
        let Some(members) = self.members_state()? else {
            return Ok(false);
        };
        let me = DeviceId(self.device.public().signing);
        let role = members.at(now_s()).check(me, u64::MAX).map_err(|e| {
            refused(
                MemberReason::NotMemberNow,
                format!("this device cannot install forms: {e}"),
            )
        })?;
        authz::authorise(role, me, authz::Action::PublishForm, None).map_err(bad)?;
        Ok(true)
    }

    /// The field worker a bundle is for, when it is for one: such a bundle is made
    /// for them alone, since everything in a bundle is readable by all its
    /// recipients.
    pub(crate) fn field_recipient(
        &self,
        peers: &[satchel_store::Peer],
    ) -> Result<Option<DeviceId>> {
        let Some(members) = self.members_state()? else {
            return Ok(None);
        };
        let at = members.at(now_s());
        let field: Vec<DeviceId> = peers
            .iter()
            .map(|p| DeviceId(p.signing))
            .filter(|d| at.check(*d, u64::MAX).is_ok_and(|r| r == Role::Field))
            .collect();
        match (field.as_slice(), peers.len()) {
            ([], _) => Ok(None),
            ([one], 1) => Ok(Some(*one)),
            _ => Err(refused(
                MemberReason::FieldWorkerExport,
                "a field worker's bundle carries only the records they created or were assigned: export for each field worker on their own",
            )),
        }
    }

    /// Need to know: of the ops after `floor`, a field worker receives in full only
    /// those of records they created or are assigned; of every other record, only the
    /// signed headers that keep each chain whole, with no content and no attachments.
    /// A record newly assigned to them comes with all its ops in full, those they hold
    /// as headers too. The ops go to `add` one at a time in chain order (author, then
    /// sequence), as [`Store::each_op_after`] reads them: at 100,000 records, holding
    /// them all took ~120 MiB the allocator kept.
    ///
    /// [`Store::each_op_after`]: satchel_store::Store::each_op_after
    pub(crate) fn each_need_to_know(
        &self,
        field: DeviceId,
        floor: &VersionVector,
        add: &mut dyn FnMut(Op) -> Result<()>,
    ) -> Result<()> {
        let key = format!(
            "{ASSIGNED_PREFIX}{}",
            data_encoding::HEXLOWER.encode(&field.0)
        );
        // First the records assigned to them by what is sent: a record id each.
        let mut newly: BTreeSet<RecordId> = BTreeSet::new();
        self.store.each_op_after(floor, |op| {
            if matches!(&op.body, Some(Body::Write(w))
                if w.fields.get(&key) == Some(&serde_json::Value::Bool(true)))
            {
                newly.insert(op.header.record);
            }
            Ok::<_, ApiError>(())
        })?;
        // Their ops the peer has already (as headers) go again, merged into the stream.
        let mut earlier: Vec<Op> = Vec::new();
        for record in &newly {
            earlier.extend(
                self.store
                    .record_ops(record)?
                    .into_iter()
                    .filter(|o| o.header.seq <= floor.get(&o.header.author)),
            );
        }
        earlier.sort_by_key(|o| (o.header.author, o.header.seq));
        let mut earlier = earlier.into_iter().peekable();
        let mut visible: BTreeMap<RecordId, bool> = BTreeMap::new();
        let mut show = |mut op: Op| -> Result<()> {
            let record = op.header.record;
            let shown = match visible.get(&record) {
                Some(v) => *v,
                None => {
                    let v = self.store.record_creator(&record.0)? == Some(field.0)
                        || self.assigned_to(&record)?.contains(&field);
                    visible.insert(record, v);
                    v
                }
            };
            // The op that takes their assignment back is theirs to see.
            let about_them =
                matches!(&op.body, Some(Body::Write(w)) if w.fields.contains_key(&key));
            if !shown && !about_them {
                op.payload = None;
                op.body = None;
            }
            add(op)
        };
        self.store.each_op_after(floor, |op| {
            let at = (op.header.author, op.header.seq);
            while let Some(e) = earlier.next_if(|e| (e.header.author, e.header.seq) < at) {
                show(e)?;
            }
            show(op)
        })?;
        earlier.try_for_each(show)
    }

    fn require_no_org(&self) -> Result<()> {
        match self.org()? {
            Some(o) => Err(refused_with(
                MemberReason::AlreadyInOrganisation,
                ("name", o.name.chars().take(80).collect::<String>()),
                format!("this vault is already in the organisation `{}`", o.name),
            )),
            None => Ok(()),
        }
    }

    fn store_certs(&mut self, certs: &[Certificate]) -> Result<()> {
        let objects: Vec<([u8; 32], Vec<u8>)> =
            certs.iter().map(|c| (c.id().0, c.write())).collect();
        self.store.member_put(MemberObject::Certificate, &objects)?;
        Ok(())
    }

    /// Keeps revocations; the ops held that one now reaches go void, their content
    /// set aside in the quarantine (as an import carrying them would do).
    fn store_revocations(&mut self, revs: &[Revocation]) -> Result<()> {
        let before = self.members_state()?;
        let objects: Vec<([u8; 32], Vec<u8>)> =
            revs.iter().map(|r| (r.id().0, r.write())).collect();
        self.store.member_put(MemberObject::Revocation, &objects)?;
        if let (Some(before), Some(after)) = (before, self.members_state()?) {
            let have = self.store.have()?;
            let imports = self.store.imports_done()?;
            let held = satchel_sync::verify::newly_revoked(
                &before,
                &after,
                &have,
                now_s(),
                imports.saturating_add(1),
                &self.store,
            )
            .map_err(|e| match e {
                satchel_sync::verify::Refused::Lookup(e) => ApiError::from(e),
                other => bad(other),
            })?;
            if !held.is_empty() {
                self.store.void_held(&held)?;
            }
        }
        Ok(())
    }

    /// One member as shown: `status` is what [`Members::list`] said of them.
    fn view_of(&self, cert: &Certificate, status: String) -> Result<MemberView> {
        Ok(MemberView {
            name: cert.name().to_owned(),
            role: cert.role().to_string(),
            fingerprint: cert.device().fingerprint().to_string(),
            valid_from: day(cert.not_before()),
            valid_until: day(cert.not_after()),
            status,
            this_device: *cert.device() == self.device.public(),
            last_op: self.store.last_seq(&cert.device().signing)?,
        })
    }

    /// The member `cert` names, with their state now.
    fn member_view(&self, members: &Members, cert: &Certificate) -> Result<MemberView> {
        let st = members
            .list(now_s())
            .into_iter()
            .find(|e| e.certificate.device_id() == cert.device_id())
            .map_or_else(|| "unknown".to_owned(), |e| status(&e.status));
        self.view_of(cert, st)
    }

    /// `org create`: a new organisation whose root key stays in this vault, and a
    /// coordinator certificate for this device under `member_name`.
    pub fn org_create(&mut self, name: &str, member_name: &str, days: u64) -> Result<OrgCreated> {
        self.not_decoy()?;
        self.require_no_org()?;
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 80 || name.chars().any(char::is_control) {
            return Err(refused(
                MemberReason::OrganisationName,
                "an organisation's name is 1 to 80 characters",
            ));
        }
        let days = valid_days(days)?;
        let secret = zeroize::Zeroizing::new(rng::array::<64>()?);
        let (root, cert) = OrgRoot::create(
            *secret,
            &self.device.public(),
            member_name.trim(),
            rng::array::<SERIAL_LEN>()?,
            now_s(),
            days,
        )
        .map_err(bad)?;
        self.store
            .meta_set(META_ORG_ROOT, &root.to_secret_bytes())?;
        self.store_certs(std::slice::from_ref(&cert))?;
        self.store.meta_set(META_ORG_NAME, name.as_bytes())?;
        // Last: from here on the vault counts as in the organisation.
        self.store.meta_set(META_ORG, &root.org().0)?;
        let members = self.members_state()?.ok_or(ApiError::DatabaseDamaged)?;
        Ok(OrgCreated {
            org: self.org()?.ok_or(ApiError::DatabaseDamaged)?,
            member: self.member_view(&members, &cert)?,
        })
    }

    /// `enrol request`: a request to join, under `name`, for a coordinator to
    /// approve. Made by a device in no organisation.
    pub fn enrol_request(&self, name: &str) -> Result<RequestOut> {
        self.require_no_org()?;
        let req =
            EnrolmentRequest::create(&self.device, name.trim(), rng::array()?).map_err(bad)?;
        Ok(RequestOut {
            text: req.to_text(),
            name: req.name().to_owned(),
            fingerprint: req.fingerprint().to_string(),
        })
    }

    /// `enrol approve`: a certificate for the device that made the request, in
    /// `role`, signed by this device, which must be a coordinator now. `typed` is
    /// the fingerprint as the coordinator read it from the requesting device's own
    /// screen (at least its first four words): no approval without that comparison.
    pub fn enrol_approve(
        &mut self,
        text: &str,
        typed: &str,
        role: &str,
        days: u64,
    ) -> Result<Approval> {
        self.not_decoy()?;
        // Words in English, Korean or Chinese: whichever the other screen shows.
        if !EnrolmentRequest::from_text(text.trim())
            .map_err(bad)?
            .fingerprint()
            .confirms(typed)
        {
            return Err(ApiError::FingerprintMismatch);
        }
        let members = self.members_state()?.ok_or_else(|| {
            refused(
                MemberReason::NotInOrganisation,
                "this vault is in no organisation: see `satchel org create`",
            )
        })?;
        let role = Role::parse(role).ok_or_else(|| {
            refused(
                MemberReason::Role,
                "a role is `field`, `coordinator` or `auditor`",
            )
        })?;
        let req = EnrolmentRequest::from_text(text.trim()).map_err(bad)?;
        if *req.device() == self.device.public() {
            return Err(refused(
                MemberReason::OwnRequest,
                "that request is this device's own",
            ));
        }
        let cert = members
            .approve(
                &self.device,
                &req,
                role,
                rng::array()?,
                now_s(),
                valid_days(days)?,
            )
            .map_err(bad)?;
        self.store_certs(std::slice::from_ref(&cert))?;
        let members = self.members_state()?.ok_or(ApiError::DatabaseDamaged)?;
        // The device needs every coordinator's certificate to see its own is
        // vouched for (and revocations, so it does not trust a revoked one).
        let mut lines = vec![cert.to_text()];
        for c in members.certificates() {
            if c.role() == Role::Coordinator && c.id() != cert.id() {
                lines.push(c.to_text());
            }
        }
        for r in members.revocations() {
            lines.push(r.to_text());
        }
        Ok(Approval {
            text: lines.join("\n") + "\n",
            member: self.member_view(&members, &cert)?,
        })
    }

    /// `enrol accept`: takes the certificate a coordinator made for this device, and
    /// joins its organisation. Refused unless it is for this device and vouched for
    /// now.
    pub fn enrol_accept(&mut self, text: &str) -> Result<MemberView> {
        self.not_decoy()?;
        let (certs, revs) = parse_objects(text)?;
        let mine = certs
            .iter()
            .find(|c| c.is_for(&self.device.public()))
            .cloned()
            .ok_or_else(|| {
                refused(
                    MemberReason::NotForThisDevice,
                    "no certificate in it is for this device",
                )
            })?;
        let org = mine.org();
        if let Some(have) = self.org_id()?
            && have != org
        {
            return Err(refused(
                MemberReason::WrongOrganisation,
                "that certificate is for another organisation",
            ));
        }
        let mut members = match self.members_state()? {
            Some(m) => m,
            None => Members::new(org),
        };
        for c in &certs {
            members.insert_certificate(c.clone()).map_err(bad)?;
        }
        for r in &revs {
            members.insert_revocation(r.clone()).map_err(bad)?;
        }
        let me = satchel_sync::op::DeviceId(self.device.public().signing);
        let next = self.store.last_seq(&me.0)?.saturating_add(1);
        members.check(me, next, now_s()).map_err(|e| {
            refused(
                MemberReason::NotMemberNow,
                format!("the certificate does not make this device a member now: {e}"),
            )
        })?;
        self.store_certs(&certs)?;
        self.store_revocations(&revs)?;
        if self.org_id()?.is_none() {
            self.store.meta_set(META_ORG, &org.0)?;
        }
        self.member_view(&members, &mine)
    }

    /// `member import`: certificates and revocations of this vault's organisation
    /// carried by hand (until membership rides in bundles). Each must verify;
    /// returns how many were new.
    pub fn member_import(&mut self, text: &str) -> Result<usize> {
        self.not_decoy()?;
        let mut members = self.members_state()?.ok_or_else(|| {
            refused(
                MemberReason::NotInOrganisation,
                "this vault is in no organisation: see `satchel enrol`",
            )
        })?;
        let (certs, revs) = parse_objects(text)?;
        let mut added = 0;
        for c in &certs {
            added += usize::from(members.insert_certificate(c.clone()).map_err(bad)?);
        }
        for r in &revs {
            added += usize::from(members.insert_revocation(r.clone()).map_err(bad)?);
        }
        self.store_certs(&certs)?;
        self.store_revocations(&revs)?;
        Ok(added)
    }

    /// `member revoke`: revokes the member named `name` (a coordinator only), from
    /// op `from_seq` of their device's chain on; by default from the op after the
    /// last one this vault holds from it, so what was already received stays.
    /// Returns the revocation as text, to carry to the others.
    pub fn member_revoke(&mut self, name: &str, from_seq: Option<u64>) -> Result<String> {
        self.not_decoy()?;
        let members = self.members_state()?.ok_or_else(|| {
            refused(
                MemberReason::NotInOrganisation,
                "this vault is in no organisation",
            )
        })?;
        let cert = named_cert(&members, name)?;
        let from_seq = match from_seq {
            Some(n) => n,
            None => self
                .store
                .last_seq(&cert.device().signing)?
                .saturating_add(1),
        };
        let rev = members
            .revoke(&self.device, cert.id(), from_seq, now_s())
            .map_err(bad)?;
        self.store_revocations(std::slice::from_ref(&rev))?;
        Ok(rev.to_text())
    }

    /// `member renew`: a new certificate for a member's device, same name and role,
    /// valid `days` from now (coordinators only; a revoked device enrols again with a
    /// new identity instead). It travels in every bundle; the text is for carrying by
    /// hand.
    pub fn member_renew(&mut self, name: &str, days: u64) -> Result<Approval> {
        self.not_decoy()?;
        let days = valid_days(days)?;
        let members = self.members_state()?.ok_or_else(|| {
            refused(
                MemberReason::NotInOrganisation,
                "this vault is in no organisation",
            )
        })?;
        let old = named_cert(&members, name)?;
        let now = now_s();
        let cert = members
            .issue(
                &self.device,
                &satchel_sync::member::CertificateDraft {
                    org: members.org(),
                    serial: rng::array::<SERIAL_LEN>()?,
                    device: *old.device(),
                    name: old.name().to_owned(),
                    role: old.role(),
                    not_before: now,
                    not_after: now.saturating_add(days.saturating_mul(DAY)),
                },
                now,
            )
            .map_err(bad)?;
        self.store_certs(std::slice::from_ref(&cert))?;
        let members = self.members_state()?.ok_or_else(|| {
            refused(
                MemberReason::NotInOrganisation,
                "this vault is in no organisation",
            )
        })?;
        Ok(Approval {
            text: cert.to_text(),
            member: self.member_view(&members, &cert)?,
        })
    }

    /// How to show authors (see [`Authors`]).
    pub(crate) fn authors(&self) -> Result<Authors> {
        let mut names = BTreeMap::new();
        if let Some(members) = self.members_state()? {
            let me = DeviceId(self.device.public().signing);
            for e in members.list(now_s()) {
                let c = &e.certificate;
                let mark = if c.device_id() == me {
                    ", this device"
                } else {
                    ""
                };
                names.insert(c.device_id(), format!("{} ({}{mark})", c.name(), c.role()));
            }
        }
        Ok(Authors { names })
    }

    /// `member list`: every member with their state now, this device marked.
    pub fn members(&self) -> Result<Vec<MemberView>> {
        let Some(members) = self.members_state()? else {
            return Err(refused(
                MemberReason::NotInOrganisation,
                "this vault is in no organisation: see `satchel org create` or `satchel enrol`",
            ));
        };
        members
            .list(now_s())
            .iter()
            .map(|e| self.view_of(&e.certificate, status(&e.status)))
            .collect()
    }

    /// Whether this device's own op may be written, in an organisation: its role
    /// against the record (the same rules every device applies at import).
    pub(crate) fn authorise_own(&self, record: &RecordId, kind: OpKind, body: &Body) -> Result<()> {
        let Some(members) = self.members_state()? else {
            return Ok(());
        };
        let me = DeviceId(self.device.public().signing);
        let seq = self.store.chain_head(&me)?.0.saturating_add(1);
        let role = members.check(me, seq, now_s()).map_err(|e| {
            refused(
                MemberReason::NotMemberNow,
                format!("this device cannot write in the organisation: {e}"),
            )
        })?;
        let creator = self.store.record_creator(&record.0)?.map(DeviceId);
        let assigned = self.assigned_to(record)?;
        let facts = creator.map(|created_by| RecordFacts {
            created_by,
            assigned_to: &assigned,
        });
        authz::authorise(role, me, kind.into(), facts.as_ref()).map_err(bad)?;
        if let Body::Write(w) = body
            && w.touches_assignment()
        {
            authz::authorise(role, me, authz::Action::Assign, facts.as_ref()).map_err(bad)?;
        }
        Ok(())
    }

    /// Who a record is assigned to, as this vault holds it.
    pub(crate) fn assigned_to(&self, record: &RecordId) -> Result<Vec<DeviceId>> {
        Ok(self
            .store
            .record(record)?
            .map(|r| r.state.assigned_to())
            .unwrap_or_default())
    }

    /// `record assign`: assigns a record to a member (by name), or takes the
    /// assignment back. Coordinators only; the member's device then receives the
    /// record in full and may edit it.
    pub fn assign_record(&mut self, id: &RecordId, member: &str, assign: bool) -> Result<()> {
        self.not_decoy()?;
        let Some(members) = self.members_state()? else {
            return Err(refused(
                MemberReason::NotInOrganisation,
                "this vault is in no organisation: records are assigned to its members",
            ));
        };
        let member = member.trim();
        let found: Vec<DeviceId> = members
            .list(now_s())
            .iter()
            .filter(|e| e.certificate.name() == member)
            .map(|e| e.certificate.device_id())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let device = match found.as_slice() {
            [one] => *one,
            [] => {
                return Err(refused_with(
                    MemberReason::NoMember,
                    ("name", shown(member)),
                    format!("no member is named `{}`", shown(member)),
                ));
            }
            _ => {
                return Err(refused_with(
                    MemberReason::SeveralMembers,
                    ("name", shown(member)),
                    format!("more than one device is named `{}`", shown(member)),
                ));
            }
        };
        let state = self.live(id)?;
        let key = format!(
            "{ASSIGNED_PREFIX}{}",
            data_encoding::HEXLOWER.encode(&device.0)
        );
        let mut body = WriteBody::new(&state.form);
        body.version = state.form_version;
        body.fields.insert(
            key,
            if assign {
                serde_json::Value::Bool(true)
            } else {
                serde_json::Value::Null
            },
        );
        let ctx = self.store.record_context(id)?;
        self.append(*id, OpKind::Write, ctx, &Body::Write(body), &[], &[])
    }
}

//! The organisation's membership: its root key, enrolment requests, certificates,
//! revocations, and the [`Members`] state that says whether an op's author may be
//! heard at all (what it may do is [`crate::authz`]'s job).
//!
//! Byte layouts, signature labels and the validation order are specified in
//! `docs/membership-format.md`; the choices behind them in ADR 0018. Pure rules: no
//! I/O, no clock and no randomness are read here. Time (`now`, Unix seconds) and random
//! bytes (serials, nonces, the root's secret) come in as arguments.
//!
//! ```
//! use satchel_crypto::identity::DeviceKeys;
//! use satchel_sync::member::{CertificateDraft, EnrolmentRequest, Members, OrgRoot, Refusal, Role};
//!
//! let now = 1_790_000_000;
//! let coordinator = DeviceKeys::from_secret_bytes(&[1; 64]).unwrap();
//! let (root, first) = OrgRoot::create([2; 64], &coordinator.public(), "Ana", [3; 16], now, 365).unwrap();
//! let mut members = Members::new(root.org());
//! members.insert_certificate(first).unwrap();
//!
//! let worker = DeviceKeys::from_secret_bytes(&[4; 64]).unwrap();
//! let request = EnrolmentRequest::create(&worker, "Min-jun", [5; 16]).unwrap();
//! let request = EnrolmentRequest::from_text(&request.to_text()).unwrap();
//! let cert = members.approve(&coordinator, &request, Role::Field, [6; 16], now, 90).unwrap();
//! members.insert_certificate(cert).unwrap();
//!
//! let author = satchel_sync::op::DeviceId(worker.public().signing);
//! assert_eq!(members.check(author, 1, now), Ok(Role::Field));
//! assert_eq!(members.check(author, 1, now + 91 * 86_400), Err(Refusal::Expired { not_after: now + 90 * 86_400 }));
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use satchel_crypto::{
    hash::{self, domain},
    identity::{self, DeviceKeys, Fingerprint, PublicIdentity, SIGNATURE_LEN},
};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::{
    codec::{Reader, Truncated},
    op::{DeviceId, OpHeader, hex_id},
};

/// Format version of every membership object this build writes and reads.
pub const VERSION: u8 = 1;
/// Longest member name, in UTF-8 bytes.
pub const MAX_NAME: usize = 64;
/// Length of a certificate serial and of an enrolment nonce.
pub const SERIAL_LEN: usize = 16;
/// Seconds in a day, for validity given in days.
pub const DAY: u64 = 86_400;
/// Longest validity a certificate may have (about ten years).
pub const MAX_VALIDITY: u64 = 3660 * DAY;
/// Text prefix of a certificate.
pub const CERT_PREFIX: &str = "SATCHEL-CERT-";
/// Text prefix of an enrolment request.
pub const REQUEST_PREFIX: &str = "SATCHEL-ENROL-";
/// Text prefix of a revocation.
pub const REVOCATION_PREFIX: &str = "SATCHEL-REVOKE-";
/// Length of the checksum appended to an object before it becomes text.
pub const TEXT_CHECK_LEN: usize = 4;
/// Longest text accepted, well above the largest object (checked before decoding).
pub const MAX_TEXT: usize = 1024;

const SIG_DOMAIN_CERT: &str = domain::CERT_SIGNATURE;

/// Why a membership object or action was refused. Names the rule, never a secret.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum MemberError {
    /// The bytes are not a canonical encoding.
    #[error("malformed membership object: {0}")]
    Malformed(&'static str),
    /// Written by a newer Satchel.
    #[error("membership object written by a newer version of Satchel")]
    NewerFormat,
    /// A signature does not verify (forged or damaged).
    #[error("membership signature does not verify")]
    BadSignature,
    /// The text form is damaged: wrong prefix, bad characters or checksum.
    #[error("that text is not a valid {0} (check for typos)")]
    BadText(&'static str),
    /// The object belongs to another organisation.
    #[error("belongs to another organisation")]
    WrongOrganisation,
    /// The name is empty, too long, has control characters or outer spaces.
    #[error("a member name has 1 to 64 bytes, no control characters and no outer spaces")]
    BadName,
    /// The validity period is empty or longer than allowed.
    #[error("validity must be between one second and ten years")]
    BadValidity,
    /// The signer is not a coordinator of this organisation now.
    #[error("only a coordinator of this organisation may do that")]
    IssuerNotCoordinator,
    /// The certificate to revoke is not known.
    #[error("no such certificate")]
    UnknownCertificate,
    /// The revocation would leave the organisation without a coordinator.
    #[error("refused: that would revoke the last coordinator")]
    LastCoordinator,
    /// The device was revoked: its keys may be in other hands, so it enrols again
    /// with new ones.
    #[error("that device was revoked; it must enrol again with new keys")]
    DeviceRevoked,
    /// A revocation's effective point must be an op sequence number, from 1.
    #[error("a revocation takes effect from op 1 or later")]
    BadFromSeq,
}

impl From<Truncated> for MemberError {
    fn from(_: Truncated) -> Self {
        MemberError::Malformed("truncated")
    }
}

hex_id!(
    OrgId,
    32,
    "An organisation: its root's Ed25519 verifying key, which signs the first coordinator certificate."
);
hex_id!(CertId, 32, "A certificate: the hash of its signed bytes.");
hex_id!(
    RevocationId,
    32,
    "A revocation: the hash of its signed bytes."
);

/// What a member may do (rules in [`crate::authz`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Records their own and assigned records.
    Field,
    /// Everything: all records, forms, assignments, enrolment.
    Coordinator,
    /// Reads signed history; writes nothing.
    Auditor,
}

impl Role {
    const fn code(self) -> u8 {
        match self {
            Role::Field => 1,
            Role::Coordinator => 2,
            Role::Auditor => 3,
        }
    }

    fn from_code(code: u8) -> Result<Self, MemberError> {
        match code {
            1 => Ok(Role::Field),
            2 => Ok(Role::Coordinator),
            3 => Ok(Role::Auditor),
            _ => Err(MemberError::Malformed("unknown role")),
        }
    }

    /// The role's name as the CLI spells it.
    pub const fn as_str(self) -> &'static str {
        match self {
            Role::Field => "field",
            Role::Coordinator => "coordinator",
            Role::Auditor => "auditor",
        }
    }

    /// Parses `field`, `coordinator` or `auditor`.
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim() {
            "field" => Some(Role::Field),
            "coordinator" => Some(Role::Coordinator),
            "auditor" => Some(Role::Auditor),
            _ => None,
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why an op's author is not heard. Each names the rule; the op is kept aside with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error, Serialize)]
#[serde(tag = "code", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Refusal {
    /// No certificate of this organisation names the author's key.
    #[error("the author is not a member of this organisation")]
    UnknownAuthor,
    /// The author's newest certificate has expired.
    #[error("the author's certificate expired")]
    Expired {
        /// End of the certificate's validity (Unix seconds, exclusive).
        not_after: u64,
    },
    /// The author's newest certificate is not valid yet.
    #[error("the author's certificate is not valid yet")]
    NotYetValid {
        /// Start of the certificate's validity (Unix seconds).
        not_before: u64,
    },
    /// The author was revoked from this op of their own chain on.
    #[error("the author was revoked from their op {from_seq} on")]
    Revoked {
        /// First sequence number refused.
        from_seq: u64,
    },
    /// The certificate's issuer does not lead to the root through coordinators valid now.
    #[error("the author's certificate was not issued by a coordinator of this organisation")]
    BadIssuer,
}

/// Why a revocation has no effect (it is kept, and may take effect when a missing
/// certificate arrives).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum VoidRevocation {
    /// The certificate it names has not arrived.
    #[error("the certificate it revokes is not known")]
    UnknownTarget,
    /// Its issuer is neither the root nor a coordinator (or was revoked first).
    #[error("its issuer is not a coordinator")]
    IssuerNotCoordinator,
    /// It would leave no coordinator.
    #[error("refused: it would revoke the last coordinator")]
    LastCoordinator,
}

fn check_name(name: &str) -> Result<(), MemberError> {
    if name.is_empty()
        || name.len() > MAX_NAME
        || name.chars().any(char::is_control)
        || name.trim() != name
    {
        return Err(MemberError::BadName);
    }
    Ok(())
}

fn write_name(out: &mut Vec<u8>, name: &str) {
    // Names are checked before they reach a writer, so the length fits in a byte.
    let len = u8::try_from(name.len()).unwrap_or(u8::MAX);
    out.push(len);
    out.extend_from_slice(name.as_bytes().get(..usize::from(len)).unwrap_or_default());
}

fn read_name(r: &mut Reader<'_>) -> Result<String, MemberError> {
    let len = usize::from(r.u8()?);
    let name = std::str::from_utf8(r.take(len)?)
        .map_err(|_| MemberError::Malformed("name is not UTF-8"))?
        .to_owned();
    check_name(&name).map_err(|_| MemberError::Malformed("name"))?;
    Ok(name)
}

fn read_version(r: &mut Reader<'_>) -> Result<(), MemberError> {
    match r.u8()? {
        VERSION => Ok(()),
        v if v > VERSION => Err(MemberError::NewerFormat),
        _ => Err(MemberError::Malformed("unknown version")),
    }
}

/// Splits `bytes` into the signed part and its trailing signature, refusing extra bytes.
fn split_signed<'a>(
    r: &Reader<'a>,
    bytes: &'a [u8],
) -> Result<(&'a [u8], [u8; SIGNATURE_LEN]), MemberError> {
    let signed_len = r.consumed(bytes);
    let (signed, rest) = bytes
        .split_at_checked(signed_len)
        .ok_or(MemberError::Malformed("truncated"))?;
    let mut tail = Reader::new(rest);
    let signature: [u8; SIGNATURE_LEN] = tail.array()?;
    if !tail.is_empty() {
        return Err(MemberError::Malformed("trailing bytes"));
    }
    Ok((signed, signature))
}

fn verify(
    signer: &[u8; 32],
    label: &str,
    signed: &[u8],
    sig: &[u8; SIGNATURE_LEN],
) -> Result<(), MemberError> {
    identity::verify(signer, label, signed, sig).map_err(|_| MemberError::BadSignature)
}

// ---------------------------------------------------------------------------------
// Text form

fn text_check(prefix: &str, bytes: &[u8]) -> [u8; TEXT_CHECK_LEN] {
    let digest = hash::hash(domain::MEMBER_TEXT_CHECK, &[prefix.as_bytes(), bytes]);
    let mut out = [0u8; TEXT_CHECK_LEN];
    out.copy_from_slice(digest.get(..TEXT_CHECK_LEN).unwrap_or(&[0; TEXT_CHECK_LEN]));
    out
}

fn to_text(prefix: &str, bytes: &[u8]) -> String {
    let mut body = bytes.to_vec();
    body.extend_from_slice(&text_check(prefix, bytes));
    format!("{prefix}{}", data_encoding::BASE32_NOPAD.encode(&body))
}

/// Reads what [`to_text`] wrote (upper-case letters, digits and `-` only, so a QR code
/// holds it in alphanumeric mode), forgiving case and whitespace.
fn from_text(prefix: &str, what: &'static str, text: &str) -> Result<Vec<u8>, MemberError> {
    if text.len() > MAX_TEXT {
        return Err(MemberError::BadText(what));
    }
    // Whitespace anywhere is a line break from a mail client or a pasted QR scan.
    let compact: String = text
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_uppercase();
    let body = compact
        .strip_prefix(prefix)
        .ok_or(MemberError::BadText(what))?;
    let raw = data_encoding::BASE32_NOPAD
        .decode(body.as_bytes())
        .map_err(|_| MemberError::BadText(what))?;
    let split = raw
        .len()
        .checked_sub(TEXT_CHECK_LEN)
        .ok_or(MemberError::BadText(what))?;
    let (bytes, check) = raw.split_at(split);
    if check != text_check(prefix, bytes) {
        return Err(MemberError::BadText(what));
    }
    Ok(bytes.to_vec())
}

// ---------------------------------------------------------------------------------
// The root

/// The organisation's root key: a key of its own, not a device's. It signs coordinator
/// certificates (and, in an emergency, revocations); a coordinator's seized laptop is
/// then revocable like any device. Not `Clone`; `Debug` prints `***`.
pub struct OrgRoot {
    keys: DeviceKeys,
}

impl fmt::Debug for OrgRoot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("OrgRoot(***)")
    }
}

impl OrgRoot {
    /// Creates an organisation: a root key from `secret` (64 random bytes) and a
    /// coordinator certificate for the creating device, valid `valid_days` from `now`.
    pub fn create(
        secret: [u8; 64],
        coordinator: &PublicIdentity,
        coordinator_name: &str,
        serial: [u8; SERIAL_LEN],
        now: u64,
        valid_days: u64,
    ) -> Result<(Self, Certificate), MemberError> {
        let secret = Zeroizing::new(secret);
        let root = Self::from_secret_bytes(&*secret)?;
        let cert = root.issue(&CertificateDraft {
            org: root.org(),
            serial,
            device: *coordinator,
            name: coordinator_name.to_owned(),
            role: Role::Coordinator,
            not_before: now,
            not_after: now.saturating_add(valid_days.saturating_mul(DAY)),
        })?;
        Ok((root, cert))
    }

    /// Restores a root kept by [`OrgRoot::to_secret_bytes`].
    pub fn from_secret_bytes(bytes: &[u8]) -> Result<Self, MemberError> {
        let keys = DeviceKeys::from_secret_bytes(bytes)
            .map_err(|_| MemberError::Malformed("root secret"))?;
        Ok(Self { keys })
    }

    /// The secret bytes, to keep encrypted (ideally offline, see ADR 0018).
    pub fn to_secret_bytes(&self) -> Zeroizing<Vec<u8>> {
        self.keys.to_secret_bytes()
    }

    /// The organisation this root defines.
    pub fn org(&self) -> OrgId {
        OrgId(self.keys.public().signing)
    }

    /// Signs a certificate (any role) as the root.
    pub fn issue(&self, draft: &CertificateDraft) -> Result<Certificate, MemberError> {
        Certificate::sign(&self.keys, draft)
    }

    /// Revokes as the root. Refused, like any revocation, if it would leave `members`
    /// without a coordinator.
    pub fn revoke(
        &self,
        members: &Members,
        target: CertId,
        from_seq: u64,
        issued_at: u64,
    ) -> Result<Revocation, MemberError> {
        members.revoke_as(&self.keys, target, from_seq, issued_at)
    }
}

// ---------------------------------------------------------------------------------
// Enrolment request

/// A device asking to join: its public card, the name it asks for, a random nonce and
/// its signature over all of it (proof that it holds the signing key). Only
/// [`EnrolmentRequest::read`] and [`EnrolmentRequest::create`] build one, so a value
/// of this type has a valid proof.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnrolmentRequest {
    device: PublicIdentity,
    name: String,
    nonce: [u8; SERIAL_LEN],
    signature: [u8; SIGNATURE_LEN],
}

impl EnrolmentRequest {
    /// Largest encoding.
    pub const MAX_LEN: usize = 1 + 64 + 1 + MAX_NAME + SERIAL_LEN + SIGNATURE_LEN;

    /// A request from `keys` for `name`, with a fresh random `nonce`.
    pub fn create(
        keys: &DeviceKeys,
        name: &str,
        nonce: [u8; SERIAL_LEN],
    ) -> Result<Self, MemberError> {
        check_name(name)?;
        let device = keys.public();
        let signed = Self::signed_bytes(&device, name, &nonce);
        let signature = keys.sign(domain::ENROL_SIGNATURE, &signed);
        Ok(Self {
            device,
            name: name.to_owned(),
            nonce,
            signature,
        })
    }

    fn signed_bytes(device: &PublicIdentity, name: &str, nonce: &[u8; SERIAL_LEN]) -> Vec<u8> {
        let mut out = Vec::with_capacity(Self::MAX_LEN);
        out.push(VERSION);
        out.extend_from_slice(&device.signing);
        out.extend_from_slice(&device.agreement);
        write_name(&mut out, name);
        out.extend_from_slice(nonce);
        out
    }

    /// Canonical bytes.
    pub fn write(&self) -> Vec<u8> {
        let mut out = Self::signed_bytes(&self.device, &self.name, &self.nonce);
        out.extend_from_slice(&self.signature);
        out
    }

    /// Parses and checks the proof of possession.
    pub fn read(bytes: &[u8]) -> Result<Self, MemberError> {
        if bytes.len() > Self::MAX_LEN {
            return Err(MemberError::Malformed("too long"));
        }
        let mut r = Reader::new(bytes);
        read_version(&mut r)?;
        let device = PublicIdentity {
            signing: r.array()?,
            agreement: r.array()?,
        };
        let name = read_name(&mut r)?;
        let nonce = r.array()?;
        let (signed, signature) = split_signed(&r, bytes)?;
        verify(&device.signing, domain::ENROL_SIGNATURE, signed, &signature)?;
        Ok(Self {
            device,
            name,
            nonce,
            signature,
        })
    }

    /// `SATCHEL-ENROL-` and base32 with a checksum, for moving by hand.
    pub fn to_text(&self) -> String {
        to_text(REQUEST_PREFIX, &self.write())
    }

    /// Parses [`EnrolmentRequest::to_text`] (case and whitespace forgiven).
    pub fn from_text(text: &str) -> Result<Self, MemberError> {
        Self::read(&from_text(REQUEST_PREFIX, "enrolment request", text)?)
    }

    /// What a QR code shows: the text form, all in QR's alphanumeric alphabet.
    pub fn qr_bytes(&self) -> Vec<u8> {
        self.to_text().into_bytes()
    }

    /// The requesting device's public keys.
    pub fn device(&self) -> &PublicIdentity {
        &self.device
    }

    /// The name asked for.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The random nonce.
    pub fn nonce(&self) -> &[u8; SERIAL_LEN] {
        &self.nonce
    }

    /// What the coordinator compares with the device's screen before approving.
    pub fn fingerprint(&self) -> Fingerprint {
        self.device.fingerprint()
    }
}

// ---------------------------------------------------------------------------------
// Certificate

/// Everything in a certificate but its issuer and signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateDraft {
    /// The organisation.
    pub org: OrgId,
    /// Random serial, so that two certificates for the same device differ.
    pub serial: [u8; SERIAL_LEN],
    /// The member device's public keys.
    pub device: PublicIdentity,
    /// The member's name.
    pub name: String,
    /// The member's role.
    pub role: Role,
    /// Valid from (Unix seconds, inclusive).
    pub not_before: u64,
    /// Valid until (Unix seconds, exclusive).
    pub not_after: u64,
}

/// A signed membership certificate. Only [`Certificate::read`] and the issuing
/// functions build one, so its signature is valid; whether its issuer may issue it
/// is [`Members`]'s question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Certificate {
    draft: CertificateDraft,
    issuer: [u8; 32],
    signature: [u8; SIGNATURE_LEN],
    id: CertId,
}

impl Certificate {
    /// Largest encoding.
    pub const MAX_LEN: usize =
        1 + 32 + SERIAL_LEN + 64 + 1 + MAX_NAME + 1 + 8 + 8 + 32 + SIGNATURE_LEN;

    fn signed_bytes(d: &CertificateDraft, issuer: &[u8; 32]) -> Vec<u8> {
        let mut out = Vec::with_capacity(Self::MAX_LEN);
        out.push(VERSION);
        out.extend_from_slice(&d.org.0);
        out.extend_from_slice(&d.serial);
        out.extend_from_slice(&d.device.signing);
        out.extend_from_slice(&d.device.agreement);
        write_name(&mut out, &d.name);
        out.push(d.role.code());
        out.extend_from_slice(&d.not_before.to_be_bytes());
        out.extend_from_slice(&d.not_after.to_be_bytes());
        out.extend_from_slice(issuer);
        out
    }

    fn check_draft(d: &CertificateDraft) -> Result<(), MemberError> {
        check_name(&d.name)?;
        match d.not_after.checked_sub(d.not_before) {
            Some(span) if span > 0 && span <= MAX_VALIDITY => Ok(()),
            _ => Err(MemberError::BadValidity),
        }
    }

    /// Signs `draft` with `issuer`'s key. Who may issue is not checked here: use
    /// [`Members::approve`] or [`Members::issue`], which are.
    fn sign(issuer: &DeviceKeys, draft: &CertificateDraft) -> Result<Self, MemberError> {
        Self::check_draft(draft)?;
        let issuer_key = issuer.public().signing;
        let signed = Self::signed_bytes(draft, &issuer_key);
        let signature = issuer.sign(SIG_DOMAIN_CERT, &signed);
        Ok(Self {
            id: CertId(hash::hash(domain::CERT_ID, &[&signed])),
            draft: draft.clone(),
            issuer: issuer_key,
            signature,
        })
    }

    /// Canonical bytes.
    pub fn write(&self) -> Vec<u8> {
        let mut out = Self::signed_bytes(&self.draft, &self.issuer);
        out.extend_from_slice(&self.signature);
        out
    }

    /// Parses and checks the issuer's signature (not whether the issuer may issue).
    pub fn read(bytes: &[u8]) -> Result<Self, MemberError> {
        if bytes.len() > Self::MAX_LEN {
            return Err(MemberError::Malformed("too long"));
        }
        let mut r = Reader::new(bytes);
        read_version(&mut r)?;
        let org = OrgId(r.array()?);
        let serial = r.array()?;
        let device = PublicIdentity {
            signing: r.array()?,
            agreement: r.array()?,
        };
        let name = read_name(&mut r)?;
        let role = Role::from_code(r.u8()?)?;
        let not_before = r.u64()?;
        let not_after = r.u64()?;
        let issuer: [u8; 32] = r.array()?;
        let draft = CertificateDraft {
            org,
            serial,
            device,
            name,
            role,
            not_before,
            not_after,
        };
        Self::check_draft(&draft).map_err(|_| MemberError::Malformed("validity"))?;
        let (signed, signature) = split_signed(&r, bytes)?;
        verify(&issuer, SIG_DOMAIN_CERT, signed, &signature)?;
        Ok(Self {
            id: CertId(hash::hash(domain::CERT_ID, &[signed])),
            draft,
            issuer,
            signature,
        })
    }

    /// `SATCHEL-CERT-` and base32 with a checksum, for moving by hand.
    pub fn to_text(&self) -> String {
        to_text(CERT_PREFIX, &self.write())
    }

    /// Parses [`Certificate::to_text`] (case and whitespace forgiven).
    pub fn from_text(text: &str) -> Result<Self, MemberError> {
        Self::read(&from_text(CERT_PREFIX, "certificate", text)?)
    }

    /// What a QR code shows: the text form.
    pub fn qr_bytes(&self) -> Vec<u8> {
        self.to_text().into_bytes()
    }

    /// The certificate's id.
    pub fn id(&self) -> CertId {
        self.id
    }

    /// The organisation.
    pub fn org(&self) -> OrgId {
        self.draft.org
    }

    /// The random serial.
    pub fn serial(&self) -> &[u8; SERIAL_LEN] {
        &self.draft.serial
    }

    /// The member device's public keys.
    pub fn device(&self) -> &PublicIdentity {
        &self.draft.device
    }

    /// The member device as op headers name it.
    pub fn device_id(&self) -> DeviceId {
        DeviceId(self.draft.device.signing)
    }

    /// The member's name.
    pub fn name(&self) -> &str {
        &self.draft.name
    }

    /// The member's role.
    pub fn role(&self) -> Role {
        self.draft.role
    }

    /// Valid from (Unix seconds, inclusive).
    pub fn not_before(&self) -> u64 {
        self.draft.not_before
    }

    /// Valid until (Unix seconds, exclusive).
    pub fn not_after(&self) -> u64 {
        self.draft.not_after
    }

    /// The signer: the root's key or a coordinator device's.
    pub fn issuer(&self) -> DeviceId {
        DeviceId(self.issuer)
    }

    /// Whether this certificate is for the device with these keys (`enrol accept`).
    pub fn is_for(&self, me: &PublicIdentity) -> bool {
        self.draft.device == *me
    }

    fn in_period(&self, now: u64) -> Result<(), Refusal> {
        if now < self.draft.not_before {
            Err(Refusal::NotYetValid {
                not_before: self.draft.not_before,
            })
        } else if now >= self.draft.not_after {
            Err(Refusal::Expired {
                not_after: self.draft.not_after,
            })
        } else {
            Ok(())
        }
    }

    /// Newer certificates of a device win: by `not_before`, then id.
    fn rank(&self) -> (u64, CertId) {
        (self.draft.not_before, self.id)
    }
}

// ---------------------------------------------------------------------------------
// Revocation

/// A signed revocation of the device a certificate names, from one op of that
/// device's own chain on (a seized device's clock cannot be trusted, its chain can).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revocation {
    org: OrgId,
    target: CertId,
    from_seq: u64,
    issued_at: u64,
    issuer: [u8; 32],
    signature: [u8; SIGNATURE_LEN],
    id: RevocationId,
}

impl Revocation {
    /// Encoded length (fixed).
    pub const LEN: usize = 1 + 32 + 32 + 8 + 8 + 32 + SIGNATURE_LEN;

    fn signed_bytes(
        org: &OrgId,
        target: &CertId,
        from_seq: u64,
        issued_at: u64,
        issuer: &[u8; 32],
    ) -> Vec<u8> {
        let mut out = Vec::with_capacity(Self::LEN);
        out.push(VERSION);
        out.extend_from_slice(&org.0);
        out.extend_from_slice(&target.0);
        out.extend_from_slice(&from_seq.to_be_bytes());
        out.extend_from_slice(&issued_at.to_be_bytes());
        out.extend_from_slice(issuer);
        out
    }

    fn sign(
        keys: &DeviceKeys,
        org: OrgId,
        target: CertId,
        from_seq: u64,
        issued_at: u64,
    ) -> Result<Self, MemberError> {
        if from_seq == 0 {
            return Err(MemberError::BadFromSeq);
        }
        let issuer = keys.public().signing;
        let signed = Self::signed_bytes(&org, &target, from_seq, issued_at, &issuer);
        let signature = keys.sign(domain::REVOCATION_SIGNATURE, &signed);
        Ok(Self {
            id: RevocationId(hash::hash(domain::REVOCATION_ID, &[&signed])),
            org,
            target,
            from_seq,
            issued_at,
            issuer,
            signature,
        })
    }

    /// Canonical bytes.
    pub fn write(&self) -> Vec<u8> {
        let mut out = Self::signed_bytes(
            &self.org,
            &self.target,
            self.from_seq,
            self.issued_at,
            &self.issuer,
        );
        out.extend_from_slice(&self.signature);
        out
    }

    /// Parses and checks the issuer's signature (not whether the issuer may revoke).
    pub fn read(bytes: &[u8]) -> Result<Self, MemberError> {
        if bytes.len() > Self::LEN {
            return Err(MemberError::Malformed("too long"));
        }
        let mut r = Reader::new(bytes);
        read_version(&mut r)?;
        let org = OrgId(r.array()?);
        let target = CertId(r.array()?);
        let from_seq = r.u64()?;
        let issued_at = r.u64()?;
        let issuer: [u8; 32] = r.array()?;
        if from_seq == 0 {
            return Err(MemberError::Malformed("revocation from op 0"));
        }
        let (signed, signature) = split_signed(&r, bytes)?;
        verify(&issuer, domain::REVOCATION_SIGNATURE, signed, &signature)?;
        Ok(Self {
            id: RevocationId(hash::hash(domain::REVOCATION_ID, &[signed])),
            org,
            target,
            from_seq,
            issued_at,
            issuer,
            signature,
        })
    }

    /// `SATCHEL-REVOKE-` and base32 with a checksum.
    pub fn to_text(&self) -> String {
        to_text(REVOCATION_PREFIX, &self.write())
    }

    /// Parses [`Revocation::to_text`].
    pub fn from_text(text: &str) -> Result<Self, MemberError> {
        Self::read(&from_text(REVOCATION_PREFIX, "revocation", text)?)
    }

    /// The revocation's id.
    pub fn id(&self) -> RevocationId {
        self.id
    }

    /// The organisation.
    pub fn org(&self) -> OrgId {
        self.org
    }

    /// The certificate whose device is revoked.
    pub fn target(&self) -> CertId {
        self.target
    }

    /// First op of the target device's chain that is refused.
    pub fn from_seq(&self) -> u64 {
        self.from_seq
    }

    /// When the issuer says it signed (its clock; shown, and orders revocations).
    pub fn issued_at(&self) -> u64 {
        self.issued_at
    }

    /// The signer: the root's key or a coordinator device's.
    pub fn issuer(&self) -> DeviceId {
        DeviceId(self.issuer)
    }
}

// ---------------------------------------------------------------------------------
// Membership state

/// Who belongs to an organisation, computed from a set of certificates and
/// revocations. The same set gives the same state whatever order it arrived in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Members {
    org: OrgId,
    certs: BTreeMap<CertId, Certificate>,
    by_device: BTreeMap<DeviceId, BTreeSet<CertId>>,
    revocations: BTreeMap<RevocationId, Revocation>,
    /// Derived: device → (first refused seq, the revocation that set it).
    revoked: BTreeMap<DeviceId, (u64, RevocationId)>,
    /// Derived: revocations without effect, and why.
    void: BTreeMap<RevocationId, VoidRevocation>,
}

/// [`Members`] at one moment: checks many ops against one worked-out chain.
#[derive(Debug, Clone)]
pub struct MembersAt<'a> {
    members: &'a Members,
    now: u64,
    coordinators: BTreeSet<DeviceId>,
}

impl MembersAt<'_> {
    /// Whether the author of `header` is heard, and in which role.
    pub fn check_op(&self, header: &OpHeader) -> Result<Role, Refusal> {
        self.check(header.author, header.seq)
    }

    /// Whether op `seq` of `author` is heard, and in which role.
    pub fn check(&self, author: DeviceId, seq: u64) -> Result<Role, Refusal> {
        let m = self.members;
        let ids = m.by_device.get(&author).ok_or(Refusal::UnknownAuthor)?;
        if let Some((from_seq, _)) = m.revoked.get(&author)
            && seq >= *from_seq
        {
            return Err(Refusal::Revoked {
                from_seq: *from_seq,
            });
        }
        self.decide(ids).1.map(Certificate::role)
    }

    /// A certificate is valid if it is in its period and its issuer is the root or
    /// a coordinator now (not revoked, its own chain valid now).
    fn cert_valid(&self, cert: &Certificate) -> Result<(), Refusal> {
        cert.in_period(self.now)?;
        if self.coordinators.contains(&cert.issuer()) {
            Ok(())
        } else {
            Err(Refusal::BadIssuer)
        }
    }

    /// Newest valid certificate among `ids`, else the newest one and why it fails.
    fn decide(
        &self,
        ids: &BTreeSet<CertId>,
    ) -> (Option<&Certificate>, Result<&Certificate, Refusal>) {
        let mut best_valid: Option<&Certificate> = None;
        let mut newest: Option<(&Certificate, Refusal)> = None;
        for cert in ids.iter().filter_map(|id| self.members.certs.get(id)) {
            match self.cert_valid(cert) {
                Ok(()) => {
                    if best_valid.is_none_or(|b| cert.rank() > b.rank()) {
                        best_valid = Some(cert);
                    }
                }
                Err(why) => {
                    if newest.is_none_or(|(n, _)| cert.rank() > n.rank()) {
                        newest = Some((cert, why));
                    }
                }
            }
        }
        match (best_valid, newest) {
            (Some(c), _) => (Some(c), Ok(c)),
            (None, Some((c, why))) => (Some(c), Err(why)),
            (None, None) => (None, Err(Refusal::UnknownAuthor)),
        }
    }
}

/// One member as `member list` shows it: their newest certificate and its state now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberEntry {
    /// The certificate that decides (the newest valid one, else the newest).
    pub certificate: Certificate,
    /// Whether an op written now (past any revocation point) would be heard.
    pub status: Result<Role, Refusal>,
    /// Where the device was revoked, if it was.
    pub revoked_from: Option<u64>,
}

impl Members {
    /// No members yet.
    pub fn new(org: OrgId) -> Self {
        Self {
            org,
            certs: BTreeMap::new(),
            by_device: BTreeMap::new(),
            revocations: BTreeMap::new(),
            revoked: BTreeMap::new(),
            void: BTreeMap::new(),
        }
    }

    /// The state of a whole set at once (one settling pass). Objects of another
    /// organisation are refused.
    pub fn from_parts(
        org: OrgId,
        certs: impl IntoIterator<Item = Certificate>,
        revocations: impl IntoIterator<Item = Revocation>,
    ) -> Result<Self, MemberError> {
        let mut m = Self::new(org);
        for c in certs {
            m.add_cert(c)?;
        }
        for r in revocations {
            m.add_revocation(r)?;
        }
        m.settle();
        Ok(m)
    }

    /// The organisation.
    pub fn org(&self) -> OrgId {
        self.org
    }

    fn add_cert(&mut self, cert: Certificate) -> Result<bool, MemberError> {
        if cert.org() != self.org {
            return Err(MemberError::WrongOrganisation);
        }
        let id = cert.id();
        self.by_device
            .entry(cert.device_id())
            .or_default()
            .insert(id);
        Ok(self.certs.insert(id, cert).is_none())
    }

    fn add_revocation(&mut self, rev: Revocation) -> Result<bool, MemberError> {
        if rev.org() != self.org {
            return Err(MemberError::WrongOrganisation);
        }
        Ok(self.revocations.insert(rev.id(), rev).is_none())
    }

    /// Adds a certificate (a new member, a renewal). Returns whether it was new.
    pub fn insert_certificate(&mut self, cert: Certificate) -> Result<bool, MemberError> {
        let new = self.add_cert(cert)?;
        if new {
            self.settle();
        }
        Ok(new)
    }

    /// Adds a revocation. Returns whether it was new; whether it took effect is
    /// [`Members::revocation_effect`].
    pub fn insert_revocation(&mut self, rev: Revocation) -> Result<bool, MemberError> {
        let new = self.add_revocation(rev)?;
        if new {
            self.settle();
        }
        Ok(new)
    }

    /// Every certificate, by id.
    pub fn certificates(&self) -> impl Iterator<Item = &Certificate> {
        self.certs.values()
    }

    /// Every revocation, by id (with or without effect).
    pub fn revocations(&self) -> impl Iterator<Item = &Revocation> {
        self.revocations.values()
    }

    /// The certificates `issuer` signed: those to renew by another coordinator when
    /// `issuer` is revoked, since they stop counting with it.
    pub fn issued_by(&self, issuer: DeviceId) -> impl Iterator<Item = &Certificate> {
        self.certs.values().filter(move |c| c.issuer() == issuer)
    }

    /// A certificate by id.
    pub fn certificate(&self, id: &CertId) -> Option<&Certificate> {
        self.certs.get(id)
    }

    /// Whether a revocation took effect (`Ok(from_seq)` for its device), or why not.
    /// `None` if it is not in the set.
    pub fn revocation_effect(&self, id: &RevocationId) -> Option<Result<u64, VoidRevocation>> {
        let rev = self.revocations.get(id)?;
        if let Some(why) = self.void.get(id) {
            return Some(Err(*why));
        }
        let device = self.certs.get(&rev.target)?.device_id();
        Some(Ok(self
            .revoked
            .get(&device)
            .map_or(rev.from_seq, |(s, _)| *s)))
    }

    /// Where `device` was revoked, if it was.
    pub fn revoked_from(&self, device: &DeviceId) -> Option<u64> {
        self.revoked.get(device).map(|(s, _)| *s)
    }

    /// Whether the author of `header` is heard at `now`, and in which role.
    pub fn check_op(&self, header: &OpHeader, now: u64) -> Result<Role, Refusal> {
        self.check(header.author, header.seq, now)
    }

    /// Whether op `seq` of `author` is heard at `now` (Unix seconds, the verifier's
    /// clock), and in which role. Revocation counts in the author's own chain;
    /// validity periods and the issuer chain count at `now`. For many ops, take
    /// [`Members::at`] once.
    pub fn check(&self, author: DeviceId, seq: u64, now: u64) -> Result<Role, Refusal> {
        self.at(now).check(author, seq)
    }

    /// The state at `now`, with the coordinator chain worked out once.
    pub fn at(&self, now: u64) -> MembersAt<'_> {
        MembersAt {
            members: self,
            now,
            coordinators: self.coordinators(&self.revoked, Some(now)),
        }
    }

    /// The root and every device that is a coordinator: not in `revoked`, with a
    /// coordinator certificate issued by one already in the set (and, with `at`, in its
    /// validity period then). A fixpoint over the certificates, so cycles and long
    /// chains cost at most one pass per link.
    fn coordinators(
        &self,
        revoked: &BTreeMap<DeviceId, (u64, RevocationId)>,
        at: Option<u64>,
    ) -> BTreeSet<DeviceId> {
        let mut set = BTreeSet::from([DeviceId(self.org.0)]);
        loop {
            let before = set.len();
            for c in self.certs.values() {
                let device = c.device_id();
                if c.role() == Role::Coordinator
                    && !set.contains(&device)
                    && !revoked.contains_key(&device)
                    && at.is_none_or(|t| c.in_period(t).is_ok())
                    && set.contains(&c.issuer())
                {
                    set.insert(device);
                }
            }
            if set.len() == before {
                return set;
            }
        }
    }

    /// Recomputes which revocations take effect. Root revocations first, then by the
    /// issuer's stated time, then by id: a pure function of the set, so any arrival
    /// order gives the same result. A revocation counts if its issuer is still a
    /// coordinator when its turn comes and at least one coordinator remains after it.
    fn settle(&mut self) {
        let mut order: Vec<&Revocation> = self.revocations.values().collect();
        order.sort_by_key(|r| (r.issuer != self.org.0, r.issued_at, r.id));
        let mut revoked: BTreeMap<DeviceId, (u64, RevocationId)> = BTreeMap::new();
        let mut void = BTreeMap::new();
        for rev in order {
            let Some(target) = self.certs.get(&rev.target) else {
                void.insert(rev.id, VoidRevocation::UnknownTarget);
                continue;
            };
            if !self.coordinators(&revoked, None).contains(&rev.issuer()) {
                void.insert(rev.id, VoidRevocation::IssuerNotCoordinator);
                continue;
            }
            let device = target.device_id();
            if let Some(entry) = revoked.get_mut(&device) {
                // Already revoked: the earliest point wins, whoever said it.
                if rev.from_seq < entry.0 {
                    *entry = (rev.from_seq, rev.id);
                }
                continue;
            }
            let mut after = revoked.clone();
            after.insert(device, (rev.from_seq, rev.id));
            // The root is in the set but is not a coordinator device.
            if self.coordinators(&after, None).len() < 2 {
                void.insert(rev.id, VoidRevocation::LastCoordinator);
                continue;
            }
            revoked = after;
        }
        self.revoked = revoked;
        self.void = void;
    }

    fn require_coordinator(&self, keys: &DeviceKeys, now: u64) -> Result<(), MemberError> {
        let me = DeviceId(keys.public().signing);
        if me.0 == self.org.0 {
            return Ok(());
        }
        match self.check(me, u64::MAX, now) {
            Ok(Role::Coordinator) => Ok(()),
            _ => Err(MemberError::IssuerNotCoordinator),
        }
    }

    /// `enrol approve`: a certificate for the device that made `request`, signed by
    /// `coordinator`, valid `valid_days` from `now`. Refused unless `coordinator` is
    /// one now. The caller has compared fingerprints with the device.
    pub fn approve(
        &self,
        coordinator: &DeviceKeys,
        request: &EnrolmentRequest,
        role: Role,
        serial: [u8; SERIAL_LEN],
        now: u64,
        valid_days: u64,
    ) -> Result<Certificate, MemberError> {
        self.issue(
            coordinator,
            &CertificateDraft {
                org: self.org,
                serial,
                device: request.device,
                name: request.name.clone(),
                role,
                not_before: now,
                not_after: now.saturating_add(valid_days.saturating_mul(DAY)),
            },
            now,
        )
    }

    /// Signs any certificate draft (a renewal is a new certificate for the same
    /// device keys) as `coordinator`, refused unless it is a coordinator at `now`.
    pub fn issue(
        &self,
        coordinator: &DeviceKeys,
        draft: &CertificateDraft,
        now: u64,
    ) -> Result<Certificate, MemberError> {
        if draft.org != self.org {
            return Err(MemberError::WrongOrganisation);
        }
        self.require_coordinator(coordinator, now)?;
        if self.revoked.contains_key(&DeviceId(draft.device.signing)) {
            return Err(MemberError::DeviceRevoked);
        }
        Certificate::sign(coordinator, draft)
    }

    /// `member revoke`: revokes the device of certificate `target` from its op
    /// `from_seq` on, signed by `coordinator`. Refused unless `coordinator` is one at
    /// `now`, and if no coordinator would remain.
    pub fn revoke(
        &self,
        coordinator: &DeviceKeys,
        target: CertId,
        from_seq: u64,
        now: u64,
    ) -> Result<Revocation, MemberError> {
        self.require_coordinator(coordinator, now)?;
        self.revoke_as(coordinator, target, from_seq, now)
    }

    fn revoke_as(
        &self,
        keys: &DeviceKeys,
        target: CertId,
        from_seq: u64,
        issued_at: u64,
    ) -> Result<Revocation, MemberError> {
        if !self.certs.contains_key(&target) {
            return Err(MemberError::UnknownCertificate);
        }
        let rev = Revocation::sign(keys, self.org, target, from_seq, issued_at)?;
        let mut after = self.clone();
        after.insert_revocation(rev.clone())?;
        match after.revocation_effect(&rev.id()) {
            Some(Ok(_)) => Ok(rev),
            Some(Err(VoidRevocation::LastCoordinator)) => Err(MemberError::LastCoordinator),
            _ => Err(MemberError::IssuerNotCoordinator),
        }
    }

    /// Every member device with its deciding certificate and its state at `now`,
    /// by name then device.
    pub fn list(&self, now: u64) -> Vec<MemberEntry> {
        let at = self.at(now);
        let mut out: Vec<MemberEntry> = self
            .by_device
            .iter()
            .filter_map(|(device, ids)| {
                let (cert, status) = at.decide(ids);
                let status = match self.revoked.get(device) {
                    Some((from_seq, _)) => Err(Refusal::Revoked {
                        from_seq: *from_seq,
                    }),
                    None => status.map(Certificate::role),
                };
                Some(MemberEntry {
                    certificate: cert?.clone(),
                    status,
                    revoked_from: self.revoked_from(device),
                })
            })
            .collect();
        out.sort_by(|a, b| {
            (a.certificate.name(), a.certificate.device_id())
                .cmp(&(b.certificate.name(), b.certificate.device_id()))
        });
        out
    }
}

//! Sync over a network through relays (docs/relay.md, ADR 0037): this device's
//! mailboxes, where each peer takes bundles (carried inside bundles, so only
//! recipients learn it), the safe-to-sync policy, and [`Vault::sync_now`].
//!
//! Nothing here touches the network unless [`Vault::sync_now`] or
//! [`Vault::relay_register`] is called, and both ask the policy first.

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};
use std::time::Duration;

use satchel_relay::client::{ClientError, RelayClient, Stop};
use satchel_store::Peer;
use satchel_sync::bundle::{MAX_REACH, Reach};
use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::error::{
    ApiError, ErrorCode, ErrorParams, PolicyProblem, RelayProblem, Result, SyncHeld,
};
use crate::records::now_ms;
use crate::{files, vault::Vault};

const META_RELAYS: &str = "relay.mine";
const META_POLICY: &str = "sync.policy";
const META_LAST: &str = "sync.last";
/// `reach.<peer key hex>`: the peer's sender sequence (u64 BE), then its reach list.
const REACH_PREFIX: &str = "reach.";
/// `relay.out.<peer key hex>`: a bundle on its way to the peer ([`Outgoing`]).
const OUT_PREFIX: &str = "relay.out.";
/// `relay.sent.<peer key hex>`: what the last bundle deposited for it covered.
const SENT_PREFIX: &str = "relay.sent.";
/// Bundles in transit, sealed: made and not yet deposited, or collected and not
/// yet imported. Only ciphertext; removed once empty.
pub const TRANSFERS: &str = "transfers";
/// A peer that has not acknowledged gets its bundle again after this long: the
/// first may have expired on the relay before it was collected.
const RESEND_AFTER_MS: u64 = 24 * 3600 * 1000;
/// Largest bundle collected (the relay's own quotas are smaller).
const MAX_COLLECT: u64 = 8 << 30;
/// Most time windows in a policy.
const MAX_WINDOWS: usize = 8;

/// One of this device's mailboxes, with both tokens.
#[derive(Clone, Serialize, Deserialize, Zeroize, ZeroizeOnDrop)]
struct OwnMailbox {
    url: String,
    mailbox: String,
    deposit: String,
    collect: String,
}

/// A relay this device collects from, as listed: nothing secret.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct RelayView {
    /// The relay's address.
    pub url: String,
    /// The first 8 hex digits of this device's mailbox there.
    pub mailbox: String,
}

/// When network sync may happen (DESIGN §7). Every rule holds for a sync asked for
/// by hand too; `auto` only adds syncs nobody asked for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(default)]
pub struct SyncPolicy {
    /// Also sync on its own, every `every_minutes` while the app is unlocked (false:
    /// only when asked, the default). Kept for the app's automatic sync, which is not
    /// built yet: nothing sets it, and no sync starts unasked.
    pub auto: bool,
    /// Minutes between syncs on its own, 5 to 1440.
    pub every_minutes: u32,
    /// The SOCKS5 proxy, `socks5h://HOST:PORT` (names resolved by the proxy).
    pub proxy: Option<String>,
    /// Never connect but through a proxy: without one, nothing is sent.
    pub proxy_only: bool,
    /// Local times when sync may happen, `HH:MM-HH:MM` (may cross midnight); none:
    /// any time.
    pub windows: Vec<String>,
    /// No network sync in the first minutes after unlock, 0 to 1440.
    pub quiet_after_unlock_minutes: u32,
}

impl Default for SyncPolicy {
    fn default() -> Self {
        Self {
            auto: false,
            every_minutes: 30,
            proxy: None,
            proxy_only: false,
            windows: Vec::new(),
            quiet_after_unlock_minutes: 0,
        }
    }
}

/// `HH:MM-HH:MM` as minutes of the day (start, end).
fn parse_window(w: &str) -> Option<(u16, u16)> {
    let minutes = |t: &str| -> Option<u16> {
        let (h, m) = t.trim().split_once(':')?;
        if h.len() != 2 || m.len() != 2 {
            return None;
        }
        let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
        (h < 24 && m < 60).then_some(h * 60 + m)
    };
    let (a, b) = w.split_once('-')?;
    let (a, b) = (minutes(a)?, minutes(b)?);
    (a != b).then_some((a, b))
}

fn in_window((start, end): (u16, u16), now: u16) -> bool {
    if start < end {
        (start..end).contains(&now)
    } else {
        now >= start || now < end
    }
}

/// Whether `p` is `socks5h://HOST:PORT`.
fn proxy_ok(p: &str) -> bool {
    p.strip_prefix("socks5h://")
        .and_then(|rest| rest.rsplit_once(':'))
        .is_some_and(|(host, port)| {
            !host.is_empty()
                && host
                    .bytes()
                    .all(|b| b.is_ascii_graphic() && b != b'/' && b != b'@')
                && port.parse::<u16>().is_ok_and(|p| p > 0)
        })
}

impl SyncPolicy {
    /// Checks every field; the policy as it will be kept.
    fn checked(mut self) -> Result<Self> {
        if !(5..=1440).contains(&self.every_minutes) || self.quiet_after_unlock_minutes > 1440 {
            return Err(ApiError::InvalidSyncPolicy(PolicyProblem::Minutes));
        }
        self.proxy = self
            .proxy
            .map(|p| p.trim().to_owned())
            .filter(|p| !p.is_empty());
        if self.proxy.as_deref().is_some_and(|p| !proxy_ok(p)) {
            return Err(ApiError::InvalidSyncPolicy(PolicyProblem::Proxy));
        }
        if self.windows.len() > MAX_WINDOWS {
            return Err(ApiError::InvalidSyncPolicy(PolicyProblem::Window));
        }
        for w in &mut self.windows {
            let (a, b) =
                parse_window(w).ok_or(ApiError::InvalidSyncPolicy(PolicyProblem::Window))?;
            *w = format!("{:02}:{:02}-{:02}:{:02}", a / 60, a % 60, b / 60, b % 60);
        }
        Ok(self)
    }

    /// Whether a sync may start now: `asked` by the person (else on its own),
    /// `proxied` through a proxy, at local minute of the day `now`, `since_unlock`
    /// after unlock. Pure, so every rule is tested without a clock.
    pub fn allows(
        &self,
        asked: bool,
        proxied: bool,
        now: u16,
        since_unlock: Duration,
    ) -> Result<()> {
        if !asked && !self.auto {
            return Err(ApiError::SyncHeld(SyncHeld::ManualOnly));
        }
        if self.proxy_only && !proxied {
            return Err(ApiError::SyncHeld(SyncHeld::ProxyRequired));
        }
        let quiet = Duration::from_secs(u64::from(self.quiet_after_unlock_minutes) * 60);
        if since_unlock < quiet {
            let left = (quiet - since_unlock).as_secs().div_ceil(60);
            return Err(ApiError::SyncHeld(SyncHeld::AfterUnlock { minutes: left }));
        }
        if !self.windows.is_empty()
            && !self
                .windows
                .iter()
                .filter_map(|w| parse_window(w))
                .any(|w| in_window(w, now))
        {
            return Err(ApiError::SyncHeld(SyncHeld::OutsideWindow));
        }
        Ok(())
    }
}

/// The local time as minutes of the day (the system's time zone, or `TZ`).
fn local_minute() -> u16 {
    let now = jiff::ZonedDateTime::now();
    let minutes = i32::from(now.hour()) * 60 + i32::from(now.minute());
    u16::try_from(minutes).unwrap_or(0)
}

/// An error as a report carries it: a code and parameters to translate, and the
/// English for the command line.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct Problem {
    /// As in [`ApiError::code`].
    pub code: ErrorCode,
    /// As in [`ApiError::params`].
    pub params: ErrorParams,
    /// In English.
    pub message: String,
}

impl From<&ApiError> for Problem {
    fn from(e: &ApiError) -> Self {
        Self {
            code: e.code(),
            params: e.params(),
            message: e.to_string(),
        }
    }
}

/// What a sync did with one peer.
#[derive(Debug, Clone, Default, Serialize, ts_rs::TS)]
pub struct PeerSync {
    /// The peer's name.
    pub name: String,
    /// Ops in the bundles deposited for it (none: nothing new for it).
    pub sent_ops: u64,
    /// Bytes sent to the relay for it in this sync.
    pub sent_bytes: u64,
    /// Whether a deposit cut before was finished: it went on from the relay's
    /// offset, not from the start.
    pub resumed: bool,
    /// Bundles from it imported (or found imported before).
    pub received: u64,
    /// Ops from it applied.
    pub applied: u64,
    /// Fields newly in conflict.
    pub conflicts_created: u64,
    /// Whether it named no mailbox yet: it is reached by file until one of its
    /// bundles arrives.
    pub no_address: bool,
    /// What went wrong sending to it.
    #[ts(optional)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<Problem>,
}

/// What [`Vault::sync_now`] did.
#[derive(Debug, Clone, Default, Serialize, ts_rs::TS)]
pub struct SyncReport {
    /// Per peer, by name.
    pub peers: Vec<PeerSync>,
    /// Bundles collected and refused: not for this device, damaged, or refused on
    /// import. Deleted from the relay when they can never be imported.
    pub refused: Vec<Problem>,
    /// What failed with this device's own mailboxes (collecting).
    pub errors: Vec<Problem>,
    /// When it ended (Unix ms).
    pub finished_ms: u64,
}

/// The last network sync, as shown.
#[derive(Debug, Clone, Serialize, Deserialize, ts_rs::TS)]
pub struct LastSync {
    /// When it ended (Unix ms).
    pub at_ms: u64,
    /// Whether everything went: nothing failed and nothing was refused.
    pub complete: bool,
}

/// Where a sync is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum SyncStep {
    /// Sealing a bundle for a peer.
    Sealing,
    /// Depositing it.
    Sending,
    /// Asking this device's mailbox what waits.
    Listing,
    /// Downloading a bundle.
    Receiving,
    /// Importing it.
    Importing,
}

/// Progress of a sync: a step, the peer it is for when known, and bytes.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct SyncProgress {
    /// The step.
    pub step: SyncStep,
    /// The peer concerned, when known.
    #[ts(optional)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub peer: Option<String>,
    /// Bytes done.
    pub done: u64,
    /// Bytes in all (0: not known yet).
    pub total: u64,
}

/// A bundle on its way to a peer, kept so a cut deposit resumes.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Outgoing {
    file: String,
    url: String,
    mailbox: String,
    upload: Option<String>,
    ops: u64,
    size: u64,
    /// Hash of what this device held when it was made.
    have: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Sent {
    have: String,
    at_ms: u64,
}

fn hex(b: &[u8]) -> String {
    data_encoding::HEXLOWER.encode(b)
}

fn relay_error(e: ClientError) -> ApiError {
    ApiError::Relay(match e {
        ClientError::Network(_) => RelayProblem::Unreachable,
        ClientError::NotFound => RelayProblem::NotFound,
        ClientError::Full => RelayProblem::Full,
        ClientError::RateLimited => RelayProblem::RateLimited,
        ClientError::BadProxy => RelayProblem::BadProxy,
        ClientError::BadUrl => RelayProblem::BadUrl,
        ClientError::RegistrationRefused => RelayProblem::RegistrationRefused,
        ClientError::Stopped => return ApiError::Cancelled,
        ClientError::Local(e) => return ApiError::from(e),
        _ => RelayProblem::Refused,
    })
}

/// A relay URL as kept: trimmed, without a trailing slash, and one a bundle may
/// carry.
fn clean_url(url: &str) -> Result<String> {
    let url = url.trim().trim_end_matches('/').to_owned();
    if Reach::url_ok(&url) {
        Ok(url)
    } else {
        Err(ApiError::Relay(RelayProblem::BadUrl))
    }
}

fn token_bytes(token: &str) -> Option<[u8; 32]> {
    data_encoding::BASE64URL_NOPAD
        .decode(token.trim().as_bytes())
        .ok()?
        .try_into()
        .ok()
}

fn mailbox_bytes(id: &str) -> Option<[u8; 32]> {
    data_encoding::HEXLOWER_PERMISSIVE
        .decode(id.trim().as_bytes())
        .ok()?
        .try_into()
        .ok()
}

/// Whether a collected bundle that failed to import can never import here as it
/// is: deleted from the relay then. Others (a sender not added yet, a newer
/// version, a full disk) wait on the relay for a later sync.
fn never_imports(e: &ApiError) -> bool {
    use satchel_crypto::bundle::BundleError;
    match e {
        ApiError::Bundle(b) => matches!(
            b,
            BundleError::NotForUs
                | BundleError::Damaged
                | BundleError::BadSignature
                | BundleError::OlderVersion
                | BundleError::Malformed(_)
                | BundleError::TooLarge
                | BundleError::Recipients
        ),
        ApiError::BundleContent { reason, .. } => {
            !matches!(reason, crate::error::BundleRefusal::LogUnproven)
        }
        _ => false,
    }
}

impl Vault {
    fn own_mailboxes(&self) -> Result<Vec<OwnMailbox>> {
        Ok(match self.store.meta_get(META_RELAYS)? {
            Some(b) => serde_json::from_slice(&b).map_err(|_| ApiError::DatabaseDamaged)?,
            None => Vec::new(),
        })
    }

    fn set_own_mailboxes(&mut self, list: &[OwnMailbox]) -> Result<()> {
        let json = zeroize::Zeroizing::new(
            serde_json::to_vec(list).map_err(|_| ApiError::DatabaseDamaged)?,
        );
        Ok(self.store.meta_set(META_RELAYS, &json)?)
    }

    /// The relays this device collects from.
    pub fn relays(&self) -> Result<Vec<RelayView>> {
        Ok(self
            .own_mailboxes()?
            .iter()
            .map(|m| RelayView {
                url: m.url.clone(),
                mailbox: m.mailbox.chars().take(8).collect(),
            })
            .collect())
    }

    /// Adds a relay with a mailbox its operator made (`satchel-relay mailbox
    /// create` prints it: `{"mailbox", "deposit", "collect"}`). No network: the
    /// peers learn the mailbox from this device's next bundles.
    pub fn relay_add(&mut self, url: &str, mailbox_json: &str) -> Result<RelayView> {
        let url = clean_url(url)?;
        let parsed: serde_json::Value = serde_json::from_str(mailbox_json.trim())
            .map_err(|_| ApiError::Relay(RelayProblem::BadMailbox))?;
        let field = |k: &str| parsed.get(k).and_then(|v| v.as_str()).map(str::trim);
        let (Some(mailbox), Some(deposit), Some(collect)) =
            (field("mailbox"), field("deposit"), field("collect"))
        else {
            return Err(ApiError::Relay(RelayProblem::BadMailbox));
        };
        if mailbox_bytes(mailbox).is_none()
            || token_bytes(deposit).is_none()
            || token_bytes(collect).is_none()
        {
            return Err(ApiError::Relay(RelayProblem::BadMailbox));
        }
        self.keep_mailbox(OwnMailbox {
            url,
            mailbox: mailbox.to_ascii_lowercase(),
            deposit: deposit.to_owned(),
            collect: collect.to_owned(),
        })
    }

    fn keep_mailbox(&mut self, m: OwnMailbox) -> Result<RelayView> {
        let mut list = self.own_mailboxes()?;
        if list.iter().any(|o| o.url == m.url) {
            return Err(ApiError::Relay(RelayProblem::Exists));
        }
        if list.len() >= MAX_REACH {
            return Err(ApiError::Relay(RelayProblem::TooMany));
        }
        let view = RelayView {
            url: m.url.clone(),
            mailbox: m.mailbox.chars().take(8).collect(),
        };
        list.push(m);
        self.set_own_mailboxes(&list)?;
        Ok(view)
    }

    /// Adds a relay by asking it for a mailbox with its registration `token`: a
    /// network step, so the policy is asked first (through `proxy`, or the
    /// policy's).
    pub fn relay_register(
        &mut self,
        url: &str,
        token: &str,
        proxy: Option<&str>,
    ) -> Result<RelayView> {
        let url = clean_url(url)?;
        if self.own_mailboxes()?.iter().any(|o| o.url == url) {
            return Err(ApiError::Relay(RelayProblem::Exists));
        }
        let proxy = self.network_allowed(true, proxy)?;
        let client = RelayClient::new(&url, proxy.as_deref()).map_err(relay_error)?;
        let made = client.register(token).map_err(relay_error)?;
        self.keep_mailbox(OwnMailbox {
            url,
            mailbox: made.mailbox.to_ascii_lowercase(),
            deposit: made.deposit.clone(),
            collect: made.collect.clone(),
        })
    }

    /// Stops collecting from a relay; peers stop depositing there once this
    /// device's next bundles reach them. Bundles still waiting there expire.
    pub fn relay_remove(&mut self, url: &str) -> Result<()> {
        let url = url.trim().trim_end_matches('/');
        let mut list = self.own_mailboxes()?;
        let before = list.len();
        list.retain(|m| m.url != url);
        if list.len() == before {
            return Err(ApiError::Relay(RelayProblem::Unknown));
        }
        self.set_own_mailboxes(&list)
    }

    /// Where this device takes bundles, for the bundles it makes.
    pub(crate) fn bundle_reach(&self) -> Result<Vec<Reach>> {
        Ok(self
            .own_mailboxes()?
            .iter()
            .filter_map(|m| {
                Some(Reach {
                    url: m.url.clone(),
                    mailbox: mailbox_bytes(&m.mailbox)?,
                    deposit: token_bytes(&m.deposit)?,
                })
            })
            .collect())
    }

    /// Keeps where `peer` takes bundles, as its bundle number `seq` says, unless a
    /// later bundle of its said otherwise already.
    pub(crate) fn keep_reach(&mut self, peer: &[u8; 32], seq: u64, reach: &[Reach]) -> Result<()> {
        let key = format!("{REACH_PREFIX}{}", hex(peer));
        if let Some(old) = self.store.meta_get(&key)?
            && let Some(old_seq) = old.get(..8).and_then(|b| b.try_into().ok())
            && u64::from_be_bytes(old_seq) > seq
        {
            return Ok(());
        }
        let mut bytes = zeroize::Zeroizing::new(seq.to_be_bytes().to_vec());
        Reach::write_list(reach, &mut bytes)?;
        Ok(self.store.meta_set(&key, &bytes)?)
    }

    fn peer_reach(&self, peer: &[u8; 32]) -> Result<Vec<Reach>> {
        let key = format!("{REACH_PREFIX}{}", hex(peer));
        Ok(self
            .store
            .meta_get(&key)?
            .and_then(|b| Reach::decode_list(b.get(8..)?).ok())
            .unwrap_or_default())
    }

    /// Forgets what a removed peer named.
    pub(crate) fn forget_peer_network(&mut self, peer: &[u8; 32]) -> Result<()> {
        let h = hex(peer);
        for prefix in [REACH_PREFIX, SENT_PREFIX] {
            self.store.meta_delete(&format!("{prefix}{h}"))?;
        }
        if let Some(out) = self.outgoing(peer)? {
            let _ = files::remove(&self.transfers().join(&out.file));
            self.store.meta_delete(&format!("{OUT_PREFIX}{h}"))?;
        }
        Ok(())
    }

    /// The safe-to-sync policy.
    pub fn sync_policy(&self) -> Result<SyncPolicy> {
        Ok(match self.store.meta_get(META_POLICY)? {
            Some(b) => serde_json::from_slice(&b).map_err(|_| ApiError::DatabaseDamaged)?,
            None => SyncPolicy::default(),
        })
    }

    /// Sets the safe-to-sync policy; returns it as kept.
    pub fn set_sync_policy(&mut self, policy: SyncPolicy) -> Result<SyncPolicy> {
        let policy = policy.checked()?;
        let json = serde_json::to_vec(&policy).map_err(|_| ApiError::DatabaseDamaged)?;
        self.store.meta_set(META_POLICY, &json)?;
        Ok(policy)
    }

    /// The last network sync, if any.
    pub fn last_sync(&self) -> Result<Option<LastSync>> {
        Ok(self
            .store
            .meta_get(META_LAST)?
            .and_then(|b| serde_json::from_slice(&b).ok()))
    }

    /// The proxy to use (`proxy`, else the policy's) if the policy lets a network
    /// step start now; [`ApiError::SyncHeld`] if not. Nothing is sent either way.
    fn network_allowed(&self, asked: bool, proxy: Option<&str>) -> Result<Option<String>> {
        let policy = self.sync_policy()?;
        let proxy = proxy
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(str::to_owned)
            .or(policy.proxy.clone());
        if proxy.as_deref().is_some_and(|p| !proxy_ok(p)) {
            return Err(ApiError::Relay(RelayProblem::BadProxy));
        }
        policy.allows(
            asked,
            proxy.is_some(),
            local_minute(),
            self.unlocked_at.elapsed(),
        )?;
        Ok(proxy)
    }

    fn transfers(&self) -> PathBuf {
        self.dir.join(TRANSFERS)
    }

    fn outgoing(&self, peer: &[u8; 32]) -> Result<Option<Outgoing>> {
        Ok(self
            .store
            .meta_get(&format!("{OUT_PREFIX}{}", hex(peer)))?
            .and_then(|b| serde_json::from_slice(&b).ok()))
    }

    fn set_outgoing(&mut self, peer: &[u8; 32], out: Option<&Outgoing>) -> Result<()> {
        let key = format!("{OUT_PREFIX}{}", hex(peer));
        match out {
            Some(o) => {
                let json = serde_json::to_vec(o).map_err(|_| ApiError::DatabaseDamaged)?;
                Ok(self.store.meta_set(&key, &json)?)
            }
            None => Ok(self.store.meta_delete(&key)?),
        }
    }

    fn have_hash(have: &satchel_sync::vv::VersionVector) -> String {
        let mut bytes = Vec::new();
        for (author, seq) in &have.0 {
            bytes.extend_from_slice(&author.0);
            bytes.extend_from_slice(&seq.to_be_bytes());
        }
        hex(&satchel_crypto::hash::hash(
            "satchel 2026-11 relay sent state v1",
            &[&bytes],
        ))
    }

    /// Syncs with every peer over the network now: collects this device's
    /// mailboxes and imports what arrived (deleting each bundle from the relay only
    /// once its import has committed), then deposits what each peer is waiting for
    /// into its mailbox, and reports per peer. `asked`: the person asked (else the app's
    /// timer). Through `proxy`, else the policy's proxy. A raised cancel flag (a
    /// lock, the panic key) ends it within one read with [`ApiError::Cancelled`];
    /// what was cut resumes at the next sync.
    pub fn sync_now(
        &mut self,
        asked: bool,
        proxy: Option<&str>,
        progress: &mut dyn FnMut(&SyncProgress),
    ) -> Result<SyncReport> {
        let proxy = self.network_allowed(asked, proxy)?;
        let peers = self.store.peers()?;
        let mine = self.own_mailboxes()?;
        let mut report = SyncReport::default();
        let mut targets = Vec::new();
        for p in &peers {
            let reach = self.peer_reach(&p.signing)?;
            report.peers.push(PeerSync {
                name: p.name.clone(),
                no_address: reach.is_empty(),
                ..PeerSync::default()
            });
            targets.push((p.clone(), reach));
        }
        if mine.is_empty() && targets.iter().all(|(_, r)| r.is_empty()) {
            return Err(ApiError::Relay(RelayProblem::NoneSet));
        }
        let stop = self.store.cancel_flag();
        // What came first, so the bundles sent next acknowledge it.
        for m in &mine {
            self.cancelled()?;
            match self.collect_from(m, proxy.as_deref(), &stop, &mut report, progress) {
                Ok(()) => {}
                Err(ApiError::Cancelled) => return Err(ApiError::Cancelled),
                Err(e) => report.errors.push(Problem::from(&e)),
            }
        }
        for (i, (peer, _)) in targets.iter().enumerate() {
            // As the bundles just collected say.
            let reach = self.peer_reach(&peer.signing)?;
            let Some(entry) = report.peers.get_mut(i) else {
                continue;
            };
            entry.no_address = reach.is_empty();
            if reach.is_empty() {
                continue;
            }
            self.cancelled()?;
            let result = self.send_to(peer, &reach, proxy.as_deref(), &stop, progress);
            let Some(entry) = report.peers.get_mut(i) else {
                continue;
            };
            match result {
                Ok((ops, bytes, resumed)) => {
                    entry.sent_ops = ops;
                    entry.sent_bytes = bytes;
                    entry.resumed = resumed;
                }
                Err(ApiError::Cancelled) => return Err(ApiError::Cancelled),
                Err(e) => entry.error = Some(Problem::from(&e)),
            }
        }
        let _ = std::fs::remove_dir(self.transfers());
        report.finished_ms = now_ms();
        let last = LastSync {
            at_ms: report.finished_ms,
            complete: report.errors.is_empty()
                && report.refused.is_empty()
                && report.peers.iter().all(|p| p.error.is_none()),
        };
        let json = serde_json::to_vec(&last).map_err(|_| ApiError::DatabaseDamaged)?;
        self.store.meta_set(META_LAST, &json)?;
        Ok(report)
    }

    /// Deposits what `peer` waits for: a bundle cut on its way before, finished
    /// first, then a new one if this device holds more since. Returns (ops, bytes,
    /// resumed).
    fn send_to(
        &mut self,
        peer: &Peer,
        reach: &[Reach],
        proxy: Option<&str>,
        stop: &Stop,
        progress: &mut dyn FnMut(&SyncProgress),
    ) -> Result<(u64, u64, bool)> {
        let key = hex(&peer.signing);
        let mut sent = (0u64, 0u64, false);
        let mut pending = self.outgoing(&peer.signing)?;
        // A bundle cut before is finished first; then one more if there is more.
        for round in 0..2 {
            let out = match pending.take() {
                Some(o) => {
                    sent.2 = round == 0 && o.upload.is_some();
                    o
                }
                None => match self.seal_for(peer, reach, progress)? {
                    Some(o) => o,
                    None => break,
                },
            };
            let (done, bytes) = self.deposit(peer, reach, out, proxy, stop, progress)?;
            sent.0 += done.ops;
            sent.1 += bytes;
            let json = serde_json::to_vec(&Sent {
                have: done.have.clone(),
                at_ms: now_ms(),
            })
            .map_err(|_| ApiError::DatabaseDamaged)?;
            self.store.meta_set(&format!("{SENT_PREFIX}{key}"), &json)?;
        }
        Ok(sent)
    }

    /// Seals a bundle for `peer` into the transfers folder if it has anything new
    /// to carry: ops it has not acknowledged, or this device's acknowledgements
    /// changed since the last bundle deposited for it.
    fn seal_for(
        &mut self,
        peer: &Peer,
        reach: &[Reach],
        progress: &mut dyn FnMut(&SyncProgress),
    ) -> Result<Option<Outgoing>> {
        let held = self.store.have()?;
        let have = Self::have_hash(&held);
        let acks = self.store.peer_acks(&peer.signing)?;
        let waiting = held.0.iter().any(|(author, seq)| acks.get(author) < *seq);
        let last: Option<Sent> = self
            .store
            .meta_get(&format!("{SENT_PREFIX}{}", hex(&peer.signing)))?
            .and_then(|b| serde_json::from_slice(&b).ok());
        if let Some(last) = last
            && last.have == have
            && (!waiting || now_ms().saturating_sub(last.at_ms) < RESEND_AFTER_MS)
        {
            return Ok(None);
        }
        let Some(target) = reach.first() else {
            return Ok(None);
        };
        let name = peer.name.clone();
        let dir = self.transfers();
        let report = self.export_bundle_with(
            std::slice::from_ref(&peer.name),
            &dir,
            &mut |done, total| {
                progress(&SyncProgress {
                    step: SyncStep::Sealing,
                    peer: Some(name.clone()),
                    done,
                    total,
                });
            },
        )?;
        let out = Outgoing {
            file: report.file,
            url: target.url.clone(),
            mailbox: hex(&target.mailbox),
            upload: None,
            ops: report.ops as u64,
            size: report.size,
            have,
        };
        self.set_outgoing(&peer.signing, Some(&out))?;
        Ok(Some(out))
    }

    /// Deposits a sealed bundle into the peer's mailbox, resuming its upload if it
    /// was cut, and forgets it once the relay holds it whole. Returns it and the
    /// bytes sent.
    fn deposit(
        &mut self,
        peer: &Peer,
        reach: &[Reach],
        mut out: Outgoing,
        proxy: Option<&str>,
        stop: &Stop,
        progress: &mut dyn FnMut(&SyncProgress),
    ) -> Result<(Outgoing, u64)> {
        // Where the peer takes bundles now: the bundle's mailbox if it still names
        // it, else its first; a new mailbox starts the upload again.
        let target = reach
            .iter()
            .find(|r| r.url == out.url && hex(&r.mailbox) == out.mailbox)
            .or(reach.first())
            .ok_or(ApiError::Relay(RelayProblem::NoneSet))?;
        if target.url != out.url || hex(&target.mailbox) != out.mailbox {
            out.url = target.url.clone();
            out.mailbox = hex(&target.mailbox);
            out.upload = None;
        }
        let token = zeroize::Zeroizing::new(data_encoding::BASE64URL_NOPAD.encode(&target.deposit));
        let path = self.transfers().join(&out.file);
        let mut file = match File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                // Its file is gone (removed by hand): made again next time.
                self.set_outgoing(&peer.signing, None)?;
                return Err(ApiError::Io(std::io::ErrorKind::NotFound));
            }
            Err(e) => return Err(e.into()),
        };
        let client = RelayClient::new(&out.url, proxy)
            .map_err(relay_error)?
            .with_stop(stop.clone());
        let name = peer.name.clone();
        let signing = peer.signing;
        let mut sent = 0u64;
        for attempt in 0..2 {
            let mut kept: Option<String> = None;
            let mut from: Option<u64> = None;
            let mut at = 0u64;
            let result = client.deposit(
                &out.mailbox,
                &token,
                &mut file,
                out.size,
                out.upload.as_deref(),
                &mut |l| kept = Some(l.to_owned()),
                &mut |done, total| {
                    from.get_or_insert(done);
                    at = done;
                    progress(&SyncProgress {
                        step: SyncStep::Sending,
                        peer: Some(name.clone()),
                        done,
                        total,
                    })
                },
            );
            sent += at.saturating_sub(from.unwrap_or(at));
            if let Some(l) = kept {
                // Kept as soon as the relay made it, so a cut resumes there.
                out.upload = Some(l);
                self.set_outgoing(&signing, Some(&out))?;
            }
            match result {
                Ok(()) => break,
                // The upload is gone from the relay (expired) or is not this
                // bundle's: once more from the start.
                Err(ClientError::NotFound | ClientError::Refused(409))
                    if attempt == 0 && out.upload.is_some() =>
                {
                    out.upload = None;
                    self.set_outgoing(&signing, Some(&out))?;
                }
                Err(e) => return Err(relay_error(e)),
            }
        }
        drop(file);
        files::remove(&path)?;
        self.set_outgoing(&signing, None)?;
        Ok((out, sent))
    }

    /// Collects one of this device's mailboxes: each bundle downloaded (a cut
    /// download continues), imported, and deleted from the relay once the import
    /// committed.
    fn collect_from(
        &mut self,
        m: &OwnMailbox,
        proxy: Option<&str>,
        stop: &Stop,
        report: &mut SyncReport,
        progress: &mut dyn FnMut(&SyncProgress),
    ) -> Result<()> {
        let client = RelayClient::new(&m.url, proxy)
            .map_err(relay_error)?
            .with_stop(stop.clone());
        progress(&SyncProgress {
            step: SyncStep::Listing,
            peer: None,
            done: 0,
            total: 0,
        });
        let waiting = client.list(&m.mailbox, &m.collect).map_err(relay_error)?;
        for (blob, size) in waiting {
            self.cancelled()?;
            if size > MAX_COLLECT {
                report.refused.push(Problem::from(&ApiError::Bundle(
                    satchel_crypto::bundle::BundleError::TooLarge,
                )));
                continue;
            }
            // A name that says nothing: the same for the same bundle, so a cut
            // download continues.
            let name = hex(satchel_crypto::hash::hash(
                "satchel 2026-11 relay transfer name v1",
                &[m.mailbox.as_bytes(), blob.as_bytes()],
            )
            .get(..16)
            .unwrap_or_default());
            files::create_dir(&self.transfers())?;
            let path = self.transfers().join(name);
            let mut file = open_rw(&path)?;
            client
                .download(
                    &m.mailbox,
                    &m.collect,
                    &blob,
                    size,
                    &mut file,
                    &mut |done, total| {
                        progress(&SyncProgress {
                            step: SyncStep::Receiving,
                            peer: None,
                            done,
                            total,
                        })
                    },
                )
                .map_err(relay_error)?;
            drop(file);
            let imported = self.import_bundle_file(&path, &mut |done, total| {
                progress(&SyncProgress {
                    step: SyncStep::Importing,
                    peer: None,
                    done,
                    total,
                })
            });
            match imported {
                Ok(r) => {
                    if let Some(p) = report.peers.iter_mut().find(|p| p.name == r.from) {
                        p.received += 1;
                        p.applied += r.applied as u64;
                        p.conflicts_created += r.conflicts_created as u64;
                    }
                    // Committed: only now may the relay forget it.
                    client
                        .delete(&m.mailbox, &m.collect, &blob)
                        .map_err(relay_error)?;
                    files::remove(&path)?;
                }
                Err(ApiError::Cancelled) => return Err(ApiError::Cancelled),
                Err(e) if never_imports(&e) => {
                    report.refused.push(Problem::from(&e));
                    client
                        .delete(&m.mailbox, &m.collect, &blob)
                        .map_err(relay_error)?;
                    files::remove(&path)?;
                }
                Err(e) => {
                    // Kept, here and on the relay, for a later sync.
                    report.refused.push(Problem::from(&e));
                }
            }
        }
        Ok(())
    }
}

fn open_rw(path: &Path) -> Result<File> {
    let mut o = OpenOptions::new();
    o.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
    Ok(o.open(path)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn held(p: &SyncPolicy, asked: bool, proxied: bool, now: u16, since: u64) -> Option<String> {
        p.allows(asked, proxied, now, Duration::from_secs(since))
            .err()
            .map(|e| {
                e.params()
                    .get("reason")
                    .map(|r| format!("{r:?}"))
                    .unwrap_or_default()
            })
    }

    #[test]
    fn the_policy_holds_each_rule_and_only_it() {
        let manual = SyncPolicy::default();
        assert_eq!(held(&manual, true, false, 600, 0), None, "asked: allowed");
        assert!(
            held(&manual, false, false, 600, 0)
                .unwrap()
                .contains("manual_only")
        );
        let strict = SyncPolicy {
            auto: true,
            proxy_only: true,
            windows: vec!["22:00-06:00".into()],
            quiet_after_unlock_minutes: 10,
            ..SyncPolicy::default()
        };
        assert!(
            held(&strict, true, false, 23 * 60, 3600)
                .unwrap()
                .contains("proxy_required")
        );
        assert!(
            held(&strict, true, true, 23 * 60, 60)
                .unwrap()
                .contains("after_unlock")
        );
        let e = strict
            .allows(true, true, 23 * 60, Duration::from_secs(61))
            .unwrap_err();
        assert_eq!(
            e.params().get("minutes"),
            Some(&crate::error::ErrorParam::Number(9))
        );
        assert!(
            held(&strict, true, true, 12 * 60, 3600)
                .unwrap()
                .contains("outside_window")
        );
        // Across midnight: both sides of it, not the end minute.
        assert_eq!(held(&strict, false, true, 23 * 60, 3600), None);
        assert_eq!(held(&strict, false, true, 5 * 60 + 59, 3600), None);
        assert!(held(&strict, false, true, 6 * 60, 3600).is_some());
    }

    #[test]
    fn a_policy_out_of_shape_is_refused() {
        let bad = |p: SyncPolicy| p.checked().unwrap_err().params()["reason"].clone();
        let base = SyncPolicy::default;
        for w in [
            "",
            "9:00-10:00",
            "24:00-01:00",
            "10:00-10:00",
            "10:00",
            "aa:bb-cc:dd",
        ] {
            assert_eq!(
                bad(SyncPolicy {
                    windows: vec![w.into()],
                    ..base()
                }),
                "window".into(),
                "{w}"
            );
        }
        for p in [
            "http://127.0.0.1:9050",
            "socks5://127.0.0.1:9050",
            "socks5h://127.0.0.1",
            "socks5h://:9050",
            "socks5h://u@h:1",
        ] {
            assert_eq!(
                bad(SyncPolicy {
                    proxy: Some(p.into()),
                    ..base()
                }),
                "proxy".into(),
                "{p}"
            );
        }
        assert_eq!(
            bad(SyncPolicy {
                every_minutes: 4,
                ..base()
            }),
            "minutes".into()
        );
        assert_eq!(
            bad(SyncPolicy {
                quiet_after_unlock_minutes: 1441,
                ..base()
            }),
            "minutes".into()
        );
        let kept = SyncPolicy {
            windows: vec![" 22:00-06:30 ".into()],
            proxy: Some(" socks5h://127.0.0.1:9050 ".into()),
            ..base()
        }
        .checked()
        .unwrap();
        assert_eq!(kept.windows, ["22:00-06:30"]);
        assert_eq!(kept.proxy.as_deref(), Some("socks5h://127.0.0.1:9050"));
    }
}

//! Offload: once a coordinator has acknowledged a field worker's records, the field
//! device erases their content and attachments, keeping the signed op headers its
//! chains and the audit need. Records assigned to the device stay (ADR 0018).

use satchel_sync::{
    member::Role,
    op::{DeviceId, RecordId},
    vv::VersionVector,
};
use serde::Serialize;

use crate::{
    error::{MemberReason, Result},
    org::refused,
    vault::Vault,
};

/// Whether the policy is set; unset, it follows the role (on for field workers).
const META_OFFLOAD: &str = "offload-policy";

/// What an offload erased, or would erase.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct OffloadReport {
    /// Records whose content goes (went, unless this was a dry run).
    pub erased: usize,
    /// Records that stay because they are assigned to this device.
    pub kept_assigned: usize,
    /// Records that stay because no coordinator has acknowledged all of their
    /// content yet.
    pub kept_unacknowledged: usize,
    /// Records with content on this device after the offload.
    pub held: usize,
    /// Whether anything was erased (false for a dry run).
    pub done: bool,
}

/// The offload policy as Settings shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct OffloadPolicy {
    /// Offload after each import.
    pub enabled: bool,
    /// Set by the user (otherwise it follows the role: on for field workers).
    pub chosen: bool,
    /// Records with content held on this device now.
    pub held: usize,
}

impl Vault {
    fn my_role_now(&self) -> Result<Option<Role>> {
        let Some(members) = self.members_state()? else {
            return Ok(None);
        };
        let me = DeviceId(self.device.public().signing);
        Ok(members
            .at(crate::records::now_ms() / 1000)
            .check(me, u64::MAX)
            .ok())
    }

    /// `offload [--dry-run]`: erases the content of every record a coordinator has
    /// acknowledged in full and that is not assigned to this device. Field workers
    /// and auditors only: coordinators keep everything.
    pub fn offload(&mut self, dry_run: bool) -> Result<OffloadReport> {
        self.not_decoy()?;
        let Some(members) = self.members_state()? else {
            return Err(refused(
                MemberReason::NotInOrganisation,
                "this vault is in no organisation: nothing is acknowledged by a coordinator",
            ));
        };
        let me = DeviceId(self.device.public().signing);
        let at = members.at(crate::records::now_ms() / 1000);
        match at.check(me, u64::MAX) {
            Ok(Role::Coordinator) => {
                return Err(refused(
                    MemberReason::CoordinatorsKeep,
                    "coordinators keep every record: nothing is offloaded",
                ));
            }
            Ok(_) => {}
            Err(e) => {
                return Err(refused(
                    MemberReason::NotMemberNow,
                    format!("this device is not a member now: {e}"),
                ));
            }
        }
        // What the coordinators this device exchanges bundles with have acknowledged.
        let mut acked = VersionVector::default();
        for peer in self.store.peers()? {
            if at.check(DeviceId(peer.signing), u64::MAX) == Ok(Role::Coordinator) {
                acked.merge(&self.store.peer_acks(&peer.signing)?);
            }
        }
        let mut report = OffloadReport::default();
        let mut erase: Vec<RecordId> = Vec::new();
        let held = self.store.records_with_content()?;
        for (record, heads) in &held {
            if self.assigned_to(record)?.contains(&me) {
                report.kept_assigned += 1;
            } else if heads
                .iter()
                .all(|(author, seq)| acked.covers(&DeviceId(*author), *seq))
            {
                erase.push(*record);
            } else {
                report.kept_unacknowledged += 1;
            }
        }
        report.erased = erase.len();
        report.held = held.len() - erase.len();
        if !dry_run && !erase.is_empty() {
            self.store.offload(&erase)?;
            report.done = true;
        }
        Ok(report)
    }

    /// Whether offloading runs after each import, and whether the user chose so.
    fn offload_enabled(&self) -> Result<(bool, bool)> {
        let set = self.store.meta_get(META_OFFLOAD)?;
        let enabled = match set.as_deref().map(Vec::as_slice) {
            Some(b"on") => true,
            Some(_) => false,
            None => self.my_role_now()? == Some(Role::Field),
        };
        Ok((enabled, set.is_some()))
    }

    /// The offload policy and what this device holds.
    pub fn offload_policy(&self) -> Result<OffloadPolicy> {
        let (enabled, chosen) = self.offload_enabled()?;
        Ok(OffloadPolicy {
            enabled,
            chosen,
            held: self.store.records_with_content()?.len(),
        })
    }

    /// Turns offloading after each import on or off for this device.
    pub fn set_offload_policy(&mut self, enabled: bool) -> Result<OffloadPolicy> {
        self.not_decoy()?;
        self.store
            .meta_set(META_OFFLOAD, if enabled { b"on" } else { b"off" })?;
        self.offload_policy()
    }

    /// After an import: offloads if the policy says so and this device may.
    pub(crate) fn offload_after_import(&mut self) -> Result<usize> {
        // Not `offload_policy`: counting what is held reads every op, at every import.
        if !self.offload_enabled()?.0 {
            return Ok(0);
        }
        match self.my_role_now()? {
            Some(Role::Field | Role::Auditor) => Ok(self.offload(false)?.erased),
            _ => Ok(0),
        }
    }
}

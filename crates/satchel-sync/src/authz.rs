//! Who may do what in an organisation: the one place these rules are written. Every
//! device applies them to its own edits and to every op it imports (DESIGN §5, §6),
//! after [`crate::member::Members`] has said the author is heard and in which role.
//!
//! - coordinators may do everything;
//! - field workers create records, and edit or delete those they created or were
//!   assigned; they purge only what they created; they never publish forms, change
//!   membership or assign records;
//! - auditors write nothing.
//!
//! A vault with no organisation (standalone) does not call this: it trusts the peers
//! its user added by hand, as before (ADR 0018).
//!
//! ```
//! use satchel_sync::{authz::{self, Action, RecordFacts}, member::Role, op::DeviceId};
//!
//! let (me, other) = (DeviceId([1; 32]), DeviceId([2; 32]));
//! let theirs = RecordFacts { created_by: other, assigned_to: &[] };
//! assert!(authz::authorise(Role::Field, me, Action::Purge, Some(&theirs)).is_err());
//! assert!(authz::authorise(Role::Coordinator, me, Action::Purge, Some(&theirs)).is_ok());
//! ```

use std::fmt;

use serde::Serialize;

use crate::{
    member::{MembersAt, Refusal, Role},
    op::{Body, DeviceId, Op, OpHeader, OpKind},
};

/// What an author wants to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Create a record: a write made without having seen any op of it ([`creates`]).
    Create,
    /// Set some of a record's fields.
    Write,
    /// Mark a record deleted.
    Delete,
    /// Erase the content of a record's ops.
    Purge,
    /// Publish a form version to the organisation.
    PublishForm,
    /// Issue, renew or revoke a certificate.
    ChangeMembership,
    /// Assign a record to a member.
    Assign,
}

impl Action {
    /// The action's name in reports.
    pub const fn as_str(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Write => "write",
            Action::Delete => "delete",
            Action::Purge => "purge",
            Action::PublishForm => "publish_form",
            Action::ChangeMembership => "change_membership",
            Action::Assign => "assign",
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<OpKind> for Action {
    fn from(kind: OpKind) -> Self {
        match kind {
            OpKind::Write => Action::Write,
            OpKind::Delete => Action::Delete,
            OpKind::Purge => Action::Purge,
        }
    }
}

/// Whether an op creates its record: a write whose author had seen no op of it (an
/// empty causal context). Every later op of any author has seen at least this one.
pub fn creates(header: &OpHeader) -> bool {
    header.kind == OpKind::Write && header.context.0.values().all(|&seq| seq == 0)
}

/// Who created a record, from its ops' headers (not void): the author of the earliest
/// creation by clock, ties broken by author. Only a creation counts: an author who
/// back-dates an edit of someone else's record does not become its creator, and a
/// second creation of a record held is refused ([`DenyReason::RecordExists`]).
pub fn creator<'a>(headers: impl IntoIterator<Item = &'a OpHeader>) -> Option<DeviceId> {
    headers
        .into_iter()
        .filter(|h| creates(h))
        .min_by_key(|h| (h.hlc, h.author))
        .map(|h| h.author)
}

/// What is known of the record an op touches, as this device has it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordFacts<'a> {
    /// The record's creator ([`creator`]).
    pub created_by: DeviceId,
    /// The members the record is assigned to.
    pub assigned_to: &'a [DeviceId],
}

/// Which rule refused an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum DenyReason {
    /// Auditors write nothing.
    AuditorWritesNothing,
    /// Only coordinators publish forms, change membership and assign records.
    CoordinatorOnly,
    /// A field worker edited or deleted a record they neither created nor were assigned.
    NotCreatorOrAssignee,
    /// A field worker purged a record they did not create.
    PurgeNotCreator,
    /// A field worker deleted or purged a record this device has never seen created.
    UnknownRecord,
    /// Someone other than its creator created a record again: an op that claims to
    /// have seen nothing of a record held here (for example back-dated, to take over
    /// the creator's rights).
    RecordExists,
}

impl DenyReason {
    /// The rule, in a sentence (no names, no content).
    pub const fn reason(self) -> &'static str {
        match self {
            DenyReason::AuditorWritesNothing => "auditors write nothing",
            DenyReason::CoordinatorOnly => {
                "only coordinators publish forms, change membership or assign records"
            }
            DenyReason::NotCreatorOrAssignee => {
                "field workers edit and delete only records they created or were assigned"
            }
            DenyReason::PurgeNotCreator => "field workers purge only records they created",
            DenyReason::UnknownRecord => {
                "field workers delete or purge only records whose creation is known"
            }
            DenyReason::RecordExists => "a record is created once, by its creator",
        }
    }
}

impl fmt::Display for DenyReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.reason())
    }
}

/// An action refused, with the role it was judged in and the rule that refused it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error, Serialize)]
#[error("{action} refused for the {role} role: {reason}")]
pub struct Denied {
    /// The author's role.
    pub role: Role,
    /// What was attempted.
    pub action: Action,
    /// The rule.
    pub reason: DenyReason,
}

/// Whether `author`, heard in `role`, may do `action` to a record (`None`: the record
/// is not known yet, so a write creates it).
pub fn authorise(
    role: Role,
    author: DeviceId,
    action: Action,
    record: Option<&RecordFacts<'_>>,
) -> Result<(), Denied> {
    let deny = |reason| {
        Err(Denied {
            role,
            action,
            reason,
        })
    };
    if role != Role::Auditor
        && action == Action::Create
        && record.is_some_and(|r| r.created_by != author)
    {
        return deny(DenyReason::RecordExists);
    }
    match role {
        Role::Coordinator => Ok(()),
        Role::Auditor => deny(DenyReason::AuditorWritesNothing),
        Role::Field => match (action, record) {
            (Action::PublishForm | Action::ChangeMembership | Action::Assign, _) => {
                deny(DenyReason::CoordinatorOnly)
            }
            (Action::Create, _) | (Action::Write, None) => Ok(()),
            (Action::Delete | Action::Purge, None) => deny(DenyReason::UnknownRecord),
            (Action::Write | Action::Delete, Some(r)) => {
                if r.created_by == author || r.assigned_to.contains(&author) {
                    Ok(())
                } else {
                    deny(DenyReason::NotCreatorOrAssignee)
                }
            }
            (Action::Purge, Some(r)) => {
                if r.created_by == author {
                    Ok(())
                } else {
                    deny(DenyReason::PurgeNotCreator)
                }
            }
        },
    }
}

/// Why an op was not accepted: its author is not heard, or its role does not allow it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error, Serialize)]
#[serde(tag = "refused", rename_all = "snake_case")]
pub enum OpRefused {
    /// The author is unknown, expired, not yet valid, revoked, or badly issued.
    #[error(transparent)]
    Author(Refusal),
    /// The author's role does not allow this op.
    #[error(transparent)]
    Role(Denied),
}

/// Both checks an imported or local op gets, in order: is its author heard (at the
/// moment `members` was taken, and at the op's place in its chain), and may that
/// role do this op to `record` (`None`: not known here, so a write creates it).
pub fn check_op(
    members: &MembersAt<'_>,
    header: &OpHeader,
    record: Option<&RecordFacts<'_>>,
) -> Result<Role, OpRefused> {
    let role = members.check_op(header).map_err(OpRefused::Author)?;
    let action = if creates(header) {
        Action::Create
    } else {
        header.kind.into()
    };
    authorise(role, header.author, action, record).map_err(OpRefused::Role)?;
    Ok(role)
}

/// Every action an op takes: its kind's, and [`Action::Assign`] too when a write sets
/// or takes back who a record is assigned to. An op whose payload is not held (purged,
/// or withheld from this device) is judged by its header: its content takes no effect
/// here.
pub fn actions(op: &Op) -> Vec<Action> {
    let mut out = vec![if creates(&op.header) {
        Action::Create
    } else {
        Action::from(op.header.kind)
    }];
    if let Some(Body::Write(w)) = &op.body
        && w.touches_assignment()
    {
        out.push(Action::Assign);
    }
    out
}

/// [`check_op`] for a whole op: every action it takes must be allowed.
pub fn check(
    members: &MembersAt<'_>,
    op: &Op,
    record: Option<&RecordFacts<'_>>,
) -> Result<Role, OpRefused> {
    let role = members.check_op(&op.header).map_err(OpRefused::Author)?;
    for action in actions(op) {
        authorise(role, op.header.author, action, record).map_err(OpRefused::Role)?;
    }
    Ok(role)
}

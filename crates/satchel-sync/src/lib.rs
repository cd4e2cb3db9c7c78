//! The op model: signed, hash-chained operations, hybrid logical clocks, version
//! vectors and the multi-value-register merge that turns a set of ops into records.
//!
//! Pure rules, no I/O: the store persists what this crate computes.
//!
//! ```
//! use satchel_sync::{hlc::Hlc, op::{Body, Draft, Op, OpKind, RecordId, WriteBody}, merge};
//! use satchel_crypto::identity::DeviceKeys;
//!
//! let device = DeviceKeys::generate().unwrap();
//! let record = RecordId::random().unwrap();
//! let mut body = WriteBody::new("contact");
//! body.fields.insert("name".into(), "Kim".into());
//! let op = Op::create(&device, Draft { seq: 1, prev: None, hlc: Hlc { wall_ms: 1, counter: 0 }, record, kind: OpKind::Write, context: Default::default() }, &Body::Write(body)).unwrap();
//! let state = merge::materialise(&[op.view()]).unwrap();
//! assert_eq!(state.fields["name"][0].value, "Kim");
//! ```

pub mod authz;
pub mod bundle;
mod codec;
pub mod error;
pub mod hlc;
pub mod member;
pub mod merge;
pub mod op;
pub mod publication;
pub mod sync;
pub mod verify;
pub mod vv;

pub use error::{BodyError, OpError};

//! Version vectors: for each author, the highest sequence number seen.

use std::collections::BTreeMap;

use crate::op::DeviceId;

/// A version vector. Absent authors count as 0.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VersionVector(pub BTreeMap<DeviceId, u64>);

impl VersionVector {
    /// The highest sequence seen from `author`.
    pub fn get(&self, author: &DeviceId) -> u64 {
        self.0.get(author).copied().unwrap_or(0)
    }

    /// Whether the op `(author, seq)` is covered (seen) by this vector.
    pub fn covers(&self, author: &DeviceId, seq: u64) -> bool {
        self.get(author) >= seq
    }

    /// Records that `(author, seq)` was seen.
    pub fn observe(&mut self, author: DeviceId, seq: u64) {
        let entry = self.0.entry(author).or_insert(0);
        *entry = (*entry).max(seq);
    }

    /// Pointwise minimum: what both vectors have seen.
    pub fn meet(&self, other: &VersionVector) -> VersionVector {
        VersionVector(
            self.0
                .iter()
                .filter_map(|(a, s)| {
                    let m = (*s).min(other.get(a));
                    (m > 0).then_some((*a, m))
                })
                .collect(),
        )
    }

    /// Pointwise maximum.
    pub fn merge(&mut self, other: &VersionVector) {
        for (author, seq) in &other.0 {
            self.observe(*author, *seq);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn covers_and_merges() {
        let a = DeviceId([1; 32]);
        let b = DeviceId([2; 32]);
        let mut v = VersionVector::default();
        v.observe(a, 3);
        v.observe(a, 2);
        assert!(v.covers(&a, 3) && !v.covers(&a, 4) && !v.covers(&b, 1));
        let mut w = VersionVector::default();
        w.observe(b, 5);
        v.merge(&w);
        assert_eq!((v.get(&a), v.get(&b)), (3, 5));
        let meet = v.meet(&w);
        assert_eq!((meet.get(&a), meet.get(&b)), (0, 5));
    }
}

use proptest::prelude::*;
use satchel_audit::log::empty_root;
use satchel_audit::{Hash, Log, ProofError, verify_consistency, verify_inclusion};

fn leaf(i: u64) -> Hash {
    let mut h = [0u8; 32];
    h[..8].copy_from_slice(&i.to_be_bytes());
    h[31] = 0x5a;
    h
}

/// The same leaves through `tlog_tiles` (Go's sumdb/tlog, ported): its stored hashes.
struct Tlog(Vec<tlog_tiles::Hash>);

impl tlog_tiles::HashReader for Tlog {
    fn read_hashes(
        &self,
        indexes: &[u64],
    ) -> Result<Vec<tlog_tiles::Hash>, tlog_tiles::tlog::Error> {
        Ok(indexes.iter().map(|&i| self.0[i as usize]).collect())
    }
}

fn tlog(n: u64) -> Tlog {
    let mut t = Tlog(Vec::new());
    for i in 0..n {
        let add = tlog_tiles::stored_hashes(i, &leaf(i), &t).unwrap();
        t.0.extend(add);
    }
    t
}

#[test]
fn roots_and_proofs_match_a_second_implementation() {
    let n = 70;
    let t = tlog(n);
    for size in 1..=n {
        let log = Log::from_leaves((0..size).map(leaf));
        let root = tlog_tiles::tree_hash(size, &t).unwrap();
        assert_eq!(log.root(), root.0, "root of {size}");
        for i in 0..size {
            let theirs = tlog_tiles::prove_record(size, i, &t).unwrap();
            let ours = log.prove_inclusion(i).unwrap();
            assert_eq!(
                ours,
                theirs.iter().map(|h| h.0).collect::<Vec<_>>(),
                "{i} in {size}"
            );
            verify_inclusion(&leaf(i), i, size, &log.root(), &ours).unwrap();
        }
        for old in 1..size {
            let theirs = tlog_tiles::prove_tree(size, old, &t).unwrap();
            let ours = log.prove_consistency(old).unwrap();
            assert_eq!(
                ours,
                theirs.iter().map(|h| h.0).collect::<Vec<_>>(),
                "{old} to {size}"
            );
            let old_root = tlog_tiles::tree_hash(old, &t).unwrap().0;
            verify_consistency(old, &old_root, size, &log.root(), &ours).unwrap();
        }
    }
    assert_eq!(Log::new().root(), tlog_tiles::EMPTY_HASH.0);
}

#[test]
fn the_empty_log_and_equal_sizes() {
    let log = Log::from_leaves((0..5).map(leaf));
    assert_eq!(log.prove_consistency(0), Some(Vec::new()));
    assert_eq!(log.prove_consistency(5), Some(Vec::new()));
    assert_eq!(log.prove_consistency(6), None);
    assert_eq!(log.prove_inclusion(5), None);
    verify_consistency(0, &empty_root(), 5, &log.root(), &[]).unwrap();
    verify_consistency(5, &log.root(), 5, &log.root(), &[]).unwrap();
    assert_eq!(
        verify_consistency(0, &leaf(0), 5, &log.root(), &[]),
        Err(ProofError::Mismatch)
    );
    assert_eq!(
        verify_consistency(5, &leaf(0), 5, &log.root(), &[]),
        Err(ProofError::Mismatch)
    );
    assert_eq!(
        verify_consistency(6, &log.root(), 5, &log.root(), &[]),
        Err(ProofError::OutOfRange)
    );
    assert_eq!(
        verify_inclusion(&leaf(0), 5, 5, &log.root(), &[]),
        Err(ProofError::OutOfRange)
    );
}

proptest! {
    /// A log that was rewritten (one leaf changed, or leaves dropped and others
    /// appended) is never proved consistent with what it was, and a leaf is proved
    /// only where it is.
    #[test]
    fn only_an_append_proves_consistent(
        old in 1u64..60,
        added in 0u64..60,
        changed in any::<prop::sample::Index>(),
        wrong in any::<prop::sample::Index>(),
    ) {
        let before = Log::from_leaves((0..old).map(leaf));
        let after = Log::from_leaves((0..old + added).map(leaf));
        let proof = after.prove_consistency(old).unwrap();
        prop_assert!(verify_consistency(old, &before.root(), old + added, &after.root(), &proof).is_ok());

        let at = changed.index(old as usize) as u64;
        let rewritten = Log::from_leaves((0..old + added).map(|i| if i == at { leaf(i + 1000) } else { leaf(i) }));
        let proof = rewritten.prove_consistency(old).unwrap();
        prop_assert!(verify_consistency(old, &before.root(), old + added, &rewritten.root(), &proof).is_err());

        let size = old + added;
        let i = changed.index(size as usize) as u64;
        let proof = after.prove_inclusion(i).unwrap();
        prop_assert!(verify_inclusion(&leaf(i), i, size, &after.root(), &proof).is_ok());
        let j = wrong.index(size as usize) as u64;
        if j != i {
            prop_assert!(verify_inclusion(&leaf(i), j, size, &after.root(), &proof).is_err());
        }
        prop_assert!(verify_inclusion(&leaf(i + 1000), i, size, &after.root(), &proof).is_err());
    }
}

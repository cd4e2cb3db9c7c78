//! A Merkle log of 32-byte leaves with RFC 6962 hashing (leaf `SHA-256(0x00 ‖ leaf)`,
//! node `SHA-256(0x01 ‖ left ‖ right)`), and its proofs (RFC 9162 §2.1.3, §2.1.4),
//! through `ct-merkle`.

use ct_merkle::{ConsistencyProof, InclusionProof, RootHash, mem_backed_tree::MemoryBackedTree};
use sha2::Sha256;

/// A tree hash or a leaf.
pub type Hash = [u8; 32];

/// Why a proof does not hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProofError {
    /// The index or the sizes are outside the trees named.
    #[error("the proof is for sizes outside the trees named")]
    OutOfRange,
    /// The proof has the wrong number of hashes for its sizes.
    #[error("the proof has the wrong length for its sizes")]
    Malformed,
    /// The hashes do not lead to the root named.
    #[error("the proof does not lead to the root named")]
    Mismatch,
}

/// The root of the empty tree: SHA-256 of nothing (RFC 6962 §2.1).
pub fn empty_root() -> Hash {
    use sha2::Digest;
    Sha256::digest([]).into()
}

/// An append-only log held in memory: the leaves and the tree over them.
#[derive(Debug, Clone, Default)]
pub struct Log {
    tree: MemoryBackedTree<Sha256, Hash>,
}

impl Log {
    /// An empty log.
    pub fn new() -> Self {
        Self::default()
    }

    /// A log of `leaves`, in order.
    pub fn from_leaves(leaves: impl IntoIterator<Item = Hash>) -> Self {
        let mut log = Self::new();
        for leaf in leaves {
            log.push(leaf);
        }
        log
    }

    /// Appends a leaf; returns its index.
    pub fn push(&mut self, leaf: Hash) -> u64 {
        self.tree.push(leaf);
        self.tree.len() - 1
    }

    /// How many leaves.
    pub fn size(&self) -> u64 {
        self.tree.len()
    }

    /// The leaves, oldest first.
    pub fn leaves(&self) -> &[Hash] {
        self.tree.items()
    }

    /// The tree hash of the whole log.
    pub fn root(&self) -> Hash {
        if self.size() == 0 {
            return empty_root();
        }
        (*self.tree.root().as_bytes()).into()
    }

    /// The audit path of leaf `index` in the whole log (RFC 9162 §2.1.3.1), or `None`
    /// past the end.
    pub fn prove_inclusion(&self, index: u64) -> Option<Vec<Hash>> {
        let i = usize::try_from(index).ok()?;
        if index >= self.size() {
            return None;
        }
        Some(split(self.tree.prove_inclusion(i).as_bytes()))
    }

    /// The consistency proof from the log's first `old_size` leaves to the whole log
    /// (RFC 9162 §2.1.4.1; empty when `old_size` is 0 or the whole log), or `None` if
    /// the log is smaller.
    pub fn prove_consistency(&self, old_size: u64) -> Option<Vec<Hash>> {
        let added = self.size().checked_sub(old_size)?;
        if old_size == 0 || added == 0 {
            return Some(Vec::new());
        }
        let added = usize::try_from(added).ok()?;
        Some(split(self.tree.prove_consistency(added).as_bytes()))
    }
}

fn split(bytes: &[u8]) -> Vec<Hash> {
    bytes
        .chunks_exact(32)
        .filter_map(|c| Hash::try_from(c).ok())
        .collect()
}

fn join(proof: &[Hash]) -> Vec<u8> {
    proof.iter().flatten().copied().collect()
}

fn root(hash: &Hash, size: u64) -> RootHash<Sha256> {
    RootHash::new((*hash).into(), size)
}

/// Checks that `leaf` is at `index` in the tree of `size` leaves whose hash is `root`.
pub fn verify_inclusion(
    leaf: &Hash,
    index: u64,
    size: u64,
    tree_root: &Hash,
    proof: &[Hash],
) -> Result<(), ProofError> {
    use ct_merkle::InclusionVerifError as E;
    if index >= size {
        return Err(ProofError::OutOfRange);
    }
    let proof =
        InclusionProof::<Sha256>::try_from_bytes(join(proof)).map_err(|_| ProofError::Malformed)?;
    root(tree_root, size)
        .verify_inclusion(leaf, index, &proof)
        .map_err(|e| match e {
            E::MalformedProof => ProofError::Malformed,
            E::IndexOutOfRange | E::TreeEmpty => ProofError::OutOfRange,
            _ => ProofError::Mismatch,
        })
}

/// Checks that the tree of `old_size` leaves hashing to `old_root` is the first
/// `old_size` leaves of the tree of `new_size` hashing to `new_root`: the log only
/// grew. From size 0, only the empty tree's root and an empty proof; between equal
/// sizes, equal roots and an empty proof.
pub fn verify_consistency(
    old_size: u64,
    old_root: &Hash,
    new_size: u64,
    new_root: &Hash,
    proof: &[Hash],
) -> Result<(), ProofError> {
    use ct_merkle::ConsistencyVerifError as E;
    if old_size > new_size {
        return Err(ProofError::OutOfRange);
    }
    if old_size == 0 || old_size == new_size {
        if !proof.is_empty() {
            return Err(ProofError::Malformed);
        }
        let same = if old_size == 0 {
            *old_root == empty_root()
        } else {
            old_root == new_root
        };
        return if same {
            Ok(())
        } else {
            Err(ProofError::Mismatch)
        };
    }
    let proof = ConsistencyProof::<Sha256>::try_from_bytes(join(proof))
        .map_err(|_| ProofError::Malformed)?;
    root(new_root, new_size)
        .verify_consistency(&root(old_root, old_size), &proof)
        .map_err(|e| match e {
            E::MalformedProof => ProofError::Malformed,
            E::OldTreeEmpty | E::OldTreeLarger | E::NewTreeTooBig => ProofError::OutOfRange,
            _ => ProofError::Mismatch,
        })
}

//! Integration tests of the op model.

mod bundle_vectors;
mod convergence;
mod vectors;

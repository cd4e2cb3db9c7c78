//! Integration tests of the op model.

mod convergence;
mod vectors;

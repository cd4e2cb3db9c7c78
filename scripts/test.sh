#!/usr/bin/env bash
# Sets up and runs Satchel's whole test suite: formatting, lints, unit, property,
# golden-vector and CLI tests (including the full-disk test, which needs root to
# mount a small tmpfs), a short fuzzing run of every parser, and a smoke run of the
# benchmarks. Uses $CARGO_TARGET_DIR when set.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export PATH="$HOME/.cargo/bin:$PATH"

echo "== format and lints"
cargo fmt --all -- --check
cargo clippy --locked --workspace --all-targets -- -D warnings

echo "== tests"
cargo test --locked --workspace

echo "== fuzzing (${SATCHEL_FUZZ_SECONDS:-20} s per target)"
SATCHEL_FUZZ_OPTIONAL="${SATCHEL_FUZZ_OPTIONAL:-1}" scripts/fuzz.sh "${SATCHEL_FUZZ_SECONDS:-20}"

echo "== benchmark smoke run"
cargo run --locked --release -p satchel-bench -- --quick

#!/usr/bin/env bash
# Sets up and runs Satchel's whole test suite: formatting, lints, the UI's type check
# and unit tests, Rust unit, property, golden-vector, CLI and app command tests
# (including the full-disk test, which needs root to mount a small tmpfs), the
# end-to-end test of the desktop app under Xvfb, a short fuzzing run of every
# parser, and a smoke run of the benchmarks. Uses $CARGO_TARGET_DIR when set.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export PATH="$HOME/.cargo/bin:$PATH"

echo "== UI: type check, unit tests, build"
(cd ui && npm run --silent check && npm run --silent test && npm run --silent build)

echo "== format and lints"
cargo fmt --all -- --check
cargo clippy --locked --workspace --all-targets -- -D warnings

echo "== tests"
cargo test --locked --workspace

echo "== end to end (desktop app in WebKitGTK under Xvfb)"
cargo build --locked -p satchel-app
scripts/e2e.sh

echo "== fuzzing (${SATCHEL_FUZZ_SECONDS:-20} s per target)"
SATCHEL_FUZZ_OPTIONAL="${SATCHEL_FUZZ_OPTIONAL:-1}" scripts/fuzz.sh "${SATCHEL_FUZZ_SECONDS:-20}"

echo "== benchmark smoke run"
cargo run --locked --release -p satchel-bench -- --quick

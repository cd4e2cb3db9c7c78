#!/usr/bin/env bash
# Sets up and runs Satchel's whole test suite. Uses $CARGO_TARGET_DIR when set.
#
#   scripts/test.sh          the default suite (CI): about 6 minutes on 2 cores
#   scripts/test.sh --long   the default suite, then what takes minutes more: the
#                            150-process first-open race and the kill tests at full
#                            count, libFuzzer on every parser ($SATCHEL_FUZZ_SECONDS
#                            per target, default 120), the relay over a three-node
#                            Garage cluster with nodes killed mid-transfer, the
#                            release benchmarks (the relay's over Garage too), and
#                            the .deb package installed and started under Xvfb
#
# Default stages: the UI's type check, unit tests and build; cargo fmt and clippy;
# every Rust unit, property, golden-vector, CLI and app command test, with the kept
# fuzz inputs replayed (satchel-fuzz-checks) and the full-disk test (root mounts a
# small tmpfs; elsewhere set SATCHEL_SKIP_MOUNT_TESTS=1); the end-to-end test of the
# desktop app under Xvfb, run beside them; a smoke run of the benchmarks; release
# hygiene (cargo deny, no test hooks in shipped binaries). A line per stage with its
# time ends the run.
# tests/README.md says where each test lives and what the long mode adds.
set -euo pipefail
cd "$(dirname "$0")/.."
# A relative target folder would mean another folder in each script that changes
# directory (the end-to-end test runs from ui/): make it absolute once.
if [ -n "${CARGO_TARGET_DIR:-}" ]; then
  CARGO_TARGET_DIR=$(realpath -m "$CARGO_TARGET_DIR")
  export CARGO_TARGET_DIR
fi

long=0
for arg in "$@"; do
  case $arg in
    --long) long=1 ;;
    *) echo "usage: $0 [--long]" >&2; exit 2 ;;
  esac
done

timings=()
suite_start=$(date +%s)
stage_start=$suite_start
# Prints how long each stage took, when the suite ends for any reason.
report() {
  local status=$?
  echo
  echo "== timings"
  printf '  %s\n' "${timings[@]}"
  printf '  %-26s %5d s%s\n' "total" "$(($(date +%s) - suite_start))" \
    "$([ "$status" -eq 0 ] && echo "" || echo "  (FAILED)")"
}
trap report EXIT
# Ends the current stage: `done_stage NAME`.
done_stage() {
  local now
  now=$(date +%s)
  timings+=("$(printf '%-26s %5d s' "$1" "$((now - stage_start))")")
  stage_start=$now
}

scripts/setup.sh "$([ "$long" = 1 ] && echo --long || echo --tests)"
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$HOME/.cargo/bin:$PATH"
done_stage setup

echo "== UI build"
(cd ui && npm run --silent build)
done_stage "ui build"

# The UI's checks need one core for about a minute and nothing from Rust: they run
# beside clippy, and their output is shown when they end.
ui_log=$(mktemp)
(cd ui && npm run --silent check && npm run --silent test) >"$ui_log" 2>&1 &
ui_pid=$!

echo "== format and lints"
cargo fmt --all -- --check
cargo clippy --locked --workspace --all-targets -- -D warnings
done_stage "fmt, clippy"

echo "== UI: type check and unit tests"
ui_status=0
wait "$ui_pid" || ui_status=$?
cat "$ui_log"
rm -f "$ui_log"
[ "$ui_status" -eq 0 ] || { echo "the UI's checks failed" >&2; exit 1; }
done_stage "ui check, vitest (waited)"

echo "== build: the tests, and the binaries of the end-to-end test"
# The end-to-end test's binaries differ from the tests' builds in features (no test
# hooks, no mock runtime), and cargo test puts its own builds where they were: they
# are linked into a folder of their own first. The benchmark is built here too, with
# the same features. The CLI makes the other device of the organisation and network
# tests (ui/e2e/org.e2e.ts, network.e2e.ts), and the relay the network test syncs
# through.
target=${CARGO_TARGET_DIR:-$PWD/target}
cargo build --locked -p satchel-app -p satchel-bench -p satchel-cli -p satchel-relay
bin=$target/e2e-bin
rm -rf "$bin"
mkdir -p "$bin"
for b in satchel-app satchel-bench satchel-e2e satchel satchel-relay; do
  ln -f "$target/debug/$b" "$bin/$b" 2>/dev/null || cp "$target/debug/$b" "$bin/$b"
done
cargo test --locked --workspace --no-run
done_stage "build tests and app"

# The end-to-end test (the desktop app in WebKitGTK under Xvfb) mostly waits on the
# web view, a fifth of a core; the tests and the benchmark smoke run keep both cores
# busy. Run side by side, they take the time of the longer. Its output is shown when
# it ends.
e2e_log=$(mktemp)
SATCHEL_E2E_BIN="$bin" setsid scripts/e2e.sh >"$e2e_log" 2>&1 &
e2e_pid=$!
# Ends the end-to-end run (its process group) if the suite stops before it.
trap 'status=$?; kill -- -"$e2e_pid" 2>/dev/null; (exit "$status"); report' EXIT

echo "== tests (the end-to-end test runs beside them)"
if [ "$long" = 1 ]; then export SATCHEL_LONG_TESTS=1; fi
cargo test --locked --workspace
done_stage "cargo test"

echo "== benchmark smoke run (test profile)"
"$bin/satchel-bench" --quick
done_stage "bench smoke"

echo "== end to end (desktop app in WebKitGTK under Xvfb)"
e2e_status=0
wait "$e2e_pid" || e2e_status=$?
trap report EXIT
cat "$e2e_log"
rm -f "$e2e_log"
[ "$e2e_status" -eq 0 ] || { echo "the end-to-end test failed" >&2; exit 1; }
done_stage "end to end (waited)"

echo "== release hygiene"
scripts/hygiene.sh
done_stage "hygiene"

if [ "$long" = 1 ]; then
  echo "== long: fuzzing (${SATCHEL_FUZZ_SECONDS:-120} s per target)"
  scripts/fuzz.sh "${SATCHEL_FUZZ_SECONDS:-120}"
  done_stage "long: fuzz"

  echo "== long: release benchmarks"
  # The relay's figures run the relay process built beside the benchmark.
  cargo build --locked --release -p satchel-relay
  cargo run --locked --release -p satchel-bench
  # The relay over a three-node Garage cluster against direct S3 PUTs to it.
  cluster=$(mktemp -d)
  scripts/garage-cluster.sh start "$cluster"
  (set -a && . "$cluster/env" && "${CARGO_TARGET_DIR:-target}/release/satchel-bench" --only-relay-s3) \
    || { scripts/garage-cluster.sh stop "$cluster"; exit 1; }
  scripts/garage-cluster.sh stop "$cluster"
  rm -rf "$cluster"
  done_stage "long: release bench"

  echo "== long: the .deb package, installed and started"
  scripts/package.sh
  scripts/package-test.sh
  done_stage "long: package"

  echo "== long: end to end on the release app"
  SATCHEL_E2E_BIN="$bin" scripts/e2e.sh --release
  done_stage "long: release end to end"
fi

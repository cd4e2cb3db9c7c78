#!/usr/bin/env bash
# Release hygiene, run by scripts/test.sh:
# - cargo deny: licences, banned and duplicate crates, sources (deny.toml); the
#   advisory check where a RustSec database is present, and a line saying so where
#   it is not (these machines cannot fetch it);
# - no test hooks in what ships: the app and the CLI are built without the
#   `test-hooks` feature of satchel-store and satchel-api, while their tests have it
#   (so the check can see the feature when it is there);
# - the end-to-end knob (src-tauri/src/e2e_knob.rs) is in the debug app, so a search
#   for its name works; `scripts/hygiene.sh RELEASE_BINARY` also checks that a release
#   build of the app does not contain it.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$HOME/.cargo/bin:$PATH"
fail=0

log=$(mktemp)
trap 'rm -f "$log"' EXIT
if cargo deny --locked check licenses bans sources >"$log" 2>&1; then
  echo "hygiene: cargo deny: $(tail -n 1 "$log")"
else
  cat "$log"
  echo "hygiene: cargo deny FAILED" >&2
  fail=1
fi
db_root="${CARGO_HOME:-$HOME/.cargo}/advisory-dbs"
# A database is a folder there; a failed fetch leaves only a lock file.
if compgen -G "$db_root/*/" >/dev/null; then
  if cargo deny --locked --offline check advisories >"$log" 2>&1; then
    echo "hygiene: advisories: $(tail -n 1 "$log") (RustSec database in $db_root)"
  else
    cat "$log"
    echo "hygiene: advisories FAILED" >&2
    fail=1
  fi
else
  echo "hygiene: advisories NOT CHECKED: no RustSec database in $db_root on this machine"
fi

# `cargo tree -e no-dev` resolves features as a plain build of the package does.
features() { cargo tree --locked -p "$1" "${@:2}" -f '{p} {f}' --prefix none; }
hooks=0
for bin in satchel-app satchel-cli; do
  if features "$bin" -e no-dev | grep -E '^satchel-(store|api) ' | grep -q 'test-hooks'; then
    echo "hygiene: $bin is built with test hooks" >&2
    hooks=1
  fi
done
if ! features satchel-cli | grep -E '^satchel-store ' | grep -q 'test-hooks'; then
  echo "hygiene: the test-hooks check sees nothing even in the CLI's tests" >&2
  hooks=1
fi
if [ "$hooks" = 0 ]; then
  echo "hygiene: satchel-app and satchel-cli are built without test hooks"
else
  fail=1
fi

knob=SATCHEL_DEBUG_BUILD_ONLY_INSECURE_E2E_KNOB
target=${CARGO_TARGET_DIR:-target}
if [ ! -f "$target/debug/satchel-app" ]; then
  echo "hygiene: no debug app to check the knob search against; run cargo build -p satchel-app" >&2
  fail=1
elif ! grep -q "$knob" "$target/debug/satchel-app"; then
  echo "hygiene: the debug app does not hold $knob: the release check below could not see it" >&2
  fail=1
fi
if [ $# -ge 1 ]; then
  if grep -q "$knob" "$1"; then
    echo "hygiene: the release app $1 holds the end-to-end knob" >&2
    fail=1
  else
    echo "hygiene: the release app holds no end-to-end knob"
  fi
fi
exit "$fail"

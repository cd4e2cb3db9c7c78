#!/usr/bin/env bash
# End to end in the real web view: the debug app driven by tauri-driver and
# WebKitWebDriver under Xvfb, with a private HOME (so WebKit's data and cache
# directories are ours to scan), TMPDIR and a folder standing in for a USB drive.
# Expects the UI built and the app compiled (scripts/test.sh does both).
# SATCHEL_SCREENSHOTS=docs/screenshots refreshes the README's screenshots (none are
# taken otherwise, nor are the steps that exist only for them run).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
target=$(realpath -m "${CARGO_TARGET_DIR:-$root/target}")
# --release: the release app as shipped (real key derivation, minutes that last a
# minute; the long mode runs it after building the package). Default: the debug app
# with its test knob.
profile=debug
case ${1:-} in
  --release) profile=release ;;
  '') ;;
  *) echo "usage: $0 [--release]" >&2; exit 2 ;;
esac
# SATCHEL_E2E_BIN: a folder holding the debug binaries (scripts/test.sh links them
# there, so that its tests' own builds can run beside this test).
tools=$(realpath -m "${SATCHEL_E2E_BIN:-$target/debug}")
if [ "$profile" = release ]; then app=$target/release/satchel-app; else app=$tools/satchel-app; fi
if [ "$profile" = release ]; then
  knob=() kdf=default minute=60 bulk=150000
else
  knob=(SATCHEL_DEBUG_BUILD_ONLY_INSECURE_E2E_KNOB=1) kdf=insecure minute=10 bulk=20000
fi
driver=$(command -v tauri-driver || echo "${CARGO_HOME:-$HOME/.cargo}/bin/tauri-driver")
[ -x "$app" ] || { echo "e2e: $app is missing; build it with cargo build -p satchel-app" >&2; exit 1; }
[ -x "$driver" ] || { echo "e2e: tauri-driver is missing; run scripts/setup.sh --tests" >&2; exit 1; }

run=$(mktemp -d "${TMPDIR:-/tmp}/satchel-e2e.XXXXXX")
trap '[ -n "${SATCHEL_E2E_KEEP:-}" ] || rm -rf "$run"' EXIT
mkdir -p "$run"/{home,tmp,media/USB,fixtures,vaults}
# A photo whose metadata carries a canary: it must not leak out of the vault either.
convert -size 96x64 gradient:'#3a6ea5-#e8e4d8' -set comment 'ZQXCANARY7131 photo' "$run/fixtures/photo.png"
# Picked through the system's file dialog, by a name typed into it.
printf 'ZQXCANARY7131 picked in the file dialog\n' >"$run/fixtures/ZQXCANARY7131-dialog.txt"

# Screenshots only when asked for: each waits for the page to settle.
# GTK's list of recent files, as a desktop would have it: an entry of another
# program, and one an earlier Satchel left (with a canary in its path). The app must
# remove its own entry and leave the other (ui/e2e/scenario.e2e.ts).
mkdir -p "$run/home/.local/share"
cat >"$run/home/.local/share/recently-used.xbel" <<'XBEL'
<?xml version="1.0" encoding="UTF-8"?>
<xbel version="1.0"
      xmlns:bookmark="http://www.freedesktop.org/standards/desktop-bookmarks"
      xmlns:mime="http://www.freedesktop.org/standards/shared-mime-info"
>
  <bookmark href="file:///home/user/other-program.txt" added="2026-11-01T10:00:00.000000Z" modified="2026-11-01T10:00:00.000000Z" visited="2026-11-01T10:00:00.000000Z">
    <info><metadata owner="http://freedesktop.org"><mime:mime-type type="text/plain"/><bookmark:applications><bookmark:application name="gedit" exec="&apos;gedit %u&apos;" modified="2026-11-01T10:00:00.000000Z" count="1"/></bookmark:applications></metadata></info>
  </bookmark>
  <bookmark href="file:///media/USB/ZQXCANARY7131-bundle" added="2026-11-01T10:00:00.000000Z" modified="2026-11-01T10:00:00.000000Z" visited="2026-11-01T10:00:00.000000Z">
    <info><metadata owner="http://freedesktop.org"><mime:mime-type type="application/octet-stream"/><bookmark:applications><bookmark:application name="satchel-app" exec="&apos;satchel-app %u&apos;" modified="2026-11-01T10:00:00.000000Z" count="1"/></bookmark:applications></metadata></info>
  </bookmark>
</xbel>
XBEL

shots=${SATCHEL_SCREENSHOTS:-}
case $shots in ''|/*) ;; *) shots=$root/$shots ;; esac
# The window renders as shipped (no GPU compositing), except when screenshots are
# taken: WebKitWebDriver's screenshots hang without compositing. With compositing on,
# Mesa's software renderer in the web process has crashed under the allocator's
# fill of freed memory (src-tauri/src/hardening.rs); such a run sets
# GLIBC_TUNABLES=glibc.malloc.perturb=0 to keep the fill off.
compositing=off
if [ -n "$shots" ]; then
  compositing=on
  export GLIBC_TUNABLES=${GLIBC_TUNABLES:-glibc.malloc.perturb=0}
fi

cd "$root/ui"
# SATCHEL_E2E_ONLY=network runs only the files whose names hold that word.
# The test runner keeps its own HOME and TMPDIR (its transform cache holds the test's
# source, canaries included); tauri-driver, and so the app, gets the private ones.
# The debug app's test knob (src-tauri/src/e2e_knob.rs): a cheap key derivation and
# 10-second auto-lock minutes. Release builds have no such knob.
e2e_env=(SATCHEL_APP="$app" SATCHEL_E2E_TOOL="$tools/satchel-e2e" SATCHEL_CLI="$tools/satchel"
  SATCHEL_RELAY="$tools/satchel-relay" "${knob[@]}"
  SATCHEL_E2E_KDF="$kdf" SATCHEL_E2E_MINUTE="$minute" SATCHEL_E2E_BULK="$bulk" TAURI_DRIVER="$driver" SATCHEL_E2E_DIR="$run"
  SATCHEL_MEDIA_ROOT="$run/media" SATCHEL_SCREENSHOTS="$shots" SATCHEL_WEBDRIVER_COMPOSITING="$compositing")
vitest() {
  timeout 900 xvfb-run -a -s "-screen 0 1280x800x24" \
    node node_modules/vitest/vitest.mjs run --config vitest.e2e.config.ts "$@"
}
only=${SATCHEL_E2E_ONLY:-}
if [ "$only" != network ]; then
  # shellcheck disable=SC2086 # the filter is words
  env "${e2e_env[@]}" bash -c "$(declare -f vitest); vitest ${only:-scenario org forms}"
fi
[ -z "$only" ] || [ "$only" = network ] || exit 0

# The network test runs in a network namespace of its own when root can make one.
# Its only way out is a veth pair to 10.213.78.1, where the relay listens, so
# tcpdump inside sees every packet the app sends (ui/e2e/network.e2e.ts counts
# them). The CLI's namespace test uses 10.213.77.0/30.
if [ "$(id -u)" != 0 ] || ! command -v ip >/dev/null || ! command -v tcpdump >/dev/null; then
  [ -z "${CI:-}" ] || { echo "e2e: CI must run the network test in a namespace (root, ip, tcpdump)" >&2; exit 1; }
  echo "e2e: the network test runs without its namespace (needs root, ip and tcpdump)" >&2
  env "${e2e_env[@]}" bash -c "$(declare -f vitest); vitest network"
  exit 0
fi
ns=se2e$$
relay_pid=
cleanup_ns() {
  [ -z "$relay_pid" ] || kill "$relay_pid" 2>/dev/null || true
  for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null || true; done
  ip netns del "$ns" 2>/dev/null || true
  ip link del "${ns}a" 2>/dev/null || true
}
trap 'cleanup_ns; [ -n "${SATCHEL_E2E_KEEP:-}" ] || rm -rf "$run"' EXIT
# A run killed before would still route the subnet.
for dev in $(ip -o addr show to 10.213.78.0/30 | awk '{print $2}'); do ip link del "$dev" 2>/dev/null || true; done
ip netns add "$ns"
ip link add "${ns}a" type veth peer name "${ns}b"
ip link set "${ns}b" netns "$ns"
sysctl -q -w "net.ipv6.conf.${ns}a.disable_ipv6=1"
ip addr add 10.213.78.1/30 dev "${ns}a"
ip link set "${ns}a" up
# No IPv6 inside: the kernel's neighbour discovery would fill the captures.
ip netns exec "$ns" sysctl -q -w net.ipv6.conf.all.disable_ipv6=1
ip netns exec "$ns" sysctl -q -w "net.ipv6.conf.${ns}b.disable_ipv6=1"
ip netns exec "$ns" ip addr add 10.213.78.2/30 dev "${ns}b"
ip netns exec "$ns" ip link set "${ns}b" up
ip netns exec "$ns" ip link set lo up
mkdir -p "$run/relay"
"$tools/satchel-relay" serve --data "$run/relay" --listen 10.213.78.1:0 >"$run/relay.out" 2>/dev/null &
relay_pid=$!
for _ in $(seq 100); do grep -q '^listening on' "$run/relay.out" && break; sleep 0.05; done
relay_addr=$(sed -n 's/^listening on //p' "$run/relay.out")
[ -n "$relay_addr" ] || { echo "e2e: the relay did not start" >&2; exit 1; }
ip netns exec "$ns" env "${e2e_env[@]}" SATCHEL_E2E_RELAY_URL="http://$relay_addr" \
  SATCHEL_E2E_RELAY_DATA="$run/relay" SATCHEL_E2E_NETNS=1 \
  bash -c "$(declare -f vitest); vitest network"

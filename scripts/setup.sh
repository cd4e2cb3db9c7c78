#!/usr/bin/env bash
# Installs what building Satchel needs and is missing, and with --tests or --long
# what its tests need too (tauri-driver, cargo-deny; for --long cargo-fuzz and a
# nightly toolchain). Idempotent: a machine that has everything pays a few
# dpkg-query calls. Run as root (or with sudo
# available) on Debian 12; other platforms: see README.md.
set -euo pipefail
mode=${1:-}
case $mode in ''|--tests|--long) ;; *) echo "usage: $0 [--tests|--long]" >&2; exit 2 ;; esac

# C toolchain and OpenSSL headers for SQLCipher (built from source by rusqlite).
# util-linux's mount is used by the full-disk test.
packages=(build-essential pkg-config libssl-dev ca-certificates curl mount file)
# The desktop app: WebKitGTK and GTK for Tauri; Xvfb, WebKitWebDriver and
# ImageMagick for the end-to-end test and its screenshots; xdotool for measure-app.sh.
packages+=(libwebkit2gtk-4.1-dev libgtk-3-dev librsvg2-dev libayatana-appindicator3-dev
  libxdo-dev xvfb xauth webkit2gtk-driver imagemagick xdotool)
# libdbus for the screen-lock watcher; a private dbus-daemon and dbus-send stand in
# for the desktop's buses in its tests.
packages+=(libdbus-1-dev dbus-daemon dbus-bin)
# Node.js builds the UI (Vite 8 wants Node 20.19 or newer; Debian 12's own is 18).
command -v npm >/dev/null 2>&1 || packages+=(nodejs npm)
# The audit tests check checkpoints with Go's reference signed-note package.
if [ -n "$mode" ]; then packages+=(golang-go golang-golang-x-mod-dev); fi
# Network sync's tests: a SOCKS5 proxy, network namespaces, and packet captures that
# show nothing leaves when the policy holds sync back.
if [ -n "$mode" ]; then packages+=(microsocks iproute2 tcpdump); fi
# The release benchmarks of --long compare bundles with age (Debian's).
if [ "$mode" = --long ]; then packages+=(age); fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "setup: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if ! command -v cargo >/dev/null 2>&1 && [ -x "$HOME/.cargo/bin/cargo" ]; then
  export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$HOME/.cargo/bin:$PATH"
fi
if ! command -v cargo >/dev/null 2>&1; then
  echo "setup: installing the Rust toolchain with rustup"
  curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal \
    --component rustfmt,clippy
  export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$HOME/.cargo/bin:$PATH"
fi
cargo fmt --version >/dev/null 2>&1 || rustup component add rustfmt
cargo clippy --version >/dev/null 2>&1 || rustup component add clippy
# What the tests need beyond the app: cargo-deny (scripts/hygiene.sh) for --tests and
# --long, and for --long cargo-fuzz with a nightly toolchain.
if [ "$mode" = --long ]; then
  if command -v rustup >/dev/null 2>&1 && ! rustup toolchain list | grep -q '^nightly'; then
    rustup toolchain install nightly --profile minimal >/dev/null 2>&1 \
      || echo "setup: no nightly toolchain could be installed; fuzzing cannot run" >&2
  fi
  if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
    echo "setup: installing cargo-fuzz"
    cargo install cargo-fuzz --locked --quiet
  fi
  # The relay's object-store tests and figures run a three-node Garage cluster
  # (scripts/garage-cluster.sh); building it takes about ten minutes, once.
  if ! command -v garage >/dev/null 2>&1 && [ ! -x "${CARGO_HOME:-$HOME/.cargo}/bin/garage" ]; then
    echo "setup: installing garage (the relay's object-store tests)"
    cargo install garage --version '2.5.0' --locked --quiet
  fi
fi

if [ -n "$mode" ] && ! cargo deny --version >/dev/null 2>&1; then
  echo "setup: installing cargo-deny"
  cargo install cargo-deny --version '^0.20' --locked --quiet
fi

# tauri-driver bridges WebDriver to the app for the end-to-end test (pinned to 2.x:
# the newest releases are 3.0 alphas).
if [ -n "$mode" ] && ! command -v tauri-driver >/dev/null 2>&1 \
  && [ ! -x "${CARGO_HOME:-$HOME/.cargo}/bin/tauri-driver" ]; then
  echo "setup: installing tauri-driver"
  cargo install tauri-driver --version '^2' --locked --quiet
fi

node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 20 ]; then
  echo "setup: Node.js $(node --version 2>/dev/null || echo missing) is too old for the UI build; install Node 20 or newer" >&2
  exit 1
fi
# The UI's npm packages, exactly as locked; skipped when already installed.
ui="$(cd "$(dirname "$0")/.." && pwd)/ui"
if [ ! -f "$ui/node_modules/.package-lock.json" ] || [ "$ui/package-lock.json" -nt "$ui/node_modules/.package-lock.json" ]; then
  echo "setup: installing the UI's npm packages"
  (cd "$ui" && npm ci --no-audit --no-fund --loglevel=error)
fi

#!/usr/bin/env bash
# Installs what building and testing Satchel needs and is missing. Idempotent: a
# machine that has everything pays a few dpkg-query calls. Run as root (or with sudo
# available) on Debian 12; other platforms: see README.md.
set -euo pipefail

# C toolchain and OpenSSL headers for SQLCipher (built from source by rusqlite).
# util-linux's mount is used by the full-disk test.
packages=(build-essential pkg-config libssl-dev ca-certificates curl mount)

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
  export PATH="$HOME/.cargo/bin:$PATH"
fi
if ! command -v cargo >/dev/null 2>&1; then
  echo "setup: installing the Rust toolchain with rustup"
  curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal \
    --component rustfmt,clippy
  export PATH="$HOME/.cargo/bin:$PATH"
fi
cargo fmt --version >/dev/null 2>&1 || rustup component add rustfmt
cargo clippy --version >/dev/null 2>&1 || rustup component add clippy
# cargo-fuzz needs a nightly toolchain; without one (and no way to fetch it) the
# test script skips fuzzing and says so.
if command -v rustup >/dev/null 2>&1 && ! rustup toolchain list | grep -q '^nightly'; then
  rustup toolchain install nightly --profile minimal >/dev/null 2>&1 \
    || echo "setup: no nightly toolchain could be installed; fuzzing will be skipped"
fi

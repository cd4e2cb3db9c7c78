#!/usr/bin/env bash
# Builds Satchel's desktop app as a Debian package with the Tauri bundler (its CLI
# comes with the UI's npm packages) and prints the package's path. A field office
# installs this package: `apt install ./Satchel_*.deb`. scripts/package-test.sh
# installs it into an empty directory and starts it.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$HOME/.cargo/bin:$PATH"

(cd ui && npm run --silent build)
# The release build and the bundle (the CLI runs cargo itself, in release).
(cd src-tauri && ../ui/node_modules/.bin/tauri build --ci --bundles deb)
target=${CARGO_TARGET_DIR:-$PWD/target}
deb=$(ls -t "$target"/release/bundle/deb/*.deb | head -n 1)
echo "package: $deb ($(du -k "$deb" | cut -f1) KiB)"

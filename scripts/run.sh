#!/usr/bin/env bash
# Sets up, builds and starts the Satchel desktop app on the user's own vault (created
# on first start; see README.md for where it lives). With no display (a server, a
# container) the app starts under Xvfb and a screenshot of its first screen is saved
# to satchel-screenshot.png; SATCHEL_KEEP_RUNNING=1 keeps it running there.
# scripts/demo-cli.sh walks the command-line tool through a demo vault instead.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$HOME/.cargo/bin:$PATH"

(cd ui && npm run --silent build)
cargo build --release --locked -p satchel-app
target_dir=$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
app="$target_dir/release/satchel-app"

if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  exec "$app" "$@"
fi
echo "run: no display; starting Satchel under Xvfb"
shot="$PWD/satchel-screenshot.png"
xvfb-run -a -s "-screen 0 1280x800x24" sh -c '
  "$0" "$@" & pid=$!
  sleep 4
  import -window root "'"$shot"'"
  echo "run: screenshot of the first screen in '"$shot"'"
  if [ -n "${SATCHEL_KEEP_RUNNING:-}" ]; then wait $pid; else kill -TERM $pid; wait $pid 2>/dev/null || true; fi
' "$app" "$@"

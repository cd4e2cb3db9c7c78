#!/usr/bin/env bash
# Checks the newest package from scripts/package.sh as a field office would use it:
# its dependencies resolve on this Debian, it holds the app, its menu entry and no
# test knob, and the installed app (unpacked into an empty directory root) starts
# under Xvfb to its first screen.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
target=${CARGO_TARGET_DIR:-$root/target}
deb=$(ls -t "$target"/release/bundle/deb/*.deb 2>/dev/null | head -n 1)
[ -n "$deb" ] || { echo "package-test: no package; run scripts/package.sh" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/satchel-package.XXXXXX")
app_pid=""
cleanup() {
  [ -n "$app_pid" ] && kill "$app_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

echo "package-test: $(dpkg-deb -f "$deb" Package Version Architecture | tr '\n' ' ')"
echo "package-test: depends on $(dpkg-deb -f "$deb" Depends)"
# Every dependency resolves from this system's package lists (nothing is installed).
apt-get install --simulate --no-install-recommends "$deb" >"$work/apt.log" 2>&1 \
  || { cat "$work/apt.log"; echo "package-test: dependencies do not resolve" >&2; exit 1; }

dpkg-deb -x "$deb" "$work/root"
bin="$work/root/usr/bin/satchel-app"
[ -x "$bin" ] || { echo "package-test: no usr/bin/satchel-app in the package" >&2; exit 1; }
ls "$work"/root/usr/share/applications/*.desktop >/dev/null \
  || { echo "package-test: no menu entry in the package" >&2; exit 1; }
"$root/scripts/hygiene.sh" "$bin"

# The installed app, started as a new user would, with an empty home.
mkdir -p "$work/home" "$work/tmp"
shot="$work/first-screen.png"
env -i PATH=/usr/bin:/bin HOME="$work/home" TMPDIR="$work/tmp" LANG=C.UTF-8 \
  xvfb-run -a -s "-screen 0 1280x800x24" sh -c '
    "$0" --vault "$1" & pid=$!
    for _ in $(seq 1 60); do
      if xdotool search --name "^Satchel$" >/dev/null 2>&1; then break; fi
      sleep 0.5
    done
    sleep 3
    kill -0 $pid 2>/dev/null || { echo "the app exited" >&2; exit 1; }
    xdotool search --name "^Satchel$" >/dev/null || { echo "no Satchel window" >&2; kill $pid; exit 1; }
    import -window root "$2"
    kill -TERM $pid; wait $pid 2>/dev/null || true
  ' "$bin" "$work/home/vault" "$shot"
# A first screen has text and a form on it, not one flat colour.
colours=$(convert "$shot" -format '%k' info:)
[ "$colours" -gt 50 ] || { echo "package-test: the first screen is blank ($colours colours)" >&2; exit 1; }
echo "package-test: the installed app showed its first screen ($colours colours)"
if [ -n "${SATCHEL_PACKAGE_SHOT:-}" ]; then cp "$shot" "$SATCHEL_PACKAGE_SHOT"; fi

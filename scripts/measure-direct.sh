#!/usr/bin/env bash
# Idle memory of the app as shipped (no WebDriver, so GPU compositing off and an
# incognito web view), driven like a person with xdotool. Run inside an X server
# (measure-app.sh starts it under xvfb-run): measure-direct.sh APP VAULT PASSPHRASE LOG
# Prints one line per moment: "<label>: RSS <MB> PSS <MB> anon <MB> (<process> RSS ...)".
set -uo pipefail
app=$1 vault=$2 pass=$3 log=$4

"$app" --vault "$vault" 2>"$log" &
pid=$!
trap 'kill -TERM "$pid" 2>/dev/null; wait "$pid" 2>/dev/null' EXIT
for _ in $(seq 1200); do
  grep -q "ui-ready-ms" "$log" && break
  kill -0 "$pid" 2>/dev/null || { echo "measure-direct: the app exited" >&2; exit 1; }
  sleep 0.05
done

# The app and every process under it (WebKit's web and network processes).
family() {
  ps -e -o pid=,ppid= | awk -v root="$pid" '{ up[$1] = $2 }
    END { for (p in up) { q = p; while ((q in up) && q != root && q > 1) q = up[q]; if (q == root) print p } }'
}

sample() {
  local p total
  total=$(for p in $(family); do
    awk -v n="$(cat "/proc/$p/comm")" '/^(Rss|Pss|Anonymous):/ { v[$1] = $2 }
      END { printf "%s %d %d %d\n", n, v["Rss:"], v["Pss:"], v["Anonymous:"] }' "/proc/$p/smaps_rollup"
  done)
  awk -v label="$1" '{ r += $2; s += $3; a += $4; d = d sprintf("%s%s %.1f", n++ ? ", " : "", $1, $2 / 1024) }
    END { printf "%s: RSS %.1f PSS %.1f anon %.1f MB (%s)\n", label, r / 1024, s / 1024, a / 1024, d }' <<<"$total"
}

sleep 3
sample "unlock screen"
win=$(xdotool search --pid "$pid" --onlyvisible 2>/dev/null | head -n 1)
[ -n "$win" ] && xdotool windowfocus "$win"
sleep 0.5
# The passphrase field has the focus on the unlock screen.
xdotool type --delay 20 "$pass"
xdotool key Return
sleep "${SATCHEL_MEASURE_UNLOCK_WAIT:-12}"
sample "unlocked, 100,000 listed"
# Into the list (the total line, then Tab to the current row), then End and Home:
# the last and the first page of the list, six times over.
xdotool mousemove 160 247 click 1
sleep 0.3
xdotool key Tab
for _ in 1 2 3 4 5 6; do
  xdotool key End
  sleep 1
  xdotool key Home
  sleep 1
done
# The search box, then a Latin and a Korean word typed at a person's pace.
xdotool key shift+Tab shift+Tab shift+Tab
xdotool type --delay 150 "shelter"
sleep 1
xdotool key ctrl+a BackSpace
xdotool type --delay 150 "김철수"
sleep 10
sample "after scrolling, searching and 10 s idle"

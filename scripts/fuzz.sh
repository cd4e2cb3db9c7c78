#!/usr/bin/env bash
# Fuzzes every parser of untrusted bytes (targets in fuzz/fuzz_targets/).
#
# Usage: scripts/fuzz.sh [SECONDS_PER_TARGET]   (default 30)
#
# Per target: replay fuzz/regressions/<target>/* so old crashes stay fixed, then fuzz
# for SECONDS with a corpus grown from fuzz/seeds/<target>/ in fuzz/corpus/<target>/
# (git-ignored; delete it to start afresh). A crash input is copied into
# fuzz/regressions/<target>/ and the script exits 1 after the remaining targets ran.
#
# cargo-fuzz needs nightly. Set SATCHEL_FUZZ_OPTIONAL=1 to skip (exit 0) without it.
set -euo pipefail

SECONDS_PER_TARGET="${1:-30}"
if ! [[ "$SECONDS_PER_TARGET" =~ ^[1-9][0-9]*$ ]]; then
    echo "usage: $0 [SECONDS_PER_TARGET]  (a positive whole number, default 30)" >&2
    exit 2
fi

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
FUZZ="$ROOT/fuzz"
cd "$ROOT"

if ! command -v rustup >/dev/null 2>&1 || ! rustup toolchain list | grep -q '^nightly'; then
    if [[ "${SATCHEL_FUZZ_OPTIONAL:-0}" == 1 ]]; then
        echo "fuzzing skipped: no nightly toolchain"
        exit 0
    fi
    echo "error: cargo-fuzz needs a nightly toolchain: rustup toolchain install nightly" >&2
    echo "       (or set SATCHEL_FUZZ_OPTIONAL=1 to skip fuzzing when it is missing)" >&2
    exit 1
fi

if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
    echo "installing cargo-fuzz..."
    cargo install cargo-fuzz --locked
fi

# One build up front so compile errors show plainly and runs below do not rebuild.
cargo +nightly fuzz build --fuzz-dir "$FUZZ"

mapfile -t TARGETS < <(cargo +nightly fuzz list --fuzz-dir "$FUZZ")
LOGS="$FUZZ/artifacts/logs"
mkdir -p "$LOGS"

# Shows why a run failed: the panic or sanitizer report, else the end of the log.
show_failure() {
    if ! grep -E -A 3 "panicked at|ERROR: (AddressSanitizer|libFuzzer|LeakSanitizer)" "$1" >&2; then
        tail -n 40 "$1" >&2
    fi
}

# Prints one libFuzzer final statistic (from -print_final_stats=1) out of a log.
final_stat() {
    sed -n "s/^stat::$1: *//p" "$2" | tail -n 1
}

failed=0
summary=()
for target in "${TARGETS[@]}"; do
    regressions="$FUZZ/regressions/$target"
    corpus="$FUZZ/corpus/$target"
    artifacts="$FUZZ/artifacts/$target"
    log="$LOGS/$target.log"
    mkdir -p "$regressions" "$corpus"
    # Fresh per run, so any file found here afterwards came from this run.
    rm -rf "$artifacts"
    mkdir -p "$artifacts"

    # 1. Replay: libFuzzer runs each file given by name once and stops at the first crash.
    mapfile -t old < <(find "$regressions" -maxdepth 1 -type f ! -name '.*' | sort)
    if ((${#old[@]} > 0)); then
        echo "== $target: replaying ${#old[@]} regression input(s)"
        if ! cargo +nightly fuzz run --fuzz-dir "$FUZZ" "$target" "${old[@]}" \
            -- -rss_limit_mb=4096 >"$log" 2>&1; then
            show_failure "$log"
            summary+=("$target: FAILED replaying fuzz/regressions/$target (log: ${log#"$ROOT"/})")
            failed=1
            continue
        fi
    fi

    # 2. Fuzz. -timeout makes a hanging input a finding instead of a stuck run.
    if [[ -d "$FUZZ/seeds/$target" ]]; then
        cp -n "$FUZZ/seeds/$target"/* "$corpus"/ 2>/dev/null || true
    fi
    echo "== $target: fuzzing for ${SECONDS_PER_TARGET}s"
    if cargo +nightly fuzz run --fuzz-dir "$FUZZ" "$target" "$corpus" -- \
        -max_total_time="$SECONDS_PER_TARGET" -rss_limit_mb=4096 -timeout=60 \
        -print_final_stats=1 >"$log" 2>&1; then
        execs="$(final_stat number_of_executed_units "$log")"
        rate="$(final_stat average_exec_per_sec "$log")"
        cov="$(grep -oE 'cov: [0-9]+' "$log" | tail -n 1 || true)"
        summary+=("$target: ok, ${execs:-?} execs (${rate:-?}/s), ${cov:-cov: ?}, corpus $(find "$corpus" -type f | wc -l) files, ${#old[@]} regression(s) replayed")
        continue
    fi

    show_failure "$log"
    failed=1
    saved=()
    while IFS= read -r artifact; do
        cp "$artifact" "$regressions/"
        saved+=("fuzz/regressions/$target/$(basename "$artifact")")
    done < <(find "$artifacts" -maxdepth 1 -type f \
        \( -name 'crash-*' -o -name 'oom-*' -o -name 'timeout-*' -o -name 'leak-*' \))
    if ((${#saved[@]} > 0)); then
        summary+=("$target: CRASH, input saved to ${saved[*]} (log: ${log#"$ROOT"/})")
    else
        summary+=("$target: FAILED without a crash input (log: ${log#"$ROOT"/})")
    fi
done

echo
echo "fuzz summary (${SECONDS_PER_TARGET}s per target):"
printf '  %s\n' "${summary[@]}"
exit "$failed"

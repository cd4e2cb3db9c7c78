#!/usr/bin/env bash
# Sets up, builds the `satchel` CLI and walks a demo vault through init, add, search.
# (scripts/run.sh starts the desktop app.)
# The demo vault uses the real key derivation and a passphrase given here, so it is a
# demo, not a place for real records.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$HOME/.cargo/bin:$PATH"

cargo build --release --locked -p satchel-cli
target_dir=$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
satchel="$target_dir/release/satchel"

export SATCHEL_VAULT="${SATCHEL_DEMO_VAULT:-$PWD/demo-vault}"
export SATCHEL_PASSPHRASE="demo passphrase, not for real use"
export SATCHEL_NEW_PASSPHRASE="$SATCHEL_PASSPHRASE"
[ -e "$SATCHEL_VAULT" ] && "$satchel" wipe --yes

step() { printf '\n$ satchel %s\n' "$*"; "$satchel" "$@"; }
step init
id=$("$satchel" record add contact --set "name=김철수" --set sex=male --set languages=ko,zh \
  --set "notes=Met at the market. 住在延吉市的朋友家。" --set safe_to_contact=no)
printf '\n$ satchel record add contact --set name=김철수 ...\n%s\n' "$id"
step record add case --set "title=Shelter for 王小明" --set status=open --set needs=shelter,medical
step search 철수
step search 延吉
step record show "$id"
step info
cat <<MSG

The demo vault is in $SATCHEL_VAULT. Try:
  export SATCHEL_VAULT="$SATCHEL_VAULT"
  $satchel --help
  $satchel record list      (passphrase: "$SATCHEL_PASSPHRASE")
MSG

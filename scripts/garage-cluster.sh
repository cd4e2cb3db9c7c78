#!/usr/bin/env bash
# A three-node Garage cluster on loopback, replication factor 3, for the relay's
# object-store tests and benchmark (crates/satchel-relay/tests/garage.rs,
# satchel-bench --only-relay-s3). docs/relay-cluster.md is the runbook for a real one.
#
#   scripts/garage-cluster.sh start DIR   start three nodes in DIR, lay them out,
#                                         make a key and the bucket; writes DIR/env
#   scripts/garage-cluster.sh stop DIR    stop every node started in DIR
#   scripts/garage-cluster.sh restart DIR N   start node N (1-3) again, as it was
#   scripts/garage-cluster.sh healthy DIR N   wait until node N sees three healthy nodes
#
# DIR/env holds, as shell assignments: GARAGE_S3_1..3 (each node's S3 URL),
# GARAGE_PID_1..3, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, GARAGE_BUCKET.
# The binary is $SATCHEL_GARAGE, or `garage` on the PATH (scripts/setup.sh --long
# installs it).
set -euo pipefail
cmd=${1:-}
dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: $0 start|stop|restart|healthy DIR [N]" >&2; exit 2; }
garage=${SATCHEL_GARAGE:-$(command -v garage || echo "${CARGO_HOME:-$HOME/.cargo}/bin/garage")}

stop() {
  for f in "$dir"/n*/pid; do
    [ -f "$f" ] || continue
    kill "$(cat "$f")" 2>/dev/null || true
    rm -f "$f"
  done
}

[ -x "$garage" ] || [ "$cmd" = stop ] || { echo "garage-cluster: no garage binary; run scripts/setup.sh --long" >&2; exit 1; }
case $cmd in
  stop) stop; exit 0 ;;
  restart)
    n=$dir/n${3:?the node to restart: 1, 2 or 3}
    RUST_LOG=warn "$garage" -c "$n/garage.toml" server >>"$n/log" 2>&1 &
    echo $! >"$n/pid"
    echo "GARAGE_PID_$3=$!"
    exit 0 ;;
  healthy)
    conf=$dir/n${3:?the node to ask: 1, 2 or 3}/garage.toml
    for _ in $(seq 150); do
      # The rows between the healthy nodes' header and the next section.
      up=$("$garage" -c "$conf" status 2>/dev/null \
        | awk '/==== HEALTHY NODES/ {on=1; next} /^====/ {on=0} on && /^[0-9a-f]+ / {n++} END {print n+0}' || true)
      [ "$up" -ge 3 ] && exit 0
      sleep 0.2
    done
    echo "garage-cluster: node $3 sees $up healthy nodes, not 3" >&2
    exit 1 ;;
  start) ;;
  *) echo "usage: $0 start|stop|restart|healthy DIR [N]" >&2; exit 2 ;;
esac
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
# A folder that held a cluster: refused while any of its nodes runs; otherwise what
# the dead cluster left (its nodes' keys and layout) is removed, since a new cluster
# with new ports and a new secret could not use it.
for i in 1 2 3; do
  if [ -f "$dir/n$i/pid" ] && kill -0 "$(cat "$dir/n$i/pid")" 2>/dev/null; then
    echo "garage-cluster: $dir holds a running cluster; stop it first: $0 stop $dir" >&2
    exit 1
  fi
done
rm -rf "$dir/n1" "$dir/n2" "$dir/n3" "$dir/env"
trap 'status=$?; [ "$status" -eq 0 ] || stop' EXIT
secret=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
# Ports: a block of ten per node, from a base picked among free ones.
base=$((20000 + RANDOM % 30000))
for i in 1 2 3; do
  n=$dir/n$i
  mkdir -p "$n/meta" "$n/data"
  p=$((base + i * 10))
  cat >"$n/garage.toml" <<TOML
metadata_dir = "$n/meta"
data_dir = "$n/data"
db_engine = "sqlite"
replication_factor = 3
rpc_bind_addr = "127.0.0.1:$((p + 1))"
rpc_public_addr = "127.0.0.1:$((p + 1))"
rpc_secret = "$secret"

[s3_api]
s3_region = "garage"
api_bind_addr = "127.0.0.1:$p"
root_domain = ".s3.garage.localhost"
TOML
  RUST_LOG=warn "$garage" -c "$n/garage.toml" server >"$n/log" 2>&1 &
  echo $! >"$n/pid"
done
g() { "$garage" -c "$dir/n1/garage.toml" "$@"; }
# Each node's id, once its RPC answers.
ids=()
for i in 1 2 3; do
  for _ in $(seq 100); do
    id=$("$garage" -c "$dir/n$i/garage.toml" node id -q 2>/dev/null || true)
    [ -n "$id" ] && break
    sleep 0.1
  done
  [ -n "$id" ] || { echo "garage-cluster: node $i did not start:" >&2; cat "$dir/n$i/log" >&2; exit 1; }
  ids+=("$id")
done
g node connect "${ids[1]}" >/dev/null
g node connect "${ids[2]}" >/dev/null
for id in "${ids[@]}"; do
  g layout assign -z dc1 -c 1G "${id%@*}" >/dev/null
done
g layout apply --version 1 >/dev/null
key=$(g key create satchel-relay)
key_id=$(echo "$key" | awk '/Key ID:/ {print $3}')
key_secret=$(echo "$key" | awk '/Secret key:/ {print $3}')
[ -n "$key_id" ] && [ -n "$key_secret" ] || { echo "garage-cluster: no key in: $key" >&2; exit 1; }
g bucket create satchel-relay >/dev/null
g bucket allow --read --write --owner satchel-relay --key satchel-relay >/dev/null
{
  for i in 1 2 3; do
    echo "GARAGE_S3_$i=http://127.0.0.1:$((base + i * 10))"
    echo "GARAGE_PID_$i=$(cat "$dir/n$i/pid")"
  done
  echo "AWS_ACCESS_KEY_ID=$key_id"
  echo "AWS_SECRET_ACCESS_KEY=$key_secret"
  echo "GARAGE_BUCKET=satchel-relay"
} >"$dir/env"
echo "garage-cluster: three nodes up in $dir (replication factor 3)"

#!/usr/bin/env bash
# Starts an example gateway, checks its route answers, stops it with SIGTERM.
set -euo pipefail
bin=$1
config=$2
out=$(mktemp)
trap 'rm -f "$out"' EXIT
"$bin" "$config" >"$out" &
pid=$!
for _ in $(seq 1 100); do
  grep -q "^listening on " "$out" && break
  sleep 0.1
done
address=$(sed -n 's/^listening on //p' "$out")
[ -n "$address" ] || { echo "example did not start"; kill "$pid"; exit 1; }
body=$(curl -fsS "http://$address/hello/world")
echo "$body"
[ "$body" = '{"hello":"world"}' ] || { echo "unexpected answer"; kill "$pid"; exit 1; }
kill -TERM "$pid"
wait "$pid"

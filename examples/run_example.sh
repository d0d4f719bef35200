#!/usr/bin/env bash
# Starts the embedding example in a scratch directory, posts it a signed webhook, checks the
# answer and that the message was handed to the callback, then stops it with SIGTERM.
set -euo pipefail
bin=$1
config=$2
work=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
cp "$config" "$work/config.yaml"
"$bin" "$work/config.yaml" >"$work/out" &
pid=$!
for _ in $(seq 1 100); do
  grep -q "^listening on " "$work/out" && break
  sleep 0.1
done
address=$(sed -n 's/^listening on //p' "$work/out")
[ -n "$address" ] || { echo "example did not start"; exit 1; }
body='{"id":"example-1","from":"+447700900001","to":"+37255500001","text":"Your code is 424242"}'
signature=$(printf '%s' "$body" | openssl dgst -sha256 -hmac example-secret -r | cut -d' ' -f1)
status=$(curl -sS -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
  -H "X-Signature: $signature" --data-binary "$body" "http://$address/webhooks/demo")
[ "$status" = 200 ] || { echo "signed webhook answered $status"; exit 1; }
for _ in $(seq 1 100); do
  grep -q "^message .* from +447700900001: Your code is 424242$" "$work/out" && break
  sleep 0.1
done
cat "$work/out"
grep -q "^message .* from +447700900001: Your code is 424242$" "$work/out"
kill -TERM "$pid"
wait "$pid"
pid=

#!/usr/bin/env bash
# Request rates of the reference server on loopback, measured with wrk, each as a ratio
# against GET /health on the same server in the same run (the HTTP stack without the store).
# Prints a Markdown table; docs/benchmarks.md records a run.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${BENCH_DURATION:-10s}
CONNECTIONS=${BENCH_CONNECTIONS:-16}
THREADS=${BENCH_THREADS:-1}

cargo build --locked --release -q -p confab-server
work=$(mktemp -d)
trap 'kill "${server_pid:-}" 2>/dev/null || true; wait "${server_pid:-}" 2>/dev/null || true; rm -rf "$work"' EXIT

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
RUST_LOG=warn target/release/confab-server serve --bind "127.0.0.1:$port" --db "$work/bench.db" --demo \
  --keys-file "$work/keys.json" 2>"$work/server.log" &
server_pid=$!
for _ in $(seq 100); do curl -sf "$base/health" >/dev/null && break; sleep 0.1; done

key() { python3 -c "import json,sys; d=json.load(open('$work/keys.json')); print(next(p['key'] for p in d['people'] if p['username']==sys.argv[1]))" "$1"; }
riley=$(key riley); sam=$(key sam)
# The protocol conversation to list and send in, and portal's 600-message conversation.
conversation=$(curl -sf -G "$base/v1/conversations" -H "Authorization: Bearer $riley" -d limit=1 |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["data"][0]["id"])')
long=$(curl -sf "$base/api/messages" -H "Authorization: Bearer $sam" |
  python3 -c 'import json,sys; print(next(c["id"] for c in json.load(sys.stdin) if len(c["participants"]) == 3))')

headers_lua() { # $1 key
  cat <<LUA
wrk.headers["Authorization"] = "Bearer $1"
LUA
}
headers_lua "$riley" > "$work/riley.lua"
headers_lua "$sam" > "$work/sam.lua"
cat > "$work/send.lua" <<LUA
wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer $riley"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.body = "conversation_id=$conversation&message=benchmark+message"
LUA

rate() { # $1 script, $2 url
  local out
  out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" -s "$1" "$2")
  if grep -q 'Non-2xx' <<<"$out"; then
    echo "bench: $2 answered errors; the figure would be meaningless:" >&2
    echo "$out" >&2
    exit 1
  fi
  awk '/Requests\/sec/ {print $2}' <<<"$out"
}

echo "Running wrk: $THREADS thread(s), $CONNECTIONS connections, $DURATION per route" >&2
health=$(rate "$work/riley.lua" "$base/health")
rows=(
  "GET /v1/conversations (protocol list, 10)|$(rate "$work/riley.lua" "$base/v1/conversations")"
  "GET /v1/messages?limit=50 (protocol page)|$(rate "$work/riley.lua" "$base/v1/messages?conversation_id=$conversation&limit=50")"
  "GET /api/messages (portal list)|$(rate "$work/sam.lua" "$base/api/messages")"
  "GET /api/messages/:id?limit=50 (portal page of a 600-message conversation)|$(rate "$work/sam.lua" "$base/api/messages/$long?limit=50")"
  "POST /v1/messages (protocol send, form)|$(rate "$work/send.lua" "$base/v1/messages")"
)
echo "| route | requests/s | ratio to GET /health |"
echo "|---|---:|---:|"
printf '| GET /health (baseline) | %.0f | 1.00 |\n' "$health"
for row in "${rows[@]}"; do
  name=${row%%|*}; value=${row##*|}
  printf '| %s | %.0f | %.3f |\n' "$name" "$value" "$(python3 -c "print($value/$health)")"
done

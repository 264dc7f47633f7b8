#!/usr/bin/env bash
# Load benchmark for flowgate (not run by CI).
#
#   bench/run.sh [DURATION] [CONNECTIONS]      default: 10s, 64 connections
#
# Installs wrk (Debian package) if missing, builds a release binary, starts it
# on a fresh SQLite database in a temp dir, and prints requests/s with p50 and
# p99 latency for: /healthz (fixed JSON through the full middleware stack, the
# baseline), client-credentials issuance, introspection, a bare JSON route
# (the demo echo, no authentication) and a protected call of a one-step flow
# service with a bearer token. Then, where PostgreSQL answers (at
# $FLOWGATE_BENCH_POSTGRES_URL, default postgres://postgres@127.0.0.1:5432/test;
# a schema of its own, dropped afterwards): issuance and introspection on
# one node, then on two nodes sharing the database. The load generator
# shares the machine, so compare the rows of one run as ratios.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION="${1:-10s}"
CONNS="${2:-64}"
THREADS=2

if ! command -v wrk >/dev/null 2>&1; then
  echo "installing wrk..." >&2
  (apt-get install -y wrk >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y wrk >/dev/null; })
fi
cargo build --release --quiet
BIN="$PWD/target/release/flowgate"

WORK="$(mktemp -d)"
SERVERS=()
PG_SCHEMA=""
cleanup() {
  for pid in "${SERVERS[@]}"; do kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; done
  if [ -n "$PG_SCHEMA" ]; then psql -q "$PG_URL" -c "DROP SCHEMA IF EXISTS $PG_SCHEMA CASCADE" >/dev/null 2>&1; fi
  rm -rf "$WORK"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
export FLOWGATE_ADMIN_PASSWORD="bench-admin-password"

# Registers the bench flow, scopes and client in database $1 (before any
# server starts: servers cache scopes and clients); sets CLIENT_ID, SECRET.
register() {
  local db="$1"
  cat >"$WORK/hello.yaml" <<'YAML'
path: bench/hello
kind: flow
definition:
  steps:
    - type: map
      set:
        greeting: "Hello, {{name}}!"
YAML
  "$BIN" service apply -f "$WORK/hello.yaml" --database-url "$db" >/dev/null
  "$BIN" scope create read --description "bench" --database-url "$db" >/dev/null
  "$BIN" scope create bench --description "bench services" --service bench --database-url "$db" >/dev/null
  local json
  json="$("$BIN" client create --name bench --grant client_credentials --scope "read bench" --json --database-url "$db")"
  CLIENT_ID="$(python3 -c 'import json,sys; print(json.load(sys.stdin)["client_id"])' <<<"$json")"
  SECRET="$(python3 -c 'import json,sys; print(json.load(sys.stdin)["client_secret"])' <<<"$json")"
  BASIC="$(printf '%s:%s' "$CLIENT_ID" "$SECRET" | base64 -w0)"
}

# Starts a node on database $1 at port $2 (extra flags after), waits until ready.
start_node() {
  local db="$1" port="$2"; shift 2
  # A rate limit far above the load keeps the limiter on the measured path.
  "$BIN" serve --listen "127.0.0.1:$port" --database-url "$db" --log warn --rate-limit 100000000 "$@" >>"$WORK/server.log" 2>&1 &
  SERVERS+=($!)
  for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/readyz" >/dev/null && return; sleep 0.1; done
  echo "node on port $port did not start" >&2; cat "$WORK/server.log" >&2; exit 1
}

# A token with scope "read bench" from the node at base URL $1.
get_token() {
  curl -fs -u "$CLIENT_ID:$SECRET" -d grant_type=client_credentials -d 'scope=read bench' "$1/integration/rest/oAuth/getToken" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])'
}

PORT="$(free_port)"
BASE="http://127.0.0.1:$PORT"
DB="sqlite://$WORK/fg.db"
register "$DB"
# --demo adds the built-in echo route, a bare (unauthenticated) JSON route
# that parses and answers a body: the reference for the protected flow call.
start_node "$DB" "$PORT" --demo
TOKEN="$(get_token "$BASE")"

cat >"$WORK/post.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = os.getenv("FG_TYPE")
local auth = os.getenv("FG_AUTH")
if auth ~= nil and auth ~= "" then wrk.headers["Authorization"] = auth end
wrk.body = os.getenv("FG_BODY")
LUA

# wrk against base URL $1 with $2 connections; prints wrk's output.
load() { # base conns path [body [authorization [content-type]]]
  local base="$1" conns="$2" path="$3" body="${4:-}" auth="${5-Basic $BASIC}" ctype="${6:-application/x-www-form-urlencoded}"
  if [ -n "$body" ]; then
    FG_AUTH="$auth" FG_TYPE="$ctype" FG_BODY="$body" wrk -t"$THREADS" -c"$conns" -d"$DURATION" --latency -s "$WORK/post.lua" "$base$path"
  else
    wrk -t"$THREADS" -c"$conns" -d"$DURATION" --latency "$base$path"
  fi
}

row() { # name wrk-output...
  local name="$1"; shift
  local rps=0 p50="" p99="" non2xx="" out
  for out in "$@"; do
    rps="$(awk -v a="$rps" '/Requests\/sec/ {printf "%.2f", a + $2}' <<<"$out")"
    p50="${p50:+$p50/}$(awk '$1=="50%" {print $2}' <<<"$out")"
    p99="${p99:+$p99/}$(awk '$1=="99%" {print $2}' <<<"$out")"
    non2xx="${non2xx}$(awk '/Non-2xx/ {print $5}' <<<"$out")"
  done
  printf '%-34s %12s req/s   p50 %-17s p99 %-17s %s\n' "$name" "$rps" "$p50" "$p99" "${non2xx:+non-2xx: $non2xx}"
}

run() { # name path [body [authorization [content-type]]]
  local name="$1"; shift
  row "$name" "$(load "$BASE" "$CONNS" "$@")"
}

# The same load split over two nodes at once; requests/s summed.
run2() { # name base1 base2 path [body [authorization]]
  local name="$1" b1="$2" b2="$3"; shift 3
  load "$b1" $((CONNS / 2)) "$@" >"$WORK/n1.out" &
  local first=$!
  local second
  second="$(load "$b2" $((CONNS / 2)) "$@")"
  wait "$first"
  row "$name" "$(cat "$WORK/n1.out")" "$second"
}

echo "flowgate bench: $CONNS connections, $DURATION per endpoint, $(nproc) cores, SQLite"
run "healthz (baseline)" /healthz
run "client_credentials issue" /integration/rest/oAuth/getToken "grant_type=client_credentials&scope=read"
run "introspection" /integration/rest/oAuth/introspect "token=$TOKEN"
run "bare JSON route /demo/echo" /demo/echo '{"name":"Ada"}' "" application/json
run "flow bench/hello (Bearer)" /integration/rest/run/bench/hello '{"name":"Ada"}' "Bearer $TOKEN" application/json
ISSUED="$(curl -fs "$BASE/metrics" | awk '/^flowgate_tokens_issued_total/ {print $2}')"
echo "tokens issued and committed during the run: ${ISSUED:-unknown}"

# PostgreSQL: one node, then two nodes on the same database (each node gets
# half the connections). Skipped when no PostgreSQL answers at $PG_URL.
PG_URL="${FLOWGATE_BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"
if psql -q "$PG_URL" -c 'SELECT 1' >/dev/null 2>&1; then
  for pid in "${SERVERS[@]}"; do kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; done
  SERVERS=()
  PG_SCHEMA="flowgate_bench_$$"
  psql -q "$PG_URL" -c "CREATE SCHEMA $PG_SCHEMA" >/dev/null
  PG_DB="$PG_URL?options=-c%20search_path%3D$PG_SCHEMA"
  "$BIN" migrate --database-url "$PG_DB" >/dev/null
  register "$PG_DB"
  P1="$(free_port)"; P2="$(free_port)"
  start_node "$PG_DB" "$P1" --no-migrate
  BASE="http://127.0.0.1:$P1"
  TOKEN="$(get_token "$BASE")"
  echo "PostgreSQL ($(psql -Atq "$PG_URL" -c 'SHOW server_version'))"
  run "pg 1 node: client_credentials" /integration/rest/oAuth/getToken "grant_type=client_credentials&scope=read"
  run "pg 1 node: introspection" /integration/rest/oAuth/introspect "token=$TOKEN"
  start_node "$PG_DB" "$P2" --no-migrate
  B2="http://127.0.0.1:$P2"
  run2 "pg 2 nodes: client_credentials" "$BASE" "$B2" /integration/rest/oAuth/getToken "grant_type=client_credentials&scope=read"
  run2 "pg 2 nodes: introspection" "$BASE" "$B2" /integration/rest/oAuth/introspect "token=$TOKEN"
else
  echo "PostgreSQL rows skipped: nothing answers at $PG_URL (set FLOWGATE_BENCH_POSTGRES_URL)"
fi

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
# service with a bearer token. The load generator
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
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
BASE="http://127.0.0.1:$PORT"
DB="sqlite://$WORK/fg.db"
export FLOWGATE_ADMIN_PASSWORD="bench-admin-password"
# Everything the run needs is registered before the server starts (it
# caches scopes and clients).
cat >"$WORK/hello.yaml" <<'YAML'
path: bench/hello
kind: flow
definition:
  steps:
    - type: map
      set:
        greeting: "Hello, {{name}}!"
YAML
"$BIN" service apply -f "$WORK/hello.yaml" --database-url "$DB" >/dev/null
"$BIN" scope create read --description "bench" --database-url "$DB" >/dev/null
"$BIN" scope create bench --description "bench services" --service bench --database-url "$DB" >/dev/null
CLIENT_JSON="$("$BIN" client create --name bench --grant client_credentials --scope "read bench" --json --database-url "$DB")"
CLIENT_ID="$(python3 -c 'import json,sys; print(json.load(sys.stdin)["client_id"])' <<<"$CLIENT_JSON")"
SECRET="$(python3 -c 'import json,sys; print(json.load(sys.stdin)["client_secret"])' <<<"$CLIENT_JSON")"
BASIC="$(printf '%s:%s' "$CLIENT_ID" "$SECRET" | base64 -w0)"
# --demo adds the built-in echo route, a bare (unauthenticated) JSON route
# that parses and answers a body: the reference for the protected flow call.
"$BIN" serve --demo --listen "127.0.0.1:$PORT" --database-url "$DB" --log warn >"$WORK/server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; wait $SERVER 2>/dev/null; rm -rf "$WORK"' EXIT
for _ in $(seq 100); do curl -fs "$BASE/readyz" >/dev/null && break; sleep 0.1; done

TOKEN="$(curl -fs -u "$CLIENT_ID:$SECRET" -d grant_type=client_credentials -d 'scope=read bench' "$BASE/integration/rest/oAuth/getToken" \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')"

cat >"$WORK/post.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = os.getenv("FG_TYPE")
local auth = os.getenv("FG_AUTH")
if auth ~= nil and auth ~= "" then wrk.headers["Authorization"] = auth end
wrk.body = os.getenv("FG_BODY")
LUA

run() { # name path [body [authorization [content-type]]]
  local name="$1" path="$2" body="${3:-}" auth="${4-Basic $BASIC}" ctype="${5:-application/x-www-form-urlencoded}" out
  if [ -n "$body" ]; then
    out="$(FG_AUTH="$auth" FG_TYPE="$ctype" FG_BODY="$body" wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency -s "$WORK/post.lua" "$BASE$path")"
  else
    out="$(wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency "$BASE$path")"
  fi
  local rps p50 p99 non2xx
  rps="$(awk '/Requests\/sec/ {print $2}' <<<"$out")"
  p50="$(awk '$1=="50%" {print $2}' <<<"$out")"
  p99="$(awk '$1=="99%" {print $2}' <<<"$out")"
  non2xx="$(awk '/Non-2xx/ {print $5}' <<<"$out")"
  printf '%-28s %12s req/s   p50 %-9s p99 %-9s %s\n' "$name" "$rps" "$p50" "$p99" "${non2xx:+non-2xx: $non2xx}"
}

echo "flowgate bench: $CONNS connections, $DURATION per endpoint, $(nproc) cores, SQLite"
run "healthz (baseline)" /healthz
run "client_credentials issue" /integration/rest/oAuth/getToken "grant_type=client_credentials&scope=read"
run "introspection" /integration/rest/oAuth/introspect "token=$TOKEN"
run "bare JSON route /demo/echo" /demo/echo '{"name":"Ada"}' "" application/json
run "flow bench/hello (Bearer)" /integration/rest/run/bench/hello '{"name":"Ada"}' "Bearer $TOKEN" application/json
ISSUED="$(curl -fs "$BASE/metrics" | awk '/^flowgate_tokens_issued_total/ {print $2}')"
echo "tokens issued and committed during the run: ${ISSUED:-unknown}"

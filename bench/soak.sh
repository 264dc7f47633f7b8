#!/usr/bin/env bash
# Soak test for flowgate (not run by CI).
#
#   bench/soak.sh [DURATION]      default: 10m (wrk syntax: 90s, 10m, 1h)
#
# Builds a release binary and starts it on a fresh SQLite database in a temp
# dir, then runs mixed traffic for DURATION: wrk rotates client-credentials
# issuance, introspection and a protected flow call over 16 connections,
# and four python3 loops (standard library only) run the code flow through
# the login and permissions pages, refresh rotation (each refreshed access
# token then calls the flow) and the password grant, so that logins and
# password checks also come several at once. Once idle, then every 10 s
# under load, it samples the server's resident memory (VmRSS), open file
# descriptors and database size (with the WAL), prints them as a table, and
# at the end says whether RSS and descriptors stayed flat: the last minute's
# average within 10% of the second minute's (the first minute is warm-up:
# the token cache and SQLite's page cache fill). Issued access tokens live
# 60 s, so the janitor purges them and the database levels off too.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION="${1:-10m}"
CONNS=16
LOOPS=4
INTERVAL=10

seconds() { # wrk-style duration -> seconds
  case "$1" in
    *h) echo $((${1%h} * 3600)) ;;
    *m) echo $((${1%m} * 60)) ;;
    *s) echo "${1%s}" ;;
    *) echo "$1" ;;
  esac
}
TOTAL="$(seconds "$DURATION")"

if ! command -v wrk >/dev/null 2>&1; then
  echo "installing wrk..." >&2
  (apt-get install -y wrk >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y wrk >/dev/null; })
fi
cargo build --release --quiet
BIN="$PWD/target/release/flowgate"
if [ -n "${CARGO_TARGET_DIR:-}" ]; then BIN="$CARGO_TARGET_DIR/release/flowgate"; fi

WORK="$(mktemp -d)"
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
BASE="http://127.0.0.1:$PORT"
DB="sqlite://$WORK/fg.db"
export FLOWGATE_ADMIN_PASSWORD="soak-admin-password"
json_field() { python3 -c "import json,sys; print(json.load(sys.stdin)[\"$1\"])"; }

# The flow service, its scope, a user, the traffic client (60 s tokens) and
# one client whose never-expiring token the introspection and flow calls use.
cat >"$WORK/hello.yaml" <<'YAML'
path: soak/hello
kind: flow
definition:
  steps:
    - type: map
      set:
        greeting: "Hello, {{name}}!"
YAML
"$BIN" service apply -f "$WORK/hello.yaml" --database-url "$DB" >/dev/null
"$BIN" scope create soak --description "soak services" --service soak --database-url "$DB" >/dev/null
"$BIN" user create soak-user --password soak-user-password --database-url "$DB" >/dev/null
APP="$("$BIN" client create --name soak --grant client_credentials --grant password \
  --grant authorization_code --grant refresh_token --redirect-uri http://127.0.0.1/cb \
  --scope soak --refresh-count -1 --access-token-lifetime 60 --json --database-url "$DB")"
CLIENT_ID="$(json_field client_id <<<"$APP")"
SECRET="$(json_field client_secret <<<"$APP")"
LONG="$("$BIN" client create --name soak-long --grant client_credentials --scope soak \
  --access-token-lifetime -1 --json --database-url "$DB")"

# Rate limits far above the load keep the limiters on the measured path.
"$BIN" serve --listen "127.0.0.1:$PORT" --database-url "$DB" --log warn \
  --rate-limit 100000000 --login-rate-limit 100000000 >"$WORK/server.log" 2>&1 &
SERVER=$!
PIDS+=("$SERVER")
for _ in $(seq 100); do curl -fs "$BASE/readyz" >/dev/null && break; sleep 0.1; done
curl -fs "$BASE/readyz" >/dev/null || { echo "server did not start" >&2; cat "$WORK/server.log" >&2; exit 1; }
TOKEN="$(curl -fs -u "$(json_field client_id <<<"$LONG"):$(json_field client_secret <<<"$LONG")" \
  -d grant_type=client_credentials "$BASE/integration/rest/oAuth/getToken" | json_field access_token)"

cat >"$WORK/mixed.lua" <<'LUA'
-- Rotates issuance, introspection and a protected flow call.
local reqs = {}
local i = 0
init = function(args)
  local form = { ["Content-Type"] = "application/x-www-form-urlencoded",
                 ["Authorization"] = "Basic " .. os.getenv("FG_BASIC") }
  local json = { ["Content-Type"] = "application/json",
                 ["Authorization"] = "Bearer " .. os.getenv("FG_TOKEN") }
  reqs[1] = wrk.format("POST", "/integration/rest/oAuth/getToken", form, "grant_type=client_credentials&scope=soak")
  reqs[2] = wrk.format("POST", "/integration/rest/oAuth/introspect", form, "token=" .. os.getenv("FG_TOKEN"))
  reqs[3] = wrk.format("POST", "/integration/rest/run/soak/hello", json, '{"name":"Ada"}')
end
request = function()
  i = i % #reqs + 1
  return reqs[i]
end
LUA

cat >"$WORK/refresh.py" <<'PY'
"""Code flow through the pages, then refresh rotation with a flow call per
refreshed token and a password grant every 20 refreshes; counts answers
until SIGTERM, then prints them."""
import base64, html.parser, http.cookiejar, json, os, signal, sys, urllib.error, urllib.parse, urllib.request

BASE, CID, SECRET = os.environ["FG_BASE"], os.environ["FG_CLIENT_ID"], os.environ["FG_SECRET"]
REDIRECT = "http://127.0.0.1/cb"
BASIC = "Basic " + base64.b64encode(f"{CID}:{SECRET}".encode()).decode()
counts = {}

def count(kind, ok):
    key = kind if ok else kind + " (failed)"
    counts[key] = counts.get(key, 0) + 1

def report(*_):
    print("python loop:", ", ".join(f"{k} {v}" for k, v in sorted(counts.items())), flush=True)
    sys.exit(0)

signal.signal(signal.SIGTERM, report)

class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args):
        return None

class Form(html.parser.HTMLParser):
    def __init__(self, page):
        super().__init__()
        self.action, self.fields = None, []
        self.feed(page)
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and self.action is None:
            self.action = a.get("action")
        elif tag == "input" and (a.get("type") == "hidden" or (a.get("type") == "checkbox" and "checked" in a)):
            self.fields.append((a["name"], a.get("value", "")))

def open_(opener, req):
    try:
        return opener.open(req, timeout=30)
    except urllib.error.HTTPError as e:
        return e

def browse(opener, url, data=None):
    """Follows redirects on the server; returns (page, None) or (None, callback URL)."""
    r = open_(opener, urllib.request.Request(url, data=data))
    while r.status in (301, 302, 303, 307):
        loc = urllib.parse.urljoin(url, r.headers["Location"])
        if not loc.startswith(BASE):
            return None, loc
        url = loc
        r = open_(opener, urllib.request.Request(url))
    return r.read().decode(), None

def post(path, form, auth=BASIC):
    req = urllib.request.Request(BASE + path, data=urllib.parse.urlencode(form).encode(),
                                 headers={"Authorization": auth})
    r = open_(urllib.request.build_opener(), req)
    body = r.read()
    return r.status, json.loads(body) if body.startswith(b"{") else {}

def call_flow(token):
    req = urllib.request.Request(BASE + "/integration/rest/run/soak/hello", data=b'{"name":"Ada"}',
                                 headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"})
    r = open_(urllib.request.build_opener(), req)
    r.read()
    count("flow call", r.status == 200)

def code(opener):
    q = urllib.parse.urlencode({"response_type": "code", "client_id": CID, "redirect_uri": REDIRECT,
                                "scope": "soak", "state": "s"})
    page, done = browse(opener, f"{BASE}/integration/rest/oAuth/authorize?{q}")
    for _ in range(2):
        if done:
            break
        form = Form(page)
        fields = form.fields + ([("username", "soak-user"), ("password", "soak-user-password")]
                                if 'name="password"' in page else [("decision", "grant")])
        page, done = browse(opener, urllib.parse.urljoin(BASE, form.action),
                            urllib.parse.urlencode(fields).encode())
    return urllib.parse.parse_qs(urllib.parse.urlparse(done or "").query).get("code", [None])[0]

while True:
    # A new session (login page) now and then, else the permissions page only.
    opener = urllib.request.build_opener(NoRedirect, urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    for _ in range(10):
        c = code(opener)
        count("code via pages", c is not None)
        if c is None:
            continue
        status, t = post("/integration/rest/oAuth/getToken",
                         {"grant_type": "authorization_code", "code": c, "redirect_uri": REDIRECT})
        count("code exchange", status == 200)
        refresh = t.get("refresh_token")
        for i in range(100):
            if not refresh:
                break
            status, t = post("/integration/rest/oAuth/getToken", {"grant_type": "refresh_token", "refresh_token": refresh})
            count("refresh", status == 200)
            refresh = t.get("refresh_token")
            if status == 200:
                call_flow(t["access_token"])
            if i % 20 == 0:
                status, _ = post("/integration/rest/oAuth/getToken", {"grant_type": "password", "scope": "soak",
                                 "username": "soak-user", "password": "soak-user-password"})
                count("password grant", status == 200)
PY

echo "flowgate soak: $DURATION, wrk $CONNS connections + $LOOPS python loops, $(nproc) cores, SQLite"
db_mb() { du -cm "$WORK"/fg.db* 2>/dev/null | awk 'END {print $1}'; }
sample() { # label -> one table row; appends "seconds rss_kb fds" to the samples
  local rss fds
  rss="$(awk '/^VmRSS/ {print $2}' "/proc/$SERVER/status")"
  fds="$(find "/proc/$SERVER/fd" -mindepth 1 -maxdepth 1 | wc -l)"
  printf '%8s %10.1f %6d %8s\n' "$1" "$(awk -v k="$rss" 'BEGIN {print k / 1024}')" "$fds" "$(db_mb)"
  [ "$1" = idle ] || echo "${1%s} $rss $fds" >>"$WORK/samples"
}
printf '%8s %10s %6s %8s\n' "time" "RSS (MB)" "fds" "db (MB)"
: >"$WORK/samples"
sample idle
# wrk runs a little longer than the sampling, so every sample is under load.
FG_BASIC="$(printf '%s:%s' "$CLIENT_ID" "$SECRET" | base64 -w0)" FG_TOKEN="$TOKEN" \
  wrk -t2 -c"$CONNS" -d"$((TOTAL + 5))s" -s "$WORK/mixed.lua" "$BASE" >"$WORK/wrk.out" 2>&1 &
WRK=$!
PIDS+=("$WRK")
PY=()
for i in $(seq "$LOOPS"); do
  FG_BASE="$BASE" FG_CLIENT_ID="$CLIENT_ID" FG_SECRET="$SECRET" python3 "$WORK/refresh.py" >"$WORK/py$i.out" 2>&1 &
  PY+=($!)
  PIDS+=($!)
done

START=$SECONDS
while :; do
  sleep "$INTERVAL"
  T=$((SECONDS - START))
  kill -0 "$SERVER" 2>/dev/null || { echo "the server died" >&2; cat "$WORK/server.log" >&2; exit 1; }
  sample "${T}s"
  [ "$T" -ge "$TOTAL" ] && break
done
wait "$WRK" || true
for pid in "${PY[@]}"; do kill -TERM "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true; done

echo
grep -E 'Requests/sec|requests in|Non-2xx|Socket errors' "$WORK/wrk.out" | sed 's/^ */wrk: /'
grep -q 'Non-2xx' "$WORK/wrk.out" || echo "wrk: every answer 2xx"
cat "$WORK"/py*.out
grep -iE 'error|panic' "$WORK/server.log" | head -5 | sed 's/^/server log: /' || true

# first/last/max, and the last minute's average against the second minute's.
awk -v total="$TOTAL" '
  NR == 1 { r1 = $2; f1 = $3 }
  { rl = $2; fl = $3; if ($2 > rm) rm = $2; if ($3 > fm) fm = $3 }
  $1 > 60 && $1 <= 120 { rs += $2; fs += $3; n2++ }
  $1 > total - 60 { re += $2; fe += $3; ne++ }
  END {
    printf "RSS (MB):  first %.1f  last %.1f  max %.1f\n", r1 / 1024, rl / 1024, rm / 1024
    printf "open fds:  first %d  last %d  max %d\n", f1, fl, fm
    if (n2 == 0 || ne == 0) { print "flat: run for at least 2 minutes to judge"; exit }
    ra = rs / n2; rb = re / ne; fa = fs / n2; fb = fe / ne
    printf "second minute avg: RSS %.1f MB, fds %.1f;  last minute avg: RSS %.1f MB, fds %.1f\n", ra / 1024, fa, rb / 1024, fb
    flat_r = (rb <= ra * 1.10 && rb >= ra * 0.90) ? "yes" : "NO"
    flat_f = (fb <= fa * 1.10 && fb >= fa * 0.90) ? "yes" : "NO"
    printf "flat (last minute within 10%% of the second): RSS %s, fds %s\n", flat_r, flat_f
    if (total < 180) print "(under 3 minutes the two windows overlap: a smoke run, not a soak)"
  }' "$WORK/samples"

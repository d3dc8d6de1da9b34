#!/usr/bin/env bash
# HTTP Basic under load must not starve anyone: wrk sends HTTP Basic requests at 50
# connections to /api/v1/me for SECONDS while two other wrk runs measure /healthz and a
# cookie-authenticated page (/tools) at 5 connections each. Prints each run's requests per
# second and latency percentiles as a Markdown table. Loopback only.
#
#   scripts/bench-basic-load.sh [SECONDS, default 20] [path/to/flywheel]
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-20}"
bin="${2:-target/release/flywheel}"
command -v wrk >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
[ -x "$bin" ] || cargo build --release --quiet
work="$(mktemp -d)"
pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT
db="sqlite://$work/b.db"
"$bin" --db "$db" import hris ../shared/fixtures/hris/oracle-hr_as_hris_orgchart.csv --as-of 2024-01-01 >/dev/null 2>&1
"$bin" --db "$db" tools load config/catalog.toml >/dev/null
echo "a long script password" | "$bin" --db "$db" admin create --email script@example.com --password-stdin --role viewer >/dev/null
echo "a long reader password" | "$bin" --db "$db" admin create --email reader@example.com --password-stdin --role viewer >/dev/null
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
"$bin" --db "$db" serve --bind "127.0.0.1:$port" >/dev/null 2>&1 &
pid=$!
for _ in $(seq 1 100); do curl -sf "$base/healthz" >/dev/null 2>&1 && break; sleep 0.1; done

# A session for the cookie-authenticated page.
page=$(curl -s -D "$work/h" "$base/login")
tok=$(printf '%s' "$page" | sed -n 's/.*name="csrf" value="\([0-9a-f]*\)".*/\1/p' | head -1)
lc=$(sed -n 's/^[Ss]et-[Cc]ookie: flywheel_login=\([0-9a-f]*\);.*/\1/p' "$work/h" | head -1)
curl -s -o /dev/null -D "$work/h2" -b "flywheel_login=$lc" --data-urlencode "csrf=$tok" --data-urlencode "next=/" \
  --data-urlencode "email=reader@example.com" --data-urlencode "password=a long reader password" "$base/login"
session=$(sed -n 's/^[Ss]et-[Cc]ookie: flywheel_session=\([0-9a-f]*\);.*/\1/p' "$work/h2" | head -1)
basic=$(printf 'script@example.com:a long script password' | base64 -w0)

row() {  # label, wrk output file
  awk -v label="$1" '
    /Requests\/sec/ { rps = $2 }
    /^ +50%/ { p50 = $2 } /^ +90%/ { p90 = $2 } /^ +99%/ { p99 = $2 }
    /Non-2xx or 3xx/ { non2xx = $NF }
    END { printf "| %s | %s | %s | %s | %s | %s |\n", label, rps, p50, p90, p99, (non2xx == "" ? 0 : non2xx) }' "$2"
}

wrk -t2 -c50 -d"${secs}s" --latency -H "Authorization: Basic $basic" "$base/api/v1/me" > "$work/basic" &
w1=$!
sleep 1
wrk -t1 -c5 -d"$((secs - 2))s" --latency "$base/healthz" > "$work/health" &
w2=$!
wrk -t1 -c5 -d"$((secs - 2))s" --latency -H "Cookie: flywheel_session=$session" "$base/tools" > "$work/page" &
w3=$!
wait "$w1" "$w2" "$w3"
echo "| run (at once) | req/s | p50 | p90 | p99 | non-2xx |"
echo "|---|---|---|---|---|---|"
row "HTTP Basic /api/v1/me, 50 connections" "$work/basic"
row "/healthz, 5 connections" "$work/health"
row "cookie page /tools, 5 connections" "$work/page"

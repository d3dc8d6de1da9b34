#!/usr/bin/env bash
# Load benchmark of the web application with wrk on loopback: the dashboard page, a "Can I?"
# question (answered by Cedar and logged) and a deep page of a paged API list
# (/api/v1/people, audited per call), at 50 connections, against the demo company and a
# generated 100,000-person company. The peer is nginx serving the same dashboard HTML as
# a static file: the floor for a page of that size on this machine.
#
# Usage: scripts/bench-web.sh [SECONDS per run, default 20] [PEOPLE..., default 2000 100000]
# Installs wrk and nginx (Debian packages) when missing. Prints a Markdown table.
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-20}"
shift || true
sizes=("$@")
[ "${#sizes[@]}" -gt 0 ] || sizes=(2000 100000)

need=()
command -v wrk >/dev/null || need+=(wrk)
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || need+=(nginx)
if [ "${#need[@]}" -gt 0 ]; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

cargo build --release --quiet
fw=./target/release/flywheel
work="$(mktemp -d)"
chmod 755 "$work"   # nginx workers run as another user
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# Logs in through the form (double-submit cookie + token) and prints the session token.
login() {
  local base=$1 email=$2 password=$3 page tok cookie
  page=$(curl -s -D "$work/h1" "$base/login")
  tok=$(printf '%s' "$page" | sed -n 's/.*name="csrf" value="\([0-9a-f]*\)".*/\1/p' | head -1)
  cookie=$(sed -n 's/^[Ss]et-[Cc]ookie: flywheel_login=\([0-9a-f]*\);.*/\1/p' "$work/h1" | head -1)
  curl -s -o /dev/null -D "$work/h2" -H "Cookie: flywheel_login=$cookie" \
    --data-urlencode "csrf=$tok" --data-urlencode "email=$email" \
    --data-urlencode "password=$password" --data-urlencode "next=/" "$base/login"
  sed -n 's/^[Ss]et-[Cc]ookie: flywheel_session=\([0-9a-f]*\);.*/\1/p' "$work/h2" | head -1
}

# One wrk run: prints "| label | p50 | p99 | req/s | errors |" and keeps the raw output.
run() {
  local label=$1 url=$2 cookie=$3 out p50 p99 rps non2xx sock
  out=$(wrk -t2 -c50 -d"${secs}s" --latency -H "Cookie: flywheel_session=$cookie" "$url")
  echo "$out" > "$work/wrk-$(echo "$label" | tr -c 'a-zA-Z0-9' '_').txt"
  p50=$(echo "$out" | awk '$1=="50%"{print $2}')
  p99=$(echo "$out" | awk '$1=="99%"{print $2}')
  rps=$(echo "$out" | awk '/^Requests\/sec/{printf "%.0f", $2}')
  non2xx=$(echo "$out" | awk '/Non-2xx/{print $NF}')
  sock=$(echo "$out" | awk '/Socket errors/{gsub(",", ""); print $4+$6+$8+$10}')
  echo "| $label | $p50 | $p99 | $rps | $(( ${non2xx:-0} + ${sock:-0} )) |"
}

echo "wrk: 2 threads, 50 connections, ${secs} s per run; server and wrk share $(nproc) cores; release build."
echo
echo "| company · endpoint | p50 | p99 | req/s | errors |"
echo "|---|---|---|---|---|"
for people in "${sizes[@]}"; do
  dir="$work/demo-$people"
  $fw demo --no-serve --people "$people" --seed 42 --out "$dir" >"$work/demo-$people.log" 2>&1
  admin_pw=$(sed -n 's/^admin login: admin@example.com \/ //p' "$work/demo-$people.log")
  echo "a long viewer password" | $fw --db "sqlite://$dir/flywheel.db" admin create --email viewer@example.com --password-stdin --role viewer >/dev/null
  port=$(free_port)
  base="http://127.0.0.1:$port"
  RUST_LOG=warn $fw --db "sqlite://$dir/flywheel.db" serve --bind "127.0.0.1:$port" >"$work/serve-$people.log" 2>&1 &
  pids+=($!)
  until curl -s -o /dev/null "$base/healthz"; do sleep 0.2; done
  viewer=$(login "$base" viewer@example.com "a long viewer password")
  admin=$(login "$base" admin@example.com "$admin_pw")
  # Wait for the dashboard's first computation (done in the background at start).
  t0=$(date +%s.%N)
  until [ "$(curl -s -o "$work/dash-$people.html" -w '%{http_code}' -H "Cookie: flywheel_session=$viewer" "$base/")" = 200 ]; do sleep 0.5; done
  t1=$(date +%s.%N)
  echo "| $people people: dashboard first computed in $(python3 -c "print(f\"{$t1 - $t0:.1f}\")") s after start | | | | |"
  total=$(curl -s -H "Cookie: flywheel_session=$admin" "$base/api/v1/people?per_page=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["total"])')
  deep=$(( total / 50 / 2 + 1 ))
  mid=$(curl -s -H "Cookie: flywheel_session=$admin" "$base/api/v1/people?per_page=1&page=$(( total / 2 ))" | python3 -c 'import json,sys; print(json.load(sys.stdin)["items"][0]["id"])')
  run "$people · dashboard (GET /)" "$base/" "$viewer"
  run "$people · Can I? (GET /api/v1/can-i)" "$base/api/v1/can-i?tool=Public%20AI%20chatbots&purpose=summarising&data=confidential" "$viewer"
  run "$people · paged list, middle page by cursor (GET /api/v1/people?after=$mid&per_page=50)" "$base/api/v1/people?after=$mid&per_page=50" "$admin"
  run "$people · paged list, middle page by number (GET /api/v1/people?page=$deep&per_page=50)" "$base/api/v1/people?page=$deep&per_page=50" "$admin"

  # Peer: nginx serving the same dashboard HTML as a static file.
  nport=$(free_port)
  mkdir -p "$work/nginx-$people"
  cp "$work/dash-$people.html" "$work/nginx-$people/index.html"
  cat >"$work/nginx-$people.conf" <<EOF
worker_processes 1;
daemon off;
error_log $work/nginx-$people/error.log;
pid $work/nginx-$people/nginx.pid;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $work/nginx-$people;
  proxy_temp_path $work/nginx-$people;
  fastcgi_temp_path $work/nginx-$people;
  uwsgi_temp_path $work/nginx-$people;
  scgi_temp_path $work/nginx-$people;
  server { listen 127.0.0.1:$nport; root $work/nginx-$people; }
}
EOF
  "$NGINX" -c "$work/nginx-$people.conf" &
  pids+=($!)
  until curl -s -o /dev/null "http://127.0.0.1:$nport/"; do sleep 0.2; done
  run "$people · peer: nginx, the same dashboard HTML as a static file" "http://127.0.0.1:$nport/" "-"
done

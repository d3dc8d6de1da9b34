#!/usr/bin/env bash
# Soak: MINUTES (default 10) of mixed reads and writes at 50 connections against two
# `flywheel serve` instances sharing one database, on SQLite and on PostgreSQL; then stops
# them with SIGTERM, checks the database's integrity and that every write answered 201 is
# stored. Prints a Markdown table for BENCHMARKS.md.
#
#   scripts/soak.sh [MINUTES] [sqlite|postgres|both] [path/to/flywheel]
#
# Needs python3 (standard library only) and, for PostgreSQL, initdb/pg_ctl (Debian's
# postgresql package; as root the cluster runs as the postgres user). Loopback only.
set -euo pipefail
cd "$(dirname "$0")/.."
minutes="${1:-10}"
which="${2:-both}"
bin="${3:-target/release/flywheel}"
[ -x "$bin" ] || cargo build --release --quiet
work="$(mktemp -d)"
chmod 755 "$work"
pids=()
cleanup() {
  for p in "${pids[@]:-}"; do kill "$p" 2>/dev/null || true; done
  if [ -n "${pgdata:-}" ]; then $as_pg "$pg_ctl" -D "$pgdata" -m immediate stop >/dev/null 2>&1 || true; fi
  # The servers' logs are kept for a look at any error.
  mkdir -p target/soak-logs && cp "$work"/serve-*.err target/soak-logs/ 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

start_pg() {
  pg_ctl=$(command -v pg_ctl || ls /usr/lib/postgresql/*/bin/pg_ctl | tail -1)
  initdb=$(command -v initdb || ls /usr/lib/postgresql/*/bin/initdb | tail -1)
  as_pg=""
  if [ "$(id -u)" = 0 ]; then as_pg="runuser -u postgres --"; fi
  pgdata="$work/pg"
  mkdir -p "$pgdata"; [ -n "$as_pg" ] && chown postgres "$pgdata" "$work"
  $as_pg "$initdb" -D "$pgdata" -U flywheel --auth=trust >/dev/null
  pgport=$(free_port)
  $as_pg "$pg_ctl" -D "$pgdata" -o "-p $pgport -k $pgdata -c listen_addresses=127.0.0.1 -c max_connections=200" -w start >/dev/null
  psql_bin=$(command -v psql)
  "$psql_bin" -h 127.0.0.1 -p "$pgport" -U flywheel -d postgres -qc "CREATE DATABASE soak" >/dev/null
  pg_url="postgres://flywheel@127.0.0.1:$pgport/soak"
}

rows=()
soak() {
  local backend="$1" db="$2"
  export FLYWHEEL_KEY_DIR="$work/keys-$backend"
  "$bin" --db "$db" import hris ../shared/fixtures/hris/oracle-hr_as_hris_orgchart.csv --as-of 2024-01-01 >/dev/null
  "$bin" --db "$db" tools load config/catalog.toml >/dev/null
  local hris; hris=$("$bin" --db "$db" people --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[3]["hris_id"])')
  echo "a long soak password" | "$bin" --db "$db" admin create --email soak@example.com --password-stdin --role employee --person "$hris" >/dev/null
  local bases=()
  for i in 1 2; do
    local port; port=$(free_port)
    "$bin" --db "$db" serve --bind "127.0.0.1:$port" --writes-per-minute 100000000 --questions-per-minute 100000000 \
      > "$work/serve-$backend-$i.out" 2> "$work/serve-$backend-$i.err" &
    pids+=($!)
    bases+=("http://127.0.0.1:$port")
  done
  for b in "${bases[@]}"; do
    for _ in $(seq 1 100); do curl -sf "$b/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
  done
  # The SQLite write-ahead log's largest size during the run (it must stay bounded).
  local walmax="$work/walmax-$backend"
  echo 0 > "$walmax"
  if [ "$backend" = sqlite ]; then
    ( while true; do s=$(stat -c %s "${db#sqlite://}-wal" 2>/dev/null || echo 0); [ "$s" -gt "$(cat "$walmax")" ] && echo "$s" > "$walmax"; sleep 0.5; done ) &
    pids+=($!)
  fi
  python3 - "$minutes" "$work/acked-$backend.tsv" "${bases[@]}" > "$work/load-$backend.json" <<'PY'
import base64, http.client, json, random, sys, threading, time, urllib.parse
minutes = float(sys.argv[1]); acked_path = sys.argv[2]; bases = sys.argv[3:]
auth = "Basic " + base64.b64encode(b"soak@example.com:a long soak password").decode()
stop = time.time() + minutes * 60
lock = threading.Lock()
lat = {"read": [], "write": []}; statuses = {}; acked = []
def worker(n):
    rnd = random.Random(n)
    conns = {}
    i = 0
    while time.time() < stop:
        base = bases[(n + i) % len(bases)]
        u = urllib.parse.urlparse(base)
        c = conns.get(base) or http.client.HTTPConnection(u.hostname, u.port, timeout=30)
        conns[base] = c
        r = rnd.random()
        kind = "write" if r < 0.3 else "read"
        if kind == "write":
            title = f"soak-{n}-{i}"
            body = json.dumps({"title": title, "minutes_before": 60, "minutes_after": 15, "frequency": "weekly"})
            req = ("POST", "/api/v1/wins", body, {"Authorization": auth, "Content-Type": "application/json"})
        elif r < 0.55:
            req = ("GET", "/api/v1/can-i?tool=Microsoft%20365%20Copilot&purpose=summarising&data=internal", None, {"Authorization": auth})
        elif r < 0.8:
            req = ("GET", "/api/v1/wins?per_page=20", None, {"Authorization": auth})
        else:
            req = ("GET", "/healthz", None, {})
        t0 = time.time()
        try:
            c.request(req[0], req[1], body=req[2], headers=req[3])
            resp = c.getresponse(); data = resp.read(); status = resp.status
        except Exception:
            status = 0; data = b""; conns.pop(base, None)
        dt = time.time() - t0
        with lock:
            lat[kind].append(dt); statuses[status] = statuses.get(status, 0) + 1
            if kind == "write" and status == 201:
                acked.append((json.loads(data)["id"], title))
        i += 1
threads = [threading.Thread(target=worker, args=(n,)) for n in range(50)]
for t in threads: t.start()
for t in threads: t.join()
with open(acked_path, "w") as f:
    for i, t in acked: f.write(f"{i}\t{t}\n")
def pct(xs, p):
    xs = sorted(xs); return xs[min(len(xs) - 1, int(p * len(xs)))] * 1000 if xs else 0
print(json.dumps({"requests": sum(statuses.values()), "statuses": statuses, "acked": len(acked),
  "read_p50": pct(lat["read"], .5), "read_p99": pct(lat["read"], .99),
  "write_p50": pct(lat["write"], .5), "write_p99": pct(lat["write"], .99)}))
PY
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  pids=()
  local stored integrity
  if [ "$backend" = sqlite ]; then
    read -r stored integrity < <(python3 - "${db#sqlite://}" "$work/acked-$backend.tsv" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1]); rows = dict(db.execute("SELECT id, title FROM wins"))
acked = [l.rstrip("\n").split("\t") for l in open(sys.argv[2])]
ok = sum(1 for i, t in acked if rows.get(int(i)) == t)
print(ok, db.execute("PRAGMA integrity_check").fetchone()[0])
PY
)
  else
    "$psql_bin" -h 127.0.0.1 -p "$pgport" -U flywheel -d soak -At -F $'\t' -c "SELECT id, title FROM wins" > "$work/stored.tsv"
    stored=$(python3 - "$work/stored.tsv" "$work/acked-$backend.tsv" <<'PY'
import sys
rows = dict(l.rstrip("\n").split("\t") for l in open(sys.argv[1]))
acked = [l.rstrip("\n").split("\t") for l in open(sys.argv[2])]
print(sum(1 for i, t in acked if rows.get(i) == t))
PY
)
    integrity=$("$psql_bin" -h 127.0.0.1 -p "$pgport" -U flywheel -d soak -At -c "SELECT CASE WHEN COUNT(*) = COUNT(DISTINCT id) THEN 'ok' ELSE 'duplicate ids' END FROM wins")
  fi
  local load; load=$(cat "$work/load-$backend.json")
  local wal; wal=$(( $(cat "$walmax") / 1048576 ))
  rows+=("$(python3 - "$backend" "$load" "$stored" "$integrity" "$wal" <<'PY'
import json, sys
b, l, stored, integ, wal = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
errors = sum(v for k, v in l["statuses"].items() if k not in ("200", "201"))
print(f"| {b} | {l['requests']} | {errors} ({', '.join(f'{k}: {v}' for k, v in sorted(l['statuses'].items()) if k not in ('200','201')) or 'none'}) | "
      f"{l['read_p50']:.1f} / {l['read_p99']:.1f} | {l['write_p50']:.1f} / {l['write_p99']:.1f} | {l['acked']} | {stored} | {integ} | {wal + ' MiB' if b == 'sqlite' else '—'} |")
PY
)")
  if [ "$(python3 -c "import json;print(json.loads('''$load''')['acked'])")" != "$stored" ]; then
    echo "FAIL: $backend: acknowledged writes missing" >&2
  fi
}

if [ "$which" = sqlite ] || [ "$which" = both ]; then soak sqlite "sqlite://$work/soak.db"; fi
if [ "$which" = postgres ] || [ "$which" = both ]; then start_pg; soak postgres "$pg_url"; fi

echo "| backend | requests | errors | read p50 / p99 ms | write p50 / p99 ms | writes acknowledged | acknowledged and stored | integrity | largest WAL |"
echo "|---|---|---|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"

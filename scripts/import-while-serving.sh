#!/usr/bin/env bash
# What users of the web app see while a large usage import runs on the same SQLite
# database: 8 connections post wins and read lists while `flywheel import events` merges
# ROWS rows (default 5,000,000). Prints the import's time and, for the requests answered
# during it, their count, errors and latency (p50, p99, max). Loopback only.
#
#   scripts/import-while-serving.sh [ROWS] [path/to/flywheel]
set -euo pipefail
cd "$(dirname "$0")/.."
rows="${1:-5000000}"
bin="${2:-target/release/flywheel}"
[ -x "$bin" ] || cargo build --release --quiet
work="$(mktemp -d)"
pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT
db="sqlite://$work/demo/flywheel.db"

echo "== setup: a 20,000-person company and a usage CSV of $rows rows" >&2
"$bin" demo --no-serve --people 20000 --seed 7 --as-of 2026-06-01 --out "$work/demo" >/dev/null 2>&1
python3 - "$work/demo/hris_orgchart.csv" "$work/usage.csv" "$rows" <<'PY'
import csv, sys, datetime
emails = [r["Work Email"] for r in csv.DictReader(open(sys.argv[1], newline="", encoding="utf-8"))]
rows = int(sys.argv[3]); tools = ["Claude", "Gemini", "Perplexity", "Notion AI", "Cursor"]
start = datetime.date(2025, 1, 1)
with open(sys.argv[2], "w", newline="") as f:
    w = csv.writer(f); w.writerow(["person", "tool", "day", "count"])
    for i in range(rows):
        w.writerow([emails[i % len(emails)], tools[(i // len(emails)) % len(tools)],
                    start + datetime.timedelta(days=(i // (len(emails) * len(tools))) % 700), 1 + i % 7])
PY
hris=$("$bin" --db "$db" people --json --limit 5 | python3 -c 'import json,sys; print(json.load(sys.stdin)[3]["hris_id"])')
echo "a long load password" | "$bin" --db "$db" admin create --email load@example.com --password-stdin --role employee --person "$hris" >/dev/null
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$bin" --db "$db" serve --bind "127.0.0.1:$port" --writes-per-minute 100000000 >/dev/null 2>"$work/serve.err" &
pid=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break; sleep 0.1; done

python3 - "http://127.0.0.1:$port" "$bin" "$db" "$work/usage.csv" <<'PY'
import base64, http.client, json, subprocess, sys, threading, time, urllib.parse
base, bin_, db, csvfile = sys.argv[1:5]
u = urllib.parse.urlparse(base)
auth = "Basic " + base64.b64encode(b"load@example.com:a long load password").decode()
stop = False; lock = threading.Lock(); samples = []
def worker(n):
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=120); i = 0
    while not stop:
        write = i % 2 == 0
        t0 = time.time()
        try:
            if write:
                c.request("POST", "/api/v1/wins", body=json.dumps({"title": f"load-{n}-{i}", "minutes_before": 30, "minutes_after": 5, "frequency": "weekly"}),
                          headers={"Authorization": auth, "Content-Type": "application/json"})
            else:
                c.request("GET", "/api/v1/wins?per_page=20", headers={"Authorization": auth})
            r = c.getresponse(); r.read(); status = r.status
        except Exception:
            status = 0; c = http.client.HTTPConnection(u.hostname, u.port, timeout=120)
        with lock: samples.append((t0, time.time() - t0, "write" if write else "read", status))
        i += 1
threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
for t in threads: t.start()
time.sleep(5)
t_start = time.time()
imp = subprocess.run([bin_, "--db", db, "import", "events", csvfile], capture_output=True, text=True)
t_end = time.time()
time.sleep(2)
stop = True
for t in threads: t.join()
def stats(kind, lo, hi):
    xs = [s for s in samples if s[2] == kind and lo <= s[0] < hi]
    lat = sorted(s[1] * 1000 for s in xs)
    errs = {}
    for s in xs:
        if s[3] not in (200, 201): errs[s[3]] = errs.get(s[3], 0) + 1
    p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] if lat else 0
    return f"| {kind} | {len(xs)} | {sum(errs.values())} {errs or ''} | {p(.5):.1f} | {p(.99):.1f} | {(lat[-1] if lat else 0):.1f} |"
print(f"import: exit {imp.returncode}, {t_end - t_start:.1f} s; {imp.stdout.strip().splitlines()[0] if imp.stdout.strip() else imp.stderr.strip()[:200]}")
print("| requests during the import | answered | errors | p50 ms | p99 ms | max ms |")
print("|---|---|---|---|---|---|")
print(stats("write", t_start, t_end)); print(stats("read", t_start, t_end))
PY

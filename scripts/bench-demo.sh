#!/usr/bin/env bash
# Measures `flywheel demo --no-serve` at a given size: wall time, peak memory (max RSS) and
# the time of each step, on a fresh output directory; then the org-chart import alone
# against a named peer on the same file. Usage: scripts/bench-demo.sh [PEOPLE]
set -euo pipefail
cd "$(dirname "$0")/.."
people="${1:-200000}"
cargo build --release --quiet
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
fw=./target/release/flywheel
echo "== flywheel demo --no-serve --people $people (fresh directory, release build, $(nproc) cores)"
/usr/bin/time -f "wall %e s, peak RSS %M KiB" $fw demo --no-serve --people "$people" --seed 42 --as-of 2026-06-01 --out "$out" 2>&1 \
  | grep -v "admin login"
ls -l "$out" | awk 'NR>1 {printf "  %-22s %8.1f MB\n", $9, $5/1e6}'
echo "== re-run on the same directory (nothing changes)"
/usr/bin/time -f "wall %e s, peak RSS %M KiB" $fw demo --no-serve --people "$people" --seed 42 --as-of 2026-06-01 --out "$out" 2>&1 \
  | grep -v "admin login"

echo "== org-chart import alone, same file, fresh SQLite database each"
t0=$(date +%s.%N)
$fw --db "sqlite://$out/fw.db" import hris "$out/hris_orgchart.csv" --as-of 2026-06-01 >/dev/null 2>&1
t1=$(date +%s.%N)
# Peer: Python's standard csv + sqlite3 modules, one table with a unique employee id, one
# transaction: a raw load, without validation, the unit tree, history or identities.
python3 - "$out/hris_orgchart.csv" "$out/peer.db" <<'PY'
import csv, sqlite3, sys
con = sqlite3.connect(sys.argv[2])
con.execute("PRAGMA journal_mode=WAL")
with open(sys.argv[1], newline="", encoding="utf-8-sig") as f:
    r = csv.reader(f)
    header = next(r)
    cols = ", ".join(f'"{h}" TEXT' for h in header)
    con.execute(f"CREATE TABLE people ({cols})")
    con.execute(f'CREATE UNIQUE INDEX people_id ON people ("{header[0]}")')
    with con:
        con.executemany(f"INSERT INTO people VALUES ({', '.join('?' * len(header))})", r)
con.close()
PY
t2=$(date +%s.%N)
python3 -c "
fw=$t1-$t0; peer=$t2-$t1
print(f'flywheel import hris: {fw:.2f} s   python csv+sqlite3 raw load: {peer:.2f} s   ratio flywheel/peer: {fw/peer:.2f}')"

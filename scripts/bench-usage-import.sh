#!/usr/bin/env bash
# Benchmark: importing a usage CSV of ROWS rows (default 5,000,000) with
#   flywheel import events       (validates every row, resolves identities, merges)
# against, on the same file, in the same run:
#   sqlite3 .import              into an equivalent table (same columns, unique key)
#   pandas read_csv + to_sql     (installed here into a virtualenv, never committed)
# Prints wall time, peak RSS and ratios. Usage: scripts/bench-usage-import.sh [ROWS]
set -euo pipefail
cd "$(dirname "$0")/.."
rows="${1:-5000000}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
command -v sqlite3 >/dev/null || { apt-get install -y -qq sqlite3 >/dev/null; }
venv="${FLYWHEEL_BENCH_VENV:-$HOME/.cache/flywheel-bench-venv}"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q pandas
fi
cargo build --release --quiet
fw=./target/release/flywheel

echo "== setup: a 20,000-person company and a usage CSV of $rows rows"
$fw demo --no-serve --people 20000 --seed 7 --as-of 2026-06-01 --out "$work/demo" >/dev/null 2>&1
"$venv/bin/python" - "$work/demo/hris_orgchart.csv" "$work/usage.csv" "$rows" <<'PY'
import csv, sys, datetime
emails = [r["Work Email"] for r in csv.DictReader(open(sys.argv[1], newline="", encoding="utf-8"))]
rows = int(sys.argv[3]); tools = ["Claude", "Gemini", "Perplexity", "Notion AI", "Cursor"]
start = datetime.date(2025, 1, 1)
with open(sys.argv[2], "w", newline="") as f:
    w = csv.writer(f); w.writerow(["person", "tool", "day", "count"])
    n = 0; d = 0
    while n < rows:
        day = (start + datetime.timedelta(days=d)).isoformat()
        for i, e in enumerate(emails):
            if n >= rows: break
            w.writerow([e, tools[(i + d) % len(tools)], day, (i * 7 + d) % 23 + 1]); n += 1
        d += 1
PY
ls -l "$work/usage.csv" | awk '{printf "usage.csv: %.1f MB\n", $5/1e6}'

measure() { # name, command...: prints "name seconds kib"
  local name="$1"; shift
  /usr/bin/time -f "%e %M" -o "$work/time" "$@" >/dev/null 2>"$work/err" || { cat "$work/err"; exit 1; }
  read -r secs kib < "$work/time"
  echo "$name $secs $kib" >> "$work/results"
  printf "%-28s %8.2f s  %8.1f MiB\n" "$name" "$secs" "$(echo "$kib/1024" | bc -l)"
}

echo "== runs"
cp "$work/demo/flywheel.db" "$work/fw.db"
measure "flywheel import events" $fw --db "sqlite://$work/fw.db" import events "$work/usage.csv"
cat > "$work/import.sql" <<SQL
PRAGMA journal_mode=WAL;
CREATE TABLE usage_raw (person TEXT NOT NULL, tool TEXT NOT NULL, day TEXT NOT NULL, count INTEGER NOT NULL, UNIQUE (person, tool, day));
.mode csv
.import --skip 1 $work/usage.csv usage_raw
SQL
measure "sqlite3 .import" sqlite3 "$work/sq.db" ".read $work/import.sql"
cat > "$work/load_with_pandas.py" <<PY
import sqlite3, pandas as pd
con = sqlite3.connect("$work/pd.db")
con.execute("CREATE TABLE usage_raw (person TEXT NOT NULL, tool TEXT NOT NULL, day TEXT NOT NULL, count INTEGER NOT NULL, UNIQUE (person, tool, day))")
pd.read_csv("$work/usage.csv").to_sql("usage_raw", con, if_exists="append", index=False, chunksize=100_000)
con.commit()
PY
measure "pandas read_csv + to_sql" "$venv/bin/python" "$work/load_with_pandas.py"
echo "== checks"
last="(select max(id) from imports)"
echo "rows stored: flywheel $(sqlite3 "$work/fw.db" "select count(*) from usage where import_id = $last") / sqlite3 $(sqlite3 "$work/sq.db" 'select count(*) from usage_raw') / pandas $(sqlite3 "$work/pd.db" 'select count(*) from usage_raw')"
echo "flywheel rows matched to people: $(sqlite3 "$work/fw.db" "select count(*) from usage where import_id = $last and person_id is not null")"
echo "== ratios (time, peak memory; > 1 means flywheel is slower / larger)"
awk 'NR==1 {fs=$(NF-1); fm=$NF} NR>1 {name=$0; sub(/ [0-9.]+ [0-9]+$/, "", name); printf "flywheel / %-26s time %.2f  memory %.2f\n", name, fs/$(NF-1), fm/$NF}' "$work/results"

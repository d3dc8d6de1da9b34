#!/usr/bin/env bash
# Peak memory of `flywheel import` on hostile inputs: endless lines, an endless quoted
# field, huge fields, a huge document. Each must fail with its place, and peak RSS must stay
# under 300 MB whatever the file's size. Prints a Markdown table for BENCHMARKS.md.
#
#   scripts/hostile-inputs.sh [path/to/flywheel]   (default: target/release/flywheel)
#
# Needs GNU time (/usr/bin/time) and ~3 GB of free disk for the generated files.
set -euo pipefail
bin="${1:-target/release/flywheel}"
[ -x "$bin" ] || { echo "no binary at $bin (cargo build --release)" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "needs GNU time: apt-get install time" >&2; exit 2; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
db="sqlite://$work/h.db"

x() { head -c "$1" /dev/zero | tr '\0' 'x'; }

# Each case: name, importer arguments, a file made by a command.
make_case() {
  local name="$1"; shift
  local file="$work/$name"
  "$@" > "$file"
  echo "$file"
}

rows=()
run() {
  local label="$1" file="$2"; shift 2
  local size; size=$(stat -c %s "$file")
  local out rc rss
  set +e
  out=$( { /usr/bin/time -v "$bin" --db "$db" import "$@" "$file" >/dev/null; } 2>&1 )
  rc=$?
  set -e
  rss=$(echo "$out" | awk -F': ' '/Maximum resident set size/ {print $2}')
  local msg; msg=$(echo "$out" | grep -m1 '^error' | cut -c1-110 | sed 's/|/\\|/g')
  rows+=("| $label | $(( size / 1048576 )) MiB | $rc | $(( rss / 1024 )) MB | ${msg} |")
  if [ "$rc" -eq 0 ]; then echo "FAIL: $label was accepted" >&2; fi
  if [ "$(( rss / 1024 ))" -ge 300 ]; then echo "FAIL: $label peaked at $(( rss / 1024 )) MB" >&2; fi
}

f=$(make_case one-line-2g.csv bash -c "printf 'person,tool,day\n'; head -c 2147483648 /dev/zero | tr '\0' 'x'")
run "events CSV: a 2 GiB line" "$f" events
f=$(make_case line-300m.ndjson bash -c "printf '{\"user_login\":\"'; head -c 314572800 /dev/zero | tr '\0' 'x'; printf '\"}\n'")
run "GitHub NDJSON: a 300 MiB line" "$f" github-copilot
f=$(make_case quoted-300m.csv bash -c "printf 'Report Refresh Date,User Principal Name\n2026-01-01,\"'; for i in \$(seq 1 3000); do head -c 102400 /dev/zero | tr '\0' 'y'; printf '\n'; done; printf '\"\n'")
run "M365 CSV: a 300 MiB quoted field over many lines" "$f" m365-copilot
f=$(make_case field-200m.jsonl bash -c "printf '{\"person\":\"a@example.com\",\"tool\":\"X\",\"day\":\"2026-01-01\"}\n{\"person\":\"'; head -c 209715200 /dev/zero | tr '\0' 'x'; printf '\"}\n'")
run "events JSON Lines: a 200 MiB field" "$f" events --jsonl
f=$(make_case title-200m.csv bash -c "printf 'Employee ID,First Name,Job Title\n1,Ann,'; head -c 209715200 /dev/zero | tr '\0' 't'; printf '\n'")
run "HRIS: a 200 MiB job title" "$f" hris
f=$(make_case title-60m.csv bash -c "printf 'Employee ID,First Name,Job Title\n1,Ann,'; head -c 62914560 /dev/zero | tr '\0' 't'; printf '\n'")
run "HRIS: a 60 MiB job title (a file within the document limit)" "$f" hris
f=$(make_case doc-1g.json bash -c "printf '{\"value\": [\n'; for i in \$(seq 1 2000); do head -c 524288 /dev/zero | tr '\0' ' '; printf '{\"userPrincipalName\": \"a@example.com\"},\n'; done; printf '{}]}\n'")
run "M365 JSON: a 1 GiB document" "$f" m365-copilot

echo "| input | size | exit | peak RSS | first error line |"
echo "|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"

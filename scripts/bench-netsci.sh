#!/usr/bin/env bash
# Benchmarks the network-science engine against NetworKit, igraph/leidenalg and cynetdiff
# on the same generated company graphs, in one run (see BENCHMARKS.md).
#
#   scripts/bench-netsci.sh [small,large]
#
# small: 75,000 people, mean degree 10.7 (about 400k edges); large: 2,000,000 people,
# mean degree 17 (about 17M edges, 17,800 departments). Peers are installed from PyPI
# into target/bench-venv; inputs are written to target/bench-netsci.
set -euo pipefail
cd "$(dirname "$0")/.."
sizes="${1:-small,large}"
venv="target/bench-venv"
work="target/bench-netsci"
mkdir -p "$work"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/pip" install -q --disable-pip-version-check networkit igraph leidenalg cynetdiff numpy
cargo build --release -q
bin="target/release/flywheel"
for size in ${sizes//,/ }; do
  case "$size" in
    small) n=75000; degree=10.7 ;;
    large) n=2000000; degree=17 ;;
    *) echo "unknown size $size" >&2; exit 2 ;;
  esac
  if [ ! -s "$work/$size.edges" ]; then
    "$bin" net generate --company "$n" --mean-degree "$degree" --out "$work/$size.edges" --groups "$work/$size.groups" --seed 1
  fi
  # 50 seeds for the simulations: every (n/50)-th node, the same set for every tool.
  python3 -c "n=$n; print('\n'.join(str(i * (n // 50)) for i in range(50)))" > "$work/$size.seeds"
done
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo); $("$venv/bin/python" -c 'import networkit, igraph, leidenalg; print("networkit", networkit.__version__, "igraph", igraph.__version__, "leidenalg", leidenalg.__version__)'); cynetdiff $("$venv/bin/pip" show cynetdiff | awk '/^Version/ {print $2}')"
"$venv/bin/python" scripts/bench_netsci.py "$bin" "$venv/bin/python" "$work" "$sizes"

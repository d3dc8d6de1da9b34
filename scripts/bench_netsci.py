"""Runs Flywheel's engine and its peers on the same generated graphs, one process per
measurement, and prints time, peak memory, quality and ratios. Driven by
scripts/bench-netsci.sh, which prepares the virtualenv and the inputs."""
import json
import os
import subprocess
import sys
import time

FLYWHEEL, PYTHON, WORK = sys.argv[1], sys.argv[2], sys.argv[3]
SIZES = sys.argv[4].split(",")
CORES = os.cpu_count() or 1
TIMEOUT = 300  # seconds a peer may take before it counts as not finishing
PEERS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "bench_netsci_peers.py")


def run(cmd):
    """Runs cmd, returns (parsed JSON stdout, wall seconds, peak RSS in MiB)."""
    t = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    out = p.stdout.read()
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t
    if status != 0:
        return {"error": f"exit {os.waitstatus_to_exitcode(status)}"}, wall, usage.ru_maxrss / 1024
    return json.loads(out), wall, usage.ru_maxrss / 1024


def ours(args):
    return run([FLYWHEEL, "net"] + args + ["--json"])


def peer(args):
    return run([PYTHON, PEERS] + args)


def best_of(times, f):
    """The run with the least compute time of `times` (for measurements of milliseconds,
    which vary by 2-3x from run to run on this machine)."""
    results = [f() for _ in range(times)]
    return min(results, key=lambda x: x[0].get("seconds", float("inf")))


rows = []


def row(size, task, tool, result, wall, rss, quality=""):
    secs = result.get("seconds")
    rows.append((size, task, tool, secs, rss, quality))
    s = f"{secs:9.3f} s" if isinstance(secs, (int, float)) else f"{'-':>11}"
    print(f"{size:<6} {task:<22} {tool:<26} {s} {rss:8.0f} MiB  {quality}", flush=True)


def ratio(a, b):
    return b / a if a and b else float("nan")


print(f"{'graph':<6} {'task':<22} {'tool':<26} {'compute':>11} {'peak RSS':>12}  quality")
for size in SIZES:
    edges = os.path.join(WORK, f"{size}.edges")
    seeds = os.path.join(WORK, f"{size}.seeds")

    r, w, m = ours(["pagerank", "--edges", edges, "--top", "100", "--unweighted"])
    row(size, "pagerank", "flywheel", r, w, m, f"{r.get('iterations')} iterations, {r['graph']['arcs'] / r['seconds'] * r.get('iterations', 0) / 1e9:.2f} G arc visits/s")
    ours_top = {int(x["node"]) for x in r["top"]}
    p, w, m = peer(["nk-pagerank", edges])
    overlap = len(ours_top & set(p.get("top", []))) if "top" in p else 0
    row(size, "pagerank", "networkit", p, w, m, f"{p.get('iterations')} iterations; top-100 overlap {overlap}")
    print(f"{'':<6} {'':<22} {'ratio networkit/ours':<26} {ratio(r['seconds'], p.get('seconds')):9.2f}x")

    r, w, m = ours(["communities", "--edges", edges])
    row(size, "communities", "flywheel leiden", r, w, m, f"Q = {r.get('modularity', 0):.5f}, {r.get('communities')} communities")
    p, w, m = peer(["nk-plm", edges])
    row(size, "communities", "networkit PLM", p, w, m, f"Q = {p.get('modularity', 0):.5f}, {p.get('communities')} communities")
    print(f"{'':<6} {'':<22} {'ratio PLM/ours':<26} {ratio(r['seconds'], p.get('seconds')):9.2f}x")
    p, w, m = peer(["nk-leiden", edges])
    row(size, "communities", "networkit ParallelLeiden", p, w, m, f"Q = {p.get('modularity', 0):.5f}, {p.get('communities')} communities")
    if size == "small":
        p, w, m = peer(["leidenalg", edges])
        row(size, "communities", "leidenalg", p, w, m, f"Q = {p.get('modularity', 0):.5f}, {p.get('communities')} communities")

    for model in ("ic", "lt"):
        r, w, m = best_of(3, lambda: ours(["simulate", "--edges", edges, "--model", model, "--seeds", seeds, "--runs", "100"]))
        row(size, f"simulate {model} x100", "flywheel", r, w, m, f"mean spread {r.get('mean', 0):.1f}")
        p, w, m = best_of(3, lambda: peer([f"cynetdiff-{model}", edges, seeds, "100"]))
        row(size, f"simulate {model} x100", "cynetdiff", p, w, m, f"mean spread {p.get('mean', 0):.1f}")
        print(f"{'':<6} {'':<22} {'ratio cynetdiff/ours':<26} {ratio(r['seconds'], p.get('seconds')):9.2f}x")

    r, w, m = ours(["seeds", "--edges", edges, "--k", "50", "--model", "ic", "--eps", "0.1", "--compare", "100"])
    c = r.get("comparison") or {}
    row(size, "seeds k=50 eps=0.1", "flywheel", r, w, m,
        f"{r.get('rr_nodes', 0) / max(r.get('sampling_seconds', 1), 1e-9) / CORES / 1e6:.1f} M RR nodes/s/core in sampling ({r.get('sampling_seconds', 0):.2f} s); spread {c.get('seeds', {}).get('mean', 0):.0f} vs top-50 degree {c.get('highest_degree', {}).get('mean', 0):.0f}; certified {r.get('certified_ratio', 0):.3f}; chosen by {r.get('chosen_by')}")

    eps = "0.01"
    r, w, m = ours(["betweenness", "--edges", edges, "--eps", eps, "--delta", "0.1", "--top", "1000"])
    row(size, f"betweenness eps={eps}", "flywheel", r, w, m, f"{r.get('guarantee', {}).get('samples', 0)} samples")
    # Reference for the error: our estimate at eps = 0.002 (small graph only).
    refmap = {}
    if size == "small":
        ref, _, _ = ours(["betweenness", "--edges", edges, "--eps", "0.002", "--delta", "0.1", "--top", "1000", "--seed", "99"])
        refmap = {int(x["node"]): x["score"] for x in ref["top"]}
        err_ours = max(abs(x["score"] - refmap.get(int(x["node"]), 0)) for x in r["top"])
    for task, name in (("nk-kadabra", "networkit KADABRA"), ("nk-rk", "networkit ApproxBetweenness")):
        p, w, m = run(["timeout", str(TIMEOUT), PYTHON, PEERS, task, edges, eps, "0.1"])
        if "scores" in p:
            quality = ""
            if refmap:
                err_p = max(abs(p["scores"][v] - s) for v, s in refmap.items())
                quality = f"max error on our top 1000 vs eps=0.002 reference: ours {err_ours:.5f}, theirs {err_p:.5f}"
            row(size, f"betweenness eps={eps}", name, p, w, m, quality)
            print(f"{'':<6} {'':<22} {'ratio theirs/ours':<26} {ratio(r['seconds'], p.get('seconds')):9.2f}x")
        elif p.get("error") == "exit 124":  # timeout's exit status
            row(size, f"betweenness eps={eps}", name, p, w, m, f"did not finish in {TIMEOUT} s")
        else:
            row(size, f"betweenness eps={eps}", name, p, w, m, f"failed: {p.get('error')}")

"""Peers for scripts/bench-netsci.sh: one task per process, timing only the computation.

Usage: python bench_netsci_peers.py TASK EDGES [ARGS...]; prints one JSON object.
Reads the edge lists `flywheel net generate` writes (one '#' header line, then
"u<TAB>v" with nodes 0..n-1, each undirected edge once).
"""
import json
import sys
import time

import numpy as np


def edges(path):
    with open(path, "rb") as f:
        f.readline()
        data = np.array(f.read().split(), dtype=np.uint32)
    return data[0::2], data[1::2]


def csr_both_ways(u, v, n):
    """Out-adjacency of the undirected graph (each edge as two arcs), CSR."""
    src = np.concatenate([u, v])
    dst = np.concatenate([v, u])
    order = np.argsort(src, kind="stable")
    dst = dst[order].astype(np.uint32)
    counts = np.bincount(src, minlength=n)
    starts = np.zeros(n, dtype=np.uint32)
    starts[1:] = np.cumsum(counts)[:-1]
    return starts, dst, counts


def networkit_graph(path):
    import networkit as nk

    u, v = edges(path)
    n = int(max(u.max(), v.max())) + 1
    g = nk.Graph(n, weighted=False, directed=False)
    g.addEdges((u.astype(np.uint64), v.astype(np.uint64)))
    return g


def main():
    task, path = sys.argv[1], sys.argv[2]
    out = {}
    if task == "nk-pagerank":
        import networkit as nk

        nk.setNumberOfThreads(2)
        g = networkit_graph(path)
        pr = nk.centrality.PageRank(g, 0.85, 1e-10)
        pr.norm = nk.centrality.Norm.L1_NORM
        t = time.perf_counter()
        pr.run()
        out["seconds"] = time.perf_counter() - t
        out["iterations"] = pr.numberOfIterations()
        out["top"] = [int(x) for x, _ in pr.ranking()[:100]]
    elif task == "nk-plm":
        import networkit as nk

        nk.setNumberOfThreads(2)
        g = networkit_graph(path)
        t = time.perf_counter()
        plm = nk.community.PLM(g, refine=True)
        plm.run()
        out["seconds"] = time.perf_counter() - t
        p = plm.getPartition()
        out["modularity"] = nk.community.Modularity().getQuality(p, g)
        out["communities"] = p.numberOfSubsets()
    elif task == "nk-leiden":
        import networkit as nk

        nk.setNumberOfThreads(2)
        g = networkit_graph(path)
        t = time.perf_counter()
        lei = nk.community.ParallelLeiden(g)
        lei.run()
        out["seconds"] = time.perf_counter() - t
        p = lei.getPartition()
        out["modularity"] = nk.community.Modularity().getQuality(p, g)
        out["communities"] = p.numberOfSubsets()
    elif task == "leidenalg":
        import igraph as ig
        import leidenalg as la

        u, v = edges(path)
        n = int(max(u.max(), v.max())) + 1
        g = ig.Graph(n=n, edges=np.column_stack([u, v]).tolist())
        t = time.perf_counter()
        part = la.find_partition(g, la.ModularityVertexPartition, seed=1)
        out["seconds"] = time.perf_counter() - t
        out["modularity"] = g.modularity(part.membership)
        out["communities"] = len(part)
    elif task in ("nk-kadabra", "nk-rk"):
        import networkit as nk

        nk.setNumberOfThreads(2)
        nk.engineering.setSeed(1, True)
        eps, delta = float(sys.argv[3]), float(sys.argv[4])
        g = networkit_graph(path)
        t = time.perf_counter()
        if task == "nk-kadabra":
            k = nk.centrality.KadabraBetweenness(g, eps, delta)
        else:
            k = nk.centrality.ApproxBetweenness(g, eps, delta)
        k.run()
        out["seconds"] = time.perf_counter() - t
        out["scores"] = [float(x) for x in k.scores()]
    elif task in ("cynetdiff-ic", "cynetdiff-lt"):
        from cynetdiff.models import IndependentCascadeModel, LinearThresholdModel
        import array

        seeds = [int(x) for x in open(sys.argv[3]).read().split()]
        runs = int(sys.argv[4])
        u, v = edges(path)
        n = int(max(u.max(), v.max())) + 1
        starts, dst, deg = csr_both_ways(u, v, n)
        s_arr = array.array("I", starts.tolist())
        e_arr = array.array("I", dst.tolist())
        if task == "cynetdiff-ic":
            probs = array.array("f", (1.0 / deg[dst]).astype(np.float32).tolist())
            model = IndependentCascadeModel(s_arr, e_arr, activation_probs=probs, rng=1)
        else:
            model = LinearThresholdModel(s_arr, e_arr, rng=1)
        model.set_seeds(seeds)
        t = time.perf_counter()
        total = 0
        for _ in range(runs):
            model.reset_model()
            model.advance_until_completion()
            total += model.get_num_activated_nodes()
        out["seconds"] = time.perf_counter() - t
        out["mean"] = total / runs
    else:
        raise SystemExit(f"unknown task {task}")
    print(json.dumps(out))


if __name__ == "__main__":
    main()

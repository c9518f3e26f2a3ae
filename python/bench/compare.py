#!/usr/bin/env python3
"""Speed of the Python package against the Rust library and CLI (a benchmark, not a test).

  python bench/compare.py [--families goe,mirror,rotor] [--samples 101] [--repeat 3]
                          [--binary target/release/eigentrack] [--sweep-only|--no-sweep]

1. Tracking through the Python API vs the Rust API, on the families of
   ../shared/bench/realistic.py (written as family files with `--dump`):
   * rust api: the track's own wall time as the library measures it (Stats::seconds,
     read from the JSON of `eigentrack track`);
   * rust cli: the command-line tool's wall time (process start, reading the file,
     writing the JSON);
   * python family: `eigentrack.track(eigentrack.load_family(path), samples=…)`, wall
     time around the call (the family is evaluated in Rust);
   * python callback: the same A(t) = A0 + t·A1 as a Python function f(t) (numpy) with
     df(t) = A1 and ddf(t) = 0, so Rust calls back into Python for every A(t), A′(t),
     A″(t) it needs. The overhead per evaluation is (callback − family) / evaluations.
2. A sweep of 64 parameter points on a dask.distributed LocalCluster with 2 worker
   processes against 1 worker (1 thread each).
Medians of `--repeat` runs. Run with one BLAS thread (OPENBLAS_NUM_THREADS=1) on a quiet
machine; these machines have 2 shared cores.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

import eigentrack as et

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
SHARED = os.path.abspath(os.path.join(ROOT, "..", "shared", "bench"))


def median_time(fn, repeat):
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def dump(name, d):
    r = subprocess.run([sys.executable, os.path.join(SHARED, "realistic.py"), "--family", name,
                        "--dump", d], check=True, capture_output=True, text=True)
    return r.stdout.strip().splitlines()[-1]


def compare_family(name, binary, samples, repeat):
    d = tempfile.mkdtemp(prefix=f"et-py-{name}-")
    path = dump(name, d)
    out = os.path.join(d, "cli.json")

    def cli():
        subprocess.run([binary, "track", path, "--samples", str(samples), "--quiet", "--out", out],
                       check=True)
        return json.load(open(out))["stats"]["seconds"]

    fam = et.load_family(path)
    # the same family as a Python callback: A(t) = A0 + t·A1 (the realistic families are
    # linear in t), exact derivatives through df / ddf
    a0 = fam(0.0)
    a1 = fam(1.0) - a0
    zero = np.zeros_like(a0)
    calls = [0]

    def f(t):
        calls[0] += 1
        return a0 + t * a1

    def df(t):
        calls[0] += 1
        return a1

    def ddf(t):
        calls[0] += 1
        return zero

    # interleaved, so that a change of the machine's load hits every variant alike
    runs = {"cli": [], "api": [], "py": [], "cb": []}
    tr = tr_cb = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        runs["api"].append(cli())
        runs["cli"].append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        tr = et.track(fam, samples=samples)
        runs["py"].append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        tr_cb = et.track(f, fam.range, samples, df=df, ddf=ddf)
        runs["cb"].append(time.perf_counter() - t0)
    cli_s, api_s, py_s, cb_s = (statistics.median(runs[k]) for k in ("cli", "api", "py", "cb"))
    evaluations = calls[0] / repeat
    # what the Python function itself costs per call, without the binding
    t0 = time.perf_counter()
    for k in range(200):
        f(0.5)
    f_alone = (time.perf_counter() - t0) / 200
    overhead = (cb_s - py_s) / evaluations
    same = np.allclose(tr_cb.values, tr.values, rtol=1e-9, atol=1e-9 * np.abs(tr.values).max())
    return {
        "family": name,
        "n": fam.n,
        "samples": samples,
        "rust_api_s": round(api_s, 4),
        "rust_cli_s": round(cli_s, 4),
        "python_family_s": round(py_s, 4),
        "python_vs_rust_api": round(py_s / api_s, 3),
        "python_vs_rust_cli": round(py_s / cli_s, 3),
        "python_callback_s": round(cb_s, 4),
        "callback_vs_rust_api": round(cb_s / api_s, 3),
        "evaluations": int(evaluations),
        "callback_overhead_us_per_eval": round(1e6 * overhead, 1),
        "f_alone_us": round(1e6 * f_alone, 1),
        "binding_us_per_eval": round(1e6 * (overhead - f_alone), 1),
        "same_values": bool(same),
    }


def compare_small(repeat, samples=201):
    """Landau–Zener, n = 2: where the Python callback costs most relative to the work."""
    d = tempfile.mkdtemp(prefix="et-py-lz-")
    path = os.path.join(d, "lz.json")
    with open(path, "w") as fh:
        json.dump({"range": [-1.0, 1.0], "terms": [
            {"coef": "t", "matrix": [[1, 0], [0, -1]]},
            {"coef": "0.2", "matrix": [[0, 1], [1, 0]]}]}, fh)
    fam = et.load_family(path)
    api = []

    def family_run():
        tr = et.track(fam, samples=samples)
        api.append(tr.stats.seconds)
        return tr

    py_s, tr = median_time(family_run, repeat)
    api_s = statistics.median(api)
    a1 = np.array([[1.0, 0.0], [0.0, -1.0]])
    zero = np.zeros((2, 2))
    calls = [0]

    def f(t):
        calls[0] += 1
        return np.array([[t, 0.2], [0.2, -t]])

    def df(t):
        calls[0] += 1
        return a1

    def ddf(t):
        calls[0] += 1
        return zero

    cb_s, _ = median_time(lambda: et.track(f, (-1.0, 1.0), samples, df=df, ddf=ddf), repeat)
    evaluations = calls[0] / repeat
    return {"family": "landau_zener", "n": 2, "samples": samples,
            "rust_api_s": round(api_s, 5), "python_family_s": round(py_s, 5),
            "python_callback_s": round(cb_s, 5), "evaluations": int(evaluations),
            "callback_overhead_us_per_eval": round(1e6 * (cb_s - py_s) / evaluations, 1),
            "callback_vs_family": round(cb_s / py_s, 2)}


def sweep_family(d, n=60):
    rng = np.random.default_rng(5)
    a0 = rng.standard_normal((n, n))
    a1 = np.diag(np.linspace(-3, 3, n))
    a2 = rng.standard_normal((n, n))
    path = os.path.join(d, "sweep.json")
    with open(path, "w") as fh:
        json.dump({"range": [0.0, 1.0], "params": {"g": 0.1}, "terms": [
            {"coef": "1", "matrix": (a0 + a0.T).tolist()},
            {"coef": "t", "matrix": a1.tolist()},
            {"coef": "g", "matrix": (a2 + a2.T).tolist()}]}, fh)
    return path


def compare_sweep(repeat, points=64, samples=201):
    import distributed

    d = tempfile.mkdtemp(prefix="et-py-sweep-")
    fam = et.load_family(sweep_family(d))
    params = [{"g": g} for g in np.linspace(0.01, 1.0, points)]
    serial_s, ref = median_time(lambda: et.sweep(fam, params, samples=samples), 1)
    out = {"points": points, "samples": samples, "n": fam.n, "in_process_s": round(serial_s, 3)}
    clusters = {}
    try:
        for workers in (1, 2):
            cluster = distributed.LocalCluster(n_workers=workers, threads_per_worker=1,
                                               processes=True, dashboard_address=None)
            client = distributed.Client(cluster)
            clusters[workers] = (cluster, client, client.get_executor())
            et.sweep(fam, params[:4], executor=clusters[workers][2], samples=11)  # warm up
        times = {1: [], 2: []}
        for _ in range(repeat):  # interleaved, as above
            for workers in (1, 2):
                ex = clusters[workers][2]
                t0 = time.perf_counter()
                res = et.sweep(fam, params, executor=ex, samples=samples)
                times[workers].append(time.perf_counter() - t0)
                assert all(np.array_equal(a.values, b.values) for a, b in zip(res, ref))
        for workers in (1, 2):
            out[f"workers_{workers}_s"] = round(statistics.median(times[workers]), 3)
    finally:
        for cluster, client, _ in clusters.values():
            client.close()
            cluster.close()
    out["speedup_2_vs_1"] = round(out["workers_1_s"] / out["workers_2_s"], 2)
    out["load_average_1min"] = os.getloadavg()[0]
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--families", default="goe,mirror,rotor")
    ap.add_argument("--samples", type=int, default=101)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--binary", default=os.path.join(ROOT, "target", "release", "eigentrack"))
    ap.add_argument("--no-sweep", action="store_true")
    ap.add_argument("--sweep-only", action="store_true")
    a = ap.parse_args()
    if not a.sweep_only:
        for name in a.families.split(","):
            print(json.dumps(compare_family(name, a.binary, a.samples, a.repeat)), flush=True)
        print(json.dumps(compare_small(max(a.repeat, 5))), flush=True)
    if not a.no_sweep:
        print(json.dumps({"sweep": compare_sweep(a.repeat)}), flush=True)


if __name__ == "__main__":
    main()

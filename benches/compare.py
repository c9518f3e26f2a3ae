#!/usr/bin/env python3
"""Side-by-side speed of eigentrack and the numpy/scipy baseline, in one run.

For each family (random real A0 + t*A1, and its symmetric twin) and size n, the
baseline's seeded family is dumped as an eigentrack family file, so both sides track
the identical A(t) on the same uniform grid. Reported, as medians over repeats:

  * the LAPACK floor: scipy.linalg.eig(left=True, right=True) (general) or
    numpy.linalg.eigh (symmetric), one BLAS thread, per grid point;
  * eigentrack's decomposition time per decomposition (faer, inside the tracker);
  * the Python eigenshuffle-style tracker with slopes, per grid point;
  * eigentrack lean (slopes only, like the Python tracker: --no-curvatures
    --no-events) per grid point, with the share of its time outside decompositions;
  * eigentrack full (curvatures at the samples and located events) per grid point, and
    its decompositions per grid point (one run: it is much slower on dense spectra).

Usage: python3 benches/compare.py [--sizes 4,20,100,300] [--repeat 3]
Needs numpy and scipy; with no PYTHON in the environment it creates /tmp/pyvenv.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASELINE = Path(os.environ.get(
    "EIGENTRACK_BASELINE", ROOT.parent / "shared" / "bench" / "eigenshuffle_baseline.py"))


def python_with_numpy():
    py = os.environ.get("PYTHON")
    if py:
        return py
    venv = Path("/tmp/pyvenv")
    py = venv / "bin" / "python"
    if not py.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(py), "-m", "pip", "install", "-q", "numpy", "scipy",
                        "threadpoolctl"], check=True)
    return str(py)


def baseline(py, args):
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1")
    out = subprocess.run([py, str(BASELINE)] + args, check=True, capture_output=True,
                         text=True, env=env).stdout
    return json.loads(out) if out.strip() else None


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--sizes", default="4,20,100,300")
    p.add_argument("--repeat", type=int, default=3)
    a = p.parse_args()
    py = python_with_numpy()
    subprocess.run(["cargo", "build", "--release", "--quiet", "--bin", "eigentrack"],
                   cwd=ROOT, check=True)
    exe = ROOT / "target" / "release" / "eigentrack"
    print("| family | n | grid points | LAPACK floor ms | eigentrack decomposition ms "
          "| ratio | Python tracker ms/point | eigentrack lean ms/point | ratio "
          "| lean: overhead / decomposition time | eigentrack full ms/point "
          "| full: decompositions/point |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    tmp = Path(tempfile.mkdtemp())
    unsorted = {}
    for fam, herm in [("random", False), ("random_sym", True)]:
        for n in [int(s) for s in a.sizes.split(",")]:
            points = {4: 1000, 20: 1000, 100: 201}.get(n, 51)
            spec = tmp / f"{fam}_{n}.json"
            baseline(py, ["--family", fam, "--n", str(n), "--dump-family", str(spec)])
            extra = ["--hermitian"] if herm else []
            common = ["--family", fam, "--n", str(n), "--steps", str(points)] + extra
            key = "np_eigh_per_step_ms" if herm else "sp_eig_lr_per_step_ms"
            floor = statistics.median(
                baseline(py, common + ["--floor"])["timings"][key]
                for _ in range(a.repeat))
            pyt = statistics.median(
                baseline(py, common)["timings"]["per_step_ms"] for _ in range(a.repeat))
            def ours(flags, repeat):
                runs = []
                for _ in range(repeat):
                    out = tmp / "out.json"
                    cmd = [str(exe), "track", str(spec), "--samples", str(points),
                           "--quiet", "--out", str(out)] + flags
                    if herm:
                        cmd += ["--hermitian", "yes"]
                    subprocess.run(cmd, check=True)
                    result = json.loads(out.read_text())
                    if herm:
                        unsorted[(n, "eigentrack")] = unsorted_points(
                            [b["re"] for b in result["branches"]])
                    runs.append(result["stats"])
                return runs
            # lean: slopes only, as the Python tracker; full: curvatures and events too
            if herm:
                unsorted[(n, "python")] = python_unsorted(py, n, points)
            lean = ours(["--no-curvatures", "--no-events"], a.repeat)
            full = ours([], 1)
            per_dec = statistics.median(
                1e3 * s["decomposition_seconds"] / s["decompositions"] for s in lean + full)
            lean_pp = statistics.median(1e3 * s["seconds"] / points for s in lean)
            overhead = statistics.median(
                s["seconds"] / s["decomposition_seconds"] - 1 for s in lean)
            full_pp = statistics.median(1e3 * s["seconds"] / points for s in full)
            dec_pp = statistics.median(s["decompositions"] / points for s in full)
            print(f"| {fam} | {n} | {points} | {floor:.3f} | {per_dec:.3f} | "
                  f"{floor / per_dec:.2f}× | {pyt:.3f} | {lean_pp:.3f} | "
                  f"{pyt / lean_pp:.2f}× | {100 * overhead:.0f}% | {full_pp:.3f} | "
                  f"{dec_pp:.2f} |", flush=True)

    # A generic real symmetric family has no crossings (von Neumann–Wigner): its adiabatic
    # branches are the sorted eigenvalues. A grid point where the tracked branches are
    # out of order is an identity error: an avoided crossing followed diabatically.
    print()
    print("| random_sym n | grid points | grid points out of sorted order: Python tracker "
          "| eigentrack lean |")
    print("|---|---|---|---|")
    for n in sorted({k[0] for k in unsorted}):
        points = {4: 1000, 20: 1000, 100: 201}.get(n, 51)
        print(f"| {n} | {points} | {unsorted[(n, 'python')]} | "
              f"{unsorted[(n, 'eigentrack')]} |", flush=True)


def unsorted_points(branches):
    """Grid points at which the branches (lists of values per branch) are not sorted."""
    return sum(any(b[k] > c[k] for b, c in zip(branches, branches[1:]))
               for k in range(len(branches[0])))


def python_unsorted(py, n, points):
    """unsorted_points of the Python tracker's branches on random_sym."""
    script = f"""
import importlib.util, numpy as np
spec = importlib.util.spec_from_file_location("b", {str(BASELINE)!r})
b = importlib.util.module_from_spec(spec); spec.loader.exec_module(b)
fam = b.make_family("random_sym", {n})
res, _ = b.track(fam["A"], np.linspace(fam["t0"], fam["t1"], {points}), hermitian=True,
                 deriv=False)
lam = res["lam"]
print(int(np.sum(np.any(np.diff(lam, axis=1) < 0, axis=1))))
"""
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1")
    out = subprocess.run([py, "-c", script], check=True, capture_output=True, text=True,
                         env=env).stdout
    return int(out.strip())


if __name__ == "__main__":
    main()

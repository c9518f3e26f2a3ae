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
                    runs.append(json.loads(out.read_text())["stats"])
                return runs
            # lean: slopes only, as the Python tracker; full: curvatures and events too
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


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Side-by-side speed and labels of eigentrack's sparse path and SciPy's loop, in one run.

Families (written as eigentrack family files with Matrix Market terms, so both sides
track the identical matrices on the same uniform grid):

  * dot:    a 2D quantum dot on an m × m grid, A(t) = -Δ_h + t·V with V an anisotropic
            harmonic well plus a Gaussian bump (levels cross and avoid each other);
  * fe:     a bilinear finite-element pencil on an m × m grid, K(t) x = λ M x with
            K(t) = K₁⊗M₁ + (1.2 + t)·M₁⊗K₁ and M = M₁⊗M₁ (separable: the eigenvalues are
            κᵢ + (1.2 + t)κⱼ with the 1D generalized eigenvalues κ, so levels cross
            exactly and every level has a known label (i, j)).

SciPy's side is what a user writes: at every sample eigsh(A, k, M, sigma=σ,
v0=previous first vector) (SuperLU shift-invert + ARPACK), then the Hungarian
assignment (linear_sum_assignment) on |X_prevᵀ M X| to follow the branches; one BLAS
thread. eigentrack's side is `eigentrack track FAMILY.json --nearest K --sigma S`.
Reported per family and size: seconds per sample (median over --repeat runs of each
side, run alternately) of SciPy's loop (matrices in memory), of the eigentrack command
(wall clock: reading the .mtx terms, tracking, writing the JSON) and of eigentrack's own
loop (the track's `stats.seconds`: matrices in memory, like SciPy's loop); the ratios
SciPy / eigentrack for both; eigentrack's factorisations per sample, and — on the fe family, whose labels are known — how often SciPy's sorted
labels swap and how many samples each tracker puts on a wrong level.

Usage: python3 benches/sparse_compare.py [--sizes 100,200,400] [--families dot,fe]
       [--k 10] [--samples 11] [--repeat 3] [--binary target/release/eigentrack]
Needs numpy and scipy (PYTHON=…, or a venv made in /tmp/pyvenv).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def reexec_with_scipy():
    try:
        import numpy  # noqa: F401
        import scipy  # noqa: F401
        return
    except ImportError:
        pass
    py = os.environ.get("PYTHON")
    if not py:
        venv = Path("/tmp/pyvenv")
        py = str(venv / "bin" / "python")
        if not Path(py).exists():
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
            subprocess.run([py, "-m", "pip", "install", "-q", "numpy", "scipy"],
                           check=True)
    os.execv(py, [py] + sys.argv)


reexec_with_scipy()
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
import numpy as np  # noqa: E402
import scipy.io  # noqa: E402
import scipy.sparse as sp  # noqa: E402
import scipy.sparse.linalg as sla  # noqa: E402
from scipy.optimize import linear_sum_assignment  # noqa: E402


def tridiag(m, lo, di, up):
    e = np.ones(m)
    return sp.diags([lo * e[:-1], di * e, up * e[:-1]], [-1, 0, 1], format="csc")


def dot_family(m):
    """-Δ_h + t·V on the unit square (Dirichlet), σ = 0."""
    h = 1.0 / (m + 1)
    t1 = tridiag(m, -1.0, 2.0, -1.0) / (h * h)
    eye = sp.identity(m, format="csc")
    lap = (sp.kron(eye, t1) + sp.kron(t1, eye)).tocsc()
    x = (np.arange(m) + 1) * h
    xx, yy = np.meshgrid(x, x)  # xx varies along the fast index
    v = (400.0 * ((xx - 0.5) ** 2 + 2.0 * (yy - 0.5) ** 2)
         + 300.0 * np.exp(-((xx - 0.3) ** 2 + (yy - 0.6) ** 2) / 0.01))
    pot = sp.diags(v.ravel(), format="csc")
    terms = [("1", lap), ("t", pot)]
    return {"terms": terms, "mass": None, "range": (0.0, 1.0), "sigma": 0.0,
            "labels": None}


def fe_family(m):
    """Bilinear FE on the unit square: K(t) = K₁⊗M₁ + (1.2 + t)·M₁⊗K₁, M = M₁⊗M₁."""
    h = 1.0 / (m + 1)
    k1 = tridiag(m, -1.0, 2.0, -1.0) / h
    m1 = tridiag(m, 1.0, 4.0, 1.0) * (h / 6.0)
    kx = sp.kron(m1, k1).tocsc()   # K₁ on the fast index
    ky = sp.kron(k1, m1).tocsc()
    mass = sp.kron(m1, m1).tocsc()
    # 1D generalized eigenvalues of (K₁, M₁): 6/h² (1 − cos θ)/(2 + cos θ), θ = iπ/(m+1)
    th = np.arange(1, m + 1) * np.pi / (m + 1)
    kappa = 6.0 / h ** 2 * (1 - np.cos(th)) / (2 + np.cos(th))
    sigma = float(kappa[0] * 2.0 + 60.0)
    terms = [("1", kx + 1.2 * ky), ("t", ky)]
    return {"terms": terms, "mass": [("1", mass)], "range": (0.0, 1.0),
            "sigma": sigma, "labels": kappa}


FAMILIES = {"dot": dot_family, "fe": fe_family}


def write_family(fam, folder):
    folder.mkdir(parents=True, exist_ok=True)
    def entries(terms, stem):
        out = []
        for i, (coef, mat) in enumerate(terms):
            name = f"{stem}{i}.mtx"
            scipy.io.mmwrite(str(folder / name), sp.coo_matrix(mat), symmetry="general")
            out.append({"coef": coef, "mtx": name})
        return out
    doc = {"range": list(fam["range"]), "terms": entries(fam["terms"], "A")}
    if fam["mass"] is not None:
        doc["mass"] = entries(fam["mass"], "B")
    path = folder / "family.json"
    path.write_text(json.dumps(doc))
    return path


def assemble(terms, t):
    out = None
    for coef, mat in terms:
        c = 1.0 if coef == "1" else t
        out = c * mat if out is None else out + c * mat
    return out.tocsc()


def scipy_loop(fam, k, samples):
    """eigsh + Hungarian; returns (seconds per sample, values[s][branch], swaps of the
    sorted order that the Hungarian undoes)."""
    grid = np.linspace(*fam["range"], samples)
    mass = assemble(fam["mass"], 0.0) if fam["mass"] is not None else None
    t0 = time.perf_counter()
    v0, prev, values, swaps = None, None, [], 0
    for t in grid:
        a = assemble(fam["terms"], t)
        w, x = sla.eigsh(a, k=k, M=mass, sigma=fam["sigma"], v0=v0)
        order = np.argsort(w)
        w, x = w[order], x[:, order]
        v0 = x[:, 0]
        if prev is not None:
            mx = x if mass is None else mass @ x
            cost = -np.abs(prev.T @ mx)
            _, perm = linear_sum_assignment(cost)
            swaps += int(np.sum(perm != np.arange(k)))
            # branch i continues with new pair perm[i]
            w, x = w[perm], x[:, perm]
        prev = x
        values.append(w)
    return (time.perf_counter() - t0) / samples, np.array(values), swaps


def eigentrack_run(binary, family_json, k, sigma, samples, out):
    t0 = time.perf_counter()
    subprocess.run([binary, "track", str(family_json), "--nearest", str(k),
                    "--sigma", repr(sigma), "--samples", str(samples), "--quiet",
                    "--out", str(out)], check=True)
    return (time.perf_counter() - t0) / samples, json.loads(Path(out).read_text())


def exact_labels(fam, t):
    kappa = fam["labels"]
    lab = np.add.outer(kappa, (1.2 + t) * kappa)  # λ(i, j), i on the fast index
    return lab


def wrong_levels(fam, grid, branches):
    """For each branch (a list of values per sample, None where not computed): the
    samples where it is not on the exact level it started on."""
    wrong = 0
    for vals in branches:
        label = None
        for t, v in zip(grid, vals):
            if v is None:
                continue
            lab = exact_labels(fam, t)
            ij = np.unravel_index(np.argmin(np.abs(lab - v)), lab.shape)
            if label is None:
                label = ij
            elif ij != label:
                wrong += 1
    return wrong


def sorted_swaps(fam, grid, values):
    """How often the exact level at a sorted position changes between samples."""
    prev, swaps = None, 0
    for t, w in zip(grid, values):
        lab = exact_labels(fam, t)
        ids = [np.unravel_index(np.argmin(np.abs(lab - v)), lab.shape) for v in sorted(w)]
        if prev is not None:
            swaps += sum(a != b for a, b in zip(prev, ids))
        prev = ids
    return swaps


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--sizes", default="100,200,400")
    p.add_argument("--families", default="dot,fe")
    p.add_argument("--k", type=int, default=10)
    p.add_argument("--samples", type=int, default=11)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--binary", default=str(ROOT / "target" / "release" / "eigentrack"))
    a = p.parse_args()
    if not Path(a.binary).exists():
        subprocess.run(["cargo", "build", "--release", "--quiet", "--bin", "eigentrack"],
                       cwd=ROOT, check=True)
    print(f"k = {a.k}, {a.samples} samples, medians of {a.repeat} runs, one BLAS thread")
    print("| family | n | SciPy loop s/sample | eigentrack command s/sample | ratio "
          "| eigentrack loop s/sample | ratio | factorisations/sample "
          "| SciPy sorted swaps | wrong levels SciPy+Hungarian / eigentrack |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for name in a.families.split(","):
            for m in (int(s) for s in a.sizes.split(",")):
                fam = FAMILIES[name](m)
                folder = Path(tmp) / f"{name}{m}"
                fj = write_family(fam, folder)
                grid = np.linspace(*fam["range"], a.samples)
                st, et, lt = [], [], []
                for _ in range(a.repeat):
                    s, svals, hung = scipy_loop(fam, a.k, a.samples)
                    st.append(s)
                    e, res = eigentrack_run(a.binary, fj, a.k, fam["sigma"], a.samples,
                                            folder / "out.json")
                    et.append(e)
                    lt.append(res["stats"]["seconds"] / a.samples)
                s, e, lo = statistics.median(st), statistics.median(et), statistics.median(lt)
                fact = res["stats"]["factorizations"] / a.samples
                if fam["labels"] is not None:
                    sw = sorted_swaps(fam, grid, svals)
                    ws = wrong_levels(fam, grid, svals.T.tolist())
                    branches = [[None if (v is None or not w) else v
                                 for v, w in zip(br["re"], br["in_window"])]
                                for br in res["branches"]]
                    we = wrong_levels(fam, grid, branches)
                    labels = f"{sw} | {ws} / {we}"
                else:
                    labels = f"{hung} (Hungarian reorders) | –"
                print(f"| {name} | {m * m:,} | {s:.3f} | {e:.3f} | {s / e:.2f}× | "
                      f"{lo:.3f} | {s / lo:.2f}× | {fact:.2f} | {labels} |", flush=True)


if __name__ == "__main__":
    main()

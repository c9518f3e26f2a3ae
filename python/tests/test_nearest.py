"""The sparse path: track_nearest against closed forms, pencils, complex σ, bad input."""

import json
import pickle
import threading
import time

import numpy as np
import pytest
import scipy.io
import scipy.linalg
import scipy.sparse as sp
import scipy.sparse.linalg as spla

import eigentrack as et

MX, MY = 12, 10  # the grid: n = 120
K, SIGMA = 4, 0.9
RANGE = (0.0, 1.0)


def lap1d(m):
    return sp.diags([-np.ones(m - 1), 2 * np.ones(m), -np.ones(m - 1)], [-1, 0, 1], format="csc")


def mu(m):
    return 2 - 2 * np.cos(np.arange(1, m + 1) * np.pi / (m + 1))


LX = sp.kron(sp.identity(MY), lap1d(MX), format="csc")   # its eigenvalues mu(MX)
LY = sp.kron(lap1d(MY), sp.identity(MX), format="csc")   # its eigenvalues mu(MY)
MUX, MUY = mu(MX), mu(MY)


def grid(t):
    """A(t) = (1 + t)·Lx + Ly, λ_ij = (1 + t)μ_i + ν_j, returned in CSR (converted)."""
    return ((1 + t) * LX + LY).tocsr()


def closed(t):
    """Values and slopes of every level, flattened over (i, j)."""
    return ((1 + t) * MUX[:, None] + MUY[None, :]).ravel(), np.repeat(MUX, MY)


def identify(value, slope, t):
    lam, sl = closed(t)
    return int(np.argmin(np.abs(lam - value) + np.abs(sl - slope)))


def check_branches(tr, tol_window=1e-9, tol_guard=1e-6):
    """Each branch is one level all along (identity kept through crossings); values and
    slopes against the closed form, to 1e-9 in the window (1e-6 in the guard band, whose
    residual tolerance is 10⁴ times looser). Returns the level of each branch."""
    levels = []
    for b in range(tr.n_branches):
        rows = np.flatnonzero(~np.isnan(tr.values[:, b].real))
        assert rows.size, f"branch {b} never computed"
        lvl = identify(tr.values[rows[0], b].real, tr.slopes[rows[0], b].real, tr.t[rows[0]])
        levels.append(lvl)
        for s in rows:
            lam, sl = closed(tr.t[s])
            tol = tol_window if tr.in_window[s, b] else tol_guard
            assert abs(tr.values[s, b] - lam[lvl]) < tol, (b, s, tr.values[s, b], lam[lvl])
            assert abs(tr.slopes[s, b] - sl[lvl]) < tol, (b, s, tr.slopes[s, b], sl[lvl])
    return levels


def expected_crossings(t0, t1):
    """Closed-form crossings of two levels that are both among the K nearest SIGMA there."""
    lam0, sl = closed(0.0)
    base = lam0 - sl  # ν_j: λ = ν_j + (1 + t)μ_i
    out = []
    for p in range(len(sl)):
        for q in range(p + 1, len(sl)):
            if sl[p] == sl[q]:
                continue
            t = (base[q] - base[p]) / (sl[p] - sl[q]) - 1
            if not (t0 + 1e-3 < t < t1 - 1e-3):
                continue
            lam, _ = closed(t)
            near = set(np.argsort(np.abs(lam - SIGMA), kind="stable")[: K - 1])
            if p in near and q in near:
                out.append((t, p, q))
    return out


def check_grid_result(tr):
    levels = check_branches(tr)
    assert len(set(levels)) == len(levels)
    # the window is the K nearest σ of the closed form at every sample
    for s, t in enumerate(tr.t):
        lam, _ = closed(t)
        want = sorted(np.argsort(np.abs(lam - SIGMA))[:K])
        assert sorted(levels[b] for b, _ in tr.window(s)) == want, (s, t)
    crossings = [e for e in tr.events if e.kind == "crossing"]
    assert crossings, [e.kind for e in tr.events]
    for e in crossings:
        p, q = (levels[b] for b in e.branches)
        lam0, sl = closed(0.0)
        base = lam0 - sl
        t_star = (base[q] - base[p]) / (sl[p] - sl[q]) - 1
        assert abs(e.t - t_star) < 1e-9, (e, t_star)
    # a window entry at t: the entering level and the leaving one are as far from σ
    entries = [e for e in tr.events if e.kind == "window_entry"]
    assert entries
    for e in entries:
        (out,) = [x for x in tr.events if x.kind == "window_exit" and x.t == e.t]
        lam, _ = closed(e.t)
        p, q = levels[e.branches[0]], levels[out.branches[0]]
        assert abs(abs(lam[p] - SIGMA) - abs(lam[q] - SIGMA)) < 1e-9, (e, out)
    reported = {tuple(sorted(levels[b] for b in e.branches)) for e in crossings}
    want = expected_crossings(*RANGE)
    assert want, "the test family should have crossings inside the window"
    for t, p, q in want:
        assert (p, q) in reported, (t, p, q, reported)
    return levels


def test_grid_callback_closed_form():
    tr = et.track_nearest(grid, RANGE, 21, k=K, sigma=SIGMA)
    assert tr.values.shape == (21, tr.n_branches) and tr.values.dtype == np.float64
    assert tr.in_window.dtype == bool and tr.in_window.sum(axis=1).tolist() == [K] * 21
    assert tr.k == K and tr.sigma == SIGMA and tr.n == MX * MY and tr.is_real
    check_grid_result(tr)
    assert tr.stats["accepted_steps"] >= 20 and tr.stats["factorizations"] >= 1


def test_grid_terms_exact_derivatives():
    calls = []

    def coef(t):
        calls.append(t)
        return (1 + t, 1.0, 0.0)

    tr = et.track_nearest([(coef, LX.tocoo()), (1.0, LY)], RANGE, 21, k=K, sigma=SIGMA)
    check_grid_result(tr)
    assert calls  # the coefficient is called back


def test_pencil_with_mass():
    """B(t) = (1 + t/2)·I: λ = λ_A/(1 + t/2), dλ/dt = (μ_i(1 + t/2) − λ_A/2)/(1 + t/2)²."""
    ident = sp.identity(MX * MY, format="csc")
    for mass in (lambda t: (1 + t / 2) * ident,
                 [(lambda t: (1 + t / 2, 0.5, 0.0), ident)],
                 [(1.0, ident), (lambda t: (t / 2, 0.5, 0.0), ident.tocsr())]):
        tr = et.track_nearest([(lambda t: (1 + t, 1.0, 0.0), LX), (1.0, LY)], RANGE, 11,
                              k=3, sigma=0.6, mass=mass)
        lvls = []
        for b in range(tr.n_branches):
            rows = np.flatnonzero(~np.isnan(tr.values[:, b].real))
            lvl = None
            for s in rows:
                t = tr.t[s]
                lam_a, sl_a = closed(t)
                lam = lam_a / (1 + t / 2)
                slope = (sl_a * (1 + t / 2) - lam_a / 2) / (1 + t / 2) ** 2
                if lvl is None:
                    lvl = int(np.argmin(np.abs(lam - tr.values[s, b]) + np.abs(slope - tr.slopes[s, b])))
                tol = 1e-9 if tr.in_window[s, b] else 1e-6
                # finite-difference B′ for the callable mass: 1e-8
                stol = tol if isinstance(mass, list) or not tr.in_window[s, b] else 1e-8
                assert abs(tr.values[s, b] - lam[lvl]) < tol
                assert abs(tr.slopes[s, b] - slope[lvl]) < stol
            lvls.append(lvl)
        # B(t) scales every level alike: the crossings are those of A(t)
        crossings = [e for e in tr.events if e.kind == "crossing"]
        assert crossings
        lam0, sl = closed(0.0)
        for e in crossings:
            p, q = (lvls[b] for b in e.branches)
            t_star = (lam0[q] - sl[q] - lam0[p] + sl[p]) / (sl[p] - sl[q]) - 1
            assert abs(e.t - t_star) < 1e-9, (e, t_star)
        # the window at the end: the 3 nearest 0.6 of λ_A(1)/1.5
        lam = closed(1.0)[0] / 1.5
        want = np.sort(lam[np.argsort(np.abs(lam - 0.6))[:3]])
        got = np.sort([v for _, v in tr.window(-1)])
        assert np.allclose(got, want, atol=1e-10, rtol=0)


def test_constant_mass_matrix():
    """mass=B as one constant sparse matrix: B = 2·I halves every eigenvalue."""
    tr = et.track_nearest(grid, RANGE, 3, k=2, sigma=0.5, mass=2 * sp.identity(MX * MY))
    lam = closed(1.0)[0] / 2
    want = np.sort(lam[np.argsort(np.abs(lam - 0.5))[:2]])
    assert np.allclose(np.sort([v for _, v in tr.window(-1)]), want, atol=1e-10)


def _nonhermitian_parts(n=40):
    """2×2 blocks [[a, b], [−b, a]] (eigenvalues a ± ib) plus a small random sparse
    coupling, and a diagonal t-dependence: a real non-symmetric family."""
    rng = np.random.default_rng(1)
    blocks = [sp.csr_matrix([[x, y], [-y, x]])
              for x, y in zip(np.linspace(-1, 1, n // 2), np.linspace(0.1, 0.6, n // 2))]
    d = sp.block_diag(blocks, format="csc") + 0.05 * sp.random(n, n, density=0.05, random_state=rng)
    return d.tocsc(), sp.diags(rng.uniform(-0.5, 0.5, n), format="csc")


D_NH, E_NH = _nonhermitian_parts()


def nonhermitian(t):
    return (D_NH + t * E_NH).tocsc()


def test_complex_sigma_nonhermitian():
    sigma = 0.2 + 0.3j
    tr = et.track_nearest(nonhermitian, (0.0, 1.0), 6, k=3, sigma=sigma)
    assert tr.is_real and tr.sigma == sigma
    for s, t in enumerate(tr.t):
        a = nonhermitian(t)
        ev = scipy.linalg.eigvals(a.toarray())
        near = ev[np.argsort(np.abs(ev - sigma))[:3]]
        w = [tr.values[s, b] for b, _ in tr.window(s)]
        # the window: the 3 eigenvalues nearest σ, each an eigenvalue (det(A − λI) = 0)
        for lam in w:
            assert np.min(np.abs(near - lam)) < 1e-9
            smin = scipy.linalg.svdvals(a.toarray() - lam * np.eye(a.shape[0]))[-1]
            assert smin < 1e-9
        assert np.allclose(np.sort_complex(np.array(w)), np.sort_complex(near), atol=1e-9)
        # SciPy's shift-invert Arnoldi agrees
        ref = spla.eigs(a.astype(complex), k=3, sigma=sigma, return_eigenvectors=False)
        assert np.allclose(np.sort_complex(np.array(w)), np.sort_complex(ref), atol=1e-8)
    # slopes against a central difference of the eigenvalues
    h = 1e-6
    for s in (2, 4):
        t = tr.t[s]
        for b, _ in tr.window(s):
            lam = tr.values[s, b]
            up = scipy.linalg.eigvals(nonhermitian(t + h).toarray())
            down = scipy.linalg.eigvals(nonhermitian(t - h).toarray())
            fd = (up[np.argmin(np.abs(up - lam))] - down[np.argmin(np.abs(down - lam))]) / (2 * h)
            assert abs(tr.slopes[s, b] - fd) < 1e-5 * max(1, abs(fd))


def test_complex_family_and_dense_array():
    """A complex matrix (a Hermitian one: real eigenvalues) and dense arrays are accepted."""
    n = 30
    h = np.diag(np.arange(n, dtype=float)) + 0.1j * (np.eye(n, k=1) - np.eye(n, k=-1))
    tr = et.track_nearest(lambda t: h + t * np.eye(n), (0, 1), 5, k=2, sigma=3.2)
    assert not tr.is_real
    ev = np.linalg.eigvalsh(h)
    for s, t in enumerate(tr.t):
        want = np.sort((ev + t)[np.argsort(np.abs(ev + t - 3.2))[:2]])
        got = np.sort([v for _, v in tr.window(s)])
        assert np.allclose(got, want, atol=1e-10)
        assert np.allclose(tr.slopes[s][tr.in_window[s]], 1.0, atol=1e-8)


def test_family_file_with_mass_and_family(tmp_path):
    scipy.io.mmwrite(tmp_path / "lx.mtx", LX)
    scipy.io.mmwrite(tmp_path / "ly.mtx", LY)
    path = tmp_path / "grid.json"
    path.write_text(json.dumps({"range": [0, 1], "params": {"g": 1.0}, "terms": [
        {"coef": "g + t", "mtx": "lx.mtx"}, {"coef": "1", "mtx": "ly.mtx"}]}))
    tr = et.track_nearest(str(path), samples=21, k=K, sigma=SIGMA)
    check_grid_result(tr)
    # a Family from load_family: its parameter values are used
    fam = et.load_family(path).with_params(g=2.0)
    tr2 = et.track_nearest(fam, (0, 1), 3, k=2, sigma=0.5)
    lam = ((2 + 1.0) * MUX[:, None] + MUY[None, :]).ravel()
    want = np.sort(lam[np.argsort(np.abs(lam - 0.5))[:2]])
    assert np.allclose(np.sort([v for _, v in tr2.window(-1)]), want, atol=1e-10)
    # "mass" terms make a pencil: B = 2·I halves every eigenvalue
    path.write_text(json.dumps({"range": [0, 1], "terms": [
        {"coef": "1 + t", "mtx": "lx.mtx"}, {"coef": "1", "mtx": "ly.mtx"}],
        "mass": [{"coef": "2", "matrix": np.eye(MX * MY).tolist()}]}))
    tr3 = et.track_nearest(path, range=(0, 1), samples=3, k=2, sigma=0.5)
    lam = closed(1.0)[0] / 2
    want = np.sort(lam[np.argsort(np.abs(lam - 0.5))[:2]])
    assert np.allclose(np.sort([v for _, v in tr3.window(-1)]), want, atol=1e-10)


def test_result_json_csv_pickle():
    tr = et.track_nearest(grid, RANGE, 6, k=2, sigma=SIGMA, keep_vectors=True)
    d = json.loads(tr.to_json())
    assert d["method"] == "nearest" and d["k"] == 2 and d["n"] == MX * MY
    assert d["sigma"] == {"re": SIGMA, "im": 0.0} and len(d["samples"]) == 6
    b0 = d["branches"][0]
    # the kept vectors are part of the JSON (so that it pickles through it)
    assert set(b0) == {"re", "im", "slope_re", "slope_im", "cond", "in_window", "right"}
    assert d["real"] is True
    assert b0["re"][0] == tr.values[0, 0].real
    assert {"factorizations", "iterations", "accepted_steps", "seconds"} <= set(d["stats"])
    assert tr.to_csv().startswith("t,branch,re,im,slope_re,slope_im,in_window\n")
    assert tr.right_vectors.shape == (6, MX * MY, tr.n_branches)
    x = tr.right_vectors[0, :, 0]
    a = grid(0.0)
    assert np.linalg.norm(a @ x - tr.values[0, 0] * x) < 1e-9
    back = pickle.loads(pickle.dumps(tr))
    assert np.array_equal(back.values, tr.values, equal_nan=True)
    assert np.array_equal(back.right_vectors, tr.right_vectors, equal_nan=True)
    assert back.events == tr.events and back.window(3) == tr.window(3)
    assert back.stats == tr.stats and back.to_json() == tr.to_json()
    assert "WindowTracking" in repr(tr)


class Boom(Exception):
    pass


def test_bad_input_named():
    with pytest.raises(ValueError, match=r"invalid k: k = 120 must be below the matrix size n = 120"):
        et.track_nearest(grid, RANGE, k=120, sigma=0.0)
    with pytest.raises(ValueError, match=r"k: need at least one"):
        et.track_nearest(grid, RANGE, k=0, sigma=0.0)
    with pytest.raises(TypeError, match=r"k: expected an int"):
        et.track_nearest(grid, RANGE, k=2.0, sigma=0.0)
    with pytest.raises(ValueError, match=r"invalid sigma: the target must be finite, got NaN"):
        et.track_nearest(grid, RANGE, k=2, sigma=float("nan"))
    with pytest.raises(TypeError, match=r"sigma: expected a real or complex number"):
        et.track_nearest(grid, RANGE, k=2, sigma="0.5")
    with pytest.raises(ValueError, match=r"f\(t\) at t = 0.5 has shape \(10, 10\); expected 120×120"):
        et.track_nearest(lambda t: grid(t) if t < 0.5 else sp.identity(10), RANGE, 3, k=2, sigma=0.9)
    with pytest.raises(ValueError, match=r"f\(t\) at t = 0 has shape \(3, 4\)"):
        et.track_nearest(lambda t: sp.csr_matrix((3, 4)), RANGE, k=1, sigma=0.0)
    with pytest.raises(TypeError, match=r"f\(t\) at t = 0 is a str; expected a scipy.sparse matrix"):
        et.track_nearest(lambda t: "A(t)", RANGE, k=1, sigma=0.0)
    with pytest.raises(TypeError, match=r"f: expected a callable f\(t\) returning a scipy.sparse"):
        et.track_nearest(42, RANGE, k=1, sigma=0.0)
    with pytest.raises(ValueError, match=r"f\(t\) at t = 0.5: entry \[3, 3\] is not finite \(NaN\)"):
        def f(t):
            a = grid(t).tolil()
            if t >= 0.5:
                a[3, 3] = np.nan
            return a
        et.track_nearest(f, RANGE, 3, k=2, sigma=0.9)
    with pytest.raises(ValueError, match=r"mass\(t\) at t = 0 has shape \(5, 5\); expected 120×120"):
        et.track_nearest(grid, RANGE, k=2, sigma=0.9, mass=lambda t: sp.identity(5))
    with pytest.raises(ValueError, match=r"f\[1\] matrix has shape \(5, 5\); expected 120×120"):
        et.track_nearest([(1.0, LX), (1.0, sp.identity(5))], RANGE, k=2, sigma=0.9)
    with pytest.raises(TypeError, match=r"f\[0\] coef\(t\) at t = 0: expected a tuple \(c, c′, c″\)"):
        et.track_nearest([(lambda t: 1 + t, LX), (1.0, LY)], RANGE, k=2, sigma=0.9)
    with pytest.raises(TypeError, match=r"f\[0\]: the coefficient must be a number"):
        et.track_nearest([("t", LX)], RANGE, k=2, sigma=0.9)
    with pytest.raises(ValueError, match=r"has a complex entry .* the family is real"):
        et.track_nearest(lambda t: grid(t) if t < 0.5 else grid(t) * 1j, RANGE, 3, k=2, sigma=0.9)
    with pytest.raises(ValueError, match=r"tol"):
        et.track_nearest(grid, RANGE, k=2, sigma=0.9, tol=1.0)
    with pytest.raises(TypeError, match=r"range: required"):
        et.track_nearest(grid, k=2, sigma=0.9)
    with pytest.raises(ValueError, match=r"No such file|cannot read"):
        et.track_nearest("/nonexistent/family.json", k=2, sigma=0.9)


def test_python_errors_come_out_unchanged():
    err = Boom("at t = 0.3")

    def f(t):
        if t > 0.3:
            raise err
        return grid(t)

    with pytest.raises(Boom) as info:
        et.track_nearest(f, RANGE, 11, k=2, sigma=0.9)
    assert info.value is err

    def coef(t):
        if t > 0.3:
            raise err
        return (1 + t, 1.0, 0.0)

    with pytest.raises(Boom) as info:
        et.track_nearest([(coef, LX), (1.0, LY)], RANGE, 11, k=2, sigma=0.9)
    assert info.value is err

    def mass(t):
        if t > 0.3:
            raise err
        return sp.identity(MX * MY)

    with pytest.raises(Boom) as info:
        et.track_nearest(grid, RANGE, 11, k=2, sigma=0.9, mass=mass)
    assert info.value is err


def test_progress_stops_and_keyboard_interrupt():
    seen = []

    def progress(fraction, t):
        seen.append(fraction)
        return fraction < 0.5

    with pytest.raises(et.TrackInterrupted, match="interrupted at t = 0.5"):
        et.track_nearest(grid, RANGE, 11, k=2, sigma=0.9, progress=progress)
    assert seen[-1] == pytest.approx(0.5)

    import _thread

    def fire():
        time.sleep(0.3)
        _thread.interrupt_main()

    threading.Thread(target=fire).start()
    with pytest.raises(KeyboardInterrupt):
        et.track_nearest(grid, RANGE, 200_000, k=2, sigma=0.9)


def test_gil_is_released(tmp_path):
    """A family file is tracked in Rust without Python callbacks: another thread runs."""
    m = 40
    lx = sp.kron(sp.identity(m), lap1d(m), format="csc")
    ly = sp.kron(lap1d(m), sp.identity(m), format="csc")
    scipy.io.mmwrite(tmp_path / "lx.mtx", lx)
    scipy.io.mmwrite(tmp_path / "ly.mtx", ly)
    path = tmp_path / "big.json"
    path.write_text(json.dumps({"range": [0, 1], "terms": [
        {"coef": "1 + t", "mtx": "lx.mtx"}, {"coef": "1", "mtx": "ly.mtx"}]}))
    done = threading.Event()
    ticks = [0]

    def count():
        while not done.is_set():
            ticks[0] += 1
            time.sleep(0.001)

    th = threading.Thread(target=count)
    th.start()
    t0 = time.perf_counter()
    et.track_nearest(path, samples=41, k=4, sigma=0.3)
    elapsed = time.perf_counter() - t0
    done.set()
    th.join()
    assert elapsed > 0.1
    assert ticks[0] > 0.3 * elapsed / 0.001 * 0.2

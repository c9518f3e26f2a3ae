"""Regression tests of the bugs of issue 28, one (or more) per bug, named after it."""

import concurrent.futures
import multiprocessing
import os
import re
import tomllib
import warnings

import numpy as np
import pytest
import scipy.sparse as sp

import eigentrack as et
from conftest import brusselator, landau_zener, pt_dimer

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")


def lap1d(m):
    return sp.diags([-np.ones(m - 1), 2 * np.ones(m), -np.ones(m - 1)], [-1, 0, 1], format="csc")


LX = sp.kron(sp.identity(10), lap1d(12), format="csc")
LY = sp.kron(lap1d(10), sp.identity(12), format="csc")


def test_bug1_window_csv_parses_under_numpy2():
    tr = et.track_nearest(lambda t: (1 + t) * LX + LY, (0, 1), 6, k=2, sigma=0.9)
    text = tr.to_csv()
    assert "np.float64" not in text
    lines = text.splitlines()
    assert lines[0] == "t,branch,re,im,slope_re,slope_im,in_window"
    seen = 0
    for line in lines[1:]:
        t, b, re_, im_, sre, sim, inw = line.split(",")
        i = int(np.flatnonzero(tr.t == float(t))[0])
        b = int(b)
        # the numbers read back exactly
        assert float(re_) == tr.values[i, b] and float(im_) == 0.0
        assert float(sre) == tr.slopes[i, b]
        assert inw == ("true" if tr.in_window[i, b] else "false")
        seen += 1
    assert seen == int(np.isfinite(tr.values).sum())


def test_bug3_an_empty_range_is_rejected_like_samples_1():
    with pytest.raises(et.InputError, match=r"range: the interval is empty \(a = b = 0\)"):
        et.track(landau_zener, (0, 0), 11)
    with pytest.raises(et.InputError, match=r"invalid samples: need at least 2 samples, got 1"):
        et.track(landau_zener, (0, 1), 1)
    with pytest.raises(et.InputError, match=r"range: the interval is empty"):
        et.track_nearest(lambda t: (1 + t) * LX + LY, (0.5, 0.5), 5, k=2, sigma=0.9)


def test_bug4_hermitian_true_on_a_non_hermitian_family_raises():
    f = lambda t: np.array([[t, 1.0], [0.0, -t]])
    with pytest.raises(et.InputError, match=r"hermitian=True but f\(t\) at t = -1 is not "
                                            r"Hermitian: \|a\[1, 0\] − conj\(a\[0, 1\]\)\| = 1e0"):
        et.track(f, (-1, 1), 5, hermitian=True)
    # a family that turns non-Hermitian later is caught there
    g = lambda t: np.array([[t, 1.0], [1.0 if t < 0.5 else 0.0, -t]])
    with pytest.raises(et.InputError, match=r"f\(t\) at t = 0.5 is not Hermitian"):
        et.track(g, (0, 1), 5, hermitian=True)
    # eig and sensitivities follow the same rule
    with pytest.raises(et.InputError, match=r"hermitian=True but a is not Hermitian"):
        et.eig(np.array([[1.0, 2.0], [0.0, 1.0]]), hermitian=True)
    w, _ = et.eig(np.array([[1.0, 2.0], [2.0, 1.0]]), hermitian=True)
    assert np.allclose(w, [-1, 3], atol=1e-14)
    with pytest.raises(et.InputError, match=r"hermitian=True but f\(t\) at t = -1 is not Hermitian"):
        et.sensitivities(lambda t, p: np.array([[t, p[0]], [0.0, -t]]), [1.0], (-1, 1), 5,
                         hermitian=True)
    # without hermitian=True the eigenvalues are ±1 at t = ±1, as they must be
    tr = et.track(f, (-1, 1), 5)
    assert np.allclose(np.sort(tr.values[-1].real), [-1, 1], atol=1e-14)


def test_bug4_eigh_reads_one_triangle_as_numpy_documents():
    a = np.array([[1.0, 2.0], [0.0, 1.0]])
    w, v = et.eigh(a)  # the lower triangle: [[1, 0], [0, 1]]
    assert np.array_equal(w, np.linalg.eigh(a)[0]) and np.allclose(w, [1, 1])
    w, v = et.eigh(a, UPLO="U")  # the upper one: [[1, 2], [2, 1]]
    assert np.allclose(w, [-1, 3], atol=1e-14)
    assert np.allclose(w, np.linalg.eigh(a, UPLO="U")[0], atol=1e-14)
    c = np.array([[2.0, 5.0 + 9j], [1.0 - 1j, -1.0]])
    assert np.allclose(et.eigh(c)[0], np.linalg.eigh(c)[0], atol=1e-13)
    with pytest.raises(ValueError, match="UPLO"):
        et.eigh(a, UPLO="X")


def test_bug6_pytensor_compiles_without_the_object_mode_warning():
    pytensor = pytest.importorskip("pytensor")
    import pytensor.tensor as pt

    from eigentrack.pytensor import eig

    a = pt.dmatrix("a")
    w_re, w_im, v_re, v_im = eig(a)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        f = pytensor.function([a], [w_re, pytensor.grad(pt.sum(w_re**2), a)])
        g = pytensor.function([a], w_im)
    msgs = [str(w.message) for w in caught]
    assert not any("object mode" in m for m in msgs), msgs
    m = np.array([[2.0, 1.0], [0.5, -1.0]])
    w, grad = f(m)
    assert np.allclose(np.sort(w), np.sort(np.linalg.eigvals(m).real), atol=1e-14)
    assert np.allclose(grad, 2 * m.T, atol=1e-12)  # ∂ tr(A²)/∂A = 2Aᵀ
    assert np.array_equal(g(m), [0.0, 0.0])


def lz(t, p):
    return np.array([[t, p[0]], [p[0], -t]])


def test_bug7_sweep_takes_samples_positionally_as_track_does():
    runs = et.sweep(lz, [0.1, 0.2], (-1, 1), 11)
    assert [r.n_samples for r in runs] == [11, 11]
    assert np.allclose(runs[1].t, np.linspace(-1, 1, 11), rtol=0, atol=1e-15)


def test_bug8_a_lambda_on_a_process_pool_is_named_as_such():
    spawn = multiprocessing.get_context("spawn")  # no fork of a process that ran JAX
    with concurrent.futures.ProcessPoolExecutor(1, mp_context=spawn) as pool:
        with pytest.raises(TypeError, match=r"f: cannot be sent to the ProcessPoolExecutor's "
                                            r"workers: it does not pickle .*lambda"):
            et.sweep(lambda t, p: lz(t, p), [0.1], (-1, 1), 5, executor=pool)
        # a module-level function goes
        assert len(et.sweep(lz, [0.1], (-1, 1), 5, executor=pool)) == 1


def test_bug9_readme_signature_and_extras():
    readme = open(os.path.join(ROOT, "README.md"), encoding="utf-8").read()
    book = open(os.path.join(ROOT, "docs", "src", "python.md"), encoding="utf-8").read()
    assert 'pip install "./python[all]"' in readme and 'pip install "./python[all]"' in book
    # the signature shown is the real one
    import inspect

    shown = re.search(r"\*\*`track\((.*?)\)`\*\*", book).group(1)
    assert 'levels=[("re", 0.0)]' not in shown and "levels=()" in shown
    for name, p in inspect.signature(et.track).parameters.items():
        if p.default is not inspect.Parameter.empty and name != "range":  # shown as (a, b)
            assert f"{name}={p.default!r}".replace("'", '"') in shown, name
    meta = tomllib.load(open(os.path.join(ROOT, "python", "pyproject.toml"), "rb"))
    extras = meta["project"]["optional-dependencies"]
    for need in ("scipy", "matplotlib", "xarray", "pandas", "tqdm", "jax"):
        assert any(re.match(need, d) for d in extras["all"]), need
    # the README's sparse block needs scipy: the extra that provides it is named there
    assert "scipy" in " ".join(extras["sparse"])


def test_bug10_values_are_float64_for_real_spectra():
    h = et.track(lambda t: landau_zener(t), (-1, 1), 11)
    assert h.values.dtype == np.float64 and h.slopes.dtype == np.float64
    assert h.curvatures.dtype == np.float64
    assert np.allclose(h.values[0], [-np.hypot(1, 0.2), np.hypot(1, 0.2)], atol=1e-14)
    # complex Hermitian: real too
    c = et.track(lambda t: np.array([[t, 0.2j], [-0.2j, -t]]), (-1, 1), 11)
    assert c.values.dtype == np.float64 and not c.is_real
    # a complex spectrum somewhere: complex128 everywhere
    p = et.track(pt_dimer, (0, 2), 21)
    assert p.values.dtype == np.complex128
    b = et.track(brusselator, (1, 4), 21)
    assert b.values.dtype == np.complex128 and b.is_real


def test_bug11_matplotlib_colours_stay_distinct_past_ten_branches():
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.colors as mcolors
    import matplotlib.pyplot as plt

    tr = et.track(lambda t: np.diag(np.arange(12.0)) + t * np.ones((12, 12)), (0, 1), 5)
    fig, ax = plt.subplots()
    tr.plot(ax=ax)
    cols = [mcolors.to_hex(line.get_color()) for line in ax.lines[:12]]
    assert len(set(cols)) == 12
    assert all(line.get_antialiased() for line in ax.lines[:12])
    plt.close(fig)


def test_options_are_validated_once_in_rust_naming_the_argument():
    from eigentrack import _eigentrack as rs
    import inspect

    bad = [
        (dict(keep_vectors="yes"), TypeError, r"keep_vectors: expected True or False, got str 'yes'"),
        (dict(h_min=True), TypeError, r"h_min: expected a real number, got bool True"),
        (dict(max_decompositions=2.5), TypeError, r"max_decompositions: expected an int, got float 2.5"),
        (dict(max_decompositions=0), et.InputError, r"invalid max_decompositions"),
        (dict(policy=3), TypeError, r"policy: expected \"adiabatic\" or \"diabatic\", got int 3"),
        (dict(resolution="fast"), et.InputError, r"resolution: expected \"local\" or \"refine\", got \"fast\""),
        (dict(hermitian="auto"), TypeError, r"hermitian: expected None \(auto\), True or False"),
        (dict(levels=[("re", np.inf)]), et.InputError, r"levels\[0\] value: must be finite"),
        (dict(cluster_tol=0.5), et.InputError, r"invalid cluster_tol"),
        (dict(grid=[[0, 1]]), et.InputError, r"grid: expected a non-empty 1-D array of t, got shape \(1, 2\)"),
    ]
    for kw, err, msg in bad:
        with pytest.raises(err, match=msg):
            et.track(landau_zener, (0, 1), 5, **kw)
    with pytest.raises(TypeError, match=r"tol: expected a real number, got str 'x'"):
        et.track_nearest(lambda t: (1 + t) * LX + LY, (0, 1), 5, k=2, sigma=0.9, tol="x")
    with pytest.raises(TypeError, match=r"guard: expected an int, got float 1.5"):
        et.track_nearest(lambda t: (1 + t) * LX + LY, (0, 1), 5, k=2, sigma=0.9, guard=1.5)
    # every option the Rust side reads is a keyword of the Python function
    for fn, which in ((et.track, "track"), (et.track_nearest, "track_nearest")):
        assert set(rs._option_names(which)) <= set(inspect.signature(fn).parameters)


class _Interrupted:
    """Looks like a matrix, but reading it is interrupted (Ctrl-C while numpy or scipy
    runs the user's conversion)."""

    def tocsc(self):
        raise KeyboardInterrupt

    def __array__(self, dtype=None, copy=None):
        raise KeyboardInterrupt


def test_a_keyboard_interrupt_while_reading_a_matrix_comes_out_unchanged():
    """Seen as a flake of test_nearest's Ctrl-C test: a KeyboardInterrupt raised inside
    scipy's tocsc() came out as "TypeError: f(t) at t = …: tocsc() failed"."""
    fam = lambda t: (1 + t) * LX + LY if t == 0 else _Interrupted()
    with pytest.raises(KeyboardInterrupt):
        et.track_nearest(fam, (0, 1), 5, k=2, sigma=0.9)
    with pytest.raises(KeyboardInterrupt):
        et.track(lambda t: landau_zener(t) if t == 0 else _Interrupted(), (0, 1), 5)
    # an ordinary failure is still reworded with the argument's name
    class Bad:
        def tocsc(self):
            raise RuntimeError("no")
    with pytest.raises(TypeError, match=r"f\(t\) at t = -0.000122\d*: tocsc\(\) failed: RuntimeError: no"):
        et.track_nearest(lambda t: (1 + t) * LX + LY if t == 0 else Bad(), (0, 1), 5, k=2,
                         sigma=0.9)

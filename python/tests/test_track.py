"""Python twins of the Rust tests and examples with exact answers."""

import math

import numpy as np
import pytest
import scipy.sparse

import eigentrack as et
from conftest import brusselator, crossing_family, landau_zener, pt_dimer


def test_crossing_family_branches_and_events():
    tr = et.track(crossing_family, (-1.0, 1.5))
    assert tr.t.shape == (201,) and tr.values.shape == (201, 2)
    assert tr.slopes.shape == (201, 2) and tr.curvatures.shape == (201, 2)
    t = tr.t
    # branch 0 is λ = t all the way, through both crossings
    assert np.max(np.abs(tr.values[:, 0] - t)) < 1e-12
    assert np.max(np.abs(tr.slopes[:, 0] - 1.0)) < 1e-7
    assert np.max(np.abs(tr.values[:, 1] - (np.exp(t * t) - 1))) < 1e-12
    assert np.max(np.abs(tr.slopes[:, 1] - 2 * t * np.exp(t * t))) < 1e-6
    assert np.max(np.abs(tr.curvatures[:, 0])) < 1e-5
    kinds = [e.kind for e in tr.events]
    assert kinds == ["crossing", "crossing"]
    assert all(isinstance(e, et.Crossing) for e in tr.events)
    assert abs(tr.events[0].t) < 1e-12
    assert abs(tr.events[1].t - 0.7468817423) < 1e-8
    assert tr.events[1].branches == (0, 1)
    assert tr.events[1].values == (tr.events[1].value, tr.events[1].value)
    assert abs(tr.events[1].value - tr.events[1].t) < 1e-8  # on the branch λ = t
    assert tr.is_real and tr.n_branches == 2


def test_exact_derivative_and_grid():
    d = lambda t: np.array([[1.0, 0.0], [0.0, -1.0]])
    grid = np.linspace(-1, 1, 11)
    tr = et.track(lambda t: landau_zener(t, 1e-3), df=d, grid=grid, policy="diabatic")
    assert np.array_equal(tr.t, grid)
    # diabatic: the states |1⟩, |2⟩ keep their energies ±t through the gap
    assert tr.values[0, 0].real < 0 and tr.values[-1, 0].real > 0
    assert np.allclose(np.abs(tr.slopes[[0, -1]]), 1.0, atol=1e-5)


def test_landau_zener_gap_is_2g():
    g = 0.2
    tr = et.track(landau_zener, (-2.0, 2.0), avoided_gap_max=math.inf)
    av = [e for e in tr.events if isinstance(e, et.AvoidedCrossing)]
    assert len(av) == 1
    assert abs(av[0].t) < 1e-6 and abs(av[0].gap - 2 * g) < 1e-6
    lo, hi = av[0].values
    assert abs(lo + g) < 1e-6 and abs(hi - g) < 1e-6
    assert av[0].gap_bounds[0] <= av[0].gap <= av[0].gap_bounds[1] + 1e-15
    # adiabatic levels ±√(t² + g²)
    exact = np.sqrt(tr.t**2 + g * g)
    assert np.max(np.abs(tr.values[:, 1] - exact)) < 1e-12
    assert np.max(np.abs(tr.values[:, 0] + exact)) < 1e-12


def test_landau_zener_family_file(family_file):
    fam = et.load_family(family_file)
    assert fam.n == 2 and fam.params == {"g": 0.2} and fam.range == (-1.0, 1.0)
    assert np.array_equal(fam(0.5), [[0.5, 0.2], [0.2, -0.5]])
    tr = et.track(fam, avoided_gap_max=math.inf)
    av = [e for e in tr.events if e.kind == "avoided_crossing"]
    assert len(av) == 1 and abs(av[0].gap - 0.4) < 1e-9
    tr2 = et.track(fam.with_params(g=0.05), (-1, 1), samples=101, avoided_gap_max=math.inf)
    assert abs([e for e in tr2.events if e.kind == "avoided_crossing"][0].gap - 0.1) < 1e-9
    assert tr2.t.shape == (101,)


def test_pt_dimer_exceptional_point():
    tr = et.track(pt_dimer, (0.0, 2.0))
    assert not tr.is_real
    ep = [e for e in tr.events if isinstance(e, et.ExceptionalPoint)]
    assert len(ep) == 1 and abs(ep[0].t - 1.0) < 1e-4
    exact = np.sqrt((1 - tr.t**2).astype(complex))
    got = np.sort_complex(tr.values)  # per sample
    got = np.array([sorted(row, key=lambda z: z.real + z.imag) for row in tr.values])
    assert np.max(np.abs(got[:, 1] - exact)) < 1e-6
    assert np.max(np.abs(got[:, 0] + exact)) < 1e-6


def test_hopf_level():
    a = 1.5
    tr = et.track(brusselator, (2.0, 4.5), levels=[("re", 0.0)])
    hopf = [e for e in tr.events if isinstance(e, et.LevelCrossing)]
    assert len(hopf) == 2
    for e in hopf:
        assert e.part == "re" and e.level == 0.0
        assert abs(e.t - (1 + a * a)) < 1e-6
        assert abs(abs(e.value.imag) - a) < 1e-6


def test_damped_oscillator_level_from_rust_doc():
    tr = et.track(lambda z: np.array([[0.0, 1.0], [-1.0, -2.0 * z]]), (-0.5, 0.5), 51,
                  levels=("re", 0.0))
    hopf = [e for e in tr.events if e.kind == "level"]
    assert len(hopf) == 2 and abs(hopf[0].t) < 1e-12


def test_keep_vectors_and_backwards():
    tr = et.track(crossing_family, (1.5, -1.0), 21, keep_vectors=True)
    assert tr.t[0] == 1.5 and tr.t[-1] == -1.0
    x, y = tr.right_vectors, tr.left_vectors
    assert x.shape == (21, 2, 2) and y.shape == (21, 2, 2)
    for i, t in enumerate(tr.t):
        a = crossing_family(t)
        for k in range(2):
            assert np.linalg.norm(a @ x[i, :, k] - tr.values[i, k] * x[i, :, k]) < 1e-12
            assert abs(np.vdot(y[i, :, k], x[i, :, k]) - 1) < 1e-12
    assert et.track(crossing_family, (0, 1), 5).right_vectors is None


def test_sparse_and_complex_input():
    tr = et.track(lambda t: scipy.sparse.csr_matrix(landau_zener(t)), (-1, 1), 11)
    assert np.allclose(tr.values[:, 1].real, np.sqrt(tr.t**2 + 0.04))
    trc = et.track(lambda t: landau_zener(t), (-1, 1), 11, dtype=complex)
    assert not trc.is_real
    assert np.allclose(trc.values, tr.values)
    # integer matrices are fine
    tri = et.track(lambda t: np.array([[1, 0], [0, 2]]), (0, 1), 3)
    assert np.array_equal(tri.values.real, [[1, 2]] * 3)


def test_curvatures_and_events_off():
    tr = et.track(crossing_family, (-1, 1.5), curvatures=False, events=False)
    assert tr.curvatures.shape == (0, 2) and tr.events == []


def test_stats_and_budget():
    tr = et.track(crossing_family, (-1, 1.5), 11)
    s = tr.stats
    assert isinstance(s, et.Stats) and s.budget == 64 * 11 + 1024
    assert 1 <= s.decompositions <= s.budget_used + 1 and s.seconds >= 0
    f = lambda t: np.array([[np.sin(t), np.cos(3 * t), 0], [np.cos(3 * t), 2 * np.sin(t), np.cos(3 * t)],
                            [0, np.cos(3 * t), 3 * np.sin(t)]])
    with pytest.raises(et.BudgetError, match="budget"):
        et.track(f, (0, 1e6), 11, max_decompositions=100)

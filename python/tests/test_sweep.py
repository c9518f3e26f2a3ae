"""Sensitivities and sweeps: in-process, a process pool, and a real Dask LocalCluster."""

import concurrent.futures
import math
import multiprocessing
import pickle

import numpy as np
import pytest

import eigentrack as et


def two_modes(t, p):
    """λ₁ = k·t and λ₂ = 1 − t cross at t* = 1/(1 + k) (the Rust sensitivity doc test)."""
    return np.array([[p[0] * t, 0.0], [0.0, 1.0 - t]])


def lz(t, p):
    return np.array([[t, p[0]], [p[0], -t]])


def failing(t, p):
    if p[0] == 3.0:
        raise ZeroDivisionError("k = 3 is not allowed")
    return two_modes(t, p)


def test_sensitivities_of_a_crossing():
    s = et.sensitivities(two_modes, [3.0], (0.0, 1.0), 11)
    assert isinstance(s, et.Sensitivities)
    assert s.dlambda.shape == (11, 2, 1)
    ev = s.events[0]
    assert abs(ev.t - 0.25) < 1e-12
    assert abs(ev.dt_dp[0] + 1 / 16) < 1e-8  # dt*/dk = −1/(1 + k)²
    assert np.allclose(s.dlambda[:, 0, 0].real, s.tracking.t, atol=1e-8)  # ∂(k t)/∂k = t
    back = pickle.loads(pickle.dumps(s))
    assert np.array_equal(back.dlambda, s.dlambda) and back.events[0].t == ev.t
    # exact ∂A/∂p
    s2 = et.sensitivities(two_modes, [3.0], (0.0, 1.0), 11,
                          dp=lambda t, p: [np.array([[t, 0.0], [0.0, 0.0]])])
    assert abs(s2.events[0].dt_dp[0] + 1 / 16) < 1e-12


def test_sensitivities_of_a_family_file(family_file):
    fam = et.load_family(family_file)
    s = et.sensitivities(fam, {"g": 0.2}, samples=21)
    t = s.tracking.t
    # λ = ±√(t² + g²): ∂λ/∂g = ±g/√(t² + g²)
    exact = 0.2 / np.sqrt(t**2 + 0.04)
    assert np.max(np.abs(s.dlambda[:, 1, 0] - exact)) < 1e-10
    assert s.names == ("g",)
    with pytest.raises(ValueError, match='unknown parameter "h"'):
        et.sensitivities(fam, {"h": 1.0})


def test_sweep_in_process_in_order():
    ks = [1.0, 2.0, 3.0, 4.0]
    out = et.sweep(two_modes, [[k] for k in ks], (0.0, 1.0), samples=11)
    assert [o.events[0].t for o in out] == pytest.approx([1 / (1 + k) for k in ks], abs=1e-12)
    sens = et.sweep(two_modes, ks, (0.0, 1.0), samples=11, sensitivities=True)
    assert [s.events[0].dt_dp[0] for s in sens] == pytest.approx([-1 / (1 + k) ** 2 for k in ks], abs=1e-8)


def test_sweep_failure_names_its_parameters(family_file):
    with pytest.raises(et.SweepError, match=r"sweep point 2 \(params \[3.0\]\) failed: ZeroDivisionError") as info:
        et.sweep(failing, [1.0, 2.0, 3.0, 4.0], (0.0, 1.0), samples=11)
    assert isinstance(info.value.__cause__, ZeroDivisionError)
    assert info.value.index == 2
    with pytest.raises(TypeError, match="range: required"):
        et.sweep(two_modes, [1.0])
    with pytest.raises(TypeError, match=r"params\[0\]: for a Family"):
        et.sweep(et.load_family(family_file), [1.0])


def test_sweep_family_on_a_process_pool(family_file):
    fam = et.load_family(family_file)
    gs = [0.05, 0.1, 0.2, 0.3]
    # spawn, not fork: the test process may have imported JAX, which is multithreaded
    ctx = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(2, mp_context=ctx) as ex:
        out = et.sweep(fam, [{"g": g} for g in gs], executor=ex, samples=41, avoided_gap_max=math.inf)
    gaps = [[e.gap for e in o.events if e.kind == "avoided_crossing"][0] for o in out]
    assert gaps == pytest.approx([2 * g for g in gs], abs=1e-9)


def test_sweep_on_a_dask_local_cluster(family_file):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        ex = client.get_executor()
        ks = [float(k) for k in range(1, 9)]
        out = et.sweep(two_modes, [[k] for k in ks], (0.0, 1.0), executor=ex, samples=11)
        assert [o.events[0].t for o in out] == pytest.approx([1 / (1 + k) for k in ks], abs=1e-12)
        # a Family crosses the process boundary too, and so do Sensitivities
        fam = et.load_family(family_file)
        sens = et.sweep(fam, [{"g": 0.1}, {"g": 0.2}], executor=ex, samples=21, sensitivities=True)
        assert [s.names for s in sens] == [("g",), ("g",)]
        assert np.allclose(sens[1].dlambda[:, 1, 0], 0.2 / np.sqrt(sens[1].tracking.t**2 + 0.04))
        # the workers are separate processes
        import os

        pids = client.run(os.getpid)
        assert len(pids) == 2 and os.getpid() not in pids.values()
        with pytest.raises(et.SweepError, match=r"sweep point 2 \(params \[3.0\]\)") as info:
            et.sweep(failing, [1.0, 2.0, 3.0, 4.0], (0.0, 1.0), executor=ex, samples=11)
        assert isinstance(info.value.__cause__, ZeroDivisionError)

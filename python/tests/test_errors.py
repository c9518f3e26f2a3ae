"""Errors: user exceptions unchanged, bad input named, Ctrl-C, the GIL."""

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time

import numpy as np
import pytest

import eigentrack as et
from conftest import crossing_family, landau_zener


class Boom(Exception):
    pass


def test_exception_in_f_comes_out_unchanged():
    err = Boom("at t = 0.3")

    def f(t):
        if t > 0.3:
            raise err
        return landau_zener(t)

    with pytest.raises(Boom) as info:
        et.track(f, (0, 1))
    assert info.value is err


def test_exception_in_df_and_progress_unchanged():
    err = Boom()

    def df(t):
        raise err

    with pytest.raises(Boom) as info:
        et.track(landau_zener, (0, 1), df=df)
    assert info.value is err

    def progress(fraction, t):
        if fraction > 0.5:
            raise err

    with pytest.raises(Boom) as info:
        et.track(landau_zener, (0, 1), progress=progress)
    assert info.value is err


def test_keyboard_interrupt_from_f_and_progress():
    def f(t):
        if t > 0.5:
            raise KeyboardInterrupt
        return landau_zener(t)

    with pytest.raises(KeyboardInterrupt):
        et.track(f, (0, 1))
    with pytest.raises(KeyboardInterrupt):
        et.track(landau_zener, (0, 1), progress=lambda fr, t: (_ for _ in ()).throw(KeyboardInterrupt))


def test_progress_false_stops():
    seen = []

    def progress(fraction, t):
        seen.append(fraction)
        return fraction < 0.5

    with pytest.raises(et.TrackInterrupted, match="interrupted at t = 0.5"):
        et.track(landau_zener, (0, 1), 11, progress=progress)
    assert seen[-1] == pytest.approx(0.5)


def test_sigint_interrupts_a_long_track_in_rust(tmp_path):
    """A track that spends its time in Rust (a family file, no Python callback) is
    interrupted by SIGINT: signals are checked after every step."""
    n = 120
    rng = np.random.default_rng(1)
    a0 = rng.standard_normal((n, n))
    a1 = rng.standard_normal((n, n))
    fam = tmp_path / "big.json"
    import json

    fam.write_text(json.dumps({"range": [0, 1], "terms": [
        {"coef": "1", "matrix": a0.tolist()}, {"coef": "t", "matrix": a1.tolist()}]}))
    script = textwrap.dedent(f"""
        import sys, time, eigentrack as et
        fam = et.load_family({str(fam)!r})
        print("start", flush=True)
        t0 = time.time()
        try:
            et.track(fam, samples=200000)
        except KeyboardInterrupt:
            print("interrupted after", round(time.time() - t0, 2), flush=True)
            sys.exit(3)
        print("finished", flush=True)
    """)
    p = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline().strip() == "start"
    time.sleep(1.0)
    p.send_signal(signal.SIGINT)
    out, _ = p.communicate(timeout=60)
    assert p.returncode == 3, out
    assert out.startswith("interrupted after")


def test_sigint_from_a_thread_during_python_callbacks():
    import _thread

    def fire():
        time.sleep(0.3)
        _thread.interrupt_main()

    threading.Thread(target=fire).start()
    with pytest.raises(KeyboardInterrupt):
        et.track(crossing_family, (-1, 1.5), samples=2_000_000)


def test_gil_is_released_while_rust_works(tmp_path):
    import json

    n = 100
    rng = np.random.default_rng(2)
    a0 = rng.standard_normal((n, n))
    a0 = a0 + a0.T
    a1 = np.diag(np.arange(n, dtype=float))
    fam_path = tmp_path / "f.json"
    fam_path.write_text(json.dumps({"range": [0, 1], "terms": [
        {"coef": "1", "matrix": a0.tolist()}, {"coef": "t", "matrix": a1.tolist()}]}))
    fam = et.load_family(fam_path)
    done = threading.Event()
    ticks = [0]

    def count():
        while not done.is_set():
            ticks[0] += 1
            time.sleep(0.001)

    th = threading.Thread(target=count)
    th.start()
    t0 = time.perf_counter()
    et.track(fam, samples=801)
    elapsed = time.perf_counter() - t0
    done.set()
    th.join()
    # with the GIL held the counter would not advance while Rust works
    assert elapsed > 0.2
    assert ticks[0] > 0.3 * elapsed / 0.001 * 0.2


def test_bad_matrices_name_argument_t_and_index():
    with pytest.raises(ValueError, match=r"f\(t\) at t = 0.5: entry \[1, 0\] is not finite \(inf\)"):
        et.track(lambda t: np.array([[t, 0], [np.inf if t >= 0.5 else 0, 1]]), (0, 1), 3)
    with pytest.raises(ValueError, match=r"f\(t\) at t = 0 has shape \(2, 3\)"):
        et.track(lambda t: np.zeros((2, 3)), (0, 1))
    with pytest.raises(ValueError, match=r"f\(t\) at t = 0 has shape \(4,\)"):
        et.track(lambda t: np.zeros(4), (0, 1))
    with pytest.raises(ValueError, match=r"f\(t\) at t = 0.5 has shape \(3, 3\); expected 2×2"):
        et.track(lambda t: np.eye(2 if t < 0.5 else 3), (0, 1), 3)
    with pytest.raises(TypeError, match=r"f\(t\) at t = 0 returned an array of dtype <U1"):
        et.track(lambda t: np.array([["a", "b"], ["c", "d"]]), (0, 1))
    with pytest.raises(ValueError, match=r"f\(t\) at t = 0.5\d* has a complex entry \[0, 1\].*dtype=complex"):
        et.track(lambda t: np.array([[0, 1j * t], [0, 0]]) if t > 0.5 else np.eye(2), (0, 1), 3)
    with pytest.raises(ValueError, match=r"df\(t\) at t = 0: entry \[0, 0\] is not finite \(NaN\)"):
        et.track(landau_zener, (0, 1), df=lambda t: np.array([[np.nan, 0], [0, 0]]))


def test_bad_arguments():
    with pytest.raises(TypeError, match="f: expected a callable"):
        et.track(3, (0, 1))
    with pytest.raises(TypeError, match="range"):
        et.track(landau_zener, 1.0)
    with pytest.raises(ValueError, match=r"range\[1\]: must be finite"):
        et.track(landau_zener, (0, np.inf))
    with pytest.raises(TypeError, match="samples: expected an int"):
        et.track(landau_zener, (0, 1), 2.5)
    with pytest.raises(ValueError, match="samples"):
        et.track(landau_zener, (0, 1), 1)
    with pytest.raises(ValueError, match="policy"):
        et.track(landau_zener, (0, 1), policy="sideways")
    with pytest.raises(ValueError, match="levels: part"):
        et.track(landau_zener, (0, 1), levels=[("phase", 0.0)])
    with pytest.raises(TypeError, match=r"levels\[0\]"):
        et.track(landau_zener, (0, 1), levels=[0.0])
    with pytest.raises(ValueError, match=r"grid: not strictly monotone at sample 2"):
        et.track(landau_zener, grid=[0, 1, 1, 2])
    with pytest.raises(ValueError, match=r"grid: entry \[1\] is not finite"):
        et.track(landau_zener, grid=[0, np.nan])
    with pytest.raises(ValueError, match="gap_tol"):
        et.track(landau_zener, (0, 1), gap_tol=-1.0)
    with pytest.raises(ValueError, match="No such file|cannot|not found|missing|No such"):
        et.load_family("/nonexistent/family.json")


def test_family_param_errors(family_file):
    fam = et.load_family(family_file)
    with pytest.raises(ValueError, match="h"):
        fam.with_params(h=1.0)
    with pytest.raises(TypeError, match=r"params\[\"g\"\]"):
        fam.with_params(g="x")


def test_eig_input_errors():
    with pytest.raises(ValueError, match=r"a has shape \(2, 3\)"):
        et.eig(np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"a: entry \[1, 1\] is not finite \(NaN\)"):
        et.eig(np.array([[1.0, 0], [0, np.nan]]))
    with pytest.raises(ValueError, match=r"w_bar has length 3; expected 2"):
        et.eig_vjp(np.eye(2), np.ones(3))
    with pytest.raises(ValueError, match=r"v_bar has shape \(3, 3\); expected 2×2"):
        et.eig_vjp(np.eye(2), np.ones(2), np.ones((3, 3)))

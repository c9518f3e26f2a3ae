import signal

import numpy as np
import pytest

# The Ctrl-C tests need Python's KeyboardInterrupt handler. A process started in the
# background by a shell without job control inherits SIGINT as ignored, and Python then
# leaves it ignored (and `_thread.interrupt_main` does nothing): restore the handler so
# those tests test eigentrack, not how pytest was launched. Child processes of the tests
# get the default action back on exec, and Python installs its handler there.
signal.signal(signal.SIGINT, signal.default_int_handler)


def crossing_family(t):
    """λ₁ = t and λ₂ = e^{t²} − 1 under the rotation R(t/2): they cross at t = 0 and
    t ≈ 0.7468817 (the Rust crate's quick-start family)."""
    s, c = np.sin(t / 2), np.cos(t / 2)
    r = np.array([[c, -s], [s, c]])
    return r @ np.diag([t, np.exp(t * t) - 1]) @ r.T


def landau_zener(t, g=0.2):
    return np.array([[t, g], [g, -t]])


def pt_dimer(gamma):
    return np.array([[1j * gamma, 1], [1, -1j * gamma]])


def brusselator(b, a=1.5):
    return np.array([[b - 1, a * a], [-b, -a * a]])


@pytest.fixture
def family_file(tmp_path):
    path = tmp_path / "lz.json"
    path.write_text(
        '{"range": [-1.0, 1.0], "params": {"g": 0.2}, "terms": ['
        '{"coef": "t", "matrix": [[1, 0], [0, -1]]},'
        '{"coef": "g", "matrix": [[0, 1], [1, 0]]}]}'
    )
    return path

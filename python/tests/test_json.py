"""One result model: the JSON the command-line tool writes reads back with
Tracking.from_json / WindowTracking.from_json and writes out again to the very same
text, and a result of the Python API reads back from its own JSON and pickle."""

import json
import os
import pickle
import shutil
import subprocess

import numpy as np
import pytest
import scipy.io
import scipy.sparse as sp

import eigentrack as et

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DATA = os.path.join(ROOT, "tests", "data", "cli")


def cli():
    """The eigentrack binary: target/release (CI builds it) or target/debug. Without it
    the CLI tests skip, unless EIGENTRACK_REQUIRE_CLI=1 (CI) makes that a failure."""
    for profile in ("release", "debug"):
        path = os.path.join(ROOT, "target", profile, "eigentrack")
        if os.path.exists(path):
            return path
    found = shutil.which("eigentrack")
    if found:
        return found
    if os.environ.get("EIGENTRACK_REQUIRE_CLI") == "1":
        raise AssertionError("the eigentrack binary is not built (cargo build --release)")
    pytest.skip("the eigentrack binary is not built")


def same(a, b):
    assert np.array_equal(a.t, b.t)
    assert np.array_equal(a.values, b.values) and np.array_equal(a.slopes, b.slopes)
    assert np.array_equal(a.condition, b.condition)
    assert a.events == b.events and a.is_real == b.is_real


@pytest.mark.parametrize("family", ["crossing.json", "landau_zener.json",
                                    "exceptional_point.json", "lz_complex.json"])
def test_cli_json_reads_back_with_from_json(family):
    path = os.path.join(DATA, family)
    text = subprocess.run([cli(), "track", path, "--quiet", "--samples", "41"],
                          capture_output=True, text=True, check=True).stdout
    tr = et.Tracking.from_json(text)
    # the CLI's numbers are the Python API's: the same Rust code on the same family
    py = et.track(et.load_family(path), samples=41)
    same(tr, py)
    assert tr.stats.decompositions == py.stats.decompositions
    # and back to the very same text
    assert tr.to_json() == text.strip()
    assert json.loads(tr.to_json()) == json.loads(text)


def test_python_json_and_pickle_read_back_exactly():
    path = os.path.join(DATA, "exceptional_point.json")
    tr = et.track(et.load_family(path), samples=41, keep_vectors=True, levels=[("re", 0.5)])
    back = et.Tracking.from_json(tr.to_json())
    same(tr, back)
    assert np.array_equal(back.right_vectors, tr.right_vectors)
    assert np.array_equal(back.left_vectors, tr.left_vectors)
    assert back.stats == tr.stats
    kinds = {e.kind for e in tr.events}
    assert {"exceptional_point", "level"} <= kinds
    same(pickle.loads(pickle.dumps(tr)), tr)
    assert et.Tracking.from_json(tr.to_json().encode()).to_json() == tr.to_json()


def test_from_json_errors_name_the_problem():
    with pytest.raises(et.InputError, match=r"invalid json: .*missing field `branches`"):
        et.Tracking.from_json('{"samples": [0, 1]}')
    with pytest.raises(et.InputError, match=r"invalid json: .*branch 0 has 3 values for 2 samples"):
        et.Tracking.from_json('{"samples": [0, 1], "branches": [{"re": [1, 2, 3], '
                              '"im": [0, 0, 0], "slope_re": [0, 0, 0], "slope_im": [0, 0, 0], '
                              '"cond": [1, 1, 1]}], "events": []}')
    with pytest.raises(et.InputError, match='unknown event kind "bump"'):
        et.Tracking.from_json('{"samples": [0, 1], "branches": [], "events": '
                              '[{"kind": "bump", "t": 0.5, "branches": []}]}')
    with pytest.raises(TypeError, match="text: expected the JSON text"):
        et.Tracking.from_json(3)
    with pytest.raises(et.InputError, match="samples: a tracking has at least one sample"):
        et.Tracking.from_json('{"samples": [], "branches": [], "events": []}')
    # vectors of different lengths would be read out of bounds: refused on reading
    tr = et.track(lambda t: np.diag([t, -t, 2 * t]), (0, 1), 3, keep_vectors=True)
    d = json.loads(tr.to_json())
    d["branches"][1]["right"][2] = d["branches"][1]["right"][2][:2]
    with pytest.raises(et.InputError, match=r"branches\[1\]: an eigenvector of length 2 where the others have 3"):
        et.Tracking.from_json(json.dumps(d))
    w = et.track_nearest(lambda t: (1 + t) * sp.identity(6, format="csc") + sp.diags(np.arange(6.0)),
                         (0, 1), 3, k=2, sigma=2.2, keep_vectors=True)
    d = json.loads(w.to_json())
    d["n"] = 7
    with pytest.raises(et.InputError, match=r"an eigenvector of length 6 for n = 7"):
        et.WindowTracking.from_json(json.dumps(d))
    d["n"] = 6
    assert et.WindowTracking.from_json(json.dumps(d)).to_json() == w.to_json()


def test_cli_nearest_json_reads_back_with_window_from_json(tmp_path):
    lap = sp.diags([-np.ones(7), 2 * np.ones(8), -np.ones(7)], [-1, 0, 1])
    lx = sp.kron(sp.identity(6), lap).tocoo()
    ly = sp.kron(sp.diags([-np.ones(5), 2 * np.ones(6), -np.ones(5)], [-1, 0, 1]),
                 sp.identity(8)).tocoo()
    scipy.io.mmwrite(tmp_path / "lx.mtx", lx)
    scipy.io.mmwrite(tmp_path / "ly.mtx", ly)
    fam = tmp_path / "grid.json"
    fam.write_text(json.dumps({"range": [0, 1], "terms": [
        {"coef": "1 + t", "mtx": "lx.mtx"}, {"coef": "1", "mtx": "ly.mtx"}]}))
    text = subprocess.run([cli(), "track", str(fam), "--nearest", "3", "--sigma", "1.1",
                           "--samples", "11", "--quiet"],
                          capture_output=True, text=True, check=True).stdout
    w = et.WindowTracking.from_json(text)
    assert (w.k, w.n, w.is_real, w.n_samples) == (3, 48, True, 11)
    py = et.track_nearest(str(fam), k=3, sigma=1.1, samples=11)
    assert np.array_equal(w.values, py.values, equal_nan=True)
    assert w.events == py.events and w.window(-1) == py.window(-1)
    assert w.to_json() == text.strip()
    back = pickle.loads(pickle.dumps(py))
    assert back.to_json() == py.to_json()

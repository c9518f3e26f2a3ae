import json
import math
import pickle

import numpy as np

import eigentrack as et
from conftest import crossing_family, landau_zener, pt_dimer


def _same(a, b):
    assert np.array_equal(a.t, b.t)
    assert np.array_equal(a.values, b.values) and np.array_equal(a.slopes, b.slopes)
    assert np.array_equal(a.curvatures, b.curvatures)
    assert np.array_equal(a.condition, b.condition)
    assert a.events == b.events and a.stats == b.stats and a.is_real == b.is_real
    assert a.to_json() == b.to_json()


def test_pickle_round_trip():
    for tr in (
        et.track(crossing_family, (-1, 1.5), keep_vectors=True),
        et.track(landau_zener, (-2, 2), avoided_gap_max=math.inf, levels=[("re", 0.1)]),
        et.track(pt_dimer, (0, 2), curvatures=False),
    ):
        back = pickle.loads(pickle.dumps(tr))
        _same(tr, back)
        if tr.right_vectors is not None:
            assert np.array_equal(tr.right_vectors, back.right_vectors)
            assert np.array_equal(tr.left_vectors, back.left_vectors)


def test_to_json_is_the_cli_format():
    tr = et.track(crossing_family, (-1, 1.5))
    d = json.loads(tr.to_json())
    assert set(d) == {"samples", "branches", "events", "stats", "real"}
    assert d["real"] is True
    assert d["samples"] == tr.t.tolist()
    assert d["branches"][0]["re"] == tr.values[:, 0].real.tolist()
    assert [e["kind"] for e in d["events"]] == ["crossing", "crossing"]
    assert d["stats"]["decompositions"] == tr.stats.decompositions
    assert tr.to_csv().startswith("t,branch,re,im,slope_re,slope_im\n")


def test_plot_png_and_svg(tmp_path):
    tr = et.track(crossing_family, (-1, 1.5))
    png, svg = tmp_path / "c.png", tmp_path / "c.svg"
    tr.plot(png)
    tr.plot(svg, panels="sorted_vs_tracked", parameter="t", title="crossing")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5000
    assert b"<svg" in svg.read_bytes()[:500]
    back = pickle.loads(pickle.dumps(tr))
    back.plot(tmp_path / "again.png")
    runs = [(g, et.track(lambda t: landau_zener(t, g), (-1, 1), 21)) for g in (0.1, 0.2)]
    et.plot_sweep(tmp_path / "sweep.png", runs, label="g")
    assert (tmp_path / "sweep.png").stat().st_size > 5000
    try:
        tr.plot(tmp_path / "c.bmpx")
    except OSError as e:
        assert "c.bmpx" in str(e)
    else:
        raise AssertionError("an unknown extension must fail")


def test_str_and_repr():
    tr = et.track(crossing_family, (-1, 1.5))
    assert "2 branches" in str(tr) and "crossing" in str(tr)
    assert repr(tr).startswith("<eigentrack.Tracking: 201 samples")

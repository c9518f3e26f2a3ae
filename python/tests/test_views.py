"""The scientific-Python views of a result: matplotlib (plot(ax=), plot_complex,
WindowTracking.plot), xarray and pandas exports, the Jupyter display, progress bars."""

import sys
import types

import numpy as np
import pytest
import scipy.sparse as sp

import eigentrack as et
from conftest import crossing_family, landau_zener, pt_dimer

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def lap1d(m):
    return sp.diags([-np.ones(m - 1), 2 * np.ones(m), -np.ones(m - 1)], [-1, 0, 1], format="csc")


LX = sp.kron(sp.identity(10), lap1d(12), format="csc")
LY = sp.kron(lap1d(10), sp.identity(12), format="csc")


def window():
    return et.track_nearest(lambda t: (1 + t) * LX + LY, (0, 1), 21, k=4, sigma=0.9)


def test_plot_into_an_axes_one_line_per_branch_with_the_values():
    tr = et.track(crossing_family, (-1, 1.5), 51)
    fig, ax = plt.subplots()
    out = tr.plot(ax=ax)
    assert out is ax
    curves = [line for line in ax.lines if line.get_gid() is None]
    assert len(curves) == tr.n_branches == 2
    for k, line in enumerate(curves):
        assert np.array_equal(line.get_xdata(), tr.t)
        assert np.array_equal(line.get_ydata(), tr.values[:, k])
    # the two crossings are marked where they are, as open circles
    marks = [line for line in ax.lines if line.get_gid() == "event:crossing"]
    assert len(marks) == 2
    xs = sorted(float(m.get_xdata()[0]) for m in marks)
    assert abs(xs[0]) < 1e-9 and abs(xs[1] - 0.7468817423) < 1e-9
    assert marks[0].get_marker() == "o"
    assert ax.get_xlabel() == "t" and ax.get_ylabel() == "Re λ"
    # a new figure when ax is None; the file-writing figure stays behind plot(path)
    ax2 = tr.plot(part="abs", title="|λ|")
    assert ax2 is not ax and ax2.get_title() == "|λ|"
    assert np.array_equal(ax2.lines[1].get_ydata(), np.abs(tr.values[:, 1]))
    plt.close("all")
    with pytest.raises(TypeError, match="ax"):
        tr.plot("x.png", ax=ax)


def test_plot_complex_and_window_plot():
    tr = et.track(pt_dimer, (0, 2), 41)
    ax = tr.plot_complex()
    for k in range(2):
        assert np.array_equal(ax.lines[k].get_xdata(), tr.values[:, k].real)
        assert np.array_equal(ax.lines[k].get_ydata(), tr.values[:, k].imag)
    assert any(line.get_gid() == "event:exceptional_point" for line in ax.lines)
    w = window()
    fig, ax = plt.subplots()
    assert w.plot(ax=ax) is ax
    # per branch: the dotted whole (guard band included), then the solid window part
    assert len([line for line in ax.lines if line.get_gid() is None]) == 2 * w.n_branches
    solid = ax.lines[1].get_ydata()
    assert np.array_equal(solid, np.where(w.in_window[:, 0], w.values[:, 0], np.nan),
                          equal_nan=True)
    assert any(line.get_gid() == "event:crossing" for line in ax.lines)
    plt.close("all")


def test_to_xarray_round_trips_values():
    xr = pytest.importorskip("xarray")
    tr = et.track(landau_zener, (-2, 2), 41, avoided_gap_max=np.inf)
    ds = tr.to_xarray()
    assert isinstance(ds, xr.Dataset)
    assert ds["value"].dims == ("t", "branch")
    assert np.array_equal(ds["value"].values, tr.values)
    assert np.array_equal(ds["slope"].values, tr.slopes)
    assert np.array_equal(ds["curvature"].values, tr.curvatures)
    assert np.array_equal(ds["cond"].values, tr.condition)
    assert np.array_equal(ds["t"].values, tr.t)
    assert float(ds["value"].sel(t=0.0, branch=1)) == tr.values[20, 1]
    import json

    events = json.loads(ds.attrs["events"])
    assert [e["kind"] for e in events] == ["avoided_crossing"]
    assert abs(events[0]["gap"] - 0.4) < 1e-9
    wd = window().to_xarray()
    assert wd["in_window"].dtype == bool and wd.sizes["t"] == 21


def test_to_pandas_long_frame():
    pd = pytest.importorskip("pandas")
    tr = et.track(crossing_family, (-1, 1.5), 11)
    df = tr.to_pandas()
    assert isinstance(df, pd.DataFrame)
    assert list(df.columns) == ["t", "branch", "value", "slope", "curvature", "cond"]
    assert len(df) == 22
    row = df[(df.branch == 1) & (df.t == tr.t[3])]
    assert float(row.value.iloc[0]) == tr.values[3, 1]
    w = window()
    wdf = w.to_pandas()
    assert len(wdf) == int(np.isfinite(w.values).sum()) and "in_window" in wdf


def test_repr_html_has_the_summary_and_the_events():
    tr = et.track(crossing_family, (-1, 1.5), 51)
    h = tr._repr_html_()
    assert "eigentrack.Tracking" in h and "<svg" in h
    assert h.count("<td>crossing</td>") == 2
    assert "0.7468817423" in h
    wh = window()._repr_html_()
    assert "WindowTracking" in wh and "window_entry" in wh


class FakeTqdm:
    made = []

    def __init__(self, total=None, desc=None, unit=None, leave=True):
        self.total, self.desc, self.n, self.closed = total, desc, 0, False
        FakeTqdm.made.append(self)

    def update(self, n):
        self.n += n

    def set_postfix_str(self, s, refresh=True):
        self.postfix = s

    def close(self):
        self.closed = True


@pytest.fixture
def fake_tqdm(monkeypatch):
    FakeTqdm.made = []
    monkeypatch.setitem(sys.modules, "tqdm", types.SimpleNamespace(tqdm=FakeTqdm))
    return FakeTqdm


def test_progress_true_under_a_fake_tqdm(fake_tqdm):
    tr = et.track(landau_zener, (-1, 1), 21, progress=True)
    assert tr.n_samples == 21
    (bar,) = fake_tqdm.made
    assert bar.desc == "eigentrack.track" and bar.total == 1000
    assert bar.n == 1000 and bar.closed and bar.postfix.startswith("t = 1")
    et.track_nearest(lambda t: (1 + t) * LX + LY, (0, 1), 5, k=2, sigma=0.9, progress=True)
    assert fake_tqdm.made[1].desc == "eigentrack.track_nearest" and fake_tqdm.made[1].n == 1000
    et.sweep(lambda t, p: landau_zener(t, p[0]), [0.1, 0.2, 0.3], (-1, 1), 5, progress=True)
    sweep_bar = fake_tqdm.made[-1]
    assert sweep_bar.desc == "eigentrack.sweep" and sweep_bar.total == 3 and sweep_bar.n == 3
    assert sweep_bar.closed


def test_progress_true_without_tqdm_writes_a_stderr_line(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "tqdm", None)  # import tqdm raises ImportError
    et.track(landau_zener, (-1, 1), 21, progress=True)
    err = capsys.readouterr().err
    assert "eigentrack.track: 100.0%" in err and err.endswith("\n")


def test_progress_false_stops_with_the_t_reached():
    seen = []

    def stop(fraction, t):
        seen.append(t)
        return False if fraction > 0.5 else None

    with pytest.raises(et.TrackInterrupted) as info:
        et.track(landau_zener, (-1, 1), 21, progress=stop)
    assert info.value.t == seen[-1] and info.value.t > 0
    import pickle

    back = pickle.loads(pickle.dumps(info.value))
    assert isinstance(back, et.TrackInterrupted) and back.t == info.value.t
    with pytest.raises(TypeError, match="progress: expected True, False, None or a callable"):
        et.track(landau_zener, (-1, 1), 21, progress=3)


def test_len_is_ambiguous_and_says_so():
    tr = et.track(landau_zener, (-1, 1), 11)
    with pytest.raises(TypeError, match=r"len\(Tracking\) is ambiguous: use .n_samples or .n_branches"):
        len(tr)
    assert (tr.n_samples, tr.n_branches) == (11, 2)
    w = window()
    with pytest.raises(TypeError, match=r"len\(WindowTracking\) is ambiguous"):
        len(w)
    assert w.n_samples == 21 and w.n_branches == w.values.shape[1]

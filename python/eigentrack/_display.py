"""The views of a result written in Python: matplotlib drawings (``plot(ax=…)``,
``plot_complex``, ``WindowTracking.plot``), labelled exports (``to_xarray``,
``to_pandas``) and the Jupyter display (``_repr_html_``). matplotlib, xarray and pandas
are optional: each is imported when first used, with an error naming the package."""

from __future__ import annotations

import html
import json
import math
from typing import Any, Optional

import numpy as np

PALETTE = [  # matplotlib's tab10, the Rust figures' palette
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
]

# the Rust figures' markers: crossing ○, avoided crossing ◇, exceptional point ×, level ▽
MARKERS = {
    "crossing": ("o", "crossing"),
    "touching": ("s", "touching"),
    "avoided_crossing": ("D", "avoided crossing"),
    "exceptional_point": ("x", "exceptional point"),
    "level": ("v", "level"),
    "window_entry": (">", "window entry"),
    "window_exit": ("<", "window exit"),
    "left_band": ("|", "left the band"),
}


def _need(module: str, what: str) -> Any:
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as e:
        package = module.split(".")[0]
        raise ImportError(
            f"{what} needs {package}: pip install {package} (or pip install "
            f"\"eigentrack[all]\")"
        ) from e


def colors(n: int) -> list:
    """The colour of each of ``n`` branches: tab10 up to 10 branches, beyond that a
    continuous scale by branch index (turbo), so no two branches share a colour."""
    if n <= len(PALETTE):
        return PALETTE[:n]
    out = []
    for k in range(n):
        x = k / (n - 1)
        out.append(_turbo(x))
    return out


def _turbo(x: float) -> str:
    """Google's turbo colormap (the polynomial approximation), as #rrggbb."""
    x = min(max(x, 0.0), 1.0)
    r = 0.13572138 + x * (4.61539260 + x * (-42.66032258 + x * (132.13108234 + x * (-152.94239396 + x * 59.28637943))))
    g = 0.09140261 + x * (2.19418839 + x * (4.84296658 + x * (-14.18503333 + x * (4.27729857 + x * 2.82956604))))
    b = 0.10667330 + x * (12.64194608 + x * (-60.58204836 + x * (110.36276771 + x * (-89.90310912 + x * 27.34824973))))
    c = [int(round(255 * min(max(v, 0.0), 1.0))) for v in (r, g, b)]
    return "#%02x%02x%02x" % tuple(c)


def _part(z: Any, part: str) -> Any:
    z = np.asarray(z)
    if part == "re":
        return z.real
    if part == "im":
        return z.imag if np.iscomplexobj(z) else np.zeros(z.shape)
    if part == "abs":
        return np.abs(z)
    raise ValueError(f"part: expected 're', 'im' or 'abs', got {part!r}")


def _axes(ax: Any) -> Any:
    if ax is None:
        plt = _need("matplotlib.pyplot", "plot(ax=…)")
        _, ax = plt.subplots()
    elif not hasattr(ax, "plot"):
        raise TypeError(f"ax: expected a matplotlib Axes, got {type(ax).__name__}")
    return ax


def _mark_events(ax: Any, events: list, coords: Any) -> None:
    """Events as black markers (each kind once in the legend), unresolved steps as red
    spans; ``coords(e)`` gives the (x, y) of an event or None."""
    seen = set()
    for e in events:
        if e.kind == "unresolved":
            ax.axvspan(e.t, e.t_end, color="#c80000", alpha=0.15, lw=0,
                       label=None if "unresolved" in seen else "unresolved step")
            seen.add("unresolved")
            continue
        xy = coords(e)
        if xy is None:
            continue
        marker, label = MARKERS.get(e.kind, ("*", e.kind))
        filled = marker in ("x", "|")
        ax.plot([xy[0]], [xy[1]], linestyle="none", marker=marker, markersize=7,
                markerfacecolor="black" if filled else "none", markeredgecolor="black",
                color="black", label=None if e.kind in seen else label, zorder=5,
                gid=f"event:{e.kind}")
        seen.add(e.kind)


def plot_tracking(tr: Any, ax: Any = None, part: str = "re", title: Optional[str] = None,
                  parameter: Optional[str] = None) -> Any:
    """``Tracking.plot(ax=…)``: part(λ) of every branch against t, one line per branch
    (anti-aliased, in the branch's colour), events marked."""
    ax = _axes(ax)
    values = _part(tr.values, part)
    t = tr.t
    nb = values.shape[1]
    for k, c in enumerate(colors(nb)):
        ax.plot(t, values[:, k], color=c, lw=1.6 if nb <= 12 else max(0.6, 1.6 * 12 / nb),
                antialiased=True, solid_capstyle="round", solid_joinstyle="round",
                label=f"branch {k}" if nb <= 12 else None)

    def at(e: Any) -> Any:
        if e.value is None or not np.isfinite(e.value.real):
            return None
        return (e.t, float(_part(e.value, part)))

    _mark_events(ax, tr.events, at)
    ax.set_xlabel(parameter or "t")
    ax.set_ylabel({"re": "Re λ", "im": "Im λ", "abs": "|λ|"}[part])
    if title:
        ax.set_title(title)
    if nb <= 12 or tr.events:
        ax.legend(fontsize="small", loc="best")
    return ax


def plot_complex(tr: Any, ax: Any = None, title: Optional[str] = None) -> Any:
    """``Tracking.plot_complex(ax=…)``: every branch's path (Re λ, Im λ) in the complex
    plane, events marked."""
    ax = _axes(ax)
    v = np.asarray(tr.values)
    re, im = v.real, (v.imag if np.iscomplexobj(v) else np.zeros(v.shape))
    nb = v.shape[1]
    for k, c in enumerate(colors(nb)):
        ax.plot(re[:, k], im[:, k], color=c, lw=1.6, antialiased=True,
                label=f"branch {k}" if nb <= 12 else None)

    def at(e: Any) -> Any:
        if e.value is None or not np.isfinite(e.value.real):
            return None
        return (e.value.real, e.value.imag)

    _mark_events(ax, tr.events, at)
    ax.set_xlabel("Re λ")
    ax.set_ylabel("Im λ")
    if title:
        ax.set_title(title)
    if nb <= 12 or tr.events:
        ax.legend(fontsize="small", loc="best")
    return ax


def plot_window(tr: Any, ax: Any = None, title: Optional[str] = None) -> Any:
    """``WindowTracking.plot(ax=…)``: Re λ of every branch, solid inside the window and
    dotted in the guard band (not drawn where not computed), events marked."""
    ax = _axes(ax)
    v = np.asarray(tr.values).real
    inside = np.where(tr.in_window, v, np.nan)
    nb = v.shape[1]
    for k, c in enumerate(colors(nb)):
        ax.plot(tr.t, v[:, k], color=c, lw=0.9, ls=":", antialiased=True)
        ax.plot(tr.t, inside[:, k], color=c, lw=1.8, antialiased=True,
                label=f"branch {k}" if nb <= 12 else None)

    def at(e: Any) -> Any:
        s = int(np.argmin(np.abs(tr.t - e.t)))
        b = e.branches[0]
        y = v[s, b]
        return None if not np.isfinite(y) else (e.t, y)

    _mark_events(ax, tr.events, at)
    ax.set_xlabel("t")
    ax.set_ylabel("Re λ")
    if title:
        ax.set_title(title)
    ax.legend(fontsize="small", loc="best")
    return ax


def _events_table(events: list) -> list:
    rows = []
    for e in events:
        row = {"kind": e.kind, "t": e.t, "branches": list(e.branches)}
        value = getattr(e, "value", None)
        if value is not None:
            row["value"] = value
        for name in ("gap", "precision", "t_end", "part", "level"):
            x = getattr(e, name, None)
            if x is not None:
                row[name] = x
        rows.append(row)
    return rows


def _jsonable(x: Any) -> Any:
    if isinstance(x, complex):
        return [x.real, x.imag]
    if isinstance(x, float) and not math.isfinite(x):
        return None
    if isinstance(x, list):
        return [_jsonable(y) for y in x]
    return x


def to_xarray(tr: Any) -> Any:
    """An xarray Dataset with dims (t, branch): value, slope, curvature (dense tracks
    with curvatures), cond (and in_window for a windowed track). ``attrs["events"]`` is
    the events as JSON text (a list of objects; netCDF-safe), ``attrs["is_real"]`` 0/1."""
    xr = _need("xarray", "to_xarray()")
    dims = ("t", "branch")
    data = {"value": (dims, tr.values), "slope": (dims, tr.slopes),
            "cond": (dims, tr.condition)}
    curv = getattr(tr, "curvatures", None)
    if curv is not None and curv.shape[0] == len(tr.t):
        data["curvature"] = (dims, curv)
    if hasattr(tr, "in_window"):
        data["in_window"] = (dims, tr.in_window)
    events = [{k: _jsonable(v) for k, v in row.items()} for row in _events_table(tr.events)]
    return xr.Dataset(
        data, coords={"t": tr.t, "branch": np.arange(tr.n_branches)},
        attrs={"events": json.dumps(events), "is_real": int(tr.is_real)},
    )


def to_pandas(tr: Any) -> Any:
    """A long DataFrame: one row per (t, branch) with value, slope, curvature and cond
    (a windowed track: in_window, and only the computed rows)."""
    pd = _need("pandas", "to_pandas()")
    ns, nb = len(tr.t), tr.n_branches
    cols = {"t": np.repeat(tr.t, nb), "branch": np.tile(np.arange(nb), ns),
            "value": np.asarray(tr.values).reshape(-1), "slope": np.asarray(tr.slopes).reshape(-1)}
    curv = getattr(tr, "curvatures", None)
    if curv is not None and curv.shape[0] == ns:
        cols["curvature"] = curv.reshape(-1)
    cols["cond"] = tr.condition.reshape(-1)
    if hasattr(tr, "in_window"):
        cols["in_window"] = tr.in_window.reshape(-1)
    df = pd.DataFrame(cols)
    if hasattr(tr, "in_window"):
        df = df[np.isfinite(np.asarray(df["value"]).real)].reset_index(drop=True)
    return df


def _fmt(x: Any) -> str:
    if isinstance(x, complex):
        return f"{x.real:.6g}" if x.imag == 0 else f"{x.real:.6g}{x.imag:+.6g}i"
    if isinstance(x, float):
        return f"{x:.10g}"
    return str(x)


def _svg(tr: Any, width: int = 360, height: int = 160) -> str:
    """The branches' Re λ as a small inline SVG (no matplotlib); empty when large."""
    v = np.asarray(tr.values).real
    t = np.asarray(tr.t)
    if v.size == 0 or v.size > 40000:
        return ""
    finite = v[np.isfinite(v)]
    if finite.size == 0:
        return ""
    lo, hi = float(finite.min()), float(finite.max())
    if hi == lo:
        lo, hi = lo - 1, hi + 1
    t0, t1 = float(t.min()), float(t.max())
    span = (t1 - t0) or 1.0
    pad = 6
    sx = (width - 2 * pad) / span
    sy = (height - 2 * pad) / (hi - lo)
    lines = []
    for k, c in enumerate(colors(v.shape[1])):
        segs, cur = [], []
        for ti, y in zip(t, v[:, k]):
            if np.isfinite(y):
                cur.append(f"{pad + (ti - t0) * sx:.1f},{height - pad - (y - lo) * sy:.1f}")
            elif cur:
                segs.append(cur)
                cur = []
        if cur:
            segs.append(cur)
        for s in segs:
            lines.append(f'<polyline fill="none" stroke="{c}" stroke-width="1.4" '
                         f'points="{" ".join(s)}"/>')
    for e in tr.events:
        value = getattr(e, "value", None)
        if value is None or not np.isfinite(value.real):
            continue
        x, y = pad + (e.t - t0) * sx, height - pad - (value.real - lo) * sy
        lines.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="none" stroke="black"/>')
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'style="background:white;border:1px solid #ddd">{"".join(lines)}</svg>')


def repr_html(tr: Any) -> str:
    """The Jupyter display: a summary table, the events and a small SVG of Re λ."""
    t = tr.t
    rows = [("samples", tr.n_samples), ("range", f"[{_fmt(float(t[0]))}, {_fmt(float(t[-1]))}]"),
            ("branches", tr.n_branches), ("events", len(tr.events)),
            ("real A(t)", tr.is_real)]
    stats = tr.stats
    if isinstance(stats, dict):
        rows.append(("factorizations", stats.get("factorizations")))
        rows.append(("seconds", f"{stats.get('seconds', float('nan')):.3g}"))
        rows.insert(0, ("window", f"k = {tr.k} nearest σ = {_fmt(tr.sigma)}, n = {tr.n}"))
        name = "WindowTracking"
    else:
        rows.append(("decompositions", stats.decompositions))
        rows.append(("seconds", f"{stats.seconds:.3g}"))
        name = "Tracking"
    summary = "".join(f"<tr><th style='text-align:left'>{html.escape(str(k))}</th>"
                      f"<td>{html.escape(str(v))}</td></tr>" for k, v in rows)
    table = _events_table(tr.events)
    keys = ["kind", "t", "branches", "value", "gap", "precision", "t_end"]
    keys = [k for k in keys if any(k in r for r in table)]
    head = "".join(f"<th>{k}</th>" for k in keys)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(_fmt(r.get(k, '')))}</td>" for k in keys)
                   + "</tr>" for r in table)
    events = (f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
              if table else "<p>no events</p>")
    return (f"<div><b>eigentrack.{name}</b><div style='display:flex;gap:1em'>"
            f"<table>{summary}</table>{_svg(tr)}</div>{events}</div>")

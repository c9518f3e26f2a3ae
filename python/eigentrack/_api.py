"""The public functions: track, eig and its derivatives, sensitivities."""

from __future__ import annotations

import math
import numbers
import os

import numpy as np

from . import _eigentrack as _rs
from ._types import EventSensitivity, Sensitivities

Family = _rs.Family
Tracking = _rs.Tracking
GAP_TOL = _rs.GAP_TOL


def load_family(path) -> Family:
    """Load an eigentrack family file (JSON, with inline or Matrix Market terms).

    The returned :class:`Family` is tracked entirely in Rust (no Python call per
    evaluation) with exact A′ and A″; ``family(t)`` gives A(t), ``family.params`` its
    parameters and ``family.with_params(g=0.1)`` a copy with others. It pickles (by path
    and parameter values), so it can be sent to the workers of a sweep.
    """
    return _rs.load_family(os.fspath(path))


def _finite(name, x):
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(f"{name}: expected a real number, got {type(x).__name__} {x!r}")
    x = float(x)
    if not math.isfinite(x):
        raise ValueError(f"{name}: must be finite, got {x}")
    return x


def _range(range_):
    try:
        a, b = range_
    except (TypeError, ValueError):
        raise TypeError(f"range: expected (a, b), got {range_!r}") from None
    return (_finite("range[0]", a), _finite("range[1]", b))


def _options(samples, policy, levels, hermitian, keep_vectors, curvatures, events,
             h_min, h_max, cluster_tol, min_overlap, gap_tol, avoided_gap_max,
             max_decompositions, resolution, progress):
    if isinstance(samples, bool) or not isinstance(samples, numbers.Integral):
        raise TypeError(f"samples: expected an int, got {type(samples).__name__} {samples!r}")
    if samples < 2:
        raise ValueError(f"samples: must be at least 2, got {samples}")
    if not isinstance(policy, str):
        raise TypeError(f"policy: expected 'adiabatic' or 'diabatic', got {policy!r}")
    if not isinstance(resolution, str):
        raise TypeError(f"resolution: expected 'local' or 'refine', got {resolution!r}")
    if levels is None:
        levels = []
    if isinstance(levels, tuple) and len(levels) == 2 and isinstance(levels[0], str):
        levels = [levels]
    lv = []
    for k, item in enumerate(levels):
        try:
            part, value = item
        except (TypeError, ValueError):
            raise TypeError(f"levels[{k}]: expected (part, value) such as ('re', 0.0), got {item!r}") from None
        if not isinstance(part, str):
            raise TypeError(f"levels[{k}]: part must be 're', 'im' or 'abs', got {part!r}")
        lv.append((part, _finite(f"levels[{k}] value", value)))
    if hermitian not in (None, True, False):
        raise TypeError(f"hermitian: expected None (auto), True or False, got {hermitian!r}")
    if progress is not None and not callable(progress):
        raise TypeError(f"progress: expected a callable progress(fraction, t), got {progress!r}")
    if max_decompositions is not None and (
        isinstance(max_decompositions, bool) or not isinstance(max_decompositions, numbers.Integral)
    ):
        raise TypeError(f"max_decompositions: expected an int, got {max_decompositions!r}")
    if max_decompositions is not None and max_decompositions < 1:
        raise ValueError(f"max_decompositions: must be at least 1, got {max_decompositions}")

    def opt(name, x):
        if x is None:
            return None
        if isinstance(x, bool) or not isinstance(x, numbers.Real):
            raise TypeError(f"{name}: expected a real number, got {type(x).__name__} {x!r}")
        return float(x)

    return {
        "samples": int(samples),
        "policy": policy,
        "levels": lv,
        "hermitian": hermitian,
        "keep_vectors": bool(keep_vectors),
        "curvatures": bool(curvatures),
        "events": bool(events),
        "h_min": opt("h_min", h_min),
        "h_max": opt("h_max", h_max),
        "cluster_tol": opt("cluster_tol", cluster_tol),
        "min_overlap": opt("min_overlap", min_overlap),
        "gap_tol": opt("gap_tol", gap_tol),
        "avoided_gap_max": opt("avoided_gap_max", avoided_gap_max),
        "max_decompositions": None if max_decompositions is None else int(max_decompositions),
        "resolution": resolution,
        "progress": progress,
    }


class _Opts:
    """The options as attributes (what the compiled module's FromPyObject reads)."""

    def __init__(self, d):
        self.__dict__.update(d)


def _grid(grid):
    g = np.asarray(grid, dtype=float)
    if g.ndim != 1 or g.size == 0:
        raise ValueError(f"grid: expected a non-empty 1-D array of t, got shape {g.shape}")
    bad = np.flatnonzero(~np.isfinite(g))
    if bad.size:
        raise ValueError(f"grid: entry [{bad[0]}] is not finite ({g[bad[0]]})")
    return [float(x) for x in g]


def _dtype(dtype):
    if dtype is None:
        return None
    dt = np.dtype(dtype)
    if dt.kind == "c":
        return True
    if dt.kind in "fiub":
        return False
    raise TypeError(f"dtype: expected float or complex, got {dtype!r}")


def track(f, range=None, samples=201, *, grid=None, policy="adiabatic", levels=(),
          hermitian=None, keep_vectors=False, curvatures=True, events=True, df=None,
          ddf=None, dtype=None, progress=None, h_min=None, h_max=None, cluster_tol=None,
          min_overlap=None, gap_tol=None, avoided_gap_max=None, max_decompositions=None,
          resolution="local") -> Tracking:
    """Track the eigenvalues of A(t) over ``range = (a, b)``.

    Parameters
    ----------
    f : callable or Family
        ``f(t)`` returns A(t) as a square numpy array (real or complex; a scipy.sparse
        matrix is densified: every eigenvalue is tracked), or a :class:`Family` from
        :func:`load_family` (then ``range`` defaults to the file's). For a large sparse
        A(t), follow the k eigenvalues nearest a target with :func:`track_nearest`.
    range : (a, b)
        The interval; b < a tracks backwards.
    samples : int
        Uniform samples, both ends included (default 201). ``grid=`` gives your own
        strictly monotone samples instead.
    policy : "adiabatic" or "diabatic"
        Through an avoided crossing, stay on the analytic curve (default) or follow
        eigenvector character.
    levels : list of (part, value)
        Report where ``part`` ("re", "im", "abs") of a branch crosses ``value``, e.g.
        ``[("re", 0.0)]`` for a change of stability.
    hermitian : None, True or False
        The decomposition path: auto (default), always Hermitian, never.
    keep_vectors : bool
        Keep the right and left eigenvectors at every sample.
    curvatures, events : bool
        Compute d²λ/dt² / locate events (both default True).
    df, ddf : callable, optional
        Exact A′(t) (and A″(t)); otherwise finite differences (relative error about
        4e-11 in A′ and 1.5e-8 in A″).
    dtype : float or complex, optional
        Force real or complex arithmetic (default: the dtype of f at the first sample).
    progress : callable, optional
        ``progress(fraction, t)`` after every step; returning ``False`` stops the track
        with :class:`TrackInterrupted`. Signals (Ctrl-C) are checked after every step.
    h_min, h_max, cluster_tol, min_overlap, gap_tol, avoided_gap_max, max_decompositions, resolution
        The tracker's tuning options (see the Rust ``Tracker`` documentation).

    Returns
    -------
    Tracking
        ``.t``, ``.values``, ``.slopes``, ``.curvatures`` (numpy, shape
        (samples, branches)), ``.events``, ``.stats``, ``.plot(path)``, ``.to_json()``.

    Raises
    ------
    ValueError, TypeError
        For bad input, naming the argument, t and the index.
    Exception
        Whatever ``f``, ``df``, ``ddf`` or ``progress`` raised, unchanged.
    """
    opts = _Opts(_options(samples, policy, levels, hermitian, keep_vectors, curvatures,
                          events, h_min, h_max, cluster_tol, min_overlap, gap_tol,
                          avoided_gap_max, max_decompositions, resolution, progress))
    g = None if grid is None else _grid(grid)
    if isinstance(f, Family):
        if df is not None or ddf is not None:
            raise TypeError("df, ddf: a Family has exact derivatives; do not pass df/ddf")
        r = None if range is None else _range(range)
        return _rs._track_file(f, r, g, opts)
    if not callable(f):
        raise TypeError(
            f"f: expected a callable f(t) returning a square matrix, or an eigentrack.Family, "
            f"got {type(f).__name__}"
        )
    for name, fun in (("df", df), ("ddf", ddf)):
        if fun is not None and not callable(fun):
            raise TypeError(f"{name}: expected a callable {name}(t), got {type(fun).__name__}")
    if ddf is not None and df is None:
        raise TypeError("ddf: given without df")
    if range is None:
        if g is None:
            raise TypeError("range: required (a, b) for a callable f, unless grid= is given")
        r = (g[0], g[-1])
    else:
        r = _range(range)
    return _rs._track(f, r, g, opts, df, ddf, _dtype(dtype))


def eig(a, left=False, hermitian=None):
    """Eigenvalues and eigenvectors of a square matrix, like ``scipy.linalg.eig``.

    Returns ``(w, vr)``, or ``(w, vl, vr)`` with ``left=True``: eigenvalues (complex,
    ascending by real then imaginary part), unit right eigenvectors as columns, and left
    eigenvectors scaled so that ``vl.conj().T @ vr = I``. Real input is decomposed in
    real arithmetic (complex eigenvalues in exact conjugate pairs).
    """
    return _rs._eig(a, bool(left), hermitian)


def eigh(a):
    """Ascending real eigenvalues and orthonormal eigenvectors of a Hermitian matrix
    (its Hermitian part), like ``numpy.linalg.eigh``."""
    return _rs._eigh(a)


def eig_jvp(a, da):
    """Forward-mode derivative of :func:`eig`: ``(dw, dv)`` for the direction ``da``.

    ``dw[i] = y_iᴴ dA x_i``; ``dv`` in the parallel-transport gauge (x_iᴴ dx_i = 0).
    Raises :class:`IllDefinedError` at a repeated eigenvalue (the eigenvectors are not
    differentiable there) or a defective one.
    """
    return _rs._eig_jvp(a, da)


def eig_vjp(a, w_bar, v_bar=None):
    """Reverse-mode derivative (gradient) of :func:`eig`, with PyTorch's conventions.

    ``w_bar`` and ``v_bar`` are the cotangents of the eigenvalues and eigenvectors
    (z̄ = ∂L/∂Re z + i ∂L/∂Im z; ``v_bar=None`` for a loss of the eigenvalues only),
    computed from the ``w, v`` that :func:`eig` returns for this very ``a``. Returns Ā
    (real for real ``a``: the gradient with respect to its entries).

    Raises :class:`IllDefinedError` when the loss depends on the eigenvector phases,
    when the cotangent is not invariant inside a cluster of repeated eigenvalues, or at
    a defective eigenvalue.
    """
    return _rs._eig_vjp(a, w_bar, v_bar)


def sensitivities(f, params, range=None, samples=201, *, df=None, dp=None, dtype=None,
                  **options) -> Sensitivities:
    """Parameter sensitivities along the branches and of the events.

    ``f(t, p)`` returns A(t; p) (p a 1-D float array); ``params`` is the point p. Or
    ``f`` is a :class:`Family` and ``params`` a dict of its parameter names and values
    (exact ∂A/∂p). ``dp(t, p)`` may give the list of ∂A/∂p_k exactly (else central
    differences). Other keyword options are those of :func:`track`.

    Returns :class:`Sensitivities`: ``dlambda[i, b, k]`` = ∂λ_b/∂p_k at sample i, and
    for every located crossing and level event dt*/dp.
    """
    opts = _Opts(_options(samples, options.pop("policy", "adiabatic"),
                          options.pop("levels", ()), options.pop("hermitian", None),
                          True, options.pop("curvatures", True),
                          options.pop("events", True), options.pop("h_min", None),
                          options.pop("h_max", None), options.pop("cluster_tol", None),
                          options.pop("min_overlap", None), options.pop("gap_tol", None),
                          options.pop("avoided_gap_max", None),
                          options.pop("max_decompositions", None),
                          options.pop("resolution", "local"),
                          options.pop("progress", None)))
    options.pop("keep_vectors", None)
    if options:
        raise TypeError(f"sensitivities: unexpected keyword arguments {sorted(options)}")
    if isinstance(f, Family):
        if not isinstance(params, dict):
            raise TypeError("params: for a Family, a dict {name: value} of its parameters")
        fam = f.with_params(**{k: _finite(f"params[{k!r}]", v) for k, v in params.items()})
        names = list(params)
        r = None if range is None else _range(range)
        tr, p, dl, evs = _rs._sensitivities_file(fam, names, r, opts)
        return _sens(tr, p, dl, evs, tuple(names))
    if not callable(f):
        raise TypeError(f"f: expected a callable f(t, p) or an eigentrack.Family, got {type(f).__name__}")
    p = np.asarray(params, dtype=float)
    if p.ndim != 1:
        raise ValueError(f"params: expected a 1-D sequence of floats, got shape {p.shape}")
    bad = np.flatnonzero(~np.isfinite(p))
    if bad.size:
        raise ValueError(f"params: entry [{bad[0]}] is not finite ({p[bad[0]]})")
    if range is None:
        raise TypeError("range: required (a, b) for a callable f")
    tr, p, dl, evs = _rs._sensitivities(f, [float(x) for x in p], _range(range), opts, df,
                                        dp, _dtype(dtype))
    return _sens(tr, p, dl, evs, None)


def _sens(tr, p, dl, evs, names):
    events = [EventSensitivity(event=i, t=t, dt_dp=d, error=e, coupling=c)
              for (i, t, d, e, c) in evs]
    return Sensitivities(tracking=tr, params=p, dlambda=dl, events=events, names=names)


def plot_sweep(path, runs, label="p", part="re"):
    """Draw a sweep: ``runs`` is a list of ``(p, tracking)``; the curves of part(λ)
    ("re", "im", "abs") of every run, coloured by p with a colour bar titled ``label``."""
    runs = [(float(p), t) for p, t in runs]
    _rs._plot_sweep(os.fspath(path), runs, label, part)

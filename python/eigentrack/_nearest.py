"""The sparse path: the k eigenvalues of a large sparse A(t) nearest a target σ."""

from __future__ import annotations

import json
import math
import numbers
import os
from dataclasses import dataclass
from typing import Optional

import numpy as np

from . import _eigentrack as _rs

__all__ = ["WindowEvent", "WindowTracking", "track_nearest"]


@dataclass(frozen=True)
class WindowEvent:
    """An event of a windowed track.

    ``kind`` is ``"window_entry"`` (a branch becomes one of the k nearest σ),
    ``"window_exit"`` (the branch it replaces leaves), ``"crossing"`` (two window branches
    whose real eigenvalues pass through each other), ``"left_band"`` (a branch is no
    longer computed after ``t``: it left the guard band) or ``"unresolved"`` (a step from
    ``t`` to ``t_end`` whose pairing stayed in question at the smallest step);
    ``branches`` the branch indices concerned (ascending for a crossing); ``precision``
    the size of the last Newton correction of a located ``t`` (entries, exits,
    crossings), else ``None``.
    """

    kind: str
    t: float
    branches: tuple
    precision: Optional[float] = None
    t_end: Optional[float] = None


class WindowTracking:
    """The result of :func:`track_nearest`.

    Branches are numbered in order of appearance: 0 … m − 1 are the m = k + guard pairs
    at the first sample, nearest σ first; a pair that enters the guard band later starts
    a new branch. A branch keeps its identity through crossings.

    Attributes
    ----------
    t : ndarray, shape (samples,)
        The sample grid.
    values, slopes : complex ndarray, shape (samples, branches)
        λ and dλ/dt of every branch at every sample; NaN (``nan+nanj``) where the branch
        is not computed (outside the guard band). Inside the window λ meets the residual
        tolerance ``tol``; in the guard band 10⁴ times it.
    condition : float ndarray, shape (samples, branches)
        Eigenvalue condition numbers κ (1 for a Hermitian A), NaN where not computed.
    in_window : bool ndarray, shape (samples, branches)
        Whether the branch is among the k nearest σ at the sample.
    right_vectors : complex ndarray, shape (samples, n, branches), or None
        Unit right eigenvectors with ``keep_vectors=True`` (NaN where not computed).
    events : list of :class:`WindowEvent`
        In the order of t.
    stats : dict
        Work counters and times (the command-line tool's names: ``factorizations``,
        ``iterations``, ``accepted_steps``, ``seconds``, …).
    k : int
        The window size.
    sigma : complex
        The target σ.
    n : int
        The matrix size.
    is_real : bool
        Whether the family was tracked in real arithmetic.

    ``window(s)`` gives the window at sample s, ``to_json()`` the command-line tool's JSON
    (``eigentrack track --nearest``), ``to_csv()`` its CSV; a WindowTracking pickles.
    """

    def __init__(self, state):
        self.t = state["t"]
        self.values = state["values"]
        self.slopes = state["slopes"]
        self.condition = state["condition"]
        self.in_window = state["in_window"]
        self.right_vectors = state["right"]
        self.events = [WindowEvent(**e) for e in state["events"]]
        self.stats = dict(state["stats"])
        self.k = int(state["k"])
        self.sigma = complex(state["sigma"])
        self.n = int(state["n"])
        self.is_real = bool(state["real"])

    def __len__(self):
        """The number of branches."""
        return self.values.shape[1]

    def __repr__(self):
        return (
            f"<eigentrack.WindowTracking: the {self.k} eigenvalues nearest σ = "
            f"{self.sigma:g} of a {self.n} × {self.n} family, {len(self.t)} samples on "
            f"[{self.t[0]}, {self.t[-1]}], {len(self)} branches, {len(self.events)} events>"
        )

    def window(self, s):
        """The window at sample ``s`` (negative counts from the end): a list of
        ``(branch, Re λ)`` of the k branches nearest σ, nearest first."""
        ns = len(self.t)
        if isinstance(s, bool) or not isinstance(s, numbers.Integral):
            raise TypeError(f"s: expected a sample index (int), got {s!r}")
        if not -ns <= s < ns:
            raise IndexError(f"s: sample {s} out of range for {ns} samples")
        s = int(s) % ns
        idx = np.flatnonzero(self.in_window[s] & ~np.isnan(self.values[s].real))
        dist = np.abs(self.values[s, idx] - self.sigma)
        order = idx[np.argsort(dist, kind="stable")]
        return [(int(b), float(self.values[s, b].real)) for b in order]

    def to_json(self):
        """The result as JSON text, in the format of ``eigentrack track --nearest``
        (``null`` where a branch is not computed)."""

        def num(x):
            x = float(x)
            return x if math.isfinite(x) else None

        def col(a, b, part):
            return [num(getattr(z, part)) for z in a[:, b]]

        branches = []
        for b in range(len(self)):
            branches.append({
                "re": col(self.values, b, "real"),
                "im": col(self.values, b, "imag"),
                "slope_re": col(self.slopes, b, "real"),
                "slope_im": col(self.slopes, b, "imag"),
                "cond": [num(x) for x in self.condition[:, b]],
                "in_window": [bool(x) for x in self.in_window[:, b]],
            })
        events = []
        for e in self.events:
            o = {"kind": e.kind, "t": num(e.t), "branches": list(e.branches)}
            if e.precision is not None:
                o["precision"] = num(e.precision)
            if e.t_end is not None:
                o["t_end"] = num(e.t_end)
            events.append(o)
        return json.dumps({
            "method": "nearest",
            "k": self.k,
            "sigma": {"re": num(self.sigma.real), "im": num(self.sigma.imag)},
            "n": self.n,
            "samples": [num(t) for t in self.t],
            "branches": branches,
            "events": events,
            "stats": self.stats,
        }, allow_nan=False)

    def to_csv(self):
        """Long-format CSV, header ``t,branch,re,im,slope_re,slope_im,in_window``, the
        computed samples only (the format of ``eigentrack track --nearest --csv``)."""
        lines = ["t,branch,re,im,slope_re,slope_im,in_window"]
        for i, t in enumerate(self.t):
            for b in range(len(self)):
                v, d = self.values[i, b], self.slopes[i, b]
                if np.isnan(v.real) or np.isnan(d.real):
                    continue
                lines.append(f"{t!r},{b},{v.real!r},{v.imag!r},{d.real!r},{d.imag!r},"
                             f"{'true' if self.in_window[i, b] else 'false'}")
        return "\n".join(lines) + "\n"


def _real(name, x):
    if x is None:
        return None
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(f"{name}: expected a real number, got {type(x).__name__} {x!r}")
    return float(x)


def _int(name, x, lo):
    if x is None:
        return None
    if isinstance(x, bool) or not isinstance(x, numbers.Integral):
        raise TypeError(f"{name}: expected an int, got {type(x).__name__} {x!r}")
    if x < lo:
        raise ValueError(f"{name}: must be at least {lo}, got {x}")
    return int(x)


def _form(name, obj, constant_ok):
    """("callable", f) or ("terms", [(coef, matrix), …]) for a family argument."""
    if callable(obj):
        return "callable", obj
    if isinstance(obj, (list, tuple)):
        terms = []
        for k, item in enumerate(obj):
            if not (isinstance(item, (list, tuple)) and len(item) == 2):
                raise TypeError(
                    f"{name}[{k}]: expected a term (coef, matrix), got {type(item).__name__}")
            terms.append((item[0], item[1]))
        if not terms:
            raise ValueError(f"{name}: expected at least one term (coef, matrix)")
        return "terms", terms
    if constant_ok and (hasattr(obj, "tocsc") or isinstance(obj, np.ndarray)):
        return "terms", [(1.0, obj)]
    what = "a callable mass(t), a list of terms (coef, matrix) or a constant matrix" \
        if constant_ok else \
        "a callable f(t) returning a scipy.sparse matrix, a list of terms (coef, matrix), " \
        "a family file path or an eigentrack.Family"
    raise TypeError(f"{name}: expected {what}, got {type(obj).__name__}")


def track_nearest(f, range=None, samples=201, *, k, sigma, mass=None, dtype=None,
                  tol=None, guard=None, warm_iterations=None, min_overlap=None,
                  prediction_ratio=None, cluster_tol=None, h_min=None,
                  keep_vectors=False, progress=None) -> WindowTracking:
    """Track the ``k`` eigenvalues of a large sparse A(t) nearest the target ``sigma``
    over ``range = (a, b)``, or those of the pencil A(t)x = λB(t)x with ``mass=B``.

    Nothing of size n × n is formed: shift-invert on a sparse factorisation of A(t) − σB(t)
    (LDLᵀ when real symmetric, LU otherwise), block Lanczos (Hermitian, real σ) or block
    Davidson warm-started from the previous step, and k + ``guard`` pairs at every
    step so that a level is followed before it enters the window (the Rust
    ``sparse::Nearest``; see README.md, "Large sparse families").

    Parameters
    ----------
    f : callable, list of terms, path, or Family
        * ``f(t)`` returning A(t) as a scipy.sparse matrix or array of any format
          (converted to CSC without densifying; a 2-D numpy array is accepted with all
          its entries); A′ by finite differences (relative error about 4e-11).
        * ``[(coef, matrix), ...]``: A(t) = Σ coef(t)·matrix with exact A′, A″. ``coef``
          is a number (a constant; complex allowed) or a callable ``coef(t)`` returning
          the real triple ``(c, c′, c″)``.
        * a family file path (str or ``os.PathLike``) or a :class:`Family` from
          :func:`load_family`: read by the sparse loader (``.mtx`` terms straight into
          CSC; the file's ``"mass"`` terms make it a pencil; a Family's parameter values
          are used); ``range`` defaults to the file's.
    range : (a, b)
        The interval (b < a tracks backwards).
    samples : int
        Uniform samples, both ends included (default 201).
    k : int
        The window size, 1 ≤ k < n.
    sigma : float or complex
        The target (finite); σ = 0 follows the eigenvalues of smallest magnitude.
    mass : callable, list of terms, or matrix, optional
        B(t) of the pencil, given like ``f`` (or a constant sparse matrix); same size.
    dtype : float or complex, optional
        Force real or complex arithmetic (default: complex when any matrix or constant
        coefficient is complex; σ may be complex either way).
    tol, guard, warm_iterations, min_overlap, prediction_ratio, cluster_tol, h_min
        The builder's options (defaults 1e-12, ⌈k/2⌉ + 2, 6, 0.5, 0.5, 1e-10, 1e-9; see
        the Rust ``sparse::Nearest``).
    keep_vectors : bool
        Keep the unit right eigenvectors at the samples.
    progress : callable, optional
        ``progress(fraction, t)`` after every accepted step; returning ``False`` stops
        the track with :class:`TrackInterrupted`. Signals (Ctrl-C) are checked after
        every step.

    Returns
    -------
    WindowTracking
        ``.t``, ``.values``, ``.slopes`` (complex, shape (samples, branches), NaN where a
        branch is not computed), ``.in_window``, ``.events``, ``.stats``, ``.window(s)``,
        ``.to_json()``.

    Raises
    ------
    ValueError, TypeError
        Bad input, naming the argument (``k``, ``sigma``, ``f(t) at t = 0.5``,
        ``mass[0] matrix``, …), t and the entry.
    Exception
        Whatever ``f``, ``mass``, a coefficient or ``progress`` raised, unchanged.

    The GIL is released while Rust works; it is taken back only to call your functions.
    """
    from ._api import Family, _dtype, _range

    if isinstance(k, bool) or not isinstance(k, numbers.Integral):
        raise TypeError(f"k: expected an int, got {type(k).__name__} {k!r}")
    if k < 1:
        raise ValueError(f"k: need at least one eigenvalue, got k = {k}")
    if isinstance(sigma, bool) or not isinstance(sigma, numbers.Number):
        raise TypeError(f"sigma: expected a real or complex number, got {type(sigma).__name__} {sigma!r}")
    sigma = complex(sigma)
    if not (math.isfinite(sigma.real) and math.isfinite(sigma.imag)):
        raise ValueError(f"sigma: the target must be finite, got {sigma}")
    if isinstance(samples, bool) or not isinstance(samples, numbers.Integral):
        raise TypeError(f"samples: expected an int, got {type(samples).__name__} {samples!r}")
    if samples < 2:
        raise ValueError(f"samples: must be at least 2, got {samples}")
    if progress is not None and not callable(progress):
        raise TypeError(f"progress: expected a callable progress(fraction, t), got {progress!r}")

    class _Opts:
        pass

    opts = _Opts()
    opts.__dict__.update({
        "k": int(k), "sigma": sigma, "samples": int(samples),
        "tol": _real("tol", tol), "guard": _int("guard", guard, 0),
        "warm_iterations": _int("warm_iterations", warm_iterations, 1),
        "min_overlap": _real("min_overlap", min_overlap),
        "prediction_ratio": _real("prediction_ratio", prediction_ratio),
        "cluster_tol": _real("cluster_tol", cluster_tol), "h_min": _real("h_min", h_min),
        "keep_vectors": bool(keep_vectors), "progress": progress,
    })
    r = None if range is None else _range(range)
    if isinstance(f, (Family, str, os.PathLike)):
        if mass is not None:
            raise TypeError("mass: a family file gives B(t) by its \"mass\" terms; do not pass mass=")
        if dtype is not None:
            raise TypeError("dtype: a family file's arithmetic is the file's; do not pass dtype=")
        if isinstance(f, Family):
            path, params = os.fspath(f.path), [(n, float(v)) for n, v in f.params.items()]
        else:
            path, params = os.fspath(f), []
        return WindowTracking(_rs._track_nearest_file(path, params, r, opts))
    f_kind, f_obj = _form("f", f, constant_ok=False)
    m_kind, m_obj = (None, None) if mass is None else _form("mass", mass, constant_ok=True)
    if r is None:
        raise TypeError("range: required (a, b) unless f is a family file")
    return WindowTracking(_rs._track_nearest(f_kind, f_obj, m_kind, m_obj, r, opts,
                                             _dtype(dtype)))

"""The public functions: track, eig and its derivatives, sensitivities."""

from __future__ import annotations

import math
import numbers
import os

import numpy as np

from typing import Any, Callable, Optional, Sequence, Union

from . import _eigentrack as _rs
from . import _progress
from ._types import EventSensitivity, Sensitivities

Family = _rs.Family
Tracking = _rs.Tracking
GAP_TOL = _rs.GAP_TOL


def load_family(path: Union[str, "os.PathLike[str]"]) -> Family:
    """Load an eigentrack family file (JSON, with inline or Matrix Market terms).

    The returned :class:`Family` is tracked entirely in Rust (no Python call per
    evaluation) with exact A′ and A″; ``family(t)`` gives A(t), ``family.params`` its
    parameters and ``family.with_params(g=0.1)`` a copy with others. It pickles (by path
    and parameter values), so it can be sent to the workers of a sweep.
    """
    return _rs.load_family(os.fspath(path))


def _finite(name: str, x: Any) -> float:
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(f"{name}: expected a real number, got {type(x).__name__} {x!r}")
    x = float(x)
    if not math.isfinite(x):
        raise ValueError(f"{name}: must be finite, got {x}")
    return x


def track(f: Union[Callable[[float], Any], Family],
          range: Optional[tuple[float, float]] = None, samples: int = 201, *,
          grid: Optional[Sequence[float]] = None, policy: str = "adiabatic",
          levels: Sequence[tuple[str, float]] = (), hermitian: Optional[bool] = None,
          keep_vectors: bool = False, curvatures: bool = True, events: bool = True,
          df: Optional[Callable[[float], Any]] = None,
          ddf: Optional[Callable[[float], Any]] = None, dtype: Any = None,
          progress: Union[None, bool, Callable[[float, float], Any]] = None,
          h_min: Optional[float] = None, h_max: Optional[float] = None,
          cluster_tol: Optional[float] = None, min_overlap: Optional[float] = None,
          prediction_ratio: Optional[float] = None, gap_tol: Optional[float] = None,
          avoided_gap_max: Optional[float] = None,
          max_decompositions: Optional[int] = None, resolution: str = "local") -> Tracking:
    """Track the eigenvalues of A(t) over ``range = (a, b)``.

    Parameters
    ----------
    f : callable or Family
        ``f(t)`` returns A(t) as a square numpy array (real or complex; a scipy.sparse
        matrix is densified: every eigenvalue is tracked), or a :class:`Family` from
        :func:`load_family` (then ``range`` defaults to the file's). For a large sparse
        A(t), follow the k eigenvalues nearest a target with :func:`track_nearest`.
    range : (a, b)
        The interval, a ≠ b; b < a tracks backwards.
    samples : int
        Uniform samples, both ends included (default 201, at least 2). ``grid=`` gives
        your own strictly monotone samples instead.
    policy : "adiabatic" or "diabatic"
        Through an avoided crossing, stay on the analytic (adiabatic) curve (default) or
        follow eigenvector character (diabatic).
    levels : list of (part, value)
        Report where ``part`` ("re", "im", "abs") of a branch crosses ``value``, e.g.
        ``[("re", 0.0)]`` for a change of stability. Default: none.
    hermitian : None, True or False
        The decomposition path: None (default) decides at every sample (Hermitian when
        max |aᵢⱼ − conj(aⱼᵢ)| ≤ 1e-12·max |aᵢⱼ|), True requires every A(t) to be
        Hermitian (an ``InputError`` names the first A(t) that is not: nothing is
        symmetrised silently), False never takes the Hermitian path.
    keep_vectors : bool
        Keep the right and left eigenvectors at every sample (default False).
    curvatures, events : bool
        Compute d²λ/dt² / locate events (both default True).
    df, ddf : callable, optional
        Exact A′(t) (and A″(t)); otherwise finite differences (relative error about
        4e-11 in A′ and 1.5e-8 in A″).
    dtype : float or complex, optional
        Force real or complex arithmetic (default: the dtype of f at the first sample).
    progress : None, True or callable
        ``True`` shows a progress bar (tqdm when installed, else a line on stderr);
        a callable ``progress(fraction, t)`` is called after every step, and returning
        ``False`` stops the track with :class:`TrackInterrupted`. Signals (Ctrl-C) are
        checked after every step either way.
    h_min : float
        Smallest step, relative to |b − a| (default 1e-12, valid 1e-15 … 0.1).
    h_max : float
        Largest step, relative to |b − a| (default 1, valid (h_min, 1]).
    cluster_tol : float
        Eigenvalues closer than cluster_tol·‖A‖_F are one degenerate group, for their
        slopes and analytic basis (default 1e-10, valid 1e-15 … 1e-3); it never decides a
        crossing.
    min_overlap : float
        Smallest eigenvector overlap |xᵢ(t)ᴴ xᵢ(t+h)| of a certain pairing (default 0.5,
        valid (0, 1)).
    prediction_ratio : float
        A pairing is certain when the prediction error is at most this fraction of the
        distance from the prediction to the nearest competing eigenvalue (default 0.5,
        valid (0, 1)).
    gap_tol : float
        Crossing tolerance relative to ‖A(t)‖_F (default ``GAP_TOL`` = 256·ε ≈ 5.7e-14,
        valid [ε, 0.1]): two branches whose certified gap lies below gap_tol·‖A‖_F cross,
        above it they avoid each other. Raise it to pass narrow gaps diabatically.
    avoided_gap_max : float
        Report every avoided crossing whose gap is below avoided_gap_max·‖A‖_F (default
        0, valid [0, ∞); ``numpy.inf`` reports them all). The sharp ones, narrower than
        the grid can show, are reported whatever this says; ``stats.avoided_crossings``
        counts every one seen.
    max_decompositions : int
        The work budget (default 64 per sample + 1024); spent, the track raises
        :class:`BudgetError`.
    resolution : "local" or "refine"
        "local" (default): answer a step's open questions on a local model of the few
        branches concerned, certified on the true A(t) by a residual bound, with a fresh
        decomposition only where the certificate fails; "refine": fresh decompositions
        for every question (the first version's path, for comparison).

    Returns
    -------
    Tracking
        ``.t``, ``.values``, ``.slopes``, ``.curvatures`` (numpy, shape
        (n_samples, n_branches); float64 when every eigenvalue is real at every sample,
        complex128 otherwise), ``.events``, ``.stats``, ``.plot(path)`` /
        ``.plot(ax=…)``, ``.to_json()``, ``.to_xarray()``, ``.to_pandas()``.

    Raises
    ------
    ValueError, TypeError
        For bad input, naming the argument, t and the index (all options are checked
        once, in Rust).
    Exception
        Whatever ``f``, ``df``, ``ddf`` or ``progress`` raised, unchanged.
    """
    opts: dict[str, Any] = {"samples": samples, "policy": policy, "levels": levels, "hermitian": hermitian,
            "keep_vectors": keep_vectors, "curvatures": curvatures, "events": events,
            "h_min": h_min, "h_max": h_max, "cluster_tol": cluster_tol,
            "min_overlap": min_overlap, "prediction_ratio": prediction_ratio,
            "gap_tol": gap_tol,
            "avoided_gap_max": avoided_gap_max, "max_decompositions": max_decompositions,
            "resolution": resolution}

    def work(cb: Any) -> Tracking:
        opts["progress"] = cb
        return _rs._track(f, range, grid, opts, df, ddf, dtype)

    return _progress.run(progress, "eigentrack.track", work)


def eig(a: Any, left: bool = False, hermitian: Optional[bool] = None) -> tuple[Any, ...]:
    """Eigenvalues and eigenvectors of a square matrix, like ``scipy.linalg.eig``.

    Returns ``(w, vr)``, or ``(w, vl, vr)`` with ``left=True``: eigenvalues (complex,
    ascending by real then imaginary part), unit right eigenvectors as columns, and left
    eigenvectors scaled so that ``vl.conj().T @ vr = I``. Real input is decomposed in
    real arithmetic (complex eigenvalues in exact conjugate pairs).
    """
    return _rs._eig(a, bool(left), hermitian)


def eigh(a: Any, UPLO: str = "L") -> tuple[Any, Any]:
    """Ascending real eigenvalues and orthonormal eigenvectors of a Hermitian matrix,
    like ``numpy.linalg.eigh``: only the lower (``UPLO="L"``, default) or upper
    (``UPLO="U"``) triangle of ``a`` is read, the other is taken to be its conjugate
    transpose (the imaginary part of the diagonal is ignored).

    Returns ``(w, v)``: float64 eigenvalues and the eigenvectors as columns (real for
    real input).
    """
    if UPLO not in ("L", "U"):
        raise ValueError(f"UPLO: expected 'L' or 'U', got {UPLO!r}")
    m = np.asarray(a.toarray() if hasattr(a, "toarray") and not isinstance(a, np.ndarray) else a)
    if m.ndim == 2 and m.shape[0] == m.shape[1] and m.dtype.kind in "biufc":
        tri = np.tril(m) if UPLO == "L" else np.triu(m)
        off = np.tril(m, -1) if UPLO == "L" else np.triu(m, 1)
        m = tri + off.conj().T
        if m.dtype.kind == "c":
            m[np.diag_indices_from(m)] = m.diagonal().real
    return _rs._eigh(m)


def eig_jvp(a: Any, da: Any) -> tuple[Any, Any]:
    """Forward-mode derivative of :func:`eig`: ``(dw, dv)`` for the direction ``da``.

    ``dw[i] = y_iᴴ dA x_i``; ``dv`` in the parallel-transport gauge (x_iᴴ dx_i = 0).
    Raises :class:`IllDefinedError` at a repeated eigenvalue (the eigenvectors are not
    differentiable there) or a defective one.
    """
    return _rs._eig_jvp(a, da)


def eig_vjp(a: Any, w_bar: Any, v_bar: Any = None) -> Any:
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


def sensitivities(f: Union[Callable[[float, Any], Any], Family], params: Any,
                  range: Optional[tuple[float, float]] = None, samples: int = 201, *,
                  df: Optional[Callable[[float, Any], Any]] = None,
                  dp: Optional[Callable[[float, Any], Any]] = None, dtype: Any = None,
                  **options: Any) -> Sensitivities:
    """Parameter sensitivities along the branches and of the events.

    ``f(t, p)`` returns A(t; p) (p a 1-D float array); ``params`` is the point p. Or
    ``f`` is a :class:`Family` and ``params`` a dict of its parameter names and values
    (exact ∂A/∂p). ``dp(t, p)`` may give the list of ∂A/∂p_k exactly (else central
    differences). Other keyword options are those of :func:`track`.

    Returns :class:`Sensitivities`: ``dlambda[i, b, k]`` = ∂λ_b/∂p_k at sample i, and
    for every located crossing and level event dt*/dp.
    """
    opts: dict[str, Any] = dict(options)
    opts["samples"] = samples
    opts["keep_vectors"] = True
    progress = opts.pop("progress", None)
    if isinstance(f, Family):
        if not isinstance(params, dict):
            raise TypeError("params: for a Family, a dict {name: value} of its parameters")
        fam = f.with_params(**{k: _finite(f"params[{k!r}]", v) for k, v in params.items()})
        names = list(params)

        def work_file(cb: Any) -> Any:
            opts["progress"] = cb
            return _rs._sensitivities_file(fam, names, range, opts)

        tr, p, dl, evs = _progress.run(progress, "eigentrack.sensitivities", work_file)
        return _sens(tr, p, dl, evs, tuple(names))
    if not callable(f):
        raise TypeError(f"f: expected a callable f(t, p) or an eigentrack.Family, got {type(f).__name__}")
    p = np.asarray(params, dtype=float)
    if p.ndim != 1:
        raise ValueError(f"params: expected a 1-D sequence of floats, got shape {p.shape}")
    bad = np.flatnonzero(~np.isfinite(p))
    if bad.size:
        raise ValueError(f"params: entry [{bad[0]}] is not finite ({p[bad[0]]})")

    def work(cb: Any) -> Any:
        opts["progress"] = cb
        return _rs._sensitivities(f, [float(x) for x in p], range, opts, df, dp, dtype)

    tr, p, dl, evs = _progress.run(progress, "eigentrack.sensitivities", work)
    return _sens(tr, p, dl, evs, None)


def _sens(tr: Any, p: Any, dl: Any, evs: Any, names: Optional[tuple[str, ...]]) -> Sensitivities:
    events = [EventSensitivity(event=i, t=t, dt_dp=d, error=e, coupling=c)
              for (i, t, d, e, c) in evs]
    return Sensitivities(tracking=tr, params=p, dlambda=dl, events=events, names=names)


def plot_sweep(path: Union[str, "os.PathLike[str]"], runs: Sequence[tuple[float, Tracking]],
               label: str = "p", part: str = "re") -> None:
    """Draw a sweep: ``runs`` is a list of ``(p, tracking)``; the curves of part(λ)
    ("re", "im", "abs") of every run, coloured by p with a colour bar titled ``label``."""
    runs = [(float(p), t) for p, t in runs]
    _rs._plot_sweep(os.fspath(path), runs, label, part)

"""The sparse path: the k eigenvalues of a large sparse A(t) nearest a target σ."""

from __future__ import annotations

import os
from typing import Any, Callable, Optional, Union

import numpy as np

from . import _eigentrack as _rs
from . import _progress
from ._types import WindowEvent

__all__ = ["WindowEvent", "WindowTracking", "track_nearest"]


WindowTracking = _rs.WindowTracking


def _form(name: str, obj: Any, constant_ok: bool) -> tuple[str, Any]:
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


def track_nearest(f: Any, range: Optional[tuple[float, float]] = None, samples: int = 201, *,
                  k: int, sigma: complex, mass: Any = None, dtype: Any = None,
                  tol: Optional[float] = None, guard: Optional[int] = None,
                  warm_iterations: Optional[int] = None, min_overlap: Optional[float] = None,
                  prediction_ratio: Optional[float] = None,
                  cluster_tol: Optional[float] = None, h_min: Optional[float] = None,
                  keep_vectors: bool = False,
                  progress: Union[None, bool, Callable[[float, float], Any]] = None
                  ) -> WindowTracking:
    """Track the ``k`` eigenvalues of a large sparse A(t) nearest the target ``sigma``
    over ``range = (a, b)``, or those of the pencil A(t)x = λB(t)x with ``mass=B``.

    Nothing of size n × n is formed: shift-invert on a sparse factorisation of A(t) − σB(t)
    (LDLᵀ when real symmetric, LU otherwise), block Lanczos (Hermitian, real σ) or block
    Davidson warm-started from the previous step, and k + ``guard`` pairs at every
    step so that a level is followed before it enters the window (the Rust
    ``sparse::Nearest``; see docs/src/sparse.md).

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
    tol : float
        Residual tolerance relative to ‖A(t)‖₁ (default 1e-12, valid [1e-15, 1e-4]): the
        k window pairs reach ‖Axᵢ − λᵢxᵢ‖ ≤ tol·‖A‖₁, the guard pairs 10⁴·tol·‖A‖₁.
    guard : int
        Pairs computed beyond the k of the window, so that a level is followed before it
        enters (default ⌈k/2⌉ + 2).
    warm_iterations : int
        Davidson iterations allowed on the last factorisation before A(t) − σI is
        factorised anew (default 6, valid 1 … 100).
    min_overlap : float
        Smallest eigenvector overlap of a certain pairing (default 0.5, valid (0, 1)).
    prediction_ratio : float
        A pairing is certain when the prediction error is at most this fraction of the
        distance to the nearest competitor (default 0.5, valid (0, 1)).
    cluster_tol : float
        Eigenvalues closer than cluster_tol·‖A‖ form one degenerate group (default
        1e-10, valid [1e-15, 1e-3]).
    h_min : float
        Smallest step relative to the range (default 1e-9, valid [1e-14, 0.1]); a pairing
        still in question there is accepted and reported as an ``unresolved`` event.
    keep_vectors : bool
        Keep the unit right eigenvectors at the samples.
    progress : None, True or callable
        ``True`` shows a progress bar (tqdm when installed, else a line on stderr); a
        callable ``progress(fraction, t)`` is called after every accepted step, and
        returning ``False`` stops the track with :class:`TrackInterrupted`. Signals
        (Ctrl-C) are checked after every step.

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
    from ._api import Family

    opts: dict[str, Any] = {"k": k, "sigma": sigma, "samples": samples, "tol": tol, "guard": guard,
            "warm_iterations": warm_iterations, "min_overlap": min_overlap,
            "prediction_ratio": prediction_ratio, "cluster_tol": cluster_tol,
            "h_min": h_min, "keep_vectors": keep_vectors}
    if isinstance(f, (Family, str, os.PathLike)):
        if mass is not None:
            raise TypeError("mass: a family file gives B(t) by its \"mass\" terms; do not pass mass=")
        if dtype is not None:
            raise TypeError("dtype: a family file's arithmetic is the file's; do not pass dtype=")
        if isinstance(f, Family):
            path, params = os.fspath(f.path), [(n, float(v)) for n, v in f.params.items()]
        else:
            path, params = os.fspath(f), []

        def work_file(cb: Any) -> WindowTracking:
            opts["progress"] = cb
            return _rs._track_nearest_file(path, params, range, opts)

        return _progress.run(progress, "eigentrack.track_nearest", work_file)
    f_kind, f_obj = _form("f", f, constant_ok=False)
    m_kind, m_obj = (None, None) if mass is None else _form("mass", mass, constant_ok=True)

    def work(cb: Any) -> WindowTracking:
        opts["progress"] = cb
        return _rs._track_nearest(f_kind, f_obj, m_kind, m_obj, range, opts, dtype)

    return _progress.run(progress, "eigentrack.track_nearest", work)

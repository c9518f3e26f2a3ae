"""Parameter sweeps on any ``concurrent.futures.Executor``."""

from __future__ import annotations

import concurrent.futures
import numbers
import pickle
from typing import Any, Iterable, Optional

import numpy as np

from ._api import Family, sensitivities as _sensitivities, track as _track
from ._errors import SweepError
from ._progress import Bar


class _Bound:
    """t ↦ f(t, p) for a fixed p (a picklable closure when f is)."""

    def __init__(self, f, p):
        self.f = f
        self.p = p

    def __call__(self, t):
        return self.f(t, self.p)


def _point(f, p, range_, with_sensitivities, options):
    """One point of a sweep (runs on a worker)."""
    if with_sensitivities:
        return _sensitivities(f, p, range_, **options)
    if isinstance(f, Family):
        return _track(f.with_params(**p), range_, **options)
    return _track(_Bound(f, np.asarray(p, dtype=float)), range_, **options)


def _normalise(f, params):
    out = []
    for k, p in enumerate(params):
        if isinstance(f, Family):
            if not isinstance(p, dict):
                raise TypeError(
                    f"params[{k}]: for a Family each point is a dict {{name: value}}, got {p!r}"
                )
            out.append(dict(p))
        else:
            if isinstance(p, numbers.Real):
                p = [p]
            arr = np.asarray(p, dtype=float)
            if arr.ndim != 1:
                raise ValueError(f"params[{k}]: expected a 1-D sequence of floats, got shape {arr.shape}")
            out.append(arr)
    return out


def _show(p):
    if isinstance(p, np.ndarray):
        return repr(p.tolist())
    return repr(p)


def _check_picklable(f, executor):
    """A process pool sends ``f`` to its workers with the standard pickle: a lambda or a
    local function cannot go, and the pool would report it only as the failure of a
    point. Say so up front, naming ``f``."""
    if not isinstance(executor, concurrent.futures.ProcessPoolExecutor):
        return
    try:
        pickle.dumps(f)
    except Exception as e:  # pickle raises PicklingError, AttributeError, TypeError
        raise TypeError(
            f"f: cannot be sent to the ProcessPoolExecutor's workers: it does not pickle "
            f"({type(e).__name__}: {e}). Define f at module level (not a lambda or a local "
            f"function), pass a Family from load_family, or use executor=None or a Dask "
            f"executor (which pickles lambdas with cloudpickle)"
        ) from e


def _unpicklable(e):
    """Whether ``e`` is the executor failing to pickle the work, not the point failing."""
    return isinstance(e, pickle.PicklingError) or (
        isinstance(e, (AttributeError, TypeError)) and "pickle" in str(e).lower()
    )


def sweep(f: Any, params: Iterable[Any], range: Optional[tuple[float, float]] = None,
          samples: int = 201, *, executor: Any = None, sensitivities: bool = False,
          progress: Optional[bool] = None, **options: Any) -> list[Any]:
    """Track (or, with ``sensitivities=True``, differentiate) a family at every point of
    ``params``, on ``executor``.

    ``f(t, p)`` returns A(t; p), with p a 1-D float array (a number in ``params`` is a
    one-parameter point); or ``f`` is a :class:`Family` and each point a dict of its
    parameters. ``samples`` and ``options`` are those of :func:`track`; ``progress=True``
    shows a bar over the points (tqdm when installed, else a line on stderr).

    ``executor`` is any ``concurrent.futures.Executor``: ``None`` runs the points one
    after the other in this process; a ``ProcessPoolExecutor``, or a Dask
    ``distributed.Client(...).get_executor()`` (one machine or many) spreads them. Then
    ``f`` and the results cross process boundaries by pickling (a module-level function
    or a Family; results pickle).

    Returns the results (:class:`Tracking` or :class:`Sensitivities`) in input order.
    The first failed point in input order raises :class:`SweepError` naming its index
    and parameters, with the original exception as ``__cause__``; the points not yet
    started are cancelled.
    """
    if executor is not None and not isinstance(executor, concurrent.futures.Executor):
        if not hasattr(executor, "submit"):
            raise TypeError(
                f"executor: expected a concurrent.futures.Executor, got {type(executor).__name__}"
            )
    if "keep_vectors" in options and sensitivities:
        options.pop("keep_vectors")
    if progress not in (None, True, False):
        raise TypeError(f"progress: expected True, False or None for a sweep, got {progress!r}")
    options["samples"] = samples
    if not isinstance(f, Family):
        if not callable(f):
            raise TypeError(f"f: expected a callable f(t, p) or an eigentrack.Family, got {type(f).__name__}")
        if range is None and options.get("grid") is None:
            raise TypeError("range: required (a, b) for a callable f, unless grid= is given")
    points = _normalise(f, params)
    bar = Bar("eigentrack.sweep", total=len(points), unit="point") if progress else None
    try:
        if executor is None:
            results = []
            for k, p in enumerate(points):
                try:
                    results.append(_point(f, p, range, sensitivities, options))
                except (KeyboardInterrupt, SystemExit):
                    raise
                except BaseException as e:
                    raise SweepError(
                        f"sweep point {k} (params {_show(p)}) failed: {type(e).__name__}: {e}",
                        k, _show(p),
                    ) from e
                if bar is not None:
                    bar.step()
            return results
        _check_picklable(f, executor)
        futures = [executor.submit(_point, f, p, range, sensitivities, options)
                   for p in points]
        results = []
        try:
            for k, (fut, p) in enumerate(zip(futures, points)):
                try:
                    results.append(fut.result())
                except (KeyboardInterrupt, SystemExit):
                    raise
                except BaseException as e:
                    if _unpicklable(e):
                        raise SweepError(
                            f"the executor could not send sweep point {k} to a worker or "
                            f"its result back: {type(e).__name__}: {e} (f, the parameters "
                            f"and the options must pickle)", k, _show(p),
                        ) from e
                    raise SweepError(
                        f"sweep point {k} (params {_show(p)}) failed: {type(e).__name__}: {e}",
                        k, _show(p),
                    ) from e
                if bar is not None:
                    bar.step()
        except BaseException:
            for fut in futures:
                fut.cancel()
            raise
        return results
    finally:
        if bar is not None:
            bar.close()

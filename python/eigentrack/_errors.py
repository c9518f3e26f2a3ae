"""The exceptions of eigentrack.

Bad input is a ``ValueError`` or ``TypeError`` (:class:`InputError` is a ``ValueError``);
an exception raised by *your* function ``f`` (or ``df``, ``progress``, …) is never wrapped:
it comes out unchanged, and so does ``KeyboardInterrupt``.
"""

from __future__ import annotations

from typing import Any, Optional


class EigentrackError(Exception):
    """Base class of the errors eigentrack itself raises."""


class InputError(EigentrackError, ValueError):
    """Invalid input: an option out of range, a matrix that is not square or not finite,
    a malformed family file. The message names the argument, t and the index."""


class IllDefinedError(EigentrackError, ValueError):
    """A derivative that does not exist: a loss that depends on eigenvector phases, a
    cotangent that is not invariant inside a cluster of repeated eigenvalues, an
    eigenvector derivative at a repeated eigenvalue, or a defective eigenvalue."""


class BudgetError(EigentrackError, RuntimeError):
    """The work budget of a track (``max_decompositions``) is spent."""


class ConvergenceError(EigentrackError, ArithmeticError):
    """An eigen-decomposition did not converge."""


class TrackInterrupted(EigentrackError):
    """The ``progress`` callback returned ``False``: the track was stopped.

    ``t`` is the parameter reached (the last accepted step)."""

    def __init__(self, message: str, t: Optional[float] = None) -> None:
        super().__init__(message)
        self.t = t

    def __reduce__(self) -> Any:
        return (type(self), (self.args[0], self.t))


class OutputError(EigentrackError, OSError):
    """Writing a figure or a file failed."""


class SweepError(EigentrackError):
    """A point of a sweep failed. ``index`` and ``params`` name it; the original
    exception is ``__cause__``."""

    def __init__(self, message: str, index: Optional[int] = None, params: Any = None) -> None:
        super().__init__(message)
        self.index = index
        self.params = params

    def __reduce__(self) -> Any:
        return (type(self), (self.args[0], self.index, self.params))

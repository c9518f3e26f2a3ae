"""eigentrack: follow the eigenvalues of a parameter-dependent matrix A(t) through
crossings, with exact derivatives and located events.

>>> import numpy as np, eigentrack
>>> tr = eigentrack.track(lambda t: np.array([[t, 1e-3], [1e-3, -t]]), (-1, 1))
>>> [e.kind for e in tr.events]
['avoided_crossing']

The Rust library does the work with the GIL released; ``f`` is called back for every
A(t) it needs. For a large sparse A(t) (scipy.sparse), :func:`track_nearest` follows the
k eigenvalues nearest a target σ (also of a pencil A(t)x = λB(t)x) without densifying. See docs/src/python.md (the book's "The Python package") for the quick start.
"""

from ._api import (
    GAP_TOL,
    Family,
    Tracking,
    eig,
    eig_jvp,
    eig_vjp,
    eigh,
    load_family,
    plot_sweep,
    sensitivities,
    track,
)
from ._nearest import WindowTracking, track_nearest
from ._errors import (
    BudgetError,
    ConvergenceError,
    EigentrackError,
    IllDefinedError,
    InputError,
    OutputError,
    SweepError,
    TrackInterrupted,
)
from ._sweep import sweep
from ._types import (
    AvoidedCrossing,
    Crossing,
    Event,
    EventSensitivity,
    ExceptionalPoint,
    LevelCrossing,
    Sensitivities,
    Stats,
    Touching,
    Unresolved,
    WindowEvent,
)

__all__ = [
    "AvoidedCrossing", "BudgetError", "ConvergenceError", "Crossing", "EigentrackError",
    "Event", "EventSensitivity", "ExceptionalPoint", "Family", "GAP_TOL",
    "IllDefinedError", "InputError", "LevelCrossing", "OutputError", "Sensitivities",
    "Stats", "SweepError", "Touching", "TrackInterrupted", "Tracking", "Unresolved", "eig", "eig_jvp",
    "eig_vjp", "eigh", "load_family", "plot_sweep", "sensitivities", "sweep", "track",
    "track_nearest", "WindowEvent", "WindowTracking",
]

__version__ = "0.1.0"

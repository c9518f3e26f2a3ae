"""Typed results: events, statistics, sensitivities."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Optional

import numpy as np


@dataclass(frozen=True)
class Event:
    """Something that happens along a track.

    ``kind`` is ``"crossing"``, ``"touching"``, ``"avoided_crossing"``,
    ``"exceptional_point"``, ``"level"`` or ``"unresolved"``; ``t`` the location; ``branches`` the branch
    indices (ascending); ``value`` the eigenvalue at the event (for an avoided crossing
    the midpoint of the pair); ``gap`` the minimum gap of an avoided crossing (``None``
    for the other kinds); ``values`` the eigenvalues of ``branches`` at ``t`` where the
    event determines them (a crossing's common value twice, a real avoided crossing's
    midpoint ∓ gap/2, a level event's value), else ``None``.
    """

    kind: str
    t: float
    branches: tuple
    value: Optional[complex] = None
    gap: Optional[float] = None

    @property
    def values(self) -> Optional[tuple]:
        """The eigenvalues of ``branches`` at ``t`` where the event determines them."""
        if self.value is None:
            return None
        if self.kind in ("crossing", "touching", "exceptional_point"):
            return (self.value, self.value)
        if self.kind == "avoided_crossing":
            if self.value.imag != 0.0:
                return None
            return (self.value - self.gap / 2, self.value + self.gap / 2)
        return (self.value,)


@dataclass(frozen=True)
class Crossing(Event):
    """Two branches meet at ``t``; ``slopes`` are dλ/dt of each branch there."""

    slopes: tuple = ()


@dataclass(frozen=True)
class Touching(Event):
    """Two branches meet at ``t`` without exchanging order (an even-order contact: ±t²,
    a tangency, a symmetry-forced degeneracy with equal slopes); ``slopes`` are dλ/dt of
    each branch there."""

    slopes: tuple = ()


@dataclass(frozen=True)
class AvoidedCrossing(Event):
    """A gap minimum that stays open: ``gap``, its certified ``gap_bounds`` and the
    ``slope_difference`` of the diabatic states."""

    gap_bounds: tuple = ()
    slope_difference: float = float("nan")


@dataclass(frozen=True)
class ExceptionalPoint(Event):
    """Two eigenvalues and their eigenvectors coalesce (κ → ∞)."""


@dataclass(frozen=True)
class LevelCrossing(Event):
    """``part`` (``"re"``, ``"im"``, ``"abs"``) of a branch crosses ``level``."""

    part: str = "re"
    level: float = 0.0


@dataclass(frozen=True)
class Unresolved(Event):
    """A step from ``t`` to ``t_end`` whose pairing could not be certified."""

    t_end: float = float("nan")


_KINDS = {
    "crossing": Crossing,
    "touching": Touching,
    "avoided_crossing": AvoidedCrossing,
    "exceptional_point": ExceptionalPoint,
    "level": LevelCrossing,
    "unresolved": Unresolved,
}


def _num(x):
    """A number of the JSON model: null is NaN, "inf"/"-inf" are ±∞."""
    if x is None:
        return math.nan
    return float(x)


def _event(d):
    """The typed event of one event of the library's serde model (a dict of its JSON)."""
    cls = _KINDS[d["kind"]]
    kw = {"kind": d["kind"], "t": _num(d["t"]), "branches": tuple(d["branches"])}
    if "re" in d or "im" in d:
        kw["value"] = complex(_num(d.get("re")), _num(d.get("im")))
    if "gap" in d:
        kw["gap"] = _num(d["gap"])
    if "slopes_re" in d:
        kw["slopes"] = tuple(complex(_num(r), _num(i))
                             for r, i in zip(d["slopes_re"], d["slopes_im"]))
    if "gap_bounds" in d:
        kw["gap_bounds"] = tuple(_num(x) for x in d["gap_bounds"])
    if "slope_difference" in d:
        kw["slope_difference"] = _num(d["slope_difference"])
    if "part" in d:
        kw["part"] = d["part"]
    if "level" in d:
        kw["level"] = _num(d["level"])
    if "t_end" in d:
        kw["t_end"] = _num(d["t_end"])
    return cls(**kw)


@dataclass(frozen=True)
class WindowEvent:
    """An event of a windowed track (:func:`eigentrack.track_nearest`).

    ``kind`` is ``"window_entry"`` (a branch becomes one of the k nearest σ),
    ``"window_exit"`` (the branch it replaces leaves), ``"crossing"`` (two window branches
    whose real eigenvalues pass through each other), ``"touching"`` (they meet without
    exchanging order), ``"left_band"`` (a branch is no longer computed after ``t``: it
    left the guard band) or ``"unresolved"`` (a step from ``t`` to ``t_end`` whose
    pairing stayed in question at the smallest step); ``branches`` the branch indices
    concerned (ascending for a crossing); ``precision`` the size of the last Newton
    correction of a located ``t`` (entries, exits, crossings), else ``None``.
    """

    kind: str
    t: float
    branches: tuple
    precision: Optional[float] = None
    t_end: Optional[float] = None


def _window_event(d):
    """The typed event of one windowed event of the library's serde model."""
    return WindowEvent(
        kind=d["kind"], t=_num(d["t"]), branches=tuple(d["branches"]),
        precision=None if "precision" not in d else _num(d["precision"]),
        t_end=None if "t_end" not in d else _num(d["t_end"]),
    )


@dataclass(frozen=True)
class Stats:
    """Counts and timings of a track (see the Rust ``Stats``)."""

    decompositions: int
    budget: int
    budget_used: int
    accepted_steps: int
    rejected_steps: int
    unresolved_steps: int
    crossing_checks: int
    local_models: int
    certificate_evaluations: int
    fallbacks: int
    avoided_crossings: int
    seconds: float
    decomposition_seconds: float
    analysis_seconds: float
    matching_seconds: float
    event_seconds: float
    local_seconds: float

    def as_dict(self) -> dict:
        """The counts and timings as a dict."""
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class EventSensitivity:
    """dt*/dp of a located crossing or level event: ``event`` is its index in
    ``tracking.events``; ``dt_dp`` an array of length m, or ``None`` with ``error``
    saying why it does not exist (a tangential level crossing); ``coupling`` how much
    each ∂A/∂p_k couples the two branches of a crossing."""

    event: int
    t: float
    dt_dp: Optional[np.ndarray]
    error: Optional[str]
    coupling: np.ndarray


@dataclass
class Sensitivities:
    """The result of :func:`eigentrack.sensitivities`: the ``tracking`` at ``params``,
    ``dlambda`` (∂λ/∂p_k along every branch, complex, shape (samples, branches, m)) and
    the ``events``' dt*/dp. Pickles (for sweeps across processes)."""

    tracking: object
    params: np.ndarray
    dlambda: np.ndarray
    events: list = field(default_factory=list)
    names: Optional[tuple] = None

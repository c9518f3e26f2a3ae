"""Typed results: events, statistics, sensitivities."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Optional

import numpy as np


@dataclass(frozen=True)
class Event:
    """Something that happens along a track.

    ``kind`` is ``"crossing"``, ``"avoided_crossing"``, ``"exceptional_point"``,
    ``"level"`` or ``"unresolved"``; ``t`` the location; ``branches`` the branch
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
    def values(self):
        if self.value is None:
            return None
        if self.kind in ("crossing", "exceptional_point"):
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
    "avoided_crossing": AvoidedCrossing,
    "exceptional_point": ExceptionalPoint,
    "level": LevelCrossing,
    "unresolved": Unresolved,
}


def _event(d):
    cls = _KINDS[d["kind"]]
    names = {f.name for f in dataclasses.fields(cls)}
    return cls(**{k: v for k, v in d.items() if k in names})


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

    def as_dict(self):
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

"""A typed use of eigentrack, checked by ``mypy --strict`` in CI (and run by it)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

import eigentrack as et


def landau_zener(t: float) -> npt.NDArray[np.float64]:
    return np.array([[t, 0.2], [0.2, -t]])


def gaps(tr: et.Tracking) -> list[float]:
    return [e.gap for e in tr.events if isinstance(e, et.AvoidedCrossing) and e.gap is not None]


def main() -> None:
    tr: et.Tracking = et.track(landau_zener, (-1.0, 1.0), 101, avoided_gap_max=np.inf)
    values: npt.NDArray[np.float64] = tr.values
    assert values.shape == (tr.n_samples, tr.n_branches) == (101, 2)
    assert abs(gaps(tr)[0] - 0.4) < 1e-9
    stats: et.Stats = tr.stats
    assert stats.decompositions >= 101
    back = et.Tracking.from_json(tr.to_json())
    assert back.n_samples == 101
    w, v = et.eigh(np.eye(2))
    assert w.shape == (2,)
    runs: list[et.Tracking] = et.sweep(lambda t, p: np.diag([t, -t * p[0]]), [1.0, 2.0],
                                       (0.0, 1.0), 5)
    assert len(runs) == 2


if __name__ == "__main__":
    main()

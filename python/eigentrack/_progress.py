"""``progress=True``: a tqdm bar when tqdm is installed, else one plain line on stderr."""

from __future__ import annotations

import sys
import time
from typing import Any, Callable, Optional


class Bar:
    """A progress display fed with ``(fraction, t)``: tqdm's bar if ``import tqdm``
    works, else a line on stderr rewritten at most five times a second."""

    STEPS = 1000

    def __init__(self, desc: str, total: Optional[int] = None, unit: str = "") -> None:
        self.desc = desc
        self.total = total
        self.done = 0
        self._bar: Any = None
        self._last = 0.0
        self._line = False
        try:
            import tqdm  # noqa: F401  (optional)

            self._bar = tqdm.tqdm(total=total if total is not None else self.STEPS,
                                  desc=desc, unit=unit or "it", leave=True)
        except ImportError:
            self._bar = None

    def __call__(self, fraction: float, t: float) -> None:
        """One step of a track: ``fraction`` of the range done, at ``t``."""
        done = int(round(min(max(fraction, 0.0), 1.0) * self.STEPS))
        if self._bar is not None:
            if done > self.done:
                self._bar.update(done - self.done)
                self._bar.set_postfix_str(f"t = {t:.6g}", refresh=False)
        else:
            now = time.monotonic()
            if now - self._last >= 0.2 or done >= self.STEPS:
                self._last = now
                sys.stderr.write(f"\r{self.desc}: {100 * fraction:5.1f}%  t = {t:.6g}")
                sys.stderr.flush()
                self._line = True
        self.done = max(done, self.done)

    def step(self, n: int = 1) -> None:
        """``n`` more items of a counted task (the points of a sweep)."""
        self.done += n
        if self._bar is not None:
            self._bar.update(n)
        else:
            sys.stderr.write(f"\r{self.desc}: {self.done}/{self.total}")
            sys.stderr.flush()
            self._line = True

    def close(self) -> None:
        """End the display (the stderr line gets its newline)."""
        if self._bar is not None:
            self._bar.close()
        elif self._line:
            sys.stderr.write("\n")
            sys.stderr.flush()


def callback(progress: Any, desc: str) -> tuple[Any, Optional[Bar]]:
    """What to hand the Rust tracker for ``progress=``: the user's callable unchanged, a
    :class:`Bar` for ``True``, ``None`` for ``None``/``False``; anything else is passed on
    for Rust to reject with an error naming ``progress``."""
    if progress is True:
        bar = Bar(desc)
        return bar, bar
    if progress is None or progress is False:
        return None, None
    return progress, None


def run(progress: Any, desc: str, work: Callable[[Any], Any]) -> Any:
    """Run ``work(callback)`` with the display of ``progress``, closed afterwards."""
    cb, bar = callback(progress, desc)
    try:
        return work(cb)
    finally:
        if bar is not None:
            bar.close()

"""The progress bar of ``optimize``: trials done, elapsed time, best value so far."""

from __future__ import annotations

import threading
from typing import Any

from tunelab._records import FrozenTrial, StudyDirection, TrialState

__all__ = ["ProgressBar"]


class ProgressBar:
    """A tqdm bar updated after each finished trial (a no-op when disabled).

    Args:
        enabled: Show the bar.
        n_trials: The trial budget (the bar's total), if any.
        timeout: The time budget, shown in the description when there is no trial budget.
        direction: The single direction to track a best value for (None: multi-objective).
        best: The best value already in the study.
    """

    def __init__(
        self,
        enabled: bool,
        n_trials: int | None,
        timeout: float | None,
        direction: StudyDirection | None,
        best: float | None,
    ) -> None:
        self._bar: Any = None
        self._direction = direction
        self._best = best
        self._lock = threading.Lock()
        if enabled:
            from tqdm.auto import tqdm

            desc = (
                "tunelab"
                if n_trials is not None or timeout is None
                else f"tunelab (timeout {timeout:g}s)"
            )
            self._bar = tqdm(total=n_trials, desc=desc, unit="trial", dynamic_ncols=True)
            if best is not None:
                self._bar.set_postfix_str(f"best={best:.6g}", refresh=False)

    def update(self, trial: FrozenTrial) -> None:
        """Count a finished trial and refresh the best value."""
        if self._bar is None:
            return
        with self._lock:
            if (
                self._direction is not None
                and trial.state is TrialState.COMPLETE
                and trial.values is not None
            ):
                value = trial.values[0]
                if self._best is None or self._direction.better(value, self._best):
                    self._best = value
            if self._best is not None:
                self._bar.set_postfix_str(f"best={self._best:.6g}", refresh=False)
            self._bar.update(1)

    def close(self) -> None:
        """Finish the bar."""
        if self._bar is not None:
            self._bar.close()

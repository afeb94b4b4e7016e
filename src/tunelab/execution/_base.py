"""The executor contract: where and how many trials run at once.

An executor knows nothing about samplers or storages. It repeatedly asks a
:class:`TrialLoop` to run one trial, in one or more workers, while the shared
:class:`Budget` allows it.
"""

from __future__ import annotations

import abc
import numbers
import threading
from typing import Any, Protocol

from tunelab._clock import Clock, SystemClock

__all__ = ["Budget", "Executor", "RemoteTrialLoop", "TrialLoop"]


class TrialLoop(Protocol):
    """One worker's unit of work: claim-or-ask, run the objective, tell."""

    def run_trial(self) -> bool:
        """Run one trial; return False when the whole optimisation should stop."""

    def interrupt(self) -> None:
        """Mark the trials currently in flight as FAIL (called on Ctrl-C)."""


class RemoteTrialLoop(TrialLoop, Protocol):
    """A trial loop whose trials can run in other processes.

    :meth:`remote_runner` returns a picklable object whose ``run_one()`` runs one trial in
    the worker and returns an outcome; the executor hands each outcome back to
    :meth:`accept` in the parent (callbacks, progress), which says whether to go on.
    """

    def remote_runner(self) -> Any:
        """A picklable object with a ``run_one()`` method, run in worker processes."""

    def accept(self, outcome: Any) -> bool:
        """Take a worker's outcome in the parent; False when the optimisation should stop.

        Raises:
            Exception: The error the objective raised in the worker, if not caught.
        """


class Budget:
    """How many trials may still start, and until when; shared by all workers.

    Args:
        n_trials: The number of trials to start, or None for no limit.
        timeout: Seconds after which no new trial starts, or None for no limit.
        clock: The clock that measures ``timeout``.

    Raises:
        ValueError: ``n_trials`` is not a positive integer, or ``timeout`` is not positive.

    Example:
        >>> budget = Budget(n_trials=2)
        >>> budget.reserve(), budget.reserve(), budget.reserve()
        (True, True, False)
    """

    def __init__(
        self,
        n_trials: int | None = None,
        timeout: float | None = None,
        clock: Clock | None = None,
    ) -> None:
        if n_trials is not None and (
            isinstance(n_trials, bool)
            or not isinstance(n_trials, numbers.Integral)
            or n_trials < 1
        ):
            raise ValueError(f"n_trials={n_trials!r} must be None or an integer >= 1")
        if timeout is not None and (
            isinstance(timeout, bool) or not isinstance(timeout, numbers.Real) or not timeout > 0
        ):
            raise ValueError(f"timeout={timeout!r} must be None or a number of seconds > 0")
        self.n_trials = None if n_trials is None else int(n_trials)
        self.timeout = None if timeout is None else float(timeout)
        self._clock = clock or SystemClock()
        self._start = self._clock.now()
        self._started = 0
        self._stopped = False
        self._lock = threading.Lock()

    @property
    def started(self) -> int:
        """How many trials were allowed to start."""
        return self._started

    @property
    def stopped(self) -> bool:
        """Whether :meth:`stop` was called."""
        return self._stopped

    def elapsed(self) -> float:
        """Seconds since the budget was created."""
        return self._clock.now() - self._start

    def reserve(self) -> bool:
        """Take one trial from the budget; False once it is spent, timed out or stopped."""
        with self._lock:
            if self._stopped:
                return False
            if self.n_trials is not None and self._started >= self.n_trials:
                return False
            if self.timeout is not None and self.elapsed() >= self.timeout:
                return False
            self._started += 1
            return True

    def stop(self) -> None:
        """Let no further trial start."""
        with self._lock:
            self._stopped = True


class Executor(abc.ABC):
    """Runs a :class:`TrialLoop` in ``n_workers`` workers until the budget is spent."""

    @abc.abstractmethod
    def run(self, loop: TrialLoop, *, n_workers: int, budget: Budget) -> None:
        """Run trials until the budget is spent or the loop asks to stop.

        Raises:
            KeyboardInterrupt: After marking in-flight trials FAIL.
            Exception: The first error a worker raised (other workers stop starting trials).
        """

"""Study-wide settings that every worker of a study applies: liveness and trial limits."""

from __future__ import annotations

import numbers
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from tunelab._records import FrozenTrial
from tunelab._typing import JSONValue

__all__ = ["StudyOptions"]

_PREFIX = "tunelab:"


def _positive(name: str, value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not float(value) > 0:
        raise ValueError(f"{name}={value!r} must be None or a number of seconds > 0")
    return float(value)


@dataclass(frozen=True)
class StudyOptions:
    """Liveness and limit settings of a study.

    Attributes:
        heartbeat_interval: Seconds between heartbeats of a running trial (None: off).
        grace_period: A RUNNING trial whose last heartbeat is older than this is marked
            FAIL by the next worker; ``2 * heartbeat_interval`` by default.
        failed_trial_callback: Called as ``callback(study, trial)`` for each trial so
            marked, e.g. :class:`tunelab.RetryFailedTrialCallback`.
        max_trials: The study never holds more trials than this, whatever the number
            of workers (None: no limit).
    """

    heartbeat_interval: float | None = None
    grace_period: float | None = None
    failed_trial_callback: Callable[[Any, FrozenTrial], None] | None = None
    max_trials: int | None = None

    def __post_init__(self) -> None:
        interval = _positive("heartbeat_interval", self.heartbeat_interval)
        grace = _positive("grace_period", self.grace_period)
        if grace is not None and interval is None:
            raise ValueError(
                "grace_period needs heartbeat_interval: without heartbeats "
                "every running trial would look dead"
            )
        if interval is not None and grace is None:
            grace = 2 * interval
        if interval is not None and grace is not None and grace <= interval:
            raise ValueError(
                f"grace_period={grace:g} must be longer than heartbeat_interval={interval:g}"
            )
        if self.failed_trial_callback is not None and not callable(self.failed_trial_callback):
            raise ValueError("failed_trial_callback must be callable as callback(study, trial)")
        limit = self.max_trials
        if limit is not None and (
            isinstance(limit, bool) or not isinstance(limit, int) or limit < 1
        ):
            raise ValueError(f"max_trials={limit!r} must be None or an integer >= 1")
        object.__setattr__(self, "heartbeat_interval", interval)
        object.__setattr__(self, "grace_period", grace)

    def to_attrs(self) -> dict[str, JSONValue]:
        """The settings to persist on the study (the callback is code, so it is not)."""
        return {
            f"{_PREFIX}heartbeat_interval": self.heartbeat_interval,
            f"{_PREFIX}grace_period": self.grace_period,
            f"{_PREFIX}max_trials": self.max_trials,
        }

    @classmethod
    def merged(cls, stored: Mapping[str, JSONValue], given: Mapping[str, Any]) -> StudyOptions:
        """Options from a study's stored attributes, overridden by those given (not None)."""
        values: dict[str, Any] = {
            name: stored.get(f"{_PREFIX}{name}")
            for name in ("heartbeat_interval", "grace_period", "max_trials")
        }
        values.update({k: v for k, v in given.items() if v is not None})
        return cls(**values)

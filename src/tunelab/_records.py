"""Immutable study and trial records, and the one trial state machine.

Every storage backend calls :func:`check_transition` before it changes a trial's state, so
the rules live in one place:

* ``WAITING -> RUNNING`` (a worker claims an enqueued trial),
* ``WAITING -> FAIL`` (an enqueued trial is cancelled),
* ``RUNNING -> COMPLETE | PRUNED | FAIL``,
* nothing leaves a finished state.

Example:
    >>> from tunelab._records import TrialState, check_transition
    >>> check_transition(0, TrialState.RUNNING, TrialState.COMPLETE)
    >>> check_transition(0, TrialState.COMPLETE, TrialState.FAIL)
    Traceback (most recent call last):
    ...
    tunelab.exceptions.TrialFinishedError: trial 0 is already COMPLETE and cannot become FAIL
"""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NoReturn

from tunelab._typing import JSONValue, ParamValue
from tunelab.distributions import BaseDistribution
from tunelab.exceptions import InvalidTransitionError, TrialFinishedError

__all__ = [
    "FrozenStudy",
    "FrozenTrial",
    "StudyDirection",
    "TrialState",
    "check_transition",
    "single_value",
]


class TrialState(enum.Enum):
    """The life cycle of a trial.

    Example:
        >>> TrialState.PRUNED.is_finished(), TrialState.WAITING.is_finished()
        (True, False)
    """

    WAITING = "waiting"
    RUNNING = "running"
    COMPLETE = "complete"
    PRUNED = "pruned"
    FAIL = "fail"

    def is_finished(self) -> bool:
        """Whether the state is terminal (COMPLETE, PRUNED or FAIL)."""
        return self in _FINISHED


_FINISHED = frozenset({TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL})
_ALLOWED: Mapping[TrialState, frozenset[TrialState]] = {
    TrialState.WAITING: frozenset({TrialState.RUNNING, TrialState.FAIL}),
    TrialState.RUNNING: _FINISHED,
}


def check_transition(number: int, current: TrialState, new: TrialState) -> None:
    """Raise unless a trial may move from ``current`` to ``new``.

    Raises:
        TrialFinishedError: ``current`` is a finished state.
        InvalidTransitionError: Any other forbidden move, e.g. RUNNING -> WAITING.
    """
    if current.is_finished():
        raise TrialFinishedError(
            f"trial {number} is already {current.name} and cannot become {new.name}"
        )
    if new not in _ALLOWED[current]:
        allowed = ", ".join(sorted(s.name for s in _ALLOWED[current]))
        raise InvalidTransitionError(
            f"trial {number} cannot move from {current.name} to {new.name}; allowed: {allowed}"
        )


class StudyDirection(enum.Enum):
    """Whether an objective is minimised or maximised.

    Example:
        >>> StudyDirection.parse("maximize")
        <StudyDirection.MAXIMIZE: 'maximize'>
    """

    MINIMIZE = "minimize"
    MAXIMIZE = "maximize"

    @classmethod
    def parse(cls, value: StudyDirection | str) -> StudyDirection:
        """Accept a member or its name ("minimize"/"maximize", any case)."""
        if isinstance(value, StudyDirection):
            return value
        if isinstance(value, str):
            try:
                return cls(value.lower())
            except ValueError:
                pass
        raise ValueError(f"direction={value!r} must be 'minimize' or 'maximize'")

    def better(self, a: float, b: float) -> bool:
        """Whether ``a`` is strictly better than ``b`` in this direction."""
        return a < b if self is StudyDirection.MINIMIZE else a > b


class ReadOnlyDict(dict):  # type: ignore[type-arg]
    """A ``dict`` that refuses every change: prints, compares and serialises as a dict."""

    __slots__ = ()

    def _refuse(self, *args: object, **kwargs: object) -> NoReturn:
        raise TypeError("this mapping is part of a frozen record and cannot be changed")

    __setitem__ = __delitem__ = __ior__ = _refuse
    clear = pop = popitem = setdefault = update = _refuse

    def __reduce__(self) -> tuple[type[ReadOnlyDict], tuple[dict[object, object]]]:
        return (ReadOnlyDict, (dict(self),))


_EMPTY: Mapping[Any, Any] = ReadOnlyDict()


def _frozen_map(value: Mapping[Any, Any]) -> Mapping[Any, Any]:
    if type(value) is ReadOnlyDict:
        return value
    return ReadOnlyDict(value) if value else _EMPTY


@dataclass(frozen=True, slots=True, kw_only=True)
class FrozenTrial:
    """An immutable snapshot of one trial.

    Mapping fields are read-only views over private copies, so a snapshot never changes
    after it is made.

    Example:
        >>> from tunelab import FrozenTrial, TrialState
        >>> t = FrozenTrial(trial_id=0, number=0, state=TrialState.COMPLETE, values=(0.5,))
        >>> t.value
        0.5
    """

    trial_id: int
    number: int
    state: TrialState
    values: tuple[float, ...] | None = None
    params: Mapping[str, ParamValue] = field(default_factory=dict)
    distributions: Mapping[str, BaseDistribution] = field(default_factory=dict)
    intermediate_values: Mapping[int, float] = field(default_factory=dict)
    user_attrs: Mapping[str, JSONValue] = field(default_factory=dict)
    system_attrs: Mapping[str, JSONValue] = field(default_factory=dict)
    datetime_start: datetime | None = None
    datetime_complete: datetime | None = None

    def __post_init__(self) -> None:
        put = object.__setattr__
        put(self, "params", _frozen_map(self.params))
        put(self, "distributions", _frozen_map(self.distributions))
        put(self, "intermediate_values", _frozen_map(self.intermediate_values))
        put(self, "user_attrs", _frozen_map(self.user_attrs))
        put(self, "system_attrs", _frozen_map(self.system_attrs))
        if self.values is not None and type(self.values) is not tuple:
            put(self, "values", tuple(self.values))

    @property
    def value(self) -> float | None:
        """The single objective value, or None when the trial has none.

        Raises:
            ValueError: The trial has several objective values; use ``values``.
        """
        if self.values is None:
            return None
        if len(self.values) != 1:
            raise ValueError(
                f"trial {self.number} has {len(self.values)} objective values; "
                "use .values for multi-objective studies"
            )
        return self.values[0]

    @property
    def duration(self) -> float | None:
        """Seconds between start and completion, or None while unfinished."""
        if self.datetime_start is None or self.datetime_complete is None:
            return None
        return (self.datetime_complete - self.datetime_start).total_seconds()

    @property
    def last_step(self) -> int | None:
        """The largest reported step, or None when nothing was reported."""
        return max(self.intermediate_values) if self.intermediate_values else None


@dataclass(frozen=True, slots=True, kw_only=True)
class FrozenStudy:
    """An immutable snapshot of a study's identity and attributes.

    Example:
        >>> FrozenStudy(study_id=1, name="s", directions=(StudyDirection.MINIMIZE,)).name
        's'
    """

    study_id: int
    name: str
    directions: tuple[StudyDirection, ...]
    user_attrs: Mapping[str, JSONValue] = field(default_factory=dict)
    system_attrs: Mapping[str, JSONValue] = field(default_factory=dict)
    datetime_created: datetime | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "user_attrs", _frozen_map(self.user_attrs))
        object.__setattr__(self, "system_attrs", _frozen_map(self.system_attrs))
        object.__setattr__(self, "directions", tuple(self.directions))


def single_value(trial: FrozenTrial) -> float:
    """The trial's one objective value; NaN when it has none or several.

    Example:
        >>> import math
        >>> t = FrozenTrial(trial_id=0, number=0, state=TrialState.COMPLETE, values=(0.5,))
        >>> single_value(t), math.isnan(single_value(FrozenTrial(
        ...     trial_id=1, number=1, state=TrialState.RUNNING)))
        (0.5, True)
    """
    values = trial.values
    return values[0] if values is not None and len(values) == 1 else math.nan

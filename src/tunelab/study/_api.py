"""Module-level functions that create, load and delete studies; the defaults live here."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from tunelab._records import FrozenTrial, StudyDirection, TrialState
from tunelab._typing import JSONValue, ParamValue
from tunelab.distributions import BaseDistribution
from tunelab.exceptions import DuplicatedStudyError, StudyNotFoundError
from tunelab.pruners import BasePruner, NopPruner
from tunelab.samplers import BaseSampler
from tunelab.storages import BaseStorage, get_storage
from tunelab.study._options import StudyOptions
from tunelab.study._study import Study

__all__ = [
    "create_study",
    "create_trial",
    "delete_study",
    "get_all_study_names",
    "load_study",
]


def _default_sampler() -> BaseSampler:
    from tunelab.samplers import AutoSampler  # deferred: model-based samplers load SciPy

    return AutoSampler()


def _default_pruner() -> BasePruner:
    return NopPruner()


def _parse_directions(
    direction: StudyDirection | str | None,
    directions: Sequence[StudyDirection | str] | None,
) -> tuple[StudyDirection, ...]:
    if direction is not None and directions is not None:
        raise ValueError("give either direction or directions, not both")
    if directions is None:
        return (StudyDirection.parse(direction or "minimize"),)
    if isinstance(directions, str) or not isinstance(directions, Sequence) or not directions:
        raise ValueError(
            f"directions={directions!r} must be a non-empty list of 'minimize'/'maximize'"
        )
    return tuple(StudyDirection.parse(d) for d in directions)


def _check_name(study_name: Any) -> str:
    if not isinstance(study_name, str) or not study_name.strip():
        raise ValueError(f"study_name={study_name!r} must be a non-empty string")
    return study_name


def create_study(
    *,
    storage: BaseStorage | str | None = None,
    sampler: BaseSampler | None = None,
    pruner: BasePruner | None = None,
    study_name: str | None = None,
    direction: StudyDirection | str | None = None,
    directions: Sequence[StudyDirection | str] | None = None,
    load_if_exists: bool = False,
    heartbeat_interval: float | None = None,
    grace_period: float | None = None,
    failed_trial_callback: Callable[[Study, FrozenTrial], None] | None = None,
    max_trials: int | None = None,
) -> Study:
    """Create a new study (or, with ``load_if_exists``, open the existing one).

    Args:
        storage: Where the study lives: None for memory, or a storage instance.
        sampler: How configurations are proposed; :class:`AutoSampler` by default.
        pruner: How trials are stopped early; :class:`NopPruner` (never) by default.
        study_name: A unique name; a random one by default.
        direction: ``"minimize"`` (default) or ``"maximize"``, for one objective.
        directions: One direction per objective, for several objectives.
        load_if_exists: Open the study if one with ``study_name`` exists.
        heartbeat_interval: Seconds between heartbeats of running trials; with it, a
            trial whose worker died is marked FAIL by the next worker after
            ``grace_period`` (default ``2 * heartbeat_interval``).
        grace_period: See ``heartbeat_interval``.
        failed_trial_callback: Called as ``callback(study, trial)`` for each trial failed
            that way, e.g. :class:`RetryFailedTrialCallback` to run it again.
        max_trials: The study never holds more trials than this, however many workers
            and processes run it: each new trial is checked atomically against it.

    The heartbeat, grace period and trial limit are stored with the study, so every
    worker that loads it applies them.

    Raises:
        DuplicatedStudyError: The name is taken and ``load_if_exists`` is False.
        ValueError: Bad directions, or an existing study with other directions.

    Example:
        >>> import tunelab as tl
        >>> study = tl.create_study(direction="maximize", study_name="demo")
        >>> study.direction.name
        'MAXIMIZE'
    """
    wanted = _parse_directions(direction, directions)
    given: dict[str, Any] = {
        "heartbeat_interval": heartbeat_interval,
        "grace_period": grace_period,
        "failed_trial_callback": failed_trial_callback,
        "max_trials": max_trials,
    }
    StudyOptions(**given)  # validate before touching the storage
    name = _check_name(study_name) if study_name is not None else f"study-{uuid.uuid4().hex[:12]}"
    backend = get_storage(storage)
    try:
        record = backend.create_study(name, wanted)
        for key, value in StudyOptions(**given).to_attrs().items():
            if value is not None:
                backend.set_study_attr(record.study_id, key, value, system=True)
        record = backend.get_study(name)
    except DuplicatedStudyError:
        if not load_if_exists:
            raise DuplicatedStudyError(
                f"a study named {name!r} already exists; pass load_if_exists=True to resume "
                "it, or choose another study_name"
            ) from None
        record = backend.get_study(name)
        if (direction is not None or directions is not None) and record.directions != wanted:
            raise ValueError(
                f"study {name!r} exists with directions "
                f"{[d.value for d in record.directions]}, not {[d.value for d in wanted]}"
            ) from None
    options = StudyOptions.merged(record.system_attrs, given)
    return Study(
        backend, record, sampler or _default_sampler(), pruner or _default_pruner(), options
    )


def load_study(
    *,
    study_name: str | None,
    storage: BaseStorage | str,
    sampler: BaseSampler | None = None,
    pruner: BasePruner | None = None,
    failed_trial_callback: Callable[[Study, FrozenTrial], None] | None = None,
) -> Study:
    """Open an existing study.

    Args:
        study_name: The study's name; None picks the only study of the storage.
        storage: The storage instance (or database URL) holding it.
        sampler: The sampler for new trials; the default sampler if None.
        pruner: The pruner for new trials; the default pruner if None.
        failed_trial_callback: See :func:`create_study` (the heartbeat settings and the
            trial limit come with the stored study).

    Raises:
        StudyNotFoundError: No such study (the message lists the ones that exist).

    Example:
        >>> import tunelab as tl
        >>> storage = tl.storages.InMemoryStorage()
        >>> _ = tl.create_study(storage=storage, study_name="a")
        >>> tl.load_study(study_name="a", storage=storage).study_name
        'a'
    """
    backend = get_storage(storage)
    if study_name is None:
        names = [s.name for s in backend.list_studies()]
        if len(names) != 1:
            raise ValueError(
                f"study_name=None needs a storage with exactly one study; it has {len(names)}"
                + (f": {', '.join(names)}" if names else "")
            )
        study_name = names[0]
    try:
        record = backend.get_study(_check_name(study_name))
    except StudyNotFoundError:
        known = [s.name for s in backend.list_studies()]
        raise StudyNotFoundError(
            f"no study named {study_name!r}; the storage has "
            + (", ".join(repr(n) for n in known) if known else "no studies")
        ) from None
    options = StudyOptions.merged(
        record.system_attrs, {"failed_trial_callback": failed_trial_callback}
    )
    return Study(
        backend, record, sampler or _default_sampler(), pruner or _default_pruner(), options
    )


def delete_study(*, study_name: str, storage: BaseStorage | str) -> None:
    """Delete a study and all of its trials.

    Raises:
        StudyNotFoundError: No such study.

    Example:
        >>> import tunelab as tl
        >>> storage = tl.storages.InMemoryStorage()
        >>> _ = tl.create_study(storage=storage, study_name="old")
        >>> tl.delete_study(study_name="old", storage=storage)
        >>> tl.get_all_study_names(storage)
        []
    """
    backend = get_storage(storage)
    backend.delete_study(backend.get_study(_check_name(study_name)).study_id)


def get_all_study_names(storage: BaseStorage | str) -> list[str]:
    """The names of every study in ``storage``, in creation order."""
    return [s.name for s in get_storage(storage).list_studies()]


def create_trial(
    *,
    state: TrialState = TrialState.COMPLETE,
    value: float | None = None,
    values: Sequence[float] | None = None,
    params: Mapping[str, ParamValue] | None = None,
    distributions: Mapping[str, BaseDistribution] | None = None,
    user_attrs: Mapping[str, JSONValue] | None = None,
    system_attrs: Mapping[str, JSONValue] | None = None,
    intermediate_values: Mapping[int, float] | None = None,
) -> FrozenTrial:
    """Build a finished trial to insert with :meth:`Study.add_trial`.

    Example:
        >>> import tunelab as tl
        >>> from tunelab.distributions import FloatDistribution
        >>> study = tl.create_study()
        >>> _ = study.add_trial(tl.create_trial(value=0.2, params={"x": 0.5},
        ...                     distributions={"x": FloatDistribution(0, 1)}))
        >>> study.best_params
        {'x': 0.5}
    """
    if value is not None and values is not None:
        raise ValueError("give either value or values, not both")
    merged = (value,) if value is not None else (tuple(values) if values is not None else None)
    return FrozenTrial(
        trial_id=-1,
        number=-1,
        state=state,
        values=merged,
        params=dict(params or {}),
        distributions=dict(distributions or {}),
        intermediate_values=dict(intermediate_values or {}),
        user_attrs=dict(user_attrs or {}),
        system_attrs=dict(system_attrs or {}),
    )

"""A dict-backed storage for one process (any number of threads).

Trials are held as :class:`~tunelab.FrozenTrial` snapshots and replaced on every change
(copy on write), so reads hand out the stored objects without copying.

Example:
    >>> from tunelab.storages import InMemoryStorage
    >>> from tunelab import StudyDirection
    >>> storage = InMemoryStorage()
    >>> study = storage.create_study("demo", [StudyDirection.MINIMIZE])
    >>> storage.create_trial(study.study_id).number
    0
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections import deque
from collections.abc import Collection, Sequence
from datetime import datetime, timezone
from typing import Any

from tunelab._records import (
    FrozenStudy,
    FrozenTrial,
    StudyDirection,
    TrialState,
    check_transition,
)
from tunelab._typing import JSONValue
from tunelab.distributions import BaseDistribution
from tunelab.exceptions import (
    DuplicatedStudyError,
    StudyNotFoundError,
    TrialFinishedError,
    TrialLimitReached,
    TrialNotFoundError,
)
from tunelab.storages._base import BaseStorage, check_finish_state, normalized_template
from tunelab.storages._heartbeat import stale_reason

__all__ = ["InMemoryStorage"]


def _now() -> datetime:
    return datetime.now(timezone.utc)


class _TrialRecord:
    """The mutable working copy of one trial; snapshots are built on read and cached."""

    __slots__ = ("_frozen", "fields", "state")

    def __init__(self, trial: FrozenTrial) -> None:
        self.state = trial.state
        self.fields: dict[str, Any] = {
            "trial_id": trial.trial_id,
            "number": trial.number,
            "values": trial.values,
            "params": dict(trial.params),
            "distributions": dict(trial.distributions),
            "intermediate_values": dict(trial.intermediate_values),
            "user_attrs": dict(trial.user_attrs),
            "system_attrs": dict(trial.system_attrs),
            "datetime_start": trial.datetime_start,
            "datetime_complete": trial.datetime_complete,
        }
        self._frozen: FrozenTrial | None = trial

    def changed(self) -> dict[str, Any]:
        """The fields, for an update; the cached snapshot is dropped."""
        self._frozen = None
        return self.fields

    def freeze(self) -> FrozenTrial:
        if self._frozen is None:
            self._frozen = FrozenTrial(state=self.state, **self.fields)
        return self._frozen


@dataclasses.dataclass
class _StudyRecord:
    study: FrozenStudy
    trials: list[_TrialRecord] = dataclasses.field(default_factory=list)
    waiting: deque[int] = dataclasses.field(default_factory=deque)  # enqueued by users
    planned: deque[int] = dataclasses.field(default_factory=deque)  # enqueued by samplers
    batch_keys: set[str] = dataclasses.field(default_factory=set)


class InMemoryStorage(BaseStorage):
    """Keeps every study in this process's memory; nothing survives the process.

    It is thread-safe: one lock guards every method, so thread workers share it safely.
    """

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._studies: dict[int, _StudyRecord] = {}
        self._names: dict[str, int] = {}
        self._trial_index: dict[int, tuple[int, int]] = {}  # trial_id -> (study_id, number)
        self._next_study_id = 0
        self._next_trial_id = 0
        self._heartbeats: dict[int, float] = {}  # trial_id -> time.monotonic() of last beat

    # -- studies -------------------------------------------------------------------------

    def create_study(self, name: str, directions: Sequence[StudyDirection]) -> FrozenStudy:
        with self._lock:
            if name in self._names:
                raise DuplicatedStudyError(f"a study named {name!r} already exists")
            study = FrozenStudy(
                study_id=self._next_study_id,
                name=name,
                directions=tuple(directions),
                datetime_created=_now(),
            )
            self._next_study_id += 1
            self._studies[study.study_id] = _StudyRecord(study)
            self._names[name] = study.study_id
            return study

    def get_study(self, name: str) -> FrozenStudy:
        with self._lock:
            if name not in self._names:
                raise StudyNotFoundError(f"no study named {name!r}")
            return self._studies[self._names[name]].study

    def list_studies(self) -> list[FrozenStudy]:
        with self._lock:
            return [record.study for record in self._studies.values()]

    def delete_study(self, study_id: int) -> None:
        with self._lock:
            record = self._record(study_id)
            del self._names[record.study.name]
            for trial in record.trials:
                del self._trial_index[trial.fields["trial_id"]]
            del self._studies[study_id]

    def set_study_attr(
        self, study_id: int, key: str, value: JSONValue, *, system: bool = False
    ) -> None:
        with self._lock:
            record = self._record(study_id)
            study = record.study
            if system:
                attrs = {**study.system_attrs, key: value}
                record.study = dataclasses.replace(study, system_attrs=attrs)
            else:
                attrs = {**study.user_attrs, key: value}
                record.study = dataclasses.replace(study, user_attrs=attrs)

    # -- trials --------------------------------------------------------------------------

    def create_trial(
        self,
        study_id: int,
        *,
        state: TrialState = TrialState.RUNNING,
        template: FrozenTrial | None = None,
        max_trials: int | None = None,
    ) -> FrozenTrial:
        with self._lock:
            record = self._record(study_id)
            if max_trials is not None and len(record.trials) >= max_trials:
                raise TrialLimitReached(
                    f"study {record.study.name!r} holds its maximum of {max_trials} trials"
                )
            return self._insert(record, state, template)

    def _insert(
        self,
        record: _StudyRecord,
        state: TrialState,
        template: FrozenTrial | None,
        planned: bool = False,
    ) -> FrozenTrial:
        number = len(record.trials)
        trial_id = self._next_trial_id
        self._next_trial_id += 1
        now = _now()
        if template is None:
            trial = FrozenTrial(
                trial_id=trial_id,
                number=number,
                state=state,
                datetime_start=now if state is TrialState.RUNNING else None,
            )
        else:
            start = template.datetime_start
            if start is None and state is not TrialState.WAITING:
                start = now
            complete = template.datetime_complete
            if complete is None and state.is_finished():
                complete = now
            trial = dataclasses.replace(
                normalized_template(template),
                trial_id=trial_id,
                number=number,
                state=state,
                datetime_start=start,
                datetime_complete=complete,
            )
        record.trials.append(_TrialRecord(trial))
        self._trial_index[trial_id] = (record.study.study_id, number)
        if state is TrialState.WAITING:
            (record.planned if planned else record.waiting).append(number)
        return trial

    def enqueue_batch(self, study_id: int, key: str, templates: Sequence[FrozenTrial]) -> bool:
        with self._lock:
            record = self._record(study_id)
            if key in record.batch_keys:
                return False
            record.batch_keys.add(key)
            for template in templates:
                self._insert(record, TrialState.WAITING, template, planned=True)
            return True

    def claim_waiting_trial(self, study_id: int, worker_id: str) -> FrozenTrial | None:
        with self._lock:
            record = self._record(study_id)
            while record.waiting or record.planned:
                queue = record.waiting or record.planned  # user-enqueued trials go first
                trial = record.trials[queue.popleft()]
                if trial.state is not TrialState.WAITING:  # cancelled meanwhile
                    continue
                trial.changed()["datetime_start"] = _now()
                trial.state = TrialState.RUNNING
                return trial.freeze()
            return None

    def set_trial_param(
        self, trial_id: int, name: str, internal: float, distribution: BaseDistribution
    ) -> None:
        with self._lock:
            fields = self._updatable(trial_id).changed()
            fields["params"][name] = distribution.to_external(internal)
            fields["distributions"][name] = distribution

    def set_intermediate_value(self, trial_id: int, step: int, value: float) -> None:
        with self._lock:
            self._updatable(trial_id).changed()["intermediate_values"][step] = value

    def set_trial_attr(
        self, trial_id: int, key: str, value: JSONValue, *, system: bool = False
    ) -> None:
        with self._lock:
            fields = self._updatable(trial_id).changed()
            fields["system_attrs" if system else "user_attrs"][key] = value

    def finish_trial(
        self, trial_id: int, state: TrialState, values: Sequence[float] | None = None
    ) -> FrozenTrial:
        with self._lock:
            trial = self._locate(trial_id)
            check_transition(trial.fields["number"], trial.state, state)
            check_finish_state(state)
            fields = trial.changed()
            fields["values"] = None if values is None else tuple(float(v) for v in values)
            fields["datetime_complete"] = _now()
            trial.state = state
            return trial.freeze()

    def get_trial(self, trial_id: int) -> FrozenTrial:
        with self._lock:
            return self._locate(trial_id).freeze()

    def get_trial_by_number(self, study_id: int, number: int) -> FrozenTrial:
        with self._lock:
            record = self._record(study_id)
            if not 0 <= number < len(record.trials):
                raise TrialNotFoundError(
                    f"study {record.study.name!r} has no trial number {number} "
                    f"(it has {len(record.trials)} trials)"
                )
            return record.trials[number].freeze()

    def get_trials(
        self,
        study_id: int,
        *,
        states: Collection[TrialState] | None = None,
        min_number: int = 0,
    ) -> list[FrozenTrial]:
        with self._lock:
            trials = self._record(study_id).trials[max(min_number, 0) :]
            if states is None:
                return [t.freeze() for t in trials]
            wanted = frozenset(states)
            return [t.freeze() for t in trials if t.state in wanted]

    def count_trials(self, study_id: int, *, states: Collection[TrialState] | None = None) -> int:
        with self._lock:
            trials = self._record(study_id).trials
            if states is None:
                return len(trials)
            wanted = frozenset(states)
            return sum(1 for t in trials if t.state in wanted)

    # -- liveness ------------------------------------------------------------------------

    def record_heartbeat(self, trial_id: int, worker_id: str) -> None:
        with self._lock:
            if self._locate(trial_id).state is TrialState.RUNNING:
                self._heartbeats[trial_id] = time.monotonic()

    def fail_stale_trials(self, study_id: int, grace_period: float) -> list[FrozenTrial]:
        with self._lock:
            cutoff = time.monotonic() - grace_period
            failed = []
            for trial in self._record(study_id).trials:
                trial_id = trial.fields["trial_id"]
                beat = self._heartbeats.get(trial_id)
                if trial.state is TrialState.RUNNING and beat is not None and beat < cutoff:
                    fields = trial.changed()
                    fields["system_attrs"]["fail_reason"] = stale_reason(grace_period)
                    fields["datetime_complete"] = _now()
                    trial.state = TrialState.FAIL
                    del self._heartbeats[trial_id]
                    failed.append(trial.freeze())
            return failed

    # -- helpers -------------------------------------------------------------------------

    def _record(self, study_id: int) -> _StudyRecord:
        try:
            return self._studies[study_id]
        except KeyError:
            raise StudyNotFoundError(f"no study with id {study_id}") from None

    def _locate(self, trial_id: int) -> _TrialRecord:
        try:
            study_id, number = self._trial_index[trial_id]
        except KeyError:
            raise TrialNotFoundError(f"no trial with id {trial_id}") from None
        return self._studies[study_id].trials[number]

    def _updatable(self, trial_id: int) -> _TrialRecord:
        trial = self._locate(trial_id)
        if trial.state.is_finished():
            raise TrialFinishedError(
                f"trial {trial.fields['number']} is already {trial.state.name} and cannot be "
                "changed"
            )
        return trial

"""A conformance suite for :class:`~tunelab.storages.BaseStorage` implementations.

The suite is a plain base class, :class:`StorageConformance`, whose ``test_*`` methods
check the whole storage contract: studies and their attributes, dense per-study trial
numbering, templates, WAITING trials and their exactly-once claiming, batches enqueued at
most once per key, updates of running trials, the trial state machine, queries, snapshot
immutability, and behaviour under concurrent writers.

How to use it: subclass it in a test module (the subclass name must start with ``Test``
so that pytest collects it) and provide a pytest fixture named ``storage`` that returns a
fresh, empty storage for every test, typically in a ``conftest.py``. Parametrising that
fixture runs the whole suite once per backend.

Example:
    A ``conftest.py`` and a test module for a custom backend::

        # conftest.py
        import pytest
        from mypackage import MyStorage

        @pytest.fixture
        def storage():
            return MyStorage()

        # test_my_storage.py
        from tunelab.testing.storage_suite import StorageConformance

        class TestMyStorage(StorageConformance):
            pass

The suite needs ``pytest`` (the ``dev`` extra). The storage must be usable from several
threads at once; the concurrency checks use 8 threads.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import datetime, timedelta, timezone
from typing import TypeVar

import pytest

from tunelab._records import FrozenStudy, FrozenTrial, StudyDirection, TrialState
from tunelab._typing import JSONValue
from tunelab.distributions import (
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from tunelab.exceptions import (
    DuplicatedStudyError,
    InvalidTransitionError,
    StudyNotFoundError,
    TrialFinishedError,
    TrialLimitReached,
    TrialNotFoundError,
)
from tunelab.storages import BaseStorage

__all__ = ["StorageConformance"]

_T = TypeVar("_T")

N_THREADS = 8
"""How many threads the concurrency checks start."""

_MIN = (StudyDirection.MINIMIZE,)
_FINISHED = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)
_ALL_STATES = tuple(TrialState)
_UNKNOWN_ID = 987_654_321
_FLOAT = FloatDistribution(0.0, 10.0)
_INT = IntDistribution(1, 9)
_CAT = CategoricalDistribution(("adam", "sgd", None))


def _name(state: TrialState) -> str:
    return state.name


def _assert_utc(value: datetime | None, what: str) -> None:
    assert value is not None, f"{what} is not set"
    assert value.tzinfo is not None, f"{what}={value!r} is a naive datetime; it must be UTC"
    assert value.utcoffset() == timedelta(0), f"{what}={value!r} is not in UTC"


def _run_threads(n_threads: int, work: Callable[[int], _T]) -> list[_T]:
    """Run ``work(i)`` in ``n_threads`` threads started together; re-raise the first error."""
    barrier = threading.Barrier(n_threads)
    results: list[_T | None] = [None] * n_threads
    errors: list[BaseException] = []
    lock = threading.Lock()

    def target(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[index] = work(index)
        except BaseException as exc:
            with lock:
                errors.append(exc)
            barrier.abort()

    threads = [threading.Thread(target=target, args=(i,)) for i in range(n_threads)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a worker thread did not finish"
    if errors:
        raise errors[0]
    return [r for r in results if r is not None]


def _template(
    *,
    state: TrialState = TrialState.WAITING,
    values: Sequence[float] | None = None,
    user_attrs: Mapping[str, JSONValue] | None = None,
    system_attrs: Mapping[str, JSONValue] | None = None,
) -> FrozenTrial:
    return FrozenTrial(
        trial_id=-1,
        number=-1,
        state=state,
        values=None if values is None else tuple(values),
        user_attrs=user_attrs or {},
        system_attrs=system_attrs or {},
    )


class StorageConformance:
    """Base class of the storage conformance tests; needs a ``storage`` fixture.

    Every method takes the ``storage`` fixture, which must return a fresh, empty storage.
    """

    # -- helpers -------------------------------------------------------------------------

    @staticmethod
    def new_study(storage: BaseStorage, name: str = "study") -> int:
        """Create a single-objective study and return its id."""
        return storage.create_study(name, _MIN).study_id

    @staticmethod
    def finished_trial(storage: BaseStorage, study_id: int, state: TrialState) -> FrozenTrial:
        """A RUNNING trial with a param, a report and attrs, then moved to ``state``."""
        trial = storage.create_trial(study_id)
        storage.set_trial_param(trial.trial_id, "x", 2.5, _FLOAT)
        storage.set_intermediate_value(trial.trial_id, 0, 1.5)
        storage.set_trial_attr(trial.trial_id, "u", 1)
        storage.set_trial_attr(trial.trial_id, "s", 2, system=True)
        values = (0.25,) if state is TrialState.COMPLETE else None
        return storage.finish_trial(trial.trial_id, state, values)

    # -- studies -------------------------------------------------------------------------

    def test_create_study_returns_record(self, storage: BaseStorage) -> None:
        """create_study returns a record with the name, directions and empty attrs."""
        directions = (StudyDirection.MAXIMIZE, StudyDirection.MINIMIZE)
        study = storage.create_study("first", directions)
        assert isinstance(study, FrozenStudy)
        assert study.name == "first"
        assert study.directions == directions
        assert dict(study.user_attrs) == {}
        assert dict(study.system_attrs) == {}
        _assert_utc(study.datetime_created, "datetime_created")

    def test_get_study_matches_created(self, storage: BaseStorage) -> None:
        """get_study finds a study by name with the same id and directions."""
        created = storage.create_study("s", (StudyDirection.MAXIMIZE,))
        storage.create_study("other", _MIN)
        found = storage.get_study("s")
        assert found.study_id == created.study_id
        assert found.name == "s"
        assert found.directions == (StudyDirection.MAXIMIZE,)

    def test_create_study_duplicate_name(self, storage: BaseStorage) -> None:
        """A taken name raises DuplicatedStudyError and leaves the first study alone."""
        first = storage.create_study("dup", _MIN)
        with pytest.raises(DuplicatedStudyError):
            storage.create_study("dup", (StudyDirection.MAXIMIZE,))
        assert [s.name for s in storage.list_studies()] == ["dup"]
        assert storage.get_study("dup").study_id == first.study_id
        assert storage.get_study("dup").directions == _MIN

    def test_get_study_unknown(self, storage: BaseStorage) -> None:
        """An unknown name raises StudyNotFoundError."""
        storage.create_study("known", _MIN)
        with pytest.raises(StudyNotFoundError):
            storage.get_study("unknown")

    def test_list_studies_in_creation_order(self, storage: BaseStorage) -> None:
        """list_studies is empty at first, then lists studies in creation order."""
        assert storage.list_studies() == []
        ids = [storage.create_study(name, _MIN).study_id for name in ("b", "a", "c")]
        listed = storage.list_studies()
        assert [s.name for s in listed] == ["b", "a", "c"]
        assert [s.study_id for s in listed] == ids
        assert len(set(ids)) == 3

    def test_delete_study_removes_it_and_its_trials(self, storage: BaseStorage) -> None:
        """delete_study removes the study and its trials, and nothing of other studies."""
        doomed = self.new_study(storage, "doomed")
        kept = self.new_study(storage, "kept")
        doomed_trial = storage.create_trial(doomed)
        kept_trial = storage.create_trial(kept)
        storage.delete_study(doomed)
        with pytest.raises(StudyNotFoundError):
            storage.get_study("doomed")
        assert [s.name for s in storage.list_studies()] == ["kept"]
        with pytest.raises(TrialNotFoundError):
            storage.get_trial(doomed_trial.trial_id)
        assert storage.get_trial(kept_trial.trial_id).number == 0
        assert [t.trial_id for t in storage.get_trials(kept)] == [kept_trial.trial_id]

    def test_delete_study_frees_its_name(self, storage: BaseStorage) -> None:
        """A deleted study's name can be reused; the new study starts at trial 0."""
        old = self.new_study(storage, "reused")
        storage.create_trial(old)
        storage.create_trial(old)
        storage.delete_study(old)
        new = self.new_study(storage, "reused")
        assert storage.get_trials(new) == []
        assert storage.create_trial(new).number == 0

    def test_delete_unknown_study(self, storage: BaseStorage) -> None:
        """Deleting an unknown (or already deleted) study raises StudyNotFoundError."""
        study_id = self.new_study(storage)
        storage.delete_study(study_id)
        with pytest.raises(StudyNotFoundError):
            storage.delete_study(study_id)
        with pytest.raises(StudyNotFoundError):
            storage.delete_study(_UNKNOWN_ID)

    def test_study_user_and_system_attrs(self, storage: BaseStorage) -> None:
        """User and system attributes are kept apart, overwritten, and JSON round-trips."""
        study_id = self.new_study(storage, "attrs")
        storage.set_study_attr(study_id, "note", "hello")
        storage.set_study_attr(study_id, "nested", {"a": [1, 2.5, None, True], "b": "x"})
        storage.set_study_attr(study_id, "note", "hello", system=True)
        storage.set_study_attr(study_id, "sys", [1, 2], system=True)
        storage.set_study_attr(study_id, "note", "again")
        study = storage.get_study("attrs")
        assert dict(study.user_attrs) == {
            "note": "again",
            "nested": {"a": [1, 2.5, None, True], "b": "x"},
        }
        assert dict(study.system_attrs) == {"note": "hello", "sys": [1, 2]}
        listed = storage.list_studies()[0]
        assert dict(listed.user_attrs) == dict(study.user_attrs)

    def test_study_attrs_are_per_study(self, storage: BaseStorage) -> None:
        """Attributes set on one study do not appear on another."""
        a = self.new_study(storage, "a")
        self.new_study(storage, "b")
        storage.set_study_attr(a, "k", 1)
        storage.set_study_attr(a, "k", 2, system=True)
        b_record = storage.get_study("b")
        assert dict(b_record.user_attrs) == {}
        assert dict(b_record.system_attrs) == {}

    def test_set_study_attr_unknown_study(self, storage: BaseStorage) -> None:
        """Setting an attribute of an unknown study raises StudyNotFoundError."""
        with pytest.raises(StudyNotFoundError):
            storage.set_study_attr(_UNKNOWN_ID, "k", 1)

    def test_study_snapshot_does_not_change(self, storage: BaseStorage) -> None:
        """A FrozenStudy returned earlier keeps its attributes after later changes."""
        study_id = self.new_study(storage, "snap")
        storage.set_study_attr(study_id, "k", "before")
        before = storage.get_study("snap")
        storage.set_study_attr(study_id, "k", "after")
        storage.set_study_attr(study_id, "new", 1, system=True)
        assert dict(before.user_attrs) == {"k": "before"}
        assert dict(before.system_attrs) == {}
        assert storage.get_study("snap").user_attrs["k"] == "after"

    # -- creating trials -----------------------------------------------------------------

    def test_create_trial_defaults(self, storage: BaseStorage) -> None:
        """A new trial is RUNNING, number 0, started (UTC), with nothing recorded."""
        study_id = self.new_study(storage)
        trial = storage.create_trial(study_id)
        assert isinstance(trial, FrozenTrial)
        assert trial.state is TrialState.RUNNING
        assert trial.number == 0
        assert trial.values is None
        assert dict(trial.params) == {}
        assert dict(trial.distributions) == {}
        assert dict(trial.intermediate_values) == {}
        assert dict(trial.user_attrs) == {}
        assert dict(trial.system_attrs) == {}
        _assert_utc(trial.datetime_start, "datetime_start")
        assert trial.datetime_complete is None
        assert storage.get_trial(trial.trial_id) == trial

    def test_create_trial_unknown_study(self, storage: BaseStorage) -> None:
        """Creating a trial in an unknown study raises StudyNotFoundError."""
        with pytest.raises(StudyNotFoundError):
            storage.create_trial(_UNKNOWN_ID)

    def test_trial_numbers_are_dense_per_study(self, storage: BaseStorage) -> None:
        """Numbers run 0, 1, 2, ... independently in each study; ids are unique."""
        a = self.new_study(storage, "a")
        b = self.new_study(storage, "b")
        created: dict[int, list[FrozenTrial]] = {a: [], b: []}
        for study_id in (a, a, b, a, b, b, b, a):
            created[study_id].append(storage.create_trial(study_id))
        assert [t.number for t in created[a]] == [0, 1, 2, 3]
        assert [t.number for t in created[b]] == [0, 1, 2, 3]
        ids = [t.trial_id for trials in created.values() for t in trials]
        assert len(set(ids)) == len(ids)
        assert [t.trial_id for t in storage.get_trials(a)] == [t.trial_id for t in created[a]]

    def test_numbers_stay_dense_across_states(self, storage: BaseStorage) -> None:
        """WAITING, imported and batch trials take the next numbers like any other."""
        study_id = self.new_study(storage)
        numbers = [
            storage.create_trial(study_id).number,
            storage.create_trial(study_id, state=TrialState.WAITING).number,
            storage.create_trial(
                study_id, state=TrialState.COMPLETE, template=_template(values=(1.0,))
            ).number,
        ]
        assert storage.enqueue_batch(study_id, "k", [_template(), _template()])
        numbers.append(storage.create_trial(study_id).number)
        assert numbers == [0, 1, 2, 5]
        assert [t.number for t in storage.get_trials(study_id)] == [0, 1, 2, 3, 4, 5]

    def test_create_waiting_trial(self, storage: BaseStorage) -> None:
        """A WAITING trial has not started."""
        study_id = self.new_study(storage)
        trial = storage.create_trial(study_id, state=TrialState.WAITING)
        assert trial.state is TrialState.WAITING
        assert trial.datetime_start is None
        assert trial.datetime_complete is None
        assert storage.get_trial(trial.trial_id).state is TrialState.WAITING

    def test_create_trial_copies_template(self, storage: BaseStorage) -> None:
        """Params, distributions, values, attrs, reports and times come from the template."""
        study_id = self.new_study(storage)
        start = datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
        complete = datetime(2024, 1, 2, 3, 5, 6, tzinfo=timezone.utc)
        template = FrozenTrial(
            trial_id=_UNKNOWN_ID,
            number=41,
            state=TrialState.COMPLETE,
            values=(0.5, -2.0),
            params={"x": 2.5, "n": 3, "opt": "sgd"},
            distributions={"x": _FLOAT, "n": _INT, "opt": _CAT},
            intermediate_values={0: 1.0, 3: 0.75},
            user_attrs={"note": "imported", "list": [1, 2]},
            system_attrs={"origin": {"host": "a"}},
            datetime_start=start,
            datetime_complete=complete,
        )
        storage.create_trial(study_id)
        trial = storage.create_trial(study_id, state=TrialState.COMPLETE, template=template)
        assert trial.number == 1, "the template's number must be ignored"
        assert trial.trial_id != _UNKNOWN_ID, "the template's trial_id must be ignored"
        stored = storage.get_trial(trial.trial_id)
        assert stored == trial
        assert stored.state is TrialState.COMPLETE
        assert stored.values == (0.5, -2.0)
        assert dict(stored.params) == {"x": 2.5, "n": 3, "opt": "sgd"}
        assert type(stored.params["n"]) is int
        assert dict(stored.distributions) == {"x": _FLOAT, "n": _INT, "opt": _CAT}
        assert dict(stored.intermediate_values) == {0: 1.0, 3: 0.75}
        assert dict(stored.user_attrs) == {"note": "imported", "list": [1, 2]}
        assert dict(stored.system_attrs) == {"origin": {"host": "a"}}
        assert stored.datetime_start == start
        assert stored.datetime_complete == complete
        assert storage.get_trial_by_number(study_id, 1) == stored

    def test_template_values_are_stored_as_floats(self, storage: BaseStorage) -> None:
        """Integer objective values of a template come back as a tuple of floats."""
        study_id = self.new_study(storage)
        template = _template(state=TrialState.COMPLETE, values=(1, -2))
        trial = storage.create_trial(study_id, state=TrialState.COMPLETE, template=template)
        for stored in (trial, storage.get_trial(trial.trial_id)):
            assert stored.values == (1.0, -2.0)
            assert type(stored.values) is tuple
            assert [type(v) for v in stored.values] == [float, float], (
                f"values {stored.values!r} must be floats"
            )

    def test_template_params_round_trip_their_distribution(self, storage: BaseStorage) -> None:
        """Template params come back as their distribution's external values."""
        study_id = self.new_study(storage)
        template = FrozenTrial(
            trial_id=-1,
            number=-1,
            state=TrialState.COMPLETE,
            values=(0.0,),
            params={"x": 1, "n": 4},
            distributions={"x": _FLOAT, "n": _INT},
        )
        trial = storage.create_trial(study_id, state=TrialState.COMPLETE, template=template)
        for stored in (trial, storage.get_trial(trial.trial_id)):
            assert dict(stored.params) == {"x": 1.0, "n": 4}
            assert type(stored.params["x"]) is float, (
                f"a FloatDistribution param came back as {stored.params['x']!r}"
            )
            assert type(stored.params["n"]) is int

    @pytest.mark.parametrize("state", _FINISHED, ids=_name)
    def test_imported_finished_trial_gets_times(
        self, storage: BaseStorage, state: TrialState
    ) -> None:
        """A finished trial imported without times gets a start and a completion time."""
        study_id = self.new_study(storage)
        values = (1.0,) if state is TrialState.COMPLETE else None
        trial = storage.create_trial(
            study_id, state=state, template=_template(state=state, values=values)
        )
        assert trial.state is state
        assert trial.values == values
        _assert_utc(trial.datetime_start, "datetime_start")
        _assert_utc(trial.datetime_complete, "datetime_complete")

    def test_waiting_trial_from_template(self, storage: BaseStorage) -> None:
        """A WAITING trial keeps its template's attributes and has not started."""
        study_id = self.new_study(storage)
        template = _template(user_attrs={"u": 1}, system_attrs={"fixed": {"x": 0.5}})
        trial = storage.create_trial(study_id, state=TrialState.WAITING, template=template)
        stored = storage.get_trial(trial.trial_id)
        assert stored.state is TrialState.WAITING
        assert stored.number == 0
        assert dict(stored.user_attrs) == {"u": 1}
        assert dict(stored.system_attrs) == {"fixed": {"x": 0.5}}
        assert stored.datetime_start is None

    # -- WAITING trials and claiming -----------------------------------------------------

    def test_claim_without_waiting_trials(self, storage: BaseStorage) -> None:
        """claim_waiting_trial returns None when no trial is WAITING."""
        study_id = self.new_study(storage)
        assert storage.claim_waiting_trial(study_id, "w") is None
        running = storage.create_trial(study_id)
        assert storage.claim_waiting_trial(study_id, "w") is None
        assert storage.get_trial(running.trial_id).state is TrialState.RUNNING

    def test_claim_is_fifo_and_exactly_once(self, storage: BaseStorage) -> None:
        """WAITING trials are claimed oldest first, each once, and become RUNNING."""
        study_id = self.new_study(storage)
        waiting = []
        for _ in range(3):
            waiting.append(storage.create_trial(study_id, state=TrialState.WAITING))
            storage.create_trial(study_id)  # a RUNNING trial in between
        claimed = []
        while (trial := storage.claim_waiting_trial(study_id, "worker")) is not None:
            claimed.append(trial)
            assert len(claimed) <= 3, "a trial was claimed more than once"
        assert [t.number for t in claimed] == [0, 2, 4]
        assert [t.trial_id for t in claimed] == [t.trial_id for t in waiting]
        for trial in claimed:
            assert trial.state is TrialState.RUNNING
            _assert_utc(trial.datetime_start, "datetime_start")
            assert trial.datetime_complete is None
            assert storage.get_trial(trial.trial_id).state is TrialState.RUNNING
        assert storage.count_trials(study_id, states=[TrialState.WAITING]) == 0

    def test_claim_keeps_template_fields(self, storage: BaseStorage) -> None:
        """A claimed trial keeps what its template gave it."""
        study_id = self.new_study(storage)
        template = _template(user_attrs={"u": "v"}, system_attrs={"fixed": {"x": 1}})
        storage.create_trial(study_id, state=TrialState.WAITING, template=template)
        claimed = storage.claim_waiting_trial(study_id, "w")
        assert claimed is not None
        assert dict(claimed.user_attrs) == {"u": "v"}
        assert dict(claimed.system_attrs) == {"fixed": {"x": 1}}

    def test_claim_is_per_study(self, storage: BaseStorage) -> None:
        """A study's WAITING trials are claimed only through that study."""
        a = self.new_study(storage, "a")
        b = self.new_study(storage, "b")
        waiting = storage.create_trial(a, state=TrialState.WAITING)
        assert storage.claim_waiting_trial(b, "w") is None
        claimed = storage.claim_waiting_trial(a, "w")
        assert claimed is not None
        assert claimed.trial_id == waiting.trial_id

    def test_claim_skips_cancelled_trials(self, storage: BaseStorage) -> None:
        """A WAITING trial moved to FAIL (cancelled) is never claimed."""
        study_id = self.new_study(storage)
        first = storage.create_trial(study_id, state=TrialState.WAITING)
        second = storage.create_trial(study_id, state=TrialState.WAITING)
        cancelled = storage.finish_trial(first.trial_id, TrialState.FAIL)
        assert cancelled.state is TrialState.FAIL
        claimed = storage.claim_waiting_trial(study_id, "w")
        assert claimed is not None
        assert claimed.trial_id == second.trial_id
        assert storage.claim_waiting_trial(study_id, "w") is None
        assert storage.get_trial(first.trial_id).state is TrialState.FAIL

    def test_claim_or_create_prefers_waiting_trials(self, storage: BaseStorage) -> None:
        """claim_or_create_trial claims WAITING trials first, then creates RUNNING ones."""
        study_id = self.new_study(storage)
        template = _template(user_attrs={"u": 1}, system_attrs={"fixed": {"x": 2}})
        waiting = storage.create_trial(study_id, state=TrialState.WAITING, template=template)
        claimed = storage.claim_or_create_trial(study_id, "w")
        assert claimed.trial_id == waiting.trial_id
        assert claimed.state is TrialState.RUNNING
        assert dict(claimed.system_attrs) == {"fixed": {"x": 2}}
        created = storage.claim_or_create_trial(study_id, "w")
        assert created.trial_id != waiting.trial_id
        assert (created.number, created.state) == (1, TrialState.RUNNING)
        assert not created.params and not created.system_attrs
        _assert_utc(created.datetime_start, "datetime_start")
        assert storage.get_trial(created.trial_id) == created

    def test_claim_or_create_respects_max_trials(self, storage: BaseStorage) -> None:
        """A waiting trial is claimed even at the limit; nothing is created past it."""
        study_id = self.new_study(storage)
        storage.create_trial(study_id)
        waiting = storage.create_trial(study_id, state=TrialState.WAITING)
        claimed = storage.claim_or_create_trial(study_id, "w", max_trials=2)
        assert claimed.trial_id == waiting.trial_id
        with pytest.raises(TrialLimitReached):
            storage.claim_or_create_trial(study_id, "w", max_trials=2)
        assert storage.count_trials(study_id) == 2

    def test_claim_or_create_in_unknown_study(self, storage: BaseStorage) -> None:
        """claim_or_create_trial in an unknown study raises StudyNotFoundError."""
        self.new_study(storage)
        with pytest.raises(StudyNotFoundError):
            storage.claim_or_create_trial(10_000, "w")

    def test_concurrent_claims_are_exactly_once(self, storage: BaseStorage) -> None:
        """8 threads racing over 200 WAITING trials claim each exactly once."""
        study_id = self.new_study(storage)
        n_waiting = 200
        for _ in range(n_waiting):
            storage.create_trial(study_id, state=TrialState.WAITING)

        def claim_all(index: int) -> list[int]:
            mine = []
            while (trial := storage.claim_waiting_trial(study_id, f"worker-{index}")) is not None:
                assert trial.state is TrialState.RUNNING
                mine.append(trial.number)
            return mine

        per_thread = _run_threads(N_THREADS, claim_all)
        claimed = [number for numbers in per_thread for number in numbers]
        assert len(claimed) == n_waiting, f"{len(claimed)} claims for {n_waiting} trials"
        assert sorted(claimed) == list(range(n_waiting))
        for numbers in per_thread:
            assert numbers == sorted(numbers), "one worker's claims must go oldest first"
        assert storage.count_trials(study_id, states=[TrialState.RUNNING]) == n_waiting
        assert storage.count_trials(study_id, states=[TrialState.WAITING]) == 0

    # -- batches -------------------------------------------------------------------------

    def test_enqueue_batch_once_per_key(self, storage: BaseStorage) -> None:
        """The first call for a key inserts WAITING trials; later calls insert nothing."""
        study_id = self.new_study(storage)
        templates = [_template(system_attrs={"i": i}) for i in range(3)]
        assert storage.enqueue_batch(study_id, "chunk-0", templates) is True
        assert storage.enqueue_batch(study_id, "chunk-0", templates) is False
        assert storage.enqueue_batch(study_id, "chunk-0", [_template()]) is False
        trials = storage.get_trials(study_id)
        assert [t.number for t in trials] == [0, 1, 2]
        assert [t.state for t in trials] == [TrialState.WAITING] * 3
        assert [t.system_attrs["i"] for t in trials] == [0, 1, 2]
        assert storage.enqueue_batch(study_id, "chunk-1", [_template()]) is True
        assert storage.count_trials(study_id) == 4

    def test_enqueue_batch_keys_are_per_study(self, storage: BaseStorage) -> None:
        """The same key may be used once in each study."""
        a = self.new_study(storage, "a")
        b = self.new_study(storage, "b")
        assert storage.enqueue_batch(a, "k", [_template()]) is True
        assert storage.enqueue_batch(b, "k", [_template(), _template()]) is True
        assert storage.count_trials(a) == 1
        assert storage.count_trials(b) == 2

    def test_enqueued_batch_is_claimed_in_order(self, storage: BaseStorage) -> None:
        """Batch trials are claimed in template order, after older WAITING trials."""
        study_id = self.new_study(storage)
        storage.create_trial(study_id, state=TrialState.WAITING)
        storage.enqueue_batch(study_id, "k", [_template(system_attrs={"i": i}) for i in range(3)])
        order = []
        while (trial := storage.claim_waiting_trial(study_id, "w")) is not None:
            order.append((trial.number, trial.system_attrs.get("i")))
        assert order == [(0, None), (1, 0), (2, 1), (3, 2)]

    def test_concurrent_enqueue_batch_has_one_winner(self, storage: BaseStorage) -> None:
        """8 threads enqueueing the same key: exactly one wins and inserts its batch."""
        study_id = self.new_study(storage)

        def enqueue(index: int) -> bool:
            templates = [_template(system_attrs={"writer": index}) for _ in range(5)]
            return storage.enqueue_batch(study_id, "shared-key", templates)

        results = _run_threads(N_THREADS, enqueue)
        assert len(results) == N_THREADS
        assert results.count(True) == 1, f"winners: {results}"
        winner = results.index(True)
        trials = storage.get_trials(study_id)
        assert [t.number for t in trials] == [0, 1, 2, 3, 4]
        assert {t.system_attrs["writer"] for t in trials} == {winner}

    # -- updating running trials ---------------------------------------------------------

    def test_set_trial_param(self, storage: BaseStorage) -> None:
        """Params are stored as external values with their distributions."""
        study_id = self.new_study(storage)
        trial = storage.create_trial(study_id)
        storage.set_trial_param(trial.trial_id, "x", 2.5, _FLOAT)
        storage.set_trial_param(trial.trial_id, "n", 7.0, _INT)
        storage.set_trial_param(trial.trial_id, "opt", 1.0, _CAT)
        storage.set_trial_param(trial.trial_id, "none", 2.0, _CAT)
        stored = storage.get_trial(trial.trial_id)
        assert dict(stored.params) == {"x": 2.5, "n": 7, "opt": "sgd", "none": None}
        assert type(stored.params["n"]) is int
        assert dict(stored.distributions) == {"x": _FLOAT, "n": _INT, "opt": _CAT, "none": _CAT}
        assert stored.state is TrialState.RUNNING

    def test_set_intermediate_value(self, storage: BaseStorage) -> None:
        """Reports are kept by integer step."""
        study_id = self.new_study(storage)
        trial = storage.create_trial(study_id)
        storage.set_intermediate_value(trial.trial_id, 0, 0.5)
        storage.set_intermediate_value(trial.trial_id, 10, -1.25)
        storage.set_intermediate_value(trial.trial_id, 3, 2.0)
        stored = storage.get_trial(trial.trial_id)
        assert dict(stored.intermediate_values) == {0: 0.5, 3: 2.0, 10: -1.25}
        assert all(type(step) is int for step in stored.intermediate_values)
        assert stored.last_step == 10

    def test_set_trial_attr(self, storage: BaseStorage) -> None:
        """User and system attributes of a trial are kept apart and overwritten."""
        study_id = self.new_study(storage)
        trial = storage.create_trial(study_id)
        storage.set_trial_attr(trial.trial_id, "k", "user")
        storage.set_trial_attr(trial.trial_id, "k", {"sys": [1, None]}, system=True)
        storage.set_trial_attr(trial.trial_id, "other", 3)
        storage.set_trial_attr(trial.trial_id, "other", 4)
        stored = storage.get_trial(trial.trial_id)
        assert dict(stored.user_attrs) == {"k": "user", "other": 4}
        assert dict(stored.system_attrs) == {"k": {"sys": [1, None]}}

    def test_updates_touch_only_their_trial(self, storage: BaseStorage) -> None:
        """Updating one trial leaves the others unchanged."""
        study_id = self.new_study(storage)
        first = storage.create_trial(study_id)
        second = storage.create_trial(study_id)
        storage.set_trial_param(first.trial_id, "x", 1.0, _FLOAT)
        storage.set_intermediate_value(first.trial_id, 0, 1.0)
        storage.set_trial_attr(first.trial_id, "k", 1)
        storage.finish_trial(first.trial_id, TrialState.COMPLETE, [1.0])
        assert storage.get_trial(second.trial_id) == second

    @pytest.mark.parametrize("state", _FINISHED, ids=_name)
    def test_finished_trial_refuses_updates(self, storage: BaseStorage, state: TrialState) -> None:
        """Every update of a finished trial raises TrialFinishedError and changes nothing."""
        study_id = self.new_study(storage)
        trial = self.finished_trial(storage, study_id, state)
        with pytest.raises(TrialFinishedError):
            storage.set_trial_param(trial.trial_id, "y", 1.0, _FLOAT)
        with pytest.raises(TrialFinishedError):
            storage.set_trial_param(trial.trial_id, "x", 3.0, _FLOAT)
        with pytest.raises(TrialFinishedError):
            storage.set_intermediate_value(trial.trial_id, 1, 0.0)
        with pytest.raises(TrialFinishedError):
            storage.set_trial_attr(trial.trial_id, "u", 99)
        with pytest.raises(TrialFinishedError):
            storage.set_trial_attr(trial.trial_id, "s", 99, system=True)
        assert storage.get_trial(trial.trial_id) == trial

    def test_updates_of_unknown_trial(self, storage: BaseStorage) -> None:
        """Updating or finishing an unknown trial raises TrialNotFoundError."""
        self.new_study(storage)
        with pytest.raises(TrialNotFoundError):
            storage.set_trial_param(_UNKNOWN_ID, "x", 1.0, _FLOAT)
        with pytest.raises(TrialNotFoundError):
            storage.set_intermediate_value(_UNKNOWN_ID, 0, 1.0)
        with pytest.raises(TrialNotFoundError):
            storage.set_trial_attr(_UNKNOWN_ID, "k", 1)
        with pytest.raises(TrialNotFoundError):
            storage.finish_trial(_UNKNOWN_ID, TrialState.COMPLETE, [1.0])

    # -- finishing trials ----------------------------------------------------------------

    def test_finish_complete_stores_float_values(self, storage: BaseStorage) -> None:
        """COMPLETE stores the values as a tuple of floats and sets the completion time."""
        study_id = self.new_study(storage)
        trial = storage.create_trial(study_id)
        finished = storage.finish_trial(trial.trial_id, TrialState.COMPLETE, [1, 2.5])
        assert finished.state is TrialState.COMPLETE
        assert finished.values == (1.0, 2.5)
        assert type(finished.values) is tuple
        assert all(type(v) is float for v in finished.values)
        _assert_utc(finished.datetime_complete, "datetime_complete")
        _assert_utc(finished.datetime_start, "datetime_start")
        assert finished.datetime_start == trial.datetime_start
        assert finished.datetime_complete >= finished.datetime_start  # type: ignore[operator]
        assert storage.get_trial(trial.trial_id) == finished

    @pytest.mark.parametrize("state", [TrialState.PRUNED, TrialState.FAIL], ids=_name)
    def test_finish_without_values(self, storage: BaseStorage, state: TrialState) -> None:
        """PRUNED and FAIL may be stored without values."""
        study_id = self.new_study(storage)
        trial = storage.create_trial(study_id)
        finished = storage.finish_trial(trial.trial_id, state)
        assert finished.state is state
        assert finished.values is None
        _assert_utc(finished.datetime_complete, "datetime_complete")
        assert storage.get_trial(trial.trial_id) == finished

    def test_finish_pruned_with_value(self, storage: BaseStorage) -> None:
        """PRUNED may carry a value (the last reported one, chosen by the study)."""
        study_id = self.new_study(storage)
        trial = storage.create_trial(study_id)
        storage.set_intermediate_value(trial.trial_id, 4, 0.125)
        finished = storage.finish_trial(trial.trial_id, TrialState.PRUNED, (0.125,))
        assert finished.values == (0.125,)
        assert dict(finished.intermediate_values) == {4: 0.125}

    def test_finish_keeps_recorded_fields(self, storage: BaseStorage) -> None:
        """Finishing keeps params, reports and attributes."""
        study_id = self.new_study(storage)
        trial = self.finished_trial(storage, study_id, TrialState.COMPLETE)
        assert dict(trial.params) == {"x": 2.5}
        assert dict(trial.distributions) == {"x": _FLOAT}
        assert dict(trial.intermediate_values) == {0: 1.5}
        assert dict(trial.user_attrs) == {"u": 1}
        assert dict(trial.system_attrs) == {"s": 2}
        assert trial.values == (0.25,)

    def test_cancel_waiting_trial(self, storage: BaseStorage) -> None:
        """A WAITING trial may move to FAIL (it is cancelled)."""
        study_id = self.new_study(storage)
        trial = storage.create_trial(study_id, state=TrialState.WAITING)
        finished = storage.finish_trial(trial.trial_id, TrialState.FAIL)
        assert finished.state is TrialState.FAIL
        _assert_utc(finished.datetime_complete, "datetime_complete")
        assert storage.count_trials(study_id, states=[TrialState.WAITING]) == 0

    def test_finish_trial_to_running(self, storage: BaseStorage) -> None:
        """finish_trial(WAITING -> RUNNING) is refused, or yields a started, open trial."""
        study_id = self.new_study(storage)
        trial = storage.create_trial(study_id, state=TrialState.WAITING)
        try:
            moved = storage.finish_trial(trial.trial_id, TrialState.RUNNING)
        except InvalidTransitionError as exc:
            assert not isinstance(exc, TrialFinishedError)
            assert storage.get_trial(trial.trial_id) == trial
            return
        assert moved.state is TrialState.RUNNING
        _assert_utc(moved.datetime_start, "datetime_start of a RUNNING trial")
        assert moved.datetime_complete is None, "a RUNNING trial has no completion time"
        assert storage.get_trial(trial.trial_id) == moved
        assert storage.claim_waiting_trial(study_id, "w") is None

    @pytest.mark.parametrize(
        ("start", "target"),
        [
            (TrialState.WAITING, TrialState.WAITING),
            (TrialState.WAITING, TrialState.COMPLETE),
            (TrialState.WAITING, TrialState.PRUNED),
            (TrialState.RUNNING, TrialState.RUNNING),
            (TrialState.RUNNING, TrialState.WAITING),
        ],
        ids=lambda s: s.name,
    )
    def test_invalid_transition(
        self, storage: BaseStorage, start: TrialState, target: TrialState
    ) -> None:
        """A forbidden move raises InvalidTransitionError and changes nothing."""
        study_id = self.new_study(storage)
        trial = storage.create_trial(study_id, state=start)
        with pytest.raises(InvalidTransitionError) as info:
            storage.finish_trial(trial.trial_id, target, [1.0])
        assert not isinstance(info.value, TrialFinishedError)
        assert storage.get_trial(trial.trial_id) == trial

    @pytest.mark.parametrize("state", _FINISHED, ids=_name)
    @pytest.mark.parametrize("target", _ALL_STATES, ids=_name)
    def test_finished_trial_cannot_move(
        self, storage: BaseStorage, state: TrialState, target: TrialState
    ) -> None:
        """Nothing leaves a finished state: TrialFinishedError, and nothing changes."""
        study_id = self.new_study(storage)
        trial = self.finished_trial(storage, study_id, state)
        with pytest.raises(TrialFinishedError):
            storage.finish_trial(trial.trial_id, target, [9.0])
        assert storage.get_trial(trial.trial_id) == trial

    # -- reading trials ------------------------------------------------------------------

    def test_get_trial_unknown(self, storage: BaseStorage) -> None:
        """get_trial of an unknown id raises TrialNotFoundError."""
        study_id = self.new_study(storage)
        storage.create_trial(study_id)
        with pytest.raises(TrialNotFoundError):
            storage.get_trial(_UNKNOWN_ID)

    def test_get_trial_by_number(self, storage: BaseStorage) -> None:
        """get_trial_by_number finds a trial of the given study only."""
        a = self.new_study(storage, "a")
        b = self.new_study(storage, "b")
        a0 = storage.create_trial(a)
        a1 = storage.create_trial(a)
        b0 = storage.create_trial(b)
        assert storage.get_trial_by_number(a, 0) == a0
        assert storage.get_trial_by_number(a, 1) == a1
        assert storage.get_trial_by_number(b, 0) == b0
        for number in (-1, 2, 100):
            with pytest.raises(TrialNotFoundError):
                storage.get_trial_by_number(a, number)
        with pytest.raises(TrialNotFoundError):
            storage.get_trial_by_number(b, 1)

    def test_get_trials_filters(self, storage: BaseStorage) -> None:
        """get_trials filters by states and min_number, in number order."""
        study_id = self.new_study(storage)
        other = self.new_study(storage, "other")
        storage.create_trial(other)
        states = [
            TrialState.COMPLETE,
            TrialState.RUNNING,
            TrialState.WAITING,
            TrialState.PRUNED,
            TrialState.FAIL,
            TrialState.COMPLETE,
            TrialState.RUNNING,
        ]
        for state in states:
            if state is TrialState.WAITING:
                storage.create_trial(study_id, state=state)
            elif state is TrialState.RUNNING:
                storage.create_trial(study_id)
            else:
                self.finished_trial(storage, study_id, state)

        def numbers(
            states: Collection[TrialState] | None = None, min_number: int = 0
        ) -> list[int]:
            found = storage.get_trials(study_id, states=states, min_number=min_number)
            return [t.number for t in found]

        assert numbers() == list(range(7))
        assert numbers(states=[TrialState.COMPLETE]) == [0, 5]
        assert numbers(states={TrialState.RUNNING, TrialState.WAITING}) == [1, 2, 6]
        assert numbers(states=(TrialState.PRUNED, TrialState.FAIL)) == [3, 4]
        assert numbers(states=[]) == []
        assert numbers(min_number=3) == [3, 4, 5, 6]
        assert numbers(min_number=7) == []
        assert numbers(min_number=5, states=[TrialState.COMPLETE]) == [5]
        assert numbers(min_number=6, states=[TrialState.COMPLETE]) == []
        for trial in storage.get_trials(study_id):
            assert trial.state is states[trial.number]

    def test_get_trials_negative_min_number(self, storage: BaseStorage) -> None:
        """A negative min_number filters nothing out (every number is >= it)."""
        study_id = self.new_study(storage)
        for _ in range(3):
            storage.create_trial(study_id)
        for min_number in (-1, -2, -100):
            found = [t.number for t in storage.get_trials(study_id, min_number=min_number)]
            assert found == [0, 1, 2], f"min_number={min_number} gave {found}"

    def test_count_trials(self, storage: BaseStorage) -> None:
        """count_trials counts all trials of a study, or those in the given states."""
        study_id = self.new_study(storage)
        other = self.new_study(storage, "other")
        assert storage.count_trials(study_id) == 0
        storage.create_trial(other)
        storage.create_trial(study_id)
        storage.create_trial(study_id, state=TrialState.WAITING)
        storage.create_trial(study_id, state=TrialState.WAITING)
        self.finished_trial(storage, study_id, TrialState.COMPLETE)
        assert storage.count_trials(study_id) == 4
        assert storage.count_trials(study_id, states=[TrialState.WAITING]) == 2
        assert storage.count_trials(study_id, states=[TrialState.COMPLETE]) == 1
        assert storage.count_trials(study_id, states=[TrialState.PRUNED]) == 0
        assert storage.count_trials(study_id, states=[]) == 0
        running_or_done = {TrialState.RUNNING, TrialState.COMPLETE}
        assert storage.count_trials(study_id, states=running_or_done) == 2
        assert storage.count_trials(other) == 1

    def test_snapshots_do_not_change(self, storage: BaseStorage) -> None:
        """Trials returned earlier keep their content when the trial changes later."""
        study_id = self.new_study(storage)
        created = storage.create_trial(study_id)
        fetched = storage.get_trial(created.trial_id)
        listed = storage.get_trials(study_id)[0]
        by_number = storage.get_trial_by_number(study_id, 0)
        storage.set_trial_param(created.trial_id, "x", 1.0, _FLOAT)
        storage.set_intermediate_value(created.trial_id, 0, 0.5)
        storage.set_trial_attr(created.trial_id, "u", 1)
        storage.set_trial_attr(created.trial_id, "s", 1, system=True)
        middle = storage.get_trial(created.trial_id)
        storage.set_trial_param(created.trial_id, "y", 2.0, _FLOAT)
        storage.finish_trial(created.trial_id, TrialState.COMPLETE, [3.0])
        for old in (created, fetched, listed, by_number):
            assert old.state is TrialState.RUNNING
            assert old.values is None
            assert dict(old.params) == {}
            assert dict(old.intermediate_values) == {}
            assert dict(old.user_attrs) == {}
            assert dict(old.system_attrs) == {}
            assert old.datetime_complete is None
        assert dict(middle.params) == {"x": 1.0}
        assert middle.state is TrialState.RUNNING
        final = storage.get_trial(created.trial_id)
        assert dict(final.params) == {"x": 1.0, "y": 2.0}
        assert final.values == (3.0,)

    def test_claimed_snapshot_does_not_change(self, storage: BaseStorage) -> None:
        """The WAITING record returned by create_trial stays WAITING after a claim."""
        study_id = self.new_study(storage)
        waiting = storage.create_trial(study_id, state=TrialState.WAITING)
        claimed = storage.claim_waiting_trial(study_id, "w")
        assert claimed is not None
        storage.set_trial_param(claimed.trial_id, "x", 1.0, _FLOAT)
        assert waiting.state is TrialState.WAITING
        assert waiting.datetime_start is None
        assert dict(claimed.params) == {}

    # -- liveness ------------------------------------------------------------------------

    def test_heartbeat_keeps_trial_running(self, storage: BaseStorage) -> None:
        """A trial with a fresh heartbeat is not failed as stale."""
        study_id = self.new_study(storage)
        trial = storage.create_trial(study_id)
        storage.record_heartbeat(trial.trial_id, "worker")
        assert storage.fail_stale_trials(study_id, grace_period=3600.0) == []
        assert storage.get_trial(trial.trial_id).state is TrialState.RUNNING

    # -- concurrency ---------------------------------------------------------------------

    def test_concurrent_create_trial_is_dense(self, storage: BaseStorage) -> None:
        """8 threads creating 25 trials each get numbers 0..199, no gaps or duplicates."""
        study_id = self.new_study(storage)
        per_thread = 25

        def create(index: int) -> list[FrozenTrial]:
            return [storage.create_trial(study_id) for _ in range(per_thread)]

        created = [t for trials in _run_threads(N_THREADS, create) for t in trials]
        total = N_THREADS * per_thread
        numbers = sorted(t.number for t in created)
        assert numbers == list(range(total)), "numbers must be dense and unique"
        assert len({t.trial_id for t in created}) == total
        stored = storage.get_trials(study_id)
        assert [t.number for t in stored] == list(range(total))
        assert {t.trial_id for t in stored} == {t.trial_id for t in created}
        assert storage.count_trials(study_id) == total

    def test_concurrent_create_in_two_studies(self, storage: BaseStorage) -> None:
        """Concurrent writers to two studies keep each study's numbers dense."""
        studies = [self.new_study(storage, "even"), self.new_study(storage, "odd")]
        per_thread = 20

        def create(index: int) -> list[FrozenTrial]:
            study_id = studies[index % 2]
            return [storage.create_trial(study_id) for _ in range(per_thread)]

        _run_threads(N_THREADS, create)
        for study_id in studies:
            numbers = [t.number for t in storage.get_trials(study_id)]
            assert numbers == list(range(N_THREADS // 2 * per_thread))

    def test_concurrent_updates_of_distinct_trials(self, storage: BaseStorage) -> None:
        """Threads updating and finishing their own trials lose no write."""
        study_id = self.new_study(storage)
        trials = [storage.create_trial(study_id) for _ in range(N_THREADS)]

        def work(index: int) -> int:
            trial_id = trials[index].trial_id
            for step in range(10):
                storage.set_intermediate_value(trial_id, step, float(index * step))
            storage.set_trial_param(trial_id, "x", float(index), _FLOAT)
            storage.finish_trial(trial_id, TrialState.COMPLETE, [float(index)])
            return index

        _run_threads(N_THREADS, work)
        for index, trial in enumerate(storage.get_trials(study_id)):
            assert trial.state is TrialState.COMPLETE
            assert trial.values == (float(index),)
            assert dict(trial.params) == {"x": float(index)}
            assert dict(trial.intermediate_values) == {s: float(index * s) for s in range(10)}

    def test_concurrent_finish_has_one_winner(self, storage: BaseStorage) -> None:
        """Threads finishing the same trial: one succeeds, the others get TrialFinishedError."""
        study_id = self.new_study(storage)
        trial = storage.create_trial(study_id)

        def finish(index: int) -> str:
            try:
                storage.finish_trial(trial.trial_id, TrialState.COMPLETE, [float(index)])
            except TrialFinishedError:
                return "refused"
            return f"won:{index}"

        results = _run_threads(N_THREADS, finish)
        winners = [r for r in results if r.startswith("won:")]
        assert len(winners) == 1, f"results: {results}"
        assert results.count("refused") == N_THREADS - 1
        winner = int(winners[0].split(":")[1])
        assert storage.get_trial(trial.trial_id).values == (float(winner),)

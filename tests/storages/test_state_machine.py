"""A stateful model check of one storage against the trial state machine of ``_records``.

The model keeps its own copy of the transition table (it does not call
``check_transition``), so a change in either the table or a backend shows up here.
"""

from __future__ import annotations

import itertools
import math

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from tunelab import StudyDirection, TrialState
from tunelab.distributions import FloatDistribution
from tunelab.exceptions import InvalidTransitionError, TrialFinishedError
from tunelab.storages import BaseStorage

FINISHED = frozenset({TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL})
ALLOWED = {
    TrialState.WAITING: frozenset({TrialState.RUNNING, TrialState.FAIL}),
    TrialState.RUNNING: FINISHED,
}
DIST = FloatDistribution(-100.0, 100.0)

finite = st.floats(-100.0, 100.0, allow_nan=False, allow_infinity=False)
steps = st.integers(0, 20)
picks = st.integers(0, 10_000)  # an index into the trials, taken modulo their count
names = st.sampled_from(["a", "b", "c"])

_study_names = itertools.count()


class _ModelTrial:
    def __init__(self, trial_id: int, state: TrialState) -> None:
        self.trial_id = trial_id
        self.state = state
        self.values: tuple[float, ...] | None = None
        self.params: dict[str, float] = {}
        self.intermediate: dict[int, float] = {}
        # Set once finish_trial moved it WAITING -> RUNNING; its times are checked by the
        # conformance suite (test_finish_trial_to_running), not here.
        self.started_by_finish = False
        self.ran = state is TrialState.RUNNING  # created RUNNING or claimed


class StorageMachine(RuleBasedStateMachine):
    def __init__(self, storage: BaseStorage) -> None:
        super().__init__()
        self.storage = storage
        self.study_id = -1
        self.model: list[_ModelTrial] = []

    @initialize()
    def new_study(self) -> None:
        # The storage is shared by every example of one test: each example gets its study.
        name = f"machine-{next(_study_names)}"
        self.study_id = self.storage.create_study(name, (StudyDirection.MINIMIZE,)).study_id

    def _pick(self, index: int) -> tuple[int, _ModelTrial] | None:
        if not self.model:
            return None
        number = index % len(self.model)
        return number, self.model[number]

    def _unchanged(self, number: int, before) -> None:
        assert self.storage.get_trial(self.model[number].trial_id) == before

    # -- rules ---------------------------------------------------------------------------

    @rule(waiting=st.booleans())
    def create(self, waiting: bool) -> None:
        state = TrialState.WAITING if waiting else TrialState.RUNNING
        trial = self.storage.create_trial(self.study_id, state=state)
        assert trial.number == len(self.model)
        assert trial.state is state
        self.model.append(_ModelTrial(trial.trial_id, state))

    @rule()
    def claim(self) -> None:
        claimed = self.storage.claim_waiting_trial(self.study_id, "machine")
        oldest = next((n for n, t in enumerate(self.model) if t.state is TrialState.WAITING), None)
        if oldest is None:
            assert claimed is None
            return
        assert claimed is not None
        assert claimed.number == oldest
        assert claimed.state is TrialState.RUNNING
        self.model[oldest].state = TrialState.RUNNING
        self.model[oldest].ran = True

    @rule(index=picks, step=steps, value=finite)
    def report(self, index: int, step: int, value: float) -> None:
        picked = self._pick(index)
        if picked is None or picked[1].state is TrialState.WAITING:
            return  # reports of WAITING trials are outside the contract
        number, trial = picked
        if trial.state in FINISHED:
            before = self.storage.get_trial(trial.trial_id)
            with pytest.raises(TrialFinishedError):
                self.storage.set_intermediate_value(trial.trial_id, step, value)
            self._unchanged(number, before)
            return
        self.storage.set_intermediate_value(trial.trial_id, step, value)
        trial.intermediate[step] = value

    @rule(index=picks, name=names, value=finite)
    def set_param(self, index: int, name: str, value: float) -> None:
        picked = self._pick(index)
        if picked is None or picked[1].state is TrialState.WAITING:
            return  # params of WAITING trials are outside the contract
        number, trial = picked
        if trial.state in FINISHED:
            before = self.storage.get_trial(trial.trial_id)
            with pytest.raises(TrialFinishedError):
                self.storage.set_trial_param(trial.trial_id, name, value, DIST)
            self._unchanged(number, before)
            return
        self.storage.set_trial_param(trial.trial_id, name, value, DIST)
        trial.params[name] = value

    @rule(index=picks, new_state=st.sampled_from(list(TrialState)), value=finite)
    def finish(self, index: int, new_state: TrialState, value: float) -> None:
        picked = self._pick(index)
        if picked is None:
            return
        number, trial = picked
        values = (value,) if new_state is TrialState.COMPLETE else None
        if trial.state in FINISHED:
            before = self.storage.get_trial(trial.trial_id)
            with pytest.raises(TrialFinishedError):
                self.storage.finish_trial(trial.trial_id, new_state, values)
            self._unchanged(number, before)
            return
        if new_state not in ALLOWED[trial.state]:
            before = self.storage.get_trial(trial.trial_id)
            with pytest.raises(InvalidTransitionError) as info:
                self.storage.finish_trial(trial.trial_id, new_state, values)
            assert not isinstance(info.value, TrialFinishedError)
            self._unchanged(number, before)
            return
        if new_state is TrialState.RUNNING:
            # Allowed by the table; a backend may still insist that finish_trial only
            # finishes. Either it refuses and changes nothing, or the trial runs.
            before = self.storage.get_trial(trial.trial_id)
            try:
                moved = self.storage.finish_trial(trial.trial_id, new_state, values)
            except InvalidTransitionError as exc:
                assert not isinstance(exc, TrialFinishedError)
                self._unchanged(number, before)
                return
            assert moved.state is TrialState.RUNNING
            trial.state = TrialState.RUNNING
            trial.started_by_finish = True
            return
        finished = self.storage.finish_trial(trial.trial_id, new_state, values)
        assert finished.state is new_state
        assert finished.number == number
        trial.state = new_state
        trial.values = values

    # -- invariants ----------------------------------------------------------------------

    @invariant()
    def numbers_are_dense(self) -> None:
        if self.study_id < 0:
            return
        numbers = [t.number for t in self.storage.get_trials(self.study_id)]
        assert numbers == list(range(len(self.model)))

    @invariant()
    def states_and_data_match_the_model(self) -> None:
        if self.study_id < 0:
            return
        for stored, expected in zip(
            self.storage.get_trials(self.study_id), self.model, strict=True
        ):
            assert stored.trial_id == expected.trial_id
            assert stored.state is expected.state
            assert stored.values == expected.values
            assert dict(stored.intermediate_values) == expected.intermediate
            assert set(stored.params) == set(expected.params)
            for name, value in expected.params.items():
                assert math.isclose(stored.params[name], value, rel_tol=1e-12, abs_tol=1e-12)
            if expected.state in FINISHED:
                assert stored.datetime_complete is not None
            if expected.started_by_finish:
                continue
            if expected.ran:
                assert stored.datetime_start is not None
            else:  # WAITING, or cancelled while WAITING
                assert stored.datetime_start is None
            if expected.state is TrialState.RUNNING:
                assert stored.datetime_complete is None

    @invariant()
    def waiting_count_matches(self) -> None:
        if self.study_id < 0:
            return
        expected = sum(t.state is TrialState.WAITING for t in self.model)
        assert self.storage.count_trials(self.study_id, states=[TrialState.WAITING]) == expected
        for state in TrialState:
            count = sum(t.state is state for t in self.model)
            assert self.storage.count_trials(self.study_id, states=[state]) == count


def test_storage_follows_the_state_machine(storage: BaseStorage) -> None:
    run_state_machine_as_test(
        lambda: StorageMachine(storage),
        settings=settings(
            max_examples=50,
            stateful_step_count=30,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )

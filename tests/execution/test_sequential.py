from __future__ import annotations

import threading

import pytest

import tunelab as tl
from tunelab._clock import FakeClock
from tunelab.execution import Budget, SequentialExecutor


class CountingLoop:
    """A TrialLoop that counts its trials and can stop or fail on a given call."""

    def __init__(self, *, stop_at=None, fail_at=None, clock=None, seconds_per_trial=0.0):
        self.calls = 0
        self.threads = set()
        self.interrupted = False
        self._stop_at = stop_at
        self._fail_at = fail_at
        self._clock = clock
        self._seconds = seconds_per_trial

    def run_trial(self) -> bool:
        self.calls += 1
        self.threads.add(threading.get_ident())
        if self._clock is not None:
            self._clock.sleep(self._seconds)
        if self._fail_at is not None and self.calls == self._fail_at:
            raise RuntimeError(f"trial {self.calls} failed")
        return self._stop_at is None or self.calls < self._stop_at

    def interrupt(self) -> None:
        self.interrupted = True


def test_runs_exactly_n_trials_in_the_calling_thread():
    loop = CountingLoop()
    budget = Budget(n_trials=7)
    SequentialExecutor().run(loop, n_workers=1, budget=budget)
    assert loop.calls == 7
    assert budget.started == 7
    assert loop.threads == {threading.get_ident()}


def test_stops_when_run_trial_returns_false():
    loop = CountingLoop(stop_at=3)
    budget = Budget(n_trials=100)
    SequentialExecutor().run(loop, n_workers=1, budget=budget)
    assert loop.calls == 3
    assert budget.stopped


def test_runs_until_stopped_without_limits():
    loop = CountingLoop(stop_at=25)
    SequentialExecutor().run(loop, n_workers=1, budget=Budget())
    assert loop.calls == 25


def test_an_exception_propagates_and_no_further_trial_runs():
    loop = CountingLoop(fail_at=2)
    budget = Budget(n_trials=10)
    with pytest.raises(RuntimeError, match="trial 2 failed"):
        SequentialExecutor().run(loop, n_workers=1, budget=budget)
    assert loop.calls == 2
    assert not loop.interrupted


def test_timeout_on_a_fake_clock():
    clock = FakeClock()
    loop = CountingLoop(clock=clock, seconds_per_trial=1.0)
    budget = Budget(timeout=5.0, clock=clock)
    SequentialExecutor().run(loop, n_workers=1, budget=budget)
    assert loop.calls == 5  # trials start at t=0,1,2,3,4; none at t=5
    assert clock.now() == 5.0


def test_a_stopped_budget_runs_nothing():
    loop = CountingLoop()
    budget = Budget(n_trials=5)
    budget.stop()
    SequentialExecutor().run(loop, n_workers=1, budget=budget)
    assert loop.calls == 0


def test_end_to_end_through_study_optimize(storage):
    study = tl.create_study(storage=storage)
    seen = []

    def objective(trial):
        seen.append(threading.get_ident())
        return trial.suggest_float("x", 0, 1)

    study.optimize(objective, n_trials=6, executor="sequential")
    assert [t.number for t in study.trials] == list(range(6))
    assert all(t.state is tl.TrialState.COMPLETE for t in study.trials)
    assert set(seen) == {threading.get_ident()}


def test_sequential_rejects_several_jobs():
    study = tl.create_study()
    with pytest.raises(ValueError, match="n_jobs"):
        study.optimize(lambda t: 0.0, n_trials=1, n_jobs=2, executor="sequential")
    assert study.trials == []


def test_optimize_timeout_uses_the_given_clock():
    clock = FakeClock()
    study = tl.create_study()

    def objective(trial):
        clock.advance(2.0)
        return 0.0

    study.optimize(objective, timeout=7.0, clock=clock)
    assert len(study.trials) == 4  # starts at t=0,2,4,6

from __future__ import annotations

import threading

import pytest

import tunelab as tl
from tunelab.execution import Budget, ThreadExecutor

WAIT = 10.0  # seconds; only a bound on waiting for other threads, never a sleep


class ThreadSafeLoop:
    """A TrialLoop whose trials can meet at a barrier, and stop or fail from a given call on."""

    def __init__(self, *, barrier=None, stop_at=None, fail_at=None):
        self.calls = 0
        self.threads = set()
        self.interrupted = False
        self._lock = threading.Lock()
        self._barrier = barrier
        self._stop_at = stop_at
        self._fail_at = fail_at

    def _count(self) -> int:
        with self._lock:
            self.calls += 1
            self.threads.add(threading.get_ident())
            return self.calls

    def run_trial(self) -> bool:
        call = self._count()
        if self._barrier is not None:
            self._barrier.wait(timeout=WAIT)
        if self._fail_at is not None and call >= self._fail_at:
            raise RuntimeError(f"call {call} failed")
        return self._stop_at is None or call < self._stop_at

    def interrupt(self) -> None:
        self.interrupted = True


def test_runs_exactly_n_trials():
    loop = ThreadSafeLoop()
    budget = Budget(n_trials=200)
    ThreadExecutor(poll_interval=0.01).run(loop, n_workers=4, budget=budget)
    assert loop.calls == 200
    assert budget.started == 200


def test_workers_really_run_at_the_same_time():
    n_workers = 4
    barrier = threading.Barrier(n_workers)  # breaks (and fails the run) unless all meet
    loop = ThreadSafeLoop(barrier=barrier)
    ThreadExecutor().run(loop, n_workers=n_workers, budget=Budget(n_trials=3 * n_workers))
    assert loop.calls == 3 * n_workers
    assert len(loop.threads) == n_workers
    assert threading.get_ident() not in loop.threads
    assert not barrier.broken


def test_fewer_trials_than_workers():
    loop = ThreadSafeLoop()
    ThreadExecutor().run(loop, n_workers=8, budget=Budget(n_trials=3))
    assert loop.calls == 3


def test_stops_when_run_trial_returns_false():
    loop = ThreadSafeLoop(stop_at=1)  # every call asks to stop
    budget = Budget(n_trials=10_000)
    ThreadExecutor().run(loop, n_workers=4, budget=budget)
    assert budget.stopped
    assert 1 <= loop.calls <= 4  # at most the trials already reserved when it stopped
    assert budget.started == loop.calls


def test_stops_after_the_stopping_trial_with_a_limitless_budget():
    loop = ThreadSafeLoop(stop_at=50)
    budget = Budget()
    ThreadExecutor().run(loop, n_workers=3, budget=budget)
    assert budget.stopped
    assert 50 <= loop.calls <= 52


def test_a_worker_exception_is_reraised_and_stops_the_others():
    loop = ThreadSafeLoop(fail_at=5)
    budget = Budget(n_trials=10_000)
    with pytest.raises(RuntimeError, match=r"call \d+ failed"):
        ThreadExecutor().run(loop, n_workers=4, budget=budget)
    assert budget.stopped
    assert loop.calls <= 5 + 3  # each worker makes at most one failing call
    assert not loop.interrupted


class TwoErrorsLoop:
    """The first call fails at once; every later call fails only after the budget stops."""

    def __init__(self, budget):
        self._budget = budget
        self._lock = threading.Lock()
        self.calls = 0

    def run_trial(self) -> bool:
        with self._lock:
            self.calls += 1
            call = self.calls
        if call == 1:
            raise ValueError("first")
        stopped = threading.Event()
        for _ in range(int(WAIT / 0.001)):
            if self._budget.stopped:
                break
            stopped.wait(0.001)
        raise RuntimeError("later")

    def interrupt(self) -> None:
        pass


def test_the_first_exception_wins():
    budget = Budget(n_trials=100)
    loop = TwoErrorsLoop(budget)
    with pytest.raises(ValueError, match="first"):
        ThreadExecutor().run(loop, n_workers=4, budget=budget)
    assert loop.calls <= 4


def test_end_to_end_n_jobs(storage):
    study = tl.create_study(storage=storage)
    threads = set()
    lock = threading.Lock()

    def objective(trial):
        with lock:
            threads.add(threading.get_ident())
        return trial.suggest_float("x", -1, 1) ** 2

    n = 40
    study.optimize(objective, n_trials=n, n_jobs=4, executor="thread")
    trials = study.trials
    assert len(trials) == n
    assert sorted(t.number for t in trials) == list(range(n))
    assert len({t.trial_id for t in trials}) == n
    assert all(t.state is tl.TrialState.COMPLETE for t in trials)
    assert threading.get_ident() not in threads


def test_end_to_end_workers_overlap():
    study = tl.create_study()
    barrier = threading.Barrier(4)

    def objective(trial):
        barrier.wait(timeout=WAIT)
        return 1.0

    study.optimize(objective, n_trials=8, n_jobs=4, executor="thread")
    assert [t.number for t in study.trials] == list(range(8))
    assert all(t.state is tl.TrialState.COMPLETE for t in study.trials)


def test_end_to_end_error_fails_its_trial_and_is_reraised():
    study = tl.create_study()
    lock = threading.Lock()
    count = [0]

    def objective(trial):
        with lock:
            count[0] += 1
            mine = count[0]
        if mine == 3:
            raise KeyError("broken objective")
        return 0.0

    with pytest.raises(KeyError, match="broken objective"):
        study.optimize(objective, n_trials=5000, n_jobs=4, executor="thread")
    trials = study.trials
    assert len(trials) < 5000
    assert [t.number for t in trials] == list(range(len(trials)))
    failed = [t for t in trials if t.state is tl.TrialState.FAIL]
    assert len(failed) == 1
    assert "broken objective" in failed[0].system_attrs["fail_reason"]
    assert not any(t.state is tl.TrialState.RUNNING for t in trials)

from __future__ import annotations

import math
import threading

import numpy as np
import pytest

from tunelab._clock import FakeClock
from tunelab.execution import Budget


@pytest.mark.parametrize("n_trials", [0, -1, 1.5, 2.0, True, False, "3", math.nan])
def test_bad_n_trials_is_rejected_by_name(n_trials):
    with pytest.raises(ValueError, match=r"n_trials="):
        Budget(n_trials=n_trials)


@pytest.mark.parametrize("timeout", [0, 0.0, -1.0, True, "10", math.nan, [1]])
def test_bad_timeout_is_rejected_by_name(timeout):
    with pytest.raises(ValueError, match=r"timeout="):
        Budget(timeout=timeout)


def test_defaults_have_no_limit():
    budget = Budget()
    assert budget.n_trials is None
    assert budget.timeout is None
    assert all(budget.reserve() for _ in range(1000))
    assert budget.started == 1000
    assert not budget.stopped


def test_integral_and_real_types_are_normalised():
    budget = Budget(n_trials=np.int64(2), timeout=np.float32(1.5), clock=FakeClock())
    assert budget.n_trials == 2
    assert type(budget.n_trials) is int
    assert budget.timeout == 1.5
    assert type(budget.timeout) is float
    assert Budget(timeout=3).timeout == 3.0


def test_reserve_counts_up_to_n_trials():
    budget = Budget(n_trials=3)
    assert budget.started == 0
    assert [budget.reserve() for _ in range(5)] == [True, True, True, False, False]
    assert budget.started == 3


def test_timeout_is_measured_on_the_clock():
    clock = FakeClock(start=100.0)
    budget = Budget(timeout=10.0, clock=clock)
    assert budget.elapsed() == 0.0
    assert budget.reserve()
    clock.advance(9.5)
    assert budget.elapsed() == 9.5
    assert budget.reserve()
    clock.advance(0.5)  # exactly at the timeout: no new trial starts
    assert not budget.reserve()
    assert budget.started == 2
    assert not budget.stopped


def test_elapsed_counts_from_creation_not_from_clock_zero():
    clock = FakeClock()
    clock.advance(50.0)
    budget = Budget(timeout=5.0, clock=clock)
    assert budget.reserve()
    clock.sleep(4.0)
    assert budget.reserve()
    clock.sleep(1.0)
    assert not budget.reserve()


def test_n_trials_and_timeout_together():
    clock = FakeClock()
    by_count = Budget(n_trials=2, timeout=100.0, clock=clock)
    assert [by_count.reserve() for _ in range(3)] == [True, True, False]
    by_time = Budget(n_trials=100, timeout=1.0, clock=clock)
    assert by_time.reserve()
    clock.advance(1.0)
    assert not by_time.reserve()
    assert by_time.started == 1


def test_stop_ends_the_budget():
    budget = Budget(n_trials=10)
    assert budget.reserve()
    budget.stop()
    assert budget.stopped
    assert not budget.reserve()
    assert budget.started == 1
    budget.stop()  # idempotent
    assert budget.stopped


def test_concurrent_reserve_never_overspends():
    budget = Budget(n_trials=500)
    barrier = threading.Barrier(8)
    granted = [0] * 8

    def work(index):
        barrier.wait(timeout=10)
        while budget.reserve():
            granted[index] += 1

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sum(granted) == 500
    assert budget.started == 500

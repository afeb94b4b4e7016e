from __future__ import annotations

import threading

from tunelab._clock import FakeClock, SystemClock


def test_fake_clock_starts_where_told():
    assert FakeClock().now() == 0.0
    clock = FakeClock(start=7)
    assert clock.now() == 7.0
    assert type(clock.now()) is float


def test_fake_clock_moves_only_when_told():
    clock = FakeClock(start=1.0)
    assert clock.now() == clock.now() == 1.0
    clock.advance(2.5)
    assert clock.now() == 3.5
    clock.sleep(1.5)
    assert clock.now() == 5.0


def test_fake_clock_sleep_never_goes_back():
    clock = FakeClock(start=10.0)
    clock.sleep(-3.0)
    assert clock.now() == 10.0
    clock.sleep(0.0)
    assert clock.now() == 10.0


def test_fake_clock_advance_is_thread_safe():
    clock = FakeClock()
    barrier = threading.Barrier(8)

    def work():
        barrier.wait(timeout=10)
        for _ in range(2000):
            clock.advance(1.0)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert clock.now() == 16000.0


def test_system_clock_is_monotonic():
    clock = SystemClock()
    readings = [clock.now() for _ in range(1000)]
    assert all(isinstance(r, float) for r in readings)
    assert readings == sorted(readings)


def test_system_clock_sleep_accepts_zero_and_negative():
    clock = SystemClock()
    before = clock.now()
    clock.sleep(0.0)
    clock.sleep(-5.0)  # clamped to 0 rather than raising ValueError
    assert clock.now() >= before

"""Heartbeats: a RUNNING trial's worker proves it is alive, so dead workers are noticed.

While a trial runs, a :class:`Heartbeat` thread calls
:meth:`BaseStorage.record_heartbeat` every ``interval`` seconds. Any worker of the study
later calls :meth:`BaseStorage.fail_stale_trials`, which marks FAIL the RUNNING trials
whose last heartbeat is older than the grace period (their worker was killed, or its
machine was lost).
"""

from __future__ import annotations

import logging
import threading

from tunelab.storages._base import BaseStorage

__all__ = ["Heartbeat", "stale_reason"]

_logger = logging.getLogger("tunelab")


def stale_reason(grace_period: float) -> str:
    """The ``fail_reason`` recorded on a trial failed for a missing heartbeat."""
    return (
        f"no heartbeat for more than {grace_period:g} s: the worker running it died "
        "(killed, out of memory, or its machine was lost)"
    )


class Heartbeat:
    """A daemon thread that records a trial's heartbeat until stopped.

    Args:
        storage: Where the heartbeat is recorded.
        trial_id: The running trial.
        worker_id: The worker running it.
        interval: Seconds between heartbeats.
    """

    def __init__(
        self, storage: BaseStorage, trial_id: int, worker_id: str, interval: float
    ) -> None:
        self._storage = storage
        self._trial_id = trial_id
        self._worker_id = worker_id
        self._interval = interval
        self._stopped = threading.Event()
        storage.record_heartbeat(trial_id, worker_id)  # the first beat, before any wait
        self._thread = threading.Thread(
            target=self._beat, daemon=True, name=f"tunelab-heartbeat-{trial_id}"
        )
        self._thread.start()

    def _beat(self) -> None:
        while not self._stopped.wait(self._interval):
            try:
                self._storage.record_heartbeat(self._trial_id, self._worker_id)
            except Exception as exc:
                _logger.warning("heartbeat of trial id %d failed: %s", self._trial_id, exc)

    def stop(self) -> None:
        """Stop beating (the trial finished) and wait for a beat in flight to end."""
        self._stopped.set()
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout=self._interval + 5.0)

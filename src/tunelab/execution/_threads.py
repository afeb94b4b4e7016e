"""Run trials in worker threads of this process."""

from __future__ import annotations

import threading

from tunelab.execution._base import Budget, Executor, TrialLoop

__all__ = ["ThreadExecutor"]


class ThreadExecutor(Executor):
    """``n_workers`` threads sharing the study.

    Suits objectives that release the GIL (NumPy, PyTorch, I/O, subprocesses) or cannot
    be pickled. The first exception a worker raises stops the others from starting new
    trials and is re-raised by :meth:`run`. On Ctrl-C the trials in flight are marked FAIL
    and :meth:`run` returns at once without waiting for them.

    Example:
        >>> import tunelab as tl
        >>> study = tl.create_study()
        >>> study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=8,
        ...                executor=tl.execution.ThreadExecutor(), n_jobs=2)
        >>> len(study.trials)
        8
    """

    def __init__(self, poll_interval: float = 0.05) -> None:
        self._poll = poll_interval

    def run(self, loop: TrialLoop, *, n_workers: int, budget: Budget) -> None:
        errors: list[BaseException] = []
        lock = threading.Lock()

        def work() -> None:
            try:
                while budget.reserve():
                    if not loop.run_trial():
                        budget.stop()
            except BaseException as exc:
                with lock:
                    errors.append(exc)
                budget.stop()

        threads = [
            threading.Thread(target=work, name=f"tunelab-worker-{i}", daemon=True)
            for i in range(n_workers)
        ]
        for thread in threads:
            thread.start()
        try:
            for thread in threads:
                while thread.is_alive():
                    thread.join(self._poll)
        except KeyboardInterrupt:
            budget.stop()
            loop.interrupt()
            raise
        if errors:
            raise errors[0]

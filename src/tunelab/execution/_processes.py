"""Run trials in worker processes, so CPU-bound objectives use every core."""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import pickle
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any

import cloudpickle

from tunelab.execution._base import Budget, Executor, RemoteTrialLoop, TrialLoop

__all__ = ["ProcessExecutor"]

_runner: Any = None  # the worker's unpickled runner (one per worker process)


def _start_worker(payload: bytes) -> None:
    global _runner
    _runner = pickle.loads(payload)


def _run_one() -> Any:
    return _runner.run_one()


class ProcessExecutor(Executor):
    """``n_workers`` spawned processes sharing the study through its storage.

    The objective, sampler and pruner are pickled with ``cloudpickle`` (so lambdas and
    functions from a notebook work too) and sent once to each worker. A database storage
    is reopened by URL in each worker; an in-memory study is served to the workers by the
    parent process. Callbacks and the progress bar run in the parent, which also keeps
    the trial budget, so ``n_trials`` is exact.

    Args:
        start_method: The multiprocessing start method; ``"spawn"`` (default) is safe
            with threads, CUDA and every platform.

    Example:
        >>> import tunelab as tl
        >>> study = tl.create_study()
        >>> study.optimize(lambda t: t.suggest_float("x", 0, 1) ** 2, n_trials=4, n_jobs=2,
        ...                executor=tl.execution.ProcessExecutor())
        >>> len(study.trials)
        4
    """

    def __init__(self, start_method: str = "spawn") -> None:
        self._context = multiprocessing.get_context(start_method)

    def run(self, loop: TrialLoop, *, n_workers: int, budget: Budget) -> None:
        if not hasattr(loop, "remote_runner"):
            raise TypeError(f"{type(loop).__name__} cannot run trials in other processes")
        remote: RemoteTrialLoop = loop  # type: ignore[assignment]
        payload = _pickle(remote.remote_runner())
        with (
            _thread_limits(n_workers),
            ProcessPoolExecutor(
                n_workers, mp_context=self._context, initializer=_start_worker, initargs=(payload,)
            ) as pool,
        ):
            pending: set[Future[Any]] = set()

            def submit() -> None:
                if budget.reserve():
                    pending.add(pool.submit(_run_one))

            try:
                for _ in range(n_workers):
                    submit()
                while pending:
                    done, pending = wait(pending, return_when=FIRST_COMPLETED)
                    for future in done:
                        if remote.accept(_result(future)):
                            submit()
                        else:
                            budget.stop()
            except KeyboardInterrupt:
                budget.stop()
                pool.shutdown(wait=False, cancel_futures=True)
                remote.interrupt()
                raise
            except BaseException:
                budget.stop()
                pool.shutdown(wait=True, cancel_futures=True)  # let running trials finish
                raise


_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


@contextlib.contextmanager
def _thread_limits(n_workers: int) -> Iterator[None]:
    """Share the cores among workers' BLAS/OpenMP pools (unless the user set them).

    Without this, every worker's linear algebra starts one thread per core, and
    ``n_workers`` processes fight over the same cores (a 200x200 Cholesky then takes
    100 ms instead of 0.1 ms). Spawned workers inherit the environment at start-up.
    """
    per_worker = str(max(1, (os.cpu_count() or 1) // n_workers))
    added = [name for name in _THREAD_VARS if name not in os.environ]
    for name in added:
        os.environ[name] = per_worker
    try:
        yield
    finally:
        for name in added:
            os.environ.pop(name, None)


def _pickle(runner: Any) -> bytes:
    try:
        return bytes(cloudpickle.dumps(runner))
    except Exception as exc:
        raise ValueError(
            f"the objective (or sampler/pruner) cannot be sent to worker processes: "
            f"{type(exc).__name__}: {exc}. Keep unpicklable objects (locks, open files, "
            "connections) out of the objective's closure, or pass executor='thread'"
        ) from None


def _result(future: Future[Any]) -> Any:
    try:
        return future.result()
    except BrokenProcessPool:
        raise RuntimeError(
            "a worker process died (killed, out of memory, or a crash in native code); "
            "the trial it was running stays RUNNING until a heartbeat grace period marks "
            "it FAIL. Use executor='thread' to debug the objective in one process"
        ) from None

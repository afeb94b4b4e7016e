"""Run trials in worker processes, so CPU-bound objectives use every core."""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import pickle
import sys
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any

import cloudpickle

from tunelab.execution._base import Budget, Executor, RemoteTrialLoop, TrialLoop

__all__ = ["ProcessExecutor"]

_runner: Any = None  # the worker's unpickled runner (one per worker process)


_limits: Any = None  # threadpoolctl's handle, kept so the BLAS limit stays in force


def _start_worker(payload: bytes, environ: dict[str, str]) -> None:
    global _runner, _limits
    # A forkserver child inherits the server's environment, not the parent's current one:
    # take the parent's (CUDA_VISIBLE_DEVICES, thread limits...) before anything else runs.
    os.environ.clear()
    os.environ.update(environ)
    blas_threads = environ.get("OPENBLAS_NUM_THREADS", "")
    if blas_threads.isdigit() and "numpy" in sys.modules:  # BLAS loaded before the limit
        from threadpoolctl import threadpool_limits

        _limits = threadpool_limits(int(blas_threads))
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
        start_method: The multiprocessing start method. The default, ``"forkserver"``
            where the platform has it (Linux, macOS) and ``"spawn"`` elsewhere, is safe
            with threads and CUDA: workers fork from a clean server process that has
            imported tunelab once, so a call starts its workers in milliseconds instead
            of paying an interpreter start and the imports per worker. Workers get the
            parent's environment as it is at each call.

    Example:
        >>> import tunelab as tl
        >>> study = tl.create_study()
        >>> study.optimize(lambda t: t.suggest_float("x", 0, 1) ** 2, n_trials=4, n_jobs=2,
        ...                executor=tl.execution.ProcessExecutor())
        >>> len(study.trials)
        4
    """

    def __init__(self, start_method: str | None = None) -> None:
        methods = multiprocessing.get_all_start_methods()
        if start_method is None:
            start_method = "forkserver" if "forkserver" in methods else "spawn"
        if start_method not in methods:
            raise ValueError(f"start_method={start_method!r} must be one of {methods}")
        self._context = multiprocessing.get_context(start_method)
        if start_method == "forkserver":
            _preload_forkserver(self._context)

    def run(self, loop: TrialLoop, *, n_workers: int, budget: Budget) -> None:
        if not hasattr(loop, "remote_runner"):
            raise TypeError(f"{type(loop).__name__} cannot run trials in other processes")
        remote: RemoteTrialLoop = loop  # type: ignore[assignment]
        payload = _pickle(remote.remote_runner())
        with (
            _thread_limits(n_workers),
            ProcessPoolExecutor(
                n_workers,
                mp_context=self._context,
                initializer=_start_worker,
                initargs=(payload, dict(os.environ)),
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


def _preload_forkserver(context: Any) -> None:
    """Have the fork server import tunelab (and the main module, as spawn does) once.

    The database layer is preloaded too when this process uses it. The list only takes
    effect when this process starts its fork server (once).
    """
    modules = ["__main__", "tunelab"]
    if "tunelab.storages.rdb._storage" in sys.modules:
        modules.append("tunelab.storages.rdb._storage")
    context.set_forkserver_preload(modules)


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

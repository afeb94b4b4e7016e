"""``Study.optimize``: a loop over ask/tell, run by an executor within a budget."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Literal

from tunelab._clock import Clock
from tunelab._records import FrozenTrial, TrialState
from tunelab.execution import (
    Budget,
    Executor,
    ProcessExecutor,
    SequentialExecutor,
    ThreadExecutor,
)
from tunelab.storages import BaseStorage
from tunelab.storages._served import StorageServer
from tunelab.study._ask_tell import fail
from tunelab.study._isolate import IsolatedObjective, Isolation
from tunelab.study._progress import ProgressBar
from tunelab.study._run import Objective, Outcome, RemoteRunner, run_one

if TYPE_CHECKING:  # only for annotations: _study imports this module
    from tunelab.study._study import Study

__all__ = ["ExecutorSpec", "optimize", "resolve_n_jobs"]

_logger = logging.getLogger("tunelab")

ExecutorSpec = Executor | Literal["sequential", "thread", "process"] | None


def resolve_n_jobs(n_jobs: int) -> int:
    """The number of workers for ``n_jobs`` (-1 means one per CPU core)."""
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, int) or n_jobs == 0 or n_jobs < -1:
        raise ValueError(f"n_jobs={n_jobs!r} must be -1 (all cores) or an integer >= 1")
    return os.cpu_count() or 1 if n_jobs == -1 else n_jobs


def _check_catch(
    catch: Iterable[type[BaseException]] | type[BaseException],
) -> tuple[type[Exception], ...]:
    items = (catch,) if isinstance(catch, type) else tuple(catch)
    for item in items:
        if not (isinstance(item, type) and issubclass(item, Exception)):
            raise ValueError(f"catch must hold Exception subclasses, got {item!r}")
    return items  # type: ignore[return-value]


class _StudyLoop:
    """The trial loop of one ``optimize`` call, local or spread over processes."""

    def __init__(
        self,
        study: Study,
        objective: Objective,
        catch: tuple[type[Exception], ...],
        callbacks: tuple[Callable[[Study, FrozenTrial], None], ...],
        progress: ProgressBar,
    ) -> None:
        self._study = study
        self._objective = objective
        self._catch = catch
        self._callbacks = callbacks
        self._progress = progress
        self._in_flight: set[int] = set()
        self._lock = threading.Lock()
        self._server: StorageServer | None = None
        self.finished = 0

    # -- in this process -------------------------------------------------------------------

    def run_trial(self) -> bool:
        outcome = run_one(
            self._study, self._objective, self._catch, on_start=self._started, on_end=self._ended
        )
        return self.accept(outcome)

    def _started(self, trial_id: int) -> None:
        with self._lock:
            self._in_flight.add(trial_id)

    def _ended(self, trial_id: int) -> None:
        with self._lock:
            self._in_flight.discard(trial_id)

    def interrupt(self) -> None:
        with self._lock:
            in_flight = list(self._in_flight)
        for trial_id in in_flight:
            fail(self._study._context, trial_id, "interrupted by the user (KeyboardInterrupt)")

    # -- in worker processes ---------------------------------------------------------------

    def shared_storage(self) -> BaseStorage:
        """The study's storage as other processes can reach it (served if in memory)."""
        storage = self._study.storage
        if storage.shared_across_processes:
            return storage
        if self._server is None:
            self._server = StorageServer(storage)
        return self._server.client()

    def isolate(self, isolation: Isolation) -> None:
        """Run each trial's objective in a fresh subprocess from now on."""
        self._objective = IsolatedObjective(self._objective, isolation, self.shared_storage())

    def remote_runner(self) -> RemoteRunner:
        storage = self.shared_storage()
        study = self._study
        return RemoteRunner(
            storage,
            study.study_name,
            study.sampler,
            study.pruner,
            self._objective,
            self._catch,
            study._options,
        )

    def accept(self, outcome: Outcome) -> bool:
        if outcome.trial is not None:
            self._after(outcome.trial)
        if outcome.error is not None:
            raise outcome.error
        return not (outcome.stop or self._study._stop_requested)

    def _after(self, frozen: FrozenTrial) -> None:
        self.finished += 1
        if frozen.state is TrialState.COMPLETE:
            _logger.info(
                "Trial %d finished with values %s and parameters %s.",
                frozen.number,
                frozen.values,
                dict(frozen.params),
            )
        self._progress.update(frozen)
        for callback in self._callbacks:
            callback(self._study, frozen)

    def close(self) -> None:
        if self._server is not None:
            self._server.close()


def _pick_executor(executor: ExecutorSpec, n_workers: int) -> Executor:
    if isinstance(executor, Executor):
        return executor
    if executor is None:
        return SequentialExecutor() if n_workers == 1 else ProcessExecutor()
    if executor == "sequential":
        if n_workers != 1:
            raise ValueError(f"executor='sequential' runs one worker; got n_jobs={n_workers}")
        return SequentialExecutor()
    if executor == "thread":
        return ThreadExecutor()
    if executor == "process":
        return ProcessExecutor()
    raise ValueError(
        f"executor={executor!r} must be an Executor instance, 'sequential', 'thread' or 'process'"
    )


def optimize(
    study: Study,
    objective: Objective,
    *,
    n_trials: int | None,
    timeout: float | None,
    n_jobs: int,
    catch: Iterable[type[BaseException]] | type[BaseException],
    callbacks: Iterable[Callable[[Study, FrozenTrial], None]],
    show_progress_bar: bool,
    executor: ExecutorSpec,
    clock: Clock | None,
    isolate: bool | Isolation = False,
) -> None:
    """Run trials until the budget is spent; see :meth:`Study.optimize`."""
    if not callable(objective):
        raise ValueError(f"objective={objective!r} must be callable as objective(trial)")
    n_workers = resolve_n_jobs(n_jobs)
    budget = Budget(n_trials=n_trials, timeout=timeout, clock=clock)
    runner = _pick_executor(executor, n_workers)
    callbacks = tuple(callbacks)
    for callback in callbacks:
        if not callable(callback):
            raise ValueError(f"callbacks must be callables, got {callback!r}")
    single = study.directions[0] if len(study.directions) == 1 else None
    progress = ProgressBar(
        show_progress_bar,
        n_trials,
        timeout,
        single,
        study._best_value_or_none() if show_progress_bar else None,
    )
    if not isinstance(isolate, (bool, Isolation)):
        raise ValueError(f"isolate={isolate!r} must be True, False or a tunelab.Isolation")
    loop = _StudyLoop(study, objective, _check_catch(catch), callbacks, progress)
    if isolate:
        loop.isolate(Isolation() if isolate is True else isolate)
    study._stop_requested = False
    try:
        runner.run(loop, n_workers=n_workers, budget=budget)
    except KeyboardInterrupt:
        _logger.warning(
            "Interrupted: %d trial(s) of this run finished and are kept in study %r; "
            "the running trial was marked FAIL.",
            loop.finished,
            study.study_name,
        )
    finally:
        loop.close()
        progress.close()

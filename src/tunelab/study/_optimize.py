"""``Study.optimize``: a loop over ask/tell, run by an executor within a budget."""

from __future__ import annotations

import logging
import os
import threading
import traceback
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, Literal

from tunelab._clock import Clock
from tunelab._records import FrozenTrial, TrialState
from tunelab.exceptions import SearchSpaceExhausted, TrialPruned
from tunelab.execution import Budget, Executor, SequentialExecutor, ThreadExecutor
from tunelab.study._ask_tell import fail, tell
from tunelab.study._progress import ProgressBar
from tunelab.trial import Trial

if TYPE_CHECKING:  # only for annotations: _study imports this module
    from tunelab.study._study import Study

__all__ = ["ExecutorSpec", "optimize", "resolve_n_jobs"]

_logger = logging.getLogger("tunelab")

Objective = Callable[[Trial], Any]
ExecutorSpec = Executor | Literal["sequential", "thread"] | None


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
    """The :class:`~tunelab.execution.TrialLoop` of one ``optimize`` call."""

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
        self.finished = 0

    def run_trial(self) -> bool:
        study = self._study
        if study._stop_requested:
            return False
        try:
            trial = study.ask()
        except SearchSpaceExhausted as exc:
            _logger.info("Stopping: %s", exc)
            return False
        with self._lock:
            self._in_flight.add(trial.trial_id)
        try:
            frozen = self._evaluate(trial)
        finally:
            with self._lock:
                self._in_flight.discard(trial.trial_id)
        self._after(frozen)
        return not study._stop_requested

    def _evaluate(self, trial: Trial) -> FrozenTrial:
        ctx = self._study._context
        try:
            result = self._objective(trial)
        except TrialPruned:
            return tell(ctx, trial, state=TrialState.PRUNED, skip_if_finished=True)
        except KeyboardInterrupt:
            fail(ctx, trial.trial_id, "interrupted by the user (KeyboardInterrupt)")
            raise
        except Exception as exc:
            frozen = fail(
                ctx, trial.trial_id, f"{type(exc).__name__}: {exc}", traceback.format_exc()
            )
            if not isinstance(exc, self._catch):
                if frozen is not None:
                    self._after(frozen)
                raise
            return frozen or ctx.storage.get_trial(trial.trial_id)
        except BaseException:
            fail(ctx, trial.trial_id, "interrupted (the worker is exiting)")
            raise
        return tell(ctx, trial, result, TrialState.COMPLETE, skip_if_finished=True)

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

    def interrupt(self) -> None:
        with self._lock:
            in_flight = list(self._in_flight)
        for trial_id in in_flight:
            fail(self._study._context, trial_id, "interrupted by the user (KeyboardInterrupt)")


def _pick_executor(executor: ExecutorSpec, n_workers: int) -> Executor:
    if isinstance(executor, Executor):
        return executor
    if executor is None:
        return SequentialExecutor() if n_workers == 1 else ThreadExecutor()
    if executor == "sequential":
        if n_workers != 1:
            raise ValueError(f"executor='sequential' runs one worker; got n_jobs={n_workers}")
        return SequentialExecutor()
    if executor == "thread":
        return ThreadExecutor()
    raise ValueError(
        f"executor={executor!r} must be an Executor instance, 'sequential' or 'thread'"
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
    loop = _StudyLoop(study, objective, _check_catch(catch), callbacks, progress)
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
        progress.close()

"""One trial of ``optimize``: ask, run the objective, tell; the same in every worker."""

from __future__ import annotations

import logging
import pickle
import secrets
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tunelab._records import FrozenTrial, TrialState
from tunelab.exceptions import SearchSpaceExhausted, TrialLimitReached, TrialPruned
from tunelab.pruners import BasePruner
from tunelab.samplers import BaseSampler
from tunelab.storages import BaseStorage
from tunelab.study._ask_tell import fail, tell
from tunelab.study._isolate import TRACEBACK_ATTR, TrialProcessError
from tunelab.study._options import StudyOptions
from tunelab.trial import Trial

if TYPE_CHECKING:  # annotations only: _study imports this module
    from tunelab.study._study import Study

__all__ = ["Outcome", "RemoteRunner", "run_one"]

_logger = logging.getLogger("tunelab")

Objective = Callable[[Trial], Any]


@dataclass
class Outcome:
    """What one attempt to run a trial produced.

    Attributes:
        trial: The finished trial (None when no trial was started).
        error: The objective's exception, when it is not in ``catch`` (re-raised by the
            caller after callbacks ran).
        stop: Nothing is left to try (a finished grid, the study's ``max_trials``).
    """

    trial: FrozenTrial | None
    error: BaseException | None = None
    stop: bool = False


def run_one(
    study: Study,
    objective: Objective,
    catch: tuple[type[Exception], ...],
    on_start: Callable[[int], None] | None = None,
    on_end: Callable[[int], None] | None = None,
) -> Outcome:
    """Run one trial of ``objective`` on ``study``; never raises for objective errors."""
    if study._stop_requested:
        return Outcome(None, stop=True)
    try:
        trial = study.ask()
    except (SearchSpaceExhausted, TrialLimitReached) as exc:
        _logger.info("Stopping: %s", exc)
        return Outcome(None, stop=True)
    if on_start is not None:
        on_start(trial.trial_id)
    try:
        return _evaluate(study, trial, objective, catch)
    finally:
        if on_end is not None:
            on_end(trial.trial_id)


def _evaluate(
    study: Study, trial: Trial, objective: Objective, catch: tuple[type[Exception], ...]
) -> Outcome:
    ctx = study._context
    try:
        result = objective(trial)
    except TrialPruned:
        return Outcome(tell(ctx, trial, state=TrialState.PRUNED, skip_if_finished=True))
    except KeyboardInterrupt:
        fail(ctx, trial.trial_id, "interrupted by the user (KeyboardInterrupt)")
        raise
    except Exception as exc:
        # An isolated trial's traceback comes from its subprocess.
        text = getattr(exc, TRACEBACK_ATTR, None) or traceback.format_exc()
        frozen = fail(
            ctx, trial.trial_id, f"{type(exc).__name__}: {exc}", text
        ) or ctx.storage.get_trial(trial.trial_id)
        # A crashed, hung or out-of-memory isolated trial never stops the study.
        caught = isinstance(exc, (*catch, TrialProcessError))
        return Outcome(frozen, None if caught else exc)
    except BaseException:
        fail(ctx, trial.trial_id, "interrupted (the worker is exiting)")
        raise
    return Outcome(tell(ctx, trial, result, TrialState.COMPLETE, skip_if_finished=True))


class RemoteRunner:
    """Runs trials of one study in a worker process (pickled to it once).

    The study is rebuilt in the worker from the storage (a database URL, or a client of
    the parent's storage server), and the sampler's random state is reseeded there so
    that workers do not propose the same configurations.
    """

    def __init__(
        self,
        storage: BaseStorage,
        study_name: str,
        sampler: BaseSampler,
        pruner: BasePruner,
        objective: Objective,
        catch: tuple[type[Exception], ...],
        options: StudyOptions,
    ) -> None:
        self._options = options
        self._storage = storage
        self._study_name = study_name
        self._sampler = sampler
        self._pruner = pruner
        self._objective = objective
        self._catch = catch
        self._study: Study | None = None

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_study"] = None
        return state

    def run_one(self) -> Outcome:
        """Run one trial here and return a picklable outcome."""
        if self._study is None:
            from tunelab.study._study import Study

            self._sampler.reseed_rng(secrets.randbits(32))
            record = self._storage.get_study(self._study_name)
            self._study = Study(self._storage, record, self._sampler, self._pruner, self._options)
        outcome = run_one(self._study, self._objective, self._catch)
        if outcome.error is not None:
            try:
                pickle.dumps(outcome.error)
            except Exception:
                outcome.error = RuntimeError(f"{type(outcome.error).__name__}: {outcome.error}")
        return outcome

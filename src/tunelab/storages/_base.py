"""The storage contract: persistence of studies and trials, and nothing else.

A storage does not decide what is allowed: state changes go through
:func:`tunelab._records.check_transition`, and validation of values happens in the study
layer. A storage must make each method atomic, give trials dense per-study numbers under
concurrent writers, and hand every WAITING trial to exactly one worker
(:meth:`BaseStorage.claim_waiting_trial`).

Everything stored is JSON-compatible: parameters as float internal values plus the JSON of
their distribution, attributes as JSON values. Nothing is pickled.
"""

from __future__ import annotations

import abc
import dataclasses
from collections.abc import Collection, Sequence

from tunelab._records import FrozenStudy, FrozenTrial, StudyDirection, TrialState
from tunelab._typing import JSONValue
from tunelab.distributions import BaseDistribution
from tunelab.exceptions import InvalidTransitionError

__all__ = ["BaseStorage", "check_finish_state", "normalized_template"]


def normalized_template(template: FrozenTrial) -> FrozenTrial:
    """``template`` with float values and parameters in their distribution's own types.

    Every backend stores what this returns, so an int value handed to a float parameter
    reads back the same (as a float) from memory and from a database.
    """
    params = {
        name: template.distributions[name].to_external(
            template.distributions[name].to_internal(value)
        )
        for name, value in template.params.items()
        if name in template.distributions
    }
    values = None if template.values is None else tuple(float(v) for v in template.values)
    return dataclasses.replace(template, params=params, values=values)


def check_finish_state(state: TrialState) -> None:
    """Raise unless ``state`` is one that :meth:`BaseStorage.finish_trial` may set."""
    if not state.is_finished():
        raise InvalidTransitionError(
            f"finish_trial needs COMPLETE, PRUNED or FAIL, got {state.name}; WAITING trials "
            "start running through claim_waiting_trial"
        )


class BaseStorage(abc.ABC):
    """Abstract base of every storage backend.

    Implementations: :class:`tunelab.storages.InMemoryStorage` (one process, any number of
    threads). A conformance suite in :mod:`tunelab.testing` checks any implementation.
    """

    # -- studies -------------------------------------------------------------------------

    @abc.abstractmethod
    def create_study(self, name: str, directions: Sequence[StudyDirection]) -> FrozenStudy:
        """Create a study.

        Raises:
            DuplicatedStudyError: ``name`` is taken.
        """

    @abc.abstractmethod
    def get_study(self, name: str) -> FrozenStudy:
        """The study called ``name``.

        Raises:
            StudyNotFoundError: No such study.
        """

    @abc.abstractmethod
    def list_studies(self) -> list[FrozenStudy]:
        """Every study, in creation order."""

    @abc.abstractmethod
    def delete_study(self, study_id: int) -> None:
        """Delete a study and all its trials.

        Raises:
            StudyNotFoundError: No such study.
        """

    @abc.abstractmethod
    def set_study_attr(
        self, study_id: int, key: str, value: JSONValue, *, system: bool = False
    ) -> None:
        """Set a user (or, with ``system=True``, system) attribute of a study."""

    # -- trials --------------------------------------------------------------------------

    @abc.abstractmethod
    def create_trial(
        self,
        study_id: int,
        *,
        state: TrialState = TrialState.RUNNING,
        template: FrozenTrial | None = None,
        max_trials: int | None = None,
    ) -> FrozenTrial:
        """Create a trial with the next dense number of its study.

        Args:
            study_id: The study.
            state: The initial state. WAITING, RUNNING, or (with a template) a finished
                state to import a trial.
            template: Params, values, attributes and times to copy; its ``trial_id`` and
                ``number`` are ignored.
            max_trials: Create the trial only if the study holds fewer trials than this,
                checked atomically with the insertion (no overshoot under concurrency).

        Raises:
            TrialLimitReached: The study already holds ``max_trials`` trials.
        """

    @abc.abstractmethod
    def enqueue_batch(self, study_id: int, key: str, templates: Sequence[FrozenTrial]) -> bool:
        """Atomically create WAITING trials from ``templates``, at most once per ``key``.

        This lets several workers plan the same work (e.g. the next chunk of a grid)
        without doing it twice: the first caller for a key inserts the trials and gets
        True; every later caller gets False and inserts nothing.
        """

    @abc.abstractmethod
    def claim_waiting_trial(self, study_id: int, worker_id: str) -> FrozenTrial | None:
        """Atomically move the oldest WAITING trial to RUNNING and return it.

        Trials created by :meth:`create_trial` (a user's ``enqueue_trial``) come before
        those of :meth:`enqueue_batch` (a sampler's plan), each group oldest first.

        Returns None when the study has no WAITING trial. Two concurrent callers never
        receive the same trial.
        """

    def claim_or_create_trial(
        self, study_id: int, worker_id: str, *, max_trials: int | None = None
    ) -> FrozenTrial:
        """Claim the oldest WAITING trial, or create a RUNNING one if none waits.

        The claim works as :meth:`claim_waiting_trial`, the creation as
        :meth:`create_trial` with ``max_trials``. Database storages do both in one
        transaction; this default makes two calls.

        Raises:
            TrialLimitReached: Nothing waits and the study holds ``max_trials`` trials.
        """
        claimed = self.claim_waiting_trial(study_id, worker_id)
        if claimed is not None:
            return claimed
        return self.create_trial(study_id, max_trials=max_trials)

    @abc.abstractmethod
    def set_trial_param(
        self, trial_id: int, name: str, internal: float, distribution: BaseDistribution
    ) -> None:
        """Record one parameter of a RUNNING trial."""

    @abc.abstractmethod
    def set_intermediate_value(self, trial_id: int, step: int, value: float) -> None:
        """Record the value reported at ``step`` for a RUNNING trial."""

    @abc.abstractmethod
    def set_trial_attr(
        self, trial_id: int, key: str, value: JSONValue, *, system: bool = False
    ) -> None:
        """Set a user (or system) attribute of a trial that is not finished."""

    @abc.abstractmethod
    def finish_trial(
        self, trial_id: int, state: TrialState, values: Sequence[float] | None = None
    ) -> FrozenTrial:
        """Move a trial to a finished state, with its objective values, and return it.

        Raises:
            TrialFinishedError: The trial is already finished.
        """

    @abc.abstractmethod
    def get_trial(self, trial_id: int) -> FrozenTrial:
        """One trial by id.

        Raises:
            TrialNotFoundError: No such trial.
        """

    @abc.abstractmethod
    def get_trial_by_number(self, study_id: int, number: int) -> FrozenTrial:
        """One trial by its per-study number.

        Raises:
            TrialNotFoundError: No such trial in this study.
        """

    @abc.abstractmethod
    def get_trials(
        self,
        study_id: int,
        *,
        states: Collection[TrialState] | None = None,
        min_number: int = 0,
    ) -> list[FrozenTrial]:
        """Trials of a study in number order, filtered by state and ``number >= min_number``."""

    def count_trials(self, study_id: int, *, states: Collection[TrialState] | None = None) -> int:
        """How many trials the study has (in ``states``, if given)."""
        return len(self.get_trials(study_id, states=states))

    @property
    def shared_across_processes(self) -> bool:
        """Whether a pickled copy of this storage reaches the same data (a database)."""
        return False

    # -- liveness ------------------------------------------------------------------------

    def record_heartbeat(self, trial_id: int, worker_id: str) -> None:  # noqa: B027
        """Note that the worker running ``trial_id`` is alive (no-op where not needed)."""

    def fail_stale_trials(self, study_id: int, grace_period: float) -> list[FrozenTrial]:
        """Mark FAIL the RUNNING trials whose heartbeat is older than ``grace_period``."""
        return []

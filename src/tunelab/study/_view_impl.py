"""The :class:`~tunelab.StudyView` that plug-ins receive, backed by a storage."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from pathlib import Path

from tunelab._records import FrozenTrial, StudyDirection, TrialState
from tunelab._typing import JSONValue
from tunelab.storages import BaseStorage
from tunelab.trial._checkpoint import checkpoint_root

__all__ = ["StorageStudyView"]


class StorageStudyView:
    """A read-mostly view of one study, optionally restricted to a subset of trials."""

    # __weakref__: pruners cache per view what finished trials (immutable) told them.
    __slots__ = ("__weakref__", "_directions", "_keep", "_name", "_storage", "_study_id")

    def __init__(
        self,
        storage: BaseStorage,
        study_id: int,
        name: str,
        directions: tuple[StudyDirection, ...],
        keep: Callable[[FrozenTrial], bool] | None = None,
    ) -> None:
        self._storage = storage
        self._study_id = study_id
        self._name = name
        self._directions = directions
        self._keep = keep

    @property
    def study_name(self) -> str:
        return self._name

    @property
    def checkpoint_root(self) -> Path:
        """Where the study's trials keep checkpoints (see ``Trial.save_checkpoint``)."""
        url = getattr(self._storage, "url", None)
        return checkpoint_root(url if isinstance(url, str) else None, self._name)

    @property
    def directions(self) -> tuple[StudyDirection, ...]:
        return self._directions

    @property
    def system_attrs(self) -> Mapping[str, JSONValue]:
        return self._storage.get_study(self._name).system_attrs

    def get_trials(self, *, states: Collection[TrialState] | None = None) -> Sequence[FrozenTrial]:
        trials = self._storage.get_trials(self._study_id, states=states)
        if self._keep is None:
            return trials
        return [t for t in trials if self._keep(t)]

    def set_system_attr(self, trial: FrozenTrial, key: str, value: JSONValue) -> None:
        self._storage.set_trial_attr(trial.trial_id, key, value, system=True)

    def restrict(self, keep: Callable[[FrozenTrial], bool]) -> StorageStudyView:
        outer = self._keep
        combined = keep if outer is None else (lambda t: outer(t) and keep(t))
        return StorageStudyView(
            self._storage, self._study_id, self._name, self._directions, combined
        )

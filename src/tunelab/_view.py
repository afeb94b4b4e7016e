"""The read-mostly window through which samplers, pruners and schedulers see a study.

Plug-ins never receive the :class:`~tunelab.Study` itself: they get a :class:`StudyView`,
which exposes the history, the directions, namespaced system attributes, and
:meth:`StudyView.restrict` to look at a subset of trials (a Hyperband bracket, say).

Example:
    >>> import tunelab as tl
    >>> study = tl.create_study()
    >>> study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    >>> view = study.view()
    >>> len(view.restrict(lambda t: t.number > 0).get_trials())
    2
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Protocol, runtime_checkable

from tunelab._records import FrozenTrial, StudyDirection, TrialState
from tunelab._typing import JSONValue

__all__ = ["StudyView"]


@runtime_checkable
class StudyView(Protocol):
    """What a sampler, pruner or scheduler may read and write of a study."""

    @property
    def study_name(self) -> str:
        """The study's unique name."""

    @property
    def directions(self) -> tuple[StudyDirection, ...]:
        """One direction per objective."""

    @property
    def system_attrs(self) -> Mapping[str, JSONValue]:
        """The study's system attributes (plug-ins namespace their keys)."""

    def get_trials(self, *, states: Collection[TrialState] | None = None) -> Sequence[FrozenTrial]:
        """Trials in number order, optionally only those in ``states``."""

    def set_system_attr(self, trial: FrozenTrial, key: str, value: JSONValue) -> None:
        """Record a system attribute on a trial; use a ``"plugin:key"`` namespace."""

    def restrict(self, keep: Callable[[FrozenTrial], bool]) -> StudyView:
        """A view of the same study that shows only the trials ``keep`` accepts."""

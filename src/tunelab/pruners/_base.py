"""The pruner contract: decide whether a running trial should stop early."""

from __future__ import annotations

import abc
from collections.abc import Mapping
from dataclasses import dataclass, field

from tunelab._records import FrozenTrial
from tunelab._typing import JSONValue
from tunelab._view import StudyView

__all__ = ["BasePruner", "PruneDecision"]


@dataclass(frozen=True)
class PruneDecision:
    """A pruner's verdict on one trial, with the reason recorded in the trial.

    Attributes:
        prune: Whether to stop the trial now.
        reason: Why; stored in the trial's ``system_attrs["prune_reason"]`` when pruned.
        attrs: System attributes to record on the trial whatever the verdict (e.g. the
            value a trial brought to a successive-halving rung), so that other workers'
            decisions can read them from the storage. Keys are namespaced
            ``"pruner:key"``; values are JSON.

    Example:
        >>> PruneDecision(True, "below the median at step 3").prune
        True
    """

    prune: bool
    reason: str = ""
    attrs: Mapping[str, JSONValue] = field(default_factory=dict)


class BasePruner(abc.ABC):
    """Base class of every pruner.

    A pruner reads the trial's reported values and the study's history through the
    :class:`~tunelab.StudyView`; it keeps no per-process state, so workers sharing a
    study through a database reach the same decisions.

    Example:
        >>> import tunelab as tl
        >>> class StopBelow(tl.pruners.BasePruner):
        ...     def prune(self, study, trial):
        ...         last = trial.intermediate_values[trial.last_step]
        ...         return tl.pruners.PruneDecision(last < 0.5, f"value {last} < 0.5")
        >>> def objective(trial):
        ...     trial.report(0.1, step=0)
        ...     if trial.should_prune():
        ...         raise tl.TrialPruned()
        ...     return 1.0
        >>> study = tl.create_study(pruner=StopBelow())
        >>> study.optimize(objective, n_trials=1)
        >>> study.trials[0].state.name
        'PRUNED'
    """

    @abc.abstractmethod
    def prune(self, study: StudyView, trial: FrozenTrial) -> PruneDecision:
        """Whether ``trial`` (RUNNING, with at least one report) should be stopped."""

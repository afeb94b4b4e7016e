"""The pruner that never prunes."""

from __future__ import annotations

from tunelab._records import FrozenTrial
from tunelab._view import StudyView
from tunelab.pruners._base import BasePruner, PruneDecision

__all__ = ["NopPruner"]

_KEEP = PruneDecision(False)


class NopPruner(BasePruner):
    """Never prune: every trial runs to the end.

    Example:
        >>> import tunelab as tl
        >>> study = tl.create_study(pruner=tl.pruners.NopPruner())
        >>> trial = study.ask(); trial.report(1.0, step=0)
        >>> trial.should_prune()
        False
    """

    def prune(self, study: StudyView, trial: FrozenTrial) -> PruneDecision:
        return _KEEP

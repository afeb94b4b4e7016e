"""Trials: the live :class:`Trial`, :class:`FixedTrial`, and the frozen record types.

Example:
    >>> import tunelab as tl
    >>> tl.trial.FixedTrial({"n": 3}).suggest_int("n", 1, 5)
    3
"""

from tunelab._records import FrozenTrial, TrialState
from tunelab.trial._fixed import FixedTrial
from tunelab.trial._trial import Trial

__all__ = ["FixedTrial", "FrozenTrial", "Trial", "TrialState"]

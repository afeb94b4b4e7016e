"""When to stop a trial early: the pruner contract and the built-in pruners.

Example:
    >>> import tunelab as tl
    >>> isinstance(tl.pruners.NopPruner(), tl.pruners.BasePruner)
    True
"""

from tunelab.pruners._base import BasePruner, PruneDecision
from tunelab.pruners._nop import NopPruner

__all__ = ["BasePruner", "NopPruner", "PruneDecision"]

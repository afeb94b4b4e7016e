"""When to stop a trial early: the pruner contract and the built-in pruners.

Example:
    >>> import tunelab as tl
    >>> isinstance(tl.pruners.MedianPruner(), tl.pruners.BasePruner)
    True
"""

from tunelab.pruners._base import BasePruner, PruneDecision
from tunelab.pruners._curve import CurvePruner
from tunelab.pruners._hyperband import HyperbandPruner
from tunelab.pruners._nop import NopPruner
from tunelab.pruners._paired_fold import PairedFoldPruner
from tunelab.pruners._patient import PatientPruner
from tunelab.pruners._percentile import MedianPruner, PercentilePruner
from tunelab.pruners._successive_halving import SuccessiveHalvingPruner
from tunelab.pruners._threshold import ThresholdPruner

__all__ = [
    "BasePruner",
    "CurvePruner",
    "HyperbandPruner",
    "MedianPruner",
    "NopPruner",
    "PairedFoldPruner",
    "PatientPruner",
    "PercentilePruner",
    "PruneDecision",
    "SuccessiveHalvingPruner",
    "ThresholdPruner",
]

"""Schedulers that shape a study over time: population-based training.

Example:
    >>> import tunelab as tl
    >>> from tunelab.distributions import FloatDistribution
    >>> pbt = tl.schedulers.PBT({"lr": FloatDistribution(1e-4, 1e-1, log=True)},
    ...                         population_size=4, rounds=3, seed=0)
    >>> pbt.n_trials
    12
"""

from tunelab.schedulers._pbt import PBT, lineage

__all__ = ["PBT", "lineage"]

"""What to try next: the sampler contract and the built-in samplers.

Example:
    >>> import tunelab as tl
    >>> study = tl.create_study(sampler=tl.samplers.RandomSampler(seed=1))
    >>> study.optimize(lambda t: t.suggest_float("x", -3, 3) ** 2, n_trials=20)
    >>> study.best_value < 1.0
    True
"""

from tunelab.samplers._base import BaseSampler, WaitingBatch
from tunelab.samplers._grid import GridSampler
from tunelab.samplers._qmc import QMCSampler
from tunelab.samplers._random import RandomSampler

__all__ = ["BaseSampler", "GridSampler", "QMCSampler", "RandomSampler", "WaitingBatch"]

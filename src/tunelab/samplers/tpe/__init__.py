"""The tree-structured Parzen estimator sampler.

Example:
    >>> from tunelab.samplers.tpe import TPESampler
    >>> TPESampler(seed=1, multivariate=True, group=True) is not None
    True
"""

from tunelab.samplers.tpe._sampler import TPEOptions, TPESampler

__all__ = ["TPEOptions", "TPESampler"]

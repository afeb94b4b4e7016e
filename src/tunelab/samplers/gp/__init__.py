"""Gaussian-process Bayesian optimisation.

Example:
    >>> from tunelab.samplers.gp import GPSampler
    >>> GPSampler(seed=0, acquisition="ucb", ucb_beta=4.0).__class__.__name__
    'GPSampler'
"""

from tunelab.samplers.gp._sampler import GPSampler

__all__ = ["GPSampler"]

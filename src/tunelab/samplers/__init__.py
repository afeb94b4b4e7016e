"""What to try next: the sampler contract and the built-in samplers.

Model-based samplers (:class:`TPESampler`, :class:`GPSampler`, :class:`CmaEsSampler`,
:class:`AutoSampler`)
load SciPy, so they are imported on first use: ``import tunelab`` stays light.

Example:
    >>> import tunelab as tl
    >>> study = tl.create_study(sampler=tl.samplers.RandomSampler(seed=1))
    >>> study.optimize(lambda t: t.suggest_float("x", -3, 3) ** 2, n_trials=20)
    >>> study.best_value < 1.0
    True
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from tunelab.samplers._base import BaseSampler, WaitingBatch
from tunelab.samplers._grid import GridSampler
from tunelab.samplers._qmc import QMCSampler
from tunelab.samplers._random import RandomSampler

if TYPE_CHECKING:
    from tunelab.samplers._auto import AutoSampler
    from tunelab.samplers._cmaes import CmaEsSampler
    from tunelab.samplers.gp import GPSampler
    from tunelab.samplers.tpe import TPEOptions, TPESampler

__all__ = [
    "AutoSampler",
    "BaseSampler",
    "CmaEsSampler",
    "GPSampler",
    "GridSampler",
    "QMCSampler",
    "RandomSampler",
    "TPEOptions",
    "TPESampler",
    "WaitingBatch",
]

_LAZY = {
    "AutoSampler": "tunelab.samplers._auto",
    "CmaEsSampler": "tunelab.samplers._cmaes",
    "GPSampler": "tunelab.samplers.gp",
    "TPEOptions": "tunelab.samplers.tpe",
    "TPESampler": "tunelab.samplers.tpe",
}


def __getattr__(name: str) -> Any:
    """Import the model-based samplers on first access (PEP 562)."""
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'tunelab.samplers' has no attribute {name!r}")

"""Per-trial random generators: a seeded sampler draws the same for the same trial number.

A generator that only advances would restart in every new process (``tunelab ask``, a
resumed ``tunelab run``) and repeat the first trials' parameters. Deriving each draw from
``(seed, trial number, what is drawn)`` instead keeps a seeded study reproducible and
makes every trial's draws different, whichever process makes them.
"""

from __future__ import annotations

import zlib

import numpy as np

from tunelab._records import FrozenTrial

__all__ = ["base_seed", "trial_rng"]


def base_seed(seed: int | None) -> int:
    """``seed``, or a fresh random one for ``None``.

    Example:
        >>> base_seed(7)
        7
    """
    return int(np.random.default_rng().integers(2**31)) if seed is None else int(seed)


def trial_rng(seed: int, trial: FrozenTrial, *keys: str) -> np.random.Generator:
    """The generator for ``trial``'s draws of ``keys`` (e.g. a parameter name).

    Example:
        >>> from tunelab._records import FrozenTrial, TrialState
        >>> t3 = FrozenTrial(trial_id=0, number=3, state=TrialState.RUNNING)
        >>> t4 = FrozenTrial(trial_id=1, number=4, state=TrialState.RUNNING)
        >>> trial_rng(0, t3, "x").random() == trial_rng(0, t3, "x").random()
        True
        >>> trial_rng(0, t3, "x").random() == trial_rng(0, t4, "x").random()
        False
    """
    return np.random.default_rng([seed, trial.number, *(zlib.crc32(k.encode()) for k in keys)])

"""Quasi-Monte Carlo search: low-discrepancy points (scrambled Sobol or Halton)."""

from __future__ import annotations

import threading
import warnings
from collections.abc import Mapping
from typing import Any, Literal

import numpy as np

from tunelab._encoding import SearchSpaceEncoder
from tunelab._records import FrozenTrial, TrialState
from tunelab._typing import ParamValue
from tunelab._view import StudyView
from tunelab.distributions import BaseDistribution
from tunelab.samplers._base import BaseSampler
from tunelab.samplers._random import RandomSampler
from tunelab.samplers._seeding import base_seed

__all__ = ["QMCSampler"]


class QMCSampler(BaseSampler):
    """Cover the space evenly with a scrambled Sobol (or Halton) sequence.

    Trial number ``n`` receives point ``n`` of the sequence, so workers sharing a study
    (with the same ``seed``) fill in one sequence together. The space is the one given, or
    else the one of the first finished trial; parameters outside it (conditional ones)
    and the very first trial of an undeclared space are drawn by ``independent_sampler``.

    Args:
        seed: Seeds the scrambling and the fallback sampler. Give one when several
            processes share a study, so they walk the same sequence.
        qmc_type: ``"sobol"`` or ``"halton"``.
        scramble: Randomise the sequence (Owen scrambling); without it, point 0 is the
            corner of the cube.
        search_space: Declare the space up front instead of inferring it.
        independent_sampler: Draws parameters the sequence does not cover; a
            :class:`RandomSampler` with the same seed by default.

    Raises:
        ValueError: ``qmc_type`` is unknown.

    Example:
        >>> import tunelab as tl
        >>> from tunelab.distributions import FloatDistribution
        >>> space = {"x": FloatDistribution(0, 1), "y": FloatDistribution(0, 1)}
        >>> study = tl.create_study(sampler=tl.samplers.QMCSampler(seed=0, search_space=space))
        >>> study.optimize(lambda t: t.suggest_float("x", 0, 1) + t.suggest_float("y", 0, 1),
        ...                n_trials=8)
        >>> xs = sorted(t.params["x"] for t in study.trials)
        >>> [int(x * 8) for x in xs]  # one point in each eighth: low discrepancy
        [0, 1, 2, 3, 4, 5, 6, 7]
    """

    def __init__(
        self,
        *,
        seed: int | None = None,
        qmc_type: Literal["sobol", "halton"] = "sobol",
        scramble: bool = True,
        search_space: Mapping[str, BaseDistribution] | None = None,
        independent_sampler: BaseSampler | None = None,
    ) -> None:
        if qmc_type not in ("sobol", "halton"):
            raise ValueError(f"qmc_type={qmc_type!r} must be 'sobol' or 'halton'")
        from scipy.stats import qmc  # deferred: scipy.stats is slow to import

        self._qmc = qmc
        self._qmc_type = qmc_type
        self._scramble = scramble
        self._seed = base_seed(seed)
        self._declared = dict(search_space) if search_space is not None else None
        self._independent = independent_sampler or RandomSampler(seed)
        self._lock = threading.Lock()
        self._engine: Any = None
        self._engine_key: tuple[str, ...] | None = None

    def __getstate__(self) -> dict[str, Any]:
        # Sent to worker processes: the lock, engine and module are rebuilt there.
        state = dict(self.__dict__)
        for name in ("_lock", "_engine", "_engine_key", "_qmc"):
            state.pop(name)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        from scipy.stats import qmc

        self.__dict__.update(state)
        self._qmc, self._lock = qmc, threading.Lock()
        self._engine, self._engine_key = None, None

    def reseed_rng(self, seed: int | None = None) -> None:
        # The sequence itself stays shared; only the fallback draws change.
        self._independent.reseed_rng(seed)

    def infer_relative_search_space(
        self, study: StudyView, trial: FrozenTrial
    ) -> dict[str, BaseDistribution]:
        if self._declared is not None:
            space = self._declared
        else:
            first = next(iter(study.get_trials(states=(TrialState.COMPLETE,))), None)
            space = dict(first.distributions) if first is not None else {}
        return {name: d for name, d in sorted(space.items()) if not d.is_single()}

    def sample_relative(
        self,
        study: StudyView,
        trial: FrozenTrial,
        search_space: Mapping[str, BaseDistribution],
    ) -> dict[str, ParamValue]:
        if not search_space:
            return {}
        encoder = SearchSpaceEncoder(search_space)
        row = self._point(trial.number, tuple(search_space), encoder.dim)
        return encoder.decode(row)

    def _point(self, index: int, key: tuple[str, ...], dim: int) -> np.ndarray:
        with self._lock:
            if (
                self._engine is None
                or self._engine_key != key
                or self._engine.num_generated > index
            ):
                cls = self._qmc.Sobol if self._qmc_type == "sobol" else self._qmc.Halton
                self._engine = cls(d=dim, scramble=self._scramble, seed=self._seed)
                self._engine_key = key
            engine = self._engine
            if engine.num_generated < index:
                engine.fast_forward(index - engine.num_generated)
            with warnings.catch_warnings():
                # Sobol balance warnings concern batch sizes, not one-at-a-time use.
                warnings.simplefilter("ignore", UserWarning)
                return np.asarray(engine.random(1)[0], dtype=np.float64)

    def sample_independent(
        self,
        study: StudyView,
        trial: FrozenTrial,
        name: str,
        distribution: BaseDistribution,
    ) -> ParamValue:
        return self._independent.sample_independent(study, trial, name, distribution)

"""GPSampler: Bayesian optimisation with a Gaussian-process surrogate (orchestration only).

The mathematics lives in the sibling modules: :mod:`._kernel` (Matérn-5/2 ARD),
:mod:`._fit` (MAP hyperparameters), :mod:`._posterior` (conditioning, fantasies),
:mod:`._acquisition` (log EI, UCB, mean) and :mod:`._optimize` (acquisition search).
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from tunelab._encoding import SearchSpaceEncoder
from tunelab._records import FrozenTrial, StudyDirection, TrialState, single_value
from tunelab._space import intersection_search_space
from tunelab._typing import ParamValue
from tunelab._validate import check_int
from tunelab._view import StudyView
from tunelab.distributions import BaseDistribution
from tunelab.samplers._base import BaseSampler
from tunelab.samplers._pruned import projected_with_spread
from tunelab.samplers._random import RandomSampler
from tunelab.samplers._seeding import base_seed, trial_rng
from tunelab.samplers._window import best_and_recent
from tunelab.samplers.gp._acquisition import (
    Acquisition,
    LogExpectedImprovement,
    PosteriorMean,
    UpperConfidenceBound,
)
from tunelab.samplers.gp._fit import Hyperparameters, fit_hyperparameters
from tunelab.samplers.gp._kernel import ColumnGroups
from tunelab.samplers.gp._optimize import maximize_acquisition
from tunelab.samplers.gp._posterior import Posterior

__all__ = ["EXPLOIT_EVERY", "EXPLOIT_FROM", "GPSampler", "exploit_step"]

FloatArray = npt.NDArray[np.float64]

_logger = logging.getLogger("tunelab")
_ACQUISITIONS = ("logei", "ucb", "mean")
_RESTART_EVERY = 10
_FIXED_NOISE = 1e-6
_N_ANCHORS = 5
EXPLOIT_FROM = 50  # observed trials before the exploitation steps begin...
EXPLOIT_EVERY = 4  # ...on one trial in this many
ATTR = "gp:step"


def exploit_step(observed: int, exploit_from: int | None, exploit_every: int) -> bool:
    """Whether the trial after ``observed`` observed trials minimises the posterior mean.

    Example:
        >>> [n for n in range(45, 60) if exploit_step(n, EXPLOIT_FROM, EXPLOIT_EVERY)]
        [51, 55, 59]
    """
    return (
        exploit_from is not None
        and observed >= exploit_from
        and observed % exploit_every == exploit_every - 1
    )


def _check_real(name: str, value: Any, *, allow_none: bool = False) -> None:
    if value is None and allow_none:
        return
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not math.isfinite(value)
        or value < 0
    ):
        extra = " or None" if allow_none else ""
        raise ValueError(f"{name}={value!r} must be a finite number >= 0{extra}")


def _warp(values: FloatArray) -> FloatArray:
    """Values (higher is better) after a fitted Yeo-Johnson transform of the losses.

    Objectives such as Rosenbrock span orders of magnitude: a few terrible values would
    dominate a Gaussian process fitted to the raw ones and flatten the region that
    matters. The losses, rescaled to [0, 1], are transformed with the Yeo-Johnson
    power whose exponent maximises the Gaussian likelihood (as HEBO and SMAC warp
    outputs); the order of the values is kept.

    Example:
        >>> loss = np.array([1.0, 2.0, 4.0, 1000.0])
        >>> w = _warp(-loss)
        >>> bool(np.all(np.diff(w) < 0))  # the order is kept...
        True
        >>> raw_gap = (loss[3] - loss[2]) / (loss[2] - loss[0])  # the outlier's gap...
        >>> bool(raw_gap > 300 > 100 > (w[2] - w[3]) / (w[0] - w[2]))  # ...shrinks
        True
    """
    from scipy.stats import yeojohnson

    loss = -values
    spread = float(np.ptp(loss))
    if len(loss) < 3 or not spread > 0.0:
        return values
    transformed, _ = yeojohnson((loss - loss.min()) / spread)
    return np.asarray(-transformed, dtype=np.float64)


def _target_map(values: FloatArray, warp: bool) -> Callable[[FloatArray], FloatArray]:
    """The map ``_standardise(_warp(values))`` (or without the warp), fitted on ``values``.

    Returned as a function so that other values (a projection's plus or minus one
    spread) go through the same transform.

    Example:
        >>> v = np.array([-4.0, -1.0, -2.0, -30.0])
        >>> f = _target_map(v, warp=True)
        >>> bool(np.allclose(f(v), _standardise(_warp(v))))
        True
    """
    if not warp:
        return _linear_standardiser(values)
    from scipy.stats import yeojohnson

    loss = -values
    low, spread = float(loss.min()), float(np.ptp(loss))
    if len(loss) < 3 or not spread > 0.0:
        return _linear_standardiser(values)
    _, lmbda = yeojohnson((loss - low) / spread)

    def warped(v: FloatArray) -> FloatArray:
        out = yeojohnson((-np.asarray(v, dtype=np.float64) - low) / spread, lmbda)
        return np.asarray(-out, dtype=np.float64)

    standardise = _linear_standardiser(warped(values))
    return lambda v: standardise(warped(v))


def _linear_standardiser(values: FloatArray) -> Callable[[FloatArray], FloatArray]:
    """The affine map that :func:`_standardise` applies to ``values``, as a function."""
    scale = float(np.max(np.abs(values)))
    scale = scale if scale > 0.0 else 1.0
    mean = float((values / scale).mean())
    std = float((values / scale - mean).std())
    std = std if std > 1e-300 else 1.0
    return lambda v: np.asarray((np.asarray(v) / scale - mean) / std, dtype=np.float64)


def _standardise(values: FloatArray) -> FloatArray:
    """Zero mean, unit variance; values scaled first so that huge magnitudes cannot overflow."""
    return _linear_standardiser(values)(values)


def _matches(trial: FrozenTrial, space: Mapping[str, BaseDistribution]) -> bool:
    return all(trial.distributions.get(name) == dist for name, dist in space.items())


class GPSampler(BaseSampler):
    """Bayesian optimisation with a Gaussian process and log expected improvement.

    Each suggestion fits a Gaussian process (Matérn-5/2 kernel, one lengthscale per
    parameter, maximum a posteriori hyperparameters) to the finished trials and returns
    the configuration that maximises the acquisition function. Suited to expensive
    objectives with up to a few hundred trials and a few dozen parameters.

    * **Search space**: the parameters that every observed trial shares (with the same
      distribution), sorted by name. Until ``n_startup_trials`` trials are observed,
      and for parameters outside that space (conditional ones), ``independent_sampler``
      decides.
    * **History**: the observed trials are the COMPLETE ones and, with
      ``consider_pruned`` (the default), the PRUNED ones: a pruned trial was stopped
      because its value was poor, and the model should know the region is poor. It is
      observed at its last reported value shifted by the median move of the COMPLETE
      trials from that step to their end (see ``projected_with_spread``), which puts a
      curve cut at epoch 3, or a cross-validation cut after its first (shared, maybe
      easy) fold, on the scale of the final values; the spread of those moves is added
      to that observation's noise variance, so one fold's verdict weighs less than five
      folds'. FAIL trials are ignored. RUNNING trials that already hold every parameter
      of the space are *fantasised* at their posterior mean (kriging
      believer), so parallel workers spread out instead of piling onto one point (a
      trial's parameters are recorded as its objective suggests them, so a trial that
      has not suggested them yet cannot be fantasised).
    * **Targets**: minimised objectives are negated, then (``warp_outputs``) warped by a
      fitted Yeo-Johnson transform, then standardised.
    * **Exploitation steps**: from ``exploit_from`` observed trials on, one trial in
      ``exploit_every`` minimises the posterior mean instead of maximising the
      acquisition (recorded as ``system_attrs["gp:step"] == "exploit"``). Expected
      improvement with a fitted noise stops paying for steps smaller than that noise,
      so without these steps the search stalls short of smooth optima; on the quality
      benchmark's closed-form problems (5 seeds, 200 trials) they took Hartmann-6 from
      a median log10 regret of -3.36 to -4.34 and Branin from -6.64 to -7.34. They keep
      their own hyperparameter warm start, so the other trials are fitted as before.
    * **Noise** variance is fitted, unless ``deterministic_objective`` pins it at a tiny
      value (``1e-6`` of the standardised variance).
    * **Large studies**: only ``max_history`` (default 200) observed trials are used: the
      best ``m // 4`` of them and the most recent of the others.
    * **Multi-objective** studies are not supported: sampling raises ``ValueError``.
    * **Determinism**: a suggestion depends on ``seed``, the trial number, the history
      and the previous fit (its optimum warm-starts the next one).
    * **Cost**: ``O(n^3)`` per suggestion for ``n`` trials, about 0.1 s at 200 trials of
      5 parameters on one core. When cores are oversubscribed (many worker processes,
      a busy machine), idle BLAS threads can make it many times slower: run such
      workers with ``OPENBLAS_NUM_THREADS=1`` (or ``OMP_NUM_THREADS=1``).

    Args:
        seed: Seed of the sampler's random state (and of the default independent sampler).
        n_startup_trials: Observed trials drawn by ``independent_sampler`` before the
            GP takes over.
        acquisition: ``"logei"`` (log expected improvement), ``"ucb"`` (upper
            confidence bound) or ``"mean"`` (posterior mean, pure exploitation).
        ucb_beta: The exploration weight ``beta`` of ``mean + sqrt(beta) * std``.
        deterministic_objective: The objective returns the same value for the same
            parameters; the noise is then not fitted.
        independent_sampler: Draws start-up trials and parameters outside the space;
            a :class:`~tunelab.samplers.RandomSampler` with the same seed by default.
        max_history: Use at most this many observed trials (fitting costs ``O(n^3)``).
        time_budget: Seconds per suggestion. Past it, no new fitting restart or local
            search begins, and if it is spent before the local search, the best of the
            scored Sobol candidates is suggested.
        consider_pruned: Learn from PRUNED trials at their last reported value
            (``False``: only COMPLETE trials are observed).
        warp_outputs: Fit the GP to Yeo-Johnson-transformed values (see ``_warp``), so
            that objectives spanning orders of magnitude are modelled where it matters.
        exploit_from: Observed trials before the exploitation steps begin (``None``:
            never; they never apply with ``acquisition="mean"`` or during the start-up).
        exploit_every: One trial in this many is an exploitation step.

    Raises:
        ValueError: An option is out of range (``seed`` must be an integer >= 0).

    Example:
        >>> import tunelab as tl
        >>> from tunelab.samplers.gp import GPSampler
        >>> sampler = GPSampler(seed=0, n_startup_trials=5)
        >>> study = tl.create_study(sampler=sampler)
        >>> study.optimize(lambda t: (t.suggest_float("x", -5, 5) - 1) ** 2, n_trials=15)
        >>> abs(study.best_params["x"] - 1) < 0.1
        True
    """

    def __init__(
        self,
        *,
        seed: int | None = None,
        n_startup_trials: int = 10,
        acquisition: Literal["logei", "ucb", "mean"] = "logei",
        ucb_beta: float = 2.0,
        deterministic_objective: bool = False,
        independent_sampler: BaseSampler | None = None,
        max_history: int | None = 200,
        time_budget: float | None = None,
        consider_pruned: bool = True,
        warp_outputs: bool = True,
        exploit_from: int | None = EXPLOIT_FROM,
        exploit_every: int = EXPLOIT_EVERY,
    ) -> None:
        check_int("seed", seed, 0, allow_none=True)
        check_int("n_startup_trials", n_startup_trials, 1)
        if acquisition not in _ACQUISITIONS:
            raise ValueError(f"acquisition={acquisition!r} must be one of {_ACQUISITIONS}")
        _check_real("ucb_beta", ucb_beta)
        check_int("max_history", max_history, 2, allow_none=True)
        _check_real("time_budget", time_budget, allow_none=True)
        check_int("exploit_from", exploit_from, 1, allow_none=True)
        check_int("exploit_every", exploit_every, 1)
        self._seed = base_seed(seed)
        self._n_startup = n_startup_trials
        self._acquisition = acquisition
        self._ucb_beta = float(ucb_beta)
        self._deterministic = bool(deterministic_objective)
        self._independent = independent_sampler or RandomSampler(seed)
        self._max_history = max_history
        self._time_budget = None if time_budget is None else float(time_budget)
        self._warp_outputs = bool(warp_outputs)
        self._exploit_from = None if acquisition == "mean" else exploit_from
        self._exploit_every = exploit_every
        self._states = (
            (TrialState.COMPLETE, TrialState.PRUNED) if consider_pruned else (TrialState.COMPLETE,)
        )
        self._lock = threading.Lock()
        # The last fit per kind of step ("explore", "exploit"): (search space, optimum).
        self._warm: dict[str, tuple[str, Hyperparameters]] = {}
        self._local = threading.local()

    def __getstate__(self) -> dict[str, Any]:
        # Sent to worker processes: the lock and the warm-start cache stay behind.
        state = dict(self.__dict__)
        del state["_lock"], state["_warm"], state["_local"]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()
        self._warm = {}
        self._local = threading.local()

    def reseed_rng(self, seed: int | None = None) -> None:
        self._seed = base_seed(seed)
        self._independent.reseed_rng(seed)

    # -- the sampler contract ------------------------------------------------------------

    def before_trial(self, study: StudyView, trial: FrozenTrial) -> None:
        exploit = False
        if self._exploit_from is not None:
            observed = len(self._observed(study))
            exploit = observed >= self._n_startup and exploit_step(
                observed, self._exploit_from, self._exploit_every
            )
        self._local.step = (trial.trial_id, exploit)
        if exploit:
            study.set_system_attr(trial, ATTR, "exploit")

    def is_exploit_step(self, trial: FrozenTrial) -> bool:
        """Whether ``trial`` (started in this thread) minimises the posterior mean.

        Example:
            >>> from tunelab._records import FrozenTrial, TrialState
            >>> GPSampler().is_exploit_step(
            ...     FrozenTrial(trial_id=0, number=0, state=TrialState.RUNNING))
            False
        """
        step: tuple[int, bool] | None = getattr(self._local, "step", None)
        return step is not None and step[0] == trial.trial_id and step[1]

    def infer_relative_search_space(
        self, study: StudyView, trial: FrozenTrial
    ) -> dict[str, BaseDistribution]:
        self._check_single_objective(study)
        observed = self._observed(study)
        if len(observed) < self._n_startup:
            return {}
        space = intersection_search_space(observed, include_pruned=True)
        return {name: dist for name, dist in space.items() if not dist.is_single()}

    def sample_relative(
        self,
        study: StudyView,
        trial: FrozenTrial,
        search_space: Mapping[str, BaseDistribution],
    ) -> dict[str, ParamValue]:
        self._check_single_objective(study)
        space = {n: d for n, d in sorted(search_space.items()) if not d.is_single()}
        if not space:
            return {}
        encoder = SearchSpaceEncoder(space, categorical="onehot")
        X, values, spread = self._history(study, encoder)
        if len(values) < self._n_startup:
            return {}
        start = time.monotonic()
        deadline = None if self._time_budget is None else start + self._time_budget
        rng = trial_rng(self._seed, trial)
        sign = -1.0 if study.directions[0] is StudyDirection.MINIMIZE else 1.0
        to_target = _target_map(sign * values, self._warp_outputs)
        y = to_target(sign * values)
        # A projected value's uncertainty, carried through the same (monotone) map.
        extra = None
        if np.any(spread > 0.0):
            half_width = 0.5 * np.abs(
                to_target(sign * (values + spread)) - to_target(sign * (values - spread))
            )
            extra = half_width**2
        restart = trial.number % _RESTART_EVERY == 0
        exploit = self.is_exploit_step(trial)
        slot = "exploit" if exploit else "explore"
        posterior = self._fit(encoder, X, y, rng, deadline, restart, extra, slot)
        best = float(np.max(posterior.predict(X)[0]))
        posterior = posterior.with_fantasies(self._pending(study, trial, encoder))
        anchors = X[np.argsort(-y, kind="stable")[:_N_ANCHORS]]
        result = maximize_acquisition(
            PosteriorMean(posterior) if exploit else self._make_acquisition(posterior, best),
            encoder,
            rng,
            anchors=anchors,
            deadline=deadline,
        )
        if result.degraded:
            _logger.debug(
                "GPSampler: time_budget=%gs spent after %.3fs; trial %d gets the best "
                "Sobol candidate",
                self._time_budget,
                time.monotonic() - start,
                trial.number,
            )
        return encoder.decode(result.x)

    def sample_independent(
        self,
        study: StudyView,
        trial: FrozenTrial,
        name: str,
        distribution: BaseDistribution,
    ) -> ParamValue:
        return self._independent.sample_independent(study, trial, name, distribution)

    # -- steps ---------------------------------------------------------------------------

    @staticmethod
    def _check_single_objective(study: StudyView) -> None:
        if len(study.directions) != 1:
            raise ValueError(
                f"GPSampler supports single-objective studies; study {study.study_name!r} "
                f"has {len(study.directions)} objectives. Use a multi-objective sampler."
            )

    def _history(
        self, study: StudyView, encoder: SearchSpaceEncoder
    ) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Encoded rows ``(n, D)``, raw values ``(n,)`` and their spreads ``(n,)``.

        A PRUNED trial's value is projected to the end of its curve and its spread is how
        uncertain that projection is (see ``projected_with_spread``); 0 otherwise.
        """
        usable: Sequence[FrozenTrial] = [
            t for t in self._observed(study) if _matches(t, encoder.space)
        ]
        usable = self._window(usable, study.directions[0])
        if not usable:
            return np.empty((0, encoder.dim)), np.empty(0), np.empty(0)
        X = np.array([encoder.encode(t.params) for t in usable])
        values, spread = projected_with_spread(usable)
        ids = [t.trial_id for t in usable]
        return X, np.array([values[i] for i in ids]), np.array([spread[i] for i in ids])

    def _observed(self, study: StudyView) -> list[FrozenTrial]:
        """The COMPLETE (and PRUNED) trials with one finite value."""
        return [t for t in study.get_trials(states=self._states) if math.isfinite(single_value(t))]

    def _window(
        self, trials: Sequence[FrozenTrial], direction: StudyDirection
    ) -> Sequence[FrozenTrial]:
        """At most ``max_history`` trials: the best quarter and the most recent others."""
        limit = self._max_history
        if limit is None or len(trials) <= limit:
            return trials
        sign = 1.0 if direction is StudyDirection.MINIMIZE else -1.0
        keep = best_and_recent(trials, limit, lambda t: sign * single_value(t))
        return [t for t in trials if t.trial_id in keep]

    def _fit(
        self,
        encoder: SearchSpaceEncoder,
        X: FloatArray,
        y: FloatArray,
        rng: np.random.Generator,
        deadline: float | None,
        restart: bool,
        extra_noise: FloatArray | None = None,
        slot: str = "explore",
    ) -> Posterior:
        """Fit the hyperparameters (warm-started from the last fit on this space).

        Warm-started from the previous optimum (the data gained a point or two),
        L-BFGS-B converges in a few steps; ``restart`` adds a start drawn from the
        prior (every ``_RESTART_EVERY``-th trial) so that one local optimum is not
        followed forever. Without a warm start, two prior draws are tried as well.
        Exploration and exploitation steps (``slot``) warm-start from their own last fit.
        """
        key = repr(sorted(encoder.space.items()))
        with self._lock:
            last = self._warm.get(slot)
        warm = last[1] if last is not None and last[0] == key else None
        groups = ColumnGroups.from_encoder(encoder)
        hp = fit_hyperparameters(
            X,
            y,
            groups,
            rng=rng,
            warm_start=warm,
            fixed_noise=_FIXED_NOISE if self._deterministic else None,
            n_random_starts=2 if warm is None else int(restart),
            deadline=deadline,
            extra_noise=extra_noise,
        )
        with self._lock:
            self._warm[slot] = (key, hp)
        return Posterior.fit(hp.kernel(groups), hp.noise_var, X, y, extra_noise)

    @staticmethod
    def _pending(study: StudyView, trial: FrozenTrial, encoder: SearchSpaceEncoder) -> FloatArray:
        """``(p, D)`` rows of the other RUNNING trials that hold every parameter."""
        rows = [
            encoder.encode(t.params)
            for t in study.get_trials(states=(TrialState.RUNNING,))
            if t.number != trial.number and _matches(t, encoder.space)
        ]
        return np.array(rows).reshape(-1, encoder.dim)

    def _make_acquisition(self, posterior: Posterior, best: float) -> Acquisition:
        if self._acquisition == "ucb":
            return UpperConfidenceBound(posterior, self._ucb_beta)
        if self._acquisition == "mean":
            return PosteriorMean(posterior)
        return LogExpectedImprovement(posterior, best)

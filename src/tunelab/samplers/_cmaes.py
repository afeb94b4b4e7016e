"""CMA-ES: covariance matrix adaptation over the numeric part of the search space.

The evolution strategy itself comes from the ``cmaes`` package (``CMA``, ``SepCMA`` and
``CMAwM``); this module decides what it sees and keeps its state consistent across
threads, processes and machines sharing one study.

**State is a function of history.** No optimiser object is ever stored. Each trial that
CMA-ES samples gets one JSON system attribute, ``"cmaes:sample"``::

    {"space": "<hash of the search space>", "restart": 0, "generation": 3,
     "popsize": 6, "x": [...vector to tell...], "u": [...point evaluated...]}

The optimiser is rebuilt by replaying history: start restart 0, then for each generation
take the usable trials tagged with it, and once ``popsize`` of them are finished, ``tell``
the first ``popsize`` to complete (ordered by completion time, then trial number) and go
on to the next generation. A worker keeps the rebuilt optimiser in memory and only
replays generations completed since its last suggestion; it checks that the generations
it already told still have the same members, and rebuilds from scratch otherwise, so the
suggestion is always a function of the history alone. While a generation is not complete
every new trial is tagged with it (with parallel workers some trials may be surplus;
they are simply never told).

**Randomness** for a trial comes from ``(seed, restart, generation, trial number)``, so
trials of one generation drawn by different processes differ, and the same seed with the
same history gives the same suggestion. Give a ``seed`` when processes on *different
machines* share a study: without one, each sampler object draws its own.

**What counts.** Only COMPLETE trials with a finite value are told. FAIL trials are
ignored, and so are PRUNED ones: their last intermediate value is not comparable with a
final objective value. A trial whose parameters differ from the point it was tagged with
(an enqueued trial with fixed values) is ignored too. Values are negated for
maximisation.

**Discrete dimensions.** Every dimension lives in the shared unit-cube codec
(:class:`~tunelab._encoding.SearchSpaceEncoder`; log scales in log space). With the full
covariance, linear int and stepped float dimensions use CMA-ES with margin (``CMAwM``,
Hamano et al., GECCO 2022), which keeps a minimum probability of leaving the current
value so the search cannot freeze on a plateau of one integer; its points sit on the
centres of the codec's bins. Log-scaled ints are continuous in log space and are rounded
by the codec, as are the discrete dimensions of separable CMA-ES.

**Restarts.** With ``restart_strategy``, a restart begins when the optimiser's stopping
criteria fire (``should_stop()``), at a uniformly random mean. ``"ipop"`` doubles the
population each time (Auger and Hansen, CEC 2005). ``"bipop"`` (Hansen, GECCO 2009)
interleaves such doubling restarts with small-population ones (population
``floor(lambda_def * (lambda_large / (2 * lambda_def)) ** (U ** 2))``, step size
``sigma0 * 10 ** (-2 U)``, ``U ~ U(0, 1)``), choosing the regime that has used fewer
evaluations so far; the first run counts towards neither and the first restart doubles.

**Warm start** from ``source_trials`` fits a Gaussian to the best 10% of the source
solutions (all of them, when fewer than 10), as in WS-CMA-ES (Nomura et al., AAAI 2021).
"""

from __future__ import annotations

import hashlib
import json
import math
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import cmaes
import numpy as np
import numpy.typing as npt

from tunelab._encoding import SearchSpaceEncoder, internal_to_unit
from tunelab._records import FrozenTrial, StudyDirection, TrialState
from tunelab._space import intersection_search_space
from tunelab._typing import JSONValue, ParamValue
from tunelab._view import StudyView
from tunelab.distributions import BaseDistribution, FloatDistribution, IntDistribution
from tunelab.samplers._base import BaseSampler
from tunelab.samplers._random import RandomSampler
from tunelab.samplers._seeding import base_seed

__all__ = ["CmaEsSampler"]

ATTR = "cmaes:sample"
"""The system attribute that tags every trial sampled by CMA-ES."""

FloatArray = npt.NDArray[np.float64]
_COMPLETE = (TrialState.COMPLETE,)
# Hansen's advice: the optimum should lie within mean +- 3 sigma; the cube is [0, 1].
_DEFAULT_SIGMA = 1.0 / 6.0
_RESTARTS = (None, "ipop", "bipop")


class _Optimizer(Protocol):
    """What this module uses of ``cmaes.CMA``, ``cmaes.SepCMA`` and ``cmaes.CMAwM``."""

    @property
    def population_size(self) -> int: ...

    def ask(self) -> Any: ...

    def tell(self, solutions: list[tuple[FloatArray, float]]) -> None: ...

    def should_stop(self) -> bool: ...

    def reseed_rng(self, seed: int) -> None: ...


@dataclass(frozen=True)
class _Told:
    """A usable trial: the generation it belongs to and what to tell about it."""

    restart: int
    generation: int
    number: int
    x: FloatArray  # shape (dim,): the vector to tell
    value: float  # lower is better
    order: tuple[float, int]  # (completion time, number): who completed first


@dataclass(frozen=True)
class _Start:
    """How one run (the first one or a restart) begins."""

    popsize: int
    mean: FloatArray  # shape (dim,)
    sigma: float
    cov: FloatArray | None = None  # shape (dim, dim)
    large: bool = False  # a BIPOP large-population (doubling) restart


@dataclass
class _Replay:
    """An optimiser rebuilt from history and how far it got (the in-process cache)."""

    optimizer: _Optimizer
    bounds: FloatArray  # shape (dim, 2)
    steps: FloatArray  # shape (dim,): 0 for continuous dimensions
    starts: list[_Start]
    evals: list[int]  # trials told per run
    generation: int = 0
    told: list[tuple[tuple[int, int], tuple[int, ...]]] = field(default_factory=list)

    @property
    def restart(self) -> int:
        return len(self.starts) - 1


@dataclass
class _StudyCache:
    parsed: dict[int, _Told | None] = field(default_factory=dict)  # by trial_id
    replay: _Replay | None = None


class CmaEsSampler(BaseSampler):
    """Covariance matrix adaptation evolution strategy (CMA-ES) over numeric parameters.

    The float and int parameters that every COMPLETE trial shares are searched jointly in
    the unit cube; categorical parameters, parameters outside that shared space, and
    spaces of fewer than two numeric dimensions (CMA-ES needs two) go to
    ``independent_sampler``. The optimiser's state is rebuilt from the trials' system
    attributes, so any number of threads and processes can share a study; see the
    module documentation for the scheme. Single-objective studies only.

    Args:
        seed: Seeds the sampling, the restarts and the fallback sampler.
        x0: Initial mean, as external parameter values; missing names start at the
            centre of their range.
        sigma0: Initial step size in unit-cube coordinates; ``1/6`` by default.
        n_startup_trials: COMPLETE trials drawn by ``independent_sampler`` before
            CMA-ES starts.
        independent_sampler: Draws everything CMA-ES does not; a
            :class:`RandomSampler` with the same seed by default.
        restart_strategy: ``None``, ``"ipop"`` or ``"bipop"``.
        popsize: Population size of the first run, at least 4; ``4 + floor(3 ln n)``
            by default for ``n`` dimensions.
        use_separable_cma: Adapt only a diagonal covariance (sep-CMA-ES, Ros and
            Hansen 2008); learns faster in high dimensions.
        source_trials: Trials of a similar, earlier study (same direction) to warm-start
            from; sets the initial mean, step size and covariance, so ``x0`` and
            ``sigma0`` must be None.

    Raises:
        ValueError: An option is out of range, or ``source_trials`` holds no COMPLETE
            trial or comes with ``x0`` or ``sigma0``. At sampling time: the study has
            several objectives, or ``x0`` holds a value outside its distribution.

    Example:
        >>> import tunelab as tl
        >>> def objective(trial):
        ...     x = trial.suggest_float("x", -5, 5)
        ...     y = trial.suggest_int("y", -5, 5)
        ...     return (x - 1) ** 2 + (y + 2) ** 2
        >>> study = tl.create_study(sampler=tl.samplers.CmaEsSampler(seed=0))
        >>> study.optimize(objective, n_trials=80)
        >>> round(study.best_params["x"], 1), study.best_params["y"]
        (1.0, -2)
    """

    def __init__(
        self,
        *,
        seed: int | None = None,
        x0: Mapping[str, ParamValue] | None = None,
        sigma0: float | None = None,
        n_startup_trials: int = 1,
        independent_sampler: BaseSampler | None = None,
        restart_strategy: Literal["ipop", "bipop"] | None = None,
        popsize: int | None = None,
        use_separable_cma: bool = False,
        source_trials: Sequence[FrozenTrial] | None = None,
    ) -> None:
        _check_options(seed, x0, sigma0, n_startup_trials, restart_strategy, popsize)
        _check_source(source_trials, x0, sigma0)
        self._seed = base_seed(seed)
        self._x0 = dict(x0) if x0 is not None else None
        self._sigma0 = float(sigma0) if sigma0 is not None else None
        self._n_startup_trials = n_startup_trials
        self._independent = independent_sampler or RandomSampler(seed)
        self._restart_strategy = restart_strategy
        self._popsize = popsize
        self._separable = bool(use_separable_cma)
        self._source = tuple(source_trials) if source_trials is not None else None
        self._lock = threading.Lock()
        self._caches: dict[tuple[str, str], _StudyCache] = {}

    def __getstate__(self) -> dict[str, Any]:
        # Sent to worker processes: they rebuild the optimiser from the shared history.
        state = dict(self.__dict__)
        del state["_lock"]
        state["_caches"] = {}
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    def reseed_rng(self, seed: int | None = None) -> None:
        # The CMA-ES seed stays: every worker must rebuild the same optimiser.
        self._independent.reseed_rng(seed)

    def before_trial(self, study: StudyView, trial: FrozenTrial) -> None:
        self._independent.before_trial(study, trial)

    def after_trial(self, study: StudyView, trial: FrozenTrial) -> None:
        self._independent.after_trial(study, trial)

    def infer_relative_search_space(
        self, study: StudyView, trial: FrozenTrial
    ) -> dict[str, BaseDistribution]:
        _check_single_objective(study)
        return _numeric(intersection_search_space(study.get_trials(states=_COMPLETE)))

    def sample_relative(
        self,
        study: StudyView,
        trial: FrozenTrial,
        search_space: Mapping[str, BaseDistribution],
    ) -> dict[str, ParamValue]:
        _check_single_objective(study)
        space = _numeric(search_space)
        complete = study.get_trials(states=_COMPLETE)
        if not space or len(complete) < self._n_startup_trials:
            return {}
        encoder = SearchSpaceEncoder(space)
        key = _space_key(space)
        sign = -1.0 if study.directions[0] is StudyDirection.MAXIMIZE else 1.0
        with self._lock:
            cache = self._caches.setdefault((study.study_name, key), _StudyCache())
            groups = _group(cache, complete, key, encoder, sign)
            replay = self._advance(cache, groups, encoder, sign)
            x, u = self._draw(replay, trial.number)
            tag: dict[str, JSONValue] = {
                "space": key,
                "restart": replay.restart,
                "generation": replay.generation,
                "popsize": replay.optimizer.population_size,
                "x": x.tolist(),
                "u": u.tolist(),
            }
        study.set_system_attr(trial, ATTR, tag)
        return encoder.decode(u)

    def sample_independent(
        self,
        study: StudyView,
        trial: FrozenTrial,
        name: str,
        distribution: BaseDistribution,
    ) -> ParamValue:
        return self._independent.sample_independent(study, trial, name, distribution)

    # -- replaying history -----------------------------------------------------------

    def _advance(
        self,
        cache: _StudyCache,
        groups: Mapping[tuple[int, int], list[_Told]],
        encoder: SearchSpaceEncoder,
        sign: float,
    ) -> _Replay:
        """Tell every generation completed since the cached state (or since the start)."""
        replay = cache.replay
        if replay is None or not _still_valid(replay, groups):
            replay = self._first_run(encoder, sign)
        while True:
            members = groups.get((replay.restart, replay.generation), [])
            popsize = replay.optimizer.population_size
            if len(members) < popsize:
                break
            chosen = members[:popsize]
            replay.optimizer.tell([(m.x.copy(), m.value) for m in chosen])
            replay.told.append(
                ((replay.restart, replay.generation), tuple(m.number for m in chosen))
            )
            replay.generation += 1
            replay.evals[-1] += popsize
            if self._restart_strategy is not None and replay.optimizer.should_stop():
                start = self._next_start(replay)
                replay.starts.append(start)
                replay.evals.append(0)
                replay.generation = 0
                replay.optimizer = self._optimizer(start, replay.bounds, replay.steps)
        cache.replay = replay
        return replay

    def _draw(self, replay: _Replay, number: int) -> tuple[FloatArray, FloatArray]:
        """``(x, u)``: the vector to tell later and the point to evaluate, for one trial."""
        entropy = [self._seed, replay.restart, replay.generation, number]
        replay.optimizer.reseed_rng(int(np.random.SeedSequence(entropy).generate_state(1)[0]))
        drawn = replay.optimizer.ask()
        u, x = drawn if isinstance(drawn, tuple) else (drawn, drawn)  # CMAwM: (eval, tell)
        return np.asarray(x, dtype=np.float64), np.asarray(u, dtype=np.float64)

    def _optimizer(self, start: _Start, bounds: FloatArray, steps: FloatArray) -> _Optimizer:
        common = {"seed": 0, "population_size": start.popsize}
        if self._separable:
            return cmaes.SepCMA(start.mean, start.sigma, bounds=bounds, **common)  # type: ignore[no-any-return]
        if np.any(steps > 0):
            return cmaes.CMAwM(start.mean, start.sigma, bounds, steps, cov=start.cov, **common)  # type: ignore[no-any-return]
        return cmaes.CMA(start.mean, start.sigma, bounds=bounds, cov=start.cov, **common)  # type: ignore[no-any-return]

    # -- where runs start ------------------------------------------------------------

    def _first_run(self, encoder: SearchSpaceEncoder, sign: float) -> _Replay:
        bounds, steps = _bounds(encoder, margin=not self._separable)
        low, high = bounds[:, 0], bounds[:, 1]
        popsize = self._base_popsize(encoder.dim)
        start = _Start(popsize, (low + high) / 2, self._sigma0 or _DEFAULT_SIGMA)
        warm = _warm_start(self._source, encoder, sign) if self._source is not None else None
        if warm is not None:
            mean, sigma, cov = warm
            start = _Start(popsize, mean, sigma, None if self._separable else cov)
        elif self._x0 is not None:
            start = _Start(popsize, _x0_vector(self._x0, encoder), start.sigma)
        start = _Start(start.popsize, np.clip(start.mean, low, high), start.sigma, start.cov)
        return _Replay(self._optimizer(start, bounds, steps), bounds, steps, [start], [0])

    def _base_popsize(self, dim: int) -> int:
        return self._popsize or 4 + math.floor(3 * math.log(dim))

    def _next_start(self, replay: _Replay) -> _Start:
        """The restart after ``replay``'s current run (IPOP or BIPOP)."""
        rng = np.random.default_rng([self._seed, replay.restart + 1])
        low, high = replay.bounds[:, 0], replay.bounds[:, 1]
        mean = low + rng.random(len(low)) * (high - low)
        base = self._base_popsize(len(low))
        sigma = self._sigma0 or _DEFAULT_SIGMA
        if self._restart_strategy == "ipop":
            return _Start(base * 2 ** (replay.restart + 1), mean, sigma, large=True)
        restarts = list(zip(replay.starts[1:], replay.evals[1:], strict=True))
        n_large = sum(start.large for start, _ in restarts)
        large_budget = sum(evals for start, evals in restarts if start.large)
        small_budget = sum(evals for start, evals in restarts if not start.large)
        if n_large == 0 or large_budget <= small_budget:
            return _Start(base * 2 ** (n_large + 1), mean, sigma, large=True)
        draw = float(rng.random())
        ratio = (base * 2**n_large) / (2 * base)
        popsize = math.floor(base * ratio ** (draw**2))  # ratio >= 1: at least base
        return _Start(popsize, mean, sigma * 10 ** (-2 * draw))


# -- helpers -------------------------------------------------------------------------


def _numeric(space: Mapping[str, BaseDistribution]) -> dict[str, BaseDistribution]:
    """The float and int dimensions CMA-ES searches, by name; empty below two."""
    numeric: dict[str, BaseDistribution] = {
        name: dist
        for name, dist in sorted(space.items())
        if isinstance(dist, (FloatDistribution, IntDistribution)) and not dist.is_single()
    }
    return numeric if len(numeric) >= 2 else {}


def _space_key(space: Mapping[str, BaseDistribution]) -> str:
    """A short stable hash naming the search space in the trials' tags."""
    text = json.dumps([[name, dist.to_json()] for name, dist in space.items()], sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _group(
    cache: _StudyCache,
    complete: Sequence[FrozenTrial],
    key: str,
    encoder: SearchSpaceEncoder,
    sign: float,
) -> dict[tuple[int, int], list[_Told]]:
    """The usable trials by ``(restart, generation)``, first completed first."""
    groups: dict[tuple[int, int], list[_Told]] = {}
    for trial in complete:
        if trial.trial_id not in cache.parsed:  # finished trials never change
            cache.parsed[trial.trial_id] = _parse(trial, key, encoder, sign)
        told = cache.parsed[trial.trial_id]
        if told is not None:
            groups.setdefault((told.restart, told.generation), []).append(told)
    for members in groups.values():
        members.sort(key=lambda m: m.order)
    return groups


def _parse(trial: FrozenTrial, key: str, encoder: SearchSpaceEncoder, sign: float) -> _Told | None:
    """What to tell about ``trial``, or None if it is not a usable CMA-ES trial."""
    tag = trial.system_attrs.get(ATTR)
    values = trial.values
    if not isinstance(tag, Mapping) or tag.get("space") != key or values is None:
        return None
    if len(values) != 1 or not math.isfinite(values[0]):
        return None
    restart, generation = tag.get("restart"), tag.get("generation")
    if not (isinstance(restart, int) and isinstance(generation, int)):
        return None
    try:
        x = np.asarray(tag["x"], dtype=np.float64)
        u = np.asarray(tag["u"], dtype=np.float64)
        actual = encoder.encode(trial.params)
    except (KeyError, TypeError, ValueError):
        return None
    if x.shape != (encoder.dim,) or u.shape != x.shape or not np.all(np.isfinite(x)):
        return None
    if not np.allclose(actual, encoder.encode(encoder.decode(u)), rtol=0.0, atol=1e-9):
        return None  # the trial ran other values than sampled (enqueued, fixed)
    done = trial.datetime_complete
    order = (done.timestamp() if done is not None else math.inf, trial.number)
    return _Told(restart, generation, trial.number, x, sign * values[0], order)


def _still_valid(replay: _Replay, groups: Mapping[tuple[int, int], list[_Told]]) -> bool:
    """Whether every generation ``replay`` told still has the same first members."""
    for generation, numbers in replay.told:
        members = groups.get(generation, [])[: len(numbers)]
        if tuple(m.number for m in members) != numbers:
            return False
    return True


def _bounds(encoder: SearchSpaceEncoder, *, margin: bool) -> tuple[FloatArray, FloatArray]:
    """``(bounds (dim, 2), steps (dim,))`` in the unit cube.

    With ``margin``, a linear int or stepped float dimension spans the centres of its
    first and last bins with their spacing as step (for ``CMAwM``); every other
    dimension spans ``[0, 1]`` with step 0 (continuous).
    """
    bounds = np.tile([0.0, 1.0], (encoder.dim, 1))
    steps = np.zeros(encoder.dim)
    if not margin:
        return bounds, steps
    for i, dist in enumerate(encoder.space.values()):
        if isinstance(dist, IntDistribution) and not dist.log:
            step: float = dist.step
        elif isinstance(dist, FloatDistribution) and dist.step is not None:
            step = dist.step
        else:
            continue
        first, second, last = internal_to_unit(
            dist, np.array([dist.low, dist.low + step, dist.high], dtype=np.float64)
        )
        bounds[i] = (first, last)
        steps[i] = second - first
    return bounds, steps


def _x0_vector(x0: Mapping[str, ParamValue], encoder: SearchSpaceEncoder) -> FloatArray:
    mean = np.full(encoder.dim, 0.5)
    for i, (name, dist) in enumerate(encoder.space.items()):
        if name not in x0:
            continue
        try:
            internal = dist.to_internal(x0[name])
        except (TypeError, ValueError) as exc:
            raise ValueError(f"x0[{name!r}]={x0[name]!r} is invalid: {exc}") from None
        if not dist.contains(internal):
            raise ValueError(f"x0[{name!r}]={x0[name]!r} lies outside {dist!r}")
        mean[i] = float(internal_to_unit(dist, np.float64(internal)))
    return mean


def _warm_start(
    source: Sequence[FrozenTrial], encoder: SearchSpaceEncoder, sign: float
) -> tuple[FloatArray, float, FloatArray] | None:
    """``(mean, sigma, cov)`` fitted to the best source solutions; None if none fits."""
    solutions = []
    for trial in source:
        values = trial.values
        if trial.state is not TrialState.COMPLETE or values is None or len(values) != 1:
            continue
        if not math.isfinite(values[0]):
            continue
        try:
            row = np.clip(encoder.encode(trial.params), 0.0, 1.0)
        except (KeyError, TypeError, ValueError):
            continue  # lacks a parameter of this space, or has an invalid value
        solutions.append((row, sign * values[0]))
    if not solutions:
        return None
    gamma = 0.1 if len(solutions) >= 10 else 1.0  # keep at least one solution
    mean, sigma, cov = cmaes.get_warm_start_mgd(solutions, gamma=gamma)
    return np.asarray(mean, dtype=np.float64), float(sigma), np.asarray(cov, dtype=np.float64)


def _check_single_objective(study: StudyView) -> None:
    if len(study.directions) != 1:
        raise ValueError(
            f"CmaEsSampler optimises a single objective; study {study.study_name!r} has "
            f"{len(study.directions)}"
        )


def _is_int(value: object) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def _check_options(
    seed: object,
    x0: object,
    sigma0: object,
    n_startup_trials: object,
    restart_strategy: object,
    popsize: object,
) -> None:
    if seed is not None and not (_is_int(seed) and seed >= 0):  # type: ignore[operator]
        raise ValueError(f"seed={seed!r} must be None or an int >= 0")
    if x0 is not None and not isinstance(x0, Mapping):
        raise ValueError(f"x0={x0!r} must be None or a dict of parameter values")
    if sigma0 is not None and not (
        isinstance(sigma0, (int, float)) and not isinstance(sigma0, bool)
        and math.isfinite(sigma0) and sigma0 > 0
    ):  # fmt: skip
        raise ValueError(f"sigma0={sigma0!r} must be None or a finite number > 0")
    if not (_is_int(n_startup_trials) and n_startup_trials >= 0):  # type: ignore[operator]
        raise ValueError(f"n_startup_trials={n_startup_trials!r} must be an int >= 0")
    if restart_strategy not in _RESTARTS:
        raise ValueError(f"restart_strategy={restart_strategy!r} must be one of {_RESTARTS}")
    # Below 4, the rank-mu learning rate of CMA-ES is zero (one parent, mu_eff = 1).
    if popsize is not None and not (_is_int(popsize) and popsize >= 4):  # type: ignore[operator]
        raise ValueError(f"popsize={popsize!r} must be None or an int >= 4")


def _check_source(source: Sequence[FrozenTrial] | None, x0: object, sigma0: object) -> None:
    if source is None:
        return
    if x0 is not None or sigma0 is not None:
        raise ValueError("source_trials sets the initial mean and step size: leave x0 and "
                         "sigma0 as None")  # fmt: skip
    if not any(t.state is TrialState.COMPLETE for t in source):
        raise ValueError(
            f"source_trials holds no COMPLETE trial to warm-start from ({len(source)} given)"
        )

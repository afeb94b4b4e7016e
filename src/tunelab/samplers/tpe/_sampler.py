"""``TPESampler``: orchestration only; the mathematics lives in ``_parzen`` and ``_split``."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from tunelab._records import FrozenTrial, StudyDirection, TrialState
from tunelab._space import intersection_search_space
from tunelab._typing import ParamValue
from tunelab._validate import check_int
from tunelab._view import StudyView
from tunelab.distributions import BaseDistribution
from tunelab.samplers._base import BaseSampler
from tunelab.samplers._random import RandomSampler
from tunelab.samplers._seeding import base_seed, trial_rng
from tunelab.samplers._window import best_and_recent
from tunelab.samplers.tpe._parzen import BANDWIDTHS, ParzenEstimator
from tunelab.samplers.tpe._split import default_gamma, default_weights, rank, split

__all__ = ["TPEOptions", "TPESampler"]

_logger = logging.getLogger("tunelab")

_Key = tuple[str, BaseDistribution]


@dataclass(frozen=True)
class _History:
    """What one trial's suggestions learn from.

    The trials, whether the model is on, and each finished trial's rank (by trial id).
    """

    key: tuple[str, int]
    trials: list[FrozenTrial]
    ready: bool
    ranking: dict[int, int]
    started: float  # time.perf_counter() when the trial's first suggestion began


@dataclass(frozen=True)
class TPEOptions:
    """The less common knobs of :class:`TPESampler`.

    Attributes:
        gamma: Size of the good group for ``n`` observations.
        weights: Weights of ``n`` observations, oldest first.
        consider_endpoints: Count the bounds as neighbours in bandwidths.
        magic_clip: Floor bandwidths at ``range / min(100, n + 2)``.
        bandwidth: ``"neighbour"``: each observation's kernel is as wide as the larger
            gap to its neighbours, per dimension; ``"scott"``: multivariate estimators use
            Scott's rule (at least 0.1 of the range). See ``tunelab.samplers.tpe._parzen``
            for what each measured.
    """

    gamma: Callable[[int], int] = default_gamma
    weights: Callable[[int], npt.NDArray[np.float64]] = default_weights
    consider_endpoints: bool = False
    magic_clip: bool = True
    bandwidth: str = "neighbour"

    def __post_init__(self) -> None:
        if self.bandwidth not in BANDWIDTHS:
            raise ValueError(
                f"TPEOptions.bandwidth={self.bandwidth!r} must be one of {BANDWIDTHS}"
            )


def decompose(param_sets: Sequence[frozenset[_Key]]) -> list[frozenset[_Key]]:
    """Partition parameters into groups that always appear together.

    Each new set splits every existing group into the part it shares and the part it
    lacks, so define-by-run branches end up in separate groups.

    Example:
        >>> a, b, c = ("a", None), ("b", None), ("c", None)
        >>> sorted(sorted(k[0] for k in g) for g in decompose([frozenset({a, b}),
        ...                                                     frozenset({a, c})]))
        [['a'], ['b'], ['c']]
    """
    groups: list[frozenset[_Key]] = []
    for params in param_sets:
        rest = set(params)
        refined: list[frozenset[_Key]] = []
        for group in groups:
            for part in (group & params, group - params):
                if part:
                    refined.append(frozenset(part))
            rest -= group
        if rest:
            refined.append(frozenset(rest))
        groups = refined
    return groups


class TPESampler(BaseSampler):
    """Tree-structured Parzen estimator: model good and bad regions, sample where good wins.

    Finished trials are split into a good group (the best ``gamma(n)``) and the rest;
    each group gets a kernel density estimate, ``l(x)`` and ``g(x)``, and the sampler
    draws ``n_ei_candidates`` points from ``l`` and keeps the one maximising
    ``l(x) / g(x)`` (proportional to expected improvement; Bergstra et al., 2011).

    Args:
        seed: Seed of the sampler's random state.
        n_startup_trials: Trials drawn at random before the model is used.
        n_ei_candidates: Candidates drawn from ``l(x)`` per suggestion.
        multivariate: Model parameters jointly (captures interactions); False models
            them one at a time (the classic TPE).
        group: With ``multivariate``, split define-by-run spaces into groups of
            parameters that occur together and model each group jointly (so each
            branch of a tree-structured space is modelled on the trials that have it).
            None (default): the same as ``multivariate``.
        constant_liar: Count RUNNING trials as bad, so parallel workers spread out.
        prior_weight: Weight of the broad prior component of each estimator.
        max_history: Learn from at most this many finished trials: the best quarter of
            all (single objective) and the most recent others. Keeps the time per
            suggestion bounded in studies of 100,000 trials; None uses every trial.
        time_budget: Seconds a trial's suggestions may take together; parameters
            suggested after that are drawn at random (logged), so a slow model never
            stalls a study.
        options: Rarely changed knobs (gamma, weights, bandwidth details).

    Raises:
        ValueError: An argument is out of range, or ``group`` without ``multivariate``.

    Example:
        >>> import tunelab as tl
        >>> sampler = tl.samplers.TPESampler(seed=0)
        >>> study = tl.create_study(sampler=sampler)
        >>> study.optimize(lambda t: (t.suggest_float("x", -5, 5) - 1) ** 2, n_trials=40)
        >>> abs(study.best_params["x"] - 1) < 0.5
        True
    """

    def __init__(
        self,
        *,
        seed: int | None = None,
        n_startup_trials: int = 10,
        n_ei_candidates: int = 24,
        multivariate: bool = True,
        group: bool | None = None,
        constant_liar: bool = False,
        prior_weight: float = 1.0,
        max_history: int | None = 5000,
        time_budget: float | None = None,
        options: TPEOptions | None = None,
    ) -> None:
        self._n_startup = check_int("n_startup_trials", n_startup_trials, 0)
        self._n_candidates = check_int("n_ei_candidates", n_ei_candidates, 1)
        if not prior_weight > 0:
            raise ValueError(f"prior_weight={prior_weight!r} must be > 0")
        if group and not multivariate:
            raise ValueError("group=True needs multivariate=True")
        if group is None:
            group = multivariate
        self._max_history = check_int("max_history", max_history, 10, allow_none=True)
        if time_budget is not None and not time_budget > 0:
            raise ValueError(f"time_budget={time_budget!r} must be None or seconds > 0")
        self._time_budget = time_budget
        self._multivariate = multivariate
        self._group = group
        self._constant_liar = constant_liar
        self._prior_weight = float(prior_weight)
        self._options = options or TPEOptions()
        self._seed = base_seed(seed)
        self._random = RandomSampler(seed)
        self._local = threading.local()
        # Internal values of finished trials, which never change: (trial_id, name) -> x.
        self._internal: dict[tuple[int, str], float] = {}
        # Per study: the finished trials already folded into the shared search space.
        self._spaces: dict[str, tuple[set[int], dict[str, BaseDistribution] | None]] = {}
        # The (name, distribution) pairs of each finished trial, by trial id.
        self._keysets: dict[int, frozenset[_Key]] = {}
        self._interned: dict[frozenset[_Key], frozenset[_Key]] = {}
        # Per study: the finished trials seen, their distinct key sets, and the groups.
        self._group_cache: dict[
            str, tuple[set[int], list[frozenset[_Key]], list[frozenset[_Key]]]
        ] = {}

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        del state["_local"]  # per-thread history cache
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._local = threading.local()

    def reseed_rng(self, seed: int | None = None) -> None:
        self._seed = base_seed(seed)
        self._random.reseed_rng(seed)

    # -- history -------------------------------------------------------------------------

    def _snapshot(self, study: StudyView, trial: FrozenTrial) -> _History:
        """The trials the model learns from, read and ranked once per trial (per thread)."""
        cached: _History | None = getattr(self._local, "history", None)
        if cached is not None and cached.key == (study.study_name, trial.number):
            return cached
        states = [TrialState.COMPLETE, TrialState.PRUNED]
        if self._constant_liar:
            states.append(TrialState.RUNNING)
        started = time.perf_counter()
        trials = [t for t in study.get_trials(states=states) if t.number != trial.number]
        complete = sum(1 for t in trials if t.state is TrialState.COMPLETE)
        trials = self._window(trials, study.directions)
        snapshot = _History(
            (study.study_name, trial.number),
            trials,
            complete >= max(self._n_startup, 1),
            rank(trials, study.directions),
            started,
        )
        self._local.history = snapshot
        return snapshot

    def _window(
        self, trials: list[FrozenTrial], directions: Sequence[StudyDirection]
    ) -> list[FrozenTrial]:
        """At most ``max_history`` finished trials (and every RUNNING one)."""
        limit = self._max_history
        finished = [t for t in trials if t.state is not TrialState.RUNNING]
        if limit is None or len(finished) <= limit:
            return trials
        score = None
        if len(directions) == 1:  # the best quarter of all, so good regions stay known
            sign = 1.0 if directions[0] is StudyDirection.MINIMIZE else -1.0

            def score(t: FrozenTrial) -> float | None:
                complete = t.state is TrialState.COMPLETE and t.values
                return sign * t.values[0] if complete else None  # type: ignore[index]

        keep = best_and_recent(finished, limit, score)
        if len(self._internal) > 4 * limit * 8:  # drop cached values of trials left out
            self._internal = {k: v for k, v in self._internal.items() if k[0] in keep}
            self._keysets = {k: v for k, v in self._keysets.items() if k in keep}
        return [t for t in trials if t.state is TrialState.RUNNING or t.trial_id in keep]

    def _out_of_time(self, history: _History, trial: FrozenTrial, name: str) -> bool:
        """Whether this trial's time budget is spent (then the rest is drawn at random)."""
        if self._time_budget is None:
            return False
        spent = time.perf_counter() - history.started
        if spent <= self._time_budget:
            return False
        if getattr(self._local, "warned", None) != history.key:
            self._local.warned = history.key
            _logger.info(
                "TPESampler: time_budget=%gs spent after %.3fs; trial %d draws %r and the "
                "parameters after it at random",
                self._time_budget,
                spent,
                trial.number,
                name,
            )
        return True

    def after_trial(self, study: StudyView, trial: FrozenTrial) -> None:
        self._local.history = None

    # -- one parameter at a time ---------------------------------------------------------

    def sample_independent(
        self,
        study: StudyView,
        trial: FrozenTrial,
        name: str,
        distribution: BaseDistribution,
    ) -> ParamValue:
        history = self._snapshot(study, trial)
        if not history.ready or self._out_of_time(history, trial, name):
            return self._random.sample_independent(study, trial, name, distribution)
        relevant = [t for t in history.trials if t.distributions.get(name) == distribution]
        if not any(t.state is TrialState.COMPLETE for t in relevant):
            return self._random.sample_independent(study, trial, name, distribution)
        best = self._propose(study, trial, history, relevant, {name: distribution})
        return distribution.to_external(best[name])

    # -- several parameters jointly ------------------------------------------------------

    def infer_relative_search_space(
        self, study: StudyView, trial: FrozenTrial
    ) -> dict[str, BaseDistribution]:
        if not self._multivariate:
            return {}
        history = self._snapshot(study, trial)
        if not history.ready:
            return {}
        if self._group:
            return {
                name: dist
                for g in self._groups(study.study_name, history.trials)
                for name, dist in sorted(g, key=lambda kv: kv[0])
            }
        space = self._shared_space(study.study_name, history.trials)
        return {name: dist for name, dist in space.items() if not dist.is_single()}

    def _shared_space(
        self, study_name: str, trials: Sequence[FrozenTrial]
    ) -> dict[str, BaseDistribution]:
        """The intersection space, updated with only the trials not seen before."""
        seen, space = self._spaces.get(study_name, (set(), None))
        new = [t for t in trials if t.trial_id not in seen and t.state is not TrialState.RUNNING]
        if new:
            fresh = intersection_search_space(new, include_pruned=True)
            if space is None:
                space = fresh
            else:
                space = {n: d for n, d in space.items() if fresh.get(n) == d}
            seen = seen | {t.trial_id for t in new}
            self._spaces[study_name] = (seen, space)
        return dict(space or {})

    def _keyset(self, trial: FrozenTrial) -> frozenset[_Key]:
        """The trial's (name, distribution) pairs (cached once it is finished)."""
        keys = self._keysets.get(trial.trial_id)
        if keys is None:
            fresh = frozenset(trial.distributions.items())
            keys = self._interned.setdefault(fresh, fresh)  # one object per distinct set
            if trial.state.is_finished():
                self._keysets[trial.trial_id] = keys
        return keys

    def _having(
        self, trials: Sequence[FrozenTrial], space: Mapping[str, BaseDistribution]
    ) -> list[FrozenTrial]:
        """The trials that have every parameter of ``space`` with the same distribution."""
        wanted = frozenset(space.items())
        verdicts: dict[frozenset[_Key], bool] = {}  # a few distinct key sets, many trials
        out = []
        for t in trials:
            keys = self._keyset(t)
            verdict = verdicts.get(keys)
            if verdict is None:
                verdict = verdicts[keys] = wanted <= keys
            if verdict:
                out.append(t)
        return out

    def _groups(self, study_name: str, history: Sequence[FrozenTrial]) -> list[frozenset[_Key]]:
        """Groups of parameters that always occur together, updated with new trials only.

        The partition depends only on the distinct parameter sets seen, so it is
        recomputed only when a trial brings a new one.
        """
        seen, distinct, groups = self._group_cache.get(study_name, (set(), [], []))
        new = [t for t in history if t.trial_id not in seen and t.state is not TrialState.RUNNING]
        if new:
            unseen = [k for k in dict.fromkeys(self._keyset(t) for t in new) if k not in distinct]
            if unseen:
                distinct = distinct + unseen
                groups = decompose(
                    [frozenset(k for k in d if not k[1].is_single()) for d in distinct]
                )
            seen = seen | {t.trial_id for t in new}
            self._group_cache[study_name] = (seen, distinct, groups)
        return list(groups)

    def sample_relative(
        self,
        study: StudyView,
        trial: FrozenTrial,
        search_space: Mapping[str, BaseDistribution],
    ) -> dict[str, ParamValue]:
        if not search_space:
            return {}
        history = self._snapshot(study, trial)
        if not history.ready or self._out_of_time(history, trial, next(iter(search_space))):
            return {}
        if self._group:
            groups = [
                dict(sorted(g, key=lambda kv: kv[0]))
                for g in self._groups(study.study_name, history.trials)
            ]
            groups = [{n: d for n, d in g.items() if search_space.get(n) == d} for g in groups]
        else:
            groups = [dict(search_space)]
        out: dict[str, ParamValue] = {}
        for space in groups:
            if not space:
                continue
            relevant = self._having(history.trials, space)
            if any(t.state is TrialState.COMPLETE for t in relevant):
                best = self._propose(study, trial, history, relevant, space)
                out.update({n: space[n].to_external(best[n]) for n in space})
        return out

    # -- the TPE step --------------------------------------------------------------------

    def _propose(
        self,
        study: StudyView,
        trial: FrozenTrial,
        history: _History,
        trials: Sequence[FrozenTrial],
        space: Mapping[str, BaseDistribution],
    ) -> dict[str, float]:
        """Internal values of the candidate with the best ``log l(x) - log g(x)``."""
        finished = sum(1 for t in trials if t.state is not TrialState.RUNNING)
        below, above = split(
            trials, study.directions, self._options.gamma(finished), history.ranking
        )
        l_model = self._estimator(below, space)
        g_model = self._estimator(above, space)
        candidates = l_model.sample(trial_rng(self._seed, trial, *space), self._n_candidates)
        score = l_model.log_pdf(candidates) - g_model.log_pdf(candidates)
        best = int(np.argmax(score))
        return {name: float(values[best]) for name, values in candidates.items()}

    def _internal_value(self, trial: FrozenTrial, name: str, dist: BaseDistribution) -> float:
        key = (trial.trial_id, name)
        value = self._internal.get(key)
        if value is None:
            value = dist.to_internal(trial.params[name])
            if trial.state.is_finished():
                self._internal[key] = value
        return value

    def _estimator(
        self, trials: Sequence[FrozenTrial], space: Mapping[str, BaseDistribution]
    ) -> ParzenEstimator:
        observations = {
            name: np.fromiter(
                (self._internal_value(t, name, dist) for t in trials),
                dtype=np.float64,
                count=len(trials),
            )
            for name, dist in space.items()
        }
        return ParzenEstimator(
            observations,
            space,
            self._options.weights(len(trials)),
            prior_weight=self._prior_weight,
            multivariate=self._multivariate,
            consider_endpoints=self._options.consider_endpoints,
            magic_clip=self._options.magic_clip,
            bandwidth=self._options.bandwidth,
        )

"""``AutoSampler``: pick the sampler for each trial from the space and the budget so far.

The rule, applied before every trial to the finished (COMPLETE or PRUNED) history:

Trials *observed* below are the COMPLETE ones and the PRUNED ones that reported a value
(the model-based samplers learn from both; with pruning, most trials end PRUNED).

1. Fewer than ``n_startup_trials`` observed trials: random points (measured against a
   scrambled Sobol start on the quality benchmark, 18 problems x 5 seeds: the GP that
   followed a Sobol start ranked worse at 50 and 100 trials, e.g. it stayed in
   Hartmann-6's local optimum in 3 of 5 seeds and was further from the 20-d sphere's
   optimum in 4 of 5; on tree-structured spaces a Sobol start over one branch's
   parameters made TPE lock into a deceptive branch in 6 of 10 seeds, against 2 of 10).
2. Several objectives: :class:`TPESampler` (multivariate, grouped, constant liar); the
   Gaussian-process sampler models a single objective.
3. A tree-structured space (trials with different parameter sets, e.g. one model family
   per branch) or a categorical-heavy one (at least half of the parameters categorical):
   grouped multivariate TPE, which models each branch on the trials that have it instead
   of treating the space as a flat box with holes. In a tree-structured space, one
   trial in ``BRANCH_EVERY`` (up to ``gp_max_trials``) is "branch-gp" instead: a GP
   fitted on one branch's trials, with the choices that select the branch fixed, refines
   the best branch or, every other time, one of the others (``_branch.py``): TPE finds
   the branches, the GP refines their continuous optimum.
4. A fixed, mostly numeric space with fewer than ``gp_max_trials`` observed trials:
   :class:`GPSampler`, the most sample-efficient model while the history is small.
   From 50 observed trials on, one trial in 4 is "gp-exploit": the GP's own
   exploitation step (see :class:`GPSampler`), the minimiser of its posterior mean, a
   polishing step around the incumbent. Expected improvement, with the fitted noise,
   stops paying for steps smaller than the noise it believes in, so without it the GP
   stalled short of smooth optima. Measured on the 14 closed-form problems, 5 seeds:
   at 200 trials median log10 regret -4.34 instead of -3.36 on hartmann6, -7.34 instead
   of -6.64 on branin, -1.57 instead of -0.63 on the 20-d sphere, better or level on 11
   of 14, worse on styblinski_tang8 (1.63 against 1.15) and ackley5 (0.53 against 0.47).
   Starting it at 20 trials instead was worse at 50 trials on three problems of 14.
   Plateau exception, for rules 3 and 4: when at least ``PLATEAU_TIES`` COMPLETE
   trials share the best value exactly (accuracy on a small validation set, a random
   forest's ``max_features`` rounded to a whole number of features), a GP keeps refining
   inside the plateau, where every point scores the same, and the good trials form a
   tight cluster that narrow TPE kernels would not leave. "tpe-wide" is used instead:
   grouped TPE whose kernels follow Scott's rule, at least a tenth of the range wide
   (``TPEOptions(bandwidth="scott")``), until a new, unshared best appears. Measured on
   the quality benchmark's MLP-on-wine task (3-fold CV error on 178 samples), 5 seeds,
   100 trials: the optimum reached in 4 seeds with the rule, in 2 by the GP alone; with
   neighbour-gap kernels on the plateau, median log10 regret -2.26 instead of -12 at
   25, 50 and 100 trials.
5. Beyond that, an all-numeric space of at least two dimensions: :class:`CmaEsSampler`,
   warm-started once from the trials so far (cheap per suggestion for long runs);
   otherwise multivariate TPE.

Each trial records the sampler that proposed it in ``system_attrs["auto:sampler"]``.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Mapping, Sequence
from typing import Any

from tunelab._records import FrozenTrial, StudyDirection, TrialState
from tunelab._space import intersection_search_space
from tunelab._typing import ParamValue
from tunelab._validate import check_int
from tunelab._view import StudyView
from tunelab.distributions import BaseDistribution, CategoricalDistribution
from tunelab.samplers._base import BaseSampler
from tunelab.samplers._branch import BranchGPSampler, choose_branch
from tunelab.samplers._random import RandomSampler

__all__ = ["AutoSampler", "choose"]

ATTR = "auto:sampler"


def _profile(history: Sequence[FrozenTrial]) -> tuple[bool, int, int]:
    """(conditional, numeric dims, categorical dims) of the finished trials' space."""
    finished = [t for t in history if t.state is not TrialState.RUNNING]
    shapes = {frozenset(t.distributions) for t in finished}
    union: dict[str, BaseDistribution] = {}
    for trial in finished:
        union.update(trial.distributions)
    varying = {n: d for n, d in union.items() if not d.is_single()}
    categorical = sum(isinstance(d, CategoricalDistribution) for d in varying.values())
    return len(shapes) > 1, len(varying) - categorical, categorical


PLATEAU_TIES = 3
BRANCH_EVERY = 3  # one trial in three of a tree-structured space refines a branch by GP


def _plateau(history: Sequence[FrozenTrial], maximize: bool) -> bool:
    """Whether at least ``PLATEAU_TIES`` COMPLETE trials share the best value exactly."""
    values = [
        t.values[0]
        for t in history
        if t.state is TrialState.COMPLETE and t.values is not None and len(t.values) == 1
    ]
    values = [v for v in values if math.isfinite(v)]
    if len(values) < PLATEAU_TIES:
        return False
    best = max(values) if maximize else min(values)
    return sum(v == best for v in values) >= PLATEAU_TIES


def choose(
    history: Sequence[FrozenTrial],
    n_objectives: int,
    *,
    n_startup_trials: int,
    gp_max_trials: int,
    maximize: bool = False,
) -> str:
    """The rule's pick: "random", "tpe", "tpe-wide", "branch-gp", "gp", "cmaes".

    ("gp" trials that the GP makes exploitation steps are recorded as "gp-exploit".)

    Example:
        >>> choose([], 1, n_startup_trials=10, gp_max_trials=200)
        'random'
    """
    observed = sum(
        1
        for t in history
        if t.state is TrialState.COMPLETE or (t.state is TrialState.PRUNED and t.values)
    )
    if observed < n_startup_trials:
        return "random"
    conditional, numeric, categorical = _profile(history)
    if n_objectives > 1:
        return "tpe"
    tree_like = conditional or categorical * 2 >= numeric + categorical
    if not tree_like and observed >= gp_max_trials:
        return "cmaes" if categorical == 0 and numeric >= 2 else "tpe"
    plateau = _plateau(history, maximize)
    if conditional and observed % BRANCH_EVERY == 2 and not plateau and observed < gp_max_trials:
        branch = choose_branch(history, maximize)
        if branch is not None and branch.free:
            return "branch-gp"
    if tree_like:
        return "tpe-wide" if plateau else "tpe"
    if plateau:
        return "tpe-wide"
    return "gp"


class AutoSampler(BaseSampler):
    """The default sampler: chooses random, GP, TPE or CMA-ES per trial (see the module rule).

    Args:
        seed: Seeds every underlying sampler.
        n_startup_trials: Observed trials drawn at random first.
        gp_max_trials: Up to this many observed trials a fixed numeric space uses the
            Gaussian-process sampler; beyond it, CMA-ES or TPE (cheaper per suggestion).

    Raises:
        ValueError: An argument is out of range.

    Example:
        >>> import tunelab as tl
        >>> study = tl.create_study(sampler=tl.samplers.AutoSampler(seed=0))
        >>> study.optimize(lambda t: (t.suggest_float("x", -3, 3) - 1) ** 2, n_trials=14)
        >>> sorted({t.system_attrs["auto:sampler"] for t in study.trials})
        ['gp', 'random']
    """

    def __init__(
        self, *, seed: int | None = None, n_startup_trials: int = 10, gp_max_trials: int = 200
    ) -> None:
        check_int("n_startup_trials", n_startup_trials, 1)
        check_int("gp_max_trials", gp_max_trials, 0)
        self._seed = seed
        self._n_startup = n_startup_trials
        self._gp_max = gp_max_trials
        self._samplers: dict[str, BaseSampler] = {"random": RandomSampler(seed)}
        self._lock = threading.Lock()
        self._local = threading.local()

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        del state["_lock"], state["_local"]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()
        self._local = threading.local()

    def reseed_rng(self, seed: int | None = None) -> None:
        for sampler in self._samplers.values():
            sampler.reseed_rng(seed)

    def _get(self, name: str, history: Sequence[FrozenTrial]) -> BaseSampler:
        with self._lock:
            if name not in self._samplers:
                self._samplers[name] = self._make(name, history)
            return self._samplers[name]

    def _make(self, name: str, history: Sequence[FrozenTrial]) -> BaseSampler:
        if name in ("tpe", "tpe-wide"):
            from tunelab.samplers.tpe import TPEOptions, TPESampler

            # On a plateau the good trials sit in a tight cluster (the GP refined them):
            # Scott's-rule kernels, at least a tenth of the range wide, search around it.
            options = TPEOptions(bandwidth="scott") if name == "tpe-wide" else None
            return TPESampler(seed=self._seed, constant_liar=True, options=options)
        if name == "branch-gp":
            from tunelab.samplers.gp import GPSampler

            if "tpe" not in self._samplers:  # under self._lock already (see _get)
                self._samplers["tpe"] = self._make("tpe", history)
            return BranchGPSampler(
                GPSampler(seed=self._seed, n_startup_trials=1, exploit_from=None),
                self._samplers["tpe"],
                every=BRANCH_EVERY,
            )
        if name == "gp":
            from tunelab.samplers.gp import GPSampler

            return GPSampler(seed=self._seed, n_startup_trials=1)
        from tunelab.samplers._cmaes import CmaEsSampler

        return CmaEsSampler(seed=self._seed, source_trials=_complete_in_space(history))

    def _current(self, trial: FrozenTrial) -> BaseSampler:
        chosen: tuple[int, BaseSampler] | None = getattr(self._local, "chosen", None)
        if chosen is not None and chosen[0] == trial.trial_id:
            return chosen[1]
        return self._samplers["random"]

    def before_trial(self, study: StudyView, trial: FrozenTrial) -> None:
        history = study.get_trials(states=(TrialState.COMPLETE, TrialState.PRUNED))
        name = choose(
            history,
            len(study.directions),
            n_startup_trials=self._n_startup,
            gp_max_trials=self._gp_max,
            maximize=study.directions[0] is StudyDirection.MAXIMIZE,
        )
        sampler = self._get(name, history)
        self._local.chosen = (trial.trial_id, sampler)
        sampler.before_trial(study, trial)
        if name == "gp":
            from tunelab.samplers.gp import GPSampler

            if isinstance(sampler, GPSampler) and sampler.is_exploit_step(trial):
                name = "gp-exploit"
        study.set_system_attr(trial, ATTR, name)

    def infer_relative_search_space(
        self, study: StudyView, trial: FrozenTrial
    ) -> dict[str, BaseDistribution]:
        return self._current(trial).infer_relative_search_space(study, trial)

    def sample_relative(
        self, study: StudyView, trial: FrozenTrial, search_space: Mapping[str, BaseDistribution]
    ) -> dict[str, ParamValue]:
        return self._current(trial).sample_relative(study, trial, search_space)

    def sample_independent(
        self, study: StudyView, trial: FrozenTrial, name: str, distribution: BaseDistribution
    ) -> ParamValue:
        return self._current(trial).sample_independent(study, trial, name, distribution)

    def after_trial(self, study: StudyView, trial: FrozenTrial) -> None:
        for sampler in list(self._samplers.values()):
            sampler.after_trial(study, trial)


def _complete_in_space(history: Sequence[FrozenTrial]) -> list[FrozenTrial]:
    """The COMPLETE trials that have every parameter of the shared space (a warm start)."""
    complete = [t for t in history if t.state is TrialState.COMPLETE and t.values is not None]
    space = intersection_search_space(complete)
    return [t for t in complete if all(t.distributions.get(n) == d for n, d in space.items())]

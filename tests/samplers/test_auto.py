from __future__ import annotations

import math
import pickle

import numpy as np
import pytest

import tunelab as tl
from tunelab import FrozenTrial, TrialState
from tunelab.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from tunelab.samplers import AutoSampler, RandomSampler
from tunelab.samplers._auto import ATTR, choose
from tunelab.samplers.gp._sampler import EXPLOIT_EVERY, EXPLOIT_FROM

X = FloatDistribution(0.0, 1.0)
N = IntDistribution(1, 10)
C = CategoricalDistribution(["a", "b"])


def _trials(count, dists, state=TrialState.COMPLETE, valued=True) -> list[FrozenTrial]:
    params = {"x": 0.5, "n": 3, "c": "a", "d": "b"}
    return [
        FrozenTrial(
            trial_id=i,
            number=i,
            state=state,
            values=(float(i),) if valued else None,
            params={k: params[k] for k in dists},
            distributions=dists,
        )
        for i in range(count)
    ]


def _rule(history, n_objectives=1) -> str:
    return choose(history, n_objectives, n_startup_trials=10, gp_max_trials=100)


def test_the_documented_rule() -> None:
    numeric = {"x": X, "n": N}
    assert _rule([]) == "random"
    assert _rule(_trials(3, numeric)) == "random"
    assert _rule(_trials(12, numeric)) == "gp"
    assert _rule(_trials(12, numeric), n_objectives=2) == "tpe"
    assert _rule(_trials(150, numeric)) == "cmaes"
    assert _rule(_trials(150, {"x": X})) == "tpe"  # 1-d: no CMA-ES
    assert _rule(_trials(12, {"x": X, "c": C})) == "tpe"  # half categorical
    assert _rule(_trials(12, {"x": X, "n": N, "c": C})) == "gp"  # mostly numeric
    assert _rule(_trials(3, {"x": X, "n": N, "c": C})) == "random"
    branchy = _trials(6, {"x": X, "c": C}) + _trials(6, {"n": N, "c": C})
    assert _rule(branchy) == "tpe"  # a tree-structured space
    assert _rule(branchy[4:8]) == "random"  # ...whose start is random
    # PRUNED trials count when they reported a value (the model learns from it) ...
    assert _rule(_trials(12, numeric, TrialState.PRUNED)) == "gp"
    # ... and not when they were pruned before reporting anything.
    assert _rule(_trials(12, numeric, TrialState.PRUNED, valued=False)) == "random"


def test_an_exploit_trial_lands_next_to_the_incumbent() -> None:
    def bowl(trial: tl.Trial) -> float:
        return (trial.suggest_float("x", -5, 5) - 1.3) ** 2 + (
            trial.suggest_float("y", -5, 5) + 0.4
        ) ** 2

    study = tl.create_study(sampler=AutoSampler(seed=1))
    study.optimize(bowl, n_trials=EXPLOIT_FROM + 2 * EXPLOIT_EVERY + 2)
    trials = study.trials
    exploits = [t for t in trials if t.system_attrs[ATTR] == "gp-exploit"]
    # The GP's own exploitation steps, from EXPLOIT_FROM observed trials on, one in
    # EXPLOIT_EVERY, recorded under Auto's name as well.
    assert [t.number for t in exploits] == [
        n for n in range(EXPLOIT_FROM, len(trials)) if n % EXPLOIT_EVERY == EXPLOIT_EVERY - 1
    ]
    assert all(t.system_attrs["gp:step"] == "exploit" for t in exploits)
    for t in exploits:
        before = [u for u in trials[: t.number] if u.value is not None]
        incumbent = min(before, key=lambda u: u.value)
        distance = abs(t.params["x"] - incumbent.params["x"]) + abs(
            t.params["y"] - incumbent.params["y"]
        )
        assert distance < 0.5  # a polishing step, not a jump across the 10 x 10 box
        assert t.value < 0.05


def test_each_trial_records_the_sampler_that_proposed_it() -> None:
    sampler = AutoSampler(seed=0, n_startup_trials=4, gp_max_trials=8)
    study = tl.create_study(sampler=sampler)
    study.optimize(
        lambda t: (
            (t.suggest_float("x", -2, 2) - 1) ** 2 + (t.suggest_float("y", -2, 2) + 0.5) ** 2
        ),
        n_trials=14,
    )
    chosen = [t.system_attrs[ATTR] for t in study.trials]
    assert chosen[:4] == ["random"] * 4
    assert chosen[4:8] == ["gp"] * 4
    assert set(chosen[8:]) == {"cmaes"}


def _sphere(trial: tl.Trial) -> float:
    return sum((trial.suggest_float(f"x{i}", -5.0, 5.0) - 0.5 * i) ** 2 for i in range(4))


def test_beats_random_search_on_a_smooth_problem() -> None:
    ours, theirs = [], []
    for seed in range(3):
        study = tl.create_study(sampler=AutoSampler(seed=seed))
        study.optimize(_sphere, n_trials=35)
        ours.append(study.best_value)
        baseline = tl.create_study(sampler=RandomSampler(seed=seed))
        baseline.optimize(_sphere, n_trials=35)
        theirs.append(baseline.best_value)
    assert np.median(ours) < np.median(theirs) / 2


def _branches(trial: tl.Trial) -> float:
    model = trial.suggest_categorical("model", ["linear", "tree", "knn"])
    if model == "linear":
        return abs(math.log10(trial.suggest_float("C", 1e-3, 1e3, log=True))) + 1.0
    if model == "tree":
        return abs(trial.suggest_int("depth", 1, 20) - 12) / 4 + trial.suggest_float("a", 0, 1)
    return abs(trial.suggest_int("k", 1, 50) - 7) / 10 + 0.5


def test_conditional_spaces_go_to_grouped_tpe_and_beat_random_search() -> None:
    ours, theirs = [], []
    for seed in range(10):
        study = tl.create_study(sampler=AutoSampler(seed=seed))
        study.optimize(_branches, n_trials=80)
        # grouped TPE; its wide-kernel form once several trials tie at the best value
        assert study.trials[-1].system_attrs[ATTR] in ("tpe", "tpe-wide")
        ours.append(study.best_value)
        baseline = tl.create_study(sampler=RandomSampler(seed=seed))
        baseline.optimize(_branches, n_trials=80)
        theirs.append(baseline.best_value)
    assert np.median(ours) < np.median(theirs) / 2


def test_works_with_running_and_waiting_trials_and_pickles() -> None:
    sampler = AutoSampler(seed=2, n_startup_trials=3)
    study = tl.create_study(sampler=sampler)
    hanging = study.ask()
    hanging.suggest_float("x", 0, 1)
    study.enqueue_trial({"x": 0.25})
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=8)
    assert study.trials[hanging.number].state is TrialState.RUNNING
    assert isinstance(pickle.loads(pickle.dumps(sampler)), AutoSampler)


def test_multi_objective_uses_tpe() -> None:
    study = tl.create_study(
        directions=["minimize", "maximize"], sampler=AutoSampler(seed=0, n_startup_trials=3)
    )
    study.optimize(lambda t: (t.suggest_float("x", 0, 1), t.suggest_float("y", 0, 1)), n_trials=6)
    assert study.trials[-1].system_attrs[ATTR] == "tpe"


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"n_startup_trials": 0}, "n_startup_trials"), ({"gp_max_trials": -1}, "gp_max_trials")],
)
def test_invalid_arguments(kwargs, match) -> None:
    with pytest.raises(ValueError, match=match):
        AutoSampler(**kwargs)


def _valued(values: list[float]) -> list[FrozenTrial]:
    trials = _trials(len(values), {"x": X, "n": N})
    return [
        FrozenTrial(
            trial_id=t.trial_id,
            number=t.number,
            state=t.state,
            values=(v,),
            params=t.params,
            distributions=t.distributions,
        )
        for t, v in zip(trials, values, strict=True)
    ]


def test_a_plateau_at_the_best_value_hands_over_from_the_gp_to_tpe() -> None:
    distinct = _valued([0.1 * i for i in range(12)])
    assert _rule(distinct) == "gp"
    tied_best = _valued([0.5, 0.7, 0.2, 0.2, 0.9, 0.2, 0.4, 0.6, 0.8, 0.3, 0.35, 0.45])
    assert _rule(tied_best) == "tpe-wide"  # minimising: three trials share 0.2
    tied_worst = _valued([0.9, 0.9, 0.9, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.75, 0.8])
    assert _rule(tied_worst) == "gp"  # ties away from the best do not matter...
    maximize = choose(tied_worst, 1, n_startup_trials=10, gp_max_trials=100, maximize=True)
    assert maximize == "tpe-wide"
    two_tied = _valued([0.2, 0.2, *[0.3 + 0.01 * i for i in range(10)]])
    assert _rule(two_tied) == "gp"  # ...and two equal values are not yet a plateau
    assert _rule(_valued([0.2] * 3 + [0.5] * 200)) == "cmaes"  # past gp_max_trials


def test_a_quantised_objective_gets_tpe_proposals_in_a_study() -> None:
    study = tl.create_study(sampler=AutoSampler(seed=0, n_startup_trials=5))
    study.optimize(lambda t: round(abs(t.suggest_float("x", -3, 3) - 1.0), 0), n_trials=25)
    chosen = [t.system_attrs[ATTR] for t in study.trials]
    assert "tpe-wide" in chosen[5:]  # several x within 0.5 of 1 all score 0
    assert study.best_value == 0.0


def test_a_plateau_widens_the_kernels_of_tpe_in_tree_spaces_too() -> None:
    branchy = _valued([0.5, 0.7, 0.2, 0.25, 0.9, 0.3, 0.4, 0.6, 0.8, 0.3, 0.35, 0.45])
    branchy[0] = FrozenTrial(
        trial_id=branchy[0].trial_id,
        number=0,
        state=TrialState.COMPLETE,
        values=(0.5,),
        params={"x": 0.5},
        distributions={"x": X},
    )
    assert _rule(branchy) == "tpe"
    tied = list(branchy)
    for i in (4, 6):
        tied[i] = FrozenTrial(
            trial_id=tied[i].trial_id,
            number=i,
            state=TrialState.COMPLETE,
            values=(0.2,),
            params=tied[i].params,
            distributions=tied[i].distributions,
        )
    assert _rule(tied) == "tpe-wide"


def test_the_wide_tpe_uses_scotts_rule_and_the_plain_one_neighbour_gaps() -> None:
    sampler = AutoSampler(seed=0)
    history = _valued([0.1 * i for i in range(12)])
    wide = sampler._make("tpe-wide", history)
    plain = sampler._make("tpe", history)
    assert wide._options.bandwidth == "scott"  # type: ignore[attr-defined]
    assert plain._options.bandwidth == "neighbour"  # type: ignore[attr-defined]

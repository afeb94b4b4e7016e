from __future__ import annotations

import pickle
from collections import Counter, defaultdict
from datetime import timedelta
from typing import Any, cast

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tunelab as tl
from tests.samplers._strategies import assert_inside, stepped_float_distributions, suggest_all
from tunelab.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from tunelab.samplers import BaseSampler, RandomSampler
from tunelab.samplers._cmaes import ATTR, CmaEsSampler
from tunelab.testing.strategies import float_distributions, int_distributions, search_spaces

SQUARE = {"x": FloatDistribution(-1.0, 1.0), "y": FloatDistribution(-1.0, 1.0)}


class LowestSampler(BaseSampler):
    """Always the lowest value (the first choice): easy to tell apart from CMA-ES."""

    def sample_independent(self, study, trial, name, distribution):
        if isinstance(distribution, CategoricalDistribution):
            return distribution.choices[0]
        return distribution.low


def _quadratic(trial: tl.Trial) -> float:
    x = trial.suggest_float("x", -5.0, 5.0)
    y = trial.suggest_float("y", -5.0, 5.0)
    return (x - 1.5) ** 2 + 10.0 * (y + 0.5) ** 2


def _rosenbrock(trial: tl.Trial) -> float:
    x = trial.suggest_float("x", -2.0, 2.0)
    y = trial.suggest_float("y", -2.0, 2.0)
    return (1.0 - x) ** 2 + 100.0 * (y - x * x) ** 2


def _mixed(trial: tl.Trial) -> float:
    x = trial.suggest_float("x", -3.0, 3.0)
    lr = trial.suggest_float("lr", 1e-5, 1e-1, log=True)
    n = trial.suggest_int("n", 1, 64, log=True)
    w = trial.suggest_int("w", 16, 256, step=16)
    m = trial.suggest_float("m", 0.0, 0.9, step=0.1)
    kind = trial.suggest_categorical("kind", ["a", "b"])
    return x**2 + lr + n + w / 100 + m + (kind == "b")


def _tags(study: tl.Study) -> list[tuple[tl.FrozenTrial, dict[str, Any]]]:
    return [
        (t, cast(dict[str, Any], t.system_attrs[ATTR]))
        for t in study.trials
        if ATTR in t.system_attrs
    ]


def _ask_tell(study: tl.Study, objective: Any, n: int, space: Any = SQUARE) -> None:
    for _ in range(n):
        trial = study.ask(space)
        study.tell(trial, objective(trial.params))


def _sphere(params: dict[str, Any]) -> float:
    return float(sum(v**2 for v in params.values()))


# -- validity ------------------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(
    space=st.dictionaries(
        st.sampled_from("abcdef"),
        st.one_of(float_distributions(), int_distributions(), stepped_float_distributions()),
        min_size=2,
        max_size=4,
    ),
    seed=st.integers(0, 2**31 - 1),
    separable=st.booleans(),
)
def test_numeric_suggestions_lie_inside_their_distributions(
    space: dict[str, BaseDistribution], seed: int, separable: bool
) -> None:
    sampler = CmaEsSampler(seed=seed, popsize=4, use_separable_cma=separable)
    study = tl.create_study(sampler=sampler)
    study.optimize(suggest_all(space), n_trials=10)
    for trial in study.trials:
        assert trial.state is tl.TrialState.COMPLETE, trial.system_attrs.get("fail_reason")
        for name, dist in space.items():
            assert_inside(trial.params[name], dist)
    if sum(not d.is_single() for d in space.values()) >= 2:
        assert len(_tags(study)) == 9  # every trial after the startup one


@settings(max_examples=25, deadline=None)
@given(space=search_spaces(max_size=4, min_size=1), seed=st.integers(0, 2**31 - 1))
def test_any_space_gives_valid_suggestions(space: dict[str, BaseDistribution], seed: int) -> None:
    study = tl.create_study(sampler=CmaEsSampler(seed=seed, popsize=4))
    study.optimize(suggest_all(space), n_trials=6, catch=ValueError)
    for trial in study.trials:
        assert trial.state is tl.TrialState.COMPLETE, trial.system_attrs.get("fail_reason")
        for name, dist in space.items():
            assert_inside(trial.params[name], dist)


# -- determinism ---------------------------------------------------------------------


def test_same_seed_gives_the_same_sequence() -> None:
    def run(seed: int) -> list[dict[str, object]]:
        study = tl.create_study(sampler=CmaEsSampler(seed=seed))
        study.optimize(_mixed, n_trials=30)
        return [dict(t.params) for t in study.trials]

    assert run(1) == run(1)
    assert run(1) != run(2)


def test_a_fresh_sampler_rebuilds_the_same_state_from_history() -> None:
    cached = CmaEsSampler(seed=3)
    study = tl.create_study(sampler=cached)
    study.optimize(_quadratic, n_trials=40)  # several generations told, in memory
    trial = study.ask({"x": FloatDistribution(-5.0, 5.0), "y": FloatDistribution(-5.0, 5.0)})
    rebuilt = pickle.loads(pickle.dumps(CmaEsSampler(seed=3)))
    frozen = study.trials[-1]
    again = rebuilt.sample_relative(study.view(), frozen, frozen.distributions)
    assert again == trial.params
    assert _tags(study)[-1][1]["generation"] >= 5


def test_pickled_sampler_continues_like_the_original() -> None:
    sampler = CmaEsSampler(seed=4, restart_strategy="ipop")
    first = tl.create_study(sampler=sampler)
    first.optimize(_quadratic, n_trials=20)
    copy = pickle.loads(pickle.dumps(sampler))
    second = tl.create_study(sampler=copy)
    for trial in first.trials:
        second.add_trial(trial)
    first.optimize(_quadratic, n_trials=20)
    second.optimize(_quadratic, n_trials=20)
    assert [t.params for t in first.trials[20:]] == [t.params for t in second.trials[20:]]
    warm = pickle.loads(pickle.dumps(CmaEsSampler(seed=4, source_trials=first.trials)))
    third = tl.create_study(sampler=warm)
    third.optimize(_quadratic, n_trials=10)
    assert len(_tags(third)) == 9


# -- optimisation quality --------------------------------------------------------------


@pytest.mark.parametrize(
    ("objective", "budget", "tolerance"), [(_quadratic, 150, 1e-3), (_rosenbrock, 300, 2e-2)]
)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_finds_the_minimum_where_random_search_does_not(
    objective: Any, budget: int, tolerance: float, seed: int
) -> None:
    cma = tl.create_study(sampler=CmaEsSampler(seed=seed))
    cma.optimize(objective, n_trials=budget)
    rand = tl.create_study(sampler=RandomSampler(seed=seed))
    rand.optimize(objective, n_trials=budget)
    assert cma.best_value < tolerance < rand.best_value


def test_maximisation_climbs_to_the_maximum() -> None:
    study = tl.create_study(direction="maximize", sampler=CmaEsSampler(seed=0))
    study.optimize(lambda t: -_quadratic(t), n_trials=150)
    assert study.best_value > -1e-3
    assert study.best_params["x"] == pytest.approx(1.5, abs=0.05)


def test_integer_and_stepped_dimensions_reach_the_exact_optimum() -> None:
    def objective(trial: tl.Trial) -> float:
        a = trial.suggest_int("a", -50, 50)
        b = trial.suggest_int("b", 0, 200, step=5)
        c = trial.suggest_float("c", 0.0, 1.0, step=0.05)
        return (a - 7) ** 2 + (b - 135) ** 2 / 25 + 100 * (c - 0.35) ** 2

    study = tl.create_study(sampler=CmaEsSampler(seed=0))
    study.optimize(objective, n_trials=200)
    assert study.best_params == {"a": 7, "b": 135, "c": pytest.approx(0.35)}


def test_separable_mode_optimises_an_ellipsoid_in_eight_dimensions() -> None:
    def objective(trial: tl.Trial) -> float:
        xs = [trial.suggest_float(f"x{i}", -1.0, 1.0) for i in range(8)]
        return sum(10 ** (i / 4) * (x - 0.2) ** 2 for i, x in enumerate(xs))

    sep = tl.create_study(sampler=CmaEsSampler(seed=0, use_separable_cma=True))
    sep.optimize(objective, n_trials=500)
    rand = tl.create_study(sampler=RandomSampler(seed=0))
    rand.optimize(objective, n_trials=500)
    assert sep.best_value < 1e-2 < rand.best_value
    assert {tag["popsize"] for _, tag in _tags(sep)} == {10}  # 4 + floor(3 ln 8)


# -- what goes to the independent sampler ------------------------------------------------


def test_categorical_parameters_go_to_the_independent_sampler() -> None:
    sampler = CmaEsSampler(seed=0, independent_sampler=LowestSampler())
    study = tl.create_study(sampler=sampler)
    study.optimize(_mixed, n_trials=20)
    assert {t.params["kind"] for t in study.trials} == {"a"}
    assert len({t.params["x"] for t in study.trials[1:]}) == 19  # drawn by CMA-ES
    assert all(ATTR in t.system_attrs for t in study.trials[1:])


def test_one_dimensional_space_falls_back_to_the_independent_sampler() -> None:
    study = tl.create_study(sampler=CmaEsSampler(seed=0, independent_sampler=LowestSampler()))
    study.optimize(lambda t: t.suggest_float("x", 2.0, 3.0), n_trials=5)
    assert [t.params["x"] for t in study.trials] == [2.0] * 5
    assert not _tags(study)


def test_startup_trials_and_conditional_parameters_are_independent() -> None:
    sampler = CmaEsSampler(seed=0, n_startup_trials=5, independent_sampler=LowestSampler())
    study = tl.create_study(sampler=sampler)

    def objective(trial: tl.Trial) -> float:
        x = trial.suggest_float("x", 0.0, 1.0) + trial.suggest_float("y", 0.0, 1.0)
        if trial.number % 2:
            x += trial.suggest_float("extra", 5.0, 6.0)
        return x

    study.optimize(objective, n_trials=15)
    assert all(ATTR not in t.system_attrs for t in study.trials[:5])
    assert all(ATTR in t.system_attrs for t in study.trials[5:])
    assert all(t.params["extra"] == 5.0 for t in study.trials if "extra" in t.params)


# -- history that is not a clean sequence of COMPLETE trials ----------------------------------


def test_waiting_running_and_enqueued_trials_do_not_disturb_it() -> None:
    study = tl.create_study(sampler=CmaEsSampler(seed=0, popsize=4))
    study.optimize(_quadratic, n_trials=5)
    left_running = study.ask()
    left_running.suggest_float("x", -5.0, 5.0)
    study.enqueue_trial({"x": 4.0, "y": 4.0})
    study.enqueue_trial({"x": -4.0, "y": 3.0})  # WAITING until claimed
    study.optimize(_quadratic, n_trials=40)
    study.enqueue_trial({"x": 0.0, "y": 0.0})  # left WAITING
    assert study.trials[6].params == {"x": 4.0, "y": 4.0}  # the fixed values won
    assert study.trials[left_running.number].state is tl.TrialState.RUNNING
    assert max(tag["generation"] for _, tag in _tags(study)) >= 6
    assert study.best_value < 0.5
    study.optimize(_quadratic, n_trials=5)  # the last enqueued one is claimed first
    assert study.trials[-5].params == {"x": 0.0, "y": 0.0}


def test_failed_pruned_and_infinite_trials_are_ignored() -> None:
    study = tl.create_study(sampler=CmaEsSampler(seed=0, popsize=4))

    def objective(trial: tl.Trial) -> float:
        value = _quadratic(trial)
        if trial.number % 5 == 1:
            raise tl.TrialPruned()
        if trial.number % 5 == 2:
            raise RuntimeError("boom")
        return float("inf") if trial.number % 5 == 3 else value

    study.optimize(objective, n_trials=60, catch=RuntimeError)
    complete = [t for t in study.trials if t.state is tl.TrialState.COMPLETE]
    assert len(complete) == 24  # pruned, failed and infinite (marked FAIL) ones excluded
    per_generation = Counter(tag["generation"] for t, tag in _tags(study) if t in complete)
    assert all(n == 4 for g, n in per_generation.items() if g < max(per_generation))


def test_all_failed_trials_keep_sampling_the_first_generation() -> None:
    study = tl.create_study(sampler=CmaEsSampler(seed=0, n_startup_trials=0))
    for _ in range(20):
        trial = study.ask(SQUARE)
        study.tell(trial, state=tl.TrialState.FAIL)
    tags = [tag for _, tag in _tags(study)]
    assert len(tags) == 20
    assert {tag["generation"] for tag in tags} == {0}
    assert len({tuple(tag["u"]) for tag in tags}) == 20


def test_constant_values_converge_and_restart() -> None:
    study = tl.create_study(sampler=CmaEsSampler(seed=0, restart_strategy="ipop"))
    _ask_tell(study, lambda params: 1.0, 150)
    restarts = {tag["restart"] for _, tag in _tags(study)}
    assert restarts == {0, 1}  # the flat history stopped the first run
    for trial in study.trials:
        assert_inside(trial.params["x"], SQUARE["x"])


# -- restarts, warm start, initial point -----------------------------------------------


def _popsizes(study: tl.Study) -> dict[int, int]:
    return {tag["restart"]: tag["popsize"] for _, tag in _tags(study)}


def test_ipop_doubles_the_population_after_convergence() -> None:
    study = tl.create_study(sampler=CmaEsSampler(seed=0, restart_strategy="ipop"))
    _ask_tell(study, _sphere, 520)
    first_run = [t for t, tag in _tags(study) if tag["restart"] == 0]
    assert min(t.values[0] for t in first_run if t.values) < 1e-10  # converged before restarting
    assert _popsizes(study) == {0: 6, 1: 12}
    generation0 = [
        tag for _, tag in _tags(study) if tag["restart"] == 1 and tag["generation"] == 0
    ]
    assert len(generation0) == 12


def test_bipop_alternates_large_and_small_populations() -> None:
    sampler = CmaEsSampler(seed=0, restart_strategy="bipop", sigma0=0.3)
    study = tl.create_study(sampler=sampler)
    _ask_tell(study, _sphere, 1300)
    popsizes = _popsizes(study)
    assert popsizes[0] == 6
    assert popsizes[1] == 12  # the first restart doubles
    assert popsizes[2] == 6  # then the small regime, which has used less budget


def test_warm_start_begins_near_the_source_optimum() -> None:
    def shifted(trial: tl.Trial) -> float:
        x, y = trial.suggest_float("x", 0.0, 1.0), trial.suggest_float("y", 0.0, 1.0)
        return (x - 0.8) ** 2 + (y - 0.15) ** 2

    source = tl.create_study(sampler=RandomSampler(seed=0))
    source.optimize(shifted, n_trials=100)
    sampler = CmaEsSampler(seed=0, n_startup_trials=0, source_trials=source.trials)
    study = tl.create_study(sampler=sampler)
    space = {"x": FloatDistribution(0.0, 1.0), "y": FloatDistribution(0.0, 1.0)}
    _ask_tell(study, lambda p: (p["x"] - 0.8) ** 2 + (p["y"] - 0.15) ** 2, 10, space)
    points = np.array([[t.params["x"], t.params["y"]] for t in study.trials])
    # Over source seeds 0-7 this distance was 0.02-0.11; a cold start's is about 0.45.
    assert np.linalg.norm(points.mean(axis=0) - [0.8, 0.15]) < 0.15
    cold = tl.create_study(sampler=CmaEsSampler(seed=0, n_startup_trials=0))
    _ask_tell(cold, lambda p: 0.0, 10, space)
    cold_points = np.array([[t.params["x"], t.params["y"]] for t in cold.trials])
    assert np.linalg.norm(cold_points.mean(axis=0) - [0.8, 0.15]) > 0.2


def test_x0_and_sigma0_set_where_sampling_starts() -> None:
    sampler = CmaEsSampler(seed=0, x0={"x": -0.5, "y": 0.75}, sigma0=0.01, n_startup_trials=0)
    study = tl.create_study(sampler=sampler)
    _ask_tell(study, _sphere, 6)
    for trial in study.trials:
        assert trial.params["x"] == pytest.approx(-0.5, abs=0.1)
        assert trial.params["y"] == pytest.approx(0.75, abs=0.1)


# -- parallel workers --------------------------------------------------------------------


def _distinct_within_generations(study: tl.Study) -> None:
    by_generation: dict[tuple[int, int], list[tuple[Any, ...]]] = defaultdict(list)
    for trial, tag in _tags(study):
        by_generation[tag["restart"], tag["generation"]].append(tuple(trial.params.values()))
    assert len(by_generation) >= 3
    for points in by_generation.values():
        assert len(set(points)) == len(points)


def test_thread_workers_share_one_optimiser() -> None:
    study = tl.create_study(sampler=CmaEsSampler(seed=0))
    study.optimize(_quadratic, n_trials=100, n_jobs=2, executor="thread")
    assert all(t.state is tl.TrialState.COMPLETE for t in study.trials)
    _distinct_within_generations(study)
    assert study.best_value < 0.1


def test_process_workers_draw_distinct_points_within_a_generation() -> None:
    study = tl.create_study(sampler=CmaEsSampler(seed=0, popsize=4))
    study.optimize(_quadratic, n_trials=24, n_jobs=2)
    assert all(t.state is tl.TrialState.COMPLETE for t in study.trials)
    _distinct_within_generations(study)


# -- errors ----------------------------------------------------------------------------


def test_multi_objective_studies_are_rejected() -> None:
    study = tl.create_study(directions=["minimize", "minimize"], sampler=CmaEsSampler(seed=0))
    with pytest.raises(ValueError, match="single objective"):
        study.optimize(lambda t: (t.suggest_float("x", 0, 1), 0.0), n_trials=1)


def test_x0_outside_its_distribution_is_rejected_when_sampling() -> None:
    sampler = CmaEsSampler(x0={"x": 5.0}, n_startup_trials=0)
    study = tl.create_study(sampler=sampler)
    with pytest.raises(ValueError, match=r"x0\['x'\]=5.0 lies outside"):
        study.ask(SQUARE)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"seed": -1}, "seed"),
        ({"sigma0": 0.0}, "sigma0"),
        ({"sigma0": float("nan")}, "sigma0"),
        ({"n_startup_trials": -1}, "n_startup_trials"),
        ({"restart_strategy": "lpop"}, "restart_strategy"),
        ({"popsize": 3}, "popsize"),
        ({"x0": [0.5]}, "x0"),
        ({"source_trials": []}, "no COMPLETE trial"),
    ],
)
def test_invalid_options_are_rejected(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        CmaEsSampler(**kwargs)


def test_source_trials_exclude_x0_and_sigma0() -> None:
    source = tl.create_study()
    source.optimize(_quadratic, n_trials=3)
    with pytest.raises(ValueError, match="leave x0 and sigma0"):
        CmaEsSampler(source_trials=source.trials, sigma0=0.2)


def test_int_distributions_use_the_margin_variant() -> None:
    space = {"a": IntDistribution(0, 3), "b": IntDistribution(0, 3)}
    study = tl.create_study(sampler=CmaEsSampler(seed=0, n_startup_trials=0, popsize=4))
    _ask_tell(study, lambda p: float((p["a"] - 3) ** 2 + (p["b"] - 3) ** 2), 80, space)
    # Without a margin the search would freeze on a plateau; with it, late points still move.
    late = {(t.params["a"], t.params["b"]) for t in study.trials[-40:]}
    assert (3, 3) in late
    assert len(late) > 1
    # CMAwM tells the raw vector and evaluates its snapped version: they differ.
    assert any(tag["x"] != tag["u"] for _, tag in _tags(study))


def test_continuous_dimensions_tell_the_evaluated_point() -> None:
    study = tl.create_study(sampler=CmaEsSampler(seed=0))
    study.optimize(_quadratic, n_trials=20)
    assert all(tag["x"] == tag["u"] for _, tag in _tags(study))


def test_a_changed_generation_membership_triggers_a_rebuild() -> None:
    cached = CmaEsSampler(seed=5, popsize=4)
    study = tl.create_study(sampler=cached)
    study.optimize(_quadratic, n_trials=21)  # generations 0-4 told
    first = study.trials[1]
    assert first.datetime_complete is not None
    earlier = first.datetime_complete - timedelta(hours=1)
    study.add_trial(
        tl.FrozenTrial(
            trial_id=-1, number=-1, state=tl.TrialState.COMPLETE, values=(-100.0,),
            params=first.params, distributions=first.distributions,
            system_attrs=first.system_attrs, datetime_start=earlier, datetime_complete=earlier,
        )
    )  # fmt: skip
    trial = study.ask()
    fresh = CmaEsSampler(seed=5, popsize=4)
    frozen = study.trials[-1]
    assert fresh.sample_relative(study.view(), frozen, dict(first.distributions)) == {
        name: trial.suggest_float(name, -5.0, 5.0) for name in ("x", "y")
    }

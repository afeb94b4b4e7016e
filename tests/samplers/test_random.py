from __future__ import annotations

import math
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tunelab as tl
from tests.samplers._strategies import (
    assert_inside,
    stepped_float_distributions,
    suggest_all,
)
from tunelab.distributions import BaseDistribution, FloatDistribution, IntDistribution
from tunelab.samplers import RandomSampler
from tunelab.testing.strategies import search_spaces


def _mixed_objective(trial: tl.Trial) -> float:
    x = trial.suggest_float("x", -5.0, 5.0)
    lr = trial.suggest_float("lr", 1e-5, 1e-1, log=True)
    n = trial.suggest_int("n", 1, 64, log=True)
    w = trial.suggest_int("w", 16, 256, step=16)
    kind = trial.suggest_categorical("kind", ["a", "b", None, 3])
    if kind == "a":
        trial.suggest_float("momentum", 0.0, 0.9, step=0.1)
    return x + lr + n + w


def _configs(seed: int | None, n_trials: int = 20) -> list[dict[str, object]]:
    study = tl.create_study(sampler=RandomSampler(seed=seed))
    study.optimize(_mixed_objective, n_trials=n_trials)
    return [dict(t.params) for t in study.trials]


@settings(max_examples=60, deadline=None)
@given(space=search_spaces(max_size=3, min_size=1), seed=st.integers(0, 2**32 - 1))
def test_every_suggestion_lies_inside_its_distribution(
    space: dict[str, BaseDistribution], seed: int
) -> None:
    study = tl.create_study(sampler=RandomSampler(seed=seed))
    study.optimize(suggest_all(space), n_trials=8)
    for trial in study.trials:
        assert trial.state is tl.TrialState.COMPLETE
        assert set(trial.params) == set(space)
        for name, dist in space.items():
            assert_inside(trial.params[name], dist)


@settings(max_examples=60, deadline=None)
@given(space=search_spaces(max_size=3, min_size=1), seed=st.integers(0, 2**32 - 1))
def test_sample_independent_stays_inside_the_distribution(
    space: dict[str, BaseDistribution], seed: int
) -> None:
    sampler = RandomSampler(seed=seed)
    study = tl.create_study(sampler=sampler)
    frozen = study.ask().snapshot()
    for _ in range(5):
        for name, dist in space.items():
            assert_inside(sampler.sample_independent(study.view(), frozen, name, dist), dist)


def test_same_seed_gives_the_same_sequence_of_configurations() -> None:
    assert _configs(seed=7) == _configs(seed=7)


def test_different_seeds_give_different_configurations() -> None:
    assert _configs(seed=1) != _configs(seed=2)


def test_unseeded_samplers_differ() -> None:
    assert _configs(seed=None) != _configs(seed=None)


def test_reseed_rng_restarts_the_sequence() -> None:
    sampler = RandomSampler(seed=3)
    first = tl.create_study(sampler=sampler)
    first.optimize(_mixed_objective, n_trials=10)
    sampler.reseed_rng(3)
    second = tl.create_study(sampler=sampler)
    second.optimize(_mixed_objective, n_trials=10)
    assert [t.params for t in first.trials] == [t.params for t in second.trials]


def test_every_value_of_a_small_discrete_space_is_reached() -> None:
    study = tl.create_study(sampler=RandomSampler(seed=0))

    def objective(trial: tl.Trial) -> float:
        trial.suggest_categorical("c", ["a", "b", "c"])
        trial.suggest_int("i", 0, 3)
        trial.suggest_float("f", 0.0, 1.0, step=0.25)
        return 0.0

    study.optimize(objective, n_trials=200)
    seen = {name: {t.params[name] for t in study.trials} for name in ("c", "i", "f")}
    assert seen == {
        "c": {"a", "b", "c"},
        "i": {0, 1, 2, 3},
        "f": {0.0, 0.25, 0.5, 0.75, 1.0},
    }


def test_log_scale_is_uniform_in_log_space() -> None:
    study = tl.create_study(sampler=RandomSampler(seed=0))
    study.optimize(lambda t: t.suggest_float("lr", 1e-6, 1.0, log=True), n_trials=400)
    logs = [math.log10(t.params["lr"]) for t in study.trials]
    below_middle = sum(v < -3.0 for v in logs) / len(logs)
    # A linear draw would put ~0.1% of the points below 1e-3; a log-uniform one half.
    assert 0.4 < below_middle < 0.6
    decades = {math.floor(v) for v in logs}
    assert decades >= {-6, -5, -4, -3, -2, -1}


def test_log_int_reaches_both_ends() -> None:
    dist = IntDistribution(1, 4, log=True)
    sampler = RandomSampler(seed=0)
    study = tl.create_study(sampler=sampler)
    values = {study.ask({"n": dist}).params["n"] for _ in range(200)}
    assert values == {1, 2, 3, 4}


def test_single_value_distribution_returns_that_value() -> None:
    study = tl.create_study(sampler=RandomSampler(seed=0))
    study.optimize(lambda t: t.suggest_float("x", 2.5, 2.5), n_trials=3)
    assert [t.params["x"] for t in study.trials] == [2.5, 2.5, 2.5]


def test_continuous_float_draws_are_distinct() -> None:
    study = tl.create_study(sampler=RandomSampler(seed=0))
    dist = FloatDistribution(0.0, 1.0)
    values = [study.ask({"x": dist}).params["x"] for _ in range(50)]
    assert len(set(values)) == 50


def test_a_resumed_seeded_study_continues_instead_of_repeating(tmp_path: Path) -> None:
    """A fresh sampler (a new process, ``tunelab ask``) draws for the next trial number."""
    space = {"x": FloatDistribution(0.0, 1.0)}
    uninterrupted = tl.create_study(sampler=RandomSampler(seed=0))
    drawn = [uninterrupted.ask(space).params["x"] for _ in range(6)]
    storage = f"sqlite:///{tmp_path / 'study.db'}"
    first = tl.create_study(storage=storage, study_name="s", sampler=RandomSampler(seed=0))
    assert [first.ask(space).params["x"] for _ in range(3)] == drawn[:3]
    resumed = tl.load_study(storage=storage, study_name="s", sampler=RandomSampler(seed=0))
    assert [resumed.ask(space).params["x"] for _ in range(3)] == drawn[3:]
    assert len(set(drawn)) == 6


@settings(max_examples=100, deadline=None)
@given(dist=stepped_float_distributions(), seed=st.integers(0, 2**32 - 1))
def test_stepped_float_draws_are_points_of_the_lattice(dist: FloatDistribution, seed: int) -> None:
    sampler = RandomSampler(seed=seed)
    study = tl.create_study(sampler=sampler)
    frozen = study.ask().snapshot()
    for _ in range(10):
        assert_inside(sampler.sample_independent(study.view(), frozen, "x", dist), dist)


@pytest.mark.parametrize(
    ("low", "high", "step"),
    [(131072.0, 131072.002, 0.001), (-2.5e5, -2.5e5 + 0.01, 0.001), (0.1, 0.3, 0.1)],
)
def test_stepped_float_trials_complete_wherever_the_range_lies(
    low: float, high: float, step: float
) -> None:
    study = tl.create_study(sampler=RandomSampler(seed=0))
    study.optimize(lambda t: t.suggest_float("x", low, high, step=step), n_trials=200)
    assert all(t.state is tl.TrialState.COMPLETE for t in study.trials), [
        t.system_attrs.get("fail_reason") for t in study.trials
    ]
    n_values = round((high - low) / step) + 1
    assert len({t.params["x"] for t in study.trials}) == n_values

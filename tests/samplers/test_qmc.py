from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tunelab as tl
from tests.samplers._strategies import assert_inside, suggest_all
from tunelab.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from tunelab.samplers import BaseSampler, QMCSampler, RandomSampler
from tunelab.testing.strategies import search_spaces

UNIT = FloatDistribution(0.0, 1.0)


class LowestSampler(BaseSampler):
    """Always the lowest value (the first choice): easy to tell apart from QMC points."""

    def sample_independent(self, study, trial, name, distribution):  # type: ignore[no-untyped-def]
        if isinstance(distribution, CategoricalDistribution):
            return distribution.choices[0]
        return distribution.low


def _bins(values: list[float], n: int) -> list[int]:
    return sorted(min(int(v * n), n - 1) for v in values)


@pytest.mark.parametrize("qmc_type", ["sobol", "halton"])
def test_declared_space_spreads_points_one_per_sixteenth(qmc_type: str) -> None:
    sampler = QMCSampler(seed=5, qmc_type=qmc_type, search_space={"x": UNIT})
    study = tl.create_study(sampler=sampler)
    study.optimize(lambda t: t.suggest_float("x", 0.0, 1.0), n_trials=16)
    assert _bins([t.params["x"] for t in study.trials], 16) == list(range(16))


def test_two_dimensional_sobol_points_are_stratified_in_each_dimension() -> None:
    space = {"x": UNIT, "y": FloatDistribution(-4.0, 4.0)}
    study = tl.create_study(sampler=QMCSampler(seed=1, search_space=space))

    def objective(trial: tl.Trial) -> float:
        return trial.suggest_float("x", 0.0, 1.0) + trial.suggest_float("y", -4.0, 4.0)

    study.optimize(objective, n_trials=16)
    xs = [t.params["x"] for t in study.trials]
    ys = [(t.params["y"] + 4.0) / 8.0 for t in study.trials]
    assert _bins(xs, 16) == list(range(16))
    assert _bins(ys, 16) == list(range(16))
    # Jointly: every quarter-by-quarter cell holds exactly one of the 16 points.
    cells = sorted((int(x * 4), int(y * 4)) for x, y in zip(xs, ys, strict=True))
    assert cells == [(i, j) for i in range(4) for j in range(4)]


def test_ask_with_a_search_space_draws_qmc_points() -> None:
    study = tl.create_study(sampler=QMCSampler(seed=2))
    xs = []
    for _ in range(8):
        trial = study.ask({"x": UNIT})
        xs.append(trial.params["x"])
        study.tell(trial, 0.0)
    assert _bins(xs, 8) == list(range(8))


def test_threads_share_one_sequence() -> None:
    study = tl.create_study(sampler=QMCSampler(seed=3, search_space={"x": UNIT}))
    study.optimize(lambda t: t.suggest_float("x", 0.0, 1.0), n_trials=16, n_jobs=2)
    assert _bins([t.params["x"] for t in study.trials], 16) == list(range(16))


def test_unscrambled_sobol_starts_at_the_corner() -> None:
    space = {"x": FloatDistribution(-3.0, 5.0), "n": IntDistribution(2, 9)}
    study = tl.create_study(sampler=QMCSampler(scramble=False, search_space=space))
    study.optimize(lambda t: t.suggest_float("x", -3.0, 5.0) + t.suggest_int("n", 2, 9), 1)
    assert study.trials[0].params == {"x": -3.0, "n": 2}


def test_inferred_space_first_trial_is_independent_then_follows_the_first_complete() -> None:
    sampler = QMCSampler(seed=4, independent_sampler=LowestSampler())
    study = tl.create_study(sampler=sampler)
    study.optimize(lambda t: t.suggest_float("x", 0.0, 1.0), n_trials=16)
    xs = [t.params["x"] for t in study.trials]
    assert xs[0] == 0.0  # drawn by the independent sampler
    later = xs[1:]
    assert 0.0 not in later
    # Trial n gets point n of the sequence: points 1..15 lie in distinct sixteenths.
    assert len(set(_bins(later, 16))) == 15


def test_default_independent_sampler_is_a_random_sampler_with_the_same_seed() -> None:
    qmc_study = tl.create_study(sampler=QMCSampler(seed=9))
    qmc_study.optimize(lambda t: t.suggest_float("x", 0.0, 1.0), n_trials=1)
    random_study = tl.create_study(sampler=RandomSampler(seed=9))
    random_study.optimize(lambda t: t.suggest_float("x", 0.0, 1.0), n_trials=1)
    assert qmc_study.trials[0].params == random_study.trials[0].params


def test_inferred_space_is_that_of_the_first_complete_trial() -> None:
    sampler = QMCSampler(seed=4, independent_sampler=LowestSampler())
    study = tl.create_study(sampler=sampler)
    study.optimize(lambda t: t.suggest_float("x", 0.0, 1.0), n_trials=1)
    study.tell(study.ask(), state=tl.TrialState.FAIL)  # failed trials do not define it

    def objective(trial: tl.Trial) -> float:
        x = trial.suggest_float("x", 0.0, 1.0)
        y = trial.suggest_float("y", 0.0, 1.0)  # not in the first COMPLETE trial
        return x + y

    study.optimize(objective, n_trials=8)
    for trial in study.trials[2:]:
        assert trial.params["x"] > 0.0
        assert trial.params["y"] == 0.0  # fell back to the independent sampler


def test_conditional_parameters_fall_back_to_the_independent_sampler() -> None:
    space = {"x": UNIT, "kind": CategoricalDistribution(["a", "b"])}
    sampler = QMCSampler(seed=6, search_space=space, independent_sampler=LowestSampler())
    study = tl.create_study(sampler=sampler)

    def objective(trial: tl.Trial) -> float:
        x = trial.suggest_float("x", 0.0, 1.0)
        if trial.suggest_categorical("kind", ["a", "b"]) == "a":
            return x + trial.suggest_int("depth", 3, 9)
        return x + trial.suggest_float("alpha", 0.5, 2.0)

    study.optimize(objective, n_trials=16)
    kinds = {t.params["kind"] for t in study.trials}
    assert kinds == {"a", "b"}  # the categorical is covered by the sequence
    for trial in study.trials:
        if trial.params["kind"] == "a":
            assert trial.params["depth"] == 3
        else:
            assert trial.params["alpha"] == 0.5
    assert len({t.params["x"] for t in study.trials}) == 16


def test_parameter_with_another_distribution_than_declared_falls_back() -> None:
    sampler = QMCSampler(seed=0, search_space={"x": UNIT}, independent_sampler=LowestSampler())
    study = tl.create_study(sampler=sampler)
    study.optimize(lambda t: t.suggest_float("x", 2.0, 3.0), n_trials=3)
    assert [t.params["x"] for t in study.trials] == [2.0, 2.0, 2.0]


@pytest.mark.parametrize("qmc_type", ["sobol", "halton"])
def test_same_seed_gives_the_same_sequence(qmc_type: str) -> None:
    def run(seed: int) -> list[dict[str, object]]:
        space = {
            "x": FloatDistribution(1e-4, 1.0, log=True),
            "n": IntDistribution(0, 20, step=2),
            "c": CategoricalDistribution(["a", "b", "c"]),
        }
        study = tl.create_study(sampler=QMCSampler(seed=seed, qmc_type=qmc_type))
        study.optimize(suggest_all(space), n_trials=10)
        return [dict(t.params) for t in study.trials]

    assert run(1) == run(1)
    assert run(1) != run(2)


@settings(max_examples=40, deadline=None)
@given(
    space=search_spaces(max_size=4, min_size=1),
    seed=st.integers(0, 2**31 - 1),
    qmc_type=st.sampled_from(["sobol", "halton"]),
    declared=st.booleans(),
)
def test_every_suggestion_lies_inside_its_distribution(
    space: dict[str, BaseDistribution], seed: int, qmc_type: Any, declared: bool
) -> None:
    sampler = QMCSampler(seed=seed, qmc_type=qmc_type, search_space=space if declared else None)
    study = tl.create_study(sampler=sampler)
    study.optimize(suggest_all(space), n_trials=6, catch=ValueError)
    for trial in study.trials:
        assert trial.state is tl.TrialState.COMPLETE, trial.system_attrs.get("fail_reason")
        for name, dist in space.items():
            assert_inside(trial.params[name], dist)


def test_unknown_qmc_type_is_rejected() -> None:
    with pytest.raises(ValueError, match="qmc_type"):
        QMCSampler(qmc_type="lattice")  # type: ignore[arg-type]

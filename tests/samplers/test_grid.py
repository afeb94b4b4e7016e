from __future__ import annotations

import itertools
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tunelab as tl
from tests.samplers._strategies import assert_inside, enumerable_distributions, suggest
from tunelab.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from tunelab.exceptions import SearchSpaceExhausted
from tunelab.samplers import GridSampler

GRID = {"a": [1, 2, 3, 4, 5], "b": ["x", "y", "z"], "c": [0.5, 1.5]}  # 30 points > batch


def _grid_objective(trial: tl.Trial) -> float:
    a = trial.suggest_int("a", 1, 5)
    b = trial.suggest_categorical("b", ["x", "y", "z"])
    c = trial.suggest_float("c", 0.0, 2.0)
    return a * c + len(b)


def _combos(study: tl.Study) -> list[tuple[object, ...]]:
    done = study.get_trials(states=[tl.TrialState.COMPLETE])
    return [tuple(t.params[n] for n in GRID) for t in done]


def _expected() -> set[tuple[object, ...]]:
    return set(itertools.product(*GRID.values()))


def test_every_combination_exactly_once_then_optimize_stops_by_itself(
    storage: tl.storages.BaseStorage,
) -> None:
    sampler = GridSampler(GRID)
    assert sampler.grid_size == 30
    study = tl.create_study(storage=storage, sampler=sampler)
    study.optimize(_grid_objective)  # no n_trials, no timeout
    combos = _combos(study)
    assert len(combos) == len(set(combos)) == 30
    assert set(combos) == _expected()
    assert all(t.state is tl.TrialState.COMPLETE for t in study.trials)


def test_threads_visit_every_combination_once() -> None:
    study = tl.create_study(sampler=GridSampler(GRID))
    study.optimize(_grid_objective, n_jobs=4)
    combos = _combos(study)
    assert Counter(combos) == Counter(_expected())
    assert all(t.state is tl.TrialState.COMPLETE for t in study.trials)


def test_grid_resumes_across_optimize_calls_without_repeats() -> None:
    study = tl.create_study(sampler=GridSampler(GRID))
    study.optimize(_grid_objective, n_trials=7)
    assert len(_combos(study)) == 7
    study.optimize(_grid_objective)
    combos = _combos(study)
    assert len(combos) == 30
    assert set(combos) == _expected()


def test_n_trials_larger_than_the_grid_stops_at_the_grid_size() -> None:
    study = tl.create_study(sampler=GridSampler({"x": [1, 2, 3]}))
    study.optimize(lambda t: t.suggest_int("x", 0, 10), n_trials=50)
    assert sorted(t.params["x"] for t in study.trials) == [1, 2, 3]


def test_ask_raises_search_space_exhausted_once_the_grid_is_done() -> None:
    study = tl.create_study(sampler=GridSampler({"x": [1, 2], "y": ["a", "b"]}))
    seen = []
    for _ in range(4):
        trial = study.ask()
        seen.append((trial.suggest_int("x", 0, 3), trial.suggest_categorical("y", ["a", "b"])))
        study.tell(trial, 0.0)
    assert sorted(seen) == [(1, "a"), (1, "b"), (2, "a"), (2, "b")]
    with pytest.raises(SearchSpaceExhausted):
        study.ask()
    assert issubclass(SearchSpaceExhausted, tl.exceptions.TunelabError)
    # Nothing new was created by the failed ask, and optimize() returns at once.
    assert len(study.trials) == 4
    study.optimize(lambda t: t.suggest_int("x", 0, 3))
    assert len(study.trials) == 4


def test_grid_values_given_as_distributions() -> None:
    sampler = GridSampler(
        {
            "i": IntDistribution(0, 6, step=3),
            "f": FloatDistribution(0.0, 1.0, step=0.5),
            "c": CategoricalDistribution(["u", "v"]),
        }
    )
    assert sampler.grid_size == 3 * 3 * 2
    study = tl.create_study(sampler=sampler)

    def objective(trial: tl.Trial) -> float:
        i = trial.suggest_int("i", 0, 6, step=3)
        f = trial.suggest_float("f", 0.0, 1.0, step=0.5)
        trial.suggest_categorical("c", ["u", "v"])
        return i + f

    study.optimize(objective)
    points = {(t.params["i"], t.params["f"], t.params["c"]) for t in study.trials}
    assert points == set(itertools.product([0, 3, 6], [0.0, 0.5, 1.0], ["u", "v"]))
    assert len(study.trials) == 18


@pytest.mark.parametrize(
    ("low", "high", "step"),
    [(0.1, 0.3, 0.1), (0.0, 1.0, 0.1), (0.2, 0.7, 0.05), (-1.0, 1.0, 0.2)],
)
def test_stepped_float_grid_values_lie_inside_the_distribution(
    low: float, high: float, step: float
) -> None:
    dist = FloatDistribution(low, high, step=step)
    study = tl.create_study(sampler=GridSampler({"x": dist}))
    study.optimize(lambda t: t.suggest_float("x", low, high, step=step))
    assert all(t.state is tl.TrialState.COMPLETE for t in study.trials)
    n_values = round((high - low) / step) + 1
    assert len(study.trials) == n_values
    for trial in study.trials:
        assert dist.contains(trial.params["x"])
    assert max(t.params["x"] for t in study.trials) == pytest.approx(high)


@settings(max_examples=60, deadline=None)
@given(dist=enumerable_distributions(), seed=st.one_of(st.none(), st.integers(0, 1000)))
def test_grid_from_a_distribution_visits_each_of_its_values_inside_it(
    dist: BaseDistribution, seed: int | None
) -> None:
    study = tl.create_study(sampler=GridSampler({"p": dist}, seed=seed))

    def objective(trial: tl.Trial) -> float:
        suggest(trial, "p", dist)
        return 0.0

    study.optimize(objective, catch=ValueError)
    for trial in study.trials:
        assert trial.state is tl.TrialState.COMPLETE, trial.system_attrs.get("fail_reason")
        assert_inside(trial.params["p"], dist)
    internals = [dist.to_internal(t.params["p"]) for t in study.trials]
    if isinstance(dist, CategoricalDistribution):
        expected = len(dist.choices)
    else:
        assert isinstance(dist, (IntDistribution, FloatDistribution))
        expected = round((dist.high - dist.low) / (dist.step or 1)) + 1
    assert len(study.trials) == expected
    assert len({round((x - internals[0]) * 1e6) for x in internals}) == expected


def test_define_by_run_parameter_missing_from_the_grid_names_it() -> None:
    study = tl.create_study(sampler=GridSampler({"x": [1, 2]}))

    def objective(trial: tl.Trial) -> float:
        trial.suggest_int("x", 0, 5)
        return trial.suggest_float("not_in_grid", 0.0, 1.0)

    with pytest.raises(ValueError, match="not_in_grid"):
        study.optimize(objective)
    failed = study.trials[0]
    assert failed.state is tl.TrialState.FAIL
    assert "not_in_grid" in str(failed.system_attrs["fail_reason"])


def test_grid_value_outside_the_suggested_range_is_a_clear_error() -> None:
    study = tl.create_study(sampler=GridSampler({"x": [1, 50]}))
    with pytest.raises(ValueError, match=r"parameter 'x'.*50.*outside"):
        study.optimize(lambda t: t.suggest_int("x", 0, 10))


def test_grid_value_not_among_the_suggested_choices_is_a_clear_error() -> None:
    study = tl.create_study(sampler=GridSampler({"opt": ["sgd", "lbfgs"]}))
    with pytest.raises(ValueError, match=r"parameter 'opt'.*lbfgs"):
        study.optimize(lambda t: len(t.suggest_categorical("opt", ["sgd", "adam"])), catch=())


def test_seeded_order_differs_from_unseeded_but_covers_the_same_set() -> None:
    grid = {"a": list(range(6)), "b": list(range(5))}
    plain = GridSampler(grid)
    plain_order = [tuple(plain.point(i).values()) for i in range(plain.grid_size)]
    assert plain_order == list(itertools.product(range(6), range(5)))
    for seed in range(5):
        seeded = GridSampler(grid, seed=seed)
        order = [tuple(seeded.point(i).values()) for i in range(seeded.grid_size)]
        assert order != plain_order
        assert sorted(order) == sorted(plain_order)
        assert len(set(order)) == len(order)


def test_seeded_study_runs_in_the_seeded_order_and_same_seed_repeats_it() -> None:
    grid = {"a": list(range(6)), "b": list(range(5))}

    def run(seed: int | None) -> list[tuple[int, int]]:
        study = tl.create_study(sampler=GridSampler(grid, seed=seed))
        study.optimize(lambda t: t.suggest_int("a", 0, 5) + t.suggest_int("b", 0, 4))
        return [(t.params["a"], t.params["b"]) for t in study.trials]

    unseeded, seeded, again = run(None), run(11), run(11)
    assert seeded == again
    assert seeded != unseeded
    assert sorted(seeded) == sorted(unseeded) == list(itertools.product(range(6), range(5)))


@pytest.mark.parametrize(
    ("space", "name"),
    [
        ({"x": []}, "x"),
        ({"x": [1, 1]}, "x"),
        ({"x": [[1], [2]]}, "x"),
        ({"x": FloatDistribution(0.0, 1.0)}, "x"),
        ({"x": FloatDistribution(1e-3, 1.0, log=True)}, "x"),
        ({"x": IntDistribution(1, 100, log=True)}, "x"),
    ],
)
def test_invalid_grid_is_a_value_error_naming_the_parameter(space: dict, name: str) -> None:
    with pytest.raises(ValueError, match=repr(name)):
        GridSampler(space)


@pytest.mark.parametrize("space", [{}, [("x", [1])], None])
def test_grid_search_space_must_be_a_non_empty_mapping(space: object) -> None:
    with pytest.raises(ValueError, match="search_space"):
        GridSampler(space)  # type: ignore[arg-type]


def test_hand_enqueued_trial_with_a_grid_gets_grid_values() -> None:
    study = tl.create_study(sampler=GridSampler({"x": [1, 2], "y": [10, 20]}))
    study.enqueue_trial({"x": 2})
    study.optimize(lambda t: t.suggest_int("x", 0, 5) + t.suggest_int("y", 0, 50))
    first = study.trials[0]
    assert first.params["x"] == 2
    assert first.params["y"] in (10, 20)
    grid_points = {(t.params["x"], t.params["y"]) for t in study.trials[1:]}
    assert grid_points == {(1, 10), (1, 20), (2, 10), (2, 20)}


def test_enqueued_trial_runs_before_the_remaining_grid_points() -> None:
    study = tl.create_study(sampler=GridSampler(GRID))
    study.optimize(_grid_objective, n_trials=2)
    study.enqueue_trial({"a": 5, "b": "z", "c": 1.0})
    study.optimize(_grid_objective, n_trials=1)
    ran = study.get_trials(states=[tl.TrialState.COMPLETE])
    assert len(ran) == 3
    assert ran[-1].params == {"a": 5, "b": "z", "c": 1.0}

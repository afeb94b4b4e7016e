from __future__ import annotations

import logging
import math
import pickle
from collections.abc import Callable, Collection, Sequence
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tunelab as tl
from tests.samplers._strategies import assert_inside, suggest
from tunelab._records import FrozenTrial, StudyDirection, TrialState
from tunelab.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
)
from tunelab.samplers import BaseSampler, RandomSampler
from tunelab.samplers.gp import GPSampler, _fit, _optimize
from tunelab.samplers.gp import _sampler as _sampler_module
from tunelab.testing.strategies import search_spaces


class LowestSampler(BaseSampler):
    """Always the lowest value (the first choice): easy to tell apart from GP points."""

    def sample_independent(self, study, trial, name, distribution):  # type: ignore[no-untyped-def,unused-ignore]
        if isinstance(distribution, CategoricalDistribution):
            return distribution.choices[0]
        return distribution.low


def mixed_quadratic(trial: tl.Trial) -> float:
    """Convex in the encoded coordinates; minimum 0 at x=1, lr=1e-2, n=7, c='b', y=-0.5."""
    x = trial.suggest_float("x", -5.0, 5.0)
    lr = trial.suggest_float("lr", 1e-4, 1.0, log=True)
    n = trial.suggest_int("n", 0, 20)
    c = trial.suggest_categorical("c", ["a", "b", "c"])
    y = trial.suggest_float("y", -1.0, 1.0)
    return (
        (x - 1) ** 2
        + (math.log10(lr) + 2) ** 2
        + (n - 7) ** 2 / 4
        + 4 * (y + 0.5) ** 2
        + (0.0 if c == "b" else 2.0)
    )


def quadratic_1d(trial: tl.Trial) -> float:
    return (trial.suggest_float("x", -5.0, 5.0) - 1.3) ** 2


# -- quality --------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_finds_the_minimum_of_a_mixed_quadratic_where_random_search_does_not(seed: int) -> None:
    gp = tl.create_study(sampler=GPSampler(seed=seed))
    gp.optimize(mixed_quadratic, n_trials=30)
    rand = tl.create_study(sampler=RandomSampler(seed=seed))
    rand.optimize(mixed_quadratic, n_trials=30)
    assert gp.best_value < 0.5 < rand.best_value
    assert gp.best_params["c"] == "b"
    assert gp.best_params["n"] in (6, 7, 8)


def test_maximisation_is_handled_by_the_sign() -> None:
    study = tl.create_study(direction="maximize", sampler=GPSampler(seed=0, n_startup_trials=5))
    study.optimize(lambda t: -quadratic_1d(t), n_trials=15)
    assert study.best_params["x"] == pytest.approx(1.3, abs=0.05)


@pytest.mark.parametrize("acquisition", ["ucb", "mean"])
def test_other_acquisitions_also_converge(acquisition: Any) -> None:
    sampler = GPSampler(seed=1, n_startup_trials=5, acquisition=acquisition, ucb_beta=1.0)
    study = tl.create_study(sampler=sampler)
    study.optimize(quadratic_1d, n_trials=15)
    assert study.best_params["x"] == pytest.approx(1.3, abs=0.1)


def test_noisy_objective_fits_the_noise_and_still_improves() -> None:
    rng = np.random.default_rng(0)
    study = tl.create_study(sampler=GPSampler(seed=0, n_startup_trials=5))
    study.optimize(lambda t: quadratic_1d(t) + rng.normal(scale=0.3), n_trials=25)
    late = [t.params["x"] for t in study.trials[15:]]
    assert np.median(np.abs(np.array(late) - 1.3)) < 0.5


# -- the contract ---------------------------------------------------------------------------


@settings(max_examples=15, deadline=None)
@given(space=search_spaces(max_size=3, min_size=1), seed=st.integers(0, 2**31 - 1))
def test_every_suggestion_lies_inside_its_distribution(
    space: dict[str, BaseDistribution], seed: int
) -> None:
    study = tl.create_study(sampler=GPSampler(seed=seed, n_startup_trials=2))

    def objective(trial: tl.Trial) -> float:
        for name, dist in space.items():
            suggest(trial, name, dist)
        return math.sin(trial.number)

    study.optimize(objective, n_trials=4)
    for trial in study.trials:
        assert trial.state is TrialState.COMPLETE, trial.system_attrs.get("fail_reason")
        for name, dist in space.items():
            assert_inside(trial.params[name], dist)


def test_same_seed_same_history_gives_the_same_suggestions() -> None:
    def run(seed: int) -> list[dict[str, Any]]:
        study = tl.create_study(sampler=GPSampler(seed=seed, n_startup_trials=4))
        study.optimize(mixed_quadratic, n_trials=8)
        return [dict(t.params) for t in study.trials]

    first = run(3)
    assert first == run(3)
    assert first[4:] != run(4)[4:]


def test_start_up_trials_come_from_the_independent_sampler() -> None:
    gp = tl.create_study(sampler=GPSampler(seed=5, n_startup_trials=6))
    gp.optimize(mixed_quadratic, n_trials=6)
    rand = tl.create_study(sampler=RandomSampler(seed=5))
    rand.optimize(mixed_quadratic, n_trials=6)
    assert [t.params for t in gp.trials] == [t.params for t in rand.trials]
    sampler = GPSampler(n_startup_trials=6)
    assert sampler.infer_relative_search_space(gp.view(), gp.trials[-1]) != {}
    assert (
        GPSampler(n_startup_trials=7).infer_relative_search_space(gp.view(), gp.trials[-1]) == {}
    )


def test_search_space_is_the_sorted_intersection_without_single_values() -> None:
    study = tl.create_study(sampler=GPSampler(seed=0, n_startup_trials=3))

    def objective(trial: tl.Trial) -> float:
        trial.suggest_float("z", 0.0, 1.0)
        trial.suggest_categorical("only", ["one"])
        trial.suggest_int("fixed", 3, 3)
        if trial.number % 2:
            trial.suggest_float("odd", 0.0, 1.0)
        return trial.suggest_float("a", 0.0, 1.0)

    study.optimize(objective, n_trials=3)
    study.tell(study.ask(), state=TrialState.FAIL)
    space = GPSampler(n_startup_trials=3).infer_relative_search_space(
        study.view(), study.trials[0]
    )
    assert list(space) == ["a", "z"]


def test_conditional_parameters_fall_back_to_the_independent_sampler() -> None:
    sampler = GPSampler(seed=6, n_startup_trials=4, independent_sampler=LowestSampler())
    study = tl.create_study(sampler=sampler)

    def objective(trial: tl.Trial) -> float:
        x = trial.suggest_float("x", 0.0, 1.0)
        if trial.suggest_categorical("kind", ["a", "b"]) == "a":
            return (x - 0.4) ** 2 + trial.suggest_int("depth", 3, 9)
        return (x - 0.4) ** 2 + trial.suggest_float("alpha", 0.5, 2.0)

    study.optimize(objective, n_trials=12)
    for trial in study.trials:
        assert trial.state is TrialState.COMPLETE
        assert trial.params.get("depth", 3) == 3
        assert trial.params.get("alpha", 0.5) == 0.5
    assert all(t.params["x"] == 0.0 for t in study.trials[:4])  # start-up: lowest values
    assert any(float(t.params["x"]) > 0.0 for t in study.trials[4:])  # type: ignore[arg-type]  # then the GP draws x


def test_works_with_waiting_and_running_trials_present() -> None:
    sampler = GPSampler(seed=0, n_startup_trials=5)
    study = tl.create_study(sampler=sampler)
    study.optimize(quadratic_1d, n_trials=6)
    running = [study.ask() for _ in range(2)]
    for trial in running:
        trial.suggest_float("x", -5.0, 5.0)
    study.ask().suggest_float("x", -5.0, 5.0)  # a third RUNNING trial, never told
    study.enqueue_trial({"x": 0.0})
    study.enqueue_trial({"x": 2.0})
    view = study.view()
    states = [t.state for t in view.get_trials()]
    assert states.count(TrialState.WAITING) == 2 and states.count(TrialState.RUNNING) == 3
    current = FrozenTrial(trial_id=-1, number=100, state=TrialState.RUNNING)
    space = sampler.infer_relative_search_space(view, current)
    params = sampler.sample_relative(view, current, space)
    assert -5.0 <= float(params["x"]) <= 5.0  # type: ignore[arg-type]
    for trial in running:
        study.tell(trial, quadratic_1d(trial))
    study.optimize(quadratic_1d, n_trials=4)  # claims both WAITING trials, then samples
    assert [t.params["x"] for t in study.trials[9:11]] == [0.0, 2.0]
    assert study.trials[-1].state is TrialState.COMPLETE


def test_pending_trials_are_fantasised_so_parallel_suggestions_spread() -> None:
    def setup() -> tuple[tl.Study, float]:
        study = tl.create_study(
            sampler=GPSampler(seed=2, n_startup_trials=8, deterministic_objective=True)
        )
        study.optimize(quadratic_1d, n_trials=10)
        first = study.ask()
        return study, first.suggest_float("x", -5.0, 5.0)

    busy, x_busy = setup()
    second = busy.ask().suggest_float("x", -5.0, 5.0)  # while the first is RUNNING
    idle, x_idle = setup()
    idle.tell(idle.trials[-1].number, state=TrialState.FAIL)
    again = idle.ask().suggest_float("x", -5.0, 5.0)  # the same history, no pending trial
    assert x_busy == x_idle
    assert abs(second - x_busy) > 5 * abs(again - x_idle)


def test_failed_trials_and_pruned_trials_without_a_value_are_ignored() -> None:
    sampler = GPSampler(seed=0, n_startup_trials=3)
    study = tl.create_study(sampler=sampler)

    def objective(trial: tl.Trial) -> float:
        x = trial.suggest_float("x", -5.0, 5.0)
        if trial.number % 3 == 1:
            raise tl.TrialPruned()
        if trial.number % 3 == 2:
            raise RuntimeError("boom")
        return (x - 1.3) ** 2

    study.optimize(objective, n_trials=15, catch=RuntimeError)
    X, values, _ = sampler._history(study.view(), _encoder({"x": FloatDistribution(-5.0, 5.0)}))
    assert X.shape == (5, 1) and values.shape == (5,)


def _pruned_but_every(keep: int) -> Callable[[tl.Trial], float]:
    """An objective that reports its value, then prunes all trials but every ``keep``-th."""

    def objective(trial: tl.Trial) -> float:
        value = quadratic_1d(trial)
        trial.report(value, 0)
        if trial.number % keep:
            raise tl.TrialPruned()
        return value

    return objective


@pytest.mark.parametrize("consider_pruned", [True, False])
def test_pruned_trials_are_observed_at_their_last_value(consider_pruned: bool) -> None:
    sampler = GPSampler(seed=0, n_startup_trials=6, consider_pruned=consider_pruned)
    study = tl.create_study(sampler=sampler)
    study.optimize(_pruned_but_every(2), n_trials=8)
    view = study.view()
    _, values, _ = sampler._history(view, _encoder({"x": FloatDistribution(-5.0, 5.0)}))
    expected = [t for t in study.trials if consider_pruned or t.state is TrialState.COMPLETE]
    assert values.tolist() == [t.values[0] for t in expected]  # type: ignore[index]
    # 8 observed trials are past the start-up; 4 COMPLETE ones are not.
    space = sampler.infer_relative_search_space(view, study.trials[-1])
    assert bool(space) is consider_pruned


def test_learning_from_pruned_trials_finds_the_minimum_sooner() -> None:
    """With most trials pruned, only the sampler that learns from them converges."""
    mostly_pruned = _pruned_but_every(4)
    errors = {}
    for consider_pruned in (True, False):
        sampler = GPSampler(seed=3, n_startup_trials=5, consider_pruned=consider_pruned)
        study = tl.create_study(sampler=sampler)
        study.optimize(mostly_pruned, n_trials=16)
        errors[consider_pruned] = min(abs(t.params["x"] - 1.3) for t in study.trials[8:])
    assert errors[True] < 0.05 < errors[False]


def test_max_history_keeps_the_best_quarter_and_the_most_recent() -> None:
    sampler = GPSampler(seed=0, n_startup_trials=3, max_history=8)
    study = tl.create_study(sampler=RandomSampler(seed=0))
    study.optimize(quadratic_1d, n_trials=20)
    kept = sampler._window(study.trials, StudyDirection.MINIMIZE)
    numbers = [t.number for t in kept]
    best_two = sorted(study.trials, key=lambda t: t.value or 0.0)[:2]
    assert len(kept) == 8 and numbers == sorted(numbers)
    assert {t.number for t in best_two} <= set(numbers)
    assert set(range(14, 20)) <= set(numbers) | {t.number for t in best_two}
    gp = tl.create_study(sampler=GPSampler(seed=0, n_startup_trials=3, max_history=8))
    gp.optimize(quadratic_1d, n_trials=14)
    assert gp.best_value < 0.1


# -- degenerate histories -------------------------------------------------------------------


def test_all_failed_trials_leave_everything_to_the_independent_sampler() -> None:
    study = tl.create_study(sampler=GPSampler(seed=0, n_startup_trials=2))

    def objective(trial: tl.Trial) -> float:
        trial.suggest_float("x", 0.0, 1.0)
        raise RuntimeError("always fails")

    study.optimize(objective, n_trials=5, catch=RuntimeError)
    assert [t.state for t in study.trials] == [TrialState.FAIL] * 5


@pytest.mark.parametrize("deterministic", [False, True])
def test_all_equal_values_and_duplicated_points(deterministic: bool) -> None:
    sampler = GPSampler(seed=0, n_startup_trials=3, deterministic_objective=deterministic)
    study = tl.create_study(sampler=sampler)

    def objective(trial: tl.Trial) -> float:
        trial.suggest_int("n", 0, 2)  # only three points: duplicates are certain
        trial.suggest_categorical("c", ["a", "b"])
        trial.suggest_categorical("one", ["only"])
        return 1.0

    study.optimize(objective, n_trials=12)
    assert all(t.state is TrialState.COMPLETE for t in study.trials)


@pytest.mark.parametrize("scale", [1e12, 1e-12])
def test_extreme_magnitudes(scale: float) -> None:
    study = tl.create_study(sampler=GPSampler(seed=1, n_startup_trials=5))
    study.optimize(lambda t: scale * quadratic_1d(t), n_trials=14)
    assert study.best_params["x"] == pytest.approx(1.3, abs=0.1)


def test_values_spanning_twenty_four_orders_of_magnitude() -> None:
    study = tl.create_study(sampler=GPSampler(seed=2, n_startup_trials=5))
    study.optimize(lambda t: 1e12 if t.suggest_float("x", 0.0, 1.0) > 0.5 else 1e-12, n_trials=10)
    assert all(t.state is TrialState.COMPLETE for t in study.trials)
    assert study.best_value == 1e-12


class _View:
    """A minimal StudyView over a fixed list of trials."""

    def __init__(self, trials: Sequence[FrozenTrial], n_objectives: int = 1) -> None:
        self._trials = list(trials)
        self.directions = (StudyDirection.MINIMIZE,) * n_objectives
        self.study_name = "fake"

    def get_trials(self, *, states: Collection[TrialState] | None = None) -> list[FrozenTrial]:
        return [t for t in self._trials if states is None or t.state in states]


def _encoder(space: dict[str, BaseDistribution]) -> Any:
    from tunelab._encoding import SearchSpaceEncoder

    return SearchSpaceEncoder(space, categorical="onehot")


def test_non_finite_values_are_skipped() -> None:
    dist = FloatDistribution(0.0, 1.0)
    values = [0.3, math.inf, 0.1, math.nan, 0.5, -math.inf, 0.2]
    trials = [
        FrozenTrial(
            trial_id=i,
            number=i,
            state=TrialState.COMPLETE,
            values=(v,),
            params={"x": i / 10},
            distributions={"x": dist},
        )
        for i, v in enumerate(values)
    ]
    sampler = GPSampler(seed=0, n_startup_trials=3)
    _, kept, _ = sampler._history(_View(trials), _encoder({"x": dist}))  # type: ignore[arg-type]
    assert kept.tolist() == [0.3, 0.1, 0.5, 0.2]
    current = FrozenTrial(trial_id=9, number=9, state=TrialState.RUNNING)
    params = sampler.sample_relative(_View(trials), current, {"x": dist})  # type: ignore[arg-type]
    assert 0.0 <= float(params["x"]) <= 1.0  # type: ignore[arg-type]


# -- multi-objective, options, pickling, time budget ------------------------------------------


def test_multi_objective_studies_are_rejected_clearly() -> None:
    study = tl.create_study(directions=["minimize", "maximize"], sampler=GPSampler(seed=0))
    with pytest.raises(ValueError, match="GPSampler supports single-objective studies"):
        study.optimize(lambda t: (t.suggest_float("x", 0, 1), 0.0), n_trials=1)
    view = _View([], n_objectives=2)
    current = FrozenTrial(trial_id=0, number=0, state=TrialState.RUNNING)
    with pytest.raises(ValueError, match="single-objective"):
        GPSampler().sample_relative(view, current, {"x": FloatDistribution(0, 1)})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"seed": -1}, "seed"),
        ({"seed": 1.5}, "seed"),
        ({"n_startup_trials": 0}, "n_startup_trials"),
        ({"n_startup_trials": 2.5}, "n_startup_trials"),
        ({"acquisition": "ei"}, "acquisition"),
        ({"ucb_beta": -1.0}, "ucb_beta"),
        ({"ucb_beta": math.inf}, "ucb_beta"),
        ({"max_history": 1}, "max_history"),
        ({"time_budget": -0.5}, "time_budget"),
        ({"time_budget": True}, "time_budget"),
        ({"exploit_from": 0}, "exploit_from"),
        ({"exploit_every": 0}, "exploit_every"),
    ],
)
def test_invalid_options_are_rejected(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        GPSampler(**kwargs)


def test_pickles_before_and_after_use() -> None:
    sampler = GPSampler(seed=4, n_startup_trials=4)
    pickle.loads(pickle.dumps(sampler))
    study = tl.create_study(sampler=sampler)
    study.optimize(quadratic_1d, n_trials=6)
    assert sampler._warm  # a fit is cached for warm starts
    clone = pickle.loads(pickle.dumps(sampler))
    assert clone._warm == {}
    other = tl.create_study(sampler=clone)
    other.optimize(quadratic_1d, n_trials=6)
    assert all(t.state is TrialState.COMPLETE for t in other.trials)


@pytest.mark.parametrize("executor", ["thread", "process"])
def test_parallel_workers_share_the_study(executor: Any) -> None:
    # Process workers receive a pickled copy of the sampler.
    study = tl.create_study(sampler=GPSampler(seed=0, n_startup_trials=4))
    study.optimize(quadratic_1d, n_trials=10, n_jobs=2, executor=executor)
    assert len(study.trials) == 10
    assert all(t.state is TrialState.COMPLETE for t in study.trials)


def test_reseeding_changes_the_suggestions() -> None:
    def run(reseed: int | None) -> list[float]:
        sampler = GPSampler(seed=1, n_startup_trials=3)
        if reseed is not None:
            sampler.reseed_rng(reseed)
        study = tl.create_study(sampler=sampler)
        study.optimize(quadratic_1d, n_trials=5)
        return [float(t.params["x"]) for t in study.trials]  # type: ignore[arg-type]

    assert run(None) != run(99)


def test_a_zero_time_budget_takes_the_degraded_path(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("no L-BFGS-B run when the budget is spent")

    monkeypatch.setattr(_fit, "minimize", refuse)
    monkeypatch.setattr(_optimize, "minimize", refuse)
    study = tl.create_study(sampler=GPSampler(seed=0, n_startup_trials=5, time_budget=0))
    with caplog.at_level(logging.DEBUG, logger="tunelab"):
        study.optimize(quadratic_1d, n_trials=7)
    assert all(t.state is TrialState.COMPLETE for t in study.trials)
    assert sum("best Sobol candidate" in r.getMessage() for r in caplog.records) == 2


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(-1e9, 1e9), min_size=3, max_size=30))
def test_warping_keeps_the_order_of_the_values(values: list[float]) -> None:
    raw = np.array(values)
    warped = _sampler_module._warp(raw)
    assert np.all(np.isfinite(warped))
    order = np.argsort(raw, kind="stable")
    assert np.all(np.diff(warped[order]) >= -1e-12)  # same order (ties may stay ties)


def test_warping_helps_on_a_valley_spanning_orders_of_magnitude() -> None:
    """Rosenbrock's huge values off the valley flatten an unwarped GP where it matters."""

    def rosenbrock(trial: tl.Trial) -> float:
        x = [trial.suggest_float(f"x{i}", -5.0, 10.0) for i in range(3)]
        return sum(100 * (x[i + 1] - x[i] ** 2) ** 2 + (1 - x[i]) ** 2 for i in range(2))

    best = {}
    for warp in (True, False):
        values = []
        for seed in range(3):
            study = tl.create_study(sampler=GPSampler(seed=seed, warp_outputs=warp))
            study.optimize(rosenbrock, n_trials=40)
            values.append(study.best_value)
        best[warp] = float(np.median(values))
    assert best[True] < best[False]


def test_a_pruned_trial_is_projected_with_the_spread_of_the_completed_moves() -> None:
    sampler = GPSampler(seed=0, n_startup_trials=6)
    study = tl.create_study(sampler=sampler)
    shifts = [0.5, 1.0, 1.5, 0.7]  # how much each completed curve still fell after step 0

    def objective(trial: tl.Trial) -> float:
        value = quadratic_1d(trial)
        if trial.number % 2:
            trial.report(value + 10.0, 0)
            raise tl.TrialPruned()
        trial.report(value + shifts[trial.number // 2 % 4], 0)
        return value

    study.optimize(objective, n_trials=8)
    _, values, spread = sampler._history(
        study.view(), _encoder({"x": FloatDistribution(-5.0, 5.0)})
    )
    pruned = [i for i, t in enumerate(study.trials) if t.state is TrialState.PRUNED]
    complete = [i for i, t in enumerate(study.trials) if t.state is TrialState.COMPLETE]
    for i in pruned:
        last = study.trials[i].values[0]  # type: ignore[index]
        assert values[i] == pytest.approx(last - np.median(shifts))
        assert spread[i] == pytest.approx(np.std(shifts, ddof=1))
    assert spread[complete].tolist() == [0.0] * len(complete)
    study.optimize(objective, n_trials=4)  # the GP phase fits with the extra noise
    assert study.trials[-1].state in (TrialState.COMPLETE, TrialState.PRUNED)


def test_exploitation_steps_follow_the_rule_and_polish_the_incumbent() -> None:
    """From ``exploit_from`` observed trials on, one in ``exploit_every`` minimises the
    posterior mean: recorded on the trial, and a small step from the incumbent."""

    def bowl(trial: tl.Trial) -> float:
        return (trial.suggest_float("x", -5, 5) - 1.3) ** 2 + (
            trial.suggest_float("y", -5, 5) + 0.4
        ) ** 2

    study = tl.create_study(sampler=GPSampler(seed=1, exploit_from=20, exploit_every=3))
    study.optimize(bowl, n_trials=30)
    exploits = [t for t in study.trials if t.system_attrs.get("gp:step") == "exploit"]
    assert [t.number for t in exploits] == [20, 23, 26, 29]
    for t in exploits:
        before = [u for u in study.trials[: t.number] if u.value is not None]
        incumbent = min(before, key=lambda u: u.value)
        step = abs(t.params["x"] - incumbent.params["x"]) + abs(
            t.params["y"] - incumbent.params["y"]
        )
        assert step < 0.5  # a polishing step, not a jump across the 10 x 10 box
    # Off with exploit_from=None, for the pure-exploitation acquisition itself, and
    # during the start-up (random trials are not exploitation steps).
    for sampler in (
        GPSampler(seed=1, exploit_from=None),
        GPSampler(seed=1, acquisition="mean"),
        GPSampler(seed=1, n_startup_trials=12, exploit_from=2, exploit_every=2),
    ):
        plain = tl.create_study(sampler=sampler)
        plain.optimize(bowl, n_trials=12)
        assert all("gp:step" not in t.system_attrs for t in plain.trials)


def test_exploitation_steps_keep_their_own_warm_start() -> None:
    """An exploitation step neither reads nor replaces the exploration fit's warm start,
    so the expected-improvement steps are fitted as without exploitation."""

    def sphere(trial: tl.Trial) -> float:
        return sum(trial.suggest_float(f"x{i}", -2, 2) ** 2 for i in range(3))

    sampler = GPSampler(seed=3, n_startup_trials=5, exploit_from=8, exploit_every=2)
    study = tl.create_study(sampler=sampler)
    study.optimize(sphere, n_trials=9)  # observed 5..8: exploration only until 8 trials
    explore = sampler._warm["explore"]
    assert "exploit" not in sampler._warm
    study.optimize(sphere, n_trials=1)  # observed 9: an exploitation step
    assert study.trials[-1].system_attrs["gp:step"] == "exploit"
    assert sampler._warm["explore"] is explore
    assert sampler._warm["exploit"][0] == explore[0]  # fitted on the same search space

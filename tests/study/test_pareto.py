from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tunelab as tl
from tunelab.study._pareto import pareto_front

MIN, MAX = tl.StudyDirection.MINIMIZE, tl.StudyDirection.MAXIMIZE


def _dominates(a: tuple[float, ...], b: tuple[float, ...], directions: list) -> bool:
    """``a`` is at least as good as ``b`` everywhere and strictly better somewhere."""
    better_or_equal = all(
        (x <= y) if d is MIN else (x >= y) for x, y, d in zip(a, b, directions, strict=True)
    )
    strictly = any(
        (x < y) if d is MIN else (x > y) for x, y, d in zip(a, b, directions, strict=True)
    )
    return better_or_equal and strictly


def _brute_force_front(points: list[tuple[float, ...]], directions: list) -> list[int]:
    return [
        i
        for i, p in enumerate(points)
        if not any(_dominates(q, p, directions) for j, q in enumerate(points) if j != i)
    ]


_value = st.one_of(
    st.integers(-3, 3).map(float),  # many ties
    st.floats(-1e9, 1e9, allow_nan=False, allow_infinity=False),
)


@st.composite
def _problems(draw: st.DrawFn) -> tuple[list, list[tuple[float, ...]], list[bool]]:
    n_obj = draw(st.integers(2, 4))
    directions = draw(st.lists(st.sampled_from([MIN, MAX]), min_size=n_obj, max_size=n_obj))
    points = draw(
        st.lists(
            st.tuples(*[_value] * n_obj),
            min_size=0,
            max_size=30,
        )
    )
    complete = draw(st.lists(st.booleans(), min_size=len(points), max_size=len(points)))
    return directions, points, complete


@settings(max_examples=150, deadline=None)
@given(problem=_problems())
def test_best_trials_is_the_brute_force_pareto_front(
    problem: tuple[list, list[tuple[float, ...]], list[bool]],
) -> None:
    directions, points, complete = problem
    study = tl.create_study(directions=directions)
    for point, ok in zip(points, complete, strict=True):
        if ok:
            study.add_trial(tl.create_trial(values=point))
        else:
            study.add_trial(tl.create_trial(state=tl.TrialState.FAIL))
    numbers = [i for i, ok in enumerate(complete) if ok]
    kept = [points[i] for i in numbers]
    expected = [numbers[i] for i in _brute_force_front(kept, directions)]
    assert [t.number for t in study.best_trials] == expected


@settings(max_examples=50, deadline=None)
@given(problem=_problems())
def test_pareto_front_function_ignores_unfinished_trials(
    problem: tuple[list, list[tuple[float, ...]], list[bool]],
) -> None:
    directions, points, complete = problem
    trials = [
        tl.FrozenTrial(
            trial_id=i,
            number=i,
            state=tl.TrialState.COMPLETE if ok else tl.TrialState.PRUNED,
            values=p,
        )
        for i, (p, ok) in enumerate(zip(points, complete, strict=True))
    ]
    front = pareto_front(trials, directions)
    kept = [i for i, ok in enumerate(complete) if ok]
    assert [t.number for t in front] == [
        kept[i] for i in _brute_force_front([points[i] for i in kept], directions)
    ]


def test_identical_points_do_not_dominate_each_other() -> None:
    study = tl.create_study(directions=["minimize", "minimize"])
    for values in [(1.0, 1.0), (1.0, 1.0), (0.5, 2.0), (1.0, 1.5)]:
        study.add_trial(tl.create_trial(values=values))
    assert [t.number for t in study.best_trials] == [0, 1, 2]


def test_directions_are_respected() -> None:
    points = [(1.0, 1.0), (2.0, 2.0), (1.0, 2.0), (2.0, 1.0)]
    expected = {
        ("minimize", "minimize"): [0],
        ("maximize", "maximize"): [1],
        ("minimize", "maximize"): [2],
        ("maximize", "minimize"): [3],
    }
    for directions, numbers in expected.items():
        study = tl.create_study(directions=list(directions))
        study.add_trials(tl.create_trial(values=p) for p in points)
        assert [t.number for t in study.best_trials] == numbers, directions


def test_front_of_an_optimized_study(storage: tl.storages.BaseStorage) -> None:
    study = tl.create_study(
        storage=storage,
        directions=["minimize", "minimize"],
        sampler=tl.samplers.RandomSampler(seed=0),
    )

    def objective(trial: tl.Trial) -> tuple[float, float]:
        x = trial.suggest_float("x", 0.0, 1.0)
        y = trial.suggest_float("y", 0.0, 1.0)
        if trial.number % 7 == 3:
            raise tl.TrialPruned()
        return x, (1 - x) ** 2 + y

    study.optimize(objective, n_trials=60)
    front = study.best_trials
    done = study.get_trials(states=[tl.TrialState.COMPLETE])
    assert front
    on_front = {t.number for t in front}
    for trial in done:
        dominated = any(
            _dominates(f.values, trial.values, [MIN, MIN])  # type: ignore[arg-type]
            for f in front
        )
        assert dominated != (trial.number in on_front)
    assert all(t.state is tl.TrialState.COMPLETE for t in front)


def test_single_objective_best_trials_are_the_ties_for_best() -> None:
    rng = random.Random(0)
    values = [float(rng.randint(0, 5)) for _ in range(30)]
    study = tl.create_study(direction="maximize")
    study.add_trials(tl.create_trial(value=v) for v in values)
    assert [t.number for t in study.best_trials] == [
        i for i, v in enumerate(values) if v == max(values)
    ]


@pytest.mark.parametrize("directions", [["minimize", "maximize"], ["maximize"] * 3])
def test_no_complete_trial_means_an_empty_front(directions: list[str]) -> None:
    study = tl.create_study(directions=directions)
    assert study.best_trials == []
    study.add_trial(tl.create_trial(state=tl.TrialState.FAIL))
    study.ask()
    assert study.best_trials == []

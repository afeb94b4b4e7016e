"""Grid indexing and the intersection search space."""

from __future__ import annotations

import itertools
from collections import Counter
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tunelab._records import FrozenTrial, TrialState
from tunelab._space import Grid, intersection_search_space
from tunelab.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from tunelab.testing.strategies import search_spaces

FAST = settings(max_examples=60, deadline=None)

# --- Grid -------------------------------------------------------------------------------

_values = st.lists(
    st.one_of(st.integers(-50, 50), st.text(max_size=3), st.none()),
    min_size=1,
    max_size=4,
    unique_by=lambda v: (type(v).__name__, v),
)
grid_specs = st.dictionaries(
    st.text(alphabet="abcdefgh", min_size=1, max_size=3), _values, min_size=1, max_size=4
)


def _product(spec: dict[str, list[Any]]) -> list[dict[str, Any]]:
    names = list(spec)
    return [dict(zip(names, combo, strict=True)) for combo in itertools.product(*spec.values())]


def _key(point: dict[str, Any]) -> tuple[Any, ...]:
    return tuple((name, type(v).__name__, v) for name, v in point.items())


@FAST
@given(grid_specs)
def test_grid_iterates_every_combination_exactly_once(spec: dict[str, list[Any]]) -> None:
    grid = Grid(spec)
    points = list(grid)
    expected = _product(spec)
    assert len(grid) == len(points) == len(expected)
    counts = Counter(_key(p) for p in points)
    assert counts == Counter(_key(p) for p in expected)
    assert set(counts.values()) == {1}


@FAST
@given(grid_specs)
def test_grid_iteration_follows_itertools_product_order(spec: dict[str, list[Any]]) -> None:
    assert list(Grid(spec)) == _product(spec)


@FAST
@given(grid_specs, st.data())
def test_grid_random_access_matches_product(
    spec: dict[str, list[Any]], data: st.DataObject
) -> None:
    grid = Grid(spec)
    expected = _product(spec)
    i = data.draw(st.integers(0, len(grid) - 1))
    assert grid[i] == expected[i]
    assert list(grid[i]) == list(spec)  # keys in declaration order
    assert grid[i - len(grid)] == expected[i - len(grid)]


@FAST
@given(grid_specs)
def test_grid_negative_indices(spec: dict[str, list[Any]]) -> None:
    grid = Grid(spec)
    expected = _product(spec)
    for k in range(1, len(grid) + 1):
        assert grid[-k] == expected[-k]


@FAST
@given(grid_specs)
def test_grid_out_of_range_raises_index_error(spec: dict[str, list[Any]]) -> None:
    grid = Grid(spec)
    n = len(grid)
    for bad in (n, n + 1, -n - 1, 10 * n + 3, -10 * n):
        with pytest.raises(IndexError, match=str(bad)):
            grid[bad]


def test_grid_example() -> None:
    g = Grid({"lr": [1e-3, 1e-2], "depth": [4, 8, 16]})
    assert len(g) == 6
    assert g.names == ("lr", "depth")
    assert g.values_of("depth") == (4, 8, 16)
    assert g[0] == {"lr": 1e-3, "depth": 4}
    assert g[1] == {"lr": 1e-3, "depth": 8}
    assert g[3] == {"lr": 1e-2, "depth": 4}
    assert g[5] == {"lr": 1e-2, "depth": 16}
    assert g[-1] == {"lr": 1e-2, "depth": 16}
    assert g[-6] == {"lr": 1e-3, "depth": 4}


def test_grid_large_random_access_without_enumeration() -> None:
    spec = {f"p{i}": list(range(10)) for i in range(12)}  # 10**12 points
    g = Grid(spec)
    assert len(g) == 10**12
    index = 123_456_789_012
    point = g[index]
    # The last name varies fastest: the digits of the index, most significant first.
    assert [point[f"p{i}"] for i in range(12)] == [int(c) for c in f"{index:012d}"]
    assert g[-1] == {f"p{i}": 9 for i in range(12)}


def test_grid_single_point() -> None:
    g = Grid({"a": ["only"]})
    assert len(g) == 1
    assert list(g) == [{"a": "only"}]
    assert g[-1] == {"a": "only"}
    with pytest.raises(IndexError):
        g[1]


def test_grid_copies_the_value_lists() -> None:
    values = [1, 2]
    g = Grid({"a": values})
    values.append(3)
    assert len(g) == 2
    assert list(g) == [{"a": 1}, {"a": 2}]


def test_grid_returns_fresh_dicts() -> None:
    g = Grid({"a": [1, 2]})
    p = g[0]
    p["a"] = 99
    assert g[0] == {"a": 1}


@pytest.mark.parametrize("empty", [[], ()])
def test_grid_empty_value_list_is_an_error(empty: Any) -> None:
    with pytest.raises(ValueError, match=r"'depth' has no values"):
        Grid({"lr": [0.1], "depth": empty})


def test_grid_repeated_value_is_an_error() -> None:
    # Documented: "ValueError: A name has no values or a repeated value."
    with pytest.raises(ValueError, match="depth"):
        Grid({"lr": [0.1], "depth": [4, 8, 4]})


# --- intersection_search_space -----------------------------------------------------------

F = FloatDistribution(0.0, 1.0)
F2 = FloatDistribution(0.0, 2.0)
I = IntDistribution(1, 5)  # noqa: E741
C = CategoricalDistribution(["a", "b"])

_ids = itertools.count()


def _trial(state: TrialState, space: dict[str, BaseDistribution]) -> FrozenTrial:
    n = next(_ids)
    return FrozenTrial(trial_id=n, number=n, state=state, distributions=space)


def _t(state: TrialState, /, **dists: BaseDistribution) -> FrozenTrial:
    return _trial(state, dists)


def test_intersection_of_no_trials_is_empty() -> None:
    assert intersection_search_space([]) == {}
    assert intersection_search_space([], include_pruned=True) == {}


def test_intersection_keeps_common_names() -> None:
    trials = [
        _t(TrialState.COMPLETE, x=F, y=I, z=C),
        _t(TrialState.COMPLETE, x=F, z=C),
        _t(TrialState.COMPLETE, z=C, x=F, w=I),
    ]
    assert intersection_search_space(trials) == {"x": F, "z": C}


def test_intersection_drops_names_whose_distribution_differs() -> None:
    trials = [_t(TrialState.COMPLETE, x=F, y=I), _t(TrialState.COMPLETE, x=F2, y=I)]
    assert intersection_search_space(trials) == {"y": I}


def test_intersection_drops_a_name_that_changes_and_changes_back() -> None:
    trials = [
        _t(TrialState.COMPLETE, x=F),
        _t(TrialState.COMPLETE, x=F2),
        _t(TrialState.COMPLETE, x=F),
    ]
    assert intersection_search_space(trials) == {}


def test_intersection_treats_equal_distributions_as_equal() -> None:
    trials = [
        _t(TrialState.COMPLETE, x=FloatDistribution(0, 1)),
        _t(TrialState.COMPLETE, x=FloatDistribution(0.0, 1.0)),
    ]
    assert intersection_search_space(trials) == {"x": F}


def test_intersection_names_are_sorted() -> None:
    trials = [_t(TrialState.COMPLETE, zeta=F, alpha=I, mid=C)]
    result = intersection_search_space(trials)
    assert list(result) == ["alpha", "mid", "zeta"]


@pytest.mark.parametrize(
    "state", [TrialState.WAITING, TrialState.RUNNING, TrialState.FAIL, TrialState.PRUNED]
)
def test_intersection_ignores_unfinished_failed_and_pruned_trials(state: TrialState) -> None:
    trials = [_t(state, y=I), _t(TrialState.COMPLETE, x=F, y=I), _t(state, x=F2)]
    assert intersection_search_space(trials) == {"x": F, "y": I}


@pytest.mark.parametrize(
    "state", [TrialState.WAITING, TrialState.RUNNING, TrialState.FAIL, TrialState.PRUNED]
)
def test_intersection_of_only_uncounted_trials_is_empty(state: TrialState) -> None:
    assert intersection_search_space([_t(state, x=F)]) == {}


def test_intersection_include_pruned() -> None:
    trials = [_t(TrialState.COMPLETE, x=F, y=I), _t(TrialState.PRUNED, x=F)]
    assert intersection_search_space(trials) == {"x": F, "y": I}
    assert intersection_search_space(trials, include_pruned=True) == {"x": F}
    only_pruned = [_t(TrialState.PRUNED, x=F)]
    assert intersection_search_space(only_pruned, include_pruned=True) == {"x": F}


def test_intersection_include_pruned_still_ignores_failed_and_running() -> None:
    trials = [
        _t(TrialState.COMPLETE, x=F, y=I),
        _t(TrialState.FAIL, x=F),
        _t(TrialState.RUNNING, y=I),
    ]
    assert intersection_search_space(trials, include_pruned=True) == {"x": F, "y": I}


def test_intersection_with_an_empty_complete_trial_is_empty() -> None:
    trials = [_t(TrialState.COMPLETE), _t(TrialState.COMPLETE, x=F)]
    assert intersection_search_space(trials) == {}
    assert intersection_search_space(list(reversed(trials))) == {}


def test_intersection_accepts_any_iterable_once() -> None:
    trials = [_t(TrialState.COMPLETE, x=F), _t(TrialState.COMPLETE, x=F, y=I)]
    assert intersection_search_space(iter(trials)) == {"x": F}
    assert intersection_search_space(t for t in trials) == {"x": F}


_pool = [F, F2, I, C]
_small_spaces = st.dictionaries(st.sampled_from("abcd"), st.sampled_from(_pool), max_size=4)
_histories = st.lists(st.tuples(st.sampled_from(list(TrialState)), _small_spaces), max_size=6)


def _reference(
    history: list[tuple[TrialState, dict[str, BaseDistribution]]], include_pruned: bool
) -> dict[str, BaseDistribution]:
    states = {TrialState.COMPLETE} | ({TrialState.PRUNED} if include_pruned else set())
    counted = [space for state, space in history if state in states]
    if not counted:
        return {}
    first = counted[0]
    return {
        name: first[name]
        for name in sorted(first)
        if all(space.get(name) == first[name] for space in counted)
    }


@FAST
@given(_histories, st.booleans(), st.randoms(use_true_random=False))
def test_intersection_matches_reference_and_ignores_order(
    history: list[tuple[TrialState, dict[str, BaseDistribution]]],
    include_pruned: bool,
    rnd: Any,
) -> None:
    trials = [_trial(state, space) for state, space in history]
    result = intersection_search_space(trials, include_pruned=include_pruned)
    assert result == _reference(history, include_pruned)
    assert list(result) == sorted(result)
    shuffled = list(trials)
    rnd.shuffle(shuffled)
    again = intersection_search_space(shuffled, include_pruned=include_pruned)
    assert list(again.items()) == list(result.items())


@FAST
@given(search_spaces(max_size=5))
def test_intersection_of_one_space_with_itself_is_that_space_sorted(
    space: dict[str, BaseDistribution],
) -> None:
    trials = [_trial(TrialState.COMPLETE, space), _trial(TrialState.COMPLETE, space)]
    result = intersection_search_space(trials)
    assert result == space
    assert list(result) == sorted(space)

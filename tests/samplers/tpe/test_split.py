from __future__ import annotations

import numpy as np

from tunelab import FrozenTrial, StudyDirection, TrialState
from tunelab.samplers.tpe._sampler import decompose
from tunelab.samplers.tpe._split import default_gamma, default_weights, split

MIN, MAX = StudyDirection.MINIMIZE, StudyDirection.MAXIMIZE


def _t(number, state=TrialState.COMPLETE, values=None, steps=None) -> FrozenTrial:
    return FrozenTrial(
        trial_id=number, number=number, state=state, values=values, intermediate_values=steps or {}
    )


def test_gamma_and_weights_defaults() -> None:
    assert [default_gamma(n) for n in (1, 10, 11, 100, 1000)] == [1, 1, 2, 10, 25]
    assert np.array_equal(default_weights(5), np.ones(5))
    w = default_weights(100)
    assert len(w) == 100 and np.all(np.diff(w) >= 0) and np.all(w[-25:] == 1.0)


def test_best_values_go_below_in_either_direction() -> None:
    trials = [_t(i, values=(v,)) for i, v in enumerate([5.0, 1.0, 3.0, 0.5])]
    below, above = split(trials, [MIN], 2)
    assert [t.number for t in below] == [1, 3] and [t.number for t in above] == [0, 2]
    below, _ = split(trials, [MAX], 1)
    assert [t.number for t in below] == [0]


def test_pruned_rank_after_complete_by_progress_and_running_stay_above() -> None:
    trials = [
        _t(0, values=(9.0,)),
        _t(1, TrialState.PRUNED, steps={0: 1.0, 5: 0.1}),
        _t(2, TrialState.PRUNED, steps={0: 0.0}),
        _t(3, TrialState.RUNNING),
        _t(4, TrialState.PRUNED),
    ]
    below, above = split(trials, [MIN], 2)
    assert [t.number for t in below] == [0, 1]  # the complete one, then the furthest pruned
    assert [t.number for t in above] == [2, 3, 4]
    below, above = split(trials, [MIN], 99)  # never more than the finished ones
    assert 3 not in [t.number for t in below]


def test_multi_objective_puts_the_pareto_front_first() -> None:
    trials = [
        _t(0, values=(1.0, 5.0)),
        _t(1, values=(5.0, 1.0)),
        _t(2, values=(6.0, 6.0)),
        _t(3, values=(2.0, 2.0)),
    ]
    below, above = split(trials, [MIN, MIN], 3)
    assert sorted(t.number for t in below) == [0, 1, 3]
    assert [t.number for t in above] == [2]


def test_decompose_partitions_into_co_occurring_groups() -> None:
    a, b, c, d = (("a", 1), ("b", 1), ("c", 1), ("d", 1))
    groups = decompose([frozenset({a, b, c}), frozenset({a, b, d}), frozenset({a, b})])
    assert sorted(sorted(k[0] for k in g) for g in groups) == [["a", "b"], ["c"], ["d"]]
    union = set().union(*groups)
    assert union == {a, b, c, d}
    assert sum(len(g) for g in groups) == len(union)  # disjoint

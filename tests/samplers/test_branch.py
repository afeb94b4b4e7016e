from __future__ import annotations

from collections import Counter

import tunelab as tl
from tunelab import FrozenTrial, TrialState
from tunelab.distributions import CategoricalDistribution, FloatDistribution
from tunelab.samplers import AutoSampler, GPSampler, RandomSampler, TPESampler
from tunelab.samplers._auto import ATTR
from tunelab.samplers._branch import BranchGPSampler, choose_branch

KIND = CategoricalDistribution(["a", "b", "c"])
SHAPE = CategoricalDistribution(["round", "square"])
X = FloatDistribution(0.0, 1.0)
Y = FloatDistribution(0.0, 1.0)


def _trial(number: int, value: float | None, kind: str, **extra: object) -> FrozenTrial:
    params: dict[str, object] = {"kind": kind, **extra}
    dists = {"kind": KIND}
    for name in extra:
        dists[name] = {"x": X, "y": Y, "shape": SHAPE}[name]
    return FrozenTrial(
        trial_id=number,
        number=number,
        state=TrialState.COMPLETE if value is not None else TrialState.RUNNING,
        values=(value,) if value is not None else None,
        params=params,  # type: ignore[arg-type]
        distributions=dists,
    )


def _history() -> list[FrozenTrial]:
    # branch a: kind=a, x (best 0.1); branch b: kind=b, y, shape (best 0.3);
    # branch c: kind=c, y (best 0.2) but only two trials
    return [
        _trial(0, 0.5, "a", x=0.1),
        _trial(1, 0.1, "a", x=0.2),
        _trial(2, 0.4, "a", x=0.9),
        _trial(3, 0.3, "b", y=0.5, shape="round"),
        _trial(4, 0.6, "b", y=0.1, shape="square"),
        _trial(5, 0.35, "b", y=0.7, shape="round"),
        _trial(6, 0.2, "c", y=0.3),
        _trial(7, 0.25, "c", y=0.4),
        _trial(8, None, "a", x=0.5),  # RUNNING: not a member of any branch
    ]


def test_even_turns_take_the_best_branch_and_odd_turns_the_others() -> None:
    history = _history()
    leader = choose_branch(history, maximize=False, turn=0)
    assert leader is not None
    assert leader.fixed == {"kind": "a"}
    assert set(leader.free) == {"x"}
    assert leader.trial_ids == {0, 1, 2}
    other = choose_branch(history, maximize=False, turn=1)
    assert other is not None
    # kind is the same on every trial of branch b, shape is not: only kind is fixed
    assert other.fixed == {"kind": "b"}
    assert set(other.free) == {"y", "shape"}
    # branch c has two trials only, below min_trials: it never qualifies...
    assert all(
        choose_branch(history, False, turn).fixed["kind"] in ("a", "b")  # type: ignore[union-attr]
        for turn in range(8)
    )
    # ...unless the bar is lowered; then it is the best branch
    assert choose_branch(history, False, 0, min_trials=2).fixed == {"kind": "a"}  # type: ignore[union-attr]
    assert choose_branch(history, False, 1, min_trials=2).fixed == {"kind": "c"}  # type: ignore[union-attr]


def test_maximising_ranks_the_other_way_and_no_qualifying_branch_is_none() -> None:
    history = _history()
    best = choose_branch(history, maximize=True, turn=0)
    assert best is not None and best.fixed == {"kind": "b"}  # 0.6 is the largest value
    assert choose_branch(history[:2], maximize=False) is None
    assert choose_branch([], maximize=False) is None


def _tree(trial: tl.Trial) -> float:
    """Branch b holds the optimum 0 at y = 0.73; branch a bottoms out at 0.05."""
    if trial.suggest_categorical("kind", ["a", "b"]) == "a":
        return 0.05 + (trial.suggest_float("x", 0.0, 1.0) - 0.4) ** 2
    return 3.0 * (trial.suggest_float("y", 0.0, 1.0) - 0.73) ** 2


def test_proposals_keep_the_branch_choices_and_refine_its_parameters() -> None:
    sampler = BranchGPSampler(GPSampler(seed=0, n_startup_trials=1), RandomSampler(seed=3))
    study = tl.create_study(sampler=sampler)
    study.optimize(_tree, n_trials=20)
    # until a branch has 3 trials everything comes from the fallback; after that every
    # trial is proposed in the branch of its turn
    first = next(t.number for t in study.trials if choose_branch(study.trials[: t.number], False))
    assert first >= 3
    for trial in study.trials[first:]:
        branch = choose_branch(
            [t for t in study.trials if t.number < trial.number and t.state.is_finished()],
            False,
            trial.number,
        )
        assert branch is not None
        assert trial.params["kind"] == branch.fixed["kind"]
        assert set(trial.params) == {"kind", *branch.free}


def test_auto_hands_every_third_trial_of_a_tree_space_to_the_branch_gp() -> None:
    study = tl.create_study(sampler=AutoSampler(seed=0))
    study.optimize(_tree, n_trials=45)
    chosen = Counter(t.system_attrs[ATTR] for t in study.trials)
    assert chosen["random"] == 10
    assert 9 <= chosen["branch-gp"] <= 13  # one in three of the 35 model-based trials
    assert chosen["branch-gp"] + chosen["tpe"] + chosen["tpe-wide"] == 35
    assert study.best_value < 1e-6  # branch b, refined by the GP
    for other in (RandomSampler(seed=0), TPESampler(seed=0)):  # 2e-4 and 2e-5 here
        baseline = tl.create_study(sampler=other)
        baseline.optimize(_tree, n_trials=45)
        assert baseline.best_value > 100 * study.best_value


def test_a_running_trial_on_the_branch_is_pending_for_the_next_proposal() -> None:
    sampler = BranchGPSampler(
        GPSampler(seed=0, n_startup_trials=1), RandomSampler(seed=1), every=2
    )
    study = tl.create_study(sampler=sampler)
    study.optimize(_tree, n_trials=8)
    first = study.ask()  # trials 8 and 9 share turn 4: the same branch
    kind = first.suggest_categorical("kind", ["a", "b"])
    name = "x" if kind == "a" else "y"
    a = first.suggest_float(name, 0.0, 1.0)
    second = study.ask()
    assert second.suggest_categorical("kind", ["a", "b"]) == kind
    b = second.suggest_float(name, 0.0, 1.0)
    # The GP has already pinned the optimum (0.73), so EI is nearly flat everywhere else;
    # with the first trial as a pending fantasy the second moves off it (1.5e-4 here),
    # without it the two proposals agree to 1e-9.
    assert abs(a - b) > 1e-6

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

import tunelab as tl
from tunelab.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from tunelab.exceptions import SearchSpaceExhausted
from tunelab.samplers import (
    BaseSampler,
    GridSampler,
    QMCSampler,
    RandomSampler,
    WaitingBatch,
)


class RecordingSampler(RandomSampler):
    """A random sampler that logs every hook call."""

    def __init__(self) -> None:
        super().__init__(seed=0)
        self.calls: list[tuple[Any, ...]] = []

    def before_trial(self, study: Any, trial: tl.FrozenTrial) -> None:
        self.calls.append(("before_trial", trial.number, trial.state))

    def infer_relative_search_space(self, study: Any, trial: tl.FrozenTrial) -> dict:
        self.calls.append(("infer", trial.number))
        return {}

    def sample_independent(self, study, trial, name, distribution):  # type: ignore[no-untyped-def]
        self.calls.append(("independent", trial.number, name))
        return super().sample_independent(study, trial, name, distribution)

    def after_trial(self, study: Any, trial: tl.FrozenTrial) -> None:
        self.calls.append(("after_trial", trial.number, trial.state))


class JointSampler(BaseSampler):
    """Draws ``x`` and ``y`` jointly (always at their upper bound), the rest at the low end."""

    SPACE: Mapping[str, BaseDistribution] = {
        "x": FloatDistribution(0.0, 1.0),
        "y": IntDistribution(0, 10),
    }

    def infer_relative_search_space(self, study: Any, trial: tl.FrozenTrial) -> dict:
        return dict(self.SPACE)

    def sample_relative(self, study, trial, search_space):  # type: ignore[no-untyped-def]
        return {name: dist.high for name, dist in search_space.items()}  # type: ignore[attr-defined]

    def sample_independent(self, study, trial, name, distribution):  # type: ignore[no-untyped-def]
        return distribution.low


def test_a_sampler_needs_only_sample_independent() -> None:
    class Lowest(BaseSampler):
        def sample_independent(self, study, trial, name, distribution):  # type: ignore[no-untyped-def]
            return distribution.low

    study = tl.create_study(sampler=Lowest())
    study.optimize(lambda t: t.suggest_int("a", 3, 5) + t.suggest_float("b", -1.0, 1.0), 2)
    assert [t.params for t in study.trials] == [{"a": 3, "b": -1.0}] * 2


def test_base_sampler_is_abstract() -> None:
    with pytest.raises(TypeError):
        BaseSampler()  # type: ignore[abstract]


def test_hooks_run_in_order_for_each_trial() -> None:
    sampler = RecordingSampler()
    study = tl.create_study(sampler=sampler)

    def objective(trial: tl.Trial) -> float:
        if trial.number == 1:
            raise ValueError("boom")
        return trial.suggest_float("x", 0.0, 1.0) + trial.suggest_int("n", 0, 3)

    study.optimize(objective, n_trials=2, catch=ValueError)
    running = tl.TrialState.RUNNING
    assert sampler.calls == [
        ("before_trial", 0, running),
        ("infer", 0),
        ("independent", 0, "x"),
        ("independent", 0, "n"),
        ("after_trial", 0, tl.TrialState.COMPLETE),
        ("before_trial", 1, running),
        ("infer", 1),
        ("after_trial", 1, tl.TrialState.FAIL),
    ]


def test_after_trial_is_called_by_tell_with_the_finished_trial() -> None:
    sampler = RecordingSampler()
    study = tl.create_study(sampler=sampler)
    trial = study.ask()
    trial.report(0.5, step=0)
    study.tell(trial, state=tl.TrialState.PRUNED)
    assert sampler.calls[-1] == ("after_trial", 0, tl.TrialState.PRUNED)


def test_relative_samples_are_used_and_the_rest_falls_back() -> None:
    study = tl.create_study(sampler=JointSampler())

    def objective(trial: tl.Trial) -> float:
        x = trial.suggest_float("x", 0.0, 1.0)
        y = trial.suggest_int("y", 0, 10)
        z = trial.suggest_float("z", -2.0, 2.0)  # outside the relative space
        w = trial.suggest_int("y2", 0, 10)
        return x + y + z + w

    study.optimize(objective, n_trials=2)
    for trial in study.trials:
        assert trial.params == {"x": 1.0, "y": 10, "z": -2.0, "y2": 0}


def test_relative_sample_is_ignored_when_the_distribution_differs() -> None:
    study = tl.create_study(sampler=JointSampler())
    study.optimize(lambda t: t.suggest_float("x", 5.0, 6.0), n_trials=1)
    assert study.trials[0].params == {"x": 5.0}


def test_sampler_value_outside_the_distribution_is_a_clear_error() -> None:
    class Broken(BaseSampler):
        def sample_independent(self, study, trial, name, distribution):  # type: ignore[no-untyped-def]
            return 42.0

    study = tl.create_study(sampler=Broken())
    with pytest.raises(ValueError, match=r"parameter 'x'.*Broken.*42.*outside"):
        study.optimize(lambda t: t.suggest_float("x", 0.0, 1.0), n_trials=1)
    assert study.trials[0].state is tl.TrialState.FAIL


def test_plan_waiting_batches_run_then_exhaustion_stops_the_study() -> None:
    class Planned(BaseSampler):
        def __init__(self) -> None:
            self.batches = 0

        def plan_waiting(self, study: Any) -> WaitingBatch:
            if self.batches == 2:
                raise SearchSpaceExhausted("done")
            self.batches += 1
            base = 10 * self.batches
            return WaitingBatch(key=f"b{self.batches}", params=[{"x": base}, {"x": base + 1}])

        def sample_independent(self, study, trial, name, distribution):  # type: ignore[no-untyped-def]
            return distribution.low

    study = tl.create_study(sampler=Planned())
    study.optimize(lambda t: t.suggest_int("x", 0, 100) + t.suggest_int("free", 7, 9))
    assert [t.params for t in study.trials] == [
        {"x": 10, "free": 7},
        {"x": 11, "free": 7},
        {"x": 20, "free": 7},
        {"x": 21, "free": 7},
    ]


def test_plan_waiting_repeating_a_batch_key_is_an_error_not_a_hang() -> None:
    class Stuck(BaseSampler):
        def plan_waiting(self, study: Any) -> WaitingBatch:
            return WaitingBatch(key="same", params=[{"x": 1}])

        def sample_independent(self, study, trial, name, distribution):  # type: ignore[no-untyped-def]
            return distribution.low

    study = tl.create_study(sampler=Stuck())
    study.optimize(lambda t: t.suggest_int("x", 0, 5), n_trials=1)
    with pytest.raises(RuntimeError, match="same"):
        study.ask()


def _samplers() -> list[tuple[str, Any]]:
    space = {
        "x": FloatDistribution(-1.0, 1.0),
        "n": IntDistribution(1, 8),
        "c": CategoricalDistribution(["a", "b"]),
    }
    return [
        ("random", lambda: RandomSampler(seed=0)),
        ("qmc-declared", lambda: QMCSampler(seed=0, search_space=space)),
        ("qmc-inferred", lambda: QMCSampler(seed=0)),
        (
            "grid",
            lambda: GridSampler({"x": [-1.0, 0.0, 1.0], "n": [1, 4, 8], "c": ["a", "b"]}),
        ),
    ]


def _objective(trial: tl.Trial) -> float:
    x = trial.suggest_float("x", -1.0, 1.0)
    n = trial.suggest_int("n", 1, 8)
    c = trial.suggest_categorical("c", ["a", "b"])
    return x * n + (c == "a")


@pytest.mark.parametrize("make", [m for _, m in _samplers()], ids=[n for n, _ in _samplers()])
def test_samplers_work_with_waiting_and_running_trials_present(make: Any) -> None:
    study = tl.create_study(sampler=make())
    study.optimize(_objective, n_trials=3)
    running = [study.ask() for _ in range(2)]  # left RUNNING
    for trial in running:
        trial.suggest_float("x", -1.0, 1.0)
    study.enqueue_trial({"x": 0.0, "n": 4}, user_attrs={"queued": 1})
    study.enqueue_trial({"c": "b"}, user_attrs={"queued": 2})
    study.optimize(_objective, n_trials=20)  # a grid (18 points) stops earlier by itself
    states = [t.state for t in study.trials]
    assert states.count(tl.TrialState.RUNNING) == 2
    assert tl.TrialState.FAIL not in states
    assert tl.TrialState.WAITING not in states
    done = study.get_trials(states=[tl.TrialState.COMPLETE])
    assert len(done) == len(states) - 2
    queued = {t.user_attrs["queued"]: t.params for t in done if "queued" in t.user_attrs}
    assert queued[1]["x"] == 0.0 and queued[1]["n"] == 4
    assert queued[2]["c"] == "b"
    for trial in done:
        assert -1.0 <= trial.params["x"] <= 1.0
        assert 1 <= trial.params["n"] <= 8
        assert trial.params["c"] in ("a", "b")
    for trial in running:
        study.tell(trial, 1.0)
    assert not study.get_trials(states=[tl.TrialState.RUNNING])

from __future__ import annotations

import pytest

import tunelab as tl
from tunelab.distributions import FloatDistribution, IntDistribution


def _objective(trial: tl.Trial | tl.FixedTrial) -> float:
    x = trial.suggest_float("x", -10.0, 10.0)
    n = trial.suggest_int("n", 1, 8)
    kind = trial.suggest_categorical("kind", ["a", "b"])
    if kind == "a":
        return x**2 + n + trial.suggest_float("extra", 0.0, 1.0)
    return x**2 + n


def test_returns_the_given_values() -> None:
    trial = tl.FixedTrial({"x": 1.5, "n": 3, "kind": "b", "unused": 1})
    assert trial.suggest_float("x", -10.0, 10.0) == 1.5
    assert trial.suggest_int("n", 1, 8) == 3
    assert trial.suggest_categorical("kind", ["a", "b"]) == "b"
    assert trial.params == {"x": 1.5, "n": 3, "kind": "b"}  # only what was suggested
    assert trial.distributions == {
        "x": FloatDistribution(-10.0, 10.0),
        "n": IntDistribution(1, 8),
        "kind": tl.distributions.CategoricalDistribution(["a", "b"]),
    }
    assert trial.number == 0
    assert tl.FixedTrial({}, number=7).number == 7


def test_value_types_follow_the_distribution() -> None:
    trial = tl.FixedTrial({"x": 2, "flag": True, "one": 1})
    x = trial.suggest_float("x", 0.0, 5.0)
    assert x == 2.0 and type(x) is float
    assert trial.suggest_categorical("flag", [False, True]) is True
    one = trial.suggest_categorical("one", [True, 1, "1"])
    assert one == 1 and type(one) is int


def test_reruns_the_best_configuration_of_a_study() -> None:
    study = tl.create_study(sampler=tl.samplers.RandomSampler(seed=0))
    study.optimize(_objective, n_trials=20)
    assert _objective(tl.FixedTrial(study.best_params)) == study.best_value


def test_same_name_same_distribution_returns_the_same_value() -> None:
    trial = tl.FixedTrial({"x": 0.5})
    assert trial.suggest_float("x", 0.0, 1.0) == trial.suggest_float("x", 0.0, 1.0) == 0.5


def test_same_name_another_distribution_is_an_error() -> None:
    trial = tl.FixedTrial({"x": 0.5})
    trial.suggest_float("x", 0.0, 1.0)
    with pytest.raises(ValueError, match="parameter 'x'"):
        trial.suggest_float("x", 0.0, 2.0)


def test_missing_parameter_is_a_clear_error() -> None:
    trial = tl.FixedTrial({"x": 0.5, "n": 2})
    with pytest.raises(ValueError, match=r"parameter 'lr'.*'x', 'n'"):
        trial.suggest_float("lr", 1e-5, 1e-1, log=True)
    with pytest.raises(ValueError, match=r"parameter 'lr'.*none"):
        tl.FixedTrial({}).suggest_float("lr", 1e-5, 1e-1, log=True)


@pytest.mark.parametrize(
    ("method", "args", "kwargs", "value"),
    [
        ("suggest_float", (0.0, 1.0), {}, 1.5),
        ("suggest_float", (0.0, 1.0), {}, -0.1),
        ("suggest_float", (0.0, 1.0), {"step": 0.25}, 0.3),
        ("suggest_float", (1e-3, 1.0), {"log": True}, 1e-4),
        ("suggest_float", (0.0, 1.0), {}, "0.5"),
        ("suggest_float", (0.0, 1.0), {}, float("nan")),
        ("suggest_int", (1, 8), {}, 9),
        ("suggest_int", (0, 10), {"step": 5}, 3),
        ("suggest_int", (0, 10), {}, 2.5),
        ("suggest_int", (0, 10), {}, True),
        ("suggest_categorical", (["a", "b"],), {}, "c"),
        ("suggest_categorical", ([1, 2],), {}, True),
    ],
)
def test_value_outside_the_distribution_is_a_clear_error(
    method: str, args: tuple, kwargs: dict, value: object
) -> None:
    trial = tl.FixedTrial({"p": value})
    with pytest.raises(ValueError, match=r"parameter 'p'") as info:
        getattr(trial, method)("p", *args, **kwargs)
    assert repr(value) in str(info.value)
    assert trial.params == {}


@pytest.mark.parametrize(
    ("low", "high", "step", "value"),
    [(0.1, 0.3, 0.1, 0.3), (0.0, 1.0, 0.1, 0.7), (131072.0, 131072.002, 0.001, 131072.001)],
)
def test_stepped_float_values_on_the_lattice_are_accepted(
    low: float, high: float, step: float, value: float
) -> None:
    assert tl.FixedTrial({"x": value}).suggest_float("x", low, high, step=step) == value


def test_report_should_prune_and_user_attrs() -> None:
    trial = tl.FixedTrial({})
    trial.report(0.5, step=0)
    trial.report(0.25, step=1)
    assert trial.intermediate_values == {0: 0.5, 1: 0.25}
    assert trial.should_prune() is False
    trial.set_user_attr("note", {"k": [1, 2]})
    assert trial.user_attrs == {"note": {"k": [1, 2]}}
    with pytest.raises(ValueError, match="JSON"):
        trial.set_user_attr("bad", object())
    with pytest.raises(ValueError, match="step"):
        trial.report(1.0, step=-1)


def test_an_objective_that_prunes_runs_to_the_end_with_a_fixed_trial() -> None:
    def objective(trial: tl.Trial | tl.FixedTrial) -> float:
        for step in range(3):
            trial.report(1.0 / (step + 1), step)
            if trial.should_prune():
                raise tl.TrialPruned()
        return trial.suggest_float("x", 0.0, 1.0)

    assert objective(tl.FixedTrial({"x": 0.75})) == 0.75

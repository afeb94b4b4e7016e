"""The suggest_* API, shared by Trial and FixedTrial."""

from __future__ import annotations

import math
from typing import Any

import pytest

import tunelab as tl
from tunelab.distributions import CategoricalDistribution, FloatDistribution, IntDistribution


def _live_trial() -> tl.Trial:
    return tl.create_study(sampler=tl.samplers.RandomSampler(seed=0)).ask()


def _fixed_trial() -> tl.FixedTrial:
    return tl.FixedTrial({"p": 1})


TRIALS = pytest.mark.parametrize("make", [_live_trial, _fixed_trial], ids=["trial", "fixed"])

INVALID = [
    ("suggest_float", (1.0, 0.0), {}, ["low=", "high="]),
    ("suggest_float", (math.nan, 1.0), {}, ["low="]),
    ("suggest_float", (0.0, math.inf), {}, ["high="]),
    ("suggest_float", ("0", 1.0), {}, ["low="]),
    ("suggest_float", (0.0, 1.0), {"log": True}, ["log=", "low="]),
    ("suggest_float", (-1.0, 1.0), {"log": True}, ["log=", "low="]),
    ("suggest_float", (1e-3, 1.0), {"log": True, "step": 0.1}, ["log=", "step="]),
    ("suggest_float", (0.0, 1.0), {"step": 0.0}, ["step="]),
    ("suggest_float", (0.0, 1.0), {"step": -0.5}, ["step="]),
    ("suggest_float", (0.0, 1.0), {"step": 0.3}, ["step="]),
    ("suggest_float", (0.0, 1.0), {"log": "yes"}, ["log="]),
    ("suggest_int", (5, 1), {}, ["low=", "high="]),
    ("suggest_int", (0.5, 3), {}, ["low="]),
    ("suggest_int", (0, 3.5), {}, ["high="]),
    ("suggest_int", (True, 3), {}, ["low="]),
    ("suggest_int", (0, 10), {"step": 0}, ["step="]),
    ("suggest_int", (0, 10), {"step": 3}, ["step="]),
    ("suggest_int", (0, 10), {"step": 1.5}, ["step="]),
    ("suggest_int", (0, 10), {"log": True}, ["log=", "low="]),
    ("suggest_int", (1, 9), {"log": True, "step": 2}, ["log=", "step="]),
    ("suggest_categorical", ([],), {}, ["choices"]),
    ("suggest_categorical", ([1, 2, 1],), {}, ["choices"]),
    ("suggest_categorical", ([[1], [2]],), {}, ["choices"]),
    ("suggest_categorical", ([1.0, math.nan],), {}, ["choices"]),
    ("suggest_categorical", ("abc",), {}, ["choices"]),
    ("suggest_categorical", ({"a": 1},), {}, ["choices"]),
]


@TRIALS
@pytest.mark.parametrize(
    ("method", "args", "kwargs", "tokens"),
    INVALID,
    ids=[f"{m}-{i}" for i, (m, *_) in enumerate(INVALID)],
)
def test_invalid_arguments_name_the_parameter_and_the_argument(
    make: Any, method: str, args: tuple, kwargs: dict, tokens: list[str]
) -> None:
    trial = make()
    with pytest.raises(ValueError) as info:
        getattr(trial, method)("p", *args, **kwargs)
    message = str(info.value)
    assert message.startswith("parameter 'p':"), message
    assert any(token in message for token in tokens), message
    assert trial.params == {}


@TRIALS
@pytest.mark.parametrize("name", ["", None, 3])
def test_parameter_name_must_be_a_non_empty_string(make: Any, name: Any) -> None:
    with pytest.raises(ValueError, match="name"):
        make().suggest_float(name, 0.0, 1.0)


def test_same_name_same_distribution_returns_the_same_value() -> None:
    study = tl.create_study()
    trial = study.ask()
    x = trial.suggest_float("x", 0.0, 1.0)
    n = trial.suggest_int("n", 0, 100)
    c = trial.suggest_categorical("c", ["a", "b", "c", "d"])
    for _ in range(5):
        assert trial.suggest_float("x", 0.0, 1.0) == x
        assert trial.suggest_int("n", 0, 100) == n
        assert trial.suggest_categorical("c", ("a", "b", "c", "d")) == c
    assert trial.params == {"x": x, "n": n, "c": c}
    assert study.trials[0].params == {"x": x, "n": n, "c": c}


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (("suggest_float", (0.0, 1.0), {}), ("suggest_float", (0.0, 2.0), {})),
        (("suggest_float", (0.1, 1.0), {}), ("suggest_float", (0.1, 1.0), {"log": True})),
        (("suggest_float", (0.0, 1.0), {}), ("suggest_float", (0.0, 1.0), {"step": 0.5})),
        (("suggest_float", (0.0, 4.0), {}), ("suggest_int", (0, 4), {})),
        (("suggest_int", (0, 4), {}), ("suggest_int", (0, 4), {"step": 2})),
        (("suggest_int", (0, 4), {}), ("suggest_categorical", ([0, 1, 2, 3, 4],), {})),
        (("suggest_categorical", (["a", "b"],), {}), ("suggest_categorical", (["b", "a"],), {})),
    ],
)
def test_same_name_with_another_distribution_is_an_error(first: tuple, second: tuple) -> None:
    study = tl.create_study()
    trial = study.ask()
    method, args, kwargs = first
    value = getattr(trial, method)("p", *args, **kwargs)
    method, args, kwargs = second
    with pytest.raises(ValueError, match="parameter 'p'"):
        getattr(trial, method)("p", *args, **kwargs)
    assert trial.params == {"p": value}
    assert study.tell(trial, 0.0).params == {"p": value}


def test_returned_types_match_the_distribution() -> None:
    study = tl.create_study(sampler=tl.samplers.RandomSampler(seed=0))

    def objective(trial: tl.Trial) -> float:
        assert type(trial.suggest_float("f", 0, 10)) is float  # int bounds, float value
        assert type(trial.suggest_float("fs", 0, 10, step=1)) is float
        assert type(trial.suggest_int("i", 0, 10)) is int
        assert type(trial.suggest_int("il", 1, 1000, log=True)) is int
        flag = trial.suggest_categorical("b", [True, False])
        assert type(flag) is bool
        one = trial.suggest_categorical("mixed", [1, 1.0, True, "1", None])
        assert one in (1, 1.0, True, "1", None)
        return 0.0

    study.optimize(objective, n_trials=30)
    mixed = [t.params["mixed"] for t in study.trials]
    assert {(type(v), v) for v in mixed} <= {
        (int, 1),
        (float, 1.0),
        (bool, True),
        (str, "1"),
        (type(None), None),
    }
    assert len({type(v) for v in mixed}) == 5


@pytest.mark.parametrize(
    ("method", "args", "kwargs", "expected"),
    [
        ("suggest_float", (2.5, 2.5), {}, 2.5),
        ("suggest_float", (2.5, 2.5), {"log": True}, 2.5),
        ("suggest_float", (1.0, 1.0), {"step": 0.5}, 1.0),
        ("suggest_int", (7, 7), {}, 7),
        ("suggest_int", (7, 7), {"log": True}, 7),
        ("suggest_categorical", (["only"],), {}, "only"),
    ],
)
def test_single_value_distributions(method: str, args: tuple, kwargs: dict, expected: Any) -> None:
    study = tl.create_study()
    study.optimize(lambda t: float(getattr(t, method)("p", *args, **kwargs) == expected), 3)
    assert [t.params["p"] for t in study.trials] == [expected] * 3
    assert [t.value for t in study.trials] == [1.0] * 3


def test_suggested_values_respect_steps_and_log_scales() -> None:
    study = tl.create_study(sampler=tl.samplers.RandomSampler(seed=0))

    def objective(trial: tl.Trial) -> float:
        trial.suggest_float("f_step", -1.0, 1.0, step=0.25)
        trial.suggest_int("i_step", 16, 256, step=16)
        trial.suggest_float("f_log", 1e-5, 1e-1, log=True)
        trial.suggest_int("i_log", 1, 1024, log=True)
        return 0.0

    study.optimize(objective, n_trials=100)
    dists = {
        "f_step": FloatDistribution(-1.0, 1.0, step=0.25),
        "i_step": IntDistribution(16, 256, step=16),
        "f_log": FloatDistribution(1e-5, 1e-1, log=True),
        "i_log": IntDistribution(1, 1024, log=True),
    }
    for trial in study.trials:
        assert trial.distributions == dists
        for name, dist in dists.items():
            assert dist.contains(dist.to_internal(trial.params[name]))
    assert all(t.params["i_step"] % 16 == 0 for t in study.trials)
    assert all((t.params["f_step"] * 4).is_integer() for t in study.trials)


def test_categorical_choices_may_be_a_tuple_and_hold_none() -> None:
    trial = tl.create_study().ask()
    value = trial.suggest_categorical("c", (None, "relu"))
    assert value in (None, "relu")
    assert trial.distributions["c"] == CategoricalDistribution((None, "relu"))

from __future__ import annotations

import math

import pandas as pd
import pytest

import tunelab as tl
from tunelab.storages import BaseStorage


def _objective(trial: tl.Trial) -> float:
    x = trial.suggest_float("x", 0.0, 1.0)
    kind = trial.suggest_categorical("kind", ["a", "b"])
    trial.set_user_attr("note", f"n{trial.number}")
    if kind == "a":
        trial.suggest_int("depth", 1, 4)
    if trial.number == 3:
        raise ValueError("boom")
    return x


def test_single_objective_columns_and_rows(storage: BaseStorage) -> None:
    study = tl.create_study(storage=storage, sampler=tl.samplers.RandomSampler(seed=1))
    study.optimize(_objective, n_trials=8, catch=ValueError)
    df = study.trials_dataframe()
    assert isinstance(df, pd.DataFrame)
    assert len(df) == 8
    for column in ["number", "value", "state", "datetime_start", "datetime_complete"]:
        assert column in df.columns
    assert {"params_x", "params_kind", "user_attrs_note"} <= set(df.columns)
    assert not any(c.startswith("values_") for c in df.columns)
    assert not any(c.startswith("system_attrs_") for c in df.columns)
    assert df["number"].tolist() == list(range(8))
    for trial, row in zip(study.trials, df.itertuples(index=False), strict=True):
        assert row.state == trial.state.name
        assert row.params_x == trial.params["x"]
        assert row.params_kind == trial.params["kind"]
        assert row.user_attrs_note == f"n{trial.number}"
        if trial.state is tl.TrialState.COMPLETE:
            assert row.value == trial.value
        else:
            assert pd.isna(row.value)


def test_conditional_params_are_missing_where_not_suggested(storage: BaseStorage) -> None:
    study = tl.create_study(storage=storage, sampler=tl.samplers.RandomSampler(seed=1))
    study.optimize(_objective, n_trials=12, catch=ValueError)
    df = study.trials_dataframe()
    for trial, depth in zip(study.trials, df["params_depth"], strict=True):
        if "depth" in trial.params:
            assert depth == trial.params["depth"]
        else:
            assert pd.isna(depth)


def test_multi_objective_has_one_column_per_value(storage: BaseStorage) -> None:
    study = tl.create_study(storage=storage, directions=["minimize", "maximize", "minimize"])
    study.optimize(lambda t: (t.suggest_float("x", 0, 1), 2.0, 3.0), n_trials=3)
    study.optimize(lambda t: math.nan, n_trials=1)
    df = study.trials_dataframe()
    assert {"values_0", "values_1", "values_2"} <= set(df.columns)
    assert "value" not in df.columns
    assert df["values_0"].tolist()[:3] == [t.values[0] for t in study.trials[:3]]  # type: ignore[index]
    assert df["values_1"].tolist()[:3] == [2.0] * 3
    assert df["state"].tolist() == ["COMPLETE"] * 3 + ["FAIL"]
    assert all(pd.isna(df.loc[3, f"values_{i}"]) for i in range(3))


@pytest.mark.parametrize(
    ("kwargs", "value_columns"),
    [({}, ["value"]), ({"directions": ["minimize", "maximize"]}, ["values_0", "values_1"])],
)
def test_empty_study_still_has_the_columns(kwargs: dict, value_columns: list[str]) -> None:
    df = tl.create_study(**kwargs).trials_dataframe()
    assert len(df) == 0
    assert {"number", "state", *value_columns} <= set(df.columns)


def test_system_attrs_on_request(storage: BaseStorage) -> None:
    study = tl.create_study(storage=storage)
    study.optimize(lambda t: math.nan, n_trials=1)
    df = study.trials_dataframe(include_system_attrs=True)
    assert "the objective returned nan" in df.loc[0, "system_attrs_fail_reason"]
    assert "system_attrs_fail_reason" not in study.trials_dataframe().columns


def test_duration_and_states_of_unfinished_trials(storage: BaseStorage) -> None:
    study = tl.create_study(storage=storage)
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)
    study.ask()
    study.enqueue_trial({"x": 0.5})
    df = study.trials_dataframe()
    assert df["state"].tolist() == ["COMPLETE", "RUNNING", "WAITING"]
    assert df.loc[0, "duration"] >= pd.Timedelta(0)
    assert pd.isna(df.loc[1, "duration"])
    assert pd.isna(df.loc[1, "datetime_complete"])
    assert pd.isna(df.loc[2, "datetime_start"])

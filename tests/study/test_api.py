from __future__ import annotations

import math

import pytest

import tunelab as tl
from tunelab.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from tunelab.exceptions import DuplicatedStudyError, StudyNotFoundError, TunelabError
from tunelab.storages import BaseStorage

MIN, MAX = tl.StudyDirection.MINIMIZE, tl.StudyDirection.MAXIMIZE


def _x(trial: tl.Trial) -> float:
    return trial.suggest_float("x", 0.0, 1.0)


# -- create_study ---------------------------------------------------------------------


def test_create_study_defaults(storage: BaseStorage) -> None:
    study = tl.create_study(storage=storage)
    assert study.direction is MIN
    assert study.directions == [MIN]
    assert isinstance(study.sampler, tl.samplers.AutoSampler)
    assert isinstance(study.pruner, tl.pruners.NopPruner)
    assert study.trials == []
    assert tl.get_all_study_names(storage) == [study.study_name]


def test_default_study_names_are_unique(storage: BaseStorage) -> None:
    names = {tl.create_study(storage=storage).study_name for _ in range(5)}
    assert len(names) == 5
    assert sorted(tl.get_all_study_names(storage)) == sorted(names)


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"direction": "maximize"}, [MAX]),
        ({"direction": "MINIMIZE"}, [MIN]),
        ({"direction": MAX}, [MAX]),
        ({"directions": ["minimize", "maximize"]}, [MIN, MAX]),
        ({"directions": (MAX, MAX, MIN)}, [MAX, MAX, MIN]),
        ({"directions": ["maximize"]}, [MAX]),
    ],
)
def test_directions(storage: BaseStorage, kwargs: dict, expected: list) -> None:
    study = tl.create_study(storage=storage, **kwargs)
    assert study.directions == expected


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"direction": "up"}, "direction"),
        ({"direction": 1}, "direction"),
        ({"directions": []}, "directions"),
        ({"directions": "minimize"}, "directions"),
        ({"directions": ["minimize", "sideways"]}, "direction"),
        ({"direction": "minimize", "directions": ["minimize"]}, "direction"),
        ({"study_name": ""}, "study_name"),
        ({"study_name": "   "}, "study_name"),
        ({"study_name": 3}, "study_name"),
        ({"sampler": object()}, "sampler"),
        ({"pruner": "median"}, "pruner"),
    ],
)
def test_create_study_rejects_bad_arguments(kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        tl.create_study(**kwargs)


def test_duplicate_name_is_an_error_that_suggests_load_if_exists(storage: BaseStorage) -> None:
    tl.create_study(storage=storage, study_name="s")
    with pytest.raises(DuplicatedStudyError, match="load_if_exists") as info:
        tl.create_study(storage=storage, study_name="s")
    assert isinstance(info.value, TunelabError)
    assert tl.get_all_study_names(storage) == ["s"]


def test_load_if_exists_resumes_the_existing_study(storage: BaseStorage) -> None:
    first = tl.create_study(storage=storage, study_name="s", direction="maximize")
    first.optimize(_x, n_trials=3)
    again = tl.create_study(storage=storage, study_name="s", load_if_exists=True)
    assert again.direction is MAX  # the stored directions win when none is given
    assert [t.number for t in again.trials] == [0, 1, 2]
    again.optimize(_x, n_trials=2)
    assert len(first.trials) == 5
    same = tl.create_study(
        storage=storage, study_name="s", direction="maximize", load_if_exists=True
    )
    assert len(same.trials) == 5


def test_load_if_exists_with_other_directions_is_an_error(storage: BaseStorage) -> None:
    tl.create_study(storage=storage, study_name="s", direction="maximize")
    with pytest.raises(ValueError, match="directions"):
        tl.create_study(storage=storage, study_name="s", direction="minimize", load_if_exists=True)
    with pytest.raises(ValueError, match="directions"):
        tl.create_study(
            storage=storage,
            study_name="s",
            directions=["maximize", "maximize"],
            load_if_exists=True,
        )


def test_load_if_exists_creates_a_missing_study(storage: BaseStorage) -> None:
    study = tl.create_study(storage=storage, study_name="new", load_if_exists=True)
    assert study.study_name == "new"
    assert tl.get_all_study_names(storage) == ["new"]


def test_storage_must_be_a_storage() -> None:
    with pytest.raises(ValueError, match="storage"):
        tl.create_study(storage=42)  # type: ignore[arg-type]


# -- load_study / delete_study / get_all_study_names ----------------------------------


def test_load_study_sees_the_same_trials_and_directions(storage: BaseStorage) -> None:
    study = tl.create_study(storage=storage, study_name="a", directions=["maximize", "minimize"])
    study.optimize(lambda t: (_x(t), 1.0), n_trials=3)
    loaded = tl.load_study(study_name="a", storage=storage)
    assert loaded.directions == [MAX, MIN]
    assert [t.values for t in loaded.trials] == [t.values for t in study.trials]


def test_load_study_uses_the_given_sampler_and_pruner(storage: BaseStorage) -> None:
    tl.create_study(storage=storage, study_name="a")
    sampler = tl.samplers.RandomSampler(seed=1)
    pruner = tl.pruners.NopPruner()
    loaded = tl.load_study(study_name="a", storage=storage, sampler=sampler, pruner=pruner)
    assert loaded.sampler is sampler
    assert loaded.pruner is pruner


def test_load_unknown_study_lists_the_known_ones(storage: BaseStorage) -> None:
    tl.create_study(storage=storage, study_name="alpha")
    tl.create_study(storage=storage, study_name="beta")
    with pytest.raises(StudyNotFoundError, match=r"'nope'.*'alpha'.*'beta'") as info:
        tl.load_study(study_name="nope", storage=storage)
    assert isinstance(info.value, KeyError)


def test_load_study_without_a_name_needs_exactly_one_study(storage: BaseStorage) -> None:
    with pytest.raises(ValueError, match="0"):
        tl.load_study(study_name=None, storage=storage)
    tl.create_study(storage=storage, study_name="only")
    assert tl.load_study(study_name=None, storage=storage).study_name == "only"
    tl.create_study(storage=storage, study_name="second")
    with pytest.raises(ValueError, match="only, second"):
        tl.load_study(study_name=None, storage=storage)


def test_get_all_study_names_in_creation_order(storage: BaseStorage) -> None:
    for name in ["c", "a", "b"]:
        tl.create_study(storage=storage, study_name=name)
    assert tl.get_all_study_names(storage) == ["c", "a", "b"]


def test_delete_study_removes_it_and_its_trials(storage: BaseStorage) -> None:
    doomed = tl.create_study(storage=storage, study_name="doomed")
    doomed.optimize(_x, n_trials=3)
    kept = tl.create_study(storage=storage, study_name="kept")
    kept.optimize(_x, n_trials=2)
    tl.delete_study(study_name="doomed", storage=storage)
    assert tl.get_all_study_names(storage) == ["kept"]
    with pytest.raises(StudyNotFoundError):
        tl.load_study(study_name="doomed", storage=storage)
    assert len(kept.trials) == 2
    reborn = tl.create_study(storage=storage, study_name="doomed")
    assert reborn.trials == []


def test_delete_unknown_study_is_an_error(storage: BaseStorage) -> None:
    with pytest.raises(StudyNotFoundError):
        tl.delete_study(study_name="ghost", storage=storage)


# -- create_trial / add_trial(s) ------------------------------------------------------


def test_add_trial_inserts_a_finished_trial(storage: BaseStorage) -> None:
    study = tl.create_study(storage=storage)
    dists = {
        "x": FloatDistribution(0.0, 1.0),
        "n": IntDistribution(1, 9, step=2),
        "c": CategoricalDistribution(["a", None]),
    }
    added = study.add_trial(
        tl.create_trial(
            value=0.25,
            params={"x": 0.5, "n": 3, "c": None},
            distributions=dists,
            user_attrs={"source": "paper"},
            intermediate_values={0: 1.0, 1: 0.5},
        )
    )
    assert added.number == 0
    assert added.state is tl.TrialState.COMPLETE
    (stored,) = study.trials
    assert stored.value == 0.25
    assert stored.params == {"x": 0.5, "n": 3, "c": None}
    assert stored.distributions == dists
    assert stored.user_attrs == {"source": "paper"}
    assert stored.intermediate_values == {0: 1.0, 1: 0.5}
    assert study.best_params == {"x": 0.5, "n": 3, "c": None}
    assert study.best_value == 0.25


def test_added_trials_count_towards_the_best_and_get_numbers(storage: BaseStorage) -> None:
    study = tl.create_study(storage=storage, direction="maximize")
    study.optimize(lambda t: _x(t) - 10.0, n_trials=2)
    dist = {"x": FloatDistribution(0.0, 1.0)}
    study.add_trials(
        [
            tl.create_trial(value=5.0, params={"x": 0.1}, distributions=dist),
            tl.create_trial(state=tl.TrialState.FAIL),
            tl.create_trial(state=tl.TrialState.PRUNED, value=100.0, params={}),
        ]
    )
    assert [t.number for t in study.trials] == [0, 1, 2, 3, 4]
    assert [t.state for t in study.trials[2:]] == [
        tl.TrialState.COMPLETE,
        tl.TrialState.FAIL,
        tl.TrialState.PRUNED,
    ]
    assert study.best_trial.number == 2  # a PRUNED trial never becomes best


def test_add_trial_multi_objective(storage: BaseStorage) -> None:
    study = tl.create_study(storage=storage, directions=["minimize", "maximize"])
    study.add_trial(tl.create_trial(values=[1.0, 2.0]))
    assert study.trials[0].values == (1.0, 2.0)
    with pytest.raises(ValueError, match="valid values"):
        study.add_trial(tl.create_trial(values=[1.0]))


@pytest.mark.parametrize(
    ("trial", "match"),
    [
        (tl.create_trial(state=tl.TrialState.RUNNING), "finished"),
        (tl.create_trial(state=tl.TrialState.WAITING), "finished"),
        (tl.create_trial(), "valid values"),
        (tl.create_trial(value=math.nan), "valid values"),
        (tl.create_trial(value=math.inf), "valid values"),
        (tl.create_trial(values=[1.0, 2.0]), "valid values"),
        (tl.create_trial(value=1.0, params={"x": 0.5}), "params and trial.distributions"),
        (
            tl.create_trial(
                value=1.0, params={"x": 2.0}, distributions={"x": FloatDistribution(0, 1)}
            ),
            r"parameter 'x'.*outside",
        ),
        (
            tl.create_trial(
                value=1.0,
                params={"c": "z"},
                distributions={"c": CategoricalDistribution(["a", "b"])},
            ),
            "parameter 'c'",
        ),
        ("not a trial", "FrozenTrial"),
    ],
)
def test_add_trial_rejects_invalid_trials(trial: object, match: str) -> None:
    study = tl.create_study()
    with pytest.raises(ValueError, match=match):
        study.add_trial(trial)  # type: ignore[arg-type]
    assert study.trials == []


def test_create_trial_rejects_value_and_values() -> None:
    with pytest.raises(ValueError, match="value"):
        tl.create_trial(value=1.0, values=[1.0])

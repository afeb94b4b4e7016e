"""What is specific to InMemoryStorage (the contract itself is in test_conformance.py)."""

from __future__ import annotations

import pytest

import tunelab as tl
from tunelab.storages import BaseStorage, InMemoryStorage

MIN = (tl.StudyDirection.MINIMIZE,)


def test_is_a_base_storage():
    assert isinstance(InMemoryStorage(), BaseStorage)


def test_instances_share_nothing():
    a = InMemoryStorage()
    b = InMemoryStorage()
    study = a.create_study("same-name", MIN)
    a.create_trial(study.study_id)
    assert b.list_studies() == []
    other = b.create_study("same-name", MIN)  # no DuplicatedStudyError across instances
    assert b.get_trials(other.study_id) == []
    assert len(a.get_trials(study.study_id)) == 1


def test_studies_of_create_study_without_storage_are_private():
    first = tl.create_study(study_name="private")
    second = tl.create_study(study_name="private")  # a fresh storage each time
    first.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    assert len(first.trials) == 2
    assert second.trials == []
    assert first.storage is not second.storage


def test_shared_instance_is_seen_by_load_study():
    storage = InMemoryStorage()
    study = tl.create_study(storage=storage, study_name="shared")
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    loaded = tl.load_study(study_name="shared", storage=storage)
    assert [t.number for t in loaded.trials] == [0, 1, 2]
    assert loaded.trials == study.trials


def test_reads_hand_out_equal_immutable_snapshots():
    storage = InMemoryStorage()
    study_id = storage.create_study("s", MIN).study_id
    trial = storage.create_trial(study_id)
    storage.set_trial_attr(trial.trial_id, "k", [1, 2])
    first = storage.get_trial(trial.trial_id)
    second = storage.get_trials(study_id)[0]
    assert first == second
    with pytest.raises(TypeError):
        first.user_attrs["k"] = "changed"  # type: ignore[index]
    assert storage.get_trial(trial.trial_id).user_attrs["k"] == [1, 2]


def test_trial_ids_are_unique_across_studies():
    storage = InMemoryStorage()
    a = storage.create_study("a", MIN).study_id
    b = storage.create_study("b", MIN).study_id
    ids = [storage.create_trial(s).trial_id for s in (a, b, a, b)]
    assert len(set(ids)) == 4
    assert storage.get_trial(ids[1]).number == 0
    assert storage.get_trial(ids[2]).number == 1

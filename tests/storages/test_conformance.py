"""Run the storage conformance suite over every backend of the ``storage`` fixture."""

from __future__ import annotations

import pytest

import tunelab as tl
from tunelab._records import FrozenTrial
from tunelab.storages import InMemoryStorage
from tunelab.testing.storage_suite import StorageConformance


class TestStorageConformance(StorageConformance):
    """Every test of the suite, once per backend in ``tests/conftest.py``."""


# -- the suite itself catches broken backends ------------------------------------------


class _ClaimsWithoutMarking(InMemoryStorage):
    """Hands out the oldest WAITING trial but leaves it WAITING, so it is handed out again."""

    def claim_waiting_trial(self, study_id: int, worker_id: str) -> FrozenTrial | None:
        waiting = self.get_trials(study_id, states=[tl.TrialState.WAITING])
        return waiting[0] if waiting else None


class _RepeatableBatches(InMemoryStorage):
    """Forgets batch keys, so a batch can be inserted twice."""

    def enqueue_batch(self, study_id, key, templates):
        for template in templates:
            self.create_trial(study_id, state=tl.TrialState.WAITING, template=template)
        return True


class _IgnoresMinNumber(InMemoryStorage):
    """Returns every trial whatever ``min_number`` says."""

    def get_trials(self, study_id, *, states=None, min_number=0):
        return super().get_trials(study_id, states=states)


def test_suite_detects_repeated_claims():
    with pytest.raises(AssertionError):
        StorageConformance().test_claim_is_fifo_and_exactly_once(_ClaimsWithoutMarking())


def test_suite_detects_repeated_batches():
    with pytest.raises(AssertionError):
        StorageConformance().test_enqueue_batch_once_per_key(_RepeatableBatches())


def test_suite_detects_ignored_min_number():
    with pytest.raises(AssertionError):
        StorageConformance().test_get_trials_filters(_IgnoresMinNumber())

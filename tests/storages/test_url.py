from __future__ import annotations

import pytest

import tunelab as tl
from tunelab.storages import BaseStorage, InMemoryStorage, get_storage


def test_none_gives_a_fresh_in_memory_storage():
    first = get_storage(None)
    second = get_storage(None)
    assert isinstance(first, InMemoryStorage)
    assert isinstance(second, InMemoryStorage)
    assert first is not second
    first.create_study("only-in-first", (tl.StudyDirection.MINIMIZE,))
    assert second.list_studies() == []


def test_an_instance_is_returned_as_is(storage: BaseStorage):
    assert get_storage(storage) is storage


@pytest.mark.parametrize("url", ["mysql://user@host/db", "ftp://host/x", "", "not a url"])
def test_an_unsupported_url_is_rejected_naming_storage(url):
    with pytest.raises(ValueError, match=r"storage="):
        get_storage(url)


@pytest.mark.parametrize("value", [0, 3.5, b"sqlite://", ["x"], object(), InMemoryStorage])
def test_other_values_are_rejected_naming_storage(value):
    with pytest.raises(ValueError, match=r"storage=") as info:
        get_storage(value)
    assert "BaseStorage" in str(info.value)


def test_create_study_rejects_a_bad_storage():
    with pytest.raises(ValueError, match=r"storage="):
        tl.create_study(storage=42)  # type: ignore[arg-type]

"""Shared fixtures."""

from __future__ import annotations

from collections.abc import Callable

import pytest

import tunelab as tl
from tunelab.storages import BaseStorage


def _in_memory() -> BaseStorage:
    return tl.storages.InMemoryStorage()


STORAGE_FACTORIES: dict[str, Callable[[], BaseStorage]] = {"in_memory": _in_memory}


@pytest.fixture(params=sorted(STORAGE_FACTORIES))
def storage(request: pytest.FixtureRequest) -> BaseStorage:
    """Every storage backend, fresh for each test."""
    return STORAGE_FACTORIES[request.param]()

"""Shared fixtures."""

from __future__ import annotations

from collections.abc import Callable, Iterator

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


@pytest.fixture(scope="session")
def postgres_base_url() -> Iterator[str]:
    """A throwaway PostgreSQL server on 127.0.0.1 for the whole session."""
    from tests._postgres import postgres_server

    with postgres_server() as base_url:
        yield base_url

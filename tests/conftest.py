"""Shared fixtures: every storage backend, including a real PostgreSQL server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import tunelab as tl
from tunelab.storages import BaseStorage

BACKENDS = ["in_memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(scope="session")
def postgres_base_url() -> Iterator[str]:
    """A throwaway PostgreSQL server on 127.0.0.1 for the whole session."""
    from tests._postgres import postgres_server

    with postgres_server() as base_url:
        yield base_url


@pytest.fixture(scope="session")
def postgres_url(postgres_base_url: str) -> str:
    """One database on that server, shared by the tests (emptied before each use)."""
    from tests._postgres import create_database

    return create_database(postgres_base_url, "tunelab_tests")


@pytest.fixture(params=BACKENDS)
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[BaseStorage]:
    """Every storage backend, empty for each test."""
    if request.param == "in_memory":
        yield tl.storages.InMemoryStorage()
        return
    from tunelab.storages.rdb import RDBStorage

    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'study.db'}"
    else:
        from tests._postgres import reset_database

        url = request.getfixturevalue("postgres_url")
        reset_database(url)
    backend = RDBStorage(url)
    yield backend
    backend.dispose()

"""RDBStorage on real SQLite files and a real PostgreSQL server: processes, faults, schema."""

from __future__ import annotations

import multiprocessing
import os
import signal
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text

import tunelab as tl
from tests._postgres import create_database
from tests.storages import _workers
from tunelab.exceptions import StorageError
from tunelab.storages.rdb import RDBStorage

SPAWN = multiprocessing.get_context("spawn")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database (no schema yet) of each kind."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'study.db'}"
    else:
        base = request.getfixturevalue("postgres_base_url")
        name = f"t_{os.getpid()}_{time.monotonic_ns()}"
        yield create_database(base, name)


def _pool(n: int) -> multiprocessing.pool.Pool:
    return SPAWN.Pool(n)


def test_four_processes_by_fifty_trials_give_exactly_two_hundred(url: str) -> None:
    tl.create_study(storage=url, study_name="shared")
    start = time.time() + 2.0
    with _pool(4) as pool:
        done = pool.starmap(_workers.run_trials, [(url, "shared", 50, start)] * 4)
    assert done == [50] * 4
    trials = tl.load_study(study_name="shared", storage=url).trials
    assert [t.number for t in trials] == list(range(200))
    assert all(t.state is tl.TrialState.COMPLETE for t in trials)
    assert len({t.trial_id for t in trials}) == 200


def test_two_processes_evaluate_every_grid_point_exactly_once(url: str) -> None:
    tl.create_study(storage=url, study_name="grid")
    start = time.time() + 2.0
    with _pool(2) as pool:
        counts = pool.starmap(_workers.run_grid, [(url, "grid", start)] * 2)
    trials = tl.load_study(study_name="grid", storage=url).trials
    points = [(t.params["a"], t.params["b"]) for t in trials]
    assert sum(counts) == len(trials) == 18
    assert sorted(points) == sorted((a, b) for a in range(6) for b in "xyz")
    assert all(t.state is tl.TrialState.COMPLETE for t in trials)


def test_cold_start_of_eight_processes_creates_one_schema_and_one_study(url: str) -> None:
    start = time.time() + 3.0
    with _pool(8) as pool:
        names = pool.starmap(_workers.cold_start, [(url, start)] * 8)
    assert names == ["cold"] * 8
    storage = RDBStorage(url)
    assert [s.name for s in storage.list_studies()] == ["cold"]
    study = tl.load_study(study_name="cold", storage=storage)
    assert [t.number for t in study.trials] == list(range(16))


def test_sigkill_mid_write_leaves_a_consistent_loadable_study(url: str) -> None:
    tl.create_study(storage=url, study_name="killed")
    process = SPAWN.Process(target=_workers.write_forever, args=(url, "killed"))
    process.start()
    deadline = time.monotonic() + 60
    storage = RDBStorage(url)
    study_id = storage.get_study("killed").study_id
    while storage.count_trials(study_id) < 20 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert process.pid is not None
    os.kill(process.pid, signal.SIGKILL)
    process.join()
    study = tl.load_study(study_name="killed", storage=url)
    trials = study.trials
    assert len(trials) >= 20
    assert [t.number for t in trials] == list(range(len(trials)))
    running = [t for t in trials if t.state is tl.TrialState.RUNNING]
    assert len(running) <= 1  # at most the trial in flight
    for trial in trials:
        if trial.state is tl.TrialState.COMPLETE:
            assert set(trial.params) == {"x", "n"}
            assert sorted(trial.intermediate_values) == list(range(5))
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)  # still usable
    if url.startswith("sqlite"):
        path = url.removeprefix("sqlite:///")
        with sqlite3.connect(path) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_schema_matches_the_alembic_migration(tmp_path: Path) -> None:
    created = f"sqlite:///{tmp_path / 'created.db'}"
    migrated = f"sqlite:///{tmp_path / 'migrated.db'}"
    RDBStorage(created).dispose()
    before, after = tl.storages.rdb.upgrade(migrated)
    assert (before, after) == (None, "0001")

    def describe(url: str) -> dict[str, object]:
        engine = create_engine(url)
        insp = inspect(engine)
        out = {
            table: (
                sorted(
                    (c["name"], str(c["type"]), c["nullable"]) for c in insp.get_columns(table)
                ),
                sorted(insp.get_pk_constraint(table)["constrained_columns"]),
                sorted(tuple(fk["constrained_columns"]) for fk in insp.get_foreign_keys(table)),
                sorted(tuple(ix["column_names"]) for ix in insp.get_indexes(table)),
            )
            for table in insp.get_table_names()
        }
        engine.dispose()
        return out

    assert describe(created) == describe(migrated)
    RDBStorage(migrated).dispose()  # a migrated database opens without complaint


def test_a_newer_schema_is_refused_with_advice(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'newer.db'}"
    RDBStorage(url).dispose()
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()
    with pytest.raises(StorageError, match=r"9999.*newer tunelab"):
        RDBStorage(url)


def test_unversioned_tunelab_tables_are_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'damaged.db'}"
    RDBStorage(url).dispose()
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE alembic_version"))
    engine.dispose()
    with pytest.raises(StorageError, match="no schema version"):
        RDBStorage(url)


def test_read_only_database_gives_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "ro.db"
    tl.create_study(storage=f"sqlite:///{path}", study_name="s")
    readonly = f"sqlite:///file:{path}?mode=ro&uri=true"
    study = tl.load_study(study_name="s", storage=readonly)  # reading works
    assert study.trials == []
    with pytest.raises(StorageError, match="read-only"):
        study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)


def test_missing_directory_gives_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(StorageError, match="directory exists"):
        RDBStorage(f"sqlite:///{tmp_path / 'no' / 'such' / 'dir.db'}")


def test_storage_pickles_as_its_url(tmp_path: Path) -> None:
    import pickle

    url = f"sqlite:///{tmp_path / 'p.db'}"
    storage = RDBStorage(url)
    storage.create_study("s", [tl.StudyDirection.MINIMIZE])
    clone = pickle.loads(pickle.dumps(storage))
    assert isinstance(clone, RDBStorage) and clone.url == url
    assert [s.name for s in clone.list_studies()] == ["s"]


def test_finished_trials_are_served_from_the_cache_after_first_read(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    study = tl.create_study(storage=url, study_name="s")
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=5)
    reader = RDBStorage(url)
    first = reader.get_trials(reader.get_study("s").study_id)
    second = reader.get_trials(reader.get_study("s").study_id)
    assert all(a is b for a, b in zip(first, second, strict=True))


def test_a_killed_worker_s_trial_fails_after_the_grace_period_and_is_retried(url: str) -> None:
    tl.create_study(storage=url, study_name="hb", heartbeat_interval=0.2, grace_period=1.0)
    process = SPAWN.Process(target=_workers.hang_in_a_trial, args=(url, "hb"))
    process.start()
    storage = RDBStorage(url)
    study_id = storage.get_study("hb").study_id
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # wait until the trial has its parameters
        running = storage.get_trials(study_id, states=[tl.TrialState.RUNNING])
        if running and len(running[0].params) == 2:
            break
        time.sleep(0.05)
    assert process.pid is not None
    os.kill(process.pid, signal.SIGKILL)
    process.join()
    time.sleep(1.5)  # let the heartbeat go stale (the grace period is wall-clock time)
    study = tl.load_study(
        study_name="hb",
        storage=url,
        failed_trial_callback=tl.RetryFailedTrialCallback(max_retry=1),
    )
    study.optimize(
        lambda t: t.suggest_float("x", 0, 1) + len(t.suggest_categorical("kind", ["a", "b"])),
        n_trials=1,
    )
    dead, retry = study.trials
    assert dead.state is tl.TrialState.FAIL
    assert "no heartbeat" in str(dead.system_attrs["fail_reason"])
    assert retry.state is tl.TrialState.COMPLETE
    assert retry.params == dead.params
    assert tl.RetryFailedTrialCallback.retried_trial_number(retry) == dead.number
    assert tl.RetryFailedTrialCallback.retry_history(retry) == [dead.number]


def test_max_trials_holds_across_processes(url: str) -> None:
    tl.create_study(storage=url, study_name="capped", max_trials=30)
    start = time.time() + 2.0
    with _pool(4) as pool:
        pool.starmap(_workers.run_trials, [(url, "capped", 20, start)] * 4)
    trials = tl.load_study(study_name="capped", storage=url).trials
    assert [t.number for t in trials] == list(range(30))

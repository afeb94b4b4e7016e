"""export_study / import_study / copy_study: lossless JSON lines between any two storages."""

from __future__ import annotations

import io
import json
import math
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import tunelab as tl
from tests._postgres import create_database
from tunelab.exceptions import DuplicatedStudyError, StudyNotFoundError
from tunelab.storages import BaseStorage, InMemoryStorage, copy_study, export_study, import_study
from tunelab.storages.rdb import RDBStorage

ALL_STATES = set(tl.TrialState)


# -- helpers ---------------------------------------------------------------------------------


def build_rich_study(storage: BaseStorage, name: str = "rich") -> tl.Study:
    """A study with a trial in every state, non-finite intermediate values and attributes."""
    study = tl.create_study(storage=storage, study_name=name, direction="minimize")
    study.set_user_attr("owner", {"team": "ml", "tags": [1, 2, None]})
    study.set_user_attr("budget", 12.5)
    storage.set_study_attr(storage.get_study(name).study_id, "origin", "test", system=True)

    trial = study.ask()  # 0: COMPLETE, every kind of distribution
    x = trial.suggest_float("x", -5.0, 5.0)
    trial.suggest_int("n", 1, 64, log=True)
    trial.suggest_int("k", 0, 10, step=2)
    trial.suggest_categorical("opt", ["sgd", "adam", None, 1.5, True, 3])
    trial.suggest_float("lr", 1e-5, 1e-1, log=True)
    trial.suggest_float("drop", 0.0, 1.0, step=0.25)
    for step, value in enumerate([0.5, float("nan"), float("inf"), float("-inf")]):
        trial.report(value, step)
    trial.set_user_attr("note", "first")
    trial.set_user_attr("nested", {"a": [1, "b", None], "b": 2.5, "c": True})
    study.tell(trial, x * x)

    trial = study.ask()  # 1: PRUNED keeping its last (finite) reported value
    trial.suggest_float("x", -5.0, 5.0)
    trial.report(3.0, 0)
    trial.report(2.0, 7)
    study.tell(trial, state=tl.TrialState.PRUNED)

    trial = study.ask()  # 2: PRUNED whose last report is infinite (no value)
    trial.suggest_float("x", -5.0, 5.0)
    trial.report(float("-inf"), 3)
    study.tell(trial, state=tl.TrialState.PRUNED)

    trial = study.ask()  # 3: FAIL through a NaN objective (reason in system_attrs)
    trial.suggest_float("x", -5.0, 5.0)
    study.tell(trial, float("nan"))

    trial = study.ask()  # 4: FAIL told explicitly, no parameters
    study.tell(trial, state=tl.TrialState.FAIL)

    study.enqueue_trial({"x": 1.25}, user_attrs={"source": "manual"})
    trial = study.ask()  # 5: COMPLETE from an enqueued configuration
    study.tell(trial, trial.suggest_float("x", -5.0, 5.0) + 10.0)

    trial = study.ask()  # 6: RUNNING with a NaN report
    trial.suggest_float("x", -5.0, 5.0)
    trial.report(float("nan"), 0)
    trial.set_user_attr("worker", 1)

    study.enqueue_trial({"x": -1.0, "opt": "adam"}, user_attrs={"source": "queue"})  # 7: WAITING

    trials = study.trials
    assert {t.state for t in trials} == ALL_STATES
    assert [t.number for t in trials] == list(range(8))
    return study


def build_multi_study(storage: BaseStorage, name: str = "multi") -> tl.Study:
    study = tl.create_study(
        storage=storage, study_name=name, directions=["minimize", "maximize", "minimize"]
    )
    for values in ([1.0, 2.0, 3.0], [0.5, -1.0, 1e-300], [1e300, 0.0, -2.5]):
        trial = study.ask()
        trial.suggest_float("a", 0.0, 1.0)
        trial.report(float("inf"), 0)
        study.tell(trial, values)
    trial = study.ask()
    study.tell(trial, state=tl.TrialState.PRUNED)
    study.ask()
    return study


def _nan_safe(value: Any) -> Any:
    return "NaN" if isinstance(value, float) and math.isnan(value) else value


def trial_snapshot(trial: tl.FrozenTrial) -> dict[str, Any]:
    """Every field of a trial except its storage-specific id, with NaN made comparable."""
    return {
        "number": trial.number,
        "state": trial.state,
        "values": trial.values,
        "params": {k: (type(v).__name__, v) for k, v in trial.params.items()},
        "distributions": dict(trial.distributions),
        "intermediate_values": {
            step: (type(step).__name__, _nan_safe(value))
            for step, value in trial.intermediate_values.items()
        },
        "user_attrs": dict(trial.user_attrs),
        "system_attrs": dict(trial.system_attrs),
        "datetime_start": trial.datetime_start,
        "datetime_complete": trial.datetime_complete,
    }


def study_snapshot(storage: BaseStorage, name: str) -> dict[str, Any]:
    record = storage.get_study(name)
    return {
        "directions": record.directions,
        "user_attrs": dict(record.user_attrs),
        "system_attrs": dict(record.system_attrs),
        "trials": [trial_snapshot(t) for t in storage.get_trials(record.study_id)],
    }


def assert_same_study(
    source: BaseStorage, source_name: str, dest: BaseStorage, dest_name: str
) -> None:
    expected = study_snapshot(source, source_name)
    got = study_snapshot(dest, dest_name)
    assert got["directions"] == expected["directions"]
    assert got["user_attrs"] == expected["user_attrs"]
    assert got["system_attrs"] == expected["system_attrs"]
    assert [t["number"] for t in got["trials"]] == [t["number"] for t in expected["trials"]]
    for got_trial, expected_trial in zip(got["trials"], expected["trials"], strict=True):
        assert got_trial == expected_trial


def export_text(storage: BaseStorage, name: str) -> str:
    buffer = io.StringIO()
    export_study(storage, name, buffer)
    return buffer.getvalue()


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"non-standard JSON constant {name}")


def strict_loads(line: str) -> Any:
    return json.loads(line, parse_constant=_refuse_constant)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[RDBStorage]:
    """An RDBStorage on a fresh SQLite file or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'transfer.db'}"
    else:
        base = request.getfixturevalue("postgres_base_url")
        url = create_database(base, f"transfer_{uuid.uuid4().hex}")
    backend = RDBStorage(url)
    yield backend
    backend.dispose()


# -- round trips -----------------------------------------------------------------------------


def test_export_from_storage_import_into_memory_is_lossless(storage: BaseStorage) -> None:
    build_rich_study(storage)
    buffer = io.StringIO()
    assert export_study(storage, "rich", buffer) == 1 + 8
    buffer.seek(0)
    dest = InMemoryStorage()
    imported = import_study(dest, buffer)
    assert imported.name == "rich"
    assert dest.count_trials(imported.study_id) == 8
    assert_same_study(storage, "rich", dest, "rich")


def test_export_from_memory_import_into_storage_is_lossless(storage: BaseStorage) -> None:
    source = InMemoryStorage()
    build_rich_study(source)
    imported = import_study(storage, io.StringIO(export_text(source, "rich")))
    assert imported.directions == (tl.StudyDirection.MINIMIZE,)
    assert dict(imported.user_attrs) == {
        "owner": {"team": "ml", "tags": [1, 2, None]},
        "budget": 12.5,
    }
    assert dict(imported.system_attrs) == {"origin": "test"}
    assert_same_study(source, "rich", storage, "rich")


def test_copy_study_both_ways_between_storage_and_memory(storage: BaseStorage) -> None:
    build_rich_study(storage)
    memory = InMemoryStorage()
    copied = copy_study(storage, "rich", memory)
    assert copied.name == "rich"
    assert_same_study(storage, "rich", memory, "rich")
    back = copy_study(memory, "rich", storage, "rich-again")
    assert back.name == "rich-again"
    assert [s.name for s in storage.list_studies()] == ["rich", "rich-again"]
    assert_same_study(storage, "rich", storage, "rich-again")


def test_copy_study_through_a_database_and_back_is_lossless(
    storage: BaseStorage, database: RDBStorage
) -> None:
    build_rich_study(storage)
    build_multi_study(storage)
    for name in ("rich", "multi"):
        copy_study(storage, name, database)
        assert_same_study(storage, name, database, name)
        # A new storage object on the same database reads what was written, not a cache.
        reopened = RDBStorage(database.url)
        assert_same_study(storage, name, reopened, name)
        copy_study(reopened, name, storage, f"{name}-back")
        reopened.dispose()
        assert_same_study(storage, name, storage, f"{name}-back")


def test_multi_objective_study_round_trip(storage: BaseStorage) -> None:
    build_multi_study(storage)
    memory = InMemoryStorage()
    copy_study(storage, "multi", memory)
    record = memory.get_study("multi")
    assert [d.value for d in record.directions] == ["minimize", "maximize", "minimize"]
    values = [t.values for t in memory.get_trials(record.study_id)]
    assert values == [(1.0, 2.0, 3.0), (0.5, -1.0, 1e-300), (1e300, 0.0, -2.5), None, None]
    assert_same_study(storage, "multi", memory, "multi")


def test_copy_leaves_the_source_unchanged(storage: BaseStorage) -> None:
    build_rich_study(storage)
    before = study_snapshot(storage, "rich")
    copy_study(storage, "rich", InMemoryStorage())
    assert study_snapshot(storage, "rich") == before
    assert [s.name for s in storage.list_studies()] == ["rich"]


def test_an_empty_study_round_trips(storage: BaseStorage) -> None:
    tl.create_study(storage=storage, study_name="empty", direction="maximize")
    text = export_text(storage, "empty")
    assert len(text.splitlines()) == 1
    memory = InMemoryStorage()
    imported = import_study(memory, io.StringIO(text))
    assert imported.directions == (tl.StudyDirection.MAXIMIZE,)
    assert memory.get_trials(imported.study_id) == []


def test_imported_study_continues_with_dense_numbers_and_claims_waiting_trials(
    storage: BaseStorage,
) -> None:
    source = InMemoryStorage()
    build_rich_study(source)
    import_study(storage, io.StringIO(export_text(source, "rich")))
    study = tl.load_study(study_name="rich", storage=storage)
    trial = study.ask()  # the imported WAITING trial, with its enqueued parameters
    assert trial.number == 7
    assert trial.suggest_float("x", -5.0, 5.0) == -1.0
    assert trial.suggest_categorical("opt", ["sgd", "adam"]) == "adam"
    assert trial.user_attrs == {"source": "queue"}
    study.tell(trial, 0.0)
    assert study.ask().number == 8
    assert study.best_trial.number == 7


def test_import_with_a_new_name(storage: BaseStorage) -> None:
    build_rich_study(storage)
    text = export_text(storage, "rich")
    renamed = import_study(storage, io.StringIO(text), "renamed")
    assert renamed.name == "renamed"
    assert [s.name for s in storage.list_studies()] == ["rich", "renamed"]
    assert_same_study(storage, "rich", storage, "renamed")


def test_import_under_a_taken_name_raises_and_changes_nothing(storage: BaseStorage) -> None:
    build_rich_study(storage)
    before = study_snapshot(storage, "rich")
    with pytest.raises(DuplicatedStudyError, match="'rich'"):
        import_study(storage, io.StringIO(export_text(storage, "rich")))
    assert [s.name for s in storage.list_studies()] == ["rich"]
    assert study_snapshot(storage, "rich") == before


def test_export_of_an_unknown_study_raises_and_writes_nothing(storage: BaseStorage) -> None:
    buffer = io.StringIO()
    with pytest.raises(StudyNotFoundError, match="'ghost'"):
        export_study(storage, "ghost", buffer)
    assert buffer.getvalue() == ""


# -- the format ------------------------------------------------------------------------------


def test_every_line_is_standard_json(storage: BaseStorage) -> None:
    build_rich_study(storage)
    build_multi_study(storage)
    for name in ("rich", "multi"):
        lines = export_text(storage, name).splitlines()
        records = [strict_loads(line) for line in lines]  # raises on NaN / Infinity
        assert [r["kind"] for r in records] == ["study"] + ["trial"] * (len(lines) - 1)
        assert records[0]["format"] == 1
    rich = [strict_loads(line) for line in export_text(storage, "rich").splitlines()]
    assert rich[1]["intermediate_values"] == {
        "0": 0.5,
        "1": "nan",
        "2": "inf",
        "3": "-inf",
    }
    assert rich[3]["intermediate_values"] == {"3": "-inf"}
    assert rich[7]["intermediate_values"] == {"0": "nan"}
    assert [r["state"] for r in rich[1:]] == [
        "complete",
        "pruned",
        "pruned",
        "fail",
        "fail",
        "complete",
        "running",
        "waiting",
    ]


def test_non_finite_attributes_are_refused_so_exports_stay_standard_json(
    storage: BaseStorage,
) -> None:
    study = tl.create_study(storage=storage, study_name="attrs")
    with pytest.raises(ValueError, match="NaN or an infinity"):
        study.set_user_attr("ratio", float("inf"))
    trial = study.ask()
    with pytest.raises(ValueError, match="NaN or an infinity"):
        trial.set_user_attr("loss", float("nan"))
    with pytest.raises(ValueError, match="NaN or an infinity"):
        trial.set_user_attr("bounds", [float("-inf"), 1.0])
    trial.set_user_attr("loss", "nan")  # the suggested spelling works
    study.tell(trial, 1.0)
    assert study.user_attrs == {}
    text = export_text(storage, "attrs")
    for line in text.splitlines():
        strict_loads(line)
    memory = InMemoryStorage()
    imported = import_study(memory, io.StringIO(text))
    [copied] = memory.get_trials(imported.study_id)
    assert copied.user_attrs == {"loss": "nan"}


def test_blank_lines_are_ignored(storage: BaseStorage) -> None:
    build_rich_study(storage)
    lines = export_text(storage, "rich").splitlines()
    spaced = "\n\n" + "\n   \n".join(lines) + "\n\n"
    memory = InMemoryStorage()
    import_study(memory, io.StringIO(spaced))
    assert_same_study(storage, "rich", memory, "rich")


# -- import errors ---------------------------------------------------------------------------


def _lines(storage: BaseStorage) -> list[str]:
    build_rich_study(storage)
    return export_text(storage, "rich").splitlines()


def _with_header(lines: list[str], **changes: Any) -> str:
    header = json.loads(lines[0])
    header.update(changes)
    return json.dumps(header)


def _trial_without(line: str, key: str) -> str:
    record = json.loads(line)
    del record[key]
    return json.dumps(record)


BROKEN_INPUTS = {
    "bad JSON": (lambda ls: [ls[0], ls[1], '{"kind": "trial", "number": 1,'], 3, "not valid JSON"),
    "bad JSON after blank lines": (lambda ls: ["", ls[0], "", "not json"], 4, "not valid JSON"),
    "missing header": (lambda ls: ls[1:], 1, "study header"),
    "wrong format version": (
        lambda ls: [_with_header(ls, format=2), *ls[1:]],
        1,
        "format 1",
    ),
    "format version missing": (
        lambda ls: [json.dumps({k: v for k, v in json.loads(ls[0]).items() if k != "format"})],
        1,
        "format 1",
    ),
    "non-dense trial numbers": (lambda ls: [ls[0], ls[1], ls[3]], 3, "trial number 2"),
    "trials out of order": (lambda ls: [ls[0], ls[2], ls[1]], 2, "trial number 1"),
    "duplicate header": (lambda ls: [ls[0], ls[1], ls[0], ls[2]], 3, "second study header"),
    "not a record": (lambda ls: [ls[0], "[1, 2, 3]"], 2, "study or trial record"),
    "unknown kind": (lambda ls: [ls[0], '{"kind": "comment"}'], 2, "study or trial record"),
    "invalid state": (
        lambda ls: [ls[0], ls[1].replace('"state": "complete"', '"state": "done"')],
        2,
        "invalid trial record",
    ),
    "trial without state": (
        lambda ls: [ls[0], _trial_without(ls[1], "state")],
        2,
        "invalid trial record",
    ),
    "trial without number": (lambda ls: [ls[0], _trial_without(ls[1], "number")], 2, "line 2"),
    "header without name": (
        lambda ls: [json.dumps({"kind": "study", "format": 1}), *ls[1:]],
        1,
        "line 1",
    ),
}


@pytest.mark.parametrize("case", sorted(BROKEN_INPUTS))
def test_import_errors_name_the_line(storage: BaseStorage, case: str) -> None:
    make, lineno, fragment = BROKEN_INPUTS[case]
    text = "\n".join(make(_lines(storage))) + "\n"
    with pytest.raises(ValueError) as exc:
        import_study(InMemoryStorage(), io.StringIO(text))
    message = str(exc.value)
    assert message.startswith(f"line {lineno}: "), message
    assert fragment in message


@pytest.mark.parametrize("text", ["", "\n", "  \n\n\t\n"])
def test_import_of_empty_input_says_so(text: str) -> None:
    dest = InMemoryStorage()
    with pytest.raises(ValueError, match="empty"):
        import_study(dest, io.StringIO(text))
    assert dest.list_studies() == []


def test_a_failed_import_leaves_no_partial_study(storage: BaseStorage) -> None:
    source = InMemoryStorage()
    lines = _lines(source)
    broken = "\n".join([lines[0], lines[1], lines[2], lines[4]]) + "\n"  # trial 2 is missing
    with pytest.raises(ValueError, match="line 4"):
        import_study(storage, io.StringIO(broken))
    assert storage.list_studies() == []
    # The intact export can then be imported under the same name.
    import_study(storage, io.StringIO("\n".join(lines)))
    assert_same_study(source, "rich", storage, "rich")

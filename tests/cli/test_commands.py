"""End-to-end tests of every ``tunelab`` subcommand against real SQLite files (and PostgreSQL).

Each test builds its studies with the public API in a fresh SQLite file, runs the command
in-process through :func:`tunelab.cli.main` (or the installed console script), and checks
what it printed and what it left in the database.
"""

from __future__ import annotations

import csv
import io
import json
import math
import subprocess
import sys
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

import tunelab as tl
from tests._postgres import create_database
from tunelab.cli import main

ALL_STATES = set(tl.TrialState)


# -- helpers ---------------------------------------------------------------------------------


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run ``tunelab ARGS`` in-process; return (exit status, stdout, stderr)."""
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def assert_one_line_error(code: int, out: str, err: str, *fragments: str) -> None:
    """Exit status 1 and a single ``tunelab: error: ...`` line, no traceback."""
    assert code == 1, (code, out, err)
    assert "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("tunelab: error: "), err
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])


def argparse_exit(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int | str | None, str]:
    with pytest.raises(SystemExit) as exc:
        main(list(args))
    return exc.value.code, capsys.readouterr().err


def _deterministic(
    study: tl.Study,
    x: float,
    opt: str,
    values: float | list[float] | None = None,
    state: tl.TrialState | None = None,
) -> tl.FrozenTrial:
    """One trial with known parameters (enqueued, then claimed by ask())."""
    study.enqueue_trial({"x": x, "opt": opt})
    trial = study.ask()
    trial.suggest_float("x", -10.0, 10.0)
    trial.suggest_categorical("opt", ["sgd", "adam"])
    return study.tell(trial, values, state)


def build_listing_db(path: Path) -> str:
    """Studies 'single' (minimize), 'multi' (minimize, maximize) and 'unfinished' (maximize)."""
    url = sqlite_url(path)
    single = tl.create_study(storage=url, study_name="single", direction="minimize")
    _deterministic(single, 0.5, "sgd", 3.0)
    _deterministic(single, -2.25, "adam", 1.0)
    _deterministic(single, 4.0, "sgd", 2.0)
    _deterministic(single, 1.5, "adam", state=tl.TrialState.PRUNED)
    _deterministic(single, 7.0, "sgd", float("nan"))  # FAIL with a fail_reason

    multi = tl.create_study(storage=url, study_name="multi", directions=["minimize", "maximize"])
    _deterministic(multi, 1.0, "sgd", [1.0, 1.0])
    _deterministic(multi, 2.0, "adam", [2.0, 3.0])
    _deterministic(multi, 3.0, "sgd", [3.0, 2.0])  # dominated by trial 1

    unfinished = tl.create_study(storage=url, study_name="unfinished", direction="maximize")
    _deterministic(unfinished, 0.0, "sgd", state=tl.TrialState.FAIL)
    unfinished.ask()  # RUNNING
    return url


@pytest.fixture
def db(tmp_path: Path) -> str:
    return build_listing_db(tmp_path / "listing.db")


def build_rich_study(url: str, name: str = "rich") -> tl.Study:
    """A study with a trial in every state, non-finite intermediate values and attributes."""
    study = tl.create_study(storage=url, study_name=name, direction="minimize")
    study.set_user_attr("owner", {"team": "ml", "tags": [1, 2, None]})
    storage = study.storage
    storage.set_study_attr(storage.get_study(name).study_id, "origin", "cli-test", system=True)

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
    trial.set_user_attr("nested", {"a": [1, "b", None], "b": 2.5})
    study.tell(trial, x * x)

    trial = study.ask()  # 1: PRUNED with a finite last value, so it keeps a value
    trial.suggest_float("x", -5.0, 5.0)
    trial.report(3.0, 0)
    trial.report(2.0, 7)
    study.tell(trial, state=tl.TrialState.PRUNED)

    trial = study.ask()  # 2: PRUNED whose last report is infinite
    trial.suggest_float("x", -5.0, 5.0)
    trial.report(float("inf"), 0)
    study.tell(trial, state=tl.TrialState.PRUNED)

    trial = study.ask()  # 3: FAIL with a reason in system_attrs
    trial.suggest_float("x", -5.0, 5.0)
    study.tell(trial, float("nan"))

    trial = study.ask()  # 4: FAIL without values
    study.tell(trial, state=tl.TrialState.FAIL)

    study.enqueue_trial({"x": 1.25}, user_attrs={"source": "manual"})
    trial = study.ask()  # 5: COMPLETE from an enqueued configuration
    study.tell(trial, trial.suggest_float("x", -5.0, 5.0) + 10.0)

    trial = study.ask()  # 6: RUNNING
    trial.suggest_float("x", -5.0, 5.0)
    trial.report(float("nan"), 0)
    trial.set_user_attr("worker", 1)

    study.enqueue_trial({"x": -1.0}, user_attrs={"source": "queue"})  # 7: WAITING

    trials = study.trials
    assert {t.state for t in trials} == ALL_STATES
    assert [t.number for t in trials] == list(range(8))
    return study


def _nan_safe(value: Any) -> Any:
    return "NaN" if isinstance(value, float) and math.isnan(value) else value


def trial_snapshot(trial: tl.FrozenTrial) -> dict[str, Any]:
    """Every stored field of a trial except its storage-specific id, NaN made comparable."""
    return {
        "number": trial.number,
        "state": trial.state,
        "values": trial.values,
        "params": {k: (type(v).__name__, v) for k, v in trial.params.items()},
        "distributions": dict(trial.distributions),
        "intermediate_values": {
            step: _nan_safe(value) for step, value in trial.intermediate_values.items()
        },
        "user_attrs": dict(trial.user_attrs),
        "system_attrs": dict(trial.system_attrs),
        "datetime_start": trial.datetime_start,
        "datetime_complete": trial.datetime_complete,
    }


def study_snapshot(url: str, name: str) -> dict[str, Any]:
    storage = tl.storages.get_storage(url)
    record = storage.get_study(name)
    return {
        "directions": record.directions,
        "user_attrs": dict(record.user_attrs),
        "system_attrs": dict(record.system_attrs),
        "trials": [trial_snapshot(t) for t in storage.get_trials(record.study_id)],
    }


def assert_same_study(source_url: str, source: str, dest_url: str, dest: str) -> None:
    expected = study_snapshot(source_url, source)
    got = study_snapshot(dest_url, dest)
    assert got["directions"] == expected["directions"]
    assert got["user_attrs"] == expected["user_attrs"]
    assert got["system_attrs"] == expected["system_attrs"]
    assert len(got["trials"]) == len(expected["trials"])
    for got_trial, expected_trial in zip(got["trials"], expected["trials"], strict=True):
        assert got_trial == expected_trial


@pytest.fixture
def rich(tmp_path: Path) -> str:
    url = sqlite_url(tmp_path / "rich.db")
    build_rich_study(url)
    return url


@pytest.fixture
def pg_url(postgres_base_url: str) -> str:
    return create_database(postgres_base_url, f"cli_{uuid.uuid4().hex}")


def table_rows(out: str) -> list[list[str]]:
    """The rows of an aligned table (header and dashes checked, then dropped)."""
    lines = out.splitlines()
    assert len(lines) >= 2
    assert set(lines[1].replace(" ", "")) == {"-"}
    return [line.split() for line in lines[2:]]


# -- studies -----------------------------------------------------------------------------------


def test_studies_table_lists_every_study_with_counts_and_best_value(
    capsys: pytest.CaptureFixture[str], db: str
) -> None:
    code, out, err = run_cli(capsys, "studies", db)
    assert code == 0 and err == ""
    assert out.splitlines()[0].split() == [
        "name",
        "directions",
        "trials",
        "complete",
        "best_value",
        "created",
    ]
    rows = {row[0]: row for row in table_rows(out)}
    assert list(rows) == ["single", "multi", "unfinished"]
    assert rows["single"][1:5] == ["minimize", "5", "3", "1"]
    assert rows["multi"][1:4] == ["minimize,maximize", "3", "3"]
    assert len(rows["multi"]) == 5  # no best value for several objectives
    assert rows["unfinished"][1:4] == ["maximize", "2", "0"]
    assert len(rows["unfinished"]) == 5  # no COMPLETE trial, no best value


def test_studies_csv(capsys: pytest.CaptureFixture[str], db: str) -> None:
    code, out, _ = run_cli(capsys, "studies", db, "--format", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["name"] for r in rows] == ["single", "multi", "unfinished"]
    by_name = {r["name"]: r for r in rows}
    assert by_name["single"]["directions"] == "minimize"
    assert by_name["multi"]["directions"] == "minimize,maximize"
    assert [by_name[n]["trials"] for n in by_name] == ["5", "3", "2"]
    assert [by_name[n]["complete"] for n in by_name] == ["3", "3", "0"]
    assert float(by_name["single"]["best_value"]) == 1.0
    assert by_name["multi"]["best_value"] == by_name["unfinished"]["best_value"] == ""
    for row in rows:
        assert datetime.fromisoformat(row["created"]).tzinfo is not None


def test_studies_json(capsys: pytest.CaptureFixture[str], db: str) -> None:
    code, out, _ = run_cli(capsys, "studies", db, "--format", "json")
    assert code == 0
    rows = json.loads(out)
    assert [r["name"] for r in rows] == ["single", "multi", "unfinished"]
    single, multi, unfinished = rows
    assert single["directions"] == "minimize"
    assert (single["trials"], single["complete"], single["best_value"]) == (5, 3, 1.0)
    assert (multi["trials"], multi["complete"], multi["best_value"]) == (3, 3, None)
    assert (unfinished["trials"], unfinished["complete"], unfinished["best_value"]) == (2, 0, None)
    created = [datetime.fromisoformat(r["created"]) for r in rows]
    assert created == sorted(created)


def test_studies_of_an_empty_database_prints_only_the_header(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    url = sqlite_url(tmp_path / "empty.db")
    assert run_cli(capsys, "storage", "upgrade", url)[0] == 0
    code, out, _ = run_cli(capsys, "studies", url, "--format", "json")
    assert (code, json.loads(out)) == (0, [])
    code, out, _ = run_cli(capsys, "studies", url, "--format", "csv")
    assert (code, out) == (0, "name,directions,trials,complete,best_value,created\n")


# -- trials ------------------------------------------------------------------------------------


def test_trials_table_has_one_row_per_trial_and_param_columns(
    capsys: pytest.CaptureFixture[str], db: str
) -> None:
    code, out, err = run_cli(capsys, "trials", db, "--study", "single")
    assert code == 0 and err == ""
    header = out.splitlines()[0].split()
    assert header == ["number", "state", "value", "duration_s", "params_opt", "params_x", "note"]
    rows = table_rows(out)
    assert [r[0] for r in rows] == ["0", "1", "2", "3", "4"]
    assert [r[1] for r in rows] == ["COMPLETE", "COMPLETE", "COMPLETE", "PRUNED", "FAIL"]
    assert rows[1][2] == "1"
    assert rows[1][4:6] == ["adam", "-2.25"]
    assert "not a finite number" in out.splitlines()[-1]


def test_trials_csv_parses_with_the_csv_module(
    capsys: pytest.CaptureFixture[str], db: str
) -> None:
    code, out, _ = run_cli(capsys, "trials", db, "--study", "single", "--format", "csv")
    assert code == 0
    reader = csv.DictReader(io.StringIO(out))
    assert reader.fieldnames == [
        "number",
        "state",
        "value",
        "duration_s",
        "params_opt",
        "params_x",
        "note",
    ]
    rows = list(reader)
    assert [r["number"] for r in rows] == ["0", "1", "2", "3", "4"]
    assert [r["state"] for r in rows] == ["COMPLETE", "COMPLETE", "COMPLETE", "PRUNED", "FAIL"]
    assert [r["value"] for r in rows] == ["3", "1", "2", "", ""]
    assert [float(r["params_x"]) for r in rows] == [0.5, -2.25, 4.0, 1.5, 7.0]
    assert [r["params_opt"] for r in rows] == ["sgd", "adam", "sgd", "adam", "sgd"]
    assert rows[4]["note"] == "the objective returned nan, which is not a finite number"
    assert all(r["note"] == "" for r in rows[:4])
    assert all(float(r["duration_s"]) >= 0 for r in rows)


def test_trials_json_parses_and_keeps_types(capsys: pytest.CaptureFixture[str], db: str) -> None:
    code, out, _ = run_cli(capsys, "trials", db, "--study", "single", "--format", "json")
    assert code == 0
    rows = json.loads(out)
    assert [r["number"] for r in rows] == [0, 1, 2, 3, 4]
    assert [r["value"] for r in rows] == [3.0, 1.0, 2.0, None, None]
    assert [r["params_x"] for r in rows] == [0.5, -2.25, 4.0, 1.5, 7.0]
    assert all(set(r) >= {"params_x", "params_opt", "state", "duration_s", "note"} for r in rows)


def test_trials_state_filter(capsys: pytest.CaptureFixture[str], db: str) -> None:
    code, out, _ = run_cli(
        capsys, "trials", db, "--study", "single", "--state", "complete", "--format", "json"
    )
    assert code == 0
    rows = json.loads(out)
    assert [r["number"] for r in rows] == [0, 1, 2]
    assert {r["state"] for r in rows} == {"COMPLETE"}

    code, out, _ = run_cli(
        capsys,
        "trials",
        db,
        "--study",
        "single",
        "--state",
        "pruned",
        "--state",
        "fail",
        "--format",
        "csv",
    )
    assert code == 0
    assert [(r["number"], r["state"]) for r in csv.DictReader(io.StringIO(out))] == [
        ("3", "PRUNED"),
        ("4", "FAIL"),
    ]

    code, out, _ = run_cli(capsys, "trials", db, "--study", "single", "--state", "waiting")
    assert code == 0
    assert table_rows(out) == []


def test_trials_of_a_multi_objective_study_has_one_column_per_objective(
    capsys: pytest.CaptureFixture[str], db: str
) -> None:
    code, out, _ = run_cli(capsys, "trials", db, "--study", "multi", "--format", "csv")
    assert code == 0
    reader = csv.DictReader(io.StringIO(out))
    assert reader.fieldnames is not None
    assert reader.fieldnames[:4] == ["number", "state", "values_0", "values_1"]
    assert "value" not in reader.fieldnames
    rows = list(reader)
    assert [(r["values_0"], r["values_1"]) for r in rows] == [("1", "1"), ("2", "3"), ("3", "2")]


# -- best --------------------------------------------------------------------------------------


def test_best_single_objective_table(capsys: pytest.CaptureFixture[str], db: str) -> None:
    code, out, err = run_cli(capsys, "best", db, "--study", "single")
    assert code == 0 and err == ""
    assert out == "best trial: 1\nvalue: 1.0\nparams:\n  x: -2.25\n  opt: 'adam'\n" or out == (
        "best trial: 1\nvalue: 1.0\nparams:\n  opt: 'adam'\n  x: -2.25\n"
    )


def test_best_single_objective_json(capsys: pytest.CaptureFixture[str], db: str) -> None:
    code, out, _ = run_cli(capsys, "best", db, "--study", "single", "--format", "json")
    assert code == 0
    assert json.loads(out) == {
        "number": 1,
        "values": [1.0],
        "params": {"x": -2.25, "opt": "adam"},
        "user_attrs": {},
    }


def test_best_maximize_picks_the_largest_value(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    url = sqlite_url(tmp_path / "max.db")
    study = tl.create_study(storage=url, study_name="up", direction="maximize")
    for x, value in [(0.0, 1.0), (1.0, 5.0), (2.0, 3.0)]:
        _deterministic(study, x, "sgd", value)
    code, out, _ = run_cli(capsys, "best", url, "--study", "up", "--format", "json")
    assert code == 0
    assert json.loads(out)["number"] == 1
    assert json.loads(out)["values"] == [5.0]


def test_best_multi_objective_shows_the_pareto_front(
    capsys: pytest.CaptureFixture[str], db: str
) -> None:
    code, out, _ = run_cli(capsys, "best", db, "--study", "multi", "--format", "json")
    assert code == 0
    front = json.loads(out)
    assert isinstance(front, list)
    assert sorted((t["number"], tuple(t["values"])) for t in front) == [
        (0, (1.0, 1.0)),
        (1, (2.0, 3.0)),
    ]

    code, out, _ = run_cli(capsys, "best", db, "--study", "multi")
    assert code == 0
    assert out.splitlines()[0].split() == [
        "number",
        "values_0",
        "values_1",
        "params_opt",
        "params_x",
    ]
    assert sorted(row[0] for row in table_rows(out)) == ["0", "1"]

    code, out, _ = run_cli(capsys, "best", db, "--study", "multi", "--format", "csv")
    assert code == 0
    assert sorted(r["number"] for r in csv.DictReader(io.StringIO(out))) == ["0", "1"]


@pytest.mark.parametrize("fmt", ["table", "json"])
def test_best_without_a_complete_trial_is_an_error(
    capsys: pytest.CaptureFixture[str], db: str, fmt: str
) -> None:
    code, out, err = run_cli(capsys, "best", db, "--study", "unfinished", "--format", fmt)
    assert_one_line_error(code, out, err, "unfinished", "no COMPLETE trial")
    assert out == ""


def test_best_of_a_multi_objective_study_without_a_complete_trial_is_an_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    url = sqlite_url(tmp_path / "m.db")
    study = tl.create_study(storage=url, study_name="m", directions=["minimize", "minimize"])
    study.ask()
    code, out, err = run_cli(capsys, "best", url, "--study", "m")
    assert_one_line_error(code, out, err, "no COMPLETE trial")


# -- delete ------------------------------------------------------------------------------------


def test_delete_with_yes_removes_the_study_and_keeps_the_others(
    capsys: pytest.CaptureFixture[str], db: str
) -> None:
    code, out, err = run_cli(capsys, "delete", db, "--study", "single", "--yes")
    assert code == 0 and err == ""
    assert out.strip() == "Deleted study 'single' (5 trials)."
    assert tl.get_all_study_names(db) == ["multi", "unfinished"]
    assert len(tl.load_study(study_name="multi", storage=db).trials) == 3
    code, out, _ = run_cli(capsys, "studies", db, "--format", "json")
    assert [r["name"] for r in json.loads(out)] == ["multi", "unfinished"]


def test_delete_without_yes_on_a_non_tty_refuses_and_deletes_nothing(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, db: str
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("y\n"))  # piped input is not a confirmation
    code, out, err = run_cli(capsys, "delete", db, "--study", "single")
    assert_one_line_error(code, out, err, "--yes")
    assert tl.get_all_study_names(db) == ["single", "multi", "unfinished"]
    assert len(tl.load_study(study_name="single", storage=db).trials) == 5


# -- export / import ---------------------------------------------------------------------------


def test_export_to_stdout_writes_one_json_line_per_trial(
    capsys: pytest.CaptureFixture[str], rich: str
) -> None:
    code, out, err = run_cli(capsys, "export", rich, "--study", "rich")
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert len(lines) == 1 + 8
    records = [json.loads(line) for line in lines]
    assert records[0]["kind"] == "study" and records[0]["name"] == "rich"
    assert [r["number"] for r in records[1:]] == list(range(8))


def test_export_to_a_file_reports_and_matches_stdout(
    capsys: pytest.CaptureFixture[str], rich: str, tmp_path: Path
) -> None:
    target = tmp_path / "rich.jsonl"
    code, out, _ = run_cli(capsys, "export", rich, "--study", "rich", "-o", str(target))
    assert code == 0
    assert out.strip() == f"Wrote study 'rich' (8 trials) to {target}."
    code, stdout_export, _ = run_cli(capsys, "export", rich, "--study", "rich")
    assert code == 0
    from_file = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
    assert from_file == [json.loads(line) for line in stdout_export.splitlines()]


def test_export_import_round_trip_into_a_new_sqlite_file_is_lossless(
    capsys: pytest.CaptureFixture[str], rich: str, tmp_path: Path
) -> None:
    dump = tmp_path / "dump.jsonl"
    assert run_cli(capsys, "export", rich, "--study", "rich", "--output", str(dump))[0] == 0
    target_path = tmp_path / "new.db"
    target = sqlite_url(target_path)
    code, out, err = run_cli(capsys, "import", target, str(dump))
    assert code == 0 and err == ""
    assert out.strip() == "Imported study 'rich' (8 trials)."
    assert target_path.exists()
    assert_same_study(rich, "rich", target, "rich")


def test_import_from_stdin(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, rich: str, tmp_path: Path
) -> None:
    code, exported, _ = run_cli(capsys, "export", rich, "--study", "rich")
    assert code == 0
    monkeypatch.setattr(sys, "stdin", io.StringIO(exported))
    target = sqlite_url(tmp_path / "from-stdin.db")
    code, out, _ = run_cli(capsys, "import", target, "-")
    assert code == 0
    assert "Imported study 'rich' (8 trials)." in out
    assert_same_study(rich, "rich", target, "rich")


def test_import_with_a_new_study_name(
    capsys: pytest.CaptureFixture[str], rich: str, tmp_path: Path
) -> None:
    dump = tmp_path / "dump.jsonl"
    assert run_cli(capsys, "export", rich, "--study", "rich", "-o", str(dump))[0] == 0
    code, out, _ = run_cli(capsys, "import", rich, str(dump), "--study", "rich-copy")
    assert code == 0
    assert out.strip() == "Imported study 'rich-copy' (8 trials)."
    assert tl.get_all_study_names(rich) == ["rich", "rich-copy"]
    assert_same_study(rich, "rich", rich, "rich-copy")


def test_imported_study_goes_on_where_the_original_stopped(
    capsys: pytest.CaptureFixture[str], rich: str, tmp_path: Path
) -> None:
    dump = tmp_path / "dump.jsonl"
    assert run_cli(capsys, "export", rich, "--study", "rich", "-o", str(dump))[0] == 0
    target = sqlite_url(tmp_path / "next.db")
    assert run_cli(capsys, "import", target, str(dump))[0] == 0
    study = tl.load_study(study_name="rich", storage=target)
    trial = study.ask()  # claims the imported WAITING trial with its fixed parameter
    assert trial.number == 7
    assert trial.suggest_float("x", -5.0, 5.0) == -1.0
    assert trial.user_attrs == {"source": "queue"}
    assert study.ask().number == 8


@pytest.mark.postgres
def test_round_trip_through_postgresql_is_lossless(
    capsys: pytest.CaptureFixture[str], rich: str, tmp_path: Path, pg_url: str
) -> None:
    dump = tmp_path / "dump.jsonl"
    assert run_cli(capsys, "export", rich, "--study", "rich", "-o", str(dump))[0] == 0
    code, out, err = run_cli(capsys, "import", pg_url, str(dump))
    assert code == 0 and err == ""
    assert out.strip() == "Imported study 'rich' (8 trials)."
    assert_same_study(rich, "rich", pg_url, "rich")

    # ...and back out of PostgreSQL into another SQLite file.
    code, exported, _ = run_cli(capsys, "export", pg_url, "--study", "rich")
    assert code == 0
    again = tmp_path / "again.jsonl"
    again.write_text(exported, encoding="utf-8")
    back = sqlite_url(tmp_path / "back.db")
    assert run_cli(capsys, "import", back, str(again), "--study", "back")[0] == 0
    assert_same_study(rich, "rich", back, "back")


@pytest.mark.postgres
def test_cli_lists_and_deletes_in_postgresql(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, pg_url: str
) -> None:
    source = build_listing_db(tmp_path / "listing.db")
    dump = tmp_path / "single.jsonl"
    assert run_cli(capsys, "export", source, "--study", "single", "-o", str(dump))[0] == 0
    assert run_cli(capsys, "import", pg_url, str(dump))[0] == 0
    code, out, _ = run_cli(capsys, "studies", pg_url, "--format", "json")
    assert code == 0
    [row] = json.loads(out)
    assert (row["name"], row["trials"], row["complete"], row["best_value"]) == (
        "single",
        5,
        3,
        1.0,
    )
    code, out, _ = run_cli(capsys, "best", pg_url, "--study", "single", "--format", "json")
    assert (code, json.loads(out)["number"]) == (0, 1)
    assert run_cli(capsys, "delete", pg_url, "--study", "single", "--yes")[0] == 0
    assert tl.get_all_study_names(pg_url) == []


# -- storage upgrade ---------------------------------------------------------------------------


def test_storage_upgrade_of_a_fresh_file_then_again(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    url = sqlite_url(tmp_path / "fresh.db")
    code, out, err = run_cli(capsys, "storage", "upgrade", url)
    assert code == 0 and err == ""
    assert out.strip() == "Schema upgraded from empty to 0001."
    code, out, _ = run_cli(capsys, "storage", "upgrade", url)
    assert code == 0
    assert out.strip() == "Schema already at version 0001."
    # The upgraded file is a working storage.
    tl.create_study(storage=url, study_name="after-upgrade")
    assert tl.get_all_study_names(url) == ["after-upgrade"]


def test_storage_upgrade_of_a_file_made_by_tunelab_is_a_no_op(
    capsys: pytest.CaptureFixture[str], db: str
) -> None:
    code, out, _ = run_cli(capsys, "storage", "upgrade", db)
    assert code == 0
    assert out.strip() == "Schema already at version 0001."
    assert tl.get_all_study_names(db) == ["single", "multi", "unfinished"]


@pytest.mark.postgres
def test_storage_upgrade_of_a_fresh_postgresql_database(
    capsys: pytest.CaptureFixture[str], pg_url: str
) -> None:
    code, out, _ = run_cli(capsys, "storage", "upgrade", pg_url)
    assert (code, out.strip()) == (0, "Schema upgraded from empty to 0001.")
    code, out, _ = run_cli(capsys, "storage", "upgrade", pg_url)
    assert (code, out.strip()) == (0, "Schema already at version 0001.")


# -- error paths -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "command",
    [
        ["studies"],
        ["trials", "--study", "s"],
        ["best", "--study", "s"],
        ["delete", "--study", "s", "--yes"],
        ["export", "--study", "s"],
    ],
)
def test_missing_sqlite_file_is_an_error_and_is_not_created(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, command: list[str]
) -> None:
    path = tmp_path / "missing.db"
    code, out, err = run_cli(capsys, command[0], sqlite_url(path), *command[1:])
    assert_one_line_error(code, out, err, "no SQLite database", str(path))
    assert not path.exists()


@pytest.mark.parametrize(
    "command",
    [
        ["trials"],
        ["best"],
        ["delete", "--yes"],
        ["export"],
    ],
)
def test_unknown_study_is_an_error_listing_the_existing_ones(
    capsys: pytest.CaptureFixture[str], db: str, command: list[str]
) -> None:
    code, out, err = run_cli(capsys, command[0], db, "--study", "nope", *command[1:])
    assert_one_line_error(code, out, err, "'nope'", "'single'", "'multi'", "'unfinished'")
    assert out == ""
    assert tl.get_all_study_names(db) == ["single", "multi", "unfinished"]


@pytest.mark.parametrize("url", ["mysql://user@host/db", "tunelab.db", "redis://localhost"])
@pytest.mark.parametrize(
    "command",
    [
        ["studies"],
        ["trials", "--study", "s"],
        ["best", "--study", "s"],
        ["export", "--study", "s"],
    ],
)
def test_bad_url_scheme_is_a_one_line_error(
    capsys: pytest.CaptureFixture[str], url: str, command: list[str]
) -> None:
    code, out, err = run_cli(capsys, command[0], url, *command[1:])
    assert_one_line_error(code, out, err, "unsupported database URL", url)


def test_import_into_a_bad_url_scheme_is_a_one_line_error(
    capsys: pytest.CaptureFixture[str], rich: str, tmp_path: Path
) -> None:
    dump = tmp_path / "dump.jsonl"
    assert run_cli(capsys, "export", rich, "--study", "rich", "-o", str(dump))[0] == 0
    code, out, err = run_cli(capsys, "import", "mysql://user@host/db", str(dump))
    assert_one_line_error(code, out, err, "unsupported database URL")


def test_storage_upgrade_with_a_bad_url_scheme_is_a_one_line_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run_cli(capsys, "storage", "upgrade", "foo://localhost/db")
    assert_one_line_error(code, out, err, "foo://localhost/db")


def test_import_of_a_file_that_is_not_json(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    bad = tmp_path / "notes.txt"
    bad.write_text("these are not the trials you are looking for\n", encoding="utf-8")
    target = sqlite_url(tmp_path / "t.db")
    code, out, err = run_cli(capsys, "import", target, str(bad))
    assert_one_line_error(code, out, err, "line 1", "not valid JSON")
    assert tl.get_all_study_names(target) == []


def test_import_of_an_empty_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text("", encoding="utf-8")
    target = sqlite_url(tmp_path / "t.db")
    code, out, err = run_cli(capsys, "import", target, str(empty))
    assert_one_line_error(code, out, err, "empty")
    assert tl.get_all_study_names(target) == []


def test_import_of_a_missing_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, err = run_cli(
        capsys, "import", sqlite_url(tmp_path / "t.db"), str(tmp_path / "nowhere.jsonl")
    )
    assert_one_line_error(code, out, err, "nowhere.jsonl")


def test_import_of_a_duplicate_study_name_changes_nothing(
    capsys: pytest.CaptureFixture[str], rich: str, tmp_path: Path
) -> None:
    dump = tmp_path / "dump.jsonl"
    assert run_cli(capsys, "export", rich, "--study", "rich", "-o", str(dump))[0] == 0
    before = study_snapshot(rich, "rich")
    code, out, err = run_cli(capsys, "import", rich, str(dump))
    assert_one_line_error(code, out, err, "'rich'", "already exists")
    assert tl.get_all_study_names(rich) == ["rich"]
    assert study_snapshot(rich, "rich") == before


def test_import_of_a_header_without_a_name_is_a_one_line_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    dump = tmp_path / "truncated.jsonl"
    dump.write_text(json.dumps({"kind": "study", "format": 1}) + "\n", encoding="utf-8")
    code, out, err = run_cli(capsys, "import", sqlite_url(tmp_path / "t.db"), str(dump))
    assert_one_line_error(code, out, err, "line 1")


def test_failed_import_leaves_no_half_imported_study(
    capsys: pytest.CaptureFixture[str], rich: str, tmp_path: Path
) -> None:
    code, exported, _ = run_cli(capsys, "export", rich, "--study", "rich")
    assert code == 0
    lines = exported.splitlines()
    broken = tmp_path / "broken.jsonl"
    broken.write_text("\n".join([*lines[:4], '{"kind": "trial", "numb']) + "\n", "utf-8")
    target = sqlite_url(tmp_path / "t.db")
    code, out, err = run_cli(capsys, "import", target, str(broken))
    assert_one_line_error(code, out, err, "line 5")
    assert tl.get_all_study_names(target) == []
    # Importing the intact export afterwards must work.
    good = tmp_path / "good.jsonl"
    good.write_text(exported, "utf-8")
    assert run_cli(capsys, "import", target, str(good))[0] == 0


@pytest.mark.parametrize(
    "argv",
    [
        ["studies", "sqlite:///x.db", "--bogus"],
        ["studies", "sqlite:///x.db", "--format", "xml"],
        ["trials", "sqlite:///x.db"],  # --study is required
        ["trials", "sqlite:///x.db", "--study", "s", "--state", "finished"],
        ["best", "sqlite:///x.db", "--study", "s", "--format", "yaml"],
        ["delete", "sqlite:///x.db", "--study", "s", "--force"],
        ["storage"],
        ["storage", "downgrade", "sqlite:///x.db"],
        ["no-such-command"],
    ],
)
def test_bad_arguments_exit_2_from_argparse(
    capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    code, err = argparse_exit(capsys, *argv)
    assert code == 2
    assert err.startswith("usage: tunelab")
    assert "tunelab" in err.splitlines()[-1] and "error:" in err.splitlines()[-1]


# -- the installed console script --------------------------------------------------------------


def _script() -> str:
    exe = Path(sys.executable).parent / "tunelab"
    assert exe.exists(), f"the tunelab console script is not installed at {exe}"
    return str(exe)


def test_console_script_exports_and_imports_through_a_pipe(rich: str, tmp_path: Path) -> None:
    exported = subprocess.run(
        [_script(), "export", rich, "--study", "rich"],
        check=True,
        capture_output=True,
        text=True,
    )
    assert exported.stderr == ""
    target = sqlite_url(tmp_path / "piped.db")
    imported = subprocess.run(
        [_script(), "import", target, "-", "--study", "piped"],
        input=exported.stdout,
        check=True,
        capture_output=True,
        text=True,
    )
    assert imported.stdout.strip() == "Imported study 'piped' (8 trials)."
    assert_same_study(rich, "rich", target, "piped")

    listed = subprocess.run(
        [_script(), "studies", target, "--format", "csv"],
        check=True,
        capture_output=True,
        text=True,
    )
    [row] = list(csv.DictReader(io.StringIO(listed.stdout)))
    assert (row["name"], row["trials"], row["complete"]) == ("piped", "8", "2")


def test_console_script_errors_are_one_line_with_exit_status_1(db: str, tmp_path: Path) -> None:
    refused = subprocess.run(
        [_script(), "delete", db, "--study", "single"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
    )
    assert refused.returncode == 1
    assert refused.stderr.splitlines() == [
        "tunelab: error: refusing to delete without confirmation: pass --yes"
    ]
    assert tl.get_all_study_names(db) == ["single", "multi", "unfinished"]

    missing = subprocess.run(
        [_script(), "studies", sqlite_url(tmp_path / "none.db")],
        capture_output=True,
        text=True,
    )
    assert missing.returncode == 1
    assert len(missing.stderr.splitlines()) == 1
    assert missing.stderr.startswith("tunelab: error: no SQLite database")

    unknown = subprocess.run([_script(), "studies", db, "--bogus"], capture_output=True, text=True)
    assert unknown.returncode == 2
    assert "unrecognized arguments: --bogus" in unknown.stderr

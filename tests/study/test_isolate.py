"""Trial isolation: real subprocesses that crash, hang, run out of memory, or succeed."""

from __future__ import annotations

import ctypes
import os
import time

import pytest

import tunelab as tl
from tunelab.storages import BaseStorage
from tunelab.study._isolate import parse_memory


def _objective(trial: tl.Trial) -> float:
    x = trial.suggest_float("x", 0.0, 1.0)
    trial.report(x, 0)
    trial.set_user_attr("pid", os.getpid())
    kind = trial.suggest_categorical("kind", ["ok", "segv", "hang", "oom", "error", "prune"])
    if kind == "segv":
        ctypes.string_at(0)  # a real segmentation fault
    elif kind == "hang":
        time.sleep(600)
    elif kind == "oom":
        bytearray(2 * 1024**3)
    elif kind == "error":
        raise ValueError("bad configuration")
    elif kind == "prune":
        raise tl.TrialPruned()
    return x


def _enqueue(study: tl.Study, *kinds: str) -> None:
    for kind in kinds:
        study.enqueue_trial({"kind": kind})


def test_crash_hang_and_memory_blowup_fail_alone_and_the_study_goes_on(
    storage: BaseStorage,
) -> None:
    study = tl.create_study(storage=storage)
    _enqueue(study, "segv", "hang", "oom", "ok", "prune")
    study.optimize(_objective, n_trials=5, isolate=tl.Isolation(timeout=5, memory_limit="768MiB"))
    by_kind = {t.params["kind"]: t for t in study.trials}
    assert "SIGSEGV" in by_kind["segv"].system_attrs["fail_reason"]
    assert "timeout of 5 s" in by_kind["hang"].system_attrs["fail_reason"]
    assert "memory limit" in by_kind["oom"].system_attrs["fail_reason"]
    for kind in ("segv", "hang", "oom"):
        assert by_kind[kind].state is tl.TrialState.FAIL
        assert by_kind[kind].intermediate_values  # what it reported before dying is kept
    ok = by_kind["ok"]
    assert ok.state is tl.TrialState.COMPLETE and ok.value == ok.params["x"]
    assert ok.user_attrs["pid"] != os.getpid()  # it really ran in another process
    pruned = by_kind["prune"]
    assert pruned.state is tl.TrialState.PRUNED and pruned.value == pruned.params["x"]


def test_an_objective_error_is_re_raised_with_the_child_traceback() -> None:
    study = tl.create_study()
    _enqueue(study, "error")
    with pytest.raises(ValueError, match="bad configuration"):
        study.optimize(_objective, n_trials=1, isolate=True)
    [failed] = study.trials
    assert failed.state is tl.TrialState.FAIL
    assert "in _objective" in failed.system_attrs["traceback"]
    _enqueue(study, "error", "ok")
    study.optimize(_objective, n_trials=2, isolate=True, catch=ValueError)  # goes on
    assert [t.state for t in study.trials[1:]] == [tl.TrialState.FAIL, tl.TrialState.COMPLETE]


def test_isolated_trials_draw_different_values() -> None:
    study = tl.create_study(sampler=tl.samplers.RandomSampler(seed=0))
    _enqueue(study, "ok", "ok", "ok")
    study.optimize(_objective, n_trials=3, isolate=True)
    assert len({t.params["x"] for t in study.trials}) == 3


def test_isolation_combines_with_process_workers(tmp_path) -> None:
    study = tl.create_study(storage=f"sqlite:///{tmp_path / 'iso.db'}")
    _enqueue(study, "ok", "segv", "ok", "ok")
    study.optimize(_objective, n_trials=4, n_jobs=2, isolate=True)
    states = sorted(t.state.name for t in study.trials)
    assert states == ["COMPLETE", "COMPLETE", "COMPLETE", "FAIL"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (2**30, 2**30),
        ("512MiB", 512 * 2**20),
        ("4G", 4 * 2**30),
        ("1.5 GiB", 3 * 2**29),
        ("100m", 100 * 2**20),
        (None, None),
    ],
)
def test_memory_limits_parse(value, expected) -> None:
    assert parse_memory(value) == expected


@pytest.mark.parametrize("value", ["lots", "-1G", True, "10MiB", 1024])
def test_bad_memory_limits_are_clear_errors(value) -> None:
    with pytest.raises(ValueError, match="memory_limit"):
        tl.Isolation(memory_limit=value)


def test_bad_isolation_arguments_are_clear_errors() -> None:
    with pytest.raises(ValueError, match="timeout"):
        tl.Isolation(timeout=0)
    with pytest.raises(ValueError, match="start_method"):
        tl.Isolation(start_method="teleport")
    with pytest.raises(ValueError, match="isolate="):
        tl.create_study().optimize(_objective, n_trials=1, isolate="yes")  # type: ignore[arg-type]

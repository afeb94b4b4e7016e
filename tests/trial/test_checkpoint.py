"""Trial checkpoints: where they live, who loads them, when they are removed."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

import tunelab as tl
from tunelab.trial._checkpoint import checkpoint_root


def test_save_and_load_round_trip_and_replace(tmp_path: Path) -> None:
    study = tl.create_study(storage=f"sqlite:///{tmp_path / 'study.db'}", study_name="s/1")
    trial = study.ask()
    assert trial.load_checkpoint() is None
    path = trial.save_checkpoint({"epoch": 1})
    trial.save_checkpoint({"epoch": 2})
    assert trial.load_checkpoint() == {"epoch": 2}
    # Next to the SQLite file, one directory per study (name made safe) and trial.
    assert path == tmp_path / "study.db.checkpoints" / "s_1" / "trial-0" / "checkpoint.pkl"
    assert trial.checkpoint_dir == path.parent


def test_environment_variable_and_default_roots(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TUNELAB_CHECKPOINT_DIR", str(tmp_path / "shared"))
    assert checkpoint_root("postgresql+psycopg://h/db", "s") == tmp_path / "shared" / "s"
    monkeypatch.delenv("TUNELAB_CHECKPOINT_DIR")
    assert checkpoint_root(None, "s").name == "s"
    assert checkpoint_root(None, "s").parent.name == "tunelab-checkpoints"


def test_pruned_and_failed_trials_lose_their_checkpoint_complete_ones_keep_it() -> None:
    study = tl.create_study()
    dirs = {}
    for state in (tl.TrialState.COMPLETE, tl.TrialState.PRUNED, tl.TrialState.FAIL):
        trial = study.ask()
        trial.save_checkpoint(state.name)
        dirs[state] = trial.checkpoint_dir
        trial.report(1.0, 0)
        if state is tl.TrialState.COMPLETE:
            study.tell(trial, 1.0)
        else:
            study.tell(trial, state=state)
    assert dirs[tl.TrialState.COMPLETE].exists()
    assert not dirs[tl.TrialState.PRUNED].exists()
    assert not dirs[tl.TrialState.FAIL].exists()

    def broken(trial: tl.Trial) -> float:
        trial.save_checkpoint("partial")
        raise RuntimeError("boom")

    study.optimize(broken, n_trials=1, catch=(RuntimeError,))
    assert not (study.view().checkpoint_root / "trial-3").exists()


def test_a_missing_parent_checkpoint_is_a_clear_error() -> None:
    study = tl.create_study()
    study._enqueue({}, {}, {"checkpoint:parent": 41}, {})
    trial = study.ask()
    with pytest.raises(FileNotFoundError, match="continues trial 41, whose checkpoint"):
        trial.load_checkpoint()


def test_a_retried_trial_resumes_from_the_dead_trials_checkpoint() -> None:
    retry = tl.RetryFailedTrialCallback(max_retry=1)
    study = tl.create_study(heartbeat_interval=0.05, grace_period=0.2, failed_trial_callback=retry)
    lost = study.ask()
    lost.suggest_float("x", 0.0, 1.0)
    lost.save_checkpoint({"epoch": 7})
    study._context.heartbeats[lost.trial_id].stop()  # its worker "dies"
    time.sleep(0.4)
    resumed: list[object] = []

    def objective(trial: tl.Trial) -> float:
        resumed.append(trial.load_checkpoint())
        return trial.suggest_float("x", 0.0, 1.0)

    study.optimize(objective, n_trials=1)
    assert resumed == [{"epoch": 7}]

"""Worker functions run in spawned processes by the storage tests (must be importable)."""

from __future__ import annotations

import time

import tunelab as tl


def _objective(trial: tl.Trial) -> float:
    return trial.suggest_float("x", 0.0, 1.0) + trial.suggest_int("n", 0, 3)


def run_trials(url: str, study_name: str, n_trials: int, start_at: float) -> int:
    """Wait until ``start_at`` (wall clock), then run ``n_trials`` on the shared study."""
    study = tl.load_study(study_name=study_name, storage=url, sampler=tl.samplers.RandomSampler())
    time.sleep(max(0.0, start_at - time.time()))
    study.optimize(_objective, n_trials=n_trials)
    return n_trials


def run_grid(url: str, study_name: str, start_at: float) -> int:
    """Run a grid search on the shared study until the grid is exhausted."""
    sampler = tl.samplers.GridSampler({"a": list(range(6)), "b": ["x", "y", "z"]}, seed=3)
    study = tl.load_study(study_name=study_name, storage=url, sampler=sampler)
    time.sleep(max(0.0, start_at - time.time()))
    mine: list[int] = []
    study.optimize(
        lambda t: t.suggest_int("a", 0, 5) + len(t.suggest_categorical("b", ["x", "y", "z"])),
        callbacks=[lambda _study, trial: mine.append(trial.number)],
    )
    return len(mine)


def cold_start(url: str, start_at: float) -> str:
    """Open an empty database and create-or-load one study, all workers at once."""
    time.sleep(max(0.0, start_at - time.time()))
    study = tl.create_study(
        storage=url, study_name="cold", load_if_exists=True, sampler=tl.samplers.RandomSampler()
    )
    study.optimize(_objective, n_trials=2)
    return study.study_name


def write_forever(url: str, study_name: str) -> None:
    """Run trials until killed."""
    study = tl.load_study(study_name=study_name, storage=url, sampler=tl.samplers.RandomSampler())

    def objective(trial: tl.Trial) -> float:
        for step in range(5):
            trial.report(float(step), step)
        return _objective(trial)

    study.optimize(objective)


def hang_in_a_trial(url: str, study_name: str) -> None:
    """Start a trial with heartbeats on, then hang in it until killed."""
    study = tl.load_study(study_name=study_name, storage=url)

    def objective(trial: tl.Trial) -> float:
        trial.suggest_float("x", 0.0, 1.0)
        trial.suggest_categorical("kind", ["a", "b"])
        time.sleep(600)
        return 0.0

    study.optimize(objective, n_trials=1)

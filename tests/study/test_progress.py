from __future__ import annotations

import pytest

import tunelab as tl
from tunelab._clock import FakeClock


def _x(trial: tl.Trial) -> float:
    return trial.suggest_float("x", 0.0, 1.0)


def test_progress_bar_shows_trials_done_and_the_best_value(
    capsys: pytest.CaptureFixture[str],
) -> None:
    study = tl.create_study()
    study.optimize(_x, n_trials=5, show_progress_bar=True)
    err = capsys.readouterr().err
    assert "5/5" in err
    assert f"best={study.best_value:.6g}" in err


def test_progress_bar_best_follows_the_direction(capsys: pytest.CaptureFixture[str]) -> None:
    values = [3.0, 9.0, 4.0]
    study = tl.create_study(direction="maximize")
    study.optimize(lambda t: values[t.number], n_trials=3, show_progress_bar=True)
    err = capsys.readouterr().err
    assert "3/3" in err
    final = err.split("\r")[-1]  # the bar as last drawn
    assert "3/3" in final
    assert "best=9" in final


def test_progress_bar_ignores_failed_trials(capsys: pytest.CaptureFixture[str]) -> None:
    values = [2.0, float("nan"), 1.0]
    study = tl.create_study()
    study.optimize(lambda t: values[t.number], n_trials=3, show_progress_bar=True)
    err = capsys.readouterr().err
    assert "3/3" in err
    assert "best=1" in err
    assert "best=nan" not in err


def test_progress_bar_starts_from_the_best_value_already_in_the_study(
    capsys: pytest.CaptureFixture[str],
) -> None:
    study = tl.create_study()
    study.add_trial(tl.create_trial(value=-42.5))
    study.optimize(lambda t: 0.0, n_trials=2, show_progress_bar=True)
    err = capsys.readouterr().err
    assert "2/2" in err
    assert "best=-42.5" in err


def test_progress_bar_for_several_objectives_counts_trials(
    capsys: pytest.CaptureFixture[str],
) -> None:
    study = tl.create_study(directions=["minimize", "maximize"])
    study.optimize(lambda t: (_x(t), 1.0), n_trials=4, show_progress_bar=True)
    err = capsys.readouterr().err
    assert "4/4" in err
    assert "best=" not in err


def test_progress_bar_with_only_a_timeout(capsys: pytest.CaptureFixture[str]) -> None:
    clock = FakeClock()

    def objective(trial: tl.Trial) -> float:
        clock.advance(1.0)
        return _x(trial)

    study = tl.create_study()
    study.optimize(objective, timeout=3.0, clock=clock, show_progress_bar=True)
    err = capsys.readouterr().err
    assert "timeout 3s" in err
    assert "3trial" in err.split("\r")[-1].replace(" ", "")
    assert "best=" in err


def test_progress_bar_with_threads(capsys: pytest.CaptureFixture[str]) -> None:
    study = tl.create_study()
    study.optimize(_x, n_trials=12, n_jobs=3, show_progress_bar=True)
    err = capsys.readouterr().err
    assert "12/12" in err
    assert f"best={study.best_value:.6g}" in err


def test_no_progress_bar_by_default(capsys: pytest.CaptureFixture[str]) -> None:
    tl.create_study().optimize(_x, n_trials=3)
    assert capsys.readouterr().err == ""

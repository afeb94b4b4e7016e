"""ProcessExecutor: real spawned worker processes sharing one study."""

from __future__ import annotations

import os
import pickle

import pytest

import tunelab as tl
from tunelab.storages import BaseStorage


def _pid_objective(trial: tl.Trial) -> float:
    trial.set_user_attr("pid", os.getpid())
    return trial.suggest_float("x", 0.0, 1.0)


def test_n_jobs_runs_trials_in_other_processes_with_an_exact_budget(
    storage: BaseStorage,
) -> None:
    study = tl.create_study(storage=storage)
    finished: list[int] = []
    study.optimize(
        _pid_objective, n_trials=12, n_jobs=2, callbacks=[lambda _s, t: finished.append(t.number)]
    )
    trials = study.trials
    assert [t.number for t in trials] == list(range(12))
    assert all(t.state is tl.TrialState.COMPLETE for t in trials)
    pids = {t.user_attrs["pid"] for t in trials}
    assert os.getpid() not in pids  # the objective ran in workers...
    assert 1 <= len(pids) <= 2
    assert sorted(finished) == list(range(12))  # ...while callbacks ran here


def test_workers_draw_different_configurations_from_a_seeded_sampler() -> None:
    study = tl.create_study(sampler=tl.samplers.RandomSampler(seed=0))
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=10, n_jobs=2)
    xs = [t.params["x"] for t in study.trials]
    assert len(set(xs)) == 10


def test_lambdas_and_closures_travel_with_cloudpickle() -> None:
    offset = 3.0
    study = tl.create_study()
    study.optimize(lambda t: t.suggest_float("x", 0, 1) + offset, n_trials=4, n_jobs=2)
    assert all(3.0 <= t.value <= 4.0 for t in study.trials)


def test_an_objective_error_in_a_worker_is_raised_here_and_recorded() -> None:
    study = tl.create_study()

    def objective(trial: tl.Trial) -> float:
        if trial.number == 2:
            raise KeyError("worker failure")
        return trial.suggest_float("x", 0, 1)

    with pytest.raises(KeyError, match="worker failure"):
        study.optimize(objective, n_jobs=2)
    failed = study.trials[2]
    assert failed.state is tl.TrialState.FAIL
    assert "KeyError" in failed.system_attrs["fail_reason"]
    assert "Traceback" in failed.system_attrs["traceback"]
    assert not study.get_trials(states=[tl.TrialState.RUNNING])


def test_an_unpicklable_objective_gets_a_clear_error() -> None:
    import threading

    lock = threading.Lock()
    study = tl.create_study()
    with pytest.raises(ValueError, match=r"cannot be sent to worker processes.*executor='thread'"):
        study.optimize(lambda t: (lock, t.suggest_float("x", 0, 1))[1], n_trials=2, n_jobs=2)
    assert study.trials == []


def test_grid_search_over_processes_visits_every_point_once() -> None:
    grid = {"a": [1, 2, 3], "b": ["u", "v"]}
    study = tl.create_study(sampler=tl.samplers.GridSampler(grid, seed=1))
    study.optimize(
        lambda t: t.suggest_int("a", 1, 3) + len(t.suggest_categorical("b", ["u", "v"])), n_jobs=2
    )
    points = sorted((t.params["a"], t.params["b"]) for t in study.trials)
    assert points == sorted((a, b) for a in grid["a"] for b in grid["b"])


def test_samplers_are_picklable_for_workers() -> None:
    space = {"x": tl.distributions.FloatDistribution(0, 1)}
    for sampler in (
        tl.samplers.RandomSampler(seed=1),
        tl.samplers.QMCSampler(seed=1),
        tl.samplers.GridSampler({"x": [0.0, 1.0]}),
        tl.samplers.QMCSampler(search_space=space),
    ):
        clone = pickle.loads(pickle.dumps(sampler))
        assert type(clone) is type(sampler)


def _env_objective(trial: tl.Trial) -> float:
    trial.set_user_attr("marker", os.environ.get("TUNELAB_TEST_MARKER"))
    from threadpoolctl import threadpool_info

    trial.set_user_attr("blas", sorted({i["num_threads"] for i in threadpool_info()}))
    return trial.suggest_float("x", 0.0, 1.0)


def test_workers_see_the_environment_of_each_call(monkeypatch: pytest.MonkeyPatch) -> None:
    """Workers fork from a server started earlier, yet get the caller's current env."""
    study = tl.create_study()
    study.optimize(_env_objective, n_trials=2, n_jobs=2)  # the fork server is running now
    monkeypatch.setenv("TUNELAB_TEST_MARKER", "second call")
    study.optimize(_env_objective, n_trials=2, n_jobs=2)
    markers = [t.user_attrs["marker"] for t in study.trials]
    assert markers[2:] == ["second call", "second call"]
    assert "TUNELAB_TEST_MARKER" not in os.environ or markers[:2] != markers[2:]


def test_workers_share_the_cores_between_their_blas_pools() -> None:
    """Each of n workers gets cores // n BLAS threads (at least one)."""
    study = tl.create_study()
    study.optimize(_env_objective, n_trials=2, n_jobs=2)
    expected = max(1, (os.cpu_count() or 1) // 2)
    for trial in study.trials:
        assert all(n <= expected for n in trial.user_attrs["blas"]), trial.user_attrs["blas"]


def test_stopping_the_study_skips_trials_queued_for_workers() -> None:
    """study.stop() from a callback: queued tasks do not start trials."""
    study = tl.create_study()

    def stop_after_first(s: tl.Study, _t: tl.FrozenTrial) -> None:
        s.stop()

    study.optimize(_pid_objective, n_trials=50, n_jobs=2, callbacks=[stop_after_first])
    # Only trials already running when the first one finished may complete.
    assert 1 <= len(study.trials) <= 2
    assert all(t.state is tl.TrialState.COMPLETE for t in study.trials)


@pytest.mark.parametrize("method", ["spawn", "forkserver"])
def test_explicit_start_methods(method: str) -> None:
    study = tl.create_study()
    study.optimize(
        _pid_objective,
        n_trials=4,
        n_jobs=2,
        executor=tl.execution.ProcessExecutor(start_method=method),
    )
    assert [t.state for t in study.trials] == [tl.TrialState.COMPLETE] * 4


def test_unknown_start_method_is_refused() -> None:
    with pytest.raises(ValueError, match="start_method='teleport' must be one of"):
        tl.execution.ProcessExecutor(start_method="teleport")

"""Population-based training: planning, exploit/explore, checkpoints, workers."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

import tunelab as tl
from tunelab.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from tunelab.schedulers import PBT, lineage
from tunelab.schedulers._pbt import DONOR_ATTR, MEMBER_ATTR, ROUND_ATTR, _perturb

SPACE = {
    "lr": FloatDistribution(1e-4, 1.0, log=True),
    "momentum": FloatDistribution(0.0, 0.9, step=0.1),
    "batch": IntDistribution(16, 256, step=16),
    "layers": IntDistribution(1, 6),
    "act": CategoricalDistribution(["relu", "tanh", "gelu"]),
}


def _objective(trial: tl.Trial) -> float:
    """One 'round': the loss falls by an amount set by lr; the state travels on."""
    lr = trial.suggest_float("lr", 1e-4, 1.0, log=True)
    trial.suggest_float("momentum", 0.0, 0.9, step=0.1)
    trial.suggest_int("batch", 16, 256, step=16)
    trial.suggest_int("layers", 1, 6)
    trial.suggest_categorical("act", ["relu", "tanh", "gelu"])
    state = trial.load_checkpoint() or {"loss": 1.0, "trail": []}
    gain = math.exp(-abs(math.log10(lr) + 2))  # best lr = 1e-2
    loss = state["loss"] * (1 - 0.5 * gain)
    trial.save_checkpoint({"loss": loss, "trail": [*state["trail"], trial.number]})
    return loss


def test_explore_keeps_every_setting_inside_its_distribution() -> None:
    pbt = PBT(SPACE, seed=0, resample_probability=0.3)
    rng = np.random.default_rng(1)
    params = {"lr": 0.5, "momentum": 0.9, "batch": 256, "layers": 6, "act": "gelu"}
    for _ in range(300):
        params = pbt._explore(params, rng)
        for name, dist in SPACE.items():
            assert dist.contains(dist.to_internal(params[name])), (name, params[name])


@pytest.mark.parametrize(
    ("dist", "value", "factor", "expected"),
    [
        (FloatDistribution(1e-4, 1.0, log=True), 0.5, 1.2, 0.6),
        (FloatDistribution(1e-4, 1.0, log=True), 0.9, 1.2, 1.0),  # clipped at high
        (IntDistribution(1, 6), 3, 1.2, 4),  # an integer always moves
        (IntDistribution(1, 6), 3, 0.8, 2),
        (IntDistribution(16, 256, step=16), 128, 1.2, 160),  # snapped onto the step
        (FloatDistribution(-1.0, 1.0), 0.0, 1.2, 0.4),  # range through 0: shifted
    ],
)
def test_perturb(
    dist: tl.distributions.BaseDistribution, value: float, factor: float, expected: float
) -> None:
    assert _perturb(dist, value, factor) == pytest.approx(expected)


def test_a_study_runs_every_segment_once_and_stops_by_itself() -> None:
    pbt = PBT(SPACE, population_size=4, rounds=5, seed=0)
    study = tl.create_study(sampler=pbt)
    study.optimize(_objective, n_trials=pbt.n_trials + 10)  # more than needed: it stops
    trials = study.trials
    assert len(trials) == 20
    assert all(t.state is tl.TrialState.COMPLETE for t in trials)
    seen = {(t.system_attrs[MEMBER_ATTR], t.system_attrs[ROUND_ATTR]) for t in trials}
    assert seen == {(m, r) for m in range(4) for r in range(5)}


def test_bottom_members_copy_a_top_member_and_its_checkpoint() -> None:
    pbt = PBT(SPACE, population_size=8, rounds=4, quantile=0.25, seed=3)
    study = tl.create_study(sampler=pbt)
    study.optimize(_objective, n_trials=pbt.n_trials)
    trials = study.trials
    by_number = {t.number: t for t in trials}
    exploited = [t for t in trials if DONOR_ATTR in t.system_attrs]
    assert exploited, "someone in the bottom quarter must have exploited"
    for t in exploited:
        rnd = t.system_attrs[ROUND_ATTR]
        previous = {
            u.system_attrs[MEMBER_ATTR]: u.value
            for u in trials
            if u.system_attrs[ROUND_ATTR] == rnd - 1
        }
        ranked = sorted(previous, key=lambda m: previous[m])  # minimise: best first
        assert t.system_attrs[MEMBER_ATTR] in ranked[-2:]  # it was in the bottom 2 of 8
        assert t.system_attrs[DONOR_ATTR] in ranked[:2]  # its donor in the top 2
        parent = by_number[t.system_attrs["checkpoint:parent"]]
        assert parent.system_attrs[MEMBER_ATTR] == t.system_attrs[DONOR_ATTR]
        assert parent.system_attrs[ROUND_ATTR] == rnd - 1


def test_segments_continue_the_trained_state() -> None:
    pbt = PBT(SPACE, population_size=4, rounds=3, seed=0)
    study = tl.create_study(sampler=pbt)
    study.optimize(_objective, n_trials=pbt.n_trials)
    chains = lineage(study.trials)
    assert sorted(chains) == [0, 1, 2, 3]
    for chain in chains.values():
        assert [t.system_attrs[ROUND_ATTR] for t in chain] == [0, 1, 2]
        # The last checkpoint's trail is exactly the lineage: weights were carried over.
        root = study.view().checkpoint_root
        import pickle

        with open(root / f"trial-{chain[-1].number}" / "checkpoint.pkl", "rb") as handle:
            state = pickle.load(handle)
        assert state["trail"] == [t.number for t in chain]
        losses = [t.value for t in chain]
        assert losses == sorted(losses, reverse=True)  # training went on, loss fell


def test_old_rounds_checkpoints_are_removed_last_round_kept() -> None:
    pbt = PBT(SPACE, population_size=4, rounds=4, seed=0)
    study = tl.create_study(sampler=pbt)
    study.optimize(_objective, n_trials=pbt.n_trials)
    root = study.view().checkpoint_root
    kept = {int(p.name.split("-")[1]) for p in root.iterdir()}
    last_round = {t.number for t in study.trials if t.system_attrs[ROUND_ATTR] == 3}
    assert last_round <= kept
    first_round = {t.number for t in study.trials if t.system_attrs[ROUND_ATTR] == 0}
    assert not first_round & kept


def test_a_started_segment_keeps_the_checkpoint_it_continues() -> None:
    """A fast member planning its next round must not remove the older checkpoints that
    slower members' started (not yet loaded) segments continue."""
    pbt = PBT(SPACE, population_size=4, rounds=3, seed=0)
    study = tl.create_study(sampler=pbt)
    for _ in range(4):  # round 0, one member after the other
        trial = study.ask()
        study.tell(trial, _objective(trial))
    started = [study.ask() for _ in range(4)]  # round 1 for everyone
    fast = started.pop(0)
    study.tell(fast, _objective(fast))
    study.ask()  # plans the fast member's round 2: every member is now past round 0
    for trial in started:  # the slow ones load their round-0 parents only now
        assert trial.load_checkpoint() is not None
        study.tell(trial, _objective(trial))


def test_a_failed_segment_is_retried_from_the_same_checkpoint() -> None:
    failed_once: set[tuple[int, int]] = set()

    def flaky(trial: tl.Trial) -> float:
        key = (trial.system_attrs[MEMBER_ATTR], trial.system_attrs[ROUND_ATTR])
        if key == (1, 1) and key not in failed_once:
            failed_once.add(key)
            raise RuntimeError("out of memory")
        return _objective(trial)

    pbt = PBT(SPACE, population_size=3, rounds=3, seed=0)
    study = tl.create_study(sampler=pbt)
    study.optimize(flaky, n_trials=pbt.n_trials + 1, catch=(RuntimeError,))
    states = [t.state for t in study.trials]
    assert states.count(tl.TrialState.FAIL) == 1
    assert states.count(tl.TrialState.COMPLETE) == 9
    failed = next(t for t in study.trials if t.state is tl.TrialState.FAIL)
    retry = next(
        t
        for t in study.trials
        if t.state is tl.TrialState.COMPLETE
        and (t.system_attrs[MEMBER_ATTR], t.system_attrs[ROUND_ATTR]) == (1, 1)
    )
    assert retry.params == failed.system_attrs["fixed_params"]  # it failed before suggesting
    assert retry.system_attrs["checkpoint:parent"] == failed.system_attrs["checkpoint:parent"]


def test_worker_processes_share_one_population(tmp_path: Path) -> None:
    storage = f"sqlite:///{tmp_path / 'pbt.db'}"
    pbt = PBT(SPACE, population_size=4, rounds=3, seed=0, poll_interval=0.05)
    study = tl.create_study(storage=storage, sampler=pbt)
    study.optimize(_objective, n_trials=pbt.n_trials, n_jobs=2)
    trials = study.trials
    assert len(trials) == 12
    keys = [(t.system_attrs[MEMBER_ATTR], t.system_attrs[ROUND_ATTR]) for t in trials]
    assert sorted(keys) == sorted({(m, r) for m in range(4) for r in range(3)})
    assert (tmp_path / "pbt.db.checkpoints").is_dir()
    for chain in lineage(trials).values():
        assert len(chain) == 3


def test_multi_objective_and_unknown_parameters_are_refused() -> None:
    pbt = PBT({"lr": FloatDistribution(0.01, 1.0)}, population_size=2, rounds=1, seed=0)
    study = tl.create_study(sampler=pbt, directions=["minimize", "minimize"])
    with pytest.raises(ValueError, match="single-objective"):
        study.ask()
    study = tl.create_study(sampler=pbt)
    trial = study.ask()
    with pytest.raises(ValueError, match="'other' is not in its space"):
        trial.suggest_float("other", 0.0, 1.0)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"space": {}}, "non-empty"),
        ({"space": {"x": (0, 1)}}, "space\\['x'\\]"),
        ({"population_size": 1}, "population_size"),
        ({"rounds": 0}, "rounds"),
        ({"quantile": 0.6}, "quantile"),
        ({"perturb_factors": (0.8, -1.0)}, "perturb_factors"),
        ({"resample_probability": 1.5}, "resample_probability"),
        ({"poll_interval": 0}, "poll_interval"),
    ],
)
def test_invalid_arguments(kwargs: dict[str, object], match: str) -> None:
    options: dict[str, object] = {"space": {"lr": FloatDistribution(0.01, 1.0)}}
    options.update(kwargs)
    with pytest.raises(ValueError, match=match):
        PBT(**options)  # type: ignore[arg-type]

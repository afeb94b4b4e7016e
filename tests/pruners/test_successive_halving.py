"""SuccessiveHalvingPruner (ASHA): rung promotion rules."""

from __future__ import annotations

import pytest

import tunelab as tl
from tests.pruners._curves import add_curve, running
from tunelab.pruners import SuccessiveHalvingPruner
from tunelab.pruners._successive_halving import rung_key


def _asha(**kwargs: object) -> tl.Study:
    options: dict[str, object] = {"min_resource": 1, "reduction_factor": 2}
    options.update(kwargs)
    return tl.create_study(pruner=SuccessiveHalvingPruner(**options))  # type: ignore[arg-type]


def _rung_values(study: tl.Study, rung: int, values: list[float]) -> None:
    for value in values:
        add_curve(study, {1: value}, system_attrs={rung_key(rung): value})


def test_top_fraction_of_a_rung_goes_on() -> None:
    study = _asha()
    _rung_values(study, 0, [1.0, 2.0, 3.0])
    kept = running(study, {1: 1.5})  # 2nd of 4: the best 4 // 2 = 2 go on
    assert not kept.should_prune()
    assert kept.snapshot().system_attrs[rung_key(0)] == 1.5
    pruned = running(study, {1: 2.5})  # 4th of 5 (1.5 now counts too): best 2 go on
    assert pruned.should_prune()
    reason = study.storage.get_trial(pruned._trial_id).system_attrs["prune_reason"]
    assert "rung 0 (step >= 1)" in reason and "ranks 4 of 5" in reason


def test_the_first_trial_goes_on_and_a_worse_second_is_stopped() -> None:
    study = _asha()
    assert not running(study, {1: 1.0}).should_prune()
    assert running(study, {1: 2.0}).should_prune()  # only the best of 2 goes on


def test_bootstrap_count_waits_for_enough_rivals() -> None:
    study = _asha(bootstrap_count=2)
    _rung_values(study, 0, [1.0])
    assert not running(study, {1: 5.0}).should_prune()  # 1 rival < 2: nobody pruned yet
    assert running(study, {1: 6.0}).should_prune()  # now 2 rivals


def test_rungs_are_spaced_by_eta_and_each_is_judged_once() -> None:
    study = _asha(reduction_factor=3)  # rungs at steps 1, 3, 9
    trial = running(study, {0: 1.0})
    assert not trial.should_prune()
    assert rung_key(0) not in trial.snapshot().system_attrs  # step 0 < first rung
    for step in (1, 2):
        trial.report(1.0, step)
        assert not trial.should_prune()
    attrs = trial.snapshot().system_attrs
    assert rung_key(0) in attrs and rung_key(1) not in attrs
    trial.report(1.0, 9)  # jumps over rung 1 (step 3) to rung 2 (step 9)
    assert not trial.should_prune()
    attrs = trial.snapshot().system_attrs
    assert attrs[rung_key(1)] == 1.0 and attrs[rung_key(2)] == 1.0


def test_min_early_stopping_rate_moves_the_first_rung() -> None:
    study = _asha(min_early_stopping_rate=2)  # first rung at 1 * 2**2 = 4
    running(study, {4: 1.0}).should_prune()
    trial = running(study, {3: 9.0})
    assert not trial.should_prune()
    trial.report(9.0, 4)
    assert trial.should_prune()


def test_running_trials_rung_values_count() -> None:
    """Decisions read rung values from the storage, so concurrent trials see each other."""
    study = _asha()
    first = running(study, {1: 1.0})
    assert not first.should_prune()  # first stays RUNNING
    second = running(study, {1: 2.0})
    assert second.should_prune()


def test_auto_min_resource_waits_for_a_complete_trial() -> None:
    study = tl.create_study(pruner=SuccessiveHalvingPruner(reduction_factor=2))
    first = running(study, {1: 1.0})
    assert not first.should_prune()
    assert rung_key(0) not in first.snapshot().system_attrs
    curve = {step: 1.0 for step in range(0, 301, 50)}  # 300 steps: first rung at step 3
    add_curve(study, curve, system_attrs={rung_key(0): 1.0})
    trial = running(study, {2: 5.0})
    assert not trial.should_prune()
    trial.report(5.0, 3)
    assert trial.should_prune()


def test_maximize() -> None:
    study = tl.create_study(
        direction="maximize", pruner=SuccessiveHalvingPruner(1, reduction_factor=2)
    )
    assert not running(study, {1: 5.0}).should_prune()
    assert running(study, {1: 1.0}).should_prune()


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"min_resource": 0}, "min_resource"),
        ({"min_resource": "sometimes"}, "min_resource"),
        ({"reduction_factor": 1}, "reduction_factor"),
        ({"min_early_stopping_rate": -1}, "min_early_stopping_rate"),
        ({"bootstrap_count": -1}, "bootstrap_count"),
    ],
)
def test_invalid_arguments(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        SuccessiveHalvingPruner(**kwargs)  # type: ignore[arg-type]

"""PatientPruner."""

from __future__ import annotations

import pytest

import tunelab as tl
from tests.pruners._curves import add_curve, running
from tunelab.pruners import MedianPruner, PatientPruner


def test_plateau_without_wrapped_pruner_is_pruned() -> None:
    study = tl.create_study(pruner=PatientPruner(None, patience=2))
    assert not running(study, [3.0, 2.0, 1.0, 0.5]).should_prune()  # improving
    stalled = running(study, [3.0, 1.0, 1.2, 1.1, 1.05])
    assert stalled.should_prune()
    reason = study.storage.get_trial(stalled._trial_id).system_attrs["prune_reason"]
    assert "no improvement" in reason and "last 3 reports" in reason


def test_min_delta_requires_a_real_improvement() -> None:
    study = tl.create_study(pruner=PatientPruner(None, patience=1, min_delta=0.1))
    assert running(study, [1.0, 0.95, 0.97]).should_prune()  # 0.05 < min_delta
    assert not running(study, [1.0, 0.8, 0.97]).should_prune()


def test_maximize() -> None:
    study = tl.create_study(direction="maximize", pruner=PatientPruner(None, patience=1))
    assert running(study, [0.5, 0.4, 0.3]).should_prune()
    assert not running(study, [0.5, 0.4, 0.6]).should_prune()


def test_wrapped_pruner_decides_on_a_plateau() -> None:
    study = tl.create_study(pruner=PatientPruner(MedianPruner(n_startup_trials=1), patience=1))
    add_curve(study, [0.1, 0.1, 0.1])
    # Stalled and worse than the median: the wrapped pruner prunes it.
    assert running(study, [2.0, 3.0, 3.0]).should_prune()
    # Still improving: kept although worse than the median.
    assert not running(study, [3.0, 2.5, 2.0]).should_prune()


@pytest.mark.parametrize(
    ("args", "kwargs", "match"),
    [
        ((None, -1), {}, "patience"),
        ((None, 1), {"min_delta": -0.5}, "min_delta"),
        (("median", 1), {}, "wrapped_pruner"),
    ],
)
def test_invalid_arguments(
    args: tuple[object, ...], kwargs: dict[str, object], match: str
) -> None:
    with pytest.raises(ValueError, match=match):
        PatientPruner(*args, **kwargs)  # type: ignore[arg-type]

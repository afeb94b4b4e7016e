"""HyperbandPruner: brackets, deterministic assignment, per-bracket comparisons."""

from __future__ import annotations

import collections
import subprocess
import sys

import pytest

import tunelab as tl
from tests.pruners._curves import add_curve, running
from tunelab.pruners import HyperbandPruner
from tunelab.pruners._hyperband import BRACKET_ATTR
from tunelab.pruners._successive_halving import rung_key


@pytest.mark.parametrize(
    ("min_resource", "max_resource", "eta", "expected"),
    [(1, 27, 3, 4), (1, 26, 3, 3), (1, 1, 3, 1), (2, 100, 2, 6), (1, 81, 3, 5)],
)
def test_number_of_brackets(min_resource: int, max_resource: int, eta: int, expected: int) -> None:
    pruner = HyperbandPruner(min_resource, max_resource, reduction_factor=eta)
    assert pruner.n_brackets() == expected


def test_brackets_follow_hyperband_proportions() -> None:
    pruner = HyperbandPruner(1, 27, reduction_factor=3)
    counts = collections.Counter(pruner.bracket_of("s", n, 4) for n in range(6000))
    weights = [27 / 4, 9 / 3, 3 / 2, 1 / 1]
    for bracket, weight in enumerate(weights):
        share = counts[bracket] / 6000
        assert share == pytest.approx(weight / sum(weights), abs=0.03)


def test_bracket_assignment_is_the_same_in_another_process() -> None:
    pruner = HyperbandPruner(1, 81)
    here = [pruner.bracket_of("study-x", n, 5) for n in range(50)]
    code = (
        "import tunelab as tl; p = tl.pruners.HyperbandPruner(1, 81); "
        "print([p.bracket_of('study-x', n, 5) for n in range(50)])"
    )
    there = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert there.strip() == str(here)
    assert len(set(here)) > 1


def test_trials_are_compared_only_within_their_bracket() -> None:
    pruner = HyperbandPruner(1, 27, reduction_factor=3)
    study = tl.create_study(pruner=pruner)
    name = study.study_name
    # Trial numbers 0..29 are added as finished rivals with an excellent rung-0 value.
    for _ in range(30):
        add_curve(study, {1: 0.0, 3: 0.0}, system_attrs={rung_key(0): 0.0})
    trial = study.ask()
    bracket = pruner.bracket_of(name, trial.number, 4)
    rivals = [n for n in range(30) if pruner.bracket_of(name, n, 4) == bracket]
    first_rung = 3**bracket
    trial.report(1.0, first_rung)
    decision = trial.should_prune()
    attrs = trial.snapshot().system_attrs
    assert attrs[BRACKET_ATTR] == bracket
    if bracket == 3:  # the last bracket never prunes before max_resource
        assert not decision
    else:
        assert decision == bool(rivals)  # pruned only by rivals of its own bracket
        if decision:
            reason = study.storage.get_trial(trial._trial_id).system_attrs["prune_reason"]
            assert reason.startswith(f"Hyperband bracket {bracket} of 4: rung 0")
            assert f"of {len(rivals) + 1};" in reason


def test_auto_max_resource_waits_for_a_complete_trial() -> None:
    study = tl.create_study(pruner=HyperbandPruner(1))
    trial = running(study, {1: 5.0})
    assert not trial.should_prune()
    assert BRACKET_ATTR not in trial.snapshot().system_attrs


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"min_resource": 0}, "min_resource"),
        ({"min_resource": 5, "max_resource": 2}, "max_resource=2 must be >= min_resource=5"),
        ({"reduction_factor": 1}, "reduction_factor"),
        ({"bootstrap_count": -1}, "bootstrap_count"),
    ],
)
def test_invalid_arguments(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        HyperbandPruner(**kwargs)  # type: ignore[arg-type]

"""Hand-built histories for pruner tests."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import tunelab as tl


def add_curve(
    study: tl.Study,
    curve: Mapping[int, float] | Sequence[float],
    *,
    state: tl.TrialState = tl.TrialState.COMPLETE,
    system_attrs: Mapping[str, object] | None = None,
) -> None:
    """Add a finished trial whose intermediate values are ``curve`` (list: steps 0..n-1)."""
    values = dict(enumerate(curve)) if isinstance(curve, Sequence) else dict(curve)
    last = values[max(values)]
    study.add_trial(
        tl.create_trial(
            state=state,
            value=last,
            intermediate_values=values,
            system_attrs=dict(system_attrs or {}),
        )
    )


def running(study: tl.Study, curve: Mapping[int, float] | Sequence[float]) -> tl.Trial:
    """A RUNNING trial that reported ``curve``."""
    trial = study.ask()
    values = dict(enumerate(curve)) if isinstance(curve, Sequence) else dict(curve)
    for step, value in values.items():
        trial.report(value, step)
    return trial

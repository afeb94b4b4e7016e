"""Prune by where a learning curve is heading, not where it is: slow starters survive."""

from __future__ import annotations

import math
from typing import Literal

import numpy as np

from tunelab._records import FrozenTrial, StudyDirection, TrialState
from tunelab._validate import check_int, check_real
from tunelab._view import StudyView
from tunelab.pruners._base import BasePruner, PruneDecision
from tunelab.pruners._curves import single_direction
from tunelab.pruners._successive_halving import auto_max_resource

__all__ = ["CurvePruner", "optimistic_final"]

_KEEP = PruneDecision(False)
_RATES = np.geomspace(1e-3, 3.0, 64)  # decay rates per step tried by the fit


def optimistic_final(steps: np.ndarray, values: np.ndarray, horizon: float) -> float:
    """The lowest value at ``horizon`` among saturating fits that explain the curve.

    Fits ``y(t) = a + b * exp(-c t)`` (``b >= 0``: a decreasing curve levelling off at
    ``a``) for a grid of rates ``c``, solving ``a`` and ``b`` by least squares; every fit
    whose error is within what the noise allows is plausible, and the most optimistic
    of their predictions, less two noise deviations, is returned. Slow, still-falling
    curves keep a low (hopeful) prediction; curves that have flattened out are
    predicted to stay where they are.

    Example:
        >>> t = np.arange(1.0, 6.0)
        >>> slow = 0.1 + 0.9 * np.exp(-0.1 * t)      # ends near 0.15 at step 30
        >>> flat = 0.3 + 0.7 * np.exp(-1.5 * t)      # already at its floor 0.3
        >>> optimistic_final(t, slow, 30) < 0.2 < 0.28 < optimistic_final(t, flat, 30)
        True
    """
    n = len(values)
    decay = np.exp(-np.outer(_RATES, steps))  # (rates, n)
    d_mean = decay.mean(axis=1, keepdims=True)
    y_mean = values.mean()
    centred = decay - d_mean
    var = (centred**2).sum(axis=1)
    cov = centred @ (values - y_mean)
    b = np.where(var > 1e-18, cov / np.maximum(var, 1e-300), 0.0)
    b = np.maximum(b, 0.0)
    a = y_mean - b * d_mean[:, 0]
    residual = values[None, :] - (a[:, None] + b[:, None] * decay)
    sse = (residual**2).sum(axis=1)
    best = float(sse.min())
    dof = max(1, n - 3)
    noise_var = best / dof
    plausible = sse <= best + 2.0 * noise_var + 1e-15
    predictions = a + b * np.exp(-_RATES * horizon)
    return float(predictions[plausible].min() - 2.0 * math.sqrt(noise_var))


class CurvePruner(BasePruner):
    """Stop a trial when even an optimistic extrapolation of its curve cannot compete.

    Comparing current values (as median and successive-halving pruners do) stops slow
    starters, such as small learning rates, that would have ended best. This pruner
    instead extrapolates the trial's learning curve to ``max_resource`` with
    :func:`optimistic_final` and compares that with the *final* values of COMPLETE
    trials: it prunes when the optimistic prediction is worse than their
    ``percentile``-th percentile. A curve that has levelled off at a poor value is
    stopped after a few steps; one that is still falling steeply is kept until its
    slope says it cannot catch up.

    Args:
        percentile: In [0, 100]; the share of completed trials, from the best, a trial
            must be predicted to reach (10: the best tenth).
        n_startup_trials: No pruning until this many trials are COMPLETE. The defaults
            (35 %, 2 trials) were chosen on ``benchmarks/early_stopping``: the
            extrapolation is optimistic, so pruning can start early; a stricter
            percentile with few completed trials stopped the eventual winner.
        n_warmup_steps: No pruning before this many reports (at least 3: the fit has
            three parameters).
        max_resource: The last step of a full training, or ``"auto"``: the longest
            COMPLETE trial.
        interval_steps: Decide only every this many reports after the warm-up.

    Raises:
        ValueError: An argument is out of range; at decision time, a study with several
            objectives.

    Example:
        >>> import tunelab as tl, math
        >>> study = tl.create_study(pruner=tl.pruners.CurvePruner(n_startup_trials=3))
        >>> def objective(trial):
        ...     lr = trial.suggest_float("lr", 1e-3, 1.0, log=True)
        ...     floor = 0.05 + 0.1 * math.log10(lr / 0.01) ** 2   # best at lr = 0.01...
        ...     for epoch in range(1, 31):                      # ...which starts slowly
        ...         loss = floor + (1 - floor) * math.exp(-math.sqrt(lr) * epoch)
        ...         trial.report(loss, epoch)
        ...         if trial.should_prune():
        ...             raise tl.TrialPruned()
        ...     return loss
        >>> study.optimize(objective, n_trials=20)
        >>> pruned = [t for t in study.trials if t.state.name == "PRUNED"]
        >>> all("extrapolat" in t.system_attrs["prune_reason"] for t in pruned)
        True
    """

    def __init__(
        self,
        percentile: float = 35.0,
        *,
        n_startup_trials: int = 2,
        n_warmup_steps: int = 3,
        max_resource: int | Literal["auto"] = "auto",
        interval_steps: int = 1,
    ) -> None:
        self._percentile = check_real("percentile", percentile, 0.0, 100.0)
        self._n_startup = check_int("n_startup_trials", n_startup_trials, 1)
        self._n_warmup = check_int("n_warmup_steps", n_warmup_steps, 3)
        if max_resource != "auto":
            check_int("max_resource", max_resource, 1)
        self._max_resource = max_resource
        self._interval = check_int("interval_steps", interval_steps, 1)

    def prune(self, study: StudyView, trial: FrozenTrial) -> PruneDecision:
        direction = single_direction(study, type(self).__name__)
        reports = sorted((s, v) for s, v in trial.intermediate_values.items() if not math.isnan(v))
        if len(reports) < self._n_warmup or (len(reports) - self._n_warmup) % self._interval:
            return _KEEP
        horizon = (
            self._max_resource if isinstance(self._max_resource, int) else auto_max_resource(study)
        )
        step = reports[-1][0]
        if horizon is None or step >= horizon:
            return _KEEP
        complete = study.get_trials(states=(TrialState.COMPLETE,))
        finals = [
            t.values[0]
            for t in complete
            if t.values is not None and len(t.values) == 1 and math.isfinite(t.values[0])
        ]
        if len(finals) < self._n_startup:
            return _KEEP
        sign = 1.0 if direction is StudyDirection.MINIMIZE else -1.0
        steps = np.array([s for s, _ in reports], dtype=float)
        values = sign * np.array([v for _, v in reports], dtype=float)
        predicted = sign * optimistic_final(steps, values, float(horizon))
        q = self._percentile if sign > 0 else 100.0 - self._percentile
        threshold = float(np.percentile(finals, q))
        if sign * predicted <= sign * threshold:
            return _KEEP
        return PruneDecision(
            True,
            f"optimistic extrapolation of the curve to step {horizon}: {predicted:.6g}, "
            f"worse than {threshold:.6g} (the best {self._percentile:g}% of {len(finals)} "
            "completed trials' final values)",
        )

"""Prune by where a learning curve is heading, not where it is: slow starters survive."""

from __future__ import annotations

import math
from typing import Literal

import numpy as np

from tunelab._records import FrozenTrial, StudyDirection, TrialState, single_value
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

    Before the curve can be extrapolated (fewer than ``n_warmup_steps`` reports), an
    *early cut* stops a trial whose value at that step is worse than every value the
    good finishers (COMPLETE trials whose final value beats the threshold above) had
    there and worse than half of the trials judged bad (COMPLETE beyond the threshold,
    or PRUNED by their curve after the warm-up), but only where the history shows that
    values at that step tell good runs from bad ones: the probability that a good
    finisher's value there beats a bad one's must be at least ``early_separation``.
    Where curves cross (slow starters end best) early values do not separate them and
    the cut stays off; where bad runs look bad from the first epoch it saves the
    warm-up epochs.

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
        early_separation: In [0.5, 1], or None to disable the early cut: how well
            values at a warm-up step must have separated good finishers (at least 2)
            from trials judged bad (at least ``max(5, n_startup_trials)``) for the
            early cut to act at that step.

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
        early_separation: float | None = 0.8,
    ) -> None:
        self._percentile = check_real("percentile", percentile, 0.0, 100.0)
        self._n_startup = check_int("n_startup_trials", n_startup_trials, 1)
        self._n_warmup = check_int("n_warmup_steps", n_warmup_steps, 3)
        if max_resource != "auto":
            check_int("max_resource", max_resource, 1)
        self._max_resource = max_resource
        self._interval = check_int("interval_steps", interval_steps, 1)
        self._early_separation = (
            None
            if early_separation is None
            else check_real("early_separation", early_separation, 0.5, 1.0)
        )

    def prune(self, study: StudyView, trial: FrozenTrial) -> PruneDecision:
        direction = single_direction(study, type(self).__name__)
        reports = sorted((s, v) for s, v in trial.intermediate_values.items() if not math.isnan(v))
        if not reports:
            return _KEEP
        if len(reports) < self._n_warmup:
            return self._early_cut(study, direction, reports[-1])
        if (len(reports) - self._n_warmup) % self._interval:
            return _KEEP
        horizon = (
            self._max_resource if isinstance(self._max_resource, int) else auto_max_resource(study)
        )
        step = reports[-1][0]
        if horizon is None or step >= horizon:
            return _KEEP
        complete = study.get_trials(states=(TrialState.COMPLETE,))
        finals = [f for t in complete if math.isfinite(f := single_value(t))]
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

    def _early_cut(
        self, study: StudyView, direction: StudyDirection, report: tuple[int, float]
    ) -> PruneDecision:
        """Stop a warm-up trial that looks like the bad ones did, where that has predicted."""
        if self._early_separation is None:
            return _KEEP
        step, value = report
        sign = 1.0 if direction is StudyDirection.MINIMIZE else -1.0
        good, bad = self._known_outcomes(study, sign, step)
        if len(good) < 2 or len(bad) < max(5, self._n_startup):
            return _KEEP
        separation = _separation(np.array(good), np.array(bad))
        if not separation >= self._early_separation:
            return _KEEP
        bound = max(max(good), float(np.median(bad)))
        if sign * value <= bound:
            return _KEEP
        return PruneDecision(
            True,
            f"at step {step}, {value:.6g} is worse than every value the {len(good)} trials "
            f"ending in the best {self._percentile:g}% had there and than half of the "
            f"{len(bad)} trials judged bad ({sign * bound:.6g}); values at this step "
            f"ranked good above bad with probability {separation:.2f} >= "
            f"{self._early_separation:g}",
        )

    def _known_outcomes(
        self, study: StudyView, sign: float, step: int
    ) -> tuple[list[float], list[float]]:
        """Values at ``step`` (minimised) of good finishers and of trials judged bad.

        Good: COMPLETE and within the pruning threshold. Bad: COMPLETE beyond it, or
        PRUNED after the warm-up (by their curve, not by an early cut, which would feed
        on its own decisions).
        """
        finished = study.get_trials(states=(TrialState.COMPLETE, TrialState.PRUNED))
        finals: list[tuple[float, float]] = []
        bad: list[float] = []
        for t in finished:
            early = t.intermediate_values.get(step, math.nan)
            if not math.isfinite(early):
                continue
            if t.state is TrialState.PRUNED:
                if len(t.intermediate_values) >= self._n_warmup:
                    bad.append(sign * early)
            elif math.isfinite(final := single_value(t)):
                finals.append((sign * early, sign * final))
        if len(finals) < self._n_startup:
            return [], bad
        threshold = float(np.percentile([f for _, f in finals], self._percentile))
        good = [e for e, f in finals if f <= threshold]
        bad.extend(e for e, f in finals if f > threshold)
        return good, bad


def _separation(good: np.ndarray, bad: np.ndarray) -> float:
    """The probability that a random good value is below a random bad one (ties: half)."""
    below = (good[:, None] < bad[None, :]).mean()
    ties = (good[:, None] == bad[None, :]).mean()
    return float(below + 0.5 * ties)

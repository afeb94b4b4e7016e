"""Hyperband: several successive-halving brackets that trade breadth against depth."""

from __future__ import annotations

import functools
import hashlib
from typing import Literal

from tunelab._records import FrozenTrial
from tunelab._validate import check_int
from tunelab._view import StudyView
from tunelab.pruners._base import BasePruner, PruneDecision
from tunelab.pruners._successive_halving import SuccessiveHalvingPruner, auto_max_resource

__all__ = ["HyperbandPruner"]

BRACKET_ATTR = "hyperband:bracket"


class HyperbandPruner(BasePruner):
    """Hyperband (Li et al., 2018) over asynchronous successive halving.

    The resource range ``[min_resource, max_resource]`` gives ``s_max + 1`` brackets,
    ``s_max = floor(log_eta(max_resource / min_resource))``. Bracket ``b`` is an ASHA
    whose first rung is at ``min_resource * eta ** b``: bracket 0 stops trials earliest,
    the last one lets every trial run to ``max_resource``. Trials are spread over the
    brackets in Hyperband's proportions (``eta ** (s_max - b) / (s_max - b + 1)``) by a
    hash of the study name and trial number, so every process assigns a trial to the
    same bracket without coordination; a trial is compared only with trials of its own
    bracket, and its bracket is recorded in ``system_attrs["hyperband:bracket"]``.

    Args:
        min_resource: The step of the first rung of bracket 0.
        max_resource: The last step of a full training, or ``"auto"``: the longest run
            of the COMPLETE trials (no pruning until one exists).
        reduction_factor: ``eta`` of every bracket.
        bootstrap_count: As in :class:`SuccessiveHalvingPruner`.

    Raises:
        ValueError: An argument is out of range; at decision time, a study with several
            objectives.

    Example:
        >>> import tunelab as tl
        >>> pruner = tl.pruners.HyperbandPruner(min_resource=1, max_resource=27)
        >>> pruner.n_brackets()
        4
        >>> study = tl.create_study(pruner=pruner)
        >>> def objective(trial):
        ...     rate = trial.suggest_float("rate", 0.0, 1.0)
        ...     for epoch in range(1, 28):
        ...         trial.report(1.0 / (1 + rate * epoch), step=epoch)
        ...         if trial.should_prune():
        ...             raise tl.TrialPruned()
        ...     return 1.0 / (1 + 27 * rate)
        >>> study.optimize(objective, n_trials=30)
        >>> sorted({t.system_attrs["hyperband:bracket"] for t in study.trials}) != []
        True
    """

    def __init__(
        self,
        min_resource: int = 1,
        max_resource: int | Literal["auto"] = "auto",
        reduction_factor: int = 3,
        bootstrap_count: int = 0,
    ) -> None:
        self._min_resource = check_int("min_resource", min_resource, 1)
        if max_resource != "auto":
            check_int("max_resource", max_resource, 1)
            if max_resource < min_resource:
                raise ValueError(
                    f"max_resource={max_resource!r} must be >= min_resource={min_resource!r}"
                )
        self._max_resource = max_resource
        self._eta = check_int("reduction_factor", reduction_factor, 2)
        self._bootstrap = check_int("bootstrap_count", bootstrap_count, 0)

    def n_brackets(self, max_resource: int | None = None) -> int:
        """How many brackets the resource range gives (``max_resource`` for "auto")."""
        top = self._max_resource if isinstance(self._max_resource, int) else max_resource
        if top is None:
            raise ValueError("max_resource is 'auto' and not known yet; pass it")
        ratio = max(1.0, top / self._min_resource)
        # floor(log_eta(ratio)) computed in integers, immune to rounding of log().
        s_max = 0
        while self._eta ** (s_max + 1) <= ratio:
            s_max += 1
        return s_max + 1

    def bracket_of(self, study_name: str, number: int, n_brackets: int) -> int:
        """The bracket of trial ``number``: the same in every process."""
        return _bracket(study_name, number, n_brackets, self._eta)

    def prune(self, study: StudyView, trial: FrozenTrial) -> PruneDecision:
        top = (
            self._max_resource if isinstance(self._max_resource, int) else auto_max_resource(study)
        )
        if top is None:
            return PruneDecision(False)
        n = self.n_brackets(top)
        name = study.study_name
        bracket = self.bracket_of(name, trial.number, n)
        step = trial.last_step
        if step is not None and step >= top:  # a full training: no rung stops it
            return PruneDecision(False, attrs={BRACKET_ATTR: bracket})
        same = study.restrict(lambda t: self.bracket_of(name, t.number, n) == bracket)
        inner = SuccessiveHalvingPruner(
            self._min_resource, self._eta, bracket, self._bootstrap
        ).prune(same, trial)
        attrs = {BRACKET_ATTR: bracket, **inner.attrs}
        reason = f"Hyperband bracket {bracket} of {n}: {inner.reason}" if inner.prune else ""
        return PruneDecision(inner.prune, reason, attrs)


@functools.lru_cache(maxsize=1 << 16)
def _bracket(study_name: str, number: int, n_brackets: int, eta: int) -> int:
    """Hyperband's bracket for a trial.

    Pure, so cached: every decision filters all of the study's trials by it.
    """
    s_max = n_brackets - 1
    weights = [eta ** (s_max - b) / (s_max - b + 1) for b in range(n_brackets)]
    digest = hashlib.sha256(f"{study_name}\x00{number}".encode()).digest()
    u = int.from_bytes(digest[:8], "big") / 2**64 * sum(weights)
    for bracket, weight in enumerate(weights):
        if u < weight:
            return bracket
        u -= weight
    return n_brackets - 1

"""Population-based training: exploit the best members' weights, explore their settings."""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from tunelab._encoding import internal_to_unit, unit_to_internal_scalar
from tunelab._records import FrozenTrial, StudyDirection, TrialState
from tunelab._typing import JSONValue, ParamValue
from tunelab._validate import check_int
from tunelab._view import StudyView
from tunelab.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from tunelab.exceptions import SearchSpaceExhausted
from tunelab.samplers._base import BaseSampler, WaitingBatch
from tunelab.trial._checkpoint import CHECKPOINT_PARENT_ATTR, remove_checkpoint, trial_dir
from tunelab.trial._trial import FIXED_PARAMS_ATTR

__all__ = ["PBT", "lineage"]

MEMBER_ATTR = "pbt:member"
ROUND_ATTR = "pbt:round"
DONOR_ATTR = "pbt:exploited"
"""System attribute: the member whose checkpoint and settings this segment copied."""

_FINISHED_OK = (TrialState.COMPLETE, TrialState.PRUNED)


class PBT(BaseSampler):
    """Population-based training (Jaderberg et al., 2017), asynchronous and storage-backed.

    ``population_size`` members train in ``rounds`` rounds; each (member, round) is one
    trial — a *segment* — that loads the checkpoint it continues from
    (``trial.load_checkpoint()``), trains for one round, reports its score as the
    objective value and saves a checkpoint (``trial.save_checkpoint(...)``). When a
    member finishes round ``r``, its next segment is planned from the scores of round
    ``r``: a member in the worst ``quantile`` *exploits* a member of the best
    ``quantile`` (copies its checkpoint and hyperparameters) and *explores* (each
    numeric setting multiplied by one of ``perturb_factors``, categorical ones moved to
    a neighbouring choice, any setting redrawn with ``resample_probability``, always
    within its distribution); other members go on with their own checkpoint and
    settings. Segments are planned as WAITING trials with a key per (member, round), so
    any number of workers share one population without planning a segment twice.

    Use it as the study's sampler, with ``n_trials=pbt.n_trials``. Every segment records
    ``system_attrs["pbt:member"]``, ``["pbt:round"]``, ``["checkpoint:parent"]`` (the
    trial it continues) and, when it exploited, ``["pbt:exploited"]`` (the donor
    member); :func:`lineage` rebuilds each final member's hyperparameter schedule.
    Checkpoints of rounds that can no longer be continued are removed as the
    population moves on; the last round's are kept.

    Args:
        space: The hyperparameters PBT controls (the objective suggests them with the
            same names and distributions).
        population_size: Members trained side by side (at least 2).
        rounds: Segments per member.
        quantile: In (0, 0.5]; the share of members that exploit / are exploited.
        perturb_factors: Multipliers for numeric settings when exploring.
        resample_probability: In [0, 1]; chance of redrawing a setting at random.
        seed: Seed of the initial population and of the exploration.
        poll_interval: Seconds between looks at the study when a worker waits for a
            member to finish its round (only with more workers than ready members).

    Raises:
        ValueError: An argument is out of range.

    Example:
        >>> import tunelab as tl
        >>> from tunelab.distributions import FloatDistribution
        >>> pbt = tl.schedulers.PBT({"lr": FloatDistribution(0.01, 1.0, log=True)},
        ...                         population_size=4, rounds=5, seed=0)
        >>> def objective(trial):
        ...     lr = trial.suggest_float("lr", 0.01, 1.0, log=True)
        ...     state = trial.load_checkpoint() or {"loss": 10.0}
        ...     loss = state["loss"] * (1 - lr) + lr  # a toy "training round"
        ...     trial.save_checkpoint({"loss": loss})
        ...     return loss
        >>> study = tl.create_study(sampler=pbt)
        >>> study.optimize(objective, n_trials=pbt.n_trials)
        >>> len(study.trials), len(tl.schedulers.lineage(study.trials))
        (20, 4)
    """

    def __init__(
        self,
        space: Mapping[str, BaseDistribution],
        *,
        population_size: int = 8,
        rounds: int = 10,
        quantile: float = 0.25,
        perturb_factors: Sequence[float] = (0.8, 1.2),
        resample_probability: float = 0.25,
        seed: int | None = None,
        poll_interval: float = 0.5,
    ) -> None:
        if not isinstance(space, Mapping) or not space:
            raise ValueError("space must be a non-empty dict of name -> distribution")
        for name, dist in space.items():
            if not isinstance(dist, BaseDistribution):
                raise ValueError(f"space[{name!r}]={dist!r} must be a tunelab distribution")
        self._space = dict(space)
        self._population = check_int("population_size", population_size, 2)
        self._rounds = check_int("rounds", rounds, 1)
        if not 0 < quantile <= 0.5:
            raise ValueError(f"quantile={quantile!r} must be in (0, 0.5]")
        self._quantile = float(quantile)
        factors = tuple(float(f) for f in perturb_factors)
        if not factors or any(not f > 0 for f in factors):
            raise ValueError(f"perturb_factors={perturb_factors!r} must be positive numbers")
        self._factors = factors
        if not 0.0 <= resample_probability <= 1.0:
            raise ValueError(f"resample_probability={resample_probability!r} must be in [0, 1]")
        self._resample = float(resample_probability)
        if not poll_interval > 0:
            raise ValueError(f"poll_interval={poll_interval!r} must be > 0")
        self._poll = float(poll_interval)
        self._seed = seed

    @property
    def n_trials(self) -> int:
        """Trials the whole schedule takes: ``population_size * rounds``."""
        return self._population * self._rounds

    def reseed_rng(self, seed: int | None = None) -> None:
        """Planning is seeded per segment (seed, member, round): nothing to reseed."""

    def sample_independent(
        self,
        study: StudyView,
        trial: FrozenTrial,
        name: str,
        distribution: BaseDistribution,
    ) -> ParamValue:
        if name in self._space:
            raise ValueError(
                f"trial {trial.number} has no value of {name!r} planned by PBT: PBT plans "
                "every trial of its study (do not add or enqueue trials by hand)"
            )
        raise ValueError(
            f"PBT controls only {sorted(self._space)}; parameter {name!r} is not in its "
            "space (add it to the space, or fix it in the objective)"
        )

    # -- planning ------------------------------------------------------------------------

    def _rng(self, *key: int) -> np.random.Generator:
        """Seeded per (seed, *key), so every worker plans a segment the same way."""
        if self._seed is None:
            return np.random.default_rng()
        return np.random.default_rng([self._seed, *key])

    def plan_waiting(self, study: StudyView) -> WaitingBatch:
        if len(study.directions) != 1:
            raise ValueError("PBT needs a single-objective study")
        while True:
            trials = study.get_trials()
            segments = [t for t in trials if MEMBER_ATTR in t.system_attrs]
            if not segments:
                return self._initial_batch()
            batch = self._next_segment(study, segments)
            if batch is not None:
                return batch
            time.sleep(self._poll)  # every ready member is being trained elsewhere

    def _initial_batch(self) -> WaitingBatch:
        params = []
        for member in range(self._population):
            rng = self._rng(member, 0)
            params.append({name: _draw(dist, rng) for name, dist in self._space.items()})
        attrs: list[Mapping[str, JSONValue]] = [
            {MEMBER_ATTR: m, ROUND_ATTR: 0} for m in range(self._population)
        ]
        return WaitingBatch("pbt:round-0", params, attrs)

    def _next_segment(
        self, study: StudyView, segments: Sequence[FrozenTrial]
    ) -> WaitingBatch | None:
        latest: dict[int, FrozenTrial] = {}
        failures: dict[tuple[int, int], int] = {}
        for t in segments:
            member, rnd = _member(t), _round(t)
            if t.state is TrialState.FAIL:
                failures[(member, rnd)] = failures.get((member, rnd), 0) + 1
            current = latest.get(member)
            if current is None or (rnd, t.number) > (_round(current), current.number):
                latest[member] = t
        ready: list[FrozenTrial] = []
        busy = False
        for member, last in sorted(latest.items()):
            rnd = _round(last)
            if last.state in _FINISHED_OK and last.values is not None:
                if rnd + 1 < self._rounds:
                    ready.append(last)
            elif last.state is TrialState.FAIL:
                if failures.get((member, rnd), 0) < 2:
                    return self._retry(last, failures[(member, rnd)])
            else:  # WAITING or RUNNING
                busy = True
        if ready:
            last = min(ready, key=lambda t: (_round(t), _member(t)))
            self._forget_old_rounds(study, segments, min(_round(t) for t in latest.values()))
            return self._continue(study, segments, last)
        if busy:
            return None
        raise SearchSpaceExhausted(
            f"PBT: all {self._population} members finished their {self._rounds} rounds"
        )

    def _retry(self, failed: FrozenTrial, attempt: int) -> WaitingBatch:
        attrs: dict[str, JSONValue] = {
            MEMBER_ATTR: _member(failed),
            ROUND_ATTR: _round(failed),
        }
        for key in (CHECKPOINT_PARENT_ATTR, DONOR_ATTR):
            if key in failed.system_attrs:
                attrs[key] = failed.system_attrs[key]
        key = f"pbt:{_member(failed)}:{_round(failed)}:retry-{attempt}"
        planned = failed.system_attrs.get(FIXED_PARAMS_ATTR)  # it may have failed early
        params: dict[str, ParamValue] = dict(failed.params)
        if isinstance(planned, Mapping):
            params = {str(k): v for k, v in planned.items()}  # type: ignore[misc]
        return WaitingBatch(key, [params], [attrs])

    def _continue(
        self, study: StudyView, segments: Sequence[FrozenTrial], last: FrozenTrial
    ) -> WaitingBatch:
        member, rnd = _member(last), _round(last)
        peers = _round_results(segments, rnd)  # member -> its round-rnd segment
        sign = 1.0 if study.directions[0] is StudyDirection.MINIMIZE else -1.0
        ranked = sorted(peers.values(), key=lambda t: sign * _value(t))  # best first
        cut = max(1, math.floor(self._quantile * len(ranked))) if len(ranked) > 1 else 0
        bottom = {_member(t) for t in ranked[len(ranked) - cut :]} if cut else set()
        rng = self._rng(member, rnd + 1)
        attrs: dict[str, JSONValue] = {MEMBER_ATTR: member, ROUND_ATTR: rnd + 1}
        donors = [t for t in ranked[:cut] if _member(t) != member] if member in bottom else []
        if donors:
            donor = donors[int(rng.integers(len(donors)))]
            params = self._explore(donor.params, rng)
            attrs[CHECKPOINT_PARENT_ATTR] = donor.number
            attrs[DONOR_ATTR] = _member(donor)
        else:
            params = {name: last.params[name] for name in self._space if name in last.params}
            for name, dist in self._space.items():  # a setting the objective never asked
                params.setdefault(name, _draw(dist, rng))
            attrs[CHECKPOINT_PARENT_ATTR] = last.number
        return WaitingBatch(f"pbt:{member}:{rnd + 1}", [params], [attrs])

    def _explore(
        self, params: Mapping[str, ParamValue], rng: np.random.Generator
    ) -> dict[str, ParamValue]:
        out: dict[str, ParamValue] = {}
        for name, dist in self._space.items():
            if name not in params or rng.random() < self._resample:
                out[name] = _draw(dist, rng)
                continue
            value = params[name]
            if isinstance(dist, CategoricalDistribution):
                index = int(dist.to_internal(value)) + int(rng.choice([-1, 1]))
                out[name] = dist.choices[min(max(index, 0), len(dist.choices) - 1)]
            else:
                factor = self._factors[int(rng.integers(len(self._factors)))]
                out[name] = _perturb(dist, float(value), factor)  # type: ignore[arg-type]
        return out

    def _forget_old_rounds(
        self, study: StudyView, segments: Sequence[FrozenTrial], slowest: int
    ) -> None:
        """Remove checkpoints no segment can continue any more (rounds < slowest).

        A checkpoint that a planned, running or failed (to be retried) segment is to
        load is kept whatever its round: a worker may plan a member's next round, and
        so raise ``slowest``, before the segment that continues an older checkpoint
        has loaded it.
        """
        root = getattr(study, "checkpoint_root", None)
        if not isinstance(root, Path):
            return
        needed = {
            t.system_attrs.get(CHECKPOINT_PARENT_ATTR)
            for t in segments
            if t.state not in _FINISHED_OK
        }
        for t in segments:
            if _round(t) < slowest and t.state.is_finished() and t.number not in needed:
                directory = trial_dir(root, t.number)
                if directory.exists():
                    remove_checkpoint(directory)


def _member(trial: FrozenTrial) -> int:
    return int(trial.system_attrs[MEMBER_ATTR])  # type: ignore[arg-type]


def _round(trial: FrozenTrial) -> int:
    return int(trial.system_attrs[ROUND_ATTR])  # type: ignore[arg-type]


def _value(trial: FrozenTrial) -> float:
    return trial.values[0] if trial.values is not None else math.nan


def _round_results(segments: Sequence[FrozenTrial], rnd: int) -> dict[int, FrozenTrial]:
    out: dict[int, FrozenTrial] = {}
    for t in segments:
        finished = t.state in _FINISHED_OK and t.values is not None
        if (
            finished
            and _round(t) == rnd
            and (_member(t) not in out or t.number > out[_member(t)].number)
        ):
            out[_member(t)] = t
    return out


def _draw(dist: BaseDistribution, rng: np.random.Generator) -> ParamValue:
    return dist.to_external(unit_to_internal_scalar(dist, float(rng.random())))


def _perturb(dist: BaseDistribution, value: float, factor: float) -> ParamValue:
    """``value * factor`` clipped and snapped onto the distribution.

    A range that reaches zero or below is shifted by ``(factor - 1)`` of its width
    instead; an integer always moves by at least one step.
    """
    if not isinstance(dist, (FloatDistribution, IntDistribution)):
        raise TypeError(f"cannot perturb {dist!r}")
    low, high = float(dist.low), float(dist.high)
    moved = value * factor if low > 0 else value + (factor - 1.0) * (high - low)
    if isinstance(dist, IntDistribution) and round(moved) == value and factor != 1.0:
        moved = value + (1 if factor > 1 else -1) * dist.step  # an int must move
    moved = min(max(moved, low), high)
    unit = float(internal_to_unit(dist, np.array([moved]))[0])
    return dist.to_external(unit_to_internal_scalar(dist, unit))


def lineage(trials: Sequence[FrozenTrial]) -> dict[int, list[FrozenTrial]]:
    """Each member's final schedule: the chain of segments its last checkpoint came from.

    Follows ``checkpoint:parent`` back from every member's latest finished segment, so
    an exploiting member's history continues with its donor's earlier segments: the
    hyperparameter schedule that produced the final weights, round by round.

    Example:
        >>> import tunelab as tl
        >>> lineage([])
        {}
    """
    by_number = {t.number: t for t in trials}
    latest: dict[int, FrozenTrial] = {}
    for t in trials:
        if MEMBER_ATTR in t.system_attrs and t.state in _FINISHED_OK:
            m = _member(t)
            if m not in latest or (_round(t), t.number) > (_round(latest[m]), latest[m].number):
                latest[m] = t
    out: dict[int, list[FrozenTrial]] = {}
    for member, last in sorted(latest.items()):
        chain = [last]
        parent = last.system_attrs.get(CHECKPOINT_PARENT_ATTR)
        while isinstance(parent, int) and parent in by_number and len(chain) < len(trials):
            chain.append(by_number[parent])
            parent = by_number[parent].system_attrs.get(CHECKPOINT_PARENT_ATTR)
        out[member] = chain[::-1]
    return out

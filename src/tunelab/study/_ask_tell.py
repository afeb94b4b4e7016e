"""The kernel: ``ask`` creates or claims a trial, ``tell`` checks values and finishes it."""

from __future__ import annotations

import logging
import math
import numbers
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from tunelab._records import FrozenTrial, TrialState
from tunelab.distributions import BaseDistribution
from tunelab.exceptions import TrialFinishedError
from tunelab.storages._heartbeat import Heartbeat
from tunelab.trial import Trial
from tunelab.trial._checkpoint import remove_checkpoint, trial_dir
from tunelab.trial._trial import FIXED_PARAMS_ATTR, TrialContext

__all__ = ["FAIL_REASON_ATTR", "TRACEBACK_ATTR", "ask", "check_values", "fail", "tell"]

FAIL_REASON_ATTR = "fail_reason"
TRACEBACK_ATTR = "traceback"

_logger = logging.getLogger("tunelab")


def _claim_or_create(ctx: TrialContext) -> FrozenTrial:
    """A WAITING trial claimed for this worker, else a newly planned or created one."""
    if ctx.grace_period is not None:
        for stale in ctx.storage.fail_stale_trials(ctx.study_id, ctx.grace_period):
            _logger.warning(
                "Trial %d failed: %s", stale.number, stale.system_attrs.get(FAIL_REASON_ATTR)
            )
            ctx.sampler.after_trial(ctx.view, stale)
            if ctx.on_stale is not None:
                ctx.on_stale(stale)
    if not ctx.sampler_plans:  # one storage call (one transaction) claims or creates
        return ctx.storage.claim_or_create_trial(
            ctx.study_id, ctx.worker_id, max_trials=ctx.max_trials
        )
    last_key = None
    while True:
        claimed = ctx.storage.claim_waiting_trial(ctx.study_id, ctx.worker_id)
        if claimed is not None:
            return claimed
        with ctx.plan_lock:
            # Another thread of this process may have stored a batch meanwhile.
            claimed = ctx.storage.claim_waiting_trial(ctx.study_id, ctx.worker_id)
            if claimed is not None:
                return claimed
            batch = ctx.sampler.plan_waiting(ctx.view)  # may raise SearchSpaceExhausted
            if batch is None:
                return ctx.storage.create_trial(ctx.study_id, max_trials=ctx.max_trials)
            if batch.key == last_key:
                raise RuntimeError(
                    f"{type(ctx.sampler).__name__}.plan_waiting returned the batch "
                    f"{batch.key!r} twice in a row; a sampler must move on to the next batch"
                )
            last_key = batch.key
            extra = list(batch.system_attrs) or [{}] * len(batch.params)
            templates = [
                FrozenTrial(
                    trial_id=-1,
                    number=-1,
                    state=TrialState.WAITING,
                    system_attrs={**attrs, FIXED_PARAMS_ATTR: dict(params)},
                )
                for params, attrs in zip(batch.params, extra, strict=True)
            ]
            ctx.storage.enqueue_batch(ctx.study_id, batch.key, templates)


def ask(ctx: TrialContext, search_space: Mapping[str, BaseDistribution] | None = None) -> Trial:
    """Start a trial: claim or create it, then let the sampler draw its joint parameters.

    With ``search_space``, those parameters are drawn at once (jointly, by samplers that
    model them together) and are available in ``trial.params`` before the objective runs.
    """
    if search_space is not None:
        if not isinstance(search_space, Mapping):
            raise ValueError(f"search_space={search_space!r} must be a dict of distributions")
        for name, dist in search_space.items():
            if not isinstance(dist, BaseDistribution):
                raise ValueError(
                    f"search_space[{name!r}]={dist!r} must be a Float/Int/CategoricalDistribution"
                )
    frozen = _claim_or_create(ctx)
    if ctx.heartbeat_interval is not None:
        ctx.heartbeats[frozen.trial_id] = Heartbeat(
            ctx.storage, frozen.trial_id, ctx.worker_id, ctx.heartbeat_interval
        )
    try:
        ctx.sampler.before_trial(ctx.view, frozen)
        if search_space is not None:
            space = dict(search_space)
        else:
            space = ctx.sampler.infer_relative_search_space(ctx.view, frozen)
        relative = ctx.sampler.sample_relative(ctx.view, frozen, space) if space else {}
        trial = Trial(ctx, frozen, space, relative)
        for name, dist in (search_space or {}).items():
            trial._suggest(name, dist)
    except BaseException as exc:
        fail(ctx, frozen.trial_id, f"ask() failed: {type(exc).__name__}: {exc}")
        raise
    return trial


def _as_real(value: Any) -> float | str:
    """The float value, or a description of why ``value`` is not a usable number."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value.item()
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        return f"{value!r}, which is not a number (type {type(value).__name__})"
    result = float(value)
    if not math.isfinite(result):
        return f"{result!r}, which is not a finite number"
    return result


def check_values(raw: Any, n_objectives: int) -> tuple[tuple[float, ...], None] | tuple[None, str]:
    """Validate what an objective returned: ``(values, None)`` or ``(None, reason)``."""
    if raw is None:
        return None, "the objective returned None; it must return a number"
    if isinstance(raw, np.ndarray) and raw.ndim == 1:
        raw = raw.tolist()
    items = list(raw) if isinstance(raw, Sequence) and not isinstance(raw, str) else [raw]
    if len(items) != n_objectives:
        return None, (
            f"the objective returned {len(items)} value(s) {raw!r} but the study has "
            f"{n_objectives} objective(s)"
        )
    values = []
    for index, item in enumerate(items):
        real = _as_real(item)
        if isinstance(real, str):
            where = f"value {index}: " if n_objectives > 1 else ""
            return None, f"the objective returned {where}{real}"
        values.append(real)
    return tuple(values), None


def _discard_checkpoint(ctx: TrialContext, frozen: FrozenTrial) -> None:
    """A PRUNED or FAILED trial's checkpoint will never be used: remove it."""
    if ctx.checkpoint_root is not None and frozen.state is not TrialState.COMPLETE:
        directory = trial_dir(ctx.checkpoint_root, frozen.number)
        if directory.exists():
            remove_checkpoint(directory)


def _finish_failed(
    ctx: TrialContext, trial_id: int, reason: str, traceback: str | None = None
) -> FrozenTrial:
    """Record why a trial failed and mark it FAIL (raises if it is already finished)."""
    ctx.storage.set_trial_attr(trial_id, FAIL_REASON_ATTR, reason, system=True)
    if traceback is not None:
        ctx.storage.set_trial_attr(trial_id, TRACEBACK_ATTR, traceback, system=True)
    frozen = ctx.storage.finish_trial(trial_id, TrialState.FAIL)
    _stop_heartbeat(ctx, trial_id)
    _discard_checkpoint(ctx, frozen)
    _logger.warning("Trial %d failed: %s", frozen.number, reason)
    ctx.sampler.after_trial(ctx.view, frozen)
    return frozen


def fail(
    ctx: TrialContext, trial_id: int, reason: str, traceback: str | None = None
) -> FrozenTrial | None:
    """Like :func:`_finish_failed`, but a no-op (None) if the trial is already finished."""
    try:
        return _finish_failed(ctx, trial_id, reason, traceback)
    except TrialFinishedError:
        return None


def _stop_heartbeat(ctx: TrialContext, trial_id: int) -> None:
    beat = ctx.heartbeats.pop(trial_id, None)
    if beat is not None:
        beat.stop()


def _resolve(ctx: TrialContext, trial: Trial | FrozenTrial | int) -> int:
    if isinstance(trial, Trial):
        if trial._ctx.study_id != ctx.study_id or trial._ctx.storage is not ctx.storage:
            raise ValueError(f"trial {trial.number} belongs to another study")
        return trial.trial_id
    if isinstance(trial, bool) or not isinstance(trial, (FrozenTrial, numbers.Integral)):
        raise ValueError(f"trial={trial!r} must be a Trial, a FrozenTrial or a trial number")
    number = trial.number if isinstance(trial, FrozenTrial) else int(trial)
    return ctx.storage.get_trial_by_number(ctx.study_id, number).trial_id


def tell(
    ctx: TrialContext,
    trial: Trial | FrozenTrial | int,
    values: Any = None,
    state: TrialState | None = None,
    *,
    skip_if_finished: bool = False,
) -> FrozenTrial:
    """Finish a trial with its objective value(s) or a state; see :meth:`Study.tell`."""
    trial_id = _resolve(ctx, trial)
    if state is None:
        if values is None:
            raise ValueError("tell() needs the objective value(s), or state=PRUNED/FAIL")
        state = TrialState.COMPLETE
    if not isinstance(state, TrialState) or not state.is_finished():
        raise ValueError(f"state={state!r} must be TrialState.COMPLETE, PRUNED or FAIL")
    if state is not TrialState.COMPLETE and values is not None:
        raise ValueError(f"values cannot be given with state={state.name}")
    n_objectives = len(ctx.view.directions)
    checked: tuple[float, ...] | None = None
    try:
        if state is TrialState.COMPLETE:
            checked, reason = check_values(values, n_objectives)
            if checked is None:
                return _finish_failed(ctx, trial_id, str(reason))
        elif state is TrialState.PRUNED and n_objectives == 1:
            current = ctx.storage.get_trial(trial_id)
            if current.last_step is not None:
                last = current.intermediate_values[current.last_step]
                checked = (last,) if math.isfinite(last) else None
        frozen = ctx.storage.finish_trial(trial_id, state, checked)
        _stop_heartbeat(ctx, trial_id)
        _discard_checkpoint(ctx, frozen)
    except TrialFinishedError:
        if skip_if_finished:
            return ctx.storage.get_trial(trial_id)
        raise
    ctx.sampler.after_trial(ctx.view, frozen)
    return frozen

"""The live trial handed to an objective: suggestions, reports and pruning checks."""

from __future__ import annotations

import json
import numbers
import threading
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, cast

from tunelab._encoding import unit_to_internal_scalar
from tunelab._records import FrozenTrial, TrialState
from tunelab._typing import JSONValue, ParamValue
from tunelab._view import StudyView
from tunelab.distributions import BaseDistribution
from tunelab.pruners import BasePruner
from tunelab.samplers import BaseSampler
from tunelab.storages import BaseStorage
from tunelab.storages._heartbeat import Heartbeat
from tunelab.trial._checkpoint import (
    CHECKPOINT_PARENT_ATTR,
    read_checkpoint,
    trial_dir,
    write_checkpoint,
)
from tunelab.trial._suggest import SuggestMixin

__all__ = ["FIXED_PARAMS_ATTR", "PRUNE_REASON_ATTR", "Trial", "TrialContext", "check_json"]

FIXED_PARAMS_ATTR = "fixed_params"
PRUNE_REASON_ATTR = "prune_reason"


def check_json(what: str, value: Any) -> JSONValue:
    """Raise a clear error unless ``value`` survives a standard-JSON round trip.

    NaN and infinities are refused: standard JSON (and PostgreSQL's JSON type) has no
    representation for them; store them as strings, or report them as values instead.
    """
    try:
        json.dumps(value, allow_nan=False)
    except ValueError:
        raise ValueError(
            f"{what}={value!r} contains NaN or an infinity, which JSON cannot hold; "
            "store it as a string (e.g. 'nan') instead"
        ) from None
    except TypeError as exc:
        raise ValueError(f"{what}={value!r} is not JSON-serialisable: {exc}") from None
    return value  # type: ignore[no-any-return]


_MISSING = object()


@dataclass(frozen=True)
class TrialContext:
    """What a live trial needs from its study (built once per study).

    ``plan_lock`` serialises sampler planning in this process, so that no worker thread
    concludes "nothing left" while another has planned a batch it has not stored yet.
    """

    study: Any
    storage: BaseStorage
    study_id: int
    view: StudyView
    sampler: BaseSampler
    pruner: BasePruner
    worker_id: str
    plan_lock: threading.Lock = field(default_factory=threading.Lock)
    heartbeat_interval: float | None = None
    grace_period: float | None = None
    max_trials: int | None = None
    on_stale: Callable[[FrozenTrial], None] | None = None
    heartbeats: dict[int, Heartbeat] = field(default_factory=dict)
    checkpoint_root: Path | None = None

    @property
    def sampler_plans(self) -> bool:
        """Whether the sampler may plan WAITING trials (it overrides ``plan_waiting``)."""
        return type(self.sampler).plan_waiting is not BaseSampler.plan_waiting


class Trial(SuggestMixin):
    """One evaluation of the objective; created by :meth:`Study.ask` or ``optimize``.

    Example:
        >>> import tunelab as tl
        >>> study = tl.create_study(direction="maximize")
        >>> trial = study.ask()
        >>> x = trial.suggest_float("x", 0.0, 1.0)
        >>> trial.set_user_attr("note", "first try")
        >>> study.tell(trial, x).state.name
        'COMPLETE'
    """

    def __init__(
        self,
        context: TrialContext,
        frozen: FrozenTrial,
        relative_space: Mapping[str, BaseDistribution],
        relative_params: Mapping[str, ParamValue],
    ) -> None:
        self._ctx = context
        self._frozen = frozen
        self._trial_id = frozen.trial_id
        self._params: dict[str, ParamValue] = dict(frozen.params)
        self._distributions: dict[str, BaseDistribution] = dict(frozen.distributions)
        self._intermediate: dict[int, float] = dict(frozen.intermediate_values)
        self._user_attrs: dict[str, JSONValue] = dict(frozen.user_attrs)
        self._system_attrs: dict[str, JSONValue] = dict(frozen.system_attrs)
        fixed = frozen.system_attrs.get(FIXED_PARAMS_ATTR)
        self._fixed = cast(Mapping[str, ParamValue], fixed if isinstance(fixed, Mapping) else {})
        self._relative_space = relative_space
        self._relative = relative_params

    # -- identity ------------------------------------------------------------------------

    @property
    def number(self) -> int:
        """The trial's dense, per-study number (0, 1, 2, ...)."""
        return self._frozen.number

    @property
    def trial_id(self) -> int:
        """The storage-wide id of the trial."""
        return self._trial_id

    @property
    def study(self) -> Any:
        """The :class:`~tunelab.Study` this trial belongs to."""
        return self._ctx.study

    @property
    def params(self) -> dict[str, ParamValue]:
        """The parameters suggested so far."""
        return dict(self._params)

    @property
    def distributions(self) -> dict[str, BaseDistribution]:
        """The distribution of each parameter suggested so far."""
        return dict(self._distributions)

    @property
    def user_attrs(self) -> dict[str, JSONValue]:
        """User attributes set on this trial."""
        return dict(self._user_attrs)

    @property
    def system_attrs(self) -> dict[str, JSONValue]:
        """System attributes (set by tunelab and its plug-ins)."""
        return dict(self._system_attrs)

    @property
    def intermediate_values(self) -> dict[int, float]:
        """Values reported so far, by step."""
        return dict(self._intermediate)

    @property
    def datetime_start(self) -> datetime | None:
        """When the trial started running (UTC)."""
        return self._frozen.datetime_start

    def snapshot(self) -> FrozenTrial:
        """An immutable snapshot of the trial as it stands now."""
        return FrozenTrial(
            trial_id=self._trial_id,
            number=self._frozen.number,
            state=TrialState.RUNNING,
            params=self._params,
            distributions=self._distributions,
            intermediate_values=self._intermediate,
            user_attrs=self._user_attrs,
            system_attrs=self._system_attrs,
            datetime_start=self._frozen.datetime_start,
        )

    # -- suggestions ---------------------------------------------------------------------

    def _suggest(self, name: str, distribution: BaseDistribution) -> ParamValue:
        if name in self._params:
            previous = self._distributions[name]
            if previous != distribution:
                raise ValueError(
                    f"parameter {name!r} was already suggested in trial {self.number} as "
                    f"{previous!r}; it cannot be suggested again as {distribution!r}"
                )
            return self._params[name]
        if name in self._fixed:
            value, source = self._fixed[name], "fixed (enqueued or grid) value"
        elif distribution.is_single():
            only = unit_to_internal_scalar(distribution, 0.0)
            value, source = distribution.to_external(only), "only value"
        elif name in self._relative and self._relative_space.get(name) == distribution:
            value, source = self._relative[name], "relative sample"
        else:
            value = self._ctx.sampler.sample_independent(
                self._ctx.view, self.snapshot(), name, distribution
            )
            source = f"value from {type(self._ctx.sampler).__name__}"
        try:
            internal = distribution.to_internal(value)
        except ValueError as exc:
            raise ValueError(f"parameter {name!r}: {source} {value!r} is invalid: {exc}") from None
        if not distribution.contains(internal):
            raise ValueError(
                f"parameter {name!r}: {source} {value!r} lies outside {distribution!r}"
            )
        self._ctx.storage.set_trial_param(self._trial_id, name, internal, distribution)
        external = distribution.to_external(internal)
        self._params[name] = external
        self._distributions[name] = distribution
        return external

    # -- reporting and pruning -----------------------------------------------------------

    def report(self, value: float, step: int) -> None:
        """Report an intermediate objective value (e.g. validation loss after an epoch).

        Reporting a step twice keeps the first value and warns.

        Args:
            value: The value at ``step``; NaN and infinities are recorded as given.
            step: A non-negative integer (epoch, iteration, fold...).

        Raises:
            ValueError: ``value`` is not a real number or ``step`` is not an integer >= 0.

        Example:
            >>> import tunelab as tl
            >>> trial = tl.create_study().ask()
            >>> trial.report(0.75, step=1)
            >>> trial.intermediate_values
            {1: 0.75}
        """
        if isinstance(step, bool) or not isinstance(step, numbers.Integral) or step < 0:
            raise ValueError(f"step={step!r} must be an integer >= 0")
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise ValueError(
                f"report(value={value!r}): the value must be a real number, got "
                f"{type(value).__name__}"
            )
        step, value = int(step), float(value)
        if step in self._intermediate:
            warnings.warn(
                f"trial {self.number}: step {step} was already reported "
                f"({self._intermediate[step]!r}); the new value {value!r} is ignored",
                UserWarning,
                stacklevel=2,
            )
            return
        self._ctx.storage.set_intermediate_value(self._trial_id, step, value)
        self._intermediate[step] = value

    def should_prune(self) -> bool:
        """Ask the study's pruner whether to stop now; raise ``TrialPruned`` if so.

        Returns False until something has been reported. When the answer is yes, the
        pruner's reason is recorded in ``system_attrs["prune_reason"]``.
        """
        if not self._intermediate:
            return False
        decision = self._ctx.pruner.prune(self._ctx.view, self.snapshot())
        for key, value in decision.attrs.items():
            if self._system_attrs.get(key, _MISSING) != value:
                self._set_system_attr(key, value)
        if decision.prune:
            reason = decision.reason or f"pruned by {type(self._ctx.pruner).__name__}"
            self._set_system_attr(PRUNE_REASON_ATTR, reason)
        return decision.prune

    # -- checkpoints ---------------------------------------------------------------------

    @property
    def checkpoint_dir(self) -> Path:
        """This trial's own directory for checkpoints and artefacts (created on use).

        It sits next to the study (see :func:`save_checkpoint`); a PRUNED or FAILED
        trial's directory is removed when the trial ends, a COMPLETE one's is kept.
        """
        if self._ctx.checkpoint_root is None:
            raise RuntimeError("this trial's study has no checkpoint directory")
        path = trial_dir(self._ctx.checkpoint_root, self.number)
        path.mkdir(parents=True, exist_ok=True)
        return path

    def save_checkpoint(self, state: Any) -> Path:
        """Save ``state`` (e.g. model and optimiser state dicts) as this trial's checkpoint.

        Written atomically to ``checkpoint_dir``; saving again replaces it. Schedulers
        such as population-based training hand it to the trials that continue from
        this one.

        Example:
            >>> import tunelab as tl
            >>> study = tl.create_study()
            >>> trial = study.ask()
            >>> _ = trial.save_checkpoint({"epoch": 3, "weights": [0.5, 0.25]})
            >>> trial.load_checkpoint()["epoch"]
            3
        """
        return write_checkpoint(self.checkpoint_dir, state)

    def load_checkpoint(self) -> Any | None:
        """The checkpoint this trial should start from, or None.

        This trial's own checkpoint if it saved one (e.g. before a crash and retry),
        else that of the trial it continues (``system_attrs["checkpoint:parent"]``, set
        by a scheduler such as :class:`~tunelab.schedulers.PBT`), else None.

        Raises:
            FileNotFoundError: The parent's checkpoint is gone (removed by hand, or its
                trial was pruned or failed).
        """
        if self._ctx.checkpoint_root is None:
            return None
        own = trial_dir(self._ctx.checkpoint_root, self.number)
        if (own / "checkpoint.pkl").exists():
            return read_checkpoint(own)
        parent = self._system_attrs.get(CHECKPOINT_PARENT_ATTR)
        if isinstance(parent, int) and not isinstance(parent, bool):
            source = trial_dir(self._ctx.checkpoint_root, parent)
            try:
                return read_checkpoint(source)
            except FileNotFoundError:
                raise FileNotFoundError(
                    f"trial {self.number} continues trial {parent}, whose checkpoint "
                    f"{source / 'checkpoint.pkl'} does not exist: trial {parent} did not "
                    "save one, or it was removed"
                ) from None
        return None

    # -- attributes ----------------------------------------------------------------------

    def set_user_attr(self, key: str, value: Any) -> None:
        """Attach a JSON-serialisable value to the trial (kept in the storage).

        Raises:
            ValueError: ``value`` cannot be stored as JSON.
        """
        check_json(f"user attribute {key!r}", value)
        self._ctx.storage.set_trial_attr(self._trial_id, key, value)
        self._user_attrs[key] = value

    def _set_system_attr(self, key: str, value: JSONValue) -> None:
        self._ctx.storage.set_trial_attr(self._trial_id, key, value, system=True)
        self._system_attrs[key] = value

    def __repr__(self) -> str:
        return f"Trial(number={self.number}, params={self._params!r})"

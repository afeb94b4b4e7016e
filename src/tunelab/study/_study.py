"""The :class:`Study` facade: one object for running, querying and steering a study."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from typing import Any, cast

from tunelab._clock import Clock
from tunelab._records import FrozenStudy, FrozenTrial, StudyDirection, TrialState
from tunelab._typing import JSONValue, ParamValue
from tunelab.distributions import BaseDistribution
from tunelab.pruners import BasePruner
from tunelab.samplers import BaseSampler
from tunelab.storages import BaseStorage
from tunelab.study import _ask_tell
from tunelab.study._isolate import Isolation
from tunelab.study._optimize import ExecutorSpec, optimize
from tunelab.study._options import StudyOptions
from tunelab.study._pareto import pareto_front
from tunelab.study._view_impl import StorageStudyView
from tunelab.trial import Trial
from tunelab.trial._trial import FIXED_PARAMS_ATTR, TrialContext, check_json

__all__ = ["Study"]


class Study:
    """A named optimisation: its trials, directions, sampler and pruner.

    Create one with :func:`tunelab.create_study` or open one with :func:`tunelab.load_study`.

    Example:
        >>> import tunelab as tl
        >>> def objective(trial):
        ...     x = trial.suggest_float("x", -10, 10)
        ...     return (x - 2) ** 2
        >>> study = tl.create_study(sampler=tl.samplers.RandomSampler(seed=0))
        >>> study.optimize(objective, n_trials=50)
        >>> round(study.best_params["x"])
        2
    """

    def __init__(
        self,
        storage: BaseStorage,
        record: FrozenStudy,
        sampler: BaseSampler,
        pruner: BasePruner,
        options: StudyOptions | None = None,
    ) -> None:
        if not isinstance(sampler, BaseSampler):
            raise ValueError(f"sampler={sampler!r} must be a tunelab BaseSampler")
        if not isinstance(pruner, BasePruner):
            raise ValueError(f"pruner={pruner!r} must be a tunelab BasePruner")
        self._storage = storage
        self._study_id = record.study_id
        self._name = record.name
        self._directions = record.directions
        self.sampler = sampler
        self.pruner = pruner
        self._view = StorageStudyView(storage, record.study_id, record.name, record.directions)
        self._options = options or StudyOptions()
        callback = self._options.failed_trial_callback
        self._context = TrialContext(
            study=self,
            storage=storage,
            study_id=record.study_id,
            view=self._view,
            sampler=sampler,
            pruner=pruner,
            worker_id=uuid.uuid4().hex,
            heartbeat_interval=self._options.heartbeat_interval,
            grace_period=self._options.grace_period,
            max_trials=self._options.max_trials,
            on_stale=None if callback is None else (lambda trial: callback(self, trial)),
            checkpoint_root=self._view.checkpoint_root,
        )
        self._stop_requested = False

    # -- identity ------------------------------------------------------------------------

    @property
    def study_name(self) -> str:
        """The study's unique name within its storage."""
        return self._name

    @property
    def storage(self) -> BaseStorage:
        """The storage holding the study."""
        return self._storage

    @property
    def directions(self) -> list[StudyDirection]:
        """One direction per objective."""
        return list(self._directions)

    @property
    def direction(self) -> StudyDirection:
        """The direction of a single-objective study.

        Raises:
            ValueError: The study has several objectives; use ``directions``.
        """
        self._require_single("direction")
        return self._directions[0]

    def view(self) -> StorageStudyView:
        """The :class:`~tunelab.StudyView` that samplers and pruners receive."""
        return self._view

    # -- history -------------------------------------------------------------------------

    @property
    def trials(self) -> list[FrozenTrial]:
        """Every trial, in number order."""
        return self._storage.get_trials(self._study_id)

    def get_trials(self, *, states: Collection[TrialState] | None = None) -> list[FrozenTrial]:
        """Trials in number order, optionally only those in ``states``.

        Example:
            >>> import tunelab as tl
            >>> study = tl.create_study()
            >>> study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
            >>> len(study.get_trials(states=[tl.TrialState.COMPLETE]))
            2
        """
        return self._storage.get_trials(self._study_id, states=states)

    @property
    def best_trial(self) -> FrozenTrial:
        """The COMPLETE trial with the best value (the earliest one on ties).

        Raises:
            ValueError: No trial is COMPLETE yet, or the study has several objectives.
        """
        self._require_single("best_trial")
        best = self._best_or_none()
        if best is None:
            raise ValueError(
                f"study {self._name!r} has no COMPLETE trial yet, so it has no best trial"
            )
        return best

    @property
    def best_value(self) -> float:
        """The best objective value (see :attr:`best_trial`)."""
        return cast(float, self.best_trial.value)

    @property
    def best_params(self) -> dict[str, ParamValue]:
        """The parameters of :attr:`best_trial`."""
        return dict(self.best_trial.params)

    @property
    def best_trials(self) -> list[FrozenTrial]:
        """The Pareto front: COMPLETE trials no other COMPLETE trial dominates.

        For a single objective this is every trial tied for the best value.
        """
        return pareto_front(self.get_trials(states=(TrialState.COMPLETE,)), self._directions)

    def _best_or_none(self) -> FrozenTrial | None:
        direction = self._directions[0]
        best: FrozenTrial | None = None
        for trial in self.get_trials(states=(TrialState.COMPLETE,)):
            if trial.values is None:
                continue
            if best is None or direction.better(trial.values[0], best.values[0]):  # type: ignore[index]
                best = trial
        return best

    def _best_value_or_none(self) -> float | None:
        if len(self._directions) != 1:
            return None
        best = self._best_or_none()
        return None if best is None else best.value

    def trials_dataframe(self, *, include_system_attrs: bool = False) -> Any:
        """The trials as a pandas DataFrame (needs ``tunelab[pandas]``).

        Columns: ``number``, ``value`` (or ``values_0``...), ``state``, ``datetime_start``,
        ``datetime_complete``, ``duration``, ``params_<name>``, ``user_attrs_<key>`` and,
        optionally, ``system_attrs_<key>``.
        """
        from tunelab.study._dataframe import trials_dataframe

        return trials_dataframe(self.trials, len(self._directions), include_system_attrs)

    # -- attributes ----------------------------------------------------------------------

    @property
    def user_attrs(self) -> dict[str, JSONValue]:
        """User attributes of the study."""
        return dict(self._storage.get_study(self._name).user_attrs)

    @property
    def system_attrs(self) -> dict[str, JSONValue]:
        """System attributes of the study (written by tunelab and plug-ins)."""
        return dict(self._storage.get_study(self._name).system_attrs)

    def set_user_attr(self, key: str, value: Any) -> None:
        """Attach a JSON-serialisable value to the study."""
        check_json(f"user attribute {key!r}", value)
        self._storage.set_study_attr(self._study_id, key, value)

    # -- running -------------------------------------------------------------------------

    def optimize(
        self,
        objective: Callable[[Trial], Any],
        n_trials: int | None = None,
        timeout: float | None = None,
        n_jobs: int = 1,
        catch: Iterable[type[BaseException]] | type[BaseException] = (),
        callbacks: Iterable[Callable[[Study, FrozenTrial], None]] = (),
        show_progress_bar: bool = False,
        *,
        executor: ExecutorSpec = None,
        clock: Clock | None = None,
        isolate: bool | Isolation = False,
    ) -> None:
        """Run trials of ``objective`` until a budget is spent or the study stops.

        Args:
            objective: ``objective(trial)`` returns a number (a sequence of numbers for
                several objectives). Raise :class:`~tunelab.TrialPruned` to prune.
            n_trials: How many trials this call runs; None for no limit.
            timeout: Seconds after which no new trial starts; None for no limit.
            n_jobs: Parallel workers; -1 means one per CPU core. Several workers run in
                separate processes (CPU-bound objectives scale past the GIL) unless
                ``executor`` says otherwise.
            catch: Exception types that mark the trial FAIL and let the study go on;
                any other exception marks it FAIL and is re-raised.
            callbacks: Called as ``callback(study, frozen_trial)`` after every trial.
            show_progress_bar: Show trials done, elapsed time and the best value.
            executor: Where trials run: an :class:`~tunelab.execution.Executor`,
                ``"sequential"``, ``"thread"`` or ``"process"``; by default sequential for
                one worker and processes for several. Threads suit objectives that
                release the GIL or cannot be pickled.
            clock: The clock measuring ``timeout`` (tests pass a fake one).
            isolate: Run each trial in a fresh subprocess (``True``, or a
                :class:`~tunelab.Isolation` with a per-trial ``timeout`` and
                ``memory_limit``): a trial that crashes, hangs or runs out of memory
                becomes FAIL with the reason and the study goes on.

        A NaN, infinite or non-numeric return marks the trial FAIL with the reason in
        ``system_attrs["fail_reason"]``; an exception also keeps its traceback in
        ``system_attrs["traceback"]``. Ctrl-C marks the running trial FAIL, keeps every
        finished trial, and returns. With neither ``n_trials`` nor ``timeout`` the loop
        runs until the sampler runs out of configurations (e.g. a finished grid),
        :meth:`stop` is called, or Ctrl-C.

        Example:
            >>> import tunelab as tl
            >>> study = tl.create_study(direction="maximize")
            >>> study.optimize(lambda t: t.suggest_int("n", 0, 10), n_trials=5)
            >>> len(study.trials)
            5
        """
        optimize(
            self,
            objective,
            n_trials=n_trials,
            timeout=timeout,
            n_jobs=n_jobs,
            catch=catch,
            callbacks=callbacks,
            show_progress_bar=show_progress_bar,
            executor=executor,
            clock=clock,
            isolate=isolate,
        )

    def stop(self) -> None:
        """Ask a running :meth:`optimize` to start no new trial (e.g. from a callback)."""
        self._stop_requested = True

    def ask(self, search_space: Mapping[str, BaseDistribution] | None = None) -> Trial:
        """Start a new trial (claiming an enqueued one first) and return it.

        Args:
            search_space: Optionally, distributions to draw at once; their values are
                in ``trial.params`` straight away, and any sampler may draw them jointly.

        Raises:
            SearchSpaceExhausted: The sampler has nothing left (e.g. a finished grid).

        Example:
            >>> import tunelab as tl
            >>> from tunelab.distributions import FloatDistribution
            >>> study = tl.create_study()
            >>> trial = study.ask({"x": FloatDistribution(0, 1)})
            >>> 0 <= trial.params["x"] <= 1
            True
        """
        return _ask_tell.ask(self._context, search_space)

    def tell(
        self,
        trial: Trial | FrozenTrial | int,
        values: float | Sequence[float] | None = None,
        state: TrialState | None = None,
        *,
        skip_if_finished: bool = False,
    ) -> FrozenTrial:
        """Finish a trial started by :meth:`ask` and return its final record.

        Args:
            trial: The trial, its frozen record, or its number.
            values: The objective value(s). A NaN, infinite or non-numeric value makes
                the trial FAIL with the reason recorded.
            state: COMPLETE (the default with values), PRUNED (keeps the last reported
                value) or FAIL.
            skip_if_finished: Return quietly if the trial is already finished.

        Raises:
            TrialFinishedError: The trial is already finished.
            TrialNotFoundError: No trial has that number.
            ValueError: Neither values nor a state, or values with PRUNED/FAIL.

        Example:
            >>> import tunelab as tl
            >>> study = tl.create_study()
            >>> trial = study.ask()
            >>> study.tell(trial, float("nan")).system_attrs["fail_reason"]
            'the objective returned nan, which is not a finite number'
        """
        return _ask_tell.tell(
            self._context, trial, values, state, skip_if_finished=skip_if_finished
        )

    def enqueue_trial(
        self,
        params: Mapping[str, ParamValue],
        user_attrs: Mapping[str, Any] | None = None,
        *,
        skip_if_exists: bool = False,
    ) -> None:
        """Queue a configuration to evaluate before the sampler's own proposals.

        Parameters not listed are sampled as usual; the values are checked against each
        parameter's distribution when the objective suggests it.

        Args:
            params: Values for some or all parameters.
            user_attrs: User attributes to set on the trial.
            skip_if_exists: Do nothing if a trial with these values already exists.

        Example:
            >>> import tunelab as tl
            >>> study = tl.create_study()
            >>> study.enqueue_trial({"lr": 1e-3})
            >>> study.optimize(lambda t: t.suggest_float("lr", 1e-5, 1e-1, log=True),
            ...                n_trials=1)
            >>> study.trials[0].params
            {'lr': 0.001}
        """
        if not isinstance(params, Mapping):
            raise ValueError(f"params={params!r} must be a dict of parameter values")
        check_json("params", dict(params))
        attrs = dict(user_attrs or {})
        check_json("user_attrs", attrs)
        if skip_if_exists and self._has_trial_with(params):
            return
        self._enqueue(dict(params), attrs, {}, {})

    def _enqueue(
        self,
        params: dict[str, ParamValue],
        user_attrs: dict[str, JSONValue],
        system_attrs: dict[str, JSONValue],
        intermediate_values: dict[int, float],
    ) -> None:
        template = FrozenTrial(
            trial_id=-1,
            number=-1,
            state=TrialState.WAITING,
            user_attrs=user_attrs,
            intermediate_values=intermediate_values,
            system_attrs={**system_attrs, FIXED_PARAMS_ATTR: params},
        )
        self._storage.create_trial(self._study_id, state=TrialState.WAITING, template=template)

    def _has_trial_with(self, params: Mapping[str, ParamValue]) -> bool:
        for trial in self.trials:
            fixed = trial.system_attrs.get(FIXED_PARAMS_ATTR)
            known = trial.params or (fixed if isinstance(fixed, Mapping) else {})
            if all(name in known and known[name] == value for name, value in params.items()):
                return True
        return False

    def add_trial(self, trial: FrozenTrial) -> FrozenTrial:
        """Insert a finished trial evaluated elsewhere (see :func:`tunelab.create_trial`).

        Raises:
            ValueError: The trial is not finished, its values do not fit the study, or a
                parameter lies outside its distribution.
        """
        _check_importable(trial, len(self._directions))
        return self._storage.create_trial(self._study_id, state=trial.state, template=trial)

    def add_trials(self, trials: Iterable[FrozenTrial]) -> None:
        """Insert several finished trials (see :meth:`add_trial`)."""
        for trial in trials:
            self.add_trial(trial)

    def _require_single(self, what: str) -> None:
        if len(self._directions) != 1:
            raise ValueError(
                f"{what} is defined for single-objective studies; study {self._name!r} has "
                f"{len(self._directions)} objectives (use best_trials / directions)"
            )

    def __repr__(self) -> str:
        return f"Study(name={self._name!r}, directions={[d.value for d in self._directions]})"


def _check_importable(trial: FrozenTrial, n_objectives: int) -> None:
    if not isinstance(trial, FrozenTrial):
        raise ValueError(f"trial={trial!r} must be a FrozenTrial (see tunelab.create_trial)")
    if not trial.state.is_finished():
        raise ValueError(f"only finished trials can be added, got state {trial.state.name}")
    if trial.state is TrialState.COMPLETE:
        values, reason = _ask_tell.check_values(trial.values, n_objectives)
        if values is None:
            raise ValueError(f"a COMPLETE trial needs valid values: {reason}")
    if set(trial.params) != set(trial.distributions):
        raise ValueError("trial.params and trial.distributions must name the same parameters")
    for name, value in trial.params.items():
        dist = trial.distributions[name]
        try:
            ok = dist.contains(dist.to_internal(value))
        except ValueError:
            ok = False
        if not ok:
            raise ValueError(f"parameter {name!r}: value {value!r} lies outside {dist!r}")

"""Re-run the configuration of a trial whose worker died."""

from __future__ import annotations

from typing import Any

from tunelab._records import FrozenTrial
from tunelab.trial._checkpoint import CHECKPOINT_FILE, CHECKPOINT_PARENT_ATTR, trial_dir

__all__ = ["RetryFailedTrialCallback"]

_OF = "retry:of"
_HISTORY = "retry:history"


class RetryFailedTrialCallback:
    """Enqueue the parameters of a trial failed for a missing heartbeat, up to ``max_retry``.

    Pass it as ``create_study(..., heartbeat_interval=..., failed_trial_callback=...)``.
    The new trial records the original in ``system_attrs["retry:of"]`` and every earlier
    attempt in ``system_attrs["retry:history"]``.

    Args:
        max_retry: How many times one configuration is retried (None: without limit).
        inherit_intermediate_values: Copy the failed trial's reported values into the
            retry (useful when the objective resumes from a checkpoint: the retry's
            ``trial.load_checkpoint()`` returns what the dead trial saved last).

    Raises:
        ValueError: ``max_retry`` is negative.

    Example:
        >>> import tunelab as tl
        >>> study = tl.create_study(heartbeat_interval=60,
        ...                         failed_trial_callback=tl.RetryFailedTrialCallback(2))
        >>> study.system_attrs["tunelab:grace_period"]
        120.0
    """

    def __init__(
        self, max_retry: int | None = None, inherit_intermediate_values: bool = False
    ) -> None:
        if max_retry is not None and (
            isinstance(max_retry, bool) or not isinstance(max_retry, int) or max_retry < 0
        ):
            raise ValueError(f"max_retry={max_retry!r} must be None or an integer >= 0")
        self.max_retry = max_retry
        self.inherit_intermediate_values = inherit_intermediate_values

    def __call__(self, study: Any, trial: FrozenTrial) -> None:
        """Enqueue a retry of ``trial`` unless it was retried ``max_retry`` times."""
        history = self.retry_history(trial)
        if self.max_retry is not None and len(history) >= self.max_retry:
            return
        system: dict[str, Any] = {
            _OF: history[0] if history else trial.number,
            _HISTORY: [*history, trial.number],
        }
        # Resume from the dead trial's checkpoint if it saved one, else from its parent's.
        root = study._context.checkpoint_root
        if root is not None and (trial_dir(root, trial.number) / CHECKPOINT_FILE).exists():
            system[CHECKPOINT_PARENT_ATTR] = trial.number
        elif CHECKPOINT_PARENT_ATTR in trial.system_attrs:
            system[CHECKPOINT_PARENT_ATTR] = trial.system_attrs[CHECKPOINT_PARENT_ATTR]
        study._enqueue(
            dict(trial.params),
            dict(trial.user_attrs),
            system,
            dict(trial.intermediate_values) if self.inherit_intermediate_values else {},
        )

    @staticmethod
    def retried_trial_number(trial: FrozenTrial) -> int | None:
        """The number of the original trial that ``trial`` retries, or None."""
        value = trial.system_attrs.get(_OF)
        return value if isinstance(value, int) else None

    @staticmethod
    def retry_history(trial: FrozenTrial) -> list[int]:
        """Numbers of the earlier attempts of ``trial``'s configuration, oldest first."""
        value = trial.system_attrs.get(_HISTORY)
        return [int(n) for n in value] if isinstance(value, list) else []

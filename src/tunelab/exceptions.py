"""The tunelab exception tree.

Every error raised on purpose by tunelab derives from :class:`TunelabError`, so callers
can catch the whole family at once. Errors about bad arguments also derive from
:class:`ValueError` (or :class:`KeyError` for missing names) so that code written against
the standard library's conventions keeps working.

Example:
    >>> import tunelab as tl
    >>> issubclass(tl.exceptions.DuplicatedStudyError, tl.exceptions.TunelabError)
    True
"""

from __future__ import annotations

__all__ = [
    "DuplicatedStudyError",
    "InvalidTransitionError",
    "SearchSpaceExhausted",
    "StorageError",
    "StudyNotFoundError",
    "TrialFinishedError",
    "TrialLimitReached",
    "TrialNotFoundError",
    "TrialPruned",
    "TunelabError",
]


class TunelabError(Exception):
    """Base class of every error tunelab raises on purpose."""


class TrialPruned(TunelabError):
    """Raised inside an objective to stop the trial early; the trial becomes PRUNED.

    Example:
        >>> import tunelab as tl
        >>> def objective(trial):
        ...     trial.report(0.1, step=0)
        ...     raise tl.TrialPruned()
    """


class StorageError(TunelabError):
    """The storage could not carry out an operation (I/O, locking, schema)."""


class DuplicatedStudyError(StorageError):
    """A study with the requested name already exists."""


class StudyNotFoundError(StorageError, KeyError):
    """No study has the requested name or id."""

    def __str__(self) -> str:  # KeyError quotes its message; keep it readable
        return str(self.args[0]) if self.args else ""


class TrialNotFoundError(StorageError, KeyError):
    """No trial has the requested id or number."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class InvalidTransitionError(TunelabError):
    """A trial was asked to move between two states the state machine does not allow."""


class TrialFinishedError(InvalidTransitionError):
    """The trial is already finished (COMPLETE, PRUNED or FAIL) and cannot change."""


class SearchSpaceExhausted(TunelabError):
    """The sampler has no configuration left to try (for example, a finished grid)."""


class TrialLimitReached(TunelabError):
    """The study already holds its ``max_trials``; no new trial may be created."""

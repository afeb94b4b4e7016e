"""Where trials run: the executor contract and the in-process executors.

``Study.optimize(n_jobs=1)`` uses :class:`SequentialExecutor`; ``n_jobs > 1`` uses
:class:`ThreadExecutor` unless another executor is passed.

Example:
    >>> import tunelab as tl
    >>> tl.execution.Budget(n_trials=1).reserve()
    True
"""

from tunelab.execution._base import Budget, Executor, TrialLoop
from tunelab.execution._sequential import SequentialExecutor
from tunelab.execution._threads import ThreadExecutor

__all__ = ["Budget", "Executor", "SequentialExecutor", "ThreadExecutor", "TrialLoop"]

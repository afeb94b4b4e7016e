"""Where trials run: the executor contract and the in-process executors.

``Study.optimize(n_jobs=1)`` uses :class:`SequentialExecutor`; ``n_jobs > 1`` uses
:class:`ProcessExecutor` (one process per worker) unless another executor is passed,
e.g. ``executor="thread"`` for objectives that release the GIL.

Example:
    >>> import tunelab as tl
    >>> tl.execution.Budget(n_trials=1).reserve()
    True
"""

from tunelab.execution._base import Budget, Executor, RemoteTrialLoop, TrialLoop
from tunelab.execution._processes import ProcessExecutor
from tunelab.execution._sequential import SequentialExecutor
from tunelab.execution._threads import ThreadExecutor

__all__ = [
    "Budget",
    "Executor",
    "ProcessExecutor",
    "RemoteTrialLoop",
    "SequentialExecutor",
    "ThreadExecutor",
    "TrialLoop",
]

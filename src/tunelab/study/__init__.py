"""Studies: create, load, run, and query them.

Example:
    >>> import tunelab as tl
    >>> study = tl.study.create_study(direction="minimize")
    >>> isinstance(study, tl.study.Study)
    True
"""

from tunelab.study._api import (
    create_study,
    create_trial,
    delete_study,
    get_all_study_names,
    load_study,
)
from tunelab.study._isolate import Isolation, TrialProcessError
from tunelab.study._retry import RetryFailedTrialCallback
from tunelab.study._study import Study

__all__ = [
    "Isolation",
    "RetryFailedTrialCallback",
    "Study",
    "TrialProcessError",
    "create_study",
    "create_trial",
    "delete_study",
    "get_all_study_names",
    "load_study",
]

"""tunelab: hyperparameter optimisation for machine-learning models.

Example:
    >>> import tunelab as tl
    >>> def objective(trial):
    ...     x = trial.suggest_float("x", -5, 5)
    ...     kind = trial.suggest_categorical("kind", ["a", "b"])
    ...     return x ** 2 + (0 if kind == "a" else 1)
    >>> study = tl.create_study(sampler=tl.samplers.RandomSampler(seed=0))
    >>> study.optimize(objective, n_trials=30)
    >>> study.best_params["kind"]
    'a'
"""

from tunelab import (
    callbacks,
    distributions,
    exceptions,
    execution,
    pruners,
    samplers,
    schedulers,
    storages,
    study,
    trial,
)
from tunelab._records import FrozenStudy, FrozenTrial, StudyDirection, TrialState
from tunelab._version import __version__
from tunelab._view import StudyView
from tunelab.exceptions import TrialPruned
from tunelab.study import (
    Isolation,
    RetryFailedTrialCallback,
    Study,
    create_study,
    create_trial,
    delete_study,
    get_all_study_names,
    load_study,
)
from tunelab.trial import FixedTrial, Trial

__all__ = [
    "FixedTrial",
    "FrozenStudy",
    "FrozenTrial",
    "Isolation",
    "RetryFailedTrialCallback",
    "Study",
    "StudyDirection",
    "StudyView",
    "Trial",
    "TrialPruned",
    "TrialState",
    "__version__",
    "callbacks",
    "create_study",
    "create_trial",
    "delete_study",
    "distributions",
    "exceptions",
    "execution",
    "get_all_study_names",
    "load_study",
    "pruners",
    "samplers",
    "schedulers",
    "storages",
    "study",
    "trial",
]

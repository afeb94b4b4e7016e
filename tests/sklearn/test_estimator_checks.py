"""scikit-learn's own estimator checks, run on TuneSearchCV as on its searches."""

from __future__ import annotations

from typing import Any

from scipy.stats import loguniform
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.utils.estimator_checks import parametrize_with_checks

from tunelab.sklearn import TuneSearchCV

# Configured as scikit-learn configures its own searches for these checks: failures
# raise (error_score="raise") so that the checks see the underlying estimator's errors.
SEARCHES = [
    TuneSearchCV(
        LogisticRegression(),
        {"C": loguniform(1e-2, 1e2)},
        n_trials=2,
        cv=2,
        random_state=0,
        error_score="raise",
    ),
    TuneSearchCV(
        Ridge(),
        {"alpha": loguniform(1e-2, 1e2)},
        n_trials=2,
        cv=2,
        random_state=0,
        error_score="raise",
    ),
]


@parametrize_with_checks(SEARCHES)
def test_sklearn_estimator_checks(estimator: Any, check: Any) -> None:
    check(estimator)

"""The objective of ``examples/study.yaml``: 3-fold CV accuracy of one configuration.

``tunelab run`` calls :func:`cv_accuracy` with the dict of parameters the YAML space
defines (conditional ones only when their model is chosen).
"""

from __future__ import annotations

from typing import Any

from sklearn.datasets import load_breast_cancer
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

X, y = load_breast_cancer(return_X_y=True)


def cv_accuracy(params: dict[str, Any]) -> float:
    """Mean 3-fold cross-validated accuracy on scikit-learn's breast-cancer data."""
    if params["model"] == "svc":
        model: Any = SVC(C=params["svc_C"], gamma=params["svc_gamma"])
    elif params["model"] == "random_forest":
        model = RandomForestClassifier(
            n_estimators=params["rf_n_estimators"],
            max_depth=params["rf_max_depth"],
            min_samples_leaf=params["rf_min_samples_leaf"],
            random_state=0,
        )
    else:
        model = LogisticRegression(C=params["logistic_C"], max_iter=2000)
    pipeline = make_pipeline(StandardScaler(), model)
    return float(cross_val_score(pipeline, X, y, cv=3, scoring="accuracy").mean())

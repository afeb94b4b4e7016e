"""Real tuning tasks: 3-fold cross-validated error of scikit-learn models on bundled data.

The objective is ``1 - mean accuracy`` over a fixed ``StratifiedKFold(3, shuffle=True,
random_state=0)`` with every model seeded, so it is deterministic. One evaluation takes
well under a second on one core.

The "known optimum" of a real task is not known analytically: it is the best value found
by a large random search, computed once by ``benchmarks/quality/compute_sklearn_optima.py``
and committed in ``benchmarks/quality/sklearn_optima.json`` (with the number of draws, the
seed, the best parameters and the evaluation times). An optimizer can beat it; its regret
is then floored like any other (at 1e-12). A task missing from the file is left out.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from _problems._space import CategoricalParam, Condition, FloatParam, IntParam, Param, Problem

__all__ = ["OPTIMA_FILE", "PROBLEMS", "TASKS", "Task"]

OPTIMA_FILE = Path(__file__).resolve().parent.parent / "quality" / "sklearn_optima.json"


@functools.cache
def _data(name: str) -> tuple[np.ndarray, np.ndarray]:
    from sklearn import datasets
    from sklearn.model_selection import train_test_split

    if name == "digits900":  # a stratified 900-sample subset keeps an SVC fit fast
        X, y = datasets.load_digits(return_X_y=True)
        X, _, y, _ = train_test_split(X, y, train_size=900, stratify=y, random_state=0)
        return X, y
    loader = {"breast_cancer": datasets.load_breast_cancer, "wine": datasets.load_wine}[name]
    X, y = loader(return_X_y=True)
    return X, y


def _cv_error(estimator: Any, data: str) -> float:
    from sklearn.model_selection import StratifiedKFold, cross_val_score

    X, y = _data(data)
    cv = StratifiedKFold(3, shuffle=True, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning of short MLP / logreg fits
        return float(1.0 - np.mean(cross_val_score(estimator, X, y, cv=cv, n_jobs=1)))


def _svm_digits(p: Mapping[str, Any]) -> float:
    from sklearn.svm import SVC

    return _cv_error(SVC(C=p["C"], gamma=p["gamma"]), "digits900")


def _hgb_breast_cancer(p: Mapping[str, Any]) -> float:
    from sklearn.ensemble import HistGradientBoostingClassifier

    model = HistGradientBoostingClassifier(
        learning_rate=p["learning_rate"],
        max_iter=p["max_iter"],
        max_leaf_nodes=p["max_leaf_nodes"],
        min_samples_leaf=p["min_samples_leaf"],
        l2_regularization=p["l2_regularization"],
        max_features=p["max_features"],
        early_stopping=False,
        random_state=0,
    )
    return _cv_error(model, "breast_cancer")


def _mlp_wine(p: Mapping[str, Any]) -> float:
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    mlp = MLPClassifier(
        hidden_layer_sizes=(p["units"],) * p["layers"],
        activation=p["activation"],
        alpha=p["alpha"],
        learning_rate_init=p["learning_rate_init"],
        max_iter=100,
        random_state=0,
    )
    return _cv_error(make_pipeline(StandardScaler(), mlp), "wine")


def _model_select_breast_cancer(p: Mapping[str, Any]) -> float:
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC

    kind = p["classifier"]
    if kind == "svm":
        model: Any = SVC(C=p["svm_C"], gamma=p["svm_gamma"])
    elif kind == "rf":
        model = RandomForestClassifier(
            n_estimators=p["rf_n_estimators"],
            max_depth=p["rf_max_depth"],
            max_features=p["rf_max_features"],
            random_state=0,
            n_jobs=1,
        )
    else:
        model = LogisticRegression(C=p["lr_C"], max_iter=200)
    return _cv_error(make_pipeline(StandardScaler(), model), "breast_cancer")


class Task:
    """A real tuning task before its optimum is attached."""

    def __init__(
        self,
        name: str,
        space: tuple[Param, ...],
        function: Callable[[Mapping[str, Any]], float],
        description: str,
        tags: frozenset[str] = frozenset(),
    ) -> None:
        self.name, self.space, self.function = name, space, function
        self.description, self.tags = description, tags


_RF = Condition("classifier", ("rf",))
TASKS: tuple[Task, ...] = (
    Task(
        "svm_digits",
        (FloatParam("C", 1e-2, 1e4, log=True), FloatParam("gamma", 1e-6, 1.0, log=True)),
        _svm_digits,
        "SVC(C, gamma) on a 900-sample subset of load_digits, 3-fold CV error",
    ),
    Task(
        "hgb_breast_cancer",
        (
            FloatParam("learning_rate", 1e-3, 1.0, log=True),
            IntParam("max_iter", 10, 100),
            IntParam("max_leaf_nodes", 2, 32, log=True),
            IntParam("min_samples_leaf", 1, 64, log=True),
            FloatParam("l2_regularization", 1e-6, 10.0, log=True),
            FloatParam("max_features", 0.1, 1.0),
        ),
        _hgb_breast_cancer,
        "HistGradientBoostingClassifier (6 params) on load_breast_cancer, 3-fold CV error",
    ),
    Task(
        "mlp_wine",
        (
            IntParam("layers", 1, 2),
            IntParam("units", 4, 64, log=True),
            CategoricalParam("activation", ("relu", "tanh", "logistic")),
            FloatParam("alpha", 1e-6, 10.0, log=True),
            FloatParam("learning_rate_init", 1e-4, 1e-1, log=True),
        ),
        _mlp_wine,
        "StandardScaler + MLPClassifier (5 params, max_iter=100) on load_wine, 3-fold CV error",
    ),
    Task(
        "model_select_breast_cancer",
        (
            CategoricalParam("classifier", ("svm", "rf", "logreg")),
            FloatParam("svm_C", 1e-2, 1e3, log=True, condition=Condition("classifier", ("svm",))),
            FloatParam(
                "svm_gamma", 1e-5, 1.0, log=True, condition=Condition("classifier", ("svm",))
            ),
            IntParam("rf_n_estimators", 10, 60, log=True, condition=_RF),
            IntParam("rf_max_depth", 2, 16, condition=_RF),
            FloatParam("rf_max_features", 0.1, 1.0, condition=_RF),
            FloatParam(
                "lr_C", 1e-4, 1e3, log=True, condition=Condition("classifier", ("logreg",))
            ),
        ),
        _model_select_breast_cancer,
        "model selection (SVC | random forest | logistic regression, each with its own "
        "params) on load_breast_cancer, 3-fold CV error",
        tags=frozenset({"conditional", "quick"}),
    ),
)


def _load_optima() -> dict[str, Any]:
    if not OPTIMA_FILE.exists():
        return {}
    data: dict[str, Any] = json.loads(OPTIMA_FILE.read_text())
    return data.get("tasks", {})


def _problems() -> tuple[Problem, ...]:
    if importlib.util.find_spec("sklearn") is None:
        return ()
    optima = _load_optima()
    out = []
    for task in TASKS:
        if task.name not in optima:
            continue
        entry = optima[task.name]
        out.append(
            Problem(
                task.name,
                task.space,
                task.function,
                float(entry["best_value"]),
                task.description,
                tags=task.tags | {"sklearn"},
                optimum_source=(
                    f"best of {entry['n_draws']} random-search draws (seed {entry['seed']}), "
                    "sklearn_optima.json"
                ),
            )
        )
    return tuple(out)


PROBLEMS: tuple[Problem, ...] = _problems()

"""TuneSearchCV behaves like scikit-learn's own searches."""

from __future__ import annotations

import pickle
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scipy.stats import loguniform, norm, randint, uniform
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.compose import ColumnTransformer
from sklearn.datasets import load_breast_cancer, load_iris
from sklearn.exceptions import FitFailedWarning
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import GridSearchCV, KFold, RandomizedSearchCV, cross_val_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MinMaxScaler, StandardScaler
from sklearn.svm import SVC
from sklearn.tree import DecisionTreeClassifier

import tunelab as tl
from tunelab.sklearn import TuneSearchCV

X, y = load_iris(return_X_y=True)


def _grid_search(**kwargs: object) -> TuneSearchCV:
    grid = {"C": [0.01, 0.1, 1.0, 10.0], "fit_intercept": [True, False]}
    return TuneSearchCV(
        LogisticRegression(max_iter=1000),
        {k: list(v) for k, v in grid.items()},
        n_trials=8,
        cv=3,
        sampler=tl.samplers.GridSampler(grid),
        **kwargs,  # type: ignore[arg-type]
    )


def test_cv_results_match_grid_search_cv() -> None:
    """Same candidates, same folds: same keys, dtypes, scores and ranks as scikit-learn."""
    ours = _grid_search(return_train_score=True).fit(X, y)
    theirs = GridSearchCV(
        LogisticRegression(max_iter=1000),
        {"C": [0.01, 0.1, 1.0, 10.0], "fit_intercept": [True, False]},
        cv=3,
        return_train_score=True,
    ).fit(X, y)
    assert set(ours.cv_results_) == set(theirs.cv_results_)
    order = [ours.cv_results_["params"].index(p) for p in theirs.cv_results_["params"]]
    for key, expected in theirs.cv_results_.items():
        got = ours.cv_results_[key]
        if key == "params":
            assert [got[i] for i in order] == expected
            continue
        got = np.asarray(got)[order] if not isinstance(got, np.ma.MaskedArray) else got[order]
        assert got.shape == np.asarray(expected).shape, key
        if "time" not in key:
            if key.startswith("param_"):
                assert list(got) == list(expected), key
            else:
                np.testing.assert_allclose(got, expected, err_msg=key)
                assert np.asarray(got).dtype == np.asarray(expected).dtype, key
    assert ours.best_params_ == theirs.best_params_
    assert ours.best_score_ == pytest.approx(theirs.best_score_)
    assert isinstance(ours.cv_results_["param_C"], np.ma.MaskedArray)


def test_keys_and_shapes_match_randomized_search_cv() -> None:
    space = {"C": loguniform(1e-2, 1e2), "fit_intercept": [True, False]}
    ours = TuneSearchCV(
        LogisticRegression(max_iter=500), space, n_trials=6, cv=3, random_state=0
    ).fit(X, y)
    theirs = RandomizedSearchCV(
        LogisticRegression(max_iter=500), space, n_iter=6, cv=3, random_state=0
    ).fit(X, y)
    assert set(ours.cv_results_) == set(theirs.cv_results_)
    for key, value in theirs.cv_results_.items():
        assert len(ours.cv_results_[key]) == len(value) == 6, key
    assert ours.cv_results_["rank_test_score"].dtype == np.int32
    assert sorted(ours.cv_results_["rank_test_score"])[0] == 1
    assert ours.best_index_ == int(np.argmin(ours.cv_results_["rank_test_score"]))
    import pandas as pd

    frame = pd.DataFrame(ours.cv_results_)
    assert len(frame) == 6 and "mean_test_score" in frame


def test_scipy_and_tunelab_distributions_and_pipelines() -> None:
    pipe = Pipeline([("scale", StandardScaler()), ("svc", SVC())])
    space = {
        "svc__C": loguniform(1e-2, 1e2),
        "svc__gamma": tl.distributions.FloatDistribution(1e-4, 1.0, log=True),
        "svc__degree": randint(2, 5),
        "svc__coef0": uniform(0.0, 1.0),
        "svc__kernel": ["rbf", "poly"],
    }
    search = TuneSearchCV(pipe, space, n_trials=6, cv=3, random_state=0).fit(X, y)
    for params in search.cv_results_["params"]:
        assert 1e-2 <= params["svc__C"] <= 1e2
        assert params["svc__degree"] in (2, 3, 4)
        assert 0.0 <= params["svc__coef0"] <= 1.0
    assert search.best_estimator_.named_steps["svc"].kernel in ("rbf", "poly")
    assert search.predict(X[:5]).shape == (5,)
    assert 0.0 <= search.score(X, y) <= 1.0


def test_estimator_objects_as_choices_and_column_transformers() -> None:
    data, target = load_breast_cancer(return_X_y=True, as_frame=True)
    columns = list(data.columns)
    pipe = Pipeline(
        [
            ("prep", ColumnTransformer([("num", StandardScaler(), columns)])),
            ("clf", LogisticRegression(max_iter=500)),
        ]
    )
    space = {
        "prep__num": [StandardScaler(), MinMaxScaler()],
        "clf": [LogisticRegression(max_iter=2000), DecisionTreeClassifier(max_depth=3)],
    }
    search = TuneSearchCV(pipe, space, n_trials=4, cv=2, random_state=0).fit(data, target)
    kinds = {type(p["clf"]).__name__ for p in search.cv_results_["params"]}
    assert kinds <= {"LogisticRegression", "DecisionTreeClassifier"}
    assert search.best_estimator_.named_steps["clf"] is not search.best_params_["clf"]
    assert list(search.feature_names_in_) == columns


@pytest.mark.parametrize(
    ("space", "match"),
    [
        ({"C": norm(0, 1)}, "scipy.stats.norm is not supported .*unbounded"),
        ({"C": []}, "'C'\\] is an empty list"),
        ({"C": 3.0}, "param_distributions\\['C'\\]=3.0 must be a list"),
        ({}, "non-empty dict"),
    ],
)
def test_bad_spaces_get_clear_errors(space: dict[str, object], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        TuneSearchCV(LogisticRegression(), space, n_trials=2).fit(X, y)


def test_multi_metric_scoring_with_refit_by_name() -> None:
    search = TuneSearchCV(
        LogisticRegression(max_iter=500),
        {"C": loguniform(1e-3, 1e2)},
        n_trials=5,
        cv=3,
        scoring=["accuracy", "f1_macro"],
        refit="f1_macro",
        random_state=0,
    ).fit(X, y)
    results = search.cv_results_
    for key in ("mean_test_accuracy", "rank_test_accuracy", "split2_test_f1_macro"):
        assert key in results
    assert search.best_index_ == int(np.nanargmax(results["mean_test_f1_macro"]))
    assert search.best_score_ == pytest.approx(results["mean_test_f1_macro"][search.best_index_])
    with pytest.raises(ValueError, match="refit must name the metric"):
        TuneSearchCV(
            LogisticRegression(), {"C": [1.0]}, n_trials=1, scoring=["accuracy", "f1_macro"]
        ).fit(X, y)
    with pytest.raises(ValueError, match="refit='auc' is not one of the scoring metrics"):
        TuneSearchCV(
            LogisticRegression(),
            {"C": [1.0]},
            n_trials=1,
            scoring={"acc": "accuracy"},
            refit="auc",
        ).fit(X, y)


def test_refit_false_and_callable() -> None:
    search = _grid_search(refit=False).fit(X, y)
    assert not hasattr(search, "best_estimator_")
    assert search.best_params_ in search.cv_results_["params"]
    with pytest.raises(AttributeError, match="refit=False"):
        search.predict(X)
    lowest = _grid_search(refit=lambda results: int(np.argmin(results["mean_test_score"])))
    lowest.fit(X, y)
    assert lowest.best_index_ == int(np.argmin(lowest.cv_results_["mean_test_score"]))
    assert hasattr(lowest, "best_estimator_")


class _Fragile(ClassifierMixin, BaseEstimator):
    """Fails to fit when ``fail`` is set."""

    def __init__(self, fail: bool = False) -> None:
        self.fail = fail

    def fit(self, X: np.ndarray, y: np.ndarray) -> _Fragile:
        if self.fail:
            raise RuntimeError("cannot fit")
        self.classes_ = np.unique(y)
        self.majority_ = np.bincount(y).argmax()
        return self

    def predict(self, X: np.ndarray) -> np.ndarray:
        return np.full(len(X), self.majority_)


def test_error_score_nan_warns_and_ranks_failures_last() -> None:
    search = TuneSearchCV(
        _Fragile(),
        {"fail": [True, False]},
        n_trials=2,
        cv=3,
        sampler=tl.samplers.GridSampler({"fail": [True, False]}),
    )
    with pytest.warns(FitFailedWarning, match="cannot fit"):
        search.fit(X, y)
    results = search.cv_results_
    failed = next(i for i, p in enumerate(results["params"]) if p["fail"])
    assert np.isnan(results["mean_test_score"][failed])
    assert results["rank_test_score"][failed] == 2
    assert search.best_params_ == {"fail": False}
    with pytest.raises(RuntimeError, match="cannot fit"):
        TuneSearchCV(_Fragile(), {"fail": [True]}, n_trials=1, cv=2, error_score="raise").fit(X, y)
    with (
        pytest.raises(ValueError, match=r"every one of the 1 configurations failed.*cannot fit"),
        pytest.warns(FitFailedWarning),
    ):
        TuneSearchCV(_Fragile(), {"fail": [True]}, n_trials=1, cv=2).fit(X, y)


class _NeedsClassTwo(ClassifierMixin, BaseEstimator):
    """Fails to fit on training folds without class 2 (``strict``), else predicts 0."""

    def __init__(self, strict: bool = True) -> None:
        self.strict = strict

    def fit(self, X: np.ndarray, y: np.ndarray) -> _NeedsClassTwo:
        if self.strict and 2 not in set(y):
            raise RuntimeError("class 2 is missing")
        self.classes_ = np.unique(y)
        return self

    def predict(self, X: np.ndarray) -> np.ndarray:
        return np.zeros(len(X), dtype=int)


def test_a_fit_failing_on_some_folds_scores_error_score_there_only() -> None:
    X3, y3 = np.arange(60.0).reshape(-1, 1), np.repeat([0, 1, 2], 20)
    grid = {"strict": [True, False]}
    kwargs: dict[str, Any] = {"cv": KFold(3), "refit": False}  # fold 2 trains without class 2
    with pytest.warns(FitFailedWarning, match="class 2 is missing"):
        ours = TuneSearchCV(
            _NeedsClassTwo(), grid, n_trials=2, sampler=tl.samplers.GridSampler(grid), **kwargs
        ).fit(X3, y3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = GridSearchCV(_NeedsClassTwo(), grid, **kwargs).fit(X3, y3)
    order = [ours.cv_results_["params"].index(p) for p in theirs.cv_results_["params"]]
    for k in range(3):
        np.testing.assert_array_equal(
            ours.cv_results_[f"split{k}_test_score"][order],
            theirs.cv_results_[f"split{k}_test_score"],
        )
    strict = theirs.cv_results_["params"].index({"strict": True})
    assert np.isnan(theirs.cv_results_["split2_test_score"][strict])  # the failing fold...
    assert theirs.cv_results_["split0_test_score"][strict] == 1.0  # ...and only that one


def test_methods_delegate_to_the_refitted_best_estimator() -> None:
    from sklearn.decomposition import PCA
    from sklearn.neighbors import KernelDensity

    clf = TuneSearchCV(LogisticRegression(max_iter=500), {"C": [0.1, 1.0]}, n_trials=2, cv=3)
    clf.fit(X, y)
    best = clf.best_estimator_
    for method in ("predict", "predict_proba", "predict_log_proba", "decision_function"):
        np.testing.assert_array_equal(getattr(clf, method)(X), getattr(best, method)(X))
    pca = TuneSearchCV(PCA(), {"n_components": [1, 2]}, n_trials=2, cv=3).fit(X)
    np.testing.assert_array_equal(pca.transform(X), pca.best_estimator_.transform(X))
    reduced = pca.transform(X)
    np.testing.assert_array_equal(
        pca.inverse_transform(reduced), pca.best_estimator_.inverse_transform(reduced)
    )
    kde = TuneSearchCV(KernelDensity(), {"bandwidth": [0.5, 2.0]}, n_trials=2, cv=3).fit(X)
    np.testing.assert_array_equal(kde.score_samples(X), kde.best_estimator_.score_samples(X))
    assert not hasattr(clf, "score_samples")  # only what the estimator has


def test_a_list_of_dicts_searches_each_sub_space_as_scikit_learn_does() -> None:
    spaces = [
        {"kernel": ["linear"], "C": loguniform(1e-2, 1e2)},
        {"kernel": ["rbf"], "C": loguniform(1e-2, 1e2), "gamma": loguniform(1e-4, 1e-1)},
    ]
    search = TuneSearchCV(SVC(), spaces, n_trials=12, cv=3, random_state=0).fit(X, y)
    params = search.cv_results_["params"]
    kernels = {p["kernel"] for p in params}
    assert kernels == {"linear", "rbf"}  # both sub-spaces were searched
    for p in params:  # each candidate has exactly its own sub-space's parameters
        assert set(p) == ({"kernel", "C"} if p["kernel"] == "linear" else {"kernel", "C", "gamma"})
    gamma = search.cv_results_["param_gamma"]
    assert [bool(m) for m in np.ma.getmaskarray(gamma)] == [
        p["kernel"] == "linear" for p in params
    ]
    assert "sklearn:subspace" not in search.best_params_
    assert search.best_estimator_.get_params()["kernel"] == search.best_params_["kernel"]
    with pytest.raises(ValueError, match=r"param_distributions\[1\] must be a non-empty dict"):
        TuneSearchCV(SVC(), [{"C": [1.0]}, {}], n_trials=2).fit(X, y)


def test_clone_pickle_and_nested_cross_validation() -> None:
    search = TuneSearchCV(
        LogisticRegression(max_iter=500),
        {"C": loguniform(1e-2, 1e2)},
        n_trials=3,
        cv=2,
        random_state=0,
    )
    assert clone(search).get_params()["n_trials"] == 3
    fitted = pickle.loads(pickle.dumps(search.fit(X, y)))
    np.testing.assert_array_equal(fitted.predict(X), search.predict(X))
    assert fitted.best_params_ == search.best_params_
    scores = cross_val_score(search, X, y, cv=2)
    assert scores.shape == (2,) and (scores > 0.8).all()


def test_folds_are_steps_so_a_pruner_stops_hopeless_configurations() -> None:
    data, target = load_breast_cancer(return_X_y=True)
    search = TuneSearchCV(
        Pipeline([("s", StandardScaler()), ("m", LogisticRegression(max_iter=300))]),
        {"m__C": loguniform(1e-6, 1e2)},
        n_trials=20,
        cv=5,
        pruner=tl.pruners.MedianPruner(n_startup_trials=3),
        random_state=0,
    ).fit(data, target)
    states = [t.state for t in search.trials_]
    pruned = [i for i, s in enumerate(states) if s is tl.TrialState.PRUNED]
    assert pruned, "tiny C values score far below the median after the first folds"
    for i in pruned:
        assert np.isnan(search.cv_results_["split4_test_score"][i])
        assert not np.isnan(search.cv_results_["split0_test_score"][i])
    assert search.best_score_ > 0.95


def test_parallel_workers_storage_and_resume(tmp_path: Path) -> None:
    storage = f"sqlite:///{tmp_path / 'search.db'}"
    kwargs = {"n_trials": 4, "cv": 2, "storage": storage, "study_name": "lr", "random_state": 0}
    first = TuneSearchCV(
        LogisticRegression(max_iter=500), {"C": loguniform(1e-2, 1e2)}, n_jobs=2, **kwargs
    ).fit(X, y)
    assert len(first.cv_results_["params"]) == 4
    again = TuneSearchCV(
        LogisticRegression(max_iter=500), {"C": loguniform(1e-2, 1e2)}, **kwargs
    ).fit(X, y)
    assert len(again.cv_results_["params"]) == 8  # the study went on
    assert tl.load_study(study_name="lr", storage=storage).best_value == pytest.approx(
        again.best_score_
    )


def test_fit_params_are_split_with_the_folds() -> None:
    weights = np.where(y == 0, 5.0, 1.0)
    search = TuneSearchCV(
        Ridge(), {"alpha": loguniform(1e-3, 1e1)}, n_trials=2, cv=3, random_state=0
    ).fit(X, y.astype(float), sample_weight=weights)
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n_trials": 0}, "n_trials=0 must be an integer >= 1"),
        ({"error_score": "ignore"}, "error_score='ignore'"),
        ({"refit": 3}, "refit=3 must be"),
        ({"scoring": 42}, "scoring=42"),
    ],
)
def test_invalid_arguments(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        TuneSearchCV(LogisticRegression(), {"C": [1.0]}, **kwargs).fit(X, y)  # type: ignore[arg-type]


def test_partial_fit_epochs_are_steps_and_asha_stops_poor_configurations() -> None:
    from sklearn.linear_model import SGDClassifier

    data, target = load_breast_cancer(return_X_y=True)
    data = StandardScaler().fit_transform(data)
    search = TuneSearchCV(
        SGDClassifier(loss="log_loss", learning_rate="constant", random_state=0),
        {"eta0": loguniform(1e-6, 1e-1), "alpha": loguniform(1e-6, 1e-2)},
        n_trials=16,
        cv=3,
        max_epochs=9,
        pruner=tl.pruners.SuccessiveHalvingPruner(min_resource=1, reduction_factor=3),
        random_state=0,
    ).fit(data, target)
    trials = search.trials_
    pruned = [t for t in trials if t.state is tl.TrialState.PRUNED]
    complete = [t for t in trials if t.state is tl.TrialState.COMPLETE]
    assert pruned and complete
    for trial in complete:  # one step per epoch, all folds trained 9 passes
        assert sorted(trial.intermediate_values) == list(range(1, 9))
    assert all(max(t.intermediate_values) < 8 for t in pruned)
    assert search.best_score_ > 0.9
    assert search.predict(data[:3]).shape == (3,)
    with pytest.raises(ValueError, match="max_epochs needs an estimator with partial_fit"):
        TuneSearchCV(SVC(), {"C": [1.0]}, n_trials=1, max_epochs=3).fit(X, y)
    with pytest.raises(ValueError, match="max_epochs=0 must be None or an integer >= 1"):
        TuneSearchCV(SGDClassifier(), {"alpha": [1e-4]}, n_trials=1, max_epochs=0).fit(X, y)

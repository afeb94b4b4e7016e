"""``TuneSearchCV``: scikit-learn's search interface, tunelab's samplers and pruners."""

from __future__ import annotations

import copy
import numbers
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

import numpy as np
from sklearn.base import BaseEstimator, MetaEstimatorMixin, clone, is_classifier
from sklearn.exceptions import FitFailedWarning
from sklearn.metrics import check_scoring, get_scorer
from sklearn.model_selection import check_cv
from sklearn.utils import assert_all_finite, get_tags
from sklearn.utils.metaestimators import available_if as _available_if
from sklearn.utils.validation import check_is_fitted, indexable

import tunelab as tl
from tunelab.sklearn._convert import SearchSpace
from tunelab.sklearn._cv_results import FOLD_ATTR, cv_results, storable_fold

__all__ = ["TuneSearchCV"]

_F = TypeVar("_F", bound=Callable[..., Any])


def available_if(check: Callable[[Any], bool]) -> Callable[[_F], _F]:
    """scikit-learn's ``available_if``, typed."""
    return _available_if(check)  # type: ignore[no-any-return]


def _delegate(method: str) -> Callable[[Any], bool]:
    """``available_if`` check: the refitted (or, before fitting, the given) estimator has it."""

    def check(self: TuneSearchCV) -> bool:
        if hasattr(self, "best_estimator_"):
            getattr(self.best_estimator_, method)
            return True
        getattr(self.estimator, method)
        return True

    return check


def _index(value: Any, rows: np.ndarray) -> Any:
    """``value[rows]`` for arrays, pandas objects and lists."""
    if hasattr(value, "iloc"):
        return value.iloc[rows]
    if hasattr(value, "shape") or isinstance(value, list):
        return np.asarray(value)[rows] if isinstance(value, list) else value[rows]
    return value


def _split_params(params: Mapping[str, Any], n_samples: int, rows: np.ndarray) -> dict[str, Any]:
    """Fit parameters with one value per sample (e.g. ``sample_weight``), restricted to rows."""
    out = {}
    for key, value in params.items():
        sized = hasattr(value, "__len__") and not isinstance(value, (str, bytes, Mapping))
        out[key] = _index(value, rows) if sized and len(value) == n_samples else value
    return out


class TuneSearchCV(MetaEstimatorMixin, BaseEstimator):  # type: ignore[misc]
    """A drop-in for ``GridSearchCV`` / ``RandomizedSearchCV`` driven by a tunelab study.

    Each trial draws a configuration from ``param_distributions`` with the study's
    sampler (the adaptive :class:`~tunelab.samplers.AutoSampler` by default) and
    cross-validates it fold by fold; the running mean score is reported after every fold,
    so a pruner can stop a hopeless configuration after its first folds. Then, as in
    scikit-learn: ``cv_results_`` (same keys, shapes and ranks as ``RandomizedSearchCV``),
    ``best_params_``, ``best_score_``, ``best_index_``, a refitted ``best_estimator_``
    whose ``predict`` / ``predict_proba`` / ``score`` / ``transform`` the search
    delegates to, and the tunelab ``study_``.

    Args:
        estimator: The estimator (or pipeline) to tune; it is cloned, never modified.
        param_distributions: Parameter name (``step__param`` inside pipelines) to a list
            of values, a frozen ``scipy.stats`` ``uniform`` / ``loguniform`` /
            ``randint``, or a tunelab distribution; or a list of such dicts (each
            trial draws from one of them; the study records which as the parameter
            ``"sklearn:subspace"``, left out of ``cv_results_["params"]``).
        n_trials: Configurations to evaluate.
        cv: As in scikit-learn: folds, a splitter, or an iterable of splits.
        scoring: As in scikit-learn: None (the estimator's ``score``), a name, a
            callable, or a list / dict of them for several metrics (then ``refit``
            names the one that picks the best).
        refit: Refit the best configuration on all data: True, False, a metric name,
            or a callable taking ``cv_results_`` and returning the best index.
        n_jobs: Trials evaluated in parallel worker processes (None: 1; -1: all cores).
        sampler: A tunelab sampler (default: ``AutoSampler(seed=random_state)``).
        pruner: A tunelab pruner (default: none; e.g. ``MedianPruner()`` stops
            configurations whose first folds score below the median).
        timeout: Seconds after which no new trial starts.
        random_state: Seed of the default sampler.
        return_train_score: Also score each fold's training data.
        error_score: Score of a fold whose fit fails (``"raise"`` re-raises).
        storage: Where the study lives (None: in memory; e.g. ``"sqlite:///s.db"``).
        study_name: Name of the study; with a storage, a second ``fit`` continues it.
        verbose: 0 silent, 1 progress bar, 2 also tunelab's per-trial log lines.
        max_epochs: Train incrementally with ``partial_fit`` (estimators that have it,
            e.g. ``SGDClassifier``): every fold's model gets one more pass over its
            training data per epoch, the mean validation score after each epoch is
            reported as a step, and a pruner such as
            :class:`~tunelab.pruners.SuccessiveHalvingPruner` stops poor configurations
            after a few epochs (the refit on all data still calls ``fit``). None
            (default): one ``fit`` per fold, folds as steps.

    Example:
        >>> from scipy.stats import loguniform
        >>> from sklearn.datasets import load_iris
        >>> from sklearn.linear_model import LogisticRegression
        >>> from tunelab.sklearn import TuneSearchCV
        >>> X, y = load_iris(return_X_y=True)
        >>> search = TuneSearchCV(LogisticRegression(max_iter=500),
        ...                       {"C": loguniform(1e-3, 1e2)}, n_trials=8, cv=3,
        ...                       random_state=0).fit(X, y)
        >>> search.best_score_ > 0.9, len(search.cv_results_["params"])
        (True, 8)
    """

    def __init__(
        self,
        estimator: Any,
        param_distributions: Any,
        *,
        n_trials: int = 100,
        cv: Any = 5,
        scoring: Any = None,
        refit: Any = True,
        n_jobs: int | None = None,
        sampler: Any = None,
        pruner: Any = None,
        timeout: float | None = None,
        random_state: int | None = None,
        return_train_score: bool = False,
        error_score: Any = np.nan,
        storage: Any = None,
        study_name: str | None = None,
        verbose: int = 0,
        max_epochs: int | None = None,
    ) -> None:
        self.estimator = estimator
        self.param_distributions = param_distributions
        self.n_trials = n_trials
        self.cv = cv
        self.scoring = scoring
        self.refit = refit
        self.n_jobs = n_jobs
        self.sampler = sampler
        self.pruner = pruner
        self.timeout = timeout
        self.random_state = random_state
        self.return_train_score = return_train_score
        self.error_score = error_score
        self.storage = storage
        self.study_name = study_name
        self.verbose = verbose
        self.max_epochs = max_epochs

    # -- set-up --------------------------------------------------------------------------

    def _scorers(self) -> tuple[dict[str, Any], bool]:
        scoring = self.scoring
        if scoring is None or isinstance(scoring, str) or callable(scoring):
            return {"score": check_scoring(self.estimator, scoring=scoring)}, False
        if isinstance(scoring, (list, tuple, set)):
            names = list(scoring)
            if not names or not all(isinstance(n, str) for n in names):
                raise ValueError(f"scoring={scoring!r}: a list of scorer names is expected")
            if len(set(names)) != len(names):
                raise ValueError(f"scoring={scoring!r} names a metric twice")
            return {n: get_scorer(n) for n in names}, True
        if isinstance(scoring, Mapping) and scoring:
            return {
                str(k): get_scorer(v) if isinstance(v, str) else v for k, v in scoring.items()
            }, True
        raise ValueError(
            f"scoring={scoring!r} must be None, a scorer name, a callable, or a non-empty "
            "list or dict of them"
        )

    def _refit_metric(self, scorers: Mapping[str, Any], multimetric: bool) -> str:
        if not multimetric:
            return "score"
        if isinstance(self.refit, str):
            if self.refit not in scorers:
                raise ValueError(
                    f"refit={self.refit!r} is not one of the scoring metrics {sorted(scorers)}"
                )
            return self.refit
        if self.refit is False or callable(self.refit):
            return next(iter(scorers))  # the study follows the first metric
        raise ValueError(
            "with several metrics, refit must name the metric that picks the best "
            f"configuration (one of {sorted(scorers)}), be False, or be a callable"
        )

    def _check_arguments(self) -> None:
        if (
            isinstance(self.n_trials, bool)
            or not isinstance(self.n_trials, numbers.Integral)
            or self.n_trials < 1
        ):
            raise ValueError(f"n_trials={self.n_trials!r} must be an integer >= 1")
        if not (isinstance(self.error_score, numbers.Real) or self.error_score == "raise"):
            raise ValueError(f"error_score={self.error_score!r} must be a number or 'raise'")
        if self.max_epochs is not None:
            if (
                isinstance(self.max_epochs, bool)
                or not isinstance(self.max_epochs, numbers.Integral)
                or self.max_epochs < 1
            ):
                raise ValueError(f"max_epochs={self.max_epochs!r} must be None or an integer >= 1")
            if not hasattr(self.estimator, "partial_fit"):
                raise ValueError(
                    f"max_epochs needs an estimator with partial_fit; "
                    f"{type(self.estimator).__name__} has none"
                )
        if not (isinstance(self.refit, (bool, str)) or callable(self.refit)):
            raise ValueError(
                f"refit={self.refit!r} must be True, False, a metric name or a callable"
            )

    # -- fitting -------------------------------------------------------------------------

    def fit(self, X: Any, y: Any = None, *, groups: Any = None, **fit_params: Any) -> TuneSearchCV:
        """Search, then (with ``refit``) fit the best configuration on all of ``X, y``.

        Raises:
            ValueError: An argument is invalid (the message names it), or every fit
                failed with ``error_score="raise"``.
        """
        self._check_arguments()
        space = SearchSpace(self.param_distributions)
        scorers, multimetric = self._scorers()
        refit_metric = self._refit_metric(scorers, multimetric)
        X, y, groups = indexable(X, y, groups)
        if y is not None and np.asarray(y).dtype.kind in "fc":
            assert_all_finite(y, input_name="y")  # before the splitter chokes on it
        cv = check_cv(self.cv, y, classifier=is_classifier(self.estimator))
        splits = list(cv.split(X, y, groups))
        n_samples = X.shape[0] if hasattr(X, "shape") else len(X)
        estimator = self.estimator
        error_score = self.error_score
        return_train = self.return_train_score

        n_epochs = int(self.max_epochs or 0)  # 0: whole fits, folds as steps
        classes = np.unique(y) if y is not None and is_classifier(estimator) else None

        def incremental(trial: tl.Trial) -> float:
            params = space.suggest(trial)
            folds = _EpochFolds(
                [_configured(estimator, space.estimator_params(params)) for _ in splits],
                X,
                y,
                splits,
                classes,
                [_split_params(fit_params, n_samples, train) for train, _ in splits],
            )
            for epoch in range(1, n_epochs + 1):
                mean = folds.train_epoch(scorers[refit_metric], error_score)
                if epoch < n_epochs and np.isfinite(mean):
                    trial.report(mean, epoch)
                    if trial.should_prune():
                        raise tl.TrialPruned()
            final = folds.final_scores(scorers, return_train, error_score)
            for k, fold in enumerate(final):
                trial.set_user_attr(FOLD_ATTR.format(k), storable_fold(fold))
            return float(np.mean([f["test"][refit_metric] for f in final]))

        def objective(trial: tl.Trial) -> float:
            if n_epochs:
                return incremental(trial)
            params = space.suggest(trial)
            running: list[float] = []
            for k, (train, test) in enumerate(splits):
                fold = _fit_and_score(
                    _configured(estimator, space.estimator_params(params)),
                    X,
                    y,
                    train,
                    test,
                    scorers,
                    _split_params(fit_params, n_samples, train),
                    return_train,
                    error_score,
                )
                trial.set_user_attr(FOLD_ATTR.format(k), storable_fold(fold))
                running.append(fold["test"][refit_metric])
                mean = float(np.mean(running))
                if k + 1 < len(splits) and np.isfinite(mean):
                    trial.report(mean, k)
                    if trial.should_prune():
                        raise tl.TrialPruned()
            return float(np.mean(running))

        study = tl.create_study(
            storage=self.storage,
            study_name=self.study_name,
            direction="maximize",
            sampler=self.sampler
            if self.sampler is not None
            else tl.samplers.AutoSampler(seed=self.random_state),
            pruner=self.pruner,
            load_if_exists=self.study_name is not None,
        )
        catch: tuple[type[Exception], ...] = () if error_score == "raise" else (Exception,)
        study.optimize(
            objective,
            n_trials=self.n_trials,
            timeout=self.timeout,
            n_jobs=1 if self.n_jobs is None else self.n_jobs,
            catch=catch,
            show_progress_bar=self.verbose >= 1,
        )
        self.study_ = study
        trials = [t for t in study.trials if t.state.is_finished()]
        self.trials_ = trials
        self.multimetric_ = multimetric
        self.n_splits_ = len(splits)
        self.scorer_ = scorers if multimetric else scorers["score"]
        self.cv_results_ = cv_results(
            trials,
            [space.estimator_params(t.params) for t in trials],
            len(splits),
            list(scorers),
            return_train,
        )
        self._select_best(refit_metric)
        if self.refit is not False:
            self._refit(space, X, y, fit_params)
        return self

    def _select_best(self, metric: str) -> None:
        results = self.cv_results_
        if callable(self.refit):
            index = self.refit(results)
            if not isinstance(index, numbers.Integral) or not 0 <= int(index) < len(
                results["params"]
            ):
                raise ValueError(f"refit callable returned {index!r}, not a candidate index")
            self.best_index_ = int(index)
            return
        means = results[f"mean_test_{metric}"]
        if len(means) == 0 or np.isnan(means).all():
            if self.refit is not False:
                reasons = "; ".join(sorted(_failure_reasons(self.trials_))[:5])
                raise ValueError(
                    f"every one of the {len(means)} configurations failed or was pruned, so "
                    f"there is nothing to refit. Errors: {reasons or 'none recorded'}"
                )
            return
        self.best_index_ = int(np.nanargmax(means))
        self.best_score_ = float(means[self.best_index_])

    @property
    def best_params_(self) -> dict[str, Any]:
        """The parameters of the best configuration."""
        check_is_fitted(self, "cv_results_")
        if not hasattr(self, "best_index_"):
            raise AttributeError("no configuration succeeded, so there is no best one")
        return dict(self.cv_results_["params"][self.best_index_])

    def _refit(self, space: SearchSpace, X: Any, y: Any, fit_params: Mapping[str, Any]) -> None:
        best = _configured(self.estimator, self.best_params_)
        start = time.perf_counter()
        if y is None:
            best.fit(X, **fit_params)
        else:
            best.fit(X, y, **fit_params)
        self.refit_time_ = time.perf_counter() - start
        self.best_estimator_ = best
        if hasattr(best, "feature_names_in_"):
            self.feature_names_in_ = best.feature_names_in_

    # -- delegation ----------------------------------------------------------------------

    def _fitted(self, method: str) -> Any:
        check_is_fitted(self)
        if not hasattr(self, "best_estimator_"):
            raise AttributeError(
                f"{method}() needs the refitted best estimator: this search used refit=False"
            )
        return self.best_estimator_

    @available_if(_delegate("predict"))
    def predict(self, X: Any) -> Any:
        """``predict`` of the refitted best estimator."""
        return self._fitted("predict").predict(X)

    @available_if(_delegate("predict_proba"))
    def predict_proba(self, X: Any) -> Any:
        """``predict_proba`` of the refitted best estimator."""
        return self._fitted("predict_proba").predict_proba(X)

    @available_if(_delegate("predict_log_proba"))
    def predict_log_proba(self, X: Any) -> Any:
        """``predict_log_proba`` of the refitted best estimator."""
        return self._fitted("predict_log_proba").predict_log_proba(X)

    @available_if(_delegate("decision_function"))
    def decision_function(self, X: Any) -> Any:
        """``decision_function`` of the refitted best estimator."""
        return self._fitted("decision_function").decision_function(X)

    @available_if(_delegate("score_samples"))
    def score_samples(self, X: Any) -> Any:
        """``score_samples`` of the refitted best estimator."""
        return self._fitted("score_samples").score_samples(X)

    @available_if(_delegate("transform"))
    def transform(self, X: Any) -> Any:
        """``transform`` of the refitted best estimator."""
        return self._fitted("transform").transform(X)

    @available_if(_delegate("inverse_transform"))
    def inverse_transform(self, X: Any) -> Any:
        """``inverse_transform`` of the refitted best estimator."""
        return self._fitted("inverse_transform").inverse_transform(X)

    @available_if(_delegate("score"))
    def score(self, X: Any, y: Any = None) -> float:
        """The refit metric's scorer on ``X, y`` with the refitted best estimator."""
        best = self._fitted("score")
        scorer = self.scorer_
        if isinstance(scorer, Mapping):
            scorer = (
                scorer[self.refit] if isinstance(self.refit, str) else next(iter(scorer.values()))
            )
        return float(scorer(best, X, y))

    @property
    def classes_(self) -> Any:
        """The classes of the refitted best estimator."""
        return self._fitted("classes_").classes_

    @property
    def n_features_in_(self) -> int:
        """Features seen by the refitted best estimator."""
        return int(self._fitted("n_features_in_").n_features_in_)

    def __sklearn_tags__(self) -> Any:
        """The tags of the tuned estimator: a search over a classifier is a classifier.

        ``cross_val_score`` and friends read them to pick stratified folds and the right
        default scorer.
        """
        tags = super().__sklearn_tags__()
        inner = get_tags(self.estimator)
        tags.estimator_type = inner.estimator_type
        tags.classifier_tags = copy.deepcopy(inner.classifier_tags)
        tags.regressor_tags = copy.deepcopy(inner.regressor_tags)
        tags.input_tags.pairwise = inner.input_tags.pairwise
        tags.input_tags.sparse = inner.input_tags.sparse
        tags.target_tags.multi_output = inner.target_tags.multi_output
        return tags

    def __getstate__(self) -> dict[str, Any]:
        # The study holds locks and connections: keep its trials, drop the live handle
        # (with a storage, ``tl.load_study(storage=..., study_name=...)`` reopens it).
        state = dict(self.__dict__)
        state.pop("study_", None)
        return state


def _failure_reasons(trials: Sequence[Any]) -> set[str]:
    """The distinct errors of failed fits and trials."""
    reasons = set()
    for trial in trials:
        reason = trial.system_attrs.get("fail_reason")
        if isinstance(reason, str):
            reasons.add(reason)
        for key, value in trial.user_attrs.items():
            if key.startswith("sklearn:fold_") and isinstance(value, Mapping):
                error = value.get("error")
                if isinstance(error, str):
                    reasons.add(error)
    return reasons


class _EpochFolds:
    """One model per fold, trained one ``partial_fit`` pass at a time."""

    def __init__(
        self,
        models: list[Any],
        X: Any,
        y: Any,
        splits: list[tuple[np.ndarray, np.ndarray]],
        classes: np.ndarray | None,
        fit_params: list[dict[str, Any]],
    ) -> None:
        self._models = models
        self._data = [
            (
                _index(X, train),
                None if y is None else _index(y, train),
                _index(X, test),
                None if y is None else _index(y, test),
            )
            for train, test in splits
        ]
        self._classes = classes
        self._fit_params = fit_params
        self._fit_time = [0.0] * len(models)
        self._failed: list[str | None] = [None] * len(models)

    def train_epoch(self, scorer: Any, error_score: Any) -> float:
        """One more pass for every fold; the mean validation score of ``scorer``."""
        scores = []
        for k, model in enumerate(self._models):
            X_train, y_train, X_test, y_test = self._data[k]
            if self._failed[k] is None:
                extra = {} if self._classes is None else {"classes": self._classes}
                start = time.perf_counter()
                try:
                    model.partial_fit(X_train, y_train, **extra, **self._fit_params[k])
                except Exception as exc:
                    if error_score == "raise":
                        raise
                    self._failed[k] = f"{type(exc).__name__}: {exc}"
                    warnings.warn(
                        f"a partial_fit failed and scores {error_score}: {self._failed[k]}",
                        FitFailedWarning,
                        stacklevel=2,
                    )
                self._fit_time[k] += time.perf_counter() - start
            ok = self._failed[k] is None
            scores.append(float(scorer(model, X_test, y_test)) if ok else float(error_score))
        return float(np.mean(scores))

    def final_scores(
        self, scorers: Mapping[str, Any], return_train: bool, error_score: Any
    ) -> list[dict[str, Any]]:
        """Each fold's record after the last epoch (as ``_fit_and_score`` returns it)."""
        out = []
        for k, model in enumerate(self._models):
            X_train, y_train, X_test, y_test = self._data[k]
            if self._failed[k] is not None:
                failed = {name: float(error_score) for name in scorers}
                record: dict[str, Any] = {
                    "fit_time": self._fit_time[k],
                    "score_time": 0.0,
                    "error": self._failed[k],
                    "test": failed,
                }
                if return_train:
                    record["train"] = dict(failed)
                out.append(record)
                continue
            start = time.perf_counter()
            test = {name: float(s(model, X_test, y_test)) for name, s in scorers.items()}
            record = {
                "fit_time": self._fit_time[k],
                "score_time": time.perf_counter() - start,
                "test": test,
            }
            if return_train:
                record["train"] = {
                    name: float(s(model, X_train, y_train)) for name, s in scorers.items()
                }
            out.append(record)
        return out


def _configured(estimator: Any, params: Mapping[str, Any]) -> Any:
    """A clone of ``estimator`` with ``params``; estimator-valued params are cloned too."""
    return clone(estimator).set_params(**{k: clone(v, safe=False) for k, v in params.items()})


def _fit_and_score(
    estimator: Any,
    X: Any,
    y: Any,
    train: np.ndarray,
    test: np.ndarray,
    scorers: Mapping[str, Any],
    fit_params: Mapping[str, Any],
    return_train: bool,
    error_score: Any,
) -> dict[str, Any]:
    """Fit on ``train``, score ``test`` (and ``train``); a failure scores ``error_score``."""
    X_train, X_test = _index(X, train), _index(X, test)
    y_train = None if y is None else _index(y, train)
    y_test = None if y is None else _index(y, test)
    start = time.perf_counter()
    try:
        if y_train is None:
            estimator.fit(X_train, **fit_params)
        else:
            estimator.fit(X_train, y_train, **fit_params)
    except Exception as exc:
        if error_score == "raise":
            raise
        warnings.warn(
            f"a fit failed and scores {error_score}: {type(exc).__name__}: {exc}",
            FitFailedWarning,
            stacklevel=2,
        )
        failed = {name: float(error_score) for name in scorers}
        return {
            "fit_time": time.perf_counter() - start,
            "score_time": 0.0,
            "error": f"{type(exc).__name__}: {exc}",
            "test": failed,
            **({"train": dict(failed)} if return_train else {}),
        }
    fit_time = time.perf_counter() - start
    start = time.perf_counter()
    test_scores = {name: float(s(estimator, X_test, y_test)) for name, s in scorers.items()}
    score_time = time.perf_counter() - start
    fold: dict[str, Any] = {"fit_time": fit_time, "score_time": score_time, "test": test_scores}
    if return_train:
        fold["train"] = {
            name: float(s(estimator, X_train, y_train)) for name, s in scorers.items()
        }
    return fold

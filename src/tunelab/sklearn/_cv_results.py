"""``cv_results_`` in the shape of scikit-learn's searches, built from the study's trials."""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from tunelab import FrozenTrial

__all__ = ["FOLD_ATTR", "cv_results", "storable_fold"]

FOLD_ATTR = "sklearn:fold_{}"
"""User attribute with one fold's times and scores: ``{"fit_time", "score_time",
"test": {metric: score}, "train": {metric: score}}``."""


def storable_fold(fold: Mapping[str, Any]) -> dict[str, Any]:
    """``fold`` with its non-finite scores as strings (``"nan"``, ``"inf"``, ``"-inf"``).

    Attributes are stored as JSON, which has no NaN: a failed fit scored with
    ``error_score=np.nan`` (or a scorer returning NaN) must still be recorded.

    Example:
        >>> storable_fold({"fit_time": 0.1, "test": {"score": float("nan")}})
        {'fit_time': 0.1, 'test': {'score': 'nan'}}
    """

    def safe(value: Any) -> Any:
        if isinstance(value, float) and not np.isfinite(value):
            return repr(value)
        return value

    return {
        key: {name: safe(v) for name, v in value.items()} if isinstance(value, Mapping) else value
        for key, value in fold.items()
    }


def _param_array(values: list[Any], present: list[bool]) -> np.ma.MaskedArray:
    try:
        inferred = np.array([v for v, p in zip(values, present, strict=True) if p])
        dtype = (
            inferred.dtype if inferred.dtype.kind not in "UO" and inferred.ndim == 1 else object
        )
    except ValueError:
        dtype = np.dtype(object)
    array = np.ma.MaskedArray(np.empty(len(values), dtype=dtype), mask=True)
    for index, (value, here) in enumerate(zip(values, present, strict=True)):
        if here:
            array[index] = value
    return array


def _rank(means: np.ndarray) -> np.ndarray:
    from scipy.stats import rankdata

    if np.isnan(means).all():
        return np.ones_like(means, dtype=np.int32)
    filled = np.where(np.isnan(means), np.nanmin(means) - 1, means)
    return np.asarray(rankdata(-filled, method="min"), dtype=np.int32)


def cv_results(
    trials: Sequence[FrozenTrial],
    params: Sequence[Mapping[str, Any]],
    n_splits: int,
    metrics: Sequence[str],
    return_train_score: bool,
) -> dict[str, Any]:
    """The ``cv_results_`` dict for ``trials`` (one candidate each, in order).

    Folds a trial did not run (it was pruned, or failed) hold NaN, so its mean is NaN
    and it ranks last, as a failed fit does in scikit-learn.
    """
    n = len(trials)
    folds = [[t.user_attrs.get(FOLD_ATTR.format(k)) for k in range(n_splits)] for t in trials]

    def table(pick: Any) -> np.ndarray:
        out = np.full((n, n_splits), np.nan)
        for i, row in enumerate(folds):
            for k, fold in enumerate(row):
                if isinstance(fold, Mapping):
                    value = pick(fold)
                    # Non-finite scores are stored as strings: see storable_fold.
                    if isinstance(value, (int, float)) or value in ("nan", "inf", "-inf"):
                        out[i, k] = float(value)
        return out

    results: dict[str, Any] = {}
    for key in ("fit_time", "score_time"):
        values = table(lambda fold, key=key: fold.get(key))
        with warnings.catch_warnings():  # a trial that ran no fold: NaN, silently
            warnings.simplefilter("ignore", RuntimeWarning)
            results[f"mean_{key}"] = np.nanmean(values, axis=1)
            results[f"std_{key}"] = np.nanstd(values, axis=1)
    names = sorted({name for p in params for name in p})
    for name in names:
        results[f"param_{name}"] = _param_array(
            [p.get(name) for p in params], [name in p for p in params]
        )
    results["params"] = [dict(p) for p in params]
    parts = ("test", "train") if return_train_score else ("test",)
    for metric in metrics:
        for part in parts:
            key = f"{part}_{metric}"
            scores = table(
                lambda fold, part=part, metric=metric: (fold.get(part) or {}).get(metric)
            )
            for k in range(n_splits):
                results[f"split{k}_{key}"] = scores[:, k]
            means = scores.mean(axis=1)
            results[f"mean_{key}"] = means
            results[f"std_{key}"] = scores.std(axis=1)
            if part == "test":
                results[f"rank_{key}"] = _rank(means)
    return results

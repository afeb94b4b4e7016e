"""TuneSearchCV vs. RandomizedSearchCV on scikit-learn's bundled data sets.

Same estimator, data, folds and number of candidates (``--trials``) for both; seeds
0..N-1. Reported per task: the best mean CV score each search found (median over seeds;
higher is better), how many seeds TuneSearchCV won, and — for TuneSearchCV with a
fold-level ``PercentilePruner(25.0)`` (a configuration goes on only while its running
mean score is in the best quarter of the other configurations' at that fold) — the total
fit time (all folds of all candidates) relative to the unpruned TuneSearchCV, with its
best score. Since a pruned search with the same number of candidates completes fewer of
them, the last column also gives the pruned search twice the candidates and reports the
fit time it spent until its best score first came within 0.001 of the unpruned search's
best, as a share of the unpruned search's total fit time ("never" if it did not).
Because a search's best CV score is the maximum of noisy estimates, inflated the more
configurations run all folds, the configuration each search (unpruned, pruned) chose is
also scored on fresh folds (5 x 4 repeats, shuffled differently). The
last two columns measure the pruner alone: the same candidates, drawn by
``RandomSampler(seed)`` whatever the results, with and without pruning: fit time, and in
how many seeds the pruned search kept the best candidate.

    OMP_NUM_THREADS=1 python benchmarks/sklearn/bench_search.py --seeds 5   # ~12 minutes
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import warnings
from typing import Any

import numpy as np
from scipy.stats import loguniform, randint, uniform
from sklearn.base import clone
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits, load_wine
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
)
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import (
    KFold,
    RandomizedSearchCV,
    RepeatedKFold,
    RepeatedStratifiedKFold,
    StratifiedKFold,
    cross_val_score,
)
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

import tunelab as tl
from tunelab.sklearn import TuneSearchCV


def _tasks() -> dict[str, tuple[Any, dict[str, Any], Any, Any, Any]]:
    digits = load_digits(return_X_y=True)
    cancer = load_breast_cancer(return_X_y=True)
    wine = load_wine(return_X_y=True)
    diabetes = load_diabetes(return_X_y=True)
    return {
        "svc_digits": (
            make_pipeline(StandardScaler(), SVC()),
            {"svc__C": loguniform(1e-2, 1e3), "svc__gamma": loguniform(1e-5, 1e0)},
            *digits,
            "accuracy",
        ),
        "hgb_breast_cancer": (
            HistGradientBoostingClassifier(random_state=0),
            {
                "learning_rate": loguniform(1e-3, 1.0),
                "max_leaf_nodes": randint(2, 64),
                "min_samples_leaf": randint(1, 60),
                "l2_regularization": loguniform(1e-6, 10.0),
            },
            *cancer,
            "accuracy",
        ),
        "logreg_wine": (
            make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)),
            {"logisticregression__C": loguniform(1e-4, 1e2)},
            *wine,
            "neg_log_loss",
        ),
        "rf_wine": (
            RandomForestClassifier(n_estimators=50, random_state=0),
            {
                "max_depth": randint(1, 12),
                "max_features": uniform(0.05, 0.95),
                "min_samples_leaf": randint(1, 20),
                "criterion": ["gini", "entropy"],
            },
            *wine,
            "neg_log_loss",
        ),
        "hgb_diabetes": (
            HistGradientBoostingRegressor(random_state=0),
            {
                "learning_rate": loguniform(1e-3, 1.0),
                "max_leaf_nodes": randint(2, 32),
                "min_samples_leaf": randint(5, 80),
                "l2_regularization": loguniform(1e-6, 10.0),
            },
            *diabetes,
            "r2",
        ),
    }


def _fit_time(cv_results: dict[str, Any], n_splits: int) -> float:
    total = 0.0
    for k in range(n_splits):
        scores = cv_results[f"split{k}_test_score"]
        ran = ~np.isnan(scores)
        total += float(np.sum(np.where(ran, cv_results["mean_fit_time"], 0.0)))
    return total


def _time_to_reach(search: TuneSearchCV, target: float, n_splits: int, tol: float) -> float:
    """Fit time spent (in trial order) until a COMPLETE trial scored >= target - tol."""
    results = search.cv_results_
    spent = 0.0
    for i, trial in enumerate(search.trials_):
        ran = sum(not np.isnan(results[f"split{k}_test_score"][i]) for k in range(n_splits))
        spent += ran * float(results["mean_fit_time"][i])
        if trial.state is tl.TrialState.COMPLETE and results["mean_test_score"][i] >= target - tol:
            return spent
    return float("inf")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--trials", type=int, default=30)
    parser.add_argument("--cv", type=int, default=5)
    parser.add_argument("--tasks", nargs="+")
    parser.add_argument(
        "--pruner",
        choices=["percentile", "paired"],
        default="percentile",
        help="PercentilePruner(25.0, n_startup_trials=5) or PairedFoldPruner(z=--z)",
    )
    parser.add_argument("--z", type=float, default=2.0, help="PairedFoldPruner's z")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")

    def make_pruner() -> Any:
        if args.pruner == "paired":
            return tl.pruners.PairedFoldPruner(z=args.z)
        return tl.pruners.PercentilePruner(25.0, n_startup_trials=5)

    tasks = _tasks()
    names = args.tasks or list(tasks)
    print("# TuneSearchCV vs. RandomizedSearchCV\n")
    print(f"- command: `python {' '.join(sys.argv)}`")
    print(
        f"- {args.trials} candidates, {args.cv}-fold CV, seeds 0..{args.seeds - 1}; "
        f"TuneSearchCV with its default sampler (AutoSampler); pruner: {args.pruner}\n"
    )
    print(
        "| task | scoring | RandomizedSearchCV best | TuneSearchCV best | TuneSearchCV wins "
        "| pruned: best | pruned: fit time vs. unpruned "
        "| pruned, 2x candidates: fit time to the unpruned best "
        "| random candidates, pruned: fit time vs. unpruned | best kept "
        "| chosen configuration on fresh CV: unpruned | pruned |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    task_wins = 0
    pruning_wins = 0
    isolated_wins = 0
    for name in names:
        estimator, space, X, y, scoring = tasks[name]
        classifier = name != "hgb_diabetes"
        rows: dict[str, list[float]] = {
            "random": [],
            "tune": [],
            "pruned": [],
            "ratio": [],
            "reach": [],
            "same_ratio": [],
            "same_kept": [],
            "fresh_tune": [],
            "fresh_pruned": [],
        }
        for seed in range(args.seeds):
            splitter = (StratifiedKFold if classifier else KFold)(
                args.cv, shuffle=True, random_state=seed
            )
            common = {"cv": splitter, "scoring": scoring, "refit": False}
            random = RandomizedSearchCV(
                estimator, space, n_iter=args.trials, random_state=seed, **common
            ).fit(X, y)
            tune = TuneSearchCV(
                estimator, space, n_trials=args.trials, random_state=seed, **common
            ).fit(X, y)
            pruned = TuneSearchCV(
                estimator,
                space,
                n_trials=args.trials,
                random_state=seed,
                pruner=make_pruner(),
                **common,
            ).fit(X, y)
            rows["random"].append(float(np.nanmax(random.cv_results_["mean_test_score"])))
            rows["tune"].append(tune.best_score_)
            complete = [
                i for i, t in enumerate(pruned.trials_) if t.state is tl.TrialState.COMPLETE
            ]
            rows["pruned"].append(
                float(max(pruned.cv_results_["mean_test_score"][i] for i in complete))
            )
            full_time = _fit_time(tune.cv_results_, args.cv)
            rows["ratio"].append(_fit_time(pruned.cv_results_, args.cv) / full_time)
            longer = TuneSearchCV(
                estimator,
                space,
                n_trials=2 * args.trials,
                random_state=seed,
                pruner=make_pruner(),
                **common,
            ).fit(X, y)
            tol = 0.001
            rows["reach"].append(
                _time_to_reach(longer, tune.best_score_, args.cv, tol) / full_time
            )
            # The pruner alone: the same candidates (a random sampler draws them whatever
            # the results), with and without pruning.
            fixed = {"n_trials": args.trials, **common}
            draws = TuneSearchCV(
                estimator, space, sampler=tl.samplers.RandomSampler(seed), **fixed
            ).fit(X, y)
            cut = TuneSearchCV(
                estimator,
                space,
                sampler=tl.samplers.RandomSampler(seed),
                pruner=make_pruner(),
                **fixed,
            ).fit(X, y)
            rows["same_ratio"].append(
                _fit_time(cut.cv_results_, args.cv) / _fit_time(draws.cv_results_, args.cv)
            )
            rows["same_kept"].append(float(cut.best_score_ >= draws.best_score_ - 1e-12))
            # A search's best CV score is the maximum of noisy estimates (the more
            # configurations fully evaluated, the more it is inflated); the configuration
            # it chose is scored again, unbiased, on 4 x 5 folds shuffled differently.
            fresh = (RepeatedStratifiedKFold if classifier else RepeatedKFold)(
                n_splits=args.cv, n_repeats=4, random_state=1000 + seed
            )
            for key, search in (("fresh_tune", tune), ("fresh_pruned", pruned)):
                chosen = clone(estimator).set_params(**search.best_params_)
                rows[key].append(
                    float(cross_val_score(chosen, X, y, cv=fresh, scoring=scoring).mean())
                )
            print(
                f"  {name} seed {seed}: "
                + ", ".join(f"{key} {values[-1]:.4f}" for key, values in rows.items()),
                file=sys.stderr,
            )
        wins = sum(t > r for t, r in zip(rows["tune"], rows["random"], strict=True))
        med = {k: statistics.median(v) for k, v in rows.items()}
        task_wins += med["tune"] > med["random"]
        pruning_wins += med["reach"] <= 0.6
        isolated_wins += med["same_ratio"] <= 0.6 and sum(rows["same_kept"]) * 2 > args.seeds
        print(
            f"| {name} | {scoring} | {med['random']:.4f} | {med['tune']:.4f} | "
            f"{wins}/{args.seeds} | {med['pruned']:.4f} | {100 * med['ratio']:.0f}% | "
            + ("never" if not np.isfinite(med["reach"]) else f"{100 * med['reach']:.0f}%")
            + f" ({sum(np.isfinite(r) for r in rows['reach'])}/{args.seeds} seeds) | "
            f"{100 * med['same_ratio']:.0f}% | {int(sum(rows['same_kept']))}/{args.seeds} | "
            f"{med['fresh_tune']:.4f} | {med['fresh_pruned']:.4f} |"
        )
        sys.stdout.flush()
    print(f"\nTuneSearchCV's median best score is higher on {task_wins} of {len(names)} tasks.")
    print(
        "With pruning, TuneSearchCV reaches the unpruned best score with at most 60% of the "
        f"unpruned fit time (median over seeds) on {pruning_wins} of {len(names)} tasks."
    )
    print(
        "On the same random candidates, pruning spends at most 60% of the fit time and keeps "
        f"the best candidate in most seeds on {isolated_wins} of {len(names)} tasks."
    )


if __name__ == "__main__":
    start = time.perf_counter()
    main()
    print(f"Wall time {time.perf_counter() - start:.0f} s.")

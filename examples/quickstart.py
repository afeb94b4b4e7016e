"""Quick start: tune a scikit-learn classifier on a dataset that ships with scikit-learn.

The search space is define-by-run: the model family is a parameter, and each family has
its own hyperparameters. Every trial is scored by 3-fold cross-validated accuracy.

The study is stored in the SQLite file ``tunelab.db`` (the embedded default): running the
script again continues the same study with more trials.

Run it with ``make demo`` (or ``python examples/quickstart.py --trials 40``).
"""

from __future__ import annotations

import argparse
import time

from sklearn.datasets import load_breast_cancer
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

import tunelab as tl

X, y = load_breast_cancer(return_X_y=True)


def objective(trial: tl.Trial) -> float:
    """Mean 3-fold CV accuracy of one configuration."""
    model = trial.suggest_categorical("model", ["svc", "random_forest", "logistic"])
    if model == "svc":
        classifier = SVC(
            C=trial.suggest_float("svc_C", 1e-3, 1e3, log=True),
            gamma=trial.suggest_float("svc_gamma", 1e-5, 1e-1, log=True),
        )
    elif model == "random_forest":
        classifier = RandomForestClassifier(
            n_estimators=trial.suggest_int("rf_n_estimators", 20, 200, step=20),
            max_depth=trial.suggest_int("rf_max_depth", 2, 16, log=True),
            min_samples_leaf=trial.suggest_int("rf_min_samples_leaf", 1, 10),
            random_state=0,
        )
    else:
        classifier = LogisticRegression(
            C=trial.suggest_float("logistic_C", 1e-4, 1e2, log=True), max_iter=2000
        )
    pipeline = make_pipeline(StandardScaler(), classifier)
    return float(cross_val_score(pipeline, X, y, cv=3, scoring="accuracy").mean())


def main() -> None:
    """Run the study and print the best configuration."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--trials", type=int, default=40)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--storage", default="sqlite:///tunelab.db")
    args = parser.parse_args()

    study = tl.create_study(
        storage=args.storage,
        study_name="breast-cancer-classifier",
        direction="maximize",
        sampler=tl.samplers.AutoSampler(seed=args.seed),  # the default, seeded here
        load_if_exists=True,  # running the script again resumes the study
    )
    already = len(study.trials)
    # A known-good starting point is evaluated first (once).
    study.enqueue_trial({"model": "svc", "svc_C": 1.0, "svc_gamma": 1e-2}, skip_if_exists=True)
    start = time.perf_counter()
    study.optimize(objective, n_trials=args.trials, show_progress_bar=True)
    elapsed = time.perf_counter() - start

    finished = study.get_trials(states=[tl.TrialState.COMPLETE])
    print(
        f"\nStudy {study.study_name!r} in {args.storage}: ran {args.trials} trials in "
        f"{elapsed:.1f} s ({len(finished)} complete in total, {already} from earlier runs)"
    )
    print(f"Best CV accuracy: {study.best_value:.4f} (trial {study.best_trial.number})")
    print("Best parameters:")
    for name, value in study.best_params.items():
        print(f"  {name:>22} = {value}")


if __name__ == "__main__":
    main()

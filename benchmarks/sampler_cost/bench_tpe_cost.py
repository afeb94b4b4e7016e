"""Time per suggestion of TPE with a large history: tunelab vs. Optuna, same process.

Both studies are pre-filled with the same N finished trials (5 parameters: float, log
float, int, stepped int, categorical), then each library proposes M more trials; we time
ask + suggest + tell of those M trials. Runs are interleaved and repeated; medians and the
ratio Optuna / tunelab are reported (> 1 means tunelab is faster).

    python benchmarks/sampler_cost/bench_tpe_cost.py --history 1000 --trials 20 --repeats 3
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

import numpy as np


def _history(n: int, seed: int) -> list[dict[str, Any]]:
    rng = np.random.default_rng(seed)
    rows = []
    for _ in range(n):
        p = {
            "x": float(rng.uniform(-5, 5)),
            "lr": float(10 ** rng.uniform(-5, -1)),
            "n": int(rng.integers(1, 65)),
            "w": int(rng.integers(0, 17) * 16),
            "c": str(rng.choice(["a", "b", "c", "d"])),
        }
        value = (p["x"] - 1) ** 2 + np.log10(p["lr"] / 1e-3) ** 2 + (p["n"] - 9) ** 2 / 50
        rows.append({"params": p, "value": float(value)})
    return rows


def _objective(trial: Any) -> float:
    x = trial.suggest_float("x", -5.0, 5.0)
    lr = trial.suggest_float("lr", 1e-5, 1e-1, log=True)
    n = trial.suggest_int("n", 1, 64)
    trial.suggest_int("w", 0, 256, step=16)
    trial.suggest_categorical("c", ["a", "b", "c", "d"])
    return (x - 1) ** 2 + np.log10(lr / 1e-3) ** 2 + (n - 9) ** 2 / 50


def tunelab_space() -> dict[str, Any]:
    """The tunelab distributions of the parameters ``_objective`` suggests."""
    from tunelab.distributions import (
        CategoricalDistribution,
        FloatDistribution,
        IntDistribution,
    )

    return {
        "x": FloatDistribution(-5, 5),
        "lr": FloatDistribution(1e-5, 1e-1, log=True),
        "n": IntDistribution(1, 64),
        "w": IntDistribution(0, 256, step=16),
        "c": CategoricalDistribution(["a", "b", "c", "d"]),
    }


def run_tunelab(rows: list[dict[str, Any]], m: int, multivariate: bool) -> float:
    import tunelab as tl

    dists = tunelab_space()
    study = tl.create_study(sampler=tl.samplers.TPESampler(seed=0, multivariate=multivariate))
    study.add_trials(
        tl.create_trial(value=r["value"], params=r["params"], distributions=dists) for r in rows
    )
    start = time.perf_counter()
    study.optimize(_objective, n_trials=m)
    return (time.perf_counter() - start) / m


def run_optuna(rows: list[dict[str, Any]], m: int, multivariate: bool) -> float:
    import optuna
    from optuna.distributions import (
        CategoricalDistribution,
        FloatDistribution,
        IntDistribution,
    )

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    dists = {
        "x": FloatDistribution(-5, 5),
        "lr": FloatDistribution(1e-5, 1e-1, log=True),
        "n": IntDistribution(1, 64),
        "w": IntDistribution(0, 256, step=16),
        "c": CategoricalDistribution(["a", "b", "c", "d"]),
    }
    sampler = optuna.samplers.TPESampler(seed=0, multivariate=multivariate)
    study = optuna.create_study(sampler=sampler)
    study.add_trials(
        [
            optuna.trial.create_trial(value=r["value"], params=r["params"], distributions=dists)
            for r in rows
        ]
    )
    start = time.perf_counter()
    study.optimize(_objective, n_trials=m)
    return (time.perf_counter() - start) / m


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--history", type=int, default=1000)
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    rows = _history(args.history, 0)
    import optuna

    import tunelab

    print(
        f"TPE time per suggestion after {args.history} finished trials, 5 params, "
        f"{args.trials} trials x {args.repeats} interleaved repeats "
        f"(tunelab {tunelab.__version__}, optuna {optuna.__version__})"
    )
    print(f"{'mode':<13} {'tunelab ms':>11} {'optuna ms':>10} {'optuna/tunelab':>15}")
    for multivariate in (False, True):
        ours, theirs = [], []
        for _ in range(args.repeats):
            ours.append(run_tunelab(rows, args.trials, multivariate))
            theirs.append(run_optuna(rows, args.trials, multivariate))
        a, b = statistics.median(ours), statistics.median(theirs)
        # multivariate is both libraries' default (grouped here, not in Optuna)
        mode = "multivariate" if multivariate else "univariate"
        print(f"{mode:<13} {a * 1e3:>11.2f} {b * 1e3:>10.2f} {b / a:>14.2f}x")


if __name__ == "__main__":
    main()

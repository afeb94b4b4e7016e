"""Time per trial: RandomSampler + in-memory storage, no-op objective, tunelab vs. Optuna.

Both libraries run the same objective (one float, one int, one categorical parameter,
returning 0.0) for the same number of trials. Runs are interleaved (tunelab, Optuna,
tunelab, ...) so that machine noise hits both alike; the median of the repeats is
reported, and the ratio Optuna / tunelab (> 1 means tunelab is faster).

    python benchmarks/overhead/bench_trial_overhead.py --trials 2000 --repeats 5
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time
from collections.abc import Callable
from typing import Any


def _objective(trial: Any) -> float:
    trial.suggest_float("x", 0.0, 1.0)
    trial.suggest_int("y", 0, 10)
    trial.suggest_categorical("z", ["a", "b", "c"])
    return 0.0


def run_tunelab(n_trials: int, seed: int) -> float:
    import tunelab as tl

    study = tl.create_study(sampler=tl.samplers.RandomSampler(seed=seed))
    start = time.perf_counter()
    study.optimize(_objective, n_trials=n_trials)
    elapsed = time.perf_counter() - start
    assert len(study.trials) == n_trials
    return elapsed / n_trials


def run_optuna(n_trials: int, seed: int) -> float:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=seed))
    start = time.perf_counter()
    study.optimize(_objective, n_trials=n_trials)
    elapsed = time.perf_counter() - start
    assert len(study.trials) == n_trials
    return elapsed / n_trials


RUNNERS: dict[str, Callable[[int, int], float]] = {"tunelab": run_tunelab, "optuna": run_optuna}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--trials", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    import optuna

    import tunelab

    for runner in RUNNERS.values():  # warm-up: imports, first-call caches
        runner(50, 0)
    samples: dict[str, list[float]] = {name: [] for name in RUNNERS}
    for repeat in range(args.repeats):
        for name, runner in RUNNERS.items():
            gc.collect()
            samples[name].append(runner(args.trials, repeat))
    med = {name: statistics.median(values) for name, values in samples.items()}
    print(
        f"Trial overhead: RandomSampler + in-memory storage, no-op objective, 3 params; "
        f"{args.trials} trials x {args.repeats} interleaved repeats "
        f"(tunelab {tunelab.__version__}, optuna {optuna.__version__})"
    )
    print(f"{'library':<10} {'median us/trial':>16} {'min':>8} {'max':>8}")
    for name, values in samples.items():
        print(
            f"{name:<10} {med[name] * 1e6:>16.1f} {min(values) * 1e6:>8.1f} "
            f"{max(values) * 1e6:>8.1f}"
        )
    ratio = med["optuna"] / med["tunelab"]
    verdict = "tunelab faster" if ratio >= 1 else "tunelab SLOWER"
    print(f"ratio optuna/tunelab = {ratio:.2f}x  ({verdict})")


if __name__ == "__main__":
    main()

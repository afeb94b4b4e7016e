"""Time per suggestion of GPSampler: tunelab vs. Optuna, at 50/100/200 finished trials.

Both libraries get the same history: ``n`` COMPLETE trials of a 5-d continuous problem
(a shifted, rotated ellipsoid plus a cosine ripple on ``[0, 1]^5``) at the same random
points. Each timed suggestion is one ``ask()`` (which fits the GP and maximises the
acquisition) followed by ``tell(FAIL)``, so the history stays at ``n`` trials and every
repeat fits the same data (both samplers then warm-start from their previous fit, their
steady state in a running study); the first suggestion of each sampler, without a warm
start, is reported apart as "cold". Libraries alternate (tunelab, Optuna, tunelab, ...)
so machine noise hits both alike; the table gives medians and the ratio Optuna / tunelab
(> 1 means tunelab is faster). Optuna's GPSampler needs torch (``torch==2.13.0``).

``--threads`` (default 1) caps the BLAS/OpenMP threads of NumPy/SciPy and torch alike,
set before either is imported: on a small shared machine, idle BLAS threads waiting for a
core can cost more than the arithmetic, and one thread each keeps the comparison fair.

    python benchmarks/sampler_cost/bench_gp_cost.py --sizes 50 100 200 --repeats 5 --threads 1
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import time
import warnings
from collections.abc import Callable
from typing import Any

DIM = 5
NAMES = [f"x{i}" for i in range(DIM)]


def _problem(points: Any) -> Any:
    import numpy as np

    rng = np.random.default_rng(123)
    rotation, _ = np.linalg.qr(rng.standard_normal((DIM, DIM)))
    z = (points - 0.3) @ rotation
    scales = np.logspace(0, 2, DIM)
    return np.asarray((scales * z * z).sum(1) + 0.1 * np.cos(12 * points).sum(1))


def _history(n: int, seed: int) -> tuple[Any, Any]:
    import numpy as np

    points = np.random.default_rng(seed).random((n, DIM))
    return points, _problem(points)


def _tunelab_study(n: int, seed: int) -> Any:
    import tunelab as tl
    from tunelab.distributions import FloatDistribution
    from tunelab.samplers.gp import GPSampler

    dists = {name: FloatDistribution(0.0, 1.0) for name in NAMES}
    study = tl.create_study(sampler=GPSampler(seed=seed, deterministic_objective=True))
    points, values = _history(n, seed)
    study.add_trials(
        tl.create_trial(value=float(v), params=dict(zip(NAMES, map(float, p), strict=True)),
                        distributions=dists)
        for p, v in zip(points, values, strict=True)
    )  # fmt: skip
    return study


def _optuna_study(n: int, seed: int) -> Any:
    import optuna

    dists = {name: optuna.distributions.FloatDistribution(0.0, 1.0) for name in NAMES}
    sampler = optuna.samplers.GPSampler(seed=seed, deterministic_objective=True)
    study = optuna.create_study(sampler=sampler)
    points, values = _history(n, seed)
    study.add_trials(
        optuna.trial.create_trial(value=float(v),
                                  params=dict(zip(NAMES, map(float, p), strict=True)),
                                  distributions=dists)
        for p, v in zip(points, values, strict=True)
    )  # fmt: skip
    return study


def _time_one(study: Any, fail_state: Any) -> float:
    start = time.perf_counter()
    trial = study.ask()
    for name in NAMES:
        trial.suggest_float(name, 0.0, 1.0)
    elapsed = time.perf_counter() - start
    study.tell(trial, state=fail_state)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[50, 100, 200])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1, help="0 leaves the defaults")
    args = parser.parse_args()
    if args.threads > 0:
        for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ[var] = str(args.threads)

    import optuna
    import torch

    import tunelab as tl

    if args.threads > 0:
        torch.set_num_threads(args.threads)
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
    print(f"tunelab {tl.__version__}, optuna {optuna.__version__}, torch {torch.__version__}, "
          f"torch threads {torch.get_num_threads()}")  # fmt: skip
    print(f"{DIM}-d continuous problem, {args.repeats} timed suggestions per cell (medians)\n")
    header = ("trials", "tunelab (s)", "optuna (s)", "optuna/tunelab", "cold: tunelab", "optuna")
    print(" | ".join(f"{h:>{max(6, len(h))}}" for h in header))
    print("-|-".join("-" * max(6, len(h)) for h in header))
    # Pay the one-off imports (scipy.stats, torch kernels) before anything is timed.
    _time_one(_tunelab_study(12, args.seed), tl.TrialState.FAIL)
    _time_one(_optuna_study(12, args.seed), optuna.trial.TrialState.FAIL)
    for n in args.sizes:
        studies: dict[str, tuple[Any, Any]] = {
            "tunelab": (_tunelab_study(n, args.seed), tl.TrialState.FAIL),
            "optuna": (_optuna_study(n, args.seed), optuna.trial.TrialState.FAIL),
        }
        runners: dict[str, Callable[[], float]] = {
            name: (lambda s=study, f=fail: _time_one(s, f))
            for name, (study, fail) in studies.items()
        }
        cold = {name: run() for name, run in runners.items()}  # first fit: no warm start
        times: dict[str, list[float]] = {name: [] for name in runners}
        for _ in range(args.repeats):
            for name, run in runners.items():
                times[name].append(run())
        ours, theirs = (statistics.median(times[k]) for k in ("tunelab", "optuna"))
        ratio = theirs / ours if ours > 0 else math.inf
        print(
            f"{n:>6} | {ours:>11.3f} | {theirs:>10.3f} | {ratio:>14.2f} | "
            f"{cold['tunelab']:>13.3f} | {cold['optuna']:>6.3f}"
        )


if __name__ == "__main__":
    main()

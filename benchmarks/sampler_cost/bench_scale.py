"""Time per suggestion with 1,000 to 100,000 finished trials: every tunelab sampler.

A study is pre-filled (``add_trials``, in memory) with N finished trials over 5 parameters
(float, log float, int, stepped int, categorical), then each sampler, with its defaults,
proposes M more trials; we report the median time of ask + suggest + tell per trial. The
issue's bar: a study of 100,000 trials still suggests in bounded time (TPE and GP window
their history, CMA-ES keeps its state in trial attributes).

    python benchmarks/sampler_cost/bench_scale.py --history 1000 10000 100000 --trials 5
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_tpe_cost import _history, _objective, tunelab_space


def _samplers() -> dict[str, Any]:
    import tunelab as tl

    return {
        "random": lambda: tl.samplers.RandomSampler(seed=0),
        "tpe": lambda: tl.samplers.TPESampler(seed=0),
        "tpe-multivariate": lambda: tl.samplers.TPESampler(seed=0, multivariate=True),
        "cmaes": lambda: tl.samplers.CmaEsSampler(seed=0),
        "gp": lambda: tl.samplers.GPSampler(seed=0),
        "auto": lambda: tl.samplers.AutoSampler(seed=0),
    }


def _filled(n: int) -> list[Any]:
    import tunelab as tl

    dists = tunelab_space()
    return [
        tl.create_trial(params=row["params"], distributions=dists, value=row["value"])
        for row in _history(n, seed=1)
    ]


def measure(name: str, make: Any, trials: list[Any], m: int) -> list[float]:
    import tunelab as tl

    study = tl.create_study(sampler=make())
    study.add_trials(trials)
    times = []
    for _ in range(m):
        start = time.perf_counter()
        trial = study.ask()
        study.tell(trial, _objective(trial))
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--history", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--trials", type=int, default=5, help="suggestions timed per case")
    parser.add_argument("--samplers", nargs="+", help="subset of the samplers")
    args = parser.parse_args()
    samplers = _samplers()
    names = args.samplers or list(samplers)
    print("# Time per suggestion vs. history size (tunelab samplers, defaults)\n")
    print(f"- command: `python {' '.join(sys.argv)}`")
    print(f"- median of {args.trials} ask + tell per case, in-memory study, one process\n")
    print("| sampler | " + " | ".join(f"{n:,} trials, ms" for n in args.history) + " |")
    print("|---|" + "---:|" * len(args.history))
    filled = {n: _filled(n) for n in args.history}
    for name in names:
        cells = []
        for n in args.history:
            times = measure(name, samplers[name], filled[n], args.trials)
            cells.append(f"{statistics.median(times) * 1e3:,.1f}")
            print(f"  {name} @ {n}: {cells[-1]} ms", file=sys.stderr)
        print(f"| {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()

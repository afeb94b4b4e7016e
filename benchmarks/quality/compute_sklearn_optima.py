"""Compute the "known optimum" of the real scikit-learn tasks by a large random search.

Run once (and again only when a task, its data or scikit-learn's behaviour changes); the
result is committed as ``benchmarks/quality/sklearn_optima.json`` and read by
``benchmarks/_problems/sklearn_tasks.py``:

    .venv/bin/python benchmarks/quality/compute_sklearn_optima.py --draws 2000 --jobs 2

Each task gets ``--draws`` uniform (log-uniform where the parameter is log-scaled) draws
from its search space with ``numpy.random.default_rng(seed)``; the best value, its
parameters and the per-evaluation times are stored. Single-threaded BLAS/OpenMP, as in the
benchmark runs.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from concurrent.futures import ProcessPoolExecutor  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _problems import sample_random  # noqa: E402
from _problems.sklearn_tasks import OPTIMA_FILE, TASKS  # noqa: E402


def _chunk(task_name: str, configs: list[dict[str, Any]]) -> list[tuple[float, float]]:
    task = next(t for t in TASKS if t.name == task_name)
    out = []
    for params in configs:
        start = time.perf_counter()
        value = float(task.function(params))
        out.append((value, time.perf_counter() - start))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--draws", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=20261123)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--tasks", nargs="*", default=[t.name for t in TASKS])
    parser.add_argument("--out", type=Path, default=OPTIMA_FILE)
    args = parser.parse_args()

    existing = json.loads(args.out.read_text()) if args.out.exists() else {"tasks": {}}
    import sklearn

    with ProcessPoolExecutor(args.jobs) as pool:
        for name in args.tasks:
            task = next(t for t in TASKS if t.name == name)
            rng = np.random.default_rng([args.seed, TASKS.index(task)])
            configs = [sample_random(task.space, rng) for _ in range(args.draws)]
            chunks = [configs[i : i + 25] for i in range(0, len(configs), 25)]
            start = time.perf_counter()
            results = [r for part in pool.map(_chunk, [name] * len(chunks), chunks) for r in part]
            wall = time.perf_counter() - start
            values = [v for v, _ in results]
            times = sorted(t for _, t in results)
            best = int(np.argmin(values))
            existing["tasks"][name] = {
                "best_value": values[best],
                "best_params": configs[best],
                "n_draws": args.draws,
                "seed": args.seed,
                "n_at_best_value": int(sum(v == values[best] for v in values)),
                "median_value": statistics.median(values),
                "eval_seconds": {
                    "mean": statistics.fmean(times),
                    "median": times[len(times) // 2],
                    "p95": times[int(0.95 * (len(times) - 1))],
                    "max": times[-1],
                },
                "description": task.description,
            }
            print(
                f"{name}: best {values[best]:.6f} (median {statistics.median(values):.4f}) "
                f"in {args.draws} draws, {wall:.0f} s, mean eval {statistics.fmean(times):.3f} s, "
                f"max {times[-1]:.3f} s",
                flush=True,
            )
            existing["generated"] = {
                "by": "benchmarks/quality/compute_sklearn_optima.py",
                "date": time.strftime("%Y-%m-%d"),
                "sklearn": sklearn.__version__,
                "numpy": np.__version__,
                "python": platform.python_version(),
                "threads": "OMP/OPENBLAS/MKL_NUM_THREADS=1",
            }
            args.out.write_text(json.dumps(existing, indent=2, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()

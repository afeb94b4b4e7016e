"""Sampler quality: simple regret of tunelab's samplers and peer optimizers, side by side.

Every optimizer runs every problem with the same seeds and the same number of trials, in
the same benchmark run; results are reported per problem and budget as the median over
seeds of log10 simple regret (best value so far minus the known optimum, floored at
1e-12), as average ranks across problems, and as each optimizer's own time per trial.

    python benchmarks/quality/run.py --quick                 # a few minutes on 2 cores
    python benchmarks/quality/run.py --budgets 25 50 100 200 --seeds 5 --jobs 2
    python benchmarks/quality/run.py --problems branin tag:bbob --optimizers tunelab-tpe optuna-tpe
    python benchmarks/quality/run.py --list                  # problems, optimizers, availability

Each (problem, optimizer, seed) is one run of max(budgets) trials; the smaller budgets are
read off the same run (anytime regret), so optimizers that take a budget hint (SMAC's
initial design, Nevergrad's NGOpt, tunelab's GridSampler) are told the largest budget.
Runs are submitted interleaved (seed, problem, then optimizer) to a process pool of
``--jobs`` workers; every worker is single-threaded (OMP/BLAS/torch threads = 1), and the
time per trial is measured inside each run, as wall time minus time in the objective.
"""

from __future__ import annotations

import os

# One thread per run, so that --jobs N runs do not oversubscribe the cores and the time
# per trial of BLAS/torch-heavy optimizers is comparable. Set before numpy is imported.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import multiprocessing  # noqa: E402
import platform  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import traceback  # noqa: E402
import warnings  # noqa: E402
from concurrent.futures import ProcessPoolExecutor, as_completed  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

HERE = Path(__file__).resolve().parent
for _path in (HERE.parent, HERE):  # benchmarks/ (for _problems) and benchmarks/quality/
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

import _adapters  # noqa: E402
import report  # noqa: E402
from _problems import NOTES, PROBLEMS, get_problem, problem_names  # noqa: E402

QUICK_BUDGETS = [25, 50]
QUICK_SEEDS = 3


def run_one(problem_name: str, optimizer: str, seed: int, n_trials: int) -> dict[str, Any]:
    """One run; never raises (an optimizer's exception is recorded with the partial run)."""
    problem = get_problem(problem_name)
    adapter = _adapters.ADAPTERS[optimizer]
    evaluate = _adapters.Evaluator(problem, seed, n_trials)
    error = None
    wall = 0.0
    warnings.simplefilter("ignore")  # libraries' deprecation and numerical chatter
    try:
        adapter.setup(problem, seed)
        start = time.perf_counter()
        try:
            adapter.run(problem, evaluate, n_trials, seed)
        except _adapters.BudgetExhausted:
            pass
        finally:
            wall = time.perf_counter() - start
    except Exception:
        error = traceback.format_exc(limit=8)
    finally:
        try:
            adapter.teardown()
        except Exception:
            error = error or traceback.format_exc(limit=8)
    overhead = max(wall - evaluate.objective_time, 0.0)
    return {
        "problem": problem_name,
        "optimizer": optimizer,
        "seed": seed,
        "n_trials": n_trials,
        "n_evaluated": evaluate.n,
        "observed": evaluate.observed,
        "true": evaluate.true,
        "params": evaluate.params,
        "wall_time": wall,
        "objective_time": evaluate.objective_time,
        "overhead_time": overhead,
        "overhead_per_trial": overhead / evaluate.n if evaluate.n else None,
        "error": error,
    }


def _raw_path(out: Path, problem: str, optimizer: str, seed: int) -> Path:
    return out / "raw" / f"{problem}__{optimizer}__s{seed}.json"


def _select_problems(requested: list[str] | None, quick: bool) -> list[str]:
    if not requested:
        return problem_names("quick") if quick else list(PROBLEMS)
    out: list[str] = []
    for item in requested:
        names = problem_names(item[4:]) if item.startswith("tag:") else [item]
        for name in names:
            get_problem(name)  # unknown name: KeyError listing the known ones
            if name not in out:
                out.append(name)
    return out


def _select_optimizers(
    requested: list[str] | None, quick: bool
) -> tuple[list[str], dict[str, str]]:
    """(runnable optimizers, {skipped optimizer: why})."""
    if requested:
        unknown = [n for n in requested if n not in _adapters.ADAPTERS and n != "cheap"]
        if unknown:
            raise SystemExit(
                f"unknown optimizer(s) {unknown}; known: {', '.join(_adapters.ADAPTERS)}"
            )
        names = []
        for n in requested:
            names += (
                [a for a, ad in _adapters.ADAPTERS.items() if ad.cheap] if n == "cheap" else [n]
            )
    elif quick:
        names = [n for n, a in _adapters.ADAPTERS.items() if a.cheap]
    else:
        names = list(_adapters.ADAPTERS)
    skipped = _adapters.unavailable_notes(names)
    return [n for n in dict.fromkeys(names) if n not in skipped], skipped


def _list() -> None:
    print("problems:")
    for name, p in PROBLEMS.items():
        tags = ",".join(sorted(p.tags))
        print(f"  {name:<28} d={p.dimension:<3} opt={p.optimum:<12.6g} [{tags}] {p.description}")
    for note in NOTES:
        print(f"  note: {note}")
    print("optimizers:")
    for name, a in _adapters.ADAPTERS.items():
        why = a.unavailable()
        state = f"SKIPPED: {why}" if why else f"{a.library} {a.version()}"
        print(f"  {name:<18} {'cheap' if a.cheap else '     '} {a.conditional:<34} {state}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--budgets", type=int, nargs="+", help="trial counts to report (default 25 50 100 200)"
    )
    parser.add_argument("--seeds", type=int, help="number of seeds, 0..N-1 (default 5)")
    parser.add_argument("--problems", nargs="+", help="problem names or tag:TAG (default all)")
    parser.add_argument(
        "--optimizers", nargs="+", help="optimizer names, or 'cheap' (default all available)"
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"problems tagged quick, budgets {QUICK_BUDGETS}, {QUICK_SEEDS} seeds, "
        "cheap optimizers",
    )
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="parallel runs")
    parser.add_argument("--out", type=Path, help="default benchmarks/results/<timestamp>/")
    parser.add_argument(
        "--resume",
        action="store_true",
        help="with --out: skip the runs whose raw JSON is already there (split a long run)",
    )
    parser.add_argument("--list", action="store_true", help="list problems and optimizers")
    args = parser.parse_args()

    if args.list:
        _list()
        return
    budgets = sorted(set(args.budgets or (QUICK_BUDGETS if args.quick else [25, 50, 100, 200])))
    n_seeds = args.seeds or (QUICK_SEEDS if args.quick else 5)
    problems = _select_problems(args.problems, args.quick)
    optimizers, skipped = _select_optimizers(args.optimizers, args.quick)
    out = args.out or HERE.parent / "results" / time.strftime("%Y%m%d-%H%M%S")
    (out / "raw").mkdir(parents=True, exist_ok=True)
    n_trials = budgets[-1]

    for name, why in skipped.items():
        print(f"note: {name} skipped: {why}")
    for note in NOTES:
        print(f"note: {note}")
    if not optimizers or not problems:
        raise SystemExit("nothing to run")
    tasks = [(p, o, s, n_trials) for s in range(n_seeds) for p in problems for o in optimizers]
    if args.resume:
        before = len(tasks)
        tasks = [t for t in tasks if not _raw_path(out, t[0], t[1], t[2]).exists()]
        print(f"--resume: {before - len(tasks)} runs already in {out / 'raw'}, {len(tasks)} to go")
    print(
        f"{len(problems)} problems x {len(optimizers)} optimizers x {n_seeds} seeds = "
        f"{len(tasks)} runs of {n_trials} trials, {args.jobs} at a time -> {out}",
        flush=True,
    )
    config = {
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "budgets": budgets,
        "seeds": list(range(n_seeds)),
        "problems": {p: PROBLEMS[p].to_dict() for p in problems},
        "optimizers": {
            o: {
                "library": _adapters.ADAPTERS[o].library,
                "version": _adapters.ADAPTERS[o].version(),
                "conditional": _adapters.ADAPTERS[o].conditional,
            }
            for o in optimizers
        },
        "skipped_optimizers": skipped,
        "notes": NOTES,
        "jobs": args.jobs,
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
        },
        "started": time.strftime("%Y-%m-%d %H:%M:%S"),
    }
    (out / "config.json").write_text(json.dumps(config, indent=2) + "\n")

    start = time.perf_counter()
    done = 0

    def record(result: dict[str, Any]) -> None:
        nonlocal done
        done += 1
        raw = _raw_path(out, result["problem"], result["optimizer"], result["seed"])
        raw.write_text(json.dumps(result) + "\n")
        opt = PROBLEMS[result["problem"]].optimum
        best = report.final_regret(result, opt)
        own = result["overhead_per_trial"]
        status = "ERROR " + result["error"].strip().splitlines()[-1] if result["error"] else ""
        print(
            f"[{done}/{len(tasks)}] {result['problem']} {result['optimizer']} s{result['seed']}: "
            f"{result['n_evaluated']} trials, regret {best:.3g}, "
            f"own {own * 1e3 if own is not None else float('nan'):.1f} ms/trial, "
            f"{result['wall_time']:.1f} s {status}",
            flush=True,
        )

    if args.jobs <= 1:
        for task in tasks:
            record(run_one(*task))
    else:
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(args.jobs, mp_context=ctx) as pool:
            futures = [pool.submit(run_one, *task) for task in tasks]
            for future in as_completed(futures):
                record(future.result())

    wall = time.perf_counter() - start
    config["finished"] = time.strftime("%Y-%m-%d %H:%M:%S")
    config["wall_time"] = wall
    (out / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    text = report.build(out)
    print()
    print(text)
    print(f"wall time {wall:.0f} s; results in {out}")


if __name__ == "__main__":
    main()

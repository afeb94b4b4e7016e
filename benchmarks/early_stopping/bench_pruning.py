"""Early stopping: tunelab's pruners vs. Optuna's and no pruning, on the same curves.

Each (task, seed) is a stream of configurations whose learning curves are computed once
(see ``curves.py``) and replayed to every pruner in the same order: trial ``i`` reports
the values of configuration ``i`` epoch by epoch and stops when its pruner says so. Every
run gets the same budget of epochs, ``--configs`` full trainings (what no pruning can
afford), and goes through the stream until the budget is spent; pruned trials free
epochs for more configurations.

Reported per task (medians over seeds; "target" is the best final value no pruning
found within the budget):

* best: the best final value of the trials that ran to the end, as a gap to the target
  (negative = better than no pruning, since pruning sees more configurations);
* epochs to target: share of the budget spent when a completed trial first came within
  1 % of the target (the issue's bar: at most 35 %);
* anytime: best value found after 10 %, 20 %, 35 % and 50 % of the budget (gap to target);
* survival: how often the configuration that is best after the full 30 epochs among the
  first ``--configs`` (the no-pruning winner) was allowed to finish.

    python benchmarks/early_stopping/bench_pruning.py --seeds 10           # ~10-20 minutes
    python benchmarks/early_stopping/bench_pruning.py --tasks synthetic --seeds 3
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from curves import TASKS, Task

CHECKPOINTS = (0.10, 0.20, 0.35, 0.50)


@dataclass
class Run:
    """One replay: per trial, epochs used and the final value if it completed."""

    used: list[int] = field(default_factory=list)
    finals: list[float | None] = field(default_factory=list)
    seconds: float = 0.0  # inside should_prune()
    decisions: int = 0

    def anytime(self) -> list[tuple[int, float]]:
        """(cumulative epochs, best completed value so far) after each trial."""
        out, total, best = [], 0, float("inf")
        for used, final in zip(self.used, self.finals, strict=True):
            total += used
            if final is not None:
                best = min(best, final)
            out.append((total, best))
        return out

    def best_at(self, epochs: float) -> float:
        best = float("inf")
        for total, value in self.anytime():
            if total > epochs:
                break
            best = value
        return best

    def epochs_to(self, target: float) -> float:
        for total, value in self.anytime():
            if value <= target:
                return total
        return float("inf")


def _tunelab_pruners() -> dict[str, Callable[[], Any]]:
    import tunelab as tl

    return {
        "tunelab-median": lambda: tl.pruners.MedianPruner(),
        "tunelab-asha": lambda: tl.pruners.SuccessiveHalvingPruner(),
        "tunelab-hyperband": lambda: tl.pruners.HyperbandPruner(),
        "tunelab-curve": lambda: tl.pruners.CurvePruner(),
    }


def _optuna_pruners() -> dict[str, Callable[[], Any]]:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return {
        "optuna-median": lambda: optuna.pruners.MedianPruner(),
        "optuna-sha": lambda: optuna.pruners.SuccessiveHalvingPruner(),
        "optuna-hyperband": lambda: optuna.pruners.HyperbandPruner(),
    }


def replay(task: Task, library: str, pruner: Any, budget: int) -> Run:
    """Feed the task's stream to one pruner until ``budget`` epochs are spent."""
    if library == "tunelab":
        import tunelab as tl

        study: Any = tl.create_study(sampler=tl.samplers.RandomSampler(seed=0), pruner=pruner)
        pruned_state: Any = tl.TrialState.PRUNED
    else:
        import optuna

        study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0), pruner=pruner)
        pruned_state = optuna.trial.TrialState.PRUNED
    run, spent, index = Run(), 0, 0
    while spent < budget:
        curve = task.curve(index)
        trial = study.ask()
        trial.suggest_float("x", 0.0, 1.0)  # some pruners (Optuna's) expect a parameter
        used, final = 0, None
        for epoch in range(task.epochs):
            trial.report(float(curve[epoch]), epoch + 1)
            used += 1
            if spent + used >= budget and epoch + 1 < task.epochs:
                break  # out of budget mid-training: the trial does not finish
            if epoch + 1 < task.epochs:
                start = time.perf_counter()
                stop = trial.should_prune()
                run.seconds += time.perf_counter() - start
                run.decisions += 1
                if stop:
                    break
        else:
            final = float(curve[-1])
        if final is None:
            study.tell(trial, state=pruned_state)
        else:
            study.tell(trial, final)
        run.used.append(used)
        run.finals.append(final)
        spent += used
        index += 1
    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", nargs="+", default=list(TASKS), choices=list(TASKS))
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--configs", type=int, default=40, help="budget in full trainings")
    parser.add_argument("--pruners", nargs="+", help="subset of the pruners")
    args = parser.parse_args()

    factories: dict[str, tuple[str, Callable[[], Any]]] = {"none": ("tunelab", lambda: None)}
    for name, make in _tunelab_pruners().items():
        factories[name] = ("tunelab", make)
    try:
        for name, make in _optuna_pruners().items():
            factories[name] = ("optuna", make)
    except ImportError:
        print("Optuna is not installed: its pruners are skipped.\n")
    names = args.pruners or list(factories)
    if "none" not in names:
        names.insert(0, "none")

    print("# Early stopping: pruners on replayed learning curves\n")
    print(f"- command: `python {' '.join(sys.argv)}`")
    print(f"- budget: {args.configs} full trainings per run; seeds 0..{args.seeds - 1}\n")
    for task_name in args.tasks:
        rows: dict[str, list[dict[str, float]]] = {n: [] for n in names}
        for seed in range(args.seeds):
            task = TASKS[task_name](seed)
            budget = args.configs * task.epochs
            winner = min(range(args.configs), key=lambda i: task.curve(i)[-1])
            runs = {}
            for name in names:
                library, make = factories[name]
                runs[name] = replay(task, library, make(), budget)
                print(f"  {task_name} seed {seed}: {name} done", file=sys.stderr)
            target = min(f for f in runs["none"].finals if f is not None)
            for name, run in runs.items():
                completed = [f for f in run.finals if f is not None]
                row = {
                    "best": (min(completed) - target) / target if completed else np.inf,
                    "to_target": run.epochs_to(target * 1.01) / budget,
                    "survived": float(run.finals[winner] is not None),
                    "configs": float(len(run.used)),
                    "ms_per_decision": 1e3 * run.seconds / max(1, run.decisions),
                }
                for share in CHECKPOINTS:
                    row[f"at{share}"] = (run.best_at(share * budget) - target) / target
                rows[name].append(row)

        def med(name: str, key: str, rows: dict[str, list[dict[str, float]]] = rows) -> float:
            return statistics.median(r[key] for r in rows[name])

        def pct(x: float) -> str:
            return "never" if not np.isfinite(x) else f"{100 * x:+.1f}%"

        print(f"\n## {task_name} ({TASKS[task_name](0).epochs} epochs per training)\n")
        print(
            "| pruner | best vs. target | epochs to target (share of budget) | "
            + " | ".join(f"gap at {int(100 * c)}%" for c in CHECKPOINTS)
            + " | winner survived | configs seen | ms per decision |"
        )
        print("|---|---:|---:|" + "---:|" * len(CHECKPOINTS) + "---:|---:|---:|")
        for name in names:
            reached = [r["to_target"] for r in rows[name]]
            finite = [x for x in reached if np.isfinite(x)]
            to_target = statistics.median(reached) if finite else float("inf")
            survived = sum(r["survived"] for r in rows[name])
            print(
                f"| {name} | {pct(med(name, 'best'))} | "
                + ("never" if not np.isfinite(to_target) else f"{100 * to_target:.0f}%")
                + f" ({len(finite)}/{len(reached)} seeds) | "
                + " | ".join(pct(med(name, f"at{c}")) for c in CHECKPOINTS)
                + f" | {survived:.0f}/{len(rows[name])} | {med(name, 'configs'):.0f} | "
                + f"{med(name, 'ms_per_decision'):.3f} |"
            )
        sys.stdout.flush()


if __name__ == "__main__":
    main()

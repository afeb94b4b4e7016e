"""Benchmark problems with known optima, described once, independent of any optimizer library.

    >>> from _problems import get_problem, problem_names
    >>> p = get_problem("branin")
    >>> [s.name for s in p.space], p.optimum
    (['x0', 'x1'], 0.39788735772973816)

Groups: :mod:`synthetic` (Branin, Hartmann-6, Rosenbrock, Ackley, Levy, Styblinski-Tang, a
mixed int/log/categorical problem, a conditional tree-structured problem, a noisy problem),
:mod:`bbob` (COCO's BBOB functions via ``cocoex``) and :mod:`sklearn_tasks` (real
cross-validated tuning tasks, optima from a cached large random search).
"""

from __future__ import annotations

import importlib.util

from _problems import bbob, sklearn_tasks, synthetic
from _problems._space import (
    CategoricalParam,
    Condition,
    FloatParam,
    IntParam,
    Param,
    Problem,
    sample_random,
)

__all__ = [
    "NOTES",
    "PROBLEMS",
    "CategoricalParam",
    "Condition",
    "FloatParam",
    "IntParam",
    "Param",
    "Problem",
    "get_problem",
    "problem_names",
    "sample_random",
]

PROBLEMS: dict[str, Problem] = {
    p.name: p for group in (synthetic, bbob, sklearn_tasks) for p in group.PROBLEMS
}

# Why some problems are missing in this environment.
NOTES: list[str] = []
if bbob.UNAVAILABLE:
    NOTES.append(f"BBOB problems skipped: {bbob.UNAVAILABLE}")
_missing = [t.name for t in sklearn_tasks.TASKS if t.name not in PROBLEMS]
if _missing and importlib.util.find_spec("sklearn") is None:
    NOTES.append("sklearn tasks skipped: scikit-learn is not installed")
elif _missing:
    NOTES.append(
        f"sklearn tasks without a cached optimum skipped: {', '.join(_missing)} "
        "(run benchmarks/quality/compute_sklearn_optima.py)"
    )


def get_problem(name: str) -> Problem:
    try:
        return PROBLEMS[name]
    except KeyError:
        raise KeyError(f"unknown problem {name!r}; known: {', '.join(PROBLEMS)}") from None


def problem_names(tag: str | None = None) -> list[str]:
    return [n for n, p in PROBLEMS.items() if tag is None or tag in p.tags]

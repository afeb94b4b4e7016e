"""BBOB functions from the COCO platform (`pip install coco-experiment`, module ``cocoex``).

Instance 1 of each function, on its usual domain [-5, 5]^d. The optimum f_opt of a BBOB
function instance does not depend on the dimension; the values below are those of
instance 1, read by evaluating each problem at the optimum that cocoex itself reports
(``Problem._best_parameter("print")``); :func:`verify_optima` repeats that check.

When cocoex is not installed these problems are absent (``UNAVAILABLE`` says why).
"""

from __future__ import annotations

import functools
import os
import tempfile
from collections.abc import Mapping
from typing import Any

import numpy as np

from _problems._space import Problem, floats

__all__ = ["PROBLEMS", "UNAVAILABLE", "verify_optima"]

# f_opt of instance 1 (bbob suite), by function index.
FOPT_INSTANCE1 = {1: 79.48, 8: 149.15, 15: 1000.0, 21: 40.78}
_NAMES = {
    1: "sphere",
    8: "Rosenbrock (original)",
    15: "Rastrigin (rotated)",
    21: "Gallagher 101 peaks",
}

# (function, dimension) pairs in the benchmark.
CASES = ((1, 20), (8, 5), (15, 2), (15, 10), (21, 10))

try:
    import cocoex  # noqa: F401

    UNAVAILABLE: str | None = None
except ImportError as exc:  # pragma: no cover - depends on the environment
    UNAVAILABLE = f"cocoex not importable ({exc}); pip install coco-experiment"


@functools.cache
def _coco_problem(function: int, dimension: int) -> Any:
    import cocoex

    suite = cocoex.Suite(
        "bbob", "instances: 1", f"function_indices: {function} dimensions: {dimension}"
    )
    # The suite owns the C problem: keep both alive for the life of the process.
    return suite, suite.get_problem_by_function_dimension_instance(function, dimension, 1)


def _make(function: int, dimension: int) -> Problem:
    def f(p: Mapping[str, Any]) -> float:
        x = np.array([float(p[f"x{i}"]) for i in range(dimension)])
        return float(_coco_problem(function, dimension)[1](x))

    return Problem(
        f"bbob_f{function}_d{dimension}",
        floats([f"x{i}" for i in range(dimension)], -5.0, 5.0),
        f,
        FOPT_INSTANCE1[function],
        f"BBOB f{function} {_NAMES[function]}, instance 1, {dimension}-d on [-5,5]^d",
        tags=frozenset(
            {"bbob", "cheap"} | ({"quick"} if (function, dimension) == (15, 2) else set())
        ),
        optimum_source="cocoex: f at the problem's own best parameter",
    )


def verify_optima() -> dict[str, float]:
    """f(x_opt) - FOPT_INSTANCE1 for every case, x_opt as written by cocoex (all ~0)."""
    import cocoex

    out = {}
    cwd = os.getcwd()
    with tempfile.TemporaryDirectory() as tmp:
        os.chdir(tmp)  # cocoex writes ._bbob_problem_best_parameter.txt into the cwd
        try:
            for function, dimension in CASES:
                suite = cocoex.Suite(
                    "bbob", "instances: 1", f"function_indices: {function} dimensions: {dimension}"
                )
                problem = suite.get_problem_by_function_dimension_instance(function, dimension, 1)
                problem._best_parameter("print")
                x = np.atleast_1d(np.loadtxt("._bbob_problem_best_parameter.txt"))
                out[f"bbob_f{function}_d{dimension}"] = (
                    float(problem(x)) - FOPT_INSTANCE1[function]
                )
        finally:
            os.chdir(cwd)
    return out


PROBLEMS: tuple[Problem, ...] = () if UNAVAILABLE else tuple(_make(f, d) for f, d in CASES)

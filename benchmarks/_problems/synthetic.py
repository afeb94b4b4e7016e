"""Classic test functions with analytic optima, plus mixed, conditional and noisy problems.

Formulas and domains follow Surjanovic & Bingham's Virtual Library of Simulation
Experiments (https://www.sfu.ca/~ssurjano/optimization.html).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from _problems._space import (
    CategoricalParam,
    Condition,
    FloatParam,
    IntParam,
    Problem,
    floats,
    log10,
    vector,
)

__all__ = ["PROBLEMS"]


def _names(d: int) -> list[str]:
    return [f"x{i}" for i in range(d)]


# --- continuous classics ------------------------------------------------------------------


def _branin(p: Mapping[str, Any]) -> float:
    x1, x2 = float(p["x0"]), float(p["x1"])
    b, c, t = 5.1 / (4 * math.pi**2), 5 / math.pi, 1 / (8 * math.pi)
    return (x2 - b * x1**2 + c * x1 - 6) ** 2 + 10 * (1 - t) * math.cos(x1) + 10


_H6_ALPHA = np.array([1.0, 1.2, 3.0, 3.2])
_H6_A = np.array(
    [
        [10, 3, 17, 3.5, 1.7, 8],
        [0.05, 10, 17, 0.1, 8, 14],
        [3, 3.5, 1.7, 10, 17, 8],
        [17, 8, 0.05, 10, 0.1, 14],
    ]
)
_H6_P = 1e-4 * np.array(
    [
        [1312, 1696, 5569, 124, 8283, 5886],
        [2329, 4135, 8307, 3736, 1004, 9991],
        [2348, 1451, 3522, 2883, 3047, 6650],
        [4047, 8828, 8732, 5743, 1091, 381],
    ]
)


def _hartmann6(p: Mapping[str, Any]) -> float:
    x = vector(p, 6)
    return float(-np.sum(_H6_ALPHA * np.exp(-np.sum(_H6_A * (x - _H6_P) ** 2, axis=1))))


def _rosenbrock(d: int) -> Callable[[Mapping[str, Any]], float]:
    def f(p: Mapping[str, Any]) -> float:
        x = vector(p, d)
        return float(np.sum(100 * (x[1:] - x[:-1] ** 2) ** 2 + (x[:-1] - 1) ** 2))

    return f


# Ackley's minimum is at the origin, the centre of its usual box, where NGOpt and CMA-ES
# take their very first point: shift it so that no optimizer finds it for free.
_ACKLEY_SHIFT = np.array([7.3, -11.2, 3.9, -5.6, 9.1, -2.4, 12.8, -8.7, 5.2, -3.3])


def _ackley(d: int) -> Callable[[Mapping[str, Any]], float]:
    def f(p: Mapping[str, Any]) -> float:
        x = vector(p, d) - _ACKLEY_SHIFT[:d]
        a = -20 * math.exp(-0.2 * math.sqrt(float(np.mean(x**2))))
        return a - math.exp(float(np.mean(np.cos(2 * math.pi * x)))) + 20 + math.e

    return f


def _levy(d: int) -> Callable[[Mapping[str, Any]], float]:
    def f(p: Mapping[str, Any]) -> float:
        w = 1 + (vector(p, d) - 1) / 4
        head = math.sin(math.pi * w[0]) ** 2
        mid = np.sum((w[:-1] - 1) ** 2 * (1 + 10 * np.sin(math.pi * w[:-1] + 1) ** 2))
        tail = (w[-1] - 1) ** 2 * (1 + math.sin(2 * math.pi * w[-1]) ** 2)
        return float(head + mid + tail)

    return f


_ST_MIN_PER_DIM = -39.16616570377142  # at x_i = -2.903534...


def _styblinski_tang(d: int) -> Callable[[Mapping[str, Any]], float]:
    def f(p: Mapping[str, Any]) -> float:
        x = vector(p, d)
        return float(0.5 * np.sum(x**4 - 16 * x**2 + 5 * x))

    return f


# --- mixed integer / log / categorical ---------------------------------------------------

# Each optimizer has its own best learning rate and a penalty; "adam" at 1e-3 is best.
_OPT_OFFSET = {"adam": 0.0, "rmsprop": 0.15, "sgd": 0.3, "adagrad": 0.6}
_OPT_CENTER = {"adam": -3.0, "rmsprop": -3.5, "sgd": -1.5, "adagrad": -2.0}
_ACT_OFFSET = {"gelu": 0.0, "relu": 0.05, "tanh": 0.3}


def _mixed(p: Mapping[str, Any]) -> float:
    opt = p["optimizer"]
    a = log10(p["lr"]) - _OPT_CENTER[opt]
    b = math.log2(p["units"]) - 7
    return (
        _OPT_OFFSET[opt]
        + 0.5 * a**2
        + 0.25 * b**2
        + 0.1 * a * b  # positive definite with the two terms above
        + ((p["depth"] - 7) / 3) ** 2
        + 8 * (p["dropout"] - 0.1) ** 2
        + ((p["batch"] - 96) / 64) ** 2
        + _ACT_OFFSET[p["activation"]]
    )


_MIXED_SPACE = (
    FloatParam("lr", 1e-5, 1.0, log=True),
    CategoricalParam("optimizer", ("sgd", "adam", "rmsprop", "adagrad")),
    IntParam("depth", 1, 20),
    IntParam("units", 8, 1024, log=True),
    FloatParam("dropout", 0.0, 0.5),
    IntParam("batch", 16, 256, step=16),
    CategoricalParam("activation", ("relu", "tanh", "gelu")),
)


# --- conditional (tree-structured) -------------------------------------------------------


def _conditional(p: Mapping[str, Any]) -> float:
    shared = 2 * (p["s"] - 0.3) ** 2
    family = p["family"]
    if family == "linear":
        return shared + 0.4 + 0.1 * (log10(p["alpha"]) + 2) ** 2 + (p["l1_ratio"] - 0.5) ** 2
    if family == "tree":
        return (
            shared
            + 0.2
            + 0.05 * (log10(p["n_estimators"]) - 2.5) ** 2
            + ((p["max_depth"] - 12) / 10) ** 2
            + (0.02 if p["criterion"] == "entropy" else 0.0)
        )
    kernel = p["kernel"]
    c_term = 0.05 * (log10(p["C"]) - 1) ** 2
    if kernel == "linear":
        return shared + 0.3 + 0.05 * log10(p["C"]) ** 2
    g_term = 0.05 * (log10(p["gamma"]) + 2) ** 2
    if kernel == "rbf":
        return shared + 0.1 + c_term + g_term
    return shared + c_term + g_term + 0.15 * (p["degree"] - 3) ** 2  # poly: the optimum


_KERNEL = Condition("family", ("kernel",))
_CONDITIONAL_SPACE = (
    CategoricalParam("family", ("linear", "kernel", "tree")),
    FloatParam("s", 0.0, 1.0),
    FloatParam("alpha", 1e-6, 1e2, log=True, condition=Condition("family", ("linear",))),
    FloatParam("l1_ratio", 0.0, 1.0, condition=Condition("family", ("linear",))),
    FloatParam("C", 1e-3, 1e3, log=True, condition=_KERNEL),
    CategoricalParam("kernel", ("rbf", "poly", "linear"), condition=_KERNEL),
    FloatParam("gamma", 1e-4, 10.0, log=True, condition=Condition("kernel", ("rbf", "poly"))),
    IntParam("degree", 2, 5, condition=Condition("kernel", ("poly",))),
    IntParam("n_estimators", 10, 1000, log=True, condition=Condition("family", ("tree",))),
    IntParam("max_depth", 1, 30, condition=Condition("family", ("tree",))),
    CategoricalParam("criterion", ("gini", "entropy"), condition=Condition("family", ("tree",))),
)


_SYN = frozenset({"synthetic"})

PROBLEMS: tuple[Problem, ...] = (
    Problem(
        "branin",
        (FloatParam("x0", -5.0, 10.0), FloatParam("x1", 0.0, 15.0)),
        _branin,
        0.39788735772973816,
        "Branin, 2-d, three global minima",
        tags=_SYN | {"cheap", "quick"},
    ),
    Problem(
        "hartmann6",
        floats(_names(6), 0.0, 1.0),
        _hartmann6,
        -3.3223680114155147,
        "Hartmann-6 on [0,1]^6",
        tags=_SYN | {"cheap", "quick"},
    ),
    Problem(
        "rosenbrock4",
        floats(_names(4), -5.0, 10.0),
        _rosenbrock(4),
        0.0,
        "Rosenbrock, 4-d, on [-5,10]^4",
        tags=_SYN | {"cheap"},
    ),
    Problem(
        "ackley5",
        floats(_names(5), -32.768, 32.768),
        _ackley(5),
        0.0,
        "Ackley, 5-d, on [-32.768,32.768]^5 (many local minima), minimum shifted off the "
        "centre to (7.3, -11.2, 3.9, -5.6, 9.1)",
        tags=_SYN | {"cheap", "quick"},
    ),
    Problem(
        "levy6",
        floats(_names(6), -10.0, 10.0),
        _levy(6),
        0.0,
        "Levy, 6-d, on [-10,10]^6",
        tags=_SYN | {"cheap"},
    ),
    Problem(
        "styblinski_tang8",
        floats(_names(8), -5.0, 5.0),
        _styblinski_tang(8),
        8 * _ST_MIN_PER_DIM,
        "Styblinski-Tang, 8-d, on [-5,5]^8",
        tags=_SYN | {"cheap"},
    ),
    Problem(
        "mixed7",
        _MIXED_SPACE,
        _mixed,
        0.0,
        "mixed: log float, ints (plain, log, step 16), float, 2 categoricals; "
        "optimum at optimizer=adam, lr=1e-3, depth=7, units=128, dropout=0.1, batch=96, gelu",
        tags=frozenset({"mixed", "cheap", "quick"}),
    ),
    Problem(
        "conditional_tree",
        _CONDITIONAL_SPACE,
        _conditional,
        0.0,
        "tree-structured: family in {linear, kernel, tree}, nested kernel -> gamma/degree; "
        "optimum 0 only in family=kernel, kernel=poly, degree=3 (linear >= 0.4, rbf >= 0.1, "
        "tree >= 0.2)",
        tags=frozenset({"conditional", "mixed", "cheap", "quick"}),
    ),
    Problem(
        "hartmann6_noisy",
        floats(_names(6), 0.0, 1.0),
        _hartmann6,
        -3.3223680114155147,
        "Hartmann-6 observed with Gaussian noise sd 0.1; regret on the noiseless value",
        noise_sd=0.1,
        tags=_SYN | {"noisy", "cheap", "quick"},
    ),
)

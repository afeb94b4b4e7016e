"""Library-neutral search spaces and problems.

A problem is described once, here, and each optimizer adapter translates it into its own
library's terms. A search space is an ordered tuple of parameter specs; a parameter with a
``condition`` exists only when its parent (a categorical parameter declared earlier) takes
one of the listed values. Every problem is minimised and has a known optimum value.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = [
    "CategoricalParam",
    "Condition",
    "FloatParam",
    "IntParam",
    "Param",
    "Problem",
    "sample_random",
]


@dataclass(frozen=True)
class Condition:
    """Active only when ``parent`` (a categorical declared earlier) is in ``values``."""

    parent: str
    values: tuple[Any, ...]

    def holds(self, params: Mapping[str, Any]) -> bool:
        return self.parent in params and params[self.parent] in self.values


@dataclass(frozen=True)
class FloatParam:
    name: str
    low: float
    high: float
    log: bool = False
    condition: Condition | None = None

    def clip(self, value: float) -> float:
        return float(min(max(float(value), self.low), self.high))


@dataclass(frozen=True)
class IntParam:
    """An integer in ``[low, high]`` on the lattice ``low + k * step`` (``log`` needs step 1)."""

    name: str
    low: int
    high: int
    step: int = 1
    log: bool = False
    condition: Condition | None = None

    def __post_init__(self) -> None:
        if (self.high - self.low) % self.step:
            raise ValueError(f"{self.name}: step does not divide high - low")
        if self.log and self.step != 1:
            raise ValueError(f"{self.name}: log needs step 1")

    @property
    def n_levels(self) -> int:
        return (self.high - self.low) // self.step + 1

    def from_index(self, index: float) -> int:
        """The value of lattice index ``index`` (rounded and clipped)."""
        k = min(max(round(float(index)), 0), self.n_levels - 1)
        return self.low + k * self.step

    def clip(self, value: float) -> int:
        return self.from_index((float(value) - self.low) / self.step)


@dataclass(frozen=True)
class CategoricalParam:
    name: str
    choices: tuple[Any, ...]
    condition: Condition | None = None


Param = FloatParam | IntParam | CategoricalParam


@dataclass(frozen=True)
class Problem:
    """A minimisation problem with a known optimum.

    Attributes:
        name: Unique name, used on the command line and in result files.
        space: Ordered parameter specs; parents come before their conditional children.
        function: The noiseless objective, called with the *active* parameters only.
        optimum: The known optimum (minimum) of ``function``.
        description: One line for the report.
        noise_sd: Standard deviation of the Gaussian noise added to each observation; the
            optimizers see the noisy value, regret is measured on the noiseless one.
        tags: Free-form labels ("synthetic", "bbob", "mixed", "conditional", "noisy",
            "sklearn", "cheap", ...).
        optimum_source: Where the optimum comes from (analytic, cocoex, cached search).
    """

    name: str
    space: tuple[Param, ...]
    function: Callable[[Mapping[str, Any]], float]
    optimum: float
    description: str
    noise_sd: float = 0.0
    tags: frozenset[str] = field(default_factory=frozenset)
    optimum_source: str = "analytic"
    direction: str = "minimize"

    def __post_init__(self) -> None:
        seen: dict[str, Param] = {}
        for p in self.space:
            if p.name in seen:
                raise ValueError(f"{self.name}: duplicate parameter {p.name!r}")
            if p.condition is not None:
                parent = seen.get(p.condition.parent)
                if not isinstance(parent, CategoricalParam):
                    raise ValueError(
                        f"{self.name}: parent of {p.name!r} must be an earlier categorical"
                    )
                if not set(p.condition.values) <= set(parent.choices):
                    raise ValueError(f"{self.name}: condition of {p.name!r} names bad values")
            seen[p.name] = p

    @property
    def dimension(self) -> int:
        return len(self.space)

    @property
    def is_conditional(self) -> bool:
        return any(p.condition is not None for p in self.space)

    def is_active(self, param: Param, params: Mapping[str, Any]) -> bool:
        return param.condition is None or param.condition.holds(params)

    def active(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """The active subset of a (possibly flattened) assignment, validated and typed.

        Flattened optimizers propose a value for every parameter; the ones whose condition
        does not hold are dropped here. Values are clipped into bounds and cast.
        """
        out: dict[str, Any] = {}
        for p in self.space:
            if not self.is_active(p, out):
                continue
            if p.name not in params:
                raise KeyError(f"{self.name}: active parameter {p.name!r} missing")
            value = params[p.name]
            if isinstance(p, CategoricalParam):
                if value not in p.choices:
                    raise ValueError(f"{self.name}: {p.name}={value!r} not in {p.choices}")
                out[p.name] = value
            else:
                out[p.name] = p.clip(value)
        return out

    def evaluate(self, params: Mapping[str, Any], rng: np.random.Generator) -> tuple[float, float]:
        """(observed value, noiseless value) at the active parameters ``params``."""
        true = float(self.function(params))
        observed = true + self.noise_sd * float(rng.standard_normal()) if self.noise_sd else true
        return observed, true

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly description (for the result files)."""
        return {
            "name": self.name,
            "dimension": self.dimension,
            "optimum": self.optimum,
            "optimum_source": self.optimum_source,
            "noise_sd": self.noise_sd,
            "tags": sorted(self.tags),
            "description": self.description,
            "space": [_param_dict(p) for p in self.space],
        }


def _param_dict(p: Param) -> dict[str, Any]:
    d: dict[str, Any] = {"name": p.name, "type": type(p).__name__}
    if isinstance(p, CategoricalParam):
        d["choices"] = list(p.choices)
    else:
        d.update(low=p.low, high=p.high, log=p.log)
        if isinstance(p, IntParam):
            d["step"] = p.step
    if p.condition is not None:
        d["condition"] = {"parent": p.condition.parent, "values": list(p.condition.values)}
    return d


def floats(names: Sequence[str], low: float, high: float) -> tuple[FloatParam, ...]:
    """Box-bounded float parameters ``names``."""
    return tuple(FloatParam(n, low, high) for n in names)


def vector(params: Mapping[str, Any], d: int, prefix: str = "x") -> np.ndarray:
    """``params[prefix0..prefix{d-1}]`` as an array."""
    return np.array([float(params[f"{prefix}{i}"]) for i in range(d)])


def log10(x: float) -> float:
    return math.log10(x)


def sample_random(space: Sequence[Param], rng: np.random.Generator) -> dict[str, Any]:
    """One uniform draw of the active parameters (log-uniform for ``log``), in order."""
    out: dict[str, Any] = {}
    for p in space:
        if p.condition is not None and not p.condition.holds(out):
            continue
        if isinstance(p, CategoricalParam):
            out[p.name] = p.choices[int(rng.integers(len(p.choices)))]
        elif isinstance(p, FloatParam):
            if p.log:
                out[p.name] = float(math.exp(rng.uniform(math.log(p.low), math.log(p.high))))
            else:
                out[p.name] = float(rng.uniform(p.low, p.high))
        elif p.log:
            u = rng.uniform(math.log(p.low - 0.5), math.log(p.high + 0.5))
            out[p.name] = p.clip(round(math.exp(u)))
        else:
            out[p.name] = p.from_index(int(rng.integers(p.n_levels)))
    return out

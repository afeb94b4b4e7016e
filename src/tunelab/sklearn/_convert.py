"""What scikit-learn users pass as a search space, as tunelab distributions."""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from typing import Any

from tunelab.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)

__all__ = ["SearchSpace", "to_distribution"]


def _frozen_scipy(value: Any) -> bool:
    return hasattr(value, "dist") and hasattr(value, "rvs") and hasattr(value, "support")


def _from_scipy(name: str, frozen: Any) -> BaseDistribution:
    kind = getattr(frozen.dist, "name", type(frozen.dist).__name__)
    low, high = (float(v) for v in frozen.support())
    if kind == "randint":  # support is [low, high - 1]
        return IntDistribution(int(low), int(high))
    if kind in ("loguniform", "reciprocal"):
        return FloatDistribution(low, high, log=True)
    if kind == "uniform":
        return FloatDistribution(low, high)
    bounded = math.isfinite(low) and math.isfinite(high)
    raise ValueError(
        f"param_distributions[{name!r}]: scipy.stats.{kind} is not supported"
        + ("" if bounded else f" (its support [{low:g}, {high:g}] is unbounded)")
        + "; use scipy.stats.uniform, loguniform or randint, a list of values, or a "
        "tunelab distribution"
    )


def to_distribution(name: str, value: Any) -> tuple[BaseDistribution, dict[str, Any]]:
    """One entry of ``param_distributions``: its distribution and a label map.

    Choices that are not plain values (estimators, say) become string labels; the map
    leads from each label back to its object.

    Raises:
        ValueError: The entry is of no supported kind; the message names the parameter.
    """
    if isinstance(value, BaseDistribution):
        return value, {}
    if _frozen_scipy(value):
        return _from_scipy(name, value), {}
    if isinstance(value, (list, tuple)) or (
        hasattr(value, "__len__")
        and hasattr(value, "__getitem__")
        and not isinstance(value, (str, bytes, Mapping))
    ):
        choices = [_plain(v) for v in value]
        if not choices:
            raise ValueError(f"param_distributions[{name!r}] is an empty list")
        if all(v is None or isinstance(v, (bool, int, float, str)) for v in choices):
            return CategoricalDistribution(tuple(choices)), {}
        labels = [f"{i}: {v!r}"[:200] for i, v in enumerate(choices)]
        return CategoricalDistribution(tuple(labels)), dict(zip(labels, choices, strict=True))
    raise ValueError(
        f"param_distributions[{name!r}]={value!r} must be a list of values, a frozen "
        "scipy.stats distribution (uniform, loguniform, randint) or a tunelab distribution"
    )


def _plain(value: Any) -> Any:
    """NumPy scalars as Python scalars (categorical choices must be JSON-able)."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return int(value)
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return float(value)
    return value


class SearchSpace:
    """``param_distributions`` as tunelab distributions, and back to estimator parameters.

    Example:
        >>> from scipy.stats import loguniform, randint
        >>> space = SearchSpace({"C": loguniform(1e-3, 1e3), "depth": randint(1, 5),
        ...                      "kernel": ["rbf", "linear"]})
        >>> space.distributions["C"].log, space.distributions["depth"].high
        (True, 4)

    Raises:
        ValueError: Not a non-empty dict, or an entry of no supported kind.
    """

    def __init__(self, param_distributions: Any) -> None:
        if not isinstance(param_distributions, Mapping) or not param_distributions:
            raise ValueError(
                "param_distributions must be a non-empty dict of parameter name -> values "
                f"or distribution, got {param_distributions!r}"
            )
        self.distributions: dict[str, BaseDistribution] = {}
        self._objects: dict[str, dict[str, Any]] = {}
        for name, value in param_distributions.items():
            dist, objects = to_distribution(str(name), value)
            self.distributions[str(name)] = dist
            if objects:
                self._objects[str(name)] = objects

    def estimator_params(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """Trial parameters as the values to pass to ``set_params``."""
        return {
            name: self._objects[name].get(value, value) if name in self._objects else value
            for name, value in params.items()
        }

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

__all__ = ["SUBSPACE", "SearchSpace", "to_distribution"]

SUBSPACE = "sklearn:subspace"
"""Trial parameter holding which dict of a list ``param_distributions`` a trial drew from."""


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

    As in scikit-learn's searches, ``param_distributions`` is a dict, or a list of dicts
    (separate sub-spaces, e.g. one per kernel): a trial then first draws which one, as
    the categorical parameter ``SUBSPACE``, so tree-aware samplers model each apart.

    Example:
        >>> from scipy.stats import loguniform, randint
        >>> space = SearchSpace({"C": loguniform(1e-3, 1e3), "depth": randint(1, 5),
        ...                      "kernel": ["rbf", "linear"]})
        >>> space.distributions["C"].log, space.distributions["depth"].high
        (True, 4)
        >>> two = SearchSpace([{"kernel": ["linear"]}, {"kernel": ["rbf"], "gamma": [1, 2]}])
        >>> two.estimator_params({SUBSPACE: 1, "kernel": "rbf", "gamma": 2})
        {'kernel': 'rbf', 'gamma': 2}

    Raises:
        ValueError: Not a non-empty dict (or list of them), or an entry of no supported
            kind; the message names the entry.
    """

    def __init__(self, param_distributions: Any) -> None:
        many = isinstance(param_distributions, (list, tuple))
        spaces = list(param_distributions) if many else [param_distributions]
        if not spaces:
            raise ValueError("param_distributions must not be an empty list")
        self._spaces: list[tuple[dict[str, BaseDistribution], dict[str, dict[str, Any]]]] = []
        for index, space in enumerate(spaces):
            where = f"param_distributions[{index}]" if many else "param_distributions"
            if not isinstance(space, Mapping) or not space:
                raise ValueError(
                    f"{where} must be a non-empty dict of parameter name -> values or "
                    f"distribution, got {space!r}"
                )
            distributions: dict[str, BaseDistribution] = {}
            objects: dict[str, dict[str, Any]] = {}
            for name, value in space.items():
                dist, labels = to_distribution(str(name), value)
                distributions[str(name)] = dist
                if labels:
                    objects[str(name)] = labels
            self._spaces.append((distributions, objects))

    @property
    def distributions(self) -> dict[str, BaseDistribution]:
        """The distributions of the first (for a dict: the only) sub-space."""
        return self._spaces[0][0]

    def suggest(self, trial: Any) -> dict[str, Any]:
        """Draw a configuration for ``trial`` (with ``SUBSPACE`` for a list of dicts)."""
        params: dict[str, Any] = {}
        index = 0
        if len(self._spaces) > 1:
            index = trial.suggest_categorical(SUBSPACE, list(range(len(self._spaces))))
            params[SUBSPACE] = index
        for name, dist in self._spaces[index][0].items():
            params[name] = trial._suggest(name, dist)
        return params

    def estimator_params(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """Trial parameters as the values to pass to ``set_params``."""
        objects = self._spaces[int(params.get(SUBSPACE, 0))][1]
        return {
            name: objects[name].get(value, value) if name in objects else value
            for name, value in params.items()
            if name != SUBSPACE
        }

"""A trial with given parameters, for running an objective outside a study."""

from __future__ import annotations

import numbers
from collections.abc import Mapping
from typing import Any

from tunelab._typing import JSONValue, ParamValue
from tunelab.distributions import BaseDistribution
from tunelab.trial._suggest import SuggestMixin
from tunelab.trial._trial import check_json

__all__ = ["FixedTrial"]


class FixedTrial(SuggestMixin):
    """Run an objective with known parameters: each ``suggest_*`` returns the given value.

    Useful to re-train the best configuration, or to test an objective.

    Args:
        params: The value of every parameter the objective will suggest.
        number: The trial number the objective sees.

    Example:
        >>> import tunelab as tl
        >>> def objective(trial):
        ...     return trial.suggest_float("x", -10, 10) ** 2
        >>> objective(tl.FixedTrial({"x": 3.0}))
        9.0
    """

    def __init__(self, params: Mapping[str, ParamValue], number: int = 0) -> None:
        self._given = dict(params)
        self.number = number
        self._params: dict[str, ParamValue] = {}
        self._distributions: dict[str, BaseDistribution] = {}
        self.user_attrs: dict[str, JSONValue] = {}
        self.intermediate_values: dict[int, float] = {}

    @property
    def params(self) -> dict[str, ParamValue]:
        """The parameters suggested so far."""
        return dict(self._params)

    @property
    def distributions(self) -> dict[str, BaseDistribution]:
        """The distribution of each parameter suggested so far."""
        return dict(self._distributions)

    def _suggest(self, name: str, distribution: BaseDistribution) -> ParamValue:
        if name in self._distributions and self._distributions[name] != distribution:
            raise ValueError(
                f"parameter {name!r} was already suggested as {self._distributions[name]!r}; "
                f"it cannot be suggested again as {distribution!r}"
            )
        if name not in self._given:
            raise ValueError(
                f"parameter {name!r} is not among the FixedTrial's params "
                f"({', '.join(map(repr, self._given)) or 'none'})"
            )
        value = self._given[name]
        try:
            internal = distribution.to_internal(value)
        except ValueError as exc:
            raise ValueError(f"parameter {name!r}: fixed value {value!r}: {exc}") from None
        if not distribution.contains(internal):
            raise ValueError(
                f"parameter {name!r}: fixed value {value!r} lies outside {distribution!r}"
            )
        external = distribution.to_external(internal)
        self._params[name] = external
        self._distributions[name] = distribution
        return external

    def report(self, value: float, step: int) -> None:
        """Record an intermediate value (kept in ``intermediate_values``)."""
        if isinstance(step, bool) or not isinstance(step, numbers.Integral) or step < 0:
            raise ValueError(f"step={step!r} must be an integer >= 0")
        self.intermediate_values.setdefault(int(step), float(value))

    def should_prune(self) -> bool:
        """Always False: a fixed trial runs to the end."""
        return False

    def set_user_attr(self, key: str, value: Any) -> None:
        """Record a JSON-serialisable user attribute."""
        self.user_attrs[key] = check_json(f"user attribute {key!r}", value)

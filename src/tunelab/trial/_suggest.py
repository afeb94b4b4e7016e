"""The ``suggest_*`` methods, written once over a single abstract ``_suggest``."""

from __future__ import annotations

import abc
from collections.abc import Sequence
from typing import Any, TypeVar, cast

from tunelab._typing import CategoricalChoice, ParamValue
from tunelab.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)

__all__ = ["SuggestMixin"]

C = TypeVar("C", bound=CategoricalChoice)


def _check_name(name: Any) -> str:
    if not isinstance(name, str) or not name:
        raise ValueError(f"parameter name {name!r} must be a non-empty string")
    return name


class SuggestMixin(abc.ABC):
    """``suggest_float``, ``suggest_int`` and ``suggest_categorical`` for any trial type."""

    @abc.abstractmethod
    def _suggest(self, name: str, distribution: BaseDistribution) -> ParamValue:
        """Return the value of ``name`` drawn from (or fixed within) ``distribution``."""

    def _distribution(self, name: str, build: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return build(*args, **kwargs)
        except ValueError as exc:
            raise ValueError(f"parameter {name!r}: {exc}") from None

    def suggest_float(
        self,
        name: str,
        low: float,
        high: float,
        *,
        step: float | None = None,
        log: bool = False,
    ) -> float:
        """Suggest a float in ``[low, high]``.

        Args:
            name: The parameter name, unique within the trial.
            low: Lower bound, included.
            high: Upper bound, included.
            step: Spacing of the allowed values (must divide ``high - low``).
            log: Sample on a log scale (``low > 0``; not with ``step``).

        Raises:
            ValueError: An invalid range, or ``name`` already suggested differently.

        Example:
            >>> import tunelab as tl
            >>> tl.FixedTrial({"lr": 0.01}).suggest_float("lr", 1e-5, 1e-1, log=True)
            0.01
        """
        name = _check_name(name)
        dist = self._distribution(name, FloatDistribution, low, high, step=step, log=log)
        return cast(float, self._suggest(name, dist))

    def suggest_int(
        self, name: str, low: int, high: int, *, step: int = 1, log: bool = False
    ) -> int:
        """Suggest an integer in ``[low, high]``.

        Args:
            name: The parameter name, unique within the trial.
            low: Lower bound, included.
            high: Upper bound, included.
            step: Spacing of the allowed values (must divide ``high - low``).
            log: Sample on a log scale (``low >= 1``, ``step == 1``).

        Raises:
            ValueError: An invalid range, or ``name`` already suggested differently.

        Example:
            >>> import tunelab as tl
            >>> tl.FixedTrial({"width": 64}).suggest_int("width", 16, 256, step=16)
            64
        """
        name = _check_name(name)
        dist = self._distribution(name, IntDistribution, low, high, step=step, log=log)
        return cast(int, self._suggest(name, dist))

    def suggest_categorical(self, name: str, choices: Sequence[C]) -> C:
        """Suggest one of ``choices``.

        Args:
            name: The parameter name, unique within the trial.
            choices: Distinct ``None``/bool/int/float/str values.

        Raises:
            ValueError: Empty, repeated or unsupported choices, or ``name`` already
                suggested differently.

        Example:
            >>> import tunelab as tl
            >>> tl.FixedTrial({"opt": "adam"}).suggest_categorical("opt", ["sgd", "adam"])
            'adam'
        """
        name = _check_name(name)
        dist = self._distribution(name, CategoricalDistribution, choices)
        return cast(C, self._suggest(name, dist))

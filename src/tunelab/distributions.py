"""Parameter distributions: the shape of one dimension of a search space.

Three frozen, validated value types describe every parameter:

* :class:`FloatDistribution` — a real interval, optionally log-scaled or stepped;
* :class:`IntDistribution` — an integer interval, optionally log-scaled or stepped;
* :class:`CategoricalDistribution` — a finite tuple of ``None``/bool/int/float/str choices.

Each converts between the *external* value a user sees and a float *internal* value that
storages persist and samplers work with (a categorical's internal value is the index of
its choice). Distributions round-trip through JSON; nothing is pickled.

Example:
    >>> from tunelab.distributions import FloatDistribution, distribution_from_json
    >>> d = FloatDistribution(1e-5, 1e-1, log=True)
    >>> distribution_from_json(d.to_json()) == d
    True
    >>> d.contains(d.to_internal(1e-3))
    True
"""

from __future__ import annotations

import abc
import math
import numbers
import sys
from collections.abc import Mapping, Sequence
from dataclasses import KW_ONLY, dataclass
from typing import Any

from tunelab._typing import CategoricalChoice, JSONValue, ParamValue

__all__ = [
    "BaseDistribution",
    "CategoricalDistribution",
    "FloatDistribution",
    "IntDistribution",
    "distribution_from_json",
]

# Relative tolerance when checking that a float step divides a range.
_STEP_RTOL = 1e-8


def _steps_off_lattice(offset: float, step: float, magnitude: float) -> bool:
    """Whether ``offset / step`` is not a whole number, allowing for float rounding.

    Rounding error grows with the magnitude of the bounds (131072.001 - 131072 is not
    exactly 0.001), so the tolerance does too.
    """
    k = offset / step
    tolerance = _STEP_RTOL * max(1.0, abs(k)) + 16 * sys.float_info.epsilon * magnitude / step
    return abs(k - round(k)) > tolerance


class BaseDistribution(abc.ABC):
    """The contract every distribution fulfils.

    Example:
        >>> from tunelab.distributions import IntDistribution
        >>> d = IntDistribution(1, 9, step=2)
        >>> d.to_external(d.to_internal(5)), d.is_single()
        (5, False)
    """

    __slots__ = ()

    @abc.abstractmethod
    def to_internal(self, value: ParamValue) -> float:
        """Convert an external value into its float representation."""

    @abc.abstractmethod
    def to_external(self, internal: float) -> ParamValue:
        """Convert a float representation back into the value a user sees."""

    @abc.abstractmethod
    def contains(self, internal: float) -> bool:
        """Whether ``internal`` represents a value inside this distribution."""

    @abc.abstractmethod
    def is_single(self) -> bool:
        """Whether the distribution has exactly one possible value."""

    @abc.abstractmethod
    def to_json(self) -> dict[str, JSONValue]:
        """A JSON-compatible dict from which :func:`distribution_from_json` rebuilds it."""


def _real(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name}={value!r} must be a real number, got {type(value).__name__}")
    result = float(value)
    if not math.isfinite(result):
        raise ValueError(f"{name}={value!r} must be finite")
    return result


def _integer(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name}={value!r} must be an integer, got {type(value).__name__}")
    return int(value)


def _check_order(low: float, high: float) -> None:
    if low > high:
        raise ValueError(f"low={low!r} must be <= high={high!r}")


@dataclass(frozen=True, slots=True)
class FloatDistribution(BaseDistribution):
    """A real interval ``[low, high]``, optionally log-scaled or discretised by ``step``.

    Args:
        low: Lower bound, included.
        high: Upper bound, included.
        log: Sample in log space; needs ``low > 0``; incompatible with ``step``.
        step: Spacing of the allowed values ``low, low + step, ...``; must divide
            ``high - low``.

    Raises:
        ValueError: An argument is out of its allowed range; the message names it.

    Example:
        >>> FloatDistribution(0.0, 1.0, step=0.25).contains(0.5)
        True
        >>> FloatDistribution(0.0, 1.0, step=0.3)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: step=0.3 does not divide ... use high=0.9 or high=1.2
    """

    low: float
    high: float
    _: KW_ONLY
    log: bool = False
    step: float | None = None

    def __post_init__(self) -> None:
        low = _real("low", self.low)
        high = _real("high", self.high)
        _check_order(low, high)
        if not isinstance(self.log, bool):
            raise ValueError(f"log={self.log!r} must be True or False")
        if self.log and self.step is not None:
            raise ValueError(f"log=True and step={self.step!r} cannot be combined; pick one")
        if self.log and low <= 0.0:
            raise ValueError(f"log=True needs low > 0, got low={self.low!r}")
        step = None
        if self.step is not None:
            step = _real("step", self.step)
            if step <= 0.0:
                raise ValueError(f"step={self.step!r} must be > 0")
            n = (high - low) / step
            if _steps_off_lattice(high - low, step, max(abs(low), abs(high))):
                reachable = low + math.floor(n) * step
                above = low + math.ceil(n) * step
                raise ValueError(
                    f"step={self.step!r} does not divide high - low = {high - low!r}; "
                    f"the largest reachable value is {_tidy(reachable)}: "
                    f"use high={_tidy(reachable)} or high={_tidy(above)}"
                )
        object.__setattr__(self, "low", low)
        object.__setattr__(self, "high", high)
        object.__setattr__(self, "step", step)

    def to_internal(self, value: ParamValue) -> float:  # noqa: D102
        return _real("value", value)

    def to_external(self, internal: float) -> float:  # noqa: D102
        return float(internal)

    def lattice_value(self, k: int) -> float:
        """The ``k``-th allowed value ``low + k * step``, clamped to ``[low, high]``.

        Example:
            >>> FloatDistribution(0.1, 0.3, step=0.1).lattice_value(2)
            0.3
        """
        if self.step is None:
            raise ValueError("lattice_value needs a distribution with a step")
        if k <= 0:
            return self.low
        value = self.low + k * self.step
        # 0.1 + 2 * 0.1 is 0.30000000000000004: the last value is `high` itself.
        if value >= self.high or abs(value - self.high) <= 4 * math.ulp(self.high):
            return self.high
        return value

    def contains(self, internal: float) -> bool:  # noqa: D102
        if not (self.low <= internal <= self.high):
            return False
        if self.step is None:
            return True
        magnitude = max(abs(self.low), abs(self.high))
        return not _steps_off_lattice(internal - self.low, self.step, magnitude)

    def is_single(self) -> bool:  # noqa: D102
        return self.low == self.high

    def to_json(self) -> dict[str, JSONValue]:  # noqa: D102
        return {
            "type": "float",
            "low": self.low,
            "high": self.high,
            "log": self.log,
            "step": self.step,
        }


@dataclass(frozen=True, slots=True)
class IntDistribution(BaseDistribution):
    """An integer interval ``[low, high]``, optionally log-scaled or with a ``step``.

    Args:
        low: Lower bound, included.
        high: Upper bound, included.
        log: Sample in log space; needs ``low >= 1`` and ``step == 1``.
        step: Spacing of the allowed values; must divide ``high - low``.

    Raises:
        ValueError: An argument is out of its allowed range; the message names it.

    Example:
        >>> IntDistribution(16, 256, step=16).contains(48.0)
        True
        >>> IntDistribution(16, 250, step=16)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: step=16 does not divide ... use high=240 or high=256
    """

    low: int
    high: int
    _: KW_ONLY
    log: bool = False
    step: int = 1

    def __post_init__(self) -> None:
        low = _integer("low", self.low)
        high = _integer("high", self.high)
        _check_order(low, high)
        if not isinstance(self.log, bool):
            raise ValueError(f"log={self.log!r} must be True or False")
        step = _integer("step", self.step)
        if step < 1:
            raise ValueError(f"step={self.step!r} must be >= 1")
        if self.log and step != 1:
            raise ValueError(f"log=True and step={step} cannot be combined; use step=1")
        if self.log and low < 1:
            raise ValueError(f"log=True needs low >= 1, got low={low}")
        if (high - low) % step:
            reachable = low + (high - low) // step * step
            raise ValueError(
                f"step={step} does not divide high - low = {high - low}; the largest "
                f"reachable value is {reachable}: use high={reachable} or high={reachable + step}"
            )
        object.__setattr__(self, "low", low)
        object.__setattr__(self, "high", high)
        object.__setattr__(self, "step", step)

    def to_internal(self, value: ParamValue) -> float:  # noqa: D102
        return float(_integer("value", value))

    def to_external(self, internal: float) -> int:  # noqa: D102
        return round(internal)

    def contains(self, internal: float) -> bool:  # noqa: D102
        if not (self.low <= internal <= self.high) or internal != math.floor(internal):
            return False
        return (int(internal) - self.low) % self.step == 0

    def is_single(self) -> bool:  # noqa: D102
        return self.low == self.high

    def to_json(self) -> dict[str, JSONValue]:  # noqa: D102
        return {
            "type": "int",
            "low": self.low,
            "high": self.high,
            "log": self.log,
            "step": self.step,
        }


def _choice(index: int, value: Any) -> CategoricalChoice:
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        result = float(value)
        if math.isnan(result):
            raise ValueError(f"choices[{index}] is NaN; NaN cannot be told apart from itself")
        return result
    raise ValueError(
        f"choices[{index}]={value!r} has type {type(value).__name__}; choices must be "
        "None, bool, int, float or str (store richer objects in a dict and choose its key)"
    )


def _choice_key(value: CategoricalChoice) -> tuple[str, CategoricalChoice]:
    # True == 1 == 1.0 in Python; the type keeps them apart.
    return (type(value).__name__, value)


@dataclass(frozen=True, slots=True)
class CategoricalDistribution(BaseDistribution):
    """A finite, ordered set of distinct choices.

    Args:
        choices: A non-empty sequence of distinct ``None``/bool/int/float/str values.

    Raises:
        ValueError: ``choices`` is empty, holds an unsupported type, or repeats a value.

    Example:
        >>> d = CategoricalDistribution(["sgd", "adam"])
        >>> d.to_internal("adam"), d.to_external(0.0)
        (1.0, 'sgd')
    """

    choices: tuple[CategoricalChoice, ...]

    def __post_init__(self) -> None:
        raw = self.choices
        if isinstance(raw, (str, bytes, Mapping)) or not isinstance(raw, Sequence):
            raise ValueError(
                f"choices={raw!r} must be a list or tuple of values, got {type(raw).__name__}"
            )
        choices = tuple(_choice(i, v) for i, v in enumerate(raw))
        if not choices:
            raise ValueError("choices must not be empty")
        seen: set[tuple[str, CategoricalChoice]] = set()
        for value in choices:
            key = _choice_key(value)
            if key in seen:
                raise ValueError(f"choices contain {value!r} more than once")
            seen.add(key)
        object.__setattr__(self, "choices", choices)

    def to_internal(self, value: ParamValue) -> float:  # noqa: D102
        key = _choice_key(value)
        for index, choice in enumerate(self.choices):
            if _choice_key(choice) == key:
                return float(index)
        raise ValueError(f"value {value!r} is not one of the choices {list(self.choices)!r}")

    def to_external(self, internal: float) -> CategoricalChoice:  # noqa: D102
        return self.choices[round(internal)]

    def contains(self, internal: float) -> bool:  # noqa: D102
        return 0 <= internal < len(self.choices) and internal == math.floor(internal)

    def is_single(self) -> bool:  # noqa: D102
        return len(self.choices) == 1

    def to_json(self) -> dict[str, JSONValue]:  # noqa: D102
        return {"type": "categorical", "choices": list(self.choices)}


def distribution_from_json(data: Mapping[str, JSONValue]) -> BaseDistribution:
    """Rebuild a distribution from :meth:`BaseDistribution.to_json` output.

    Example:
        >>> distribution_from_json({"type": "int", "low": 1, "high": 3, "log": False, "step": 1})
        IntDistribution(low=1, high=3, log=False, step=1)
    """
    kind = data.get("type")
    fields: Any = data
    try:
        if kind == "float":
            return FloatDistribution(
                fields["low"],
                fields["high"],
                log=fields.get("log", False),
                step=fields.get("step"),
            )
        if kind == "int":
            return IntDistribution(
                fields["low"],
                fields["high"],
                log=fields.get("log", False),
                step=fields.get("step", 1),
            )
        if kind == "categorical":
            choices = fields["choices"]
            if not isinstance(choices, list):
                raise ValueError(f"distribution JSON choices={choices!r} must be a list")
            return CategoricalDistribution(tuple(choices))
    except KeyError as exc:
        raise ValueError(
            f"distribution JSON {dict(data)!r} lacks the key {exc.args[0]!r}"
        ) from None
    raise ValueError(
        f"distribution JSON has type={kind!r}; expected 'float', 'int' or 'categorical'"
    )


def _tidy(x: float) -> float:
    """Round away float noise such as 0.8999999999 for messages."""
    return float(f"{x:.12g}")

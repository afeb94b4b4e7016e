"""Argument checks shared by constructors, with messages that name the argument.

Example:
    >>> check_int("n_startup_trials", 5, 0)
    5
    >>> check_int("popsize", 2.5, 4)
    Traceback (most recent call last):
    ...
    ValueError: popsize=2.5 must be an integer >= 4
"""

from __future__ import annotations

import math
import numbers
from typing import Any, overload

__all__ = ["check_int", "check_real"]


@overload
def check_int(name: str, value: Any, minimum: int) -> int: ...


@overload
def check_int(name: str, value: Any, minimum: int, *, allow_none: bool) -> int | None: ...


def check_int(name: str, value: Any, minimum: int, *, allow_none: bool = False) -> int | None:
    """``value`` if it is an integer (not a bool) >= ``minimum`` (or None when allowed).

    Raises:
        ValueError: Otherwise; the message names the argument and what is allowed.
    """
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        extra = " or None" if allow_none else ""
        raise ValueError(f"{name}={value!r} must be an integer >= {minimum}{extra}")
    return value


def check_real(name: str, value: Any, low: float, high: float = math.inf) -> float:
    """``value`` as a float if it is a real number in ``[low, high]``.

    Raises:
        ValueError: Otherwise; the message names the argument and the allowed range.
    """
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Real)
        or not low <= float(value) <= high
    ):
        allowed = f">= {low:g}" if high == math.inf else f"in [{low:g}, {high:g}]"
        raise ValueError(f"{name}={value!r} must be a number {allowed}")
    return float(value)

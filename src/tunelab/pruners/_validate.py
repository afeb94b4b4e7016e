"""Argument checks shared by the pruners."""

from __future__ import annotations

import math
import numbers
from typing import Any

__all__ = ["check_real"]


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

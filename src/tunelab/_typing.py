"""Type aliases shared by every layer."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TypeAlias

JSONValue: TypeAlias = (
    bool | int | float | str | Sequence["JSONValue"] | Mapping[str, "JSONValue"] | None
)
"""A value that survives a JSON round trip."""

CategoricalChoice: TypeAlias = bool | int | float | str | None
"""A value allowed as a categorical choice."""

ParamValue: TypeAlias = bool | int | float | str | None
"""The external (user-facing) value of a parameter."""

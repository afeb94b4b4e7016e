"""Trials as a pandas DataFrame (pandas is optional)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tunelab._optional import require
from tunelab._records import FrozenTrial

__all__ = ["trials_dataframe"]


def trials_dataframe(
    trials: Sequence[FrozenTrial], n_objectives: int, include_system_attrs: bool
) -> Any:
    """One row per trial; see :meth:`Study.trials_dataframe` for the columns."""
    pd = require("pandas", "pandas", "Study.trials_dataframe()")
    rows: list[dict[str, Any]] = []
    for t in trials:
        row: dict[str, Any] = {"number": t.number}
        values = t.values or (None,) * n_objectives
        if n_objectives == 1:
            row["value"] = values[0]
        else:
            row.update({f"values_{i}": v for i, v in enumerate(values)})
        row["state"] = t.state.name
        row["datetime_start"] = t.datetime_start
        row["datetime_complete"] = t.datetime_complete
        row["duration"] = (
            t.datetime_complete - t.datetime_start
            if t.datetime_start and t.datetime_complete
            else None
        )
        row.update({f"params_{k}": v for k, v in t.params.items()})
        row.update({f"user_attrs_{k}": v for k, v in t.user_attrs.items()})
        if include_system_attrs:
            row.update({f"system_attrs_{k}": v for k, v in t.system_attrs.items()})
        rows.append(row)
    frame = pd.DataFrame(rows)
    if frame.empty:
        value_cols = (
            ["value"] if n_objectives == 1 else [f"values_{i}" for i in range(n_objectives)]
        )
        frame = pd.DataFrame(
            columns=[
                "number",
                *value_cols,
                "state",
                "datetime_start",
                "datetime_complete",
                "duration",
            ]
        )
    return frame

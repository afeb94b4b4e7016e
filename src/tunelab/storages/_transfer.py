"""Lossless export and import of studies as JSON lines, between any two storages.

The first line describes the study; each further line is one trial with every field:
state, values, parameters (external value and distribution), intermediate values, user
and system attributes, and UTC timestamps. Non-finite intermediate values are written as
the strings ``"nan"``, ``"inf"`` and ``"-inf"`` so that every line is standard JSON.

Example:
    >>> import io, tunelab as tl
    >>> study = tl.create_study(study_name="a")
    >>> study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    >>> buffer = io.StringIO()
    >>> export_study(study.storage, "a", buffer)
    3
    >>> _ = buffer.seek(0)
    >>> other = tl.storages.InMemoryStorage()
    >>> import_study(other, buffer).name
    'a'
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from datetime import datetime
from typing import IO, Any

from tunelab._records import FrozenStudy, FrozenTrial, StudyDirection, TrialState
from tunelab.distributions import distribution_from_json
from tunelab.storages._base import BaseStorage

__all__ = ["FORMAT_VERSION", "copy_study", "export_study", "import_study"]

FORMAT_VERSION = 1
_NON_FINITE = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}


def _float_out(value: float) -> float | str:
    if math.isfinite(value):
        return value
    return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")


def _float_in(value: float | str) -> float:
    return _NON_FINITE[value] if isinstance(value, str) else float(value)


def _time_out(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _time_in(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def _trial_record(trial: FrozenTrial) -> dict[str, Any]:
    return {
        "kind": "trial",
        "number": trial.number,
        "state": trial.state.value,
        "values": None if trial.values is None else list(trial.values),
        "params": {
            name: {"value": value, "distribution": trial.distributions[name].to_json()}
            for name, value in trial.params.items()
        },
        "intermediate_values": {
            str(step): _float_out(v) for step, v in sorted(trial.intermediate_values.items())
        },
        "user_attrs": dict(trial.user_attrs),
        "system_attrs": dict(trial.system_attrs),
        "datetime_start": _time_out(trial.datetime_start),
        "datetime_complete": _time_out(trial.datetime_complete),
    }


def export_study(storage: BaseStorage, study_name: str, out: IO[str]) -> int:
    """Write the study as JSON lines to ``out``; return the number of lines written.

    Raises:
        StudyNotFoundError: No such study.
    """
    study = storage.get_study(study_name)
    header = {
        "kind": "study",
        "format": FORMAT_VERSION,
        "name": study.name,
        "directions": [d.value for d in study.directions],
        "user_attrs": dict(study.user_attrs),
        "system_attrs": dict(study.system_attrs),
        "datetime_created": _time_out(study.datetime_created),
    }
    out.write(json.dumps(header) + "\n")
    lines = 1
    for trial in storage.get_trials(study.study_id):
        out.write(json.dumps(_trial_record(trial)) + "\n")
        lines += 1
    return lines


def _records(lines: IO[str]) -> Iterator[tuple[int, dict[str, Any]]]:
    for lineno, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ValueError(f"line {lineno}: not valid JSON ({exc.msg})") from None
        if not isinstance(record, dict) or record.get("kind") not in ("study", "trial"):
            raise ValueError(f"line {lineno}: expected a study or trial record")
        yield lineno, record


def _trial_from(record: dict[str, Any]) -> FrozenTrial:
    params, dists = {}, {}
    for name, entry in record["params"].items():
        dists[name] = distribution_from_json(entry["distribution"])
        params[name] = entry["value"]
    return FrozenTrial(
        trial_id=-1,
        number=-1,
        state=TrialState(record["state"]),
        values=None if record["values"] is None else tuple(record["values"]),
        params=params,
        distributions=dists,
        intermediate_values={
            int(k): _float_in(v) for k, v in record["intermediate_values"].items()
        },
        user_attrs=record["user_attrs"],
        system_attrs=record["system_attrs"],
        datetime_start=_time_in(record["datetime_start"]),
        datetime_complete=_time_in(record["datetime_complete"]),
    )


def import_study(
    storage: BaseStorage, lines: IO[str], study_name: str | None = None
) -> FrozenStudy:
    """Create a study in ``storage`` from JSON lines written by :func:`export_study`.

    Trials keep their numbers, states (WAITING and RUNNING included), values and times.

    Args:
        storage: The destination.
        lines: The JSON lines.
        study_name: A new name; the exported one by default.

    Raises:
        DuplicatedStudyError: The destination already has a study with that name.
        ValueError: The input is not a tunelab export (the message gives the line).
    """
    records = _records(lines)
    try:
        lineno, header = next(records)
    except StopIteration:
        raise ValueError("the input is empty; expected a tunelab study export") from None
    if header["kind"] != "study" or header.get("format") != FORMAT_VERSION:
        raise ValueError(f"line {lineno}: expected a study header of format {FORMAT_VERSION}")
    missing = [k for k in ("name", "directions", "user_attrs", "system_attrs") if k not in header]
    if missing:
        raise ValueError(f"line {lineno}: the study header lacks {', '.join(missing)}")
    templates: list[FrozenTrial] = []
    for expected, (lineno, record) in enumerate(records):
        if record["kind"] != "trial":
            raise ValueError(f"line {lineno}: a second study header")
        try:
            number = record["number"]
            trial = _trial_from(record)
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"line {lineno}: invalid trial record ({exc!r})") from None
        if number != expected:
            raise ValueError(
                f"line {lineno}: trial number {number}, expected {expected} "
                "(trials must be dense and in order)"
            )
        templates.append(trial)
    # Everything was checked: only now is anything written.
    try:
        directions = [StudyDirection(d) for d in header["directions"]]
    except (TypeError, ValueError) as exc:
        raise ValueError(f"line 1: invalid directions ({exc})") from None
    study = storage.create_study(study_name or header["name"], directions)
    for system, attrs in ((False, header["user_attrs"]), (True, header["system_attrs"])):
        for key, value in attrs.items():
            storage.set_study_attr(study.study_id, key, value, system=system)
    for trial in templates:
        storage.create_trial(study.study_id, state=trial.state, template=trial)
    return storage.get_study(study.name)


def copy_study(
    source: BaseStorage,
    study_name: str,
    destination: BaseStorage,
    new_name: str | None = None,
) -> FrozenStudy:
    """Copy a study with all its trials from one storage to another (losslessly)."""
    import io

    buffer = io.StringIO()
    export_study(source, study_name, buffer)
    buffer.seek(0)
    return import_study(destination, buffer, new_name)

"""``tunelab trials URL --study NAME``: the trials of a study, one row each."""

from __future__ import annotations

import argparse
import sys
from typing import Any

import tunelab as tl
from tunelab.cli._common import add_format, add_study, add_url, open_storage
from tunelab.cli._output import render


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the command."""
    parser = subparsers.add_parser(
        "trials", help="list the trials of a study", description="List the trials of a study."
    )
    add_url(parser)
    add_study(parser)
    add_format(parser)
    parser.add_argument(
        "--state",
        action="append",
        metavar="STATE",
        choices=[s.name.lower() for s in tl.TrialState],
        help="only trials in this state (repeatable)",
    )
    parser.set_defaults(run=run)


def trial_row(trial: tl.FrozenTrial, n_objectives: int) -> dict[str, Any]:
    """A flat row for one trial (values, params as columns)."""
    row: dict[str, Any] = {"number": trial.number, "state": trial.state.name}
    values = trial.values or (None,) * n_objectives
    if n_objectives == 1:
        row["value"] = values[0]
    else:
        row.update({f"values_{i}": v for i, v in enumerate(values)})
    row["duration_s"] = None if trial.duration is None else round(trial.duration, 3)
    row.update({f"params_{k}": v for k, v in trial.params.items()})
    reason = trial.system_attrs.get("fail_reason") or trial.system_attrs.get("prune_reason")
    row["note"] = reason
    return row


def run(args: argparse.Namespace) -> int:
    """Print the trials."""
    study = tl.load_study(study_name=args.study, storage=open_storage(args.url))
    states = [tl.TrialState[s.upper()] for s in args.state] if args.state else None
    n = len(study.directions)
    rows = [trial_row(t, n) for t in study.get_trials(states=states)]
    value_cols = ["value"] if n == 1 else [f"values_{i}" for i in range(n)]
    params = sorted({k for r in rows for k in r if k.startswith("params_")})
    render(
        rows,
        ["number", "state", *value_cols, "duration_s", *params, "note"],
        args.format,
        sys.stdout,
    )
    return 0

"""``tunelab studies URL``: list the studies of a storage."""

from __future__ import annotations

import argparse
import sys

import tunelab as tl
from tunelab.cli._common import add_format, add_url, open_storage
from tunelab.cli._output import render

COLUMNS = ["name", "directions", "trials", "complete", "best_value", "created"]


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the command."""
    parser = subparsers.add_parser(
        "studies",
        help="list the studies in a storage",
        description="List the studies in a storage.",
    )
    add_url(parser)
    add_format(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """List studies with their trial counts and best value."""
    storage = open_storage(args.url)
    rows = []
    for record in storage.list_studies():
        study = tl.load_study(study_name=record.name, storage=storage)
        complete = study.get_trials(states=[tl.TrialState.COMPLETE])
        best = study.best_value if len(record.directions) == 1 and complete else None
        rows.append(
            {
                "name": record.name,
                "directions": ",".join(d.value for d in record.directions),
                "trials": storage.count_trials(record.study_id),
                "complete": len(complete),
                "best_value": best,
                "created": record.datetime_created.isoformat(timespec="seconds")
                if record.datetime_created
                else None,
            }
        )
    render(rows, COLUMNS, args.format, sys.stdout)
    return 0

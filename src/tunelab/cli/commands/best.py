"""``tunelab best URL --study NAME``: the best trial (the Pareto front for several objectives)."""

from __future__ import annotations

import argparse
import json
import sys

import tunelab as tl
from tunelab.cli._common import CommandError, add_format, add_study, add_url, open_storage
from tunelab.cli._output import render
from tunelab.cli.commands.trials import trial_row


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the command."""
    parser = subparsers.add_parser(
        "best",
        help="show the best trial of a study",
        description="Show the best trial of a study (the Pareto "
        "front when it has several objectives).",
    )
    add_url(parser)
    add_study(parser)
    add_format(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Print the best trial(s)."""
    study = tl.load_study(study_name=args.study, storage=open_storage(args.url))
    n = len(study.directions)
    best = (
        study.best_trials
        if n > 1
        else ([study.best_trial] if study.get_trials(states=[tl.TrialState.COMPLETE]) else [])
    )
    if not best:
        raise CommandError(f"study {args.study!r} has no COMPLETE trial yet")
    if args.format == "json":
        payload = [
            {
                "number": t.number,
                "values": list(t.values or ()),
                "params": dict(t.params),
                "user_attrs": dict(t.user_attrs),
            }
            for t in best
        ]
        sys.stdout.write(json.dumps(payload[0] if n == 1 else payload, indent=2) + "\n")
        return 0
    if args.format == "table" and n == 1:
        trial = best[0]
        sys.stdout.write(f"best trial: {trial.number}\nvalue: {trial.value!r}\nparams:\n")
        for name, value in trial.params.items():
            sys.stdout.write(f"  {name}: {value!r}\n")
        return 0
    rows = [trial_row(t, n) for t in best]
    params = sorted({k for r in rows for k in r if k.startswith("params_")})
    value_cols = ["value"] if n == 1 else [f"values_{i}" for i in range(n)]
    render(rows, ["number", *value_cols, *params], args.format, sys.stdout)
    return 0

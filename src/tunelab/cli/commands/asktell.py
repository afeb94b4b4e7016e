"""``tunelab ask`` / ``tunelab tell``: drive a study from any language or scheduler."""

from __future__ import annotations

import argparse
import json
import sys

import tunelab as tl
from tunelab.cli._common import CommandError, open_storage
from tunelab.cli._config import load_config
from tunelab.cli._objectives import suggest_space
from tunelab.cli.commands.run import open_study


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register both commands."""
    ask = subparsers.add_parser(
        "ask",
        help="start a trial and print its parameters as JSON",
        description="Start a trial of the study a YAML file describes and print "
        '{"number": N, "params": {...}} on stdout. Evaluate it anywhere, then report the '
        "result with `tunelab tell`.",
    )
    ask.add_argument("config", metavar="STUDY.yaml", help="the study description")
    ask.set_defaults(run=run_ask)
    tell = subparsers.add_parser(
        "tell",
        help="finish a trial with its value(s) or a state",
        description="Finish trial --trial N of a study with its objective value(s), or "
        "mark it pruned or failed. TARGET is the study's YAML file, or a storage URL "
        "with --study.",
    )
    tell.add_argument("target", metavar="TARGET", help="STUDY.yaml, or a storage URL")
    tell.add_argument("--study", metavar="NAME", help="study name (with a storage URL)")
    tell.add_argument("--trial", type=int, required=True, metavar="N", help="trial number")
    tell.add_argument(
        "--value", type=float, action="append", help="objective value (repeat for several)"
    )
    tell.add_argument("--state", choices=("complete", "pruned", "fail"), default=None)
    tell.set_defaults(run=run_tell)


def run_ask(args: argparse.Namespace) -> int:
    """Create a trial, suggest the configured space, print it."""
    config = load_config(args.config)
    study = open_study(config)
    trial = study.ask()
    try:
        params = suggest_space(trial, config.space)
    except BaseException:
        study.tell(trial, state=tl.TrialState.FAIL)
        raise
    sys.stdout.write(json.dumps({"number": trial.number, "params": params}) + "\n")
    return 0


def run_tell(args: argparse.Namespace) -> int:
    """Finish the trial."""
    if args.target.endswith((".yaml", ".yml")):
        config = load_config(args.target)
        study = tl.load_study(study_name=config.study_name, storage=config.storage)
    else:
        if not args.study:
            raise CommandError("--study NAME is needed with a storage URL")
        study = tl.load_study(study_name=args.study, storage=open_storage(args.target))
    state = None if args.state is None else tl.TrialState[args.state.upper()]
    if state in (None, tl.TrialState.COMPLETE):
        if not args.value:
            raise CommandError("give --value (once per objective), or --state pruned|fail")
        values = args.value[0] if len(args.value) == 1 else args.value
        frozen = study.tell(args.trial, values)
    else:
        if args.value:
            raise CommandError(f"--value cannot be given with --state {args.state}")
        frozen = study.tell(args.trial, state=state)
    sys.stdout.write(
        json.dumps(
            {
                "number": frozen.number,
                "state": frozen.state.name.lower(),
                "values": list(frozen.values or ()),
            }
        )
        + "\n"
    )
    return 0 if frozen.state is not tl.TrialState.FAIL or state is tl.TrialState.FAIL else 1

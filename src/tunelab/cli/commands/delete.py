"""``tunelab delete URL --study NAME``: delete a study and its trials."""

from __future__ import annotations

import argparse
import sys

import tunelab as tl
from tunelab.cli._common import CommandError, add_study, add_url, open_storage


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the command."""
    parser = subparsers.add_parser(
        "delete",
        help="delete a study and all its trials",
        description="Delete a study and all its trials.",
    )
    add_url(parser)
    add_study(parser)
    parser.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Delete the study after confirmation."""
    storage = open_storage(args.url)
    study = tl.load_study(study_name=args.study, storage=storage)
    n = len(study.trials)
    if not args.yes:
        if not sys.stdin.isatty():
            raise CommandError("refusing to delete without confirmation: pass --yes")
        answer = input(f"Delete study {args.study!r} and its {n} trials? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            print("Nothing deleted.")
            return 1
    tl.delete_study(study_name=args.study, storage=storage)
    print(f"Deleted study {args.study!r} ({n} trials).")
    return 0

"""``tunelab export`` / ``tunelab import``: studies as JSON lines, lossless between storages."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import tunelab as tl
from tunelab.cli._common import add_study, add_url, open_storage


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register both commands."""
    export = subparsers.add_parser(
        "export",
        help="write a study as JSON lines",
        description="Write a study with every trial as JSON lines (lossless).",
    )
    add_url(export)
    add_study(export)
    export.add_argument(
        "-o",
        "--output",
        default="-",
        metavar="FILE",
        help="output file (default: standard output)",
    )
    export.set_defaults(run=run_export)

    imp = subparsers.add_parser(
        "import",
        help="create a study from JSON lines",
        description="Create a study from JSON lines written by 'tunelab export'.",
    )
    add_url(imp)
    imp.add_argument("input", metavar="FILE", help="input file ('-' for standard input)")
    add_study(imp, required=False)
    imp.set_defaults(run=run_import)


def run_export(args: argparse.Namespace) -> int:
    """Export one study."""
    storage = open_storage(args.url)
    tl.load_study(study_name=args.study, storage=storage)  # fails before any file is made
    if args.output == "-":
        lines = tl.storages.export_study(storage, args.study, sys.stdout)
    else:
        with open(args.output, "w", encoding="utf-8") as out:
            lines = tl.storages.export_study(storage, args.study, out)
        print(f"Wrote study {args.study!r} ({lines - 1} trials) to {args.output}.")
    return 0


def run_import(args: argparse.Namespace) -> int:
    """Import one study (creating the database if needed)."""
    storage = open_storage(args.url, must_exist=False)
    if args.input == "-":
        study = tl.storages.import_study(storage, sys.stdin, args.study)
    else:
        with Path(args.input).open(encoding="utf-8") as lines:
            study = tl.storages.import_study(storage, lines, args.study)
    print(f"Imported study {study.name!r} ({storage.count_trials(study.study_id)} trials).")
    return 0

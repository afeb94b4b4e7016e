"""The argument parser of the ``tunelab`` command."""

from __future__ import annotations

import argparse

from tunelab import __version__
from tunelab.cli.commands import asktell, best, delete, run, storage, studies, transfer, trials

__all__ = ["build_parser"]

_DESCRIPTION = """\
tunelab: hyperparameter optimisation for machine-learning models.

Describe a study in YAML and run it (again, to continue it):

    tunelab run study.yaml

or define an objective in Python:

    import tunelab as tl
    study = tl.create_study(storage="sqlite:///tunelab.db", direction="maximize")
    study.optimize(objective, n_trials=100, show_progress_bar=True)

The other commands drive, inspect and manage stored studies.
"""

_EPILOG = """\
examples:
  tunelab run examples/study.yaml
  tunelab ask study.yaml                       # {"number": 7, "params": {...}}
  tunelab tell study.yaml --trial 7 --value 0.93
  tunelab studies sqlite:///tunelab.db
  tunelab best sqlite:///tunelab.db --study my-study
  tunelab trials sqlite:///tunelab.db --study my-study --format csv > trials.csv
  tunelab export sqlite:///tunelab.db --study my-study -o my-study.jsonl
  tunelab import postgresql+psycopg://user@host/db my-study.jsonl
"""


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser with every subcommand."""
    parser = argparse.ArgumentParser(
        prog="tunelab",
        description=_DESCRIPTION,
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"tunelab {__version__}")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")
    for module in (run, asktell, studies, trials, best, delete, transfer, storage):
        module.add_parser(commands)
    return parser

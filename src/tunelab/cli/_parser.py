"""The argument parser of the ``tunelab`` command."""

from __future__ import annotations

import argparse

from tunelab import __version__

__all__ = ["build_parser"]

_DESCRIPTION = """\
tunelab: hyperparameter optimisation for machine-learning models.

Define an objective in Python, then create and run a study:

    import tunelab as tl
    study = tl.create_study(direction="maximize")
    study.optimize(objective, n_trials=100, show_progress_bar=True)
    print(study.best_params, study.best_value)

Commands that work on stored studies (list, inspect, export, run from YAML) are added
as the persistent storage lands; see the README.
"""


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser (subcommands are added here as they land)."""
    parser = argparse.ArgumentParser(
        prog="tunelab",
        description=_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"tunelab {__version__}")
    return parser

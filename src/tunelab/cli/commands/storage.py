"""``tunelab storage upgrade|version URL``: manage the database schema."""

from __future__ import annotations

import argparse

from tunelab.cli._common import add_url
from tunelab.storages import rdb


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the command group."""
    parser = subparsers.add_parser(
        "storage",
        help="manage a database's schema",
        description="Manage the schema of a database storage.",
    )
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    upgrade = actions.add_parser("upgrade", help="migrate the schema to this tunelab's version")
    add_url(upgrade)
    upgrade.set_defaults(run=run_upgrade)


def run_upgrade(args: argparse.Namespace) -> int:
    """Migrate to the current schema."""
    before, after = rdb.upgrade(args.url)
    if before == after:
        print(f"Schema already at version {after}.")
    else:
        print(f"Schema upgraded from {before or 'empty'} to {after}.")
    return 0

"""Helpers shared by the commands: opening storages and studies from the command line."""

from __future__ import annotations

import argparse
from pathlib import Path

import tunelab as tl
from tunelab.storages import BaseStorage

__all__ = ["CommandError", "add_format", "add_study", "add_url", "open_storage"]


class CommandError(Exception):
    """An error to report as ``tunelab: error: ...`` with exit status 1."""


def add_url(parser: argparse.ArgumentParser) -> None:
    """The positional storage URL argument."""
    parser.add_argument(
        "url",
        metavar="URL",
        help="storage URL, e.g. sqlite:///tunelab.db or postgresql+psycopg://user@host/db",
    )


def add_study(parser: argparse.ArgumentParser, *, required: bool = True) -> None:
    """The --study NAME option."""
    parser.add_argument("--study", required=required, metavar="NAME", help="study name")


def add_format(parser: argparse.ArgumentParser) -> None:
    """The --format option."""
    parser.add_argument(
        "--format",
        choices=("table", "csv", "json"),
        default="table",
        help="output format (default: table)",
    )


def open_storage(url: str, *, must_exist: bool = True) -> BaseStorage:
    """Open ``url``; refuse to create a new SQLite file when ``must_exist``."""
    if must_exist and url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        if str(path) not in ("", ":memory:") and not path.exists():
            raise CommandError(f"no SQLite database at {path} (from {url!r})")
    return tl.storages.get_storage(url)


def study_names(storage: BaseStorage) -> str:
    """The study names of a storage, for error messages."""
    names = [s.name for s in storage.list_studies()]
    return ", ".join(repr(n) for n in names) if names else "none"

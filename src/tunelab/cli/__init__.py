"""The ``tunelab`` command-line entry point.

Example:
    >>> from tunelab.cli import main
    >>> main([])  # doctest: +ELLIPSIS
    usage: tunelab [-h] [--version]
    ...
    0
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from tunelab.cli._parser import build_parser

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (``sys.argv[1:]`` by default); return the exit code."""
    parser = build_parser()
    args = list(argv) if argv is not None else sys.argv[1:]
    parser.parse_args(args)
    if not args:
        parser.print_help()
    return 0

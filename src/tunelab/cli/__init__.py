"""The ``tunelab`` command-line entry point.

Example:
    >>> from tunelab.cli import main
    >>> main([])  # doctest: +ELLIPSIS
    usage: tunelab [-h] [--version] COMMAND ...
    ...
    0
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from tunelab.cli._common import CommandError
from tunelab.cli._parser import build_parser
from tunelab.exceptions import TunelabError

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (``sys.argv[1:]`` by default); return the exit code.

    Errors are reported in one line (``tunelab: error: ...``) with exit status 1, never
    as a traceback.
    """
    parser = build_parser()
    args = parser.parse_args(list(argv) if argv is not None else sys.argv[1:])
    run = getattr(args, "run", None)
    if run is None:
        parser.print_help()
        return 0
    try:
        return int(run(args))
    except BrokenPipeError:  # e.g. `tunelab trials ... | head`: the reader left early
        sys.stderr.close()
        return 0
    except (CommandError, TunelabError, ValueError, OSError) as exc:
        print(f"tunelab: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("tunelab: interrupted", file=sys.stderr)
        return 130

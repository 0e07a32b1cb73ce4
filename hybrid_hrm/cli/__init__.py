"""The ``hybrid-hrm`` command line: solve, domains, explain, bench, train.

Exit codes: 0 every puzzle solved, 1 some puzzle unsolvable or over budget,
2 bad input (one line on stderr, no traceback), 3 an internal error (a bug),
130 interrupted.

* :mod:`.parser`: the options, with defaults and choices in ``--help``;
* :mod:`.inputs`: the puzzles a command names, lazily, with where each is;
* :mod:`.solve`: ``solve``, streaming;
* :mod:`.commands`: ``explain``, ``domains``, ``bench``;
* ``train``: :mod:`hybrid_hrm.train.cli`.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Callable, Sequence

from solvers.errors import HybridHRMError

from .parser import EXIT_BAD_INPUT, EXIT_INTERNAL, EXIT_INTERRUPTED, EXIT_OK, build_parser, report

#: Commands whose trailing puzzle texts may come after options (``solve sudoku --json PUZZLE``).
_TAKES_PUZZLES = ("solve", "bench")


def _handler(command: str) -> Callable[[argparse.Namespace], int]:
    if command == "solve":
        from .solve import cmd_solve

        return cmd_solve
    if command == "train":
        from ..train.cli import cmd_train

        return cmd_train
    from . import commands

    return {"domains": commands.cmd_domains, "explain": commands.cmd_explain, "bench": commands.cmd_bench}[command]


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Parse the command line; puzzle texts may stand before, between or after the options."""
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra:
        if args.command not in _TAKES_PUZZLES or any(e.startswith("-") and len(e) > 1 for e in extra):
            parser.error(f"unrecognized arguments: {' '.join(extra)}")
        args.puzzles = list(args.puzzles) + extra
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``hybrid-hrm`` console script."""
    args = parse_args(argv)
    try:
        return _handler(args.command)(args)
    except HybridHRMError as exc:
        report(f"hybrid-hrm: error: {exc}")
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("hybrid-hrm: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:  # a bug: one line unless debugging
        if os.environ.get("HYBRID_HRM_DEBUG"):
            raise
        report(f"hybrid-hrm: internal error: {type(exc).__name__}: {exc}")
        return EXIT_INTERNAL


__all__ = ["build_parser", "main", "parse_args"]

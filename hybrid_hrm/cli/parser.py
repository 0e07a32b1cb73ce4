"""The ``hybrid-hrm`` argument parser: every option with its default and choices in ``--help``."""

from __future__ import annotations

import argparse
import sys

from ..modes import MODES

EXIT_OK, EXIT_UNSOLVED, EXIT_BAD_INPUT, EXIT_INTERNAL, EXIT_INTERRUPTED = 0, 1, 2, 3, 130
#: Benchmark methods besides the modes (kept here so ``--help`` lists them without importing the bench).
BASELINES = ("symbolic", "python-constraint", "ortools", "sat")
COLLECTION_HELP = "bundled: top1465, forum_hardest[:test|:train], serg, hard16 (16x16)"


def report(message: str) -> None:
    """One line on stderr, whatever the message holds (undecodable arguments
    arrive as lone surrogates, which a UTF-8 stream refuses: escape them)."""
    line = " ".join(str(message).splitlines())
    print(line.encode("utf-8", "backslashreplace").decode("utf-8"), file=sys.stderr)


class _Formatter(argparse.ArgumentDefaultsHelpFormatter):
    """Shows ``(default: X)`` unless the help already says it or there is no default to show."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if "(default:" in text or action.default in (None, False, (), "", argparse.SUPPRESS):
            return text
        return super()._get_help_string(action)


class Parser(argparse.ArgumentParser):
    """argparse with a one-line error and exit code 2, defaults shown in ``--help``."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("formatter_class", _Formatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> None:  # type: ignore[override]
        report(f"hybrid-hrm: error: {message}")
        raise SystemExit(EXIT_BAD_INPUT)


def _number(text: str, kind: type = int, minimum: float = 0) -> float:
    """A command-line number of ``kind`` (int or float), finite and >= ``minimum``."""
    try:
        value = kind(text)
    except ValueError:
        noun = "a whole number" if kind is int else "a number"
        raise argparse.ArgumentTypeError(f"expected {noun}, got {text!r}") from None
    if not value >= minimum or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a finite number >= {minimum}, got {text}")
    return value


def positive_int(text: str) -> int:
    return int(_number(text, int, 1))


def nonneg_int(text: str) -> int:
    return int(_number(text, int, 0))


def nonneg_float(text: str) -> float:
    return _number(text, float, 0)


def cycle_list(text: str) -> tuple[int, ...]:
    """``"1,2,4"`` -> ``(1, 2, 4)``: positive whole numbers separated by commas."""
    items = [t.strip() for t in text.split(",") if t.strip()]
    if not items:
        raise argparse.ArgumentTypeError(f"expected cycle budgets such as 1,2,4, got {text!r}")
    return tuple(positive_int(t) for t in items)


def _add_budget(p: argparse.ArgumentParser) -> None:
    p.add_argument("--max-nodes", type=nonneg_int, default=1_000_000, help="search nodes per puzzle")
    p.add_argument("--max-seconds", type=nonneg_float, default=10.0, help="seconds per puzzle")


def _add_input(p: argparse.ArgumentParser) -> None:
    p.add_argument("puzzles", nargs="*", help="puzzles as text (one argument each)")
    p.add_argument("--file", help="a puzzle file ('-': standard input), one puzzle a line or a grid; .gz too")
    p.add_argument("--collection", help=COLLECTION_HELP)
    p.add_argument("--limit", type=nonneg_int, default=None, help="at most this many puzzles")


def _add_workers(p: argparse.ArgumentParser, what: str) -> None:
    p.add_argument("--workers", type=nonneg_int, default=1,
                   help=f"worker processes {what} (0: every core; 1: this process only)")


def _add_model(p: argparse.ArgumentParser) -> None:
    p.add_argument("--weights", default=None, help="a checkpoint directory or .safetensors file (default: shipped)")
    p.add_argument("--device", default="auto", help="'auto' (CUDA when present), 'cpu', 'cuda:1', ...")


def _add_solve(sub) -> None:
    p = sub.add_parser("solve", help="solve puzzles (streams one result a line, in input order)")
    p.add_argument("domain", help="a registered domain (see 'hybrid-hrm domains')")
    _add_input(p)
    p.add_argument("--mode", choices=list(MODES), default=None,
                   help="how to solve (default: hybrid when the domain has shipped weights, else symbolic)")
    _add_model(p)
    p.add_argument("--unique", action="store_true", help="also check the solution is unique")
    p.add_argument("--json", action="store_true", help="one JSON object per puzzle")
    _add_workers(p, "solving batches side by side, lines still in input order")
    _add_budget(p)


def _add_explain(sub) -> None:
    p = sub.add_parser("explain", help="solve one puzzle and tell (and draw) how")
    p.add_argument("domain", help="a registered domain")
    p.add_argument("puzzle", help="the puzzle as text")
    p.add_argument("--mode", choices=[name for name, mode in MODES.items() if mode.loop], default=None,
                   help="default: hybrid when the domain has shipped weights, else hybrid-uniform")
    p.add_argument("--png", default=None, help="write the boards cycle by cycle to this PNG")
    p.add_argument("--cycles", type=positive_int, default=4, help="loop cycles to show")
    _add_model(p)
    _add_budget(p)


def _add_bench(sub) -> None:
    p = sub.add_parser("bench", help="benchmark methods on the same puzzles")
    p.add_argument("target", help="a domain name, 'train' (training throughput) or 'reliability'")
    _add_input(p)
    methods = ", ".join((*BASELINES, *(m for m in MODES if m != "symbolic")))
    p.add_argument("--methods", default=None,
                   help=f"comma-separated, from: {methods} (default: symbolic and the baselines that apply)")
    p.add_argument("--out", default=None, help="JSON report path (default: bench-out/<target>.json)")
    p.add_argument("--plot", default=None, help="also write a PNG plot here")
    _add_model(p)
    p.add_argument("--seed", type=nonneg_int, default=0, help="seed of the uniform policy and generated cases")
    p.add_argument("--scale", type=nonneg_float, default=1.0,
                   help="reliability and train: share of the full work (cases; steps and repeats)")
    p.add_argument("--bridge", default="", help="loop settings, e.g. max_cycles=2,min_confidence=0.3,probe_nodes=16")
    p.add_argument("--sweep-cycles", type=cycle_list, default=(),
                   help="also measure the no-search solve rate at these cycle budgets, e.g. 1,2,4,8")
    p.add_argument("--sweep-breadth", type=cycle_list, default=(),
                   help="... and at these breadths (trajectories per puzzle), e.g. 1,2,4,8,16")
    _add_workers(p, "each on a piece of the puzzles (a progress bar on stderr)")
    p.add_argument("--scale-workers", type=cycle_list, default=(),
                   help="also measure each method's wall throughput at these worker counts, e.g. 1,2")
    _add_budget(p)


def build_parser() -> argparse.ArgumentParser:
    """The whole command line (``train`` options come from :class:`~hybrid_hrm.train.TrainConfig`)."""
    from .. import __version__
    from ..train.cli import add_train_parser

    parser = Parser(prog="hybrid-hrm", description="Solve, explain, benchmark and train hybrid puzzle solvers.")
    parser.add_argument("--version", action="version", version=f"hybrid-hrm {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser, metavar="COMMAND")
    _add_solve(sub)
    sub.add_parser("domains", help="list registered domains (plugins too)")
    _add_explain(sub)
    _add_bench(sub)
    add_train_parser(sub)
    return parser


__all__ = ["EXIT_BAD_INPUT", "EXIT_INTERNAL", "EXIT_OK", "EXIT_UNSOLVED", "Parser", "build_parser", "report"]

"""The ``hybrid-hrm`` command line: solve, domains, bench, train, explain.

Exit codes: 0 every puzzle solved, 1 some puzzle unsolvable or over budget,
2 bad input (one line on stderr, no traceback).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Sequence

import numpy as np

import domains
from domains.base import Instance
from domains.collections import collection_lines
from solvers.errors import ConfigError, HybridHRMError, InvalidPuzzleError, Status

from .modes import MODES, get_mode

EXIT_OK, EXIT_UNSOLVED, EXIT_BAD_INPUT, EXIT_INTERNAL = 0, 1, 2, 3


def _report(message: str) -> None:
    """One line on stderr, whatever the message holds (undecodable arguments
    arrive as lone surrogates, which a UTF-8 stream refuses: escape them)."""
    line = " ".join(str(message).splitlines())
    print(line.encode("utf-8", "backslashreplace").decode("utf-8"), file=sys.stderr)


class _Parser(argparse.ArgumentParser):
    """argparse with a one-line error and exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        _report(f"hybrid-hrm: error: {message}")
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


def _positive_int(text: str) -> int:
    return int(_number(text, int, 1))


def _nonneg_int(text: str) -> int:
    return int(_number(text, int, 0))


def _nonneg_float(text: str) -> float:
    return _number(text, float, 0)


def _add_budget(p: argparse.ArgumentParser) -> None:
    p.add_argument("--max-nodes", type=_nonneg_int, default=1_000_000, help="search nodes per puzzle")
    p.add_argument("--max-seconds", type=_nonneg_float, default=10.0, help="seconds per puzzle")


def _add_input(p: argparse.ArgumentParser) -> None:
    p.add_argument("puzzles", nargs="*", help="puzzles as text (one argument each)")
    p.add_argument("--file", help="a puzzle file, one puzzle a line ('#' comments, .gz too)")
    p.add_argument("--collection", help="bundled: top1465, forum_hardest[:test|:train], serg, hard16 (16x16)")
    p.add_argument("--limit", type=_nonneg_int, default=None, help="at most this many puzzles")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="hybrid-hrm", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = sub.add_parser("solve", help="solve puzzles")
    p.add_argument("domain")
    _add_input(p)
    p.add_argument(
        "--mode",
        choices=list(MODES),
        default=None,
        help="default: hybrid when the domain has shipped weights, else symbolic",
    )
    p.add_argument("--weights", help="a checkpoint directory or .safetensors file (default: shipped)")
    p.add_argument("--unique", action="store_true", help="also check the solution is unique")
    p.add_argument("--json", action="store_true", help="one JSON object per puzzle")
    p.add_argument("--device", default="auto")
    _add_budget(p)

    sub.add_parser("domains", help="list registered domains")

    p = sub.add_parser("explain", help="solve one puzzle and tell (and draw) how")
    p.add_argument("domain")
    p.add_argument("puzzle")
    p.add_argument(
        "--mode",
        choices=[name for name, mode in MODES.items() if mode.loop],
        default=None,
        help="default: hybrid when the domain has shipped weights, else hybrid-uniform",
    )
    p.add_argument("--png", default=None, help="write the boards cycle by cycle to this PNG")
    p.add_argument("--cycles", type=_positive_int, default=4, help="loop cycles to show (default 4)")
    p.add_argument("--weights", default=None)
    p.add_argument("--device", default="auto")
    _add_budget(p)

    p = sub.add_parser("bench", help="benchmark methods on the same puzzles")
    p.add_argument("target", help="a domain name, 'train' (training throughput) or 'reliability'")
    _add_input(p)
    p.add_argument("--methods", default="symbolic,python-constraint")
    p.add_argument("--out", default=None, help="JSON report path (default bench-out/<target>.json)")
    p.add_argument("--plot", default=None, help="also write a PNG plot here")
    p.add_argument("--weights", default=None)
    p.add_argument("--device", default="auto")
    p.add_argument("--seed", type=_nonneg_int, default=0)
    p.add_argument("--scale", type=_nonneg_float, default=1.0, help="reliability: share of the full case count")
    p.add_argument("--bridge", default="", help="loop settings, e.g. max_cycles=2,min_confidence=0.3,probe_nodes=16")
    p.add_argument("--sweep-cycles", default="", help="also measure the no-search solve rate at these cycle budgets")
    _add_budget(p)

    from .train.cli import add_train_parser

    add_train_parser(sub)
    return parser


# --------------------------------------------------------------------------- input
def read_instances(domain, args) -> list[Instance]:
    """Parse the puzzles named on the command line (arguments, file, collection); errors say where."""
    lines: list[tuple[str, str]] = [(f"argument {i + 1}", t) for i, t in enumerate(args.puzzles)]
    if args.file:
        lines += [(f"{args.file} line {r.line}", r.text) for r in domain.read_records(args.file)]
    if args.collection:
        lines += [(f"{args.collection} puzzle {i + 1}", t) for i, t in enumerate(collection_lines(args.collection))]
    if args.limit is not None:
        lines = lines[: args.limit]
    if not lines:
        raise HybridHRMError("no puzzles given: pass them as arguments, --file F or --collection NAME")
    instances = []
    for where, text in lines:
        try:
            instances.append(domain.parse(text))
        except InvalidPuzzleError as exc:
            raise InvalidPuzzleError(f"{where}: {exc.reason}", exc.position) from None
    return instances


# ------------------------------------------------------------------------ commands
def parse_bridge_options(text: str) -> tuple[tuple[str, object], ...]:
    """``"max_cycles=2,min_confidence=0.3"`` -> validated BridgeConfig overrides."""
    from dataclasses import fields

    from .bridge import BridgeConfig

    known = {f.name for f in fields(BridgeConfig)}
    out = []
    for item in filter(None, (text or "").split(",")):
        key, _, value = item.partition("=")
        key = key.strip()
        if key not in known:
            raise ConfigError(f"unknown loop setting {key!r}; known: {', '.join(sorted(known))}")
        try:
            number = float(value)
        except ValueError:
            raise ConfigError(f"loop setting {key} needs a number, got {value!r}") from None
        out.append((key, int(number) if number.is_integer() and key != "min_confidence" else number))
    BridgeConfig(**dict(out))  # validate now, not after other methods ran
    return tuple(out)


def cmd_solve(args) -> int:
    from solvers.base import Budget

    domain = domains.get(args.domain)
    instances = read_instances(domain, args)
    budget = Budget(max_nodes=args.max_nodes, max_seconds=args.max_seconds)
    mode = args.mode
    if mode is None:
        from .weights import has_shipped_weights

        mode = "hybrid" if (args.weights or has_shipped_weights(domain.name)) else "symbolic"
        chosen_by_default = True
    else:
        chosen_by_default = False
    from .bridge import HybridSolver

    solver = HybridSolver.for_mode(domain, mode, weights=args.weights, device=args.device)
    results = _solve_with_default_fallback(solver, instances, mode, budget, args.unique, chosen_by_default)
    counts: dict[str, int] = {}
    for r in results:
        counts[r.status.value] = counts.get(r.status.value, 0) + 1
        if args.json:
            print(json.dumps(r.to_dict()))
        elif r.solution is not None:
            print(f"{r.status.value}\t{r.solution}" + (f"\t{r.reason}" if r.reason else ""))
        else:
            print(f"{r.status.value}\t{r.puzzle}\t{r.reason}")
    if len(results) > 1 and not args.json:
        ms = np.median([r.stats.seconds * 1000 for r in results])
        summary = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
        print(f"# {len(results)} puzzles ({mode}): {summary}; median {ms:.2f} ms per puzzle", file=sys.stderr)
    return EXIT_OK if all(r.status is Status.SOLVED for r in results) else EXIT_UNSOLVED


def _solve_with_default_fallback(solver, instances, mode, budget, unique, chosen_by_default):
    """Solve in ``mode``; when the mode was the default, shapes without a model
    (say a 16x16 Sudoku next to the shipped 4x4 and 9x9 models) go to ``symbolic``."""
    if not chosen_by_default or not get_mode(mode).needs_model:
        return solver.solve_instances(instances, mode=mode, budget=budget, unique=unique)
    from .symbolic import solve_symbolic

    with_model = [i for i, inst in enumerate(instances) if solver.has_model_for(inst)]
    results = [None] * len(instances)
    if with_model:
        solved = solver.solve_instances([instances[i] for i in with_model], mode=mode, budget=budget, unique=unique)
        for i, r in zip(with_model, solved):
            results[i] = r
    for i, inst in enumerate(instances):
        if results[i] is None:
            results[i] = solve_symbolic(solver.domain, inst, budget, unique=unique)
    return results


def cmd_explain(args) -> int:
    from solvers.base import Budget

    from .bridge import BridgeConfig, HybridSolver
    from .weights import has_shipped_weights

    domain = domains.get(args.domain)
    instance = domain.parse(args.puzzle)
    budget = Budget(max_nodes=args.max_nodes, max_seconds=args.max_seconds)
    mode = args.mode or ("hybrid" if (args.weights or has_shipped_weights(domain.name)) else "hybrid-uniform")
    config = BridgeConfig(probe_nodes=0, max_cycles=args.cycles)  # explain always shows the loop
    solver = HybridSolver.for_mode(domain, mode, weights=args.weights, device=args.device, config=config)
    if args.mode is None and mode == "hybrid" and not solver.has_model_for(instance):
        mode = "hybrid-uniform"  # no model for this size: the same loop with uniform choices
    [result] = solver.solve_instances([instance], mode=mode, budget=budget)
    print(result.trace.render())
    print(
        f"{result.status.value}\t{result.solution or result.puzzle}" + (f"\t{result.reason}" if result.reason else "")
    )
    if args.png:
        print(f"wrote {result.trace.plot(args.png)}")
    return EXIT_OK if result.status is Status.SOLVED else EXIT_UNSOLVED


def cmd_domains(args) -> int:
    for name in domains.available():
        d = domains.get(name)
        doc = (type(d).__doc__ or "").strip().splitlines()
        print(f"{name}\t{doc[0] if doc else ''}")
    return EXIT_OK


def cmd_bench(args) -> int:
    from . import bench

    if args.target == "train":
        from .bench_train import run_train_benchmark

        return run_train_benchmark(args)
    if args.target == "reliability":
        return run_reliability_benchmark(args)
    domain = domains.get(args.target)
    if not (args.puzzles or args.file or args.collection):
        args.collection = "top1465"
    instances = read_instances(domain, args)
    config = bench.BenchConfig(
        bridge=parse_bridge_options(args.bridge),
        sweep_cycles=tuple(int(c) for c in args.sweep_cycles.split(",")) if args.sweep_cycles else (),
        max_nodes=args.max_nodes,
        max_seconds=args.max_seconds,
        device=args.device,
        weights=args.weights,
        seed=args.seed,
    )
    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    print(bench.HEADER, flush=True)
    report = bench.run_benchmark(domain, instances, methods, config, progress=True)
    for line in bench.format_ratios(report):
        print(line)
    out = bench.write_report(report, args.out or f"bench-out/{args.target}.json")
    print(f"wrote {out}")
    if args.plot:
        print(f"wrote {bench.plot_report(report, args.plot)}")
    wrong = sum(m["wrong"] for m in report["methods"].values())
    return EXIT_INTERNAL if wrong else EXIT_OK


def run_reliability_benchmark(args) -> int:
    from . import bench
    from .reliability import run_reliability
    from .weights import has_shipped_weights

    modes = tuple(m.strip() for m in args.methods.split(",")) if args.methods != "symbolic,python-constraint" else None
    if modes is None:
        modes = ("symbolic", "hybrid-uniform") + (("hybrid",) if args.weights or has_shipped_weights("sudoku") else ())
    print(f"{'category':<22} {'cases':>7} {'failures':>9}", flush=True)
    report = run_reliability(
        scale=args.scale,
        seed=args.seed,
        modes=modes,
        weights=args.weights,
        progress=lambda line: print(line, flush=True),
    )
    print(f"{'total':<22} {report['total_cases']:>7} {report['total_failures']:>9}")
    print(f"wrote {bench.write_report(report, args.out or 'bench-out/reliability.json')}")
    return EXIT_OK if report["total_failures"] == 0 else EXIT_INTERNAL


COMMANDS = {"solve": cmd_solve, "domains": cmd_domains, "bench": cmd_bench, "explain": cmd_explain}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``hybrid-hrm`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = COMMANDS.get(args.command)
    if handler is None:
        from .train.cli import cmd_train

        handler = {"train": cmd_train}[args.command]
    try:
        return handler(args)
    except HybridHRMError as exc:
        _report(f"hybrid-hrm: error: {exc}")
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("hybrid-hrm: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:  # a bug: one line unless debugging
        if os.environ.get("HYBRID_HRM_DEBUG"):
            raise
        _report(f"hybrid-hrm: internal error: {type(exc).__name__}: {exc}")
        return EXIT_INTERNAL


if __name__ == "__main__":
    raise SystemExit(main())

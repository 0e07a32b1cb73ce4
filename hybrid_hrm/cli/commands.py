"""``hybrid-hrm explain``, ``domains`` and ``bench``: the commands besides ``solve`` and ``train``."""

from __future__ import annotations

import argparse
from dataclasses import fields

import domains
from solvers.base import Budget
from solvers.errors import ConfigError, Status

from ..parallel import resolve_workers
from ..weights import has_shipped_weights
from .inputs import read_instances
from .parser import EXIT_INTERNAL, EXIT_OK, EXIT_UNSOLVED

#: The collection a benchmark of a domain runs when no puzzles are named.
DEFAULT_COLLECTIONS = {"sudoku": "top1465"}


def cmd_explain(args: argparse.Namespace) -> int:
    """Solve one puzzle with the loop shown: its trace, its answer, and the picture when asked."""
    from ..bridge import BridgeConfig, HybridSolver

    domain = domains.get(args.domain)
    instance = domain.parse(args.puzzle)
    budget = Budget(max_nodes=args.max_nodes, max_seconds=args.max_seconds)
    mode = args.mode or ("hybrid" if (args.weights or has_shipped_weights(domain.name)) else "hybrid-uniform")
    config = BridgeConfig(probe_nodes=0, max_cycles=args.cycles)  # explain always shows the loop
    solver = HybridSolver.for_mode(domain, mode, weights=args.weights, device=args.device, config=config)
    if args.mode is None and not args.weights and mode == "hybrid" and not solver.has_model_for(instance):
        mode = "hybrid-uniform"  # no model for this size: the same loop with uniform choices
    [result] = solver.solve_instances([instance], mode=mode, budget=budget)
    print(f"# mode: {mode}")
    print(result.trace.render())
    reason = f"\t{result.reason}" if result.reason else ""
    print(f"{result.status.value}\t{result.solution or result.puzzle}{reason}")
    if args.png:
        print(f"wrote {result.trace.plot(args.png)}")
    return EXIT_OK if result.status is Status.SOLVED else EXIT_UNSOLVED


def cmd_domains(args: argparse.Namespace) -> int:
    """One line a registered domain: its name and what it is (a broken plugin: why it was skipped)."""
    from domains.registry import describe_all

    for name, line in describe_all():
        print(f"{name}\t{line}")
    return EXIT_OK


def parse_bridge_options(text: str) -> tuple[tuple[str, object], ...]:
    """``"max_cycles=2,min_confidence=0.3"`` -> validated BridgeConfig overrides."""
    from ..bridge import BridgeConfig

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
        floats = ("min_confidence", "temperature", "uniform_share", "state_noise")
        out.append((key, int(number) if number.is_integer() and key not in floats else number))
    BridgeConfig(**dict(out))  # validate now, not after other methods ran
    return tuple(out)


def cmd_bench(args: argparse.Namespace) -> int:
    """Every method on the same puzzles (a table and a JSON report); or training throughput; or reliability."""
    from .. import bench

    if args.target == "train":
        from ..bench_train import run_train_benchmark

        return run_train_benchmark(args)
    if args.target == "reliability":
        return run_reliability_benchmark(args)
    domain = domains.get(args.target)
    if not (args.puzzles or args.file or args.collection):
        args.collection = _default_collection(args.target)
    instances = read_instances(domain, args)
    config = bench.BenchConfig(
        bridge=parse_bridge_options(args.bridge),
        sweep_cycles=tuple(args.sweep_cycles),
        sweep_breadth=tuple(args.sweep_breadth),
        max_nodes=args.max_nodes,
        max_seconds=args.max_seconds,
        device=args.device,
        weights=args.weights,
        seed=args.seed,
        workers=resolve_workers(args.workers),
        scale_workers=tuple(resolve_workers(n) for n in args.scale_workers),
    )
    methods = _method_list(args.methods) or bench.default_methods(domain, instances[0])
    print(bench.HEADER, flush=True)
    report = bench.run_benchmark(domain, instances, methods, config, progress=True)
    for line in bench.format_ratios(report):
        print(line)
    print(f"wrote {bench.write_report(report, args.out or f'bench-out/{args.target}.json')}")
    if args.plot:
        print(f"wrote {bench.plot_report(report, args.plot)}")
    wrong = sum(m["wrong"] for m in report["methods"].values())
    return EXIT_INTERNAL if wrong else EXIT_OK


def _default_collection(domain: str) -> str:
    if domain not in DEFAULT_COLLECTIONS:
        hint = " (examples/make_maze_benchmark.py writes a maze file)" if domain == "maze" else ""
        raise ConfigError(f"bench {domain}: name the puzzles with --file or --collection{hint}")
    return DEFAULT_COLLECTIONS[domain]


def _method_list(text: str | None) -> list[str]:
    return [m.strip() for m in (text or "").split(",") if m.strip()]


def run_reliability_benchmark(args: argparse.Namespace) -> int:
    """``bench reliability``: every category of hard, broken and tricky input through every mode."""
    from .. import bench
    from ..reliability import run_reliability

    modes = tuple(_method_list(args.methods)) or None
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

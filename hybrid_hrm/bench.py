"""``hybrid-hrm bench DOMAIN``: every method on the same puzzles, every answer verified.

A *method* takes a list of instances and returns one :class:`Outcome` per
instance.  All methods run in one process on the same puzzles, so their
times compare as ratios even on a noisy shared machine.  The table shows
solved / wrong / unsolved counts, median and p95 milliseconds per puzzle,
mean search nodes and batch throughput; the JSON file holds every number.

Examples
--------
>>> import domains
>>> sudoku = domains.get("sudoku")
>>> puzzles = [sudoku.parse(".13." "...." "3..4" "....")]
>>> report = run_benchmark(sudoku, puzzles, ["symbolic"], BenchConfig())
>>> report["methods"]["symbolic"]["solved"], report["methods"]["symbolic"]["wrong"]
(1, 0)
"""

from __future__ import annotations

import json
import platform
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import numpy as np

from domains.base import Domain, Instance
from solvers.base import Budget
from solvers.errors import ConfigError, Status

from . import baselines
from .bench_plot import plot_report  # noqa: F401  (part of the bench's API)
from .modes import MODES, Guide, Mode
from .result import SolveResult


@dataclass(frozen=True)
class BenchConfig:
    """Budgets and options shared by every method of one benchmark run."""

    max_nodes: int | None = 1_000_000
    max_seconds: float | None = 10.0
    device: str = "auto"
    weights: str | None = None
    seed: int = 0
    bridge: tuple[tuple[str, object], ...] = ()   # BridgeConfig overrides, e.g. (("max_cycles", 2),)
    sweep_cycles: tuple[int, ...] = ()             # no-search solve rate against the cycle budget

    @property
    def budget(self) -> Budget:
        return Budget(max_nodes=self.max_nodes, max_seconds=self.max_seconds)

    def bridge_config(self, **overrides):
        """The :class:`~hybrid_hrm.bridge.BridgeConfig` every hybrid method of this run uses."""
        from .bridge import BridgeConfig

        return BridgeConfig(**{"seed": self.seed, **dict(self.bridge), **overrides})


@dataclass
class Outcome:
    """What one method did with one instance (values are re-verified by the bench)."""

    status: Status
    values: np.ndarray | None
    seconds: float
    nodes: int = 0
    extra: dict = field(default_factory=dict)


Method = Callable[[Domain, list[Instance], BenchConfig], list[Outcome]]


def _timed_each(solve_one: Callable[[Instance], tuple[Status, np.ndarray | None, int]]):
    def method(domain: Domain, instances: list[Instance], config: BenchConfig) -> list[Outcome]:
        out = []
        for inst in instances:
            start = time.perf_counter()
            status, values, nodes = solve_one(domain, inst, config)
            out.append(Outcome(status, values, time.perf_counter() - start, nodes))
        return out

    return method


def _symbolic(domain: Domain, inst: Instance, config: BenchConfig):
    r = domain.solve(inst, config.budget)
    return r.status, None if r.values is None else np.array(r.values), r.nodes


def _python_constraint(domain: Domain, instances: list[Instance], config: BenchConfig) -> list[Outcome]:
    """python-constraint2 within the time budget (a killed child counts as budget exhausted)."""
    out = []
    for inst in instances:
        values, seconds, finished = baselines.python_constraint_within(domain, inst, config.max_seconds)
        if not finished:
            status = Status.BUDGET_EXHAUSTED
        else:
            status = Status.SOLVED if values is not None else Status.UNSOLVABLE
        out.append(Outcome(status, values if finished else None, seconds, 0))
    return out


def _ortools(domain: Domain, inst: Instance, config: BenchConfig):
    values = baselines.ortools_solve(domain, inst, config.max_seconds)
    return (Status.SOLVED if values is not None else Status.BUDGET_EXHAUSTED), values, 0


def _mode_method(mode: Mode) -> Method:
    """A benchmark method that solves with :class:`~hybrid_hrm.bridge.HybridSolver` in ``mode``."""

    def method(domain: Domain, instances: list[Instance], config: BenchConfig) -> list[Outcome]:
        from .bridge import HybridSolver

        solver = HybridSolver.for_mode(
            domain, mode, weights=config.weights, device=config.device, config=config.bridge_config()
        )
        return [_outcome(r) for r in solver.solve_instances(instances, mode=mode, budget=config.budget)]

    return method


def _outcome(r: SolveResult) -> Outcome:
    nosearch = r.status is Status.SOLVED and r.stats.solved_by.without_search
    extra = {
        "cycles": r.stats.cycles,
        "nosearch_solved": float(nosearch),
        "network_used": float(r.stats.network_calls > 0),
    }
    if r.stats.proposed:
        extra["acceptance"] = r.stats.accepted / r.stats.proposed
    return Outcome(r.status, r.values, r.stats.seconds, r.stats.search_nodes, extra)


#: Every method by name: the symbolic layer, the baselines, and the solver in each mode that has a loop or a network.
METHODS: dict[str, Method] = {
    "symbolic": _timed_each(_symbolic),
    "python-constraint": _python_constraint,
    "ortools": _timed_each(_ortools),
    **{name: _mode_method(mode) for name, mode in MODES.items() if mode.guide is not Guide.NONE},
}


def run_benchmark(
    domain: Domain,
    instances: list[Instance],
    methods: list[str],
    config: BenchConfig,
    progress: bool = False,
) -> dict:
    """Run ``methods`` on ``instances``; return the report (also what the JSON holds)."""
    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        raise ConfigError(f"unknown method(s) {', '.join(unknown)}; available: {', '.join(sorted(METHODS))}")
    if not instances:
        raise ConfigError("no puzzles to benchmark")
    report = {
        "domain": domain.name,
        "puzzles": len(instances),
        "config": asdict(config),
        "machine": f"{platform.machine()} {platform.processor() or ''}".strip(),
        "python": platform.python_version(),
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "methods": {},
    }
    for name in methods:
        start = time.perf_counter()
        outcomes = METHODS[name](domain, instances, config)
        total = time.perf_counter() - start
        report["methods"][name] = summarize(domain, instances, outcomes, total)
        if progress:
            print(format_row(name, report["methods"][name]), flush=True)
    if config.sweep_cycles:
        report["cycle_sweep"] = cycle_sweep(domain, instances, config)
        if progress:
            for mode, rates in report["cycle_sweep"]["rates"].items():
                pairs = ", ".join(f"{c}: {r:.3f}" for c, r in zip(report["cycle_sweep"]["cycles"], rates))
                print(f"no-search solve rate by cycle budget, {mode}: {pairs}", flush=True)
    return report


def cycle_sweep(domain: Domain, instances: list[Instance], config: BenchConfig) -> dict:
    """No-search solve rate of the loop (network and uniform) for each cycle budget."""
    from .bridge import HybridSolver

    rates: dict[str, list[float]] = {"hybrid-nosearch": [], "hybrid-uniform-nosearch": []}
    for cycles in config.sweep_cycles:
        bridge = config.bridge_config(max_cycles=int(cycles))
        for mode in rates:
            solver = HybridSolver.for_mode(domain, mode, weights=config.weights, device=config.device, config=bridge)
            results = solver.solve_instances(instances, mode=mode, budget=config.budget)
            rates[mode].append(float(np.mean([r.status is Status.SOLVED for r in results])))
    return {"cycles": list(config.sweep_cycles), "rates": rates}


def summarize(domain: Domain, instances: list[Instance], outcomes: list[Outcome], total: float) -> dict:
    """Verify every answer and reduce the outcomes to the table's numbers."""
    solved = wrong = 0
    statuses: dict[str, int] = {}
    for inst, o in zip(instances, outcomes):
        statuses[o.status.value] = statuses.get(o.status.value, 0) + 1
        if o.status in (Status.SOLVED, Status.MULTIPLE_SOLUTIONS):
            if o.values is not None and domain.verify(inst, o.values).valid:
                solved += 1
            else:
                wrong += 1
    ms = np.array([o.seconds * 1000 for o in outcomes])
    extras: dict[str, float] = {}
    keys = sorted({k for o in outcomes for k in o.extra})
    for k in keys:
        vals = [o.extra[k] for o in outcomes if k in o.extra]
        extras[k] = float(np.mean(vals)) if vals else float("nan")
    return {
        "solved": solved,
        "wrong": wrong,
        "not_solved": len(outcomes) - solved - wrong,
        "statuses": statuses,
        "median_ms": float(np.median(ms)),
        "p95_ms": float(np.percentile(ms, 95)),
        "mean_ms": float(ms.mean()),
        "mean_nodes": float(np.mean([o.nodes for o in outcomes])),
        "puzzles_per_s": len(outcomes) / total if total > 0 else float("inf"),
        "total_s": total,
        "ms_per_puzzle": ms.tolist(),
        "nodes_per_puzzle": [o.nodes for o in outcomes],
        **extras,
    }


HEADER = (
    f"{'method':<18} {'solved':>7} {'wrong':>6} {'unsolved':>8} {'median ms':>10} {'p95 ms':>9} "
    f"{'nodes':>8} {'puzzles/s':>10}"
)


def format_row(name: str, m: dict) -> str:
    row = (
        f"{name:<18} {m['solved']:>7} {m['wrong']:>6} {m['not_solved']:>8} {m['median_ms']:>10.2f} "
        f"{m['p95_ms']:>9.2f} {m['mean_nodes']:>8.1f} {m['puzzles_per_s']:>10.1f}"
    )
    extra = [f"{k}={m[k]:.3g}" for k in ("cycles", "acceptance", "nosearch_solved", "network_used") if k in m]
    return row + ("  " + " ".join(extra) if extra else "")


def format_ratios(report: dict) -> list[str]:
    """Lines comparing methods measured in the same run (median time ratios)."""
    methods = report["methods"]
    lines = []
    for fast in ("symbolic", "hybrid"):
        for slow in ("python-constraint", "ortools", "symbolic"):
            if fast in methods and slow in methods and fast != slow:
                ratio = methods[slow]["median_ms"] / max(methods[fast]["median_ms"], 1e-9)
                line = f"median time: {slow} / {fast} = {ratio:.2f}x"
                if methods[slow]["not_solved"]:
                    line += f" (at least: {slow} ran out of budget on {methods[slow]['not_solved']})"
                lines.append(line)
    return lines


def format_table(report: dict) -> str:
    """The whole table as text (header, one row per method, ratios)."""
    lines = [f"{report['domain']}: {report['puzzles']} puzzles, {report['date']}", HEADER]
    lines += [format_row(name, m) for name, m in report["methods"].items()]
    return "\n".join(lines + format_ratios(report))


def write_report(report: dict, path: str | Path) -> Path:
    """Write the JSON report atomically (temp file, then rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(report, indent=1))
    tmp.replace(path)
    return path

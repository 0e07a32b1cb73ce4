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

import contextlib
import json
import platform
import time
from dataclasses import asdict, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

import numpy as np
from tqdm import tqdm

from domains.base import Domain, Instance
from solvers.errors import ConfigError, Status

from .bench_methods import METHODS, BenchConfig, Outcome, default_methods, puzzles_for_forks, run_piece, shared_puzzles
from .bench_plot import plot_report
from .parallel import OrderedPool, chunks, forks, map_ordered
from .sweep import breadth_sweep


def run_benchmark(
    domain: Domain,
    instances: list[Instance],
    methods: list[str],
    config: BenchConfig,
    progress: bool = False,
) -> dict:
    """Run ``methods`` on ``instances``; return the report (also what the JSON holds)."""
    if not instances:
        raise ConfigError("no puzzles to benchmark")
    check_methods(domain, instances[0], methods)
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
        outcomes, total, pool_start_s = _timed_run(name, domain, instances, config, progress)
        report["methods"][name] = summarize(domain, instances, outcomes, total)
        if config.workers > 1:
            report["methods"][name]["wall_puzzles_per_s"] = len(instances) / total if total > 0 else float("inf")
            report["methods"][name]["pool_start_s"] = pool_start_s
        if progress:
            print(format_row(name, report["methods"][name]), flush=True)
    if config.scale_workers:
        report["worker_scaling"] = worker_scaling(domain, instances, methods, config)
        if progress:
            for line in format_scaling(report["worker_scaling"]):
                print(line, flush=True)
    if config.sweep_breadth:
        echo = (lambda line: print(line, flush=True)) if progress else None
        report["breadth_sweep"] = breadth_sweep(domain, instances, config, progress=echo)
    elif config.sweep_cycles:
        report["cycle_sweep"] = cycle_sweep(domain, instances, config)
        if progress:
            for mode, rates in report["cycle_sweep"]["rates"].items():
                pairs = ", ".join(f"{c}: {r:.3f}" for c, r in zip(report["cycle_sweep"]["cycles"], rates))
                print(f"no-search solve rate by cycle budget, {mode}: {pairs}", flush=True)
    return report


def _timed_run(name: str, domain: Domain, instances: list[Instance], config: BenchConfig, progress: bool
               ) -> tuple[list[Outcome], float, float]:
    """``(outcomes, seconds, pool start seconds)`` of one method: warmed up first (untimed: imports,
    caches; forked workers inherit it), then timed with its workers' pool already started."""
    METHODS[name].run(domain, instances[:1], config)
    processes = 1 if METHODS[name].own_workers else config.workers  # a method with its own workers needs no pool
    with puzzles_for_forks(instances), started_pool(processes) as (pool, pool_start_s):
        start = time.perf_counter()
        outcomes = _run(name, domain, instances, config, progress, pool)
        return outcomes, time.perf_counter() - start, pool_start_s


def _run(name: str, domain: Domain, instances: list[Instance], config: BenchConfig, progress: bool,
         pool: OrderedPool | None = None) -> list[Outcome]:
    """One method on every puzzle: in this process, or in pieces on ``config.workers`` processes (``pool``,
    when started already; results in input order, a progress bar on stderr); each puzzle's time is the one
    its worker measured.  A seeded random policy (``hybrid-uniform``) draws per batch, so in pieces its
    choices (and nodes) may differ."""
    if config.workers <= 1 or METHODS[name].own_workers:
        return METHODS[name].run(domain, instances, config)
    pieces = _pieces(instances, config.workers, pool)
    with tqdm(total=len(instances), desc=name, unit="puzzle", disable=not progress, leave=False) as bar:
        parts = map_ordered(run_piece, [(name, domain, piece, config) for piece in pieces], config.workers,
                            progress=lambda part: bar.update(len(part)), pool=pool)
    return [outcome for part in parts for outcome in part]


def _pieces(instances: list[Instance], workers: int, pool: OrderedPool | None) -> list[list[Instance] | slice]:
    """The pieces the workers are sent: slices of the shared puzzles when the pool's workers are forks that
    have them (:func:`~hybrid_hrm.bench_methods.puzzles_for_forks`), else the puzzles themselves."""
    pieces = chunks(instances, 8 * workers, minimum=16)
    if pool is not None and forks() and shared_puzzles(instances):
        sizes = np.cumsum([0] + [len(p) for p in pieces]).tolist()
        return [slice(a, b) for a, b in zip(sizes, sizes[1:])]
    return [list(piece) for piece in pieces]


def worker_scaling(domain: Domain, instances: list[Instance], methods: list[str], config: BenchConfig) -> dict:
    """Each method's wall throughput (puzzles over the run's wall time) at each of ``config.scale_workers``
    worker counts, one after the other in this run, with the pool started (and reported) before the clock.

    Every answer is verified again (``wrong`` per count), so a faster count that answers wrongly shows.
    """
    counts = list(config.scale_workers)
    out: dict = {"counts": counts, "wall_puzzles_per_s": {}, "speedup": {}, "pool_start_s": {}, "wrong": {}}
    for name in methods:
        rates, starts, wrong = [], [], []
        for count in counts:
            outcomes, total, pool_start_s = _timed_run(name, domain, instances, replace(config, workers=count), False)
            rates.append(len(instances) / total if total > 0 else float("inf"))
            starts.append(pool_start_s)
            wrong.append(summarize(domain, instances, outcomes, total)["wrong"])
        out["wall_puzzles_per_s"][name], out["pool_start_s"][name], out["wrong"][name] = rates, starts, wrong
        out["speedup"][name] = [rate / rates[0] for rate in rates]
    return out


def format_scaling(scaling: dict) -> list[str]:
    """One line a method: wall puzzles/s at each worker count and the speed-up over the first count."""
    lines = []
    for name, rates in scaling["wall_puzzles_per_s"].items():
        parts = [f"{c}: {r:.0f}/s ({s:.2f}x)" for c, r, s in zip(scaling["counts"], rates, scaling["speedup"][name])]
        starts = ", ".join(f"{t * 1000:.0f}" for t in scaling["pool_start_s"][name])
        lines.append(f"workers, {name}: " + ", ".join(parts) + f"; pool start ms (untimed) {starts}")
    return lines


@contextlib.contextmanager
def started_pool(workers: int) -> Iterator[tuple[OrderedPool | None, float]]:
    """``(pool, seconds its start took)``: ``workers`` processes started and answering before any clock runs
    (``(None, 0.0)`` for one worker); the start is reported apart, as the warm-up is left out."""
    if workers <= 1:
        yield None, 0.0
        return
    start = time.perf_counter()
    with OrderedPool(workers) as pool:
        list(pool.imap(abs, range(2 * workers)))  # the pool answers
        yield pool, time.perf_counter() - start


def check_methods(domain: Domain, instance: Instance, methods: list[str]) -> None:
    """Every named method exists and applies to this domain, or a :class:`ConfigError` before anything runs."""
    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        raise ConfigError(f"unknown method(s) {', '.join(unknown)}; available: {', '.join(sorted(METHODS))}")
    for name in methods:
        why = METHODS[name].why_not(domain, instance)
        if why:
            raise ConfigError(f"method {name!r} does not apply to {domain.name!r}: {why}")


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
    solved_flags = []
    for inst, o in zip(instances, outcomes):
        statuses[o.status.value] = statuses.get(o.status.value, 0) + 1
        ok = False
        if o.status in (Status.SOLVED, Status.MULTIPLE_SOLUTIONS):
            ok = o.values is not None and domain.verify(inst, o.values).valid
            solved, wrong = solved + ok, wrong + (not ok)
        solved_flags.append(bool(ok))
    ms = np.array([o.seconds * 1000 for o in outcomes])
    counted = [o.nodes for o in outcomes if o.nodes is not None]
    solving_s = float(ms.sum() / 1000)
    return {
        "solved": solved,
        "wrong": wrong,
        "not_solved": len(outcomes) - solved - wrong,
        "statuses": statuses,
        "median_ms": float(np.median(ms)),
        "p95_ms": float(np.percentile(ms, 95)),
        "mean_ms": float(ms.mean()),
        # None where the method's solver does not count nodes (the table prints "-").
        "mean_nodes": float(np.mean(counted)) if len(counted) == len(outcomes) else None,
        # Throughput over the puzzles' own times (consistent with the mean); setup (loading a model) apart.
        "puzzles_per_s": len(outcomes) / solving_s if solving_s > 0 else float("inf"),
        "setup_s": max(total - solving_s, 0.0),
        "total_s": total,
        "ms_per_puzzle": ms.tolist(),
        "nodes_per_puzzle": [o.nodes for o in outcomes],
        "solved_per_puzzle": solved_flags,
        **_extras(outcomes),
    }


def _extras(outcomes: list[Outcome]) -> dict[str, float]:
    """Means of the methods' own per-puzzle figures (cycles, acceptance, ...)."""
    keys = sorted({k for o in outcomes for k in o.extra})
    return {k: float(np.mean([o.extra[k] for o in outcomes if k in o.extra])) for k in keys}


HEADER = (
    f"{'method':<18} {'solved':>7} {'wrong':>6} {'unsolved':>8} {'median ms':>10} {'p95 ms':>9} "
    f"{'nodes':>8} {'puzzles/s':>10}"
)


def format_row(name: str, m: dict) -> str:
    row = (
        f"{name:<18} {m['solved']:>7} {m['wrong']:>6} {m['not_solved']:>8} {m['median_ms']:>10.2f} "
        f"{m['p95_ms']:>9.2f} {_nodes(m['mean_nodes']):>8} {m['puzzles_per_s']:>10.1f}"
    )
    extra = [f"{k}={m[k]:.3g}" for k in ("cycles", "acceptance", "nosearch_solved", "network_used") if k in m]
    if "wall_puzzles_per_s" in m:  # with workers: puzzles/s above is one worker's, this is the run's
        extra.append(f"wall={m['wall_puzzles_per_s']:.1f}/s")
    return row + ("  " + " ".join(extra) if extra else "")


def _nodes(mean: float | None) -> str:
    return "-" if mean is None else f"{mean:.1f}"


def format_ratios(report: dict) -> list[str]:
    """Lines comparing methods measured in the same run (median time ratios): each baseline, and the
    symbolic layer, against ours (``symbolic`` and ``hybrid``)."""
    methods = report["methods"]
    lines = []
    peers = [name for name in methods if name in METHODS and METHODS[name].baseline] + ["symbolic"]
    for fast in ("symbolic", "hybrid"):
        for slow in peers:
            if fast in methods and slow in methods and fast != slow:
                ratio = methods[slow]["median_ms"] / max(methods[fast]["median_ms"], 1e-9)
                shown = np.format_float_positional(ratio, precision=3, fractional=False, trim="-")
                line = f"median time: {slow} / {fast} = {shown}x"
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


__all__ = [
    "HEADER",
    "METHODS",
    "BenchConfig",
    "Outcome",
    "default_methods",
    "format_ratios",
    "format_row",
    "format_scaling",
    "format_table",
    "plot_report",
    "run_benchmark",
    "summarize",
    "worker_scaling",
    "write_report",
]

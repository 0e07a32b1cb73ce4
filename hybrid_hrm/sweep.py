"""The loop's reach against its compute: the no-search solve rate over cycle budgets and breadths.

A mode that needs a model is skipped (and says so) where none fits the
puzzles' shape.  Every point runs the network's loop and the uniform loop at the same
cycles and the same breadth (``hybrid-nosearch`` and
``hybrid-uniform-nosearch``), so the network's share is measured at equal
compute; nodes count every trajectory's commits, times include every
trajectory.

>>> import domains
>>> from hybrid_hrm.bench import BenchConfig
>>> sudoku = domains.get("sudoku")
>>> config = BenchConfig(sweep_cycles=(2,), sweep_breadth=(1, 2))
>>> grid = breadth_sweep(sudoku, [sudoku.parse(".13....." "3..4....")], config, modes=("hybrid-uniform-nosearch",))
>>> [(p["cycles"], p["breadth"]) for p in grid["points"]]
[(2, 1), (2, 2)]
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from domains.base import Domain, Instance
from solvers.errors import Status

from .bench_methods import BenchConfig
from .modes import get_mode

LOOP_MODES = ("hybrid-nosearch", "hybrid-uniform-nosearch")


def breadth_sweep(
    domain: Domain,
    instances: list[Instance],
    config: BenchConfig,
    modes: tuple[str, ...] = LOOP_MODES,
    progress: Callable[[str], None] | None = None,
) -> dict:
    """Solve rate, time and commits of each mode at every (cycles, breadth) of the config's sweep."""
    from .bridge import HybridSolver

    cycles_list = config.sweep_cycles or (config.bridge_config().max_cycles,)
    breadths = config.sweep_breadth or (1,)
    points, skipped = [], {}
    for cycles in cycles_list:
        for breadth in breadths:
            bridge = config.bridge_config(max_cycles=int(cycles), breadth=int(breadth))
            for mode in modes:
                if mode in skipped:
                    continue
                solver = HybridSolver.for_mode(domain, mode, weights=config.weights, device=config.device,
                                               config=bridge)
                if get_mode(mode).needs_model and not solver.has_model_for(instances[0]):
                    skipped[mode] = "no model for this shape"
                    if progress:
                        progress(f"{mode:<24} skipped: no model for puzzles of this shape")
                    continue
                results = solver.solve_instances(instances, mode=mode, budget=config.budget)
                point = {
                    "mode": mode,
                    "cycles": int(cycles),
                    "breadth": int(breadth),
                    "rate": float(np.mean([r.status is Status.SOLVED for r in results])),
                    "mean_ms": float(np.mean([r.stats.seconds for r in results]) * 1000),
                    "mean_nodes": float(np.mean([r.stats.search_nodes for r in results])),
                    "network_calls": float(np.mean([r.stats.network_calls for r in results])),
                }
                points.append(point)
                if progress:
                    progress(format_point(point))
    return {"cycles": list(cycles_list), "breadth": list(breadths), "points": points, "skipped": skipped}


def format_point(p: dict) -> str:
    return (f"{p['mode']:<24} cycles {p['cycles']:>3} breadth {p['breadth']:>3}: solved {p['rate']:6.1%}  "
            f"{p['mean_ms']:8.1f} ms/puzzle  {p['mean_nodes']:8.1f} commits")


__all__ = ["LOOP_MODES", "breadth_sweep", "format_point"]

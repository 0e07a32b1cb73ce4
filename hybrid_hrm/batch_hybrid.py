"""The loop's modes on a whole batch: :func:`~hybrid_hrm.batch.solve_batch` with ``mode="hybrid"`` and its kin.

The puzzles of one shape go through the loop's front in compiled calls
(:func:`hybrid_hrm.front.front`: the givens propagated, the short probe
search), every answer found there is verified in one compiled call, and
only the puzzles still open become :class:`~hybrid_hrm.loop.Run` objects
for the loop and the fallback search
(:meth:`HybridSolver.continue_runs <hybrid_hrm.bridge.HybridSolver.continue_runs>`),
whose results (with their traces) are kept.  The batches, the policy and
its seeds are those of :meth:`HybridSolver.solve_instances
<hybrid_hrm.bridge.HybridSolver.solve_instances>`, so the statuses, answers
and nodes are the same (``tests/test_front.py``); what differs is that a
puzzle the front settled costs no Python object until one is asked for.

>>> import hybrid_hrm as hh
>>> found = hh.solve_batch([".13." "...." "3..4" "....", "11.." + "." * 12], mode="hybrid-uniform")
>>> found.status_names(), found.mode
(['solved', 'unsolvable'], 'hybrid-uniform')
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from domains.base import Domain
from domains.batch import ShapeBatch
from solvers.base import Budget
from solvers.batch import STATUS_CODE
from solvers.errors import ConfigError, Status

from .front import Settled, compiled_layer, front, runs_of, verified
from .modes import Guide, Mode
from .policy import Policy
from .result import SolveResult

if TYPE_CHECKING:
    from .bridge import HybridSolver

_UNSOLVABLE = STATUS_CODE[Status.UNSOLVABLE]


def check_mode(mode: Mode) -> None:
    """The modes :func:`~hybrid_hrm.batch.solve_batch` runs: ``symbolic`` and those with the loop."""
    if mode.guide is not Guide.NONE and not mode.loop:
        raise ConfigError(f"solve_batch runs 'symbolic' and the loop's modes; for {mode.name!r} use HybridSolver.solve")


def solve_shape_in_mode(
    solver: HybridSolver, mode: Mode, domain: Domain, batch: ShapeBatch, budget: Budget, unique: bool,
    policies: dict[tuple[int, int], Policy] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[int, SolveResult]]:
    """``(status, values, nodes, seconds, made)`` of one shape's puzzles in a loop mode; ``made``: the
    results built (with traces) by batch row, those of the puzzles the loop or the search finished.

    ``policies``: the policy of each shape, shared by the batches of one call (texts and instances of
    one shape come as two batches; a uniform policy's draws run on from one to the next).  The batches
    are those of ``solve_instances`` when the puzzles come in one form; in mixed forms a uniform
    policy draws in another order (other nodes, the same soundness)."""
    b, V = len(batch), batch.template.num_variables
    status, values = np.empty(b, dtype=np.int8), np.full((b, V), -1, dtype=np.int64)
    nodes, seconds = np.zeros(b, dtype=np.int64), np.zeros(b)
    layer = compiled_layer(domain.layer(batch.template))
    if layer is None:
        results = solver.solve_instances([batch.instance(domain, j) for j in range(b)], mode, budget, unique)
        made = dict(enumerate(results))
    else:
        shape = (V, batch.template.num_values)
        policies = {} if policies is None else policies
        if shape not in policies:
            policies[shape] = solver.policy_for(mode, shape)
        policy = policies[shape]
        roots, candidates = batch.roots(), batch.candidate_array()
        probe = solver.config.probe_nodes if mode.search else 0
        made = {}
        for start in range(0, b, solver.config.batch_size):
            rows = np.arange(start, min(b, start + solver.config.batch_size))
            found = front(layer, roots[rows], budget, probe)
            valid = verified(domain, batch.template, found, candidates[rows])
            refuted = (found.settled == Settled.PROBE_EXHAUSTED) | (found.settled == Settled.CONTRADICTION)
            done = refuted | (valid & (not unique))
            status[rows[refuted]] = _UNSOLVABLE
            status[rows[valid]] = STATUS_CODE[Status.SOLVED]
            values[rows[valid]] = found.values[valid]
            nodes[rows], seconds[rows] = found.nodes, found.seconds
            rest = np.flatnonzero(~done)
            if rest.size:
                instances = [batch.instance(domain, int(rows[j])) for j in rest]
                runs = runs_of(solver.loop, layer, found.rows(rest), valid[rest], instances, budget, bool(probe))
                for j, result in zip(rows[rest].tolist(), solver.continue_runs(runs, policy, budget, unique, mode)):
                    made[j] = result
    for j, result in made.items():
        status[j], nodes[j], seconds[j] = STATUS_CODE[result.status], result.stats.search_nodes, result.stats.seconds
        values[j] = -1 if result.values is None else result.values
    return status, values, nodes, seconds, made


__all__ = ["check_mode", "solve_shape_in_mode"]

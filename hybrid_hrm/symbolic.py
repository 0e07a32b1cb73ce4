"""The symbolic layer alone as a solver: propagate, search, verify.

Used directly by ``mode="symbolic"`` and as the complete fallback of the
bridge (with the network's orders plugged in).

Examples
--------
>>> import domains
>>> sudoku = domains.get("sudoku")
>>> r = solve_symbolic(sudoku, sudoku.parse(".13." "...." "3..4" "...."))
>>> r.status.value, r.solution
('solved', '4132234132141423')
>>> solve_symbolic(sudoku, sudoku.parse("11.." + "." * 12)).reason
'contradictory givens: r1c2=1 conflicts with r1c1=1 (row 1)'
"""

from __future__ import annotations

import time

import numpy as np

from domains.base import Domain, Instance
from solvers.base import Budget
from solvers.errors import Status
from solvers.search import SearchResult, ValueOrder, VariableOrder

from .modes import Guide
from .result import SolvedBy, SolveResult, SolveStats, unsolved_result, verified_result
from .trace import SearchRecord, Trace


def new_trace(domain: Domain, instance: Instance) -> Trace:
    """An empty trace with the instance's variable and value names (and its domain, to draw it)."""
    layer = domain.layer(instance)
    return Trace(
        domain=domain.name,
        variable_names=list(layer.variable_names),
        value_names=list(layer.value_names),
        givens=instance.givens.tolist(),
        shape=tuple(instance.shape),
        drawer=domain,
        meta=dict(instance.meta),
    )


def solve_symbolic(
    domain: Domain,
    instance: Instance,
    budget: Budget | None = None,
    *,
    unique: bool = False,
    variable_order: VariableOrder | None = None,
    value_order: ValueOrder | None = None,
    mode: str = "symbolic",
    trace: Trace | None = None,
    stats: SolveStats | None = None,
    candidates: np.ndarray | None = None,
    guide: Guide = Guide.NONE,
    probs: np.ndarray | None = None,
) -> SolveResult:
    """Solve one instance by propagation and complete search.

    ``candidates`` (``[V, K]``) starts the search from an already pruned
    array (the bridge's), which must be sound for ``instance``; the orders
    (or ``probs [V, K]``, for a domain with a search of its own) come from
    the policy named by ``guide``.
    ``unique=True`` looks for a second solution and reports
    ``multiple_solutions`` when there is one.
    """
    start = time.perf_counter()
    stats = stats or SolveStats()
    trace = trace or new_trace(domain, instance)
    givens_verdict = domain.verify(instance, instance.givens)
    if not givens_verdict.consistent:
        stats.seconds += time.perf_counter() - start
        reason = f"contradictory givens: {givens_verdict.violations[0].reason}"
        return unsolved_result(domain, instance, Status.UNSOLVABLE, mode=mode, trace=trace, stats=stats, reason=reason)
    cand = instance.candidates if candidates is None else candidates
    result = domain.search(
        instance,
        cand,
        budget,
        max_solutions=2 if unique else 1,
        variable_order=variable_order,
        value_order=value_order,
        probs=probs,
    )
    stats.search_nodes += result.nodes
    trace.search = SearchRecord(result.nodes, result.backtracks, result.seconds, result.status.value, str(guide))
    solved = _search_result(domain, instance, result, mode, trace, stats)
    stats.seconds += time.perf_counter() - start  # the answer's verification and formatting included
    return solved


def _search_result(
    domain: Domain, instance: Instance, result: SearchResult, mode: str, trace: Trace, stats: SolveStats
) -> SolveResult:
    """The solve's result from the search's: a verified answer, or why there is none."""
    if result.status in (Status.SOLVED, Status.MULTIPLE_SOLUTIONS):
        stats.solved_by = SolvedBy.SEARCH if result.nodes else SolvedBy.PROPAGATION
        reason = "more than one solution; this is one of them" if result.status is Status.MULTIPLE_SOLUTIONS else ""
        return verified_result(
            domain, instance, result.values, mode=mode, status=result.status, trace=trace, stats=stats, reason=reason
        )
    reason = (
        "no solution: the search exhausted every candidate"
        if result.status is Status.UNSOLVABLE
        else f"budget ran out after {result.nodes} nodes and {result.seconds:.2f} s"
    )
    return unsolved_result(domain, instance, result.status, mode=mode, reason=reason, trace=trace, stats=stats)

"""The network alone: segments on the givens, no symbolic layer in between, then the verifier.

The ``neural`` mode measures what the network knows by itself; its answer
still passes the domain's verifier, and a rejected one says so
(``answer_rejected``) with the verifier's reason, cut between whole clauses.
"""

from __future__ import annotations

import time

import numpy as np

from domains.base import Domain, Instance
from solvers.base import Budget
from solvers.errors import Status

from .policy import Policy
from .result import SolvedBy, SolveResult, SolveStats, unsolved_result, verified_result


def network_alone(
    domain: Domain, instances: list[Instance], policy: Policy, budget: Budget, max_segments: int
) -> list[SolveResult]:
    """The network alone: segments on the givens, no symbolic layer, then verify.

    ``budget.max_seconds`` is checked before every segment (the network's unit of work),
    so a slow network stops on time: the last finished segment's answer is verified as
    usual, and only a batch that ran no segment at all is ``budget_exhausted``.
    """
    start = time.perf_counter()
    deadline = None if budget.max_seconds is None else start + budget.max_seconds
    tokens = domain.encode_batch(np.stack([i.givens for i in instances]))
    cand = np.stack([i.candidates for i in instances])
    state, step, ran = None, None, 0
    # A model that restarts every segment (carry_state=False) answers the same each time: once is enough.
    segments = max(1, max_segments) if policy.carries_state else 1
    while ran < segments and (deadline is None or time.perf_counter() < deadline):
        step = policy.step(tokens, cand, state)
        state, ran = step.state, ran + 1
    share = (time.perf_counter() - start) / len(instances)
    if step is None:
        reason = f"the time budget ({budget.max_seconds} s) was spent before the network's first segment"
        out = Status.BUDGET_EXHAUSTED
        return [
            unsolved_result(domain, i, out, mode="neural", reason=reason, stats=SolveStats(seconds=share))
            for i in instances
        ]
    cut = "" if ran == segments else f" (after {ran} of {segments} segments: the time budget was spent)"
    return [_neural_result(domain, inst, probs, ran, share, cut) for inst, probs in zip(instances, step.probs)]


def _neural_result(
    domain: Domain, inst: Instance, probs: np.ndarray, segments: int, seconds: float, cut: str = ""
) -> SolveResult:
    """The verified answer of ``segments`` network segments, or why the verifier rejected it
    (``cut``: a note that the time budget stopped the segments early)."""
    stats = SolveStats(cycles=segments, network_calls=segments, seconds=seconds)
    values = probs.argmax(-1)
    verdict = domain.verify(inst, values)
    if verdict.valid:
        stats.solved_by = SolvedBy.NETWORK
        return verified_result(domain, inst, values, mode="neural", stats=stats)
    reason = f"the network's answer{cut} failed the verifier: {_first_clause(verdict.reason() or 'incomplete')}"
    return unsolved_result(domain, inst, Status.ANSWER_REJECTED, mode="neural", reason=reason, stats=stats)


def _first_clause(reason: str, limit: int = 300) -> str:
    """The reason whole when short, else its whole first clauses up to ``limit`` characters."""
    if len(reason) <= limit:
        return reason
    clauses = reason.split("; ")
    kept = clauses[0][:limit]
    for clause in clauses[1:]:
        if len(kept) + 2 + len(clause) > limit:
            break
        kept += "; " + clause
    return f"{kept} (and {len(clauses) - kept.count('; ') - 1} more)"


__all__ = ["network_alone"]

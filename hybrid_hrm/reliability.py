"""``hybrid-hrm bench reliability``: soundness and budgets at scale, every failure counted.

Each category builds puzzles whose right outcome is known, runs them through
the solver's modes, and counts a failure whenever:

* a ``solved`` answer fails an independent verification (the verifier, and
  equality with the known unique solution where there is one);
* an input without solution comes back ``solved``;
* a puzzle with several solutions is not reported as such when uniqueness
  is asked for;
* a time budget is overrun by more than one node's work (50 ms slack).

``scale=1.0`` runs more than 10,000 cases; CI runs a small slice.

>>> report = run_reliability(scale=0.005, seed=0)
>>> report["total_failures"]
0
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

import numpy as np

import domains
from domains.base import Instance
from domains.collections import collection_lines
from solvers.base import Budget
from solvers.errors import Status

from .bridge import HybridSolver
from .modes import get_mode


@dataclass
class Case:
    instance: Instance
    expect: str  # "solved", "unsolvable", "multiple", "any" (budget may run out)
    solution: np.ndarray | None = None
    unique: bool = False
    budget: Budget = Budget(max_nodes=200_000, max_seconds=5.0)


def _with_duplicate(sudoku, inst: Instance, rng) -> Instance:
    """Two equal givens in one row: contradictory givens."""
    g = inst.givens.copy()
    n = inst.shape[0]
    r = rng.integers(n)
    a, b = rng.choice(n, 2, replace=False)
    value = g[r * n + a] if g[r * n + a] >= 0 else rng.integers(n)
    g[r * n + a] = g[r * n + b] = value
    return sudoku.with_givens(inst, g)


def _without_solution(sudoku, inst: Instance, rng) -> Instance | None:
    """One consistent extra given that differs from the unique solution."""
    layer = sudoku.layer(inst)
    for v in rng.permutation(np.flatnonzero(inst.givens < 0)):
        for k in rng.permutation(inst.num_values):
            if k == inst.solution[v]:
                continue
            g = inst.givens.copy()
            g[v] = k
            if layer.verify(g).consistent:
                return sudoku.with_givens(inst, g)
    return None


def build_cases(scale: float, seed: int) -> dict[str, list[Case]]:
    sudoku = domains.get("sudoku")
    rng = np.random.default_rng(seed)

    def n(full: int) -> int:
        return max(2, int(full * scale))

    generated9 = sudoku.generate(rng, count=n(600), size=9)
    generated4 = sudoku.generate(rng, count=n(2000), size=4)
    cases: dict[str, list[Case]] = {
        "bundled hard": [
            Case(sudoku.parse(t), "solved")
            for t in collection_lines("top1465", n(1465)) + collection_lines("forum_hardest:test", n(1000))
        ],
        "generated 9x9": [Case(i, "solved", i.solution, unique=True) for i in generated9],
        "generated 4x4": [Case(i, "solved", i.solution, unique=True) for i in generated4],
        "contradictory givens": [Case(_with_duplicate(sudoku, i, rng), "unsolvable") for i in generated9 + generated4],
        "no solution": [
            Case(c, "unsolvable")
            for c in (_without_solution(sudoku, i, rng) for i in generated9 + generated4)
            if c is not None
        ],
        "several solutions": [Case(sudoku.parse(t), "any", unique=True) for t in collection_lines("serg", n(2000))],
        "nearly empty": [
            Case(sudoku.with_givens(sudoku.empty(9), _sparse(rng, 9, k)), "multiple", unique=True)
            for k in rng.integers(0, 4, n(300))
        ],
        "16x16": [Case(i, "solved", i.solution) for i in sudoku.generate(rng, count=n(100), size=16, min_givens=150)],
        "pathological budget": [
            Case(sudoku.empty(16), "any", unique=True, budget=Budget(None, 0.05)) for _ in range(n(50))
        ],
    }
    return cases


def _sparse(rng, n: int, count: int) -> np.ndarray:
    g = np.full(n * n, -1)
    rows, cols = rng.permutation(n)[:count], rng.permutation(n)[:count]
    digits = rng.permutation(n)[:count]
    for r, c, d in zip(rows, cols, digits):
        g[r * n + c] = d
    return g


def check(case: Case, result, sudoku) -> str | None:
    """The failure this result shows, or ``None``."""
    inst = case.instance
    if result.status in (Status.SOLVED, Status.MULTIPLE_SOLUTIONS):
        if result.values is None or not sudoku.verify(inst, result.values).valid:
            return "an answer failed the verifier"
        if case.expect == "unsolvable":
            return "an input without solution came back solved"
        if (
            case.solution is not None
            and result.status is Status.SOLVED
            and not np.array_equal(result.values, case.solution)
        ):
            return "a different answer to a puzzle with a unique solution"
    if case.expect == "unsolvable" and result.status is not Status.UNSOLVABLE:
        if result.status is not Status.BUDGET_EXHAUSTED:
            return f"expected unsolvable, got {result.status.value}"
    if case.expect == "solved" and result.status is not Status.SOLVED:
        return f"expected solved, got {result.status.value}"
    if case.expect == "multiple" and case.unique and result.status is not Status.MULTIPLE_SOLUTIONS:
        return f"expected multiple_solutions, got {result.status.value}"
    if case.budget.max_seconds is not None and result.stats.seconds > case.budget.max_seconds + 0.05:
        return f"time budget overrun: {result.stats.seconds:.3f} s > {case.budget.max_seconds} s"
    return None


def run_reliability(
    scale: float = 1.0,
    seed: int = 0,
    modes: tuple[str, ...] | None = None,
    weights: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict:
    """Run every category through every mode; return counts and failure examples."""
    sudoku = domains.get("sudoku")
    modes = modes or ("symbolic", "hybrid-uniform") + (("hybrid",) if weights is not None else ())
    solvers = {mode: HybridSolver.for_mode("sudoku", mode, weights=weights) for mode in modes}
    report = {"scale": scale, "seed": seed, "modes": list(modes), "categories": {}}
    total_cases = total_failures = 0
    for name, cases in build_cases(scale, seed).items():
        failures, skipped, examples, start = 0, 0, [], time.perf_counter()
        for mode in modes:
            solver = solvers[mode]
            for case in cases:
                if get_mode(mode).needs_model and not solver.has_model_for(case.instance):
                    skipped += 1  # no model of this size (16x16): the uniform loop covers it
                    continue
                try:
                    [result] = solver.solve_instances(
                        [case.instance], mode=mode, budget=case.budget, unique=case.unique
                    )
                    problem = check(case, result, sudoku)
                except Exception as exc:  # any crash is a failure to report, not to hide
                    problem = f"crash: {type(exc).__name__}: {exc}"
                if problem:
                    failures += 1
                    if len(examples) < 3:
                        examples.append({"mode": mode, "puzzle": sudoku.format(case.instance), "problem": problem})
        runs = len(cases) * len(modes) - skipped
        total_cases += runs
        total_failures += failures
        report["categories"][name] = {
            "cases": runs,
            "failures": failures,
            "skipped_no_model": skipped,
            "examples": examples,
            "seconds": time.perf_counter() - start,
        }
        if progress:
            progress(f"{name:<22} {runs:>7} {failures:>9}")
    report["total_cases"] = total_cases
    report["total_failures"] = total_failures
    return report

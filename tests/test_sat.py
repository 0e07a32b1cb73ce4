"""The CDCL SAT peer (python-sat, Glucose 4) on the standard Sudoku encoding: it solves, and the bench verifies it."""

from __future__ import annotations

import numpy as np
import pytest

import domains
from domains.collections import collection_lines
from hybrid_hrm import baselines
from hybrid_hrm.bench import format_table, run_benchmark
from hybrid_hrm.bench_methods import METHODS, BenchConfig
from solvers.errors import UnsupportedError
from tests.conftest import HARD

pytest.importorskip("pysat.solvers")
SUDOKU = domains.get("sudoku")


def test_sat_solves_and_its_answer_passes_the_verifier():
    for text in [HARD, ".13." "...." "3..4" "....", *collection_lines("hard16", limit=2)]:
        inst = SUDOKU.parse(text)
        values, finished = baselines.sat_solve(SUDOKU, inst, max_seconds=30)
        assert finished and SUDOKU.verify(inst, values).valid


def test_sat_proves_unsatisfiable_puzzles_unsatisfiable():
    contradictory = SUDOKU.parse("11.." + "." * 12)
    no_solution = SUDOKU.parse("12.." "..3." "...." "...4")  # consistent givens, no completion
    assert SUDOKU.solve(no_solution).status.value == "unsolvable"
    for inst in (contradictory, no_solution):
        assert baselines.sat_solve(SUDOKU, inst) == (None, True)


def test_the_encoding_is_the_standard_one():
    inst = SUDOKU.parse("1" + "." * 15)
    clauses = baselines.sat_clauses(SUDOKU, inst)
    V, K = 16, 4
    assert sum(len(c) == K for c in clauses) == V  # every cell takes a value
    assert (1,) in clauses  # the given, a unit: cell 0 takes value 0
    pairs = {c for c in clauses if len(c) == 2}
    assert (-(0 * K + 0 + 1), -(1 * K + 0 + 1)) in pairs  # r1c1 and r1c2 do not both take value 0
    assert (-(0 * K + 0 + 1), -(0 * K + 1 + 1)) in pairs  # r1c1 takes at most one value
    assert all(lit < 0 for c in pairs for lit in c)


def test_sat_is_a_bench_method_that_counts_no_nodes():
    instances = [SUDOKU.parse(p) for p in collection_lines("top1465", limit=6)]
    report = run_benchmark(SUDOKU, instances, ["symbolic", "sat"], BenchConfig())
    sat = report["methods"]["sat"]
    assert (sat["solved"], sat["wrong"], sat["mean_nodes"]) == (6, 0, None)
    row = next(line for line in format_table(report).splitlines() if line.startswith("sat "))
    assert row.split()[6] == "-"
    nqueens = domains.get("nqueens")
    assert "all-different" in METHODS["sat"].why_not(nqueens, nqueens.empty())
    with pytest.raises(UnsupportedError):
        baselines.sat_clauses(nqueens, nqueens.empty())
    assert np.asarray(baselines.sat_solve(SUDOKU, instances[0])[0]).shape == (81,)

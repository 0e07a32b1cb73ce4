"""The hybrid loop: soundness under any policy, traces with reasons, budgets, halting."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from hybrid_hrm.bridge import BridgeConfig, HybridSolver
from hybrid_hrm.model import HRM, HRMConfig
from solvers import Budget, Status
from solvers.errors import CheckpointError, ConfigError, InvalidPuzzleError
from tests.conftest import HARD


def random_model(seed: int = 0, V: int = 16, K: int = 4) -> HRM:
    torch.manual_seed(seed)
    return HRM(HRMConfig(num_variables=V, num_values=K, hidden=32, heads=2, h_layers=1, l_layers=1, domain="sudoku"))


@pytest.fixture(scope="module")
def solver4():
    # An untrained network is an adversarial policy: the loop must stay sound anyway.
    return HybridSolver("sudoku", random_model(), BridgeConfig(min_confidence=0.0, subgoals_per_cycle=6), device="cpu")


def _corrupt(rng, givens, n):
    bad = givens.copy()
    for v in rng.choice(givens.size, n, replace=False):
        bad[v] = rng.integers(0, int(np.sqrt(givens.size)))
    return bad


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10**6), corrupt=st.integers(0, 3))
def test_every_solved_result_passes_the_verifier(sudoku, solver4, seed, corrupt):
    rng = np.random.default_rng(seed)
    [inst] = sudoku.generate(rng, size=4)
    if corrupt:
        inst = sudoku.with_givens(inst, _corrupt(rng, inst.givens, corrupt))
    truth = sudoku.solve(inst, Budget(None, None))
    for mode in ("hybrid", "hybrid-nosearch", "hybrid-uniform", "neural"):
        r = solver4.solve(inst, mode=mode)
        if r.status is Status.SOLVED:
            assert sudoku.verify(inst, r.values).valid
            assert sudoku.parse(r.solution).givens.tolist() == r.values.tolist()
        else:  # no answer is handed out unless the verifier passed it
            assert not r.solution
        if truth.status is Status.UNSOLVABLE:
            assert r.status is not Status.SOLVED
    if truth.status is Status.SOLVED:  # complete: with search, a solvable puzzle is solved
        assert solver4.solve(inst, mode="hybrid").status is Status.SOLVED


def test_hybrid_uniform_solves_hard_9x9_and_reports_rejections(sudoku):
    from domains.collections import collection_lines

    solver = HybridSolver("sudoku", config=BridgeConfig(min_confidence=0.0, subgoals_per_cycle=8))
    results = solver.solve(collection_lines("top1465", limit=20), mode="hybrid-uniform")
    assert all(r.status is Status.SOLVED for r in results)
    rejected = [rej for r in results for c in r.trace.cycles for rej in c.rejected]
    assert rejected, "a uniform policy on hard puzzles proposes some inconsistent subgoal"
    v, k, reason = rejected[0]
    assert "conflicts with" in reason or "removed by propagation" in reason
    story = next(r for r in results if any(c.rejected for c in r.trace.cycles)).trace.render()
    assert "rejected" in story and "cycle 1:" in story


def test_backed_out_subgoals_are_refuted_soundly(sudoku):
    solver = HybridSolver("sudoku", config=BridgeConfig(min_confidence=0.0, subgoals_per_cycle=10, max_cycles=6,
                                                     probe_nodes=0))
    r = solver.solve(HARD, mode="hybrid-uniform")
    assert r.status is Status.SOLVED and sudoku.verify(sudoku.parse(HARD), r.values).valid
    assert r.stats.backed_out > 0


def test_node_budget_is_respected(sudoku):
    solver = HybridSolver("sudoku", config=BridgeConfig(min_confidence=0.0))
    r = solver.solve(HARD, mode="hybrid-uniform", budget=Budget(max_nodes=3, max_seconds=None))
    assert r.status is Status.BUDGET_EXHAUSTED and r.stats.search_nodes <= 3


def test_a_pathological_puzzle_does_not_block_the_batch(sudoku):
    solver = HybridSolver("sudoku")
    empty16 = sudoku.empty(16)
    hard16 = sudoku.with_givens(empty16, np.r_[np.arange(16), np.full(240, -1)])
    results = solver.solve(
        [".13.....3..4....", "11" + "." * 14], mode="hybrid-uniform", budget=Budget(max_nodes=None, max_seconds=0.5)
    )
    assert [r.status for r in results] == [Status.SOLVED, Status.UNSOLVABLE]
    r = solver.solve(hard16, mode="hybrid-uniform", budget=Budget(max_nodes=None, max_seconds=0.2), unique=True)
    assert r.status is Status.BUDGET_EXHAUSTED or r.status is Status.MULTIPLE_SOLUTIONS


def test_q_head_halting_and_symbolic_halting(sudoku):
    model = random_model(1)
    with torch.no_grad():
        model.q_head.bias.fill_(5.0)  # the Q-head says "halt" at once
    # One subgoal per cycle: after cycle 1 at most 3 cells are fixed (2 givens + 1 subgoal), and a 4x4
    # Sudoku needs 4 clues for one completion, so sound propagation cannot finish it: only the Q-head stops it.
    solver = HybridSolver("sudoku", model, BridgeConfig(max_cycles=5, min_confidence=0.0, subgoals_per_cycle=1),
                          device="cpu")
    [inst] = sudoku.generate(np.random.default_rng(3), size=4)
    open_inst = sudoku.with_givens(inst, np.where(np.arange(16) < 2, inst.solution, -1))
    r = solver.solve(open_inst, mode="hybrid-nosearch")
    assert r.stats.cycles == 1 and r.status is not Status.SOLVED
    assert "Q-head halted after cycle 1" in r.trace.halt_reason
    # Two completions that differ on four cells (r1c1, r1c3, r2c1, r2c3 swap 1 and 3): propagation alone
    # is stuck, and any one accepted subgoal there decides the rest, so the loop (not the search) solves it
    # in cycle 1 and must stop at once, without the Q-head, well before max_cycles.
    deadly = ".2.4.4.221434321"
    no_q = HybridSolver(
        "sudoku",
        model,
        BridgeConfig(max_cycles=5, q_halt=False, min_confidence=0.0, subgoals_per_cycle=16, probe_nodes=0),
        device="cpu",
    )
    assert sudoku.solve(sudoku.parse(deadly), max_solutions=2).status is Status.MULTIPLE_SOLUTIONS
    for mode in ("hybrid", "hybrid-nosearch"):
        r = no_q.solve(deadly, mode=mode)
        assert r.status is Status.SOLVED and sudoku.verify(sudoku.parse(deadly), r.values).valid
        assert r.trace.search is None and r.stats.cycles == 1 and "verified" in r.trace.halt_reason


def test_uniqueness_is_reported(sudoku, solver4):
    r = solver4.solve("1..." + "." * 12, mode="hybrid", unique=True)
    assert r.status is Status.MULTIPLE_SOLUTIONS and sudoku.verify(sudoku.parse("1" + "." * 15), r.values).valid


def test_errors_are_typed(sudoku, solver4):
    with pytest.raises(InvalidPuzzleError, match="no model for puzzles of 81 variables"):
        solver4.solve(HARD, mode="hybrid")
    with pytest.raises(ConfigError, match="unknown mode"):
        solver4.solve(".13.....3..4....", mode="magic")
    with pytest.raises(ConfigError, match="needs a model"):
        HybridSolver("sudoku").solve(HARD, mode="hybrid")
    with pytest.raises(CheckpointError, match="no pretrained model"):
        HybridSolver.from_pretrained("klingon")
    with pytest.raises(ConfigError):
        BridgeConfig(min_confidence=float("nan"))


def test_probe_settles_easy_puzzles_before_the_network(sudoku, generated9):
    model = random_model(2, V=81, K=9)
    solver = HybridSolver("sudoku", model, BridgeConfig(probe_nodes=10_000), device="cpu")
    r = solver.solve(generated9[0], mode="hybrid")
    assert r.status is Status.SOLVED and r.stats.network_calls == 0
    assert "before the network" in r.trace.halt_reason or "propagation" in r.trace.halt_reason
    tight = HybridSolver("sudoku", model, BridgeConfig(probe_nodes=1), device="cpu")
    r = tight.solve(HARD, mode="hybrid")
    assert r.status is Status.SOLVED and r.stats.network_calls >= 1


def test_a_one_segment_model_runs_once_alone_and_restarts_in_the_loop():
    """A maze model trained on one segment (carry_state=False): `neural` runs it once
    (a second segment would answer the same), and every answer is still verified."""
    import domains

    maze = domains.get("maze")
    mazes = maze.generate(np.random.default_rng(3), count=4, size=7)
    torch.manual_seed(0)
    cfg = HRMConfig(num_variables=49, num_values=2, vocab_size=4, hidden=16, heads=2, l_mixer="conv",
                    positions="none", grid_height=7, grid_width=7, recursion="trm", carry_state=False)
    solver = HybridSolver(maze, HRM(cfg), BridgeConfig(max_cycles=3))
    alone = solver.solve(mazes, mode="neural")
    assert all(r.stats.cycles == 1 and r.stats.network_calls == 1 for r in alone)
    for r, inst in zip(solver.solve(mazes, mode="hybrid"), mazes):
        assert r.status is Status.SOLVED and maze.verify(inst, r.values).valid

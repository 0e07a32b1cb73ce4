"""Breadth: views map back exactly, every answer is verified, budgets hold across trajectories,
trajectory 0 is the plain loop, the portfolio keeps rows and states aligned, refutations are shared."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import domains
import hybrid_hrm as hh
from hybrid_hrm.breadth import Group, PortfolioPolicy, View
from hybrid_hrm.bridge import BridgeConfig, HybridSolver
from hybrid_hrm.policy import PolicyStep, UniformPolicy
from solvers.errors import ConfigError, Status

SUDOKU = domains.get("sudoku")


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 100_000), domain=st.sampled_from(["sudoku", "maze", "nqueens"]))
def test_a_view_maps_back_to_the_same_puzzle_and_a_valid_solution(seed, domain):
    d = domains.get(domain)
    rng = np.random.default_rng(seed)
    options = {"size": 4 if domain == "sudoku" else 7} if domain != "nqueens" else {}
    [inst] = d.generate(rng, **options)
    view = View(*map(np.asarray, d.random_symmetry(inst, rng)))
    seen = d.view(inst, (view.perm, view.relabel))
    assert np.array_equal(view.values_back(seen.givens), inst.givens)  # the same puzzle, undone
    solution = d.solve(seen).values
    assert d.verify(inst, view.values_back(np.array(solution))).valid  # its answer is the original's
    probs = np.eye(inst.num_values)[np.array(solution)]
    assert np.array_equal(view.probs_back(probs).argmax(-1), view.values_back(np.array(solution)))


def _puzzles(seed: int, count: int) -> list:
    return SUDOKU.generate(np.random.default_rng(seed), count=count, size=4)


@settings(max_examples=15, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    breadth=st.integers(2, 5),
    temperature=st.sampled_from([0.0, 0.7, 2.0]),
    views=st.booleans(),
    share=st.booleans(),
    nodes=st.integers(0, 30),
)
def test_breadth_returns_only_verified_answers_within_one_node_budget(seed, breadth, temperature, views, share, nodes):
    config = BridgeConfig(max_cycles=3, subgoals_per_cycle=2, probe_nodes=0, breadth=breadth, seed=seed,
                          temperature=temperature, views=views, share_refutations=share)
    puzzles = _puzzles(seed, 3) + [SUDOKU.parse("12.." "34.." ".1.." "...2")]  # the last has no solution
    for mode in ("hybrid-uniform", "hybrid-uniform-nosearch"):
        results = HybridSolver("sudoku", config=config).solve_instances(
            puzzles, mode=mode, budget=hh.Budget(max_nodes=nodes))
        for inst, r in zip(puzzles, results):
            if r.status is Status.SOLVED:
                assert SUDOKU.verify(inst, r.values).valid and r.solution == SUDOKU.format(inst, r.values)
            else:
                assert r.solution is None
            assert r.stats.search_nodes <= nodes + 1  # every trajectory's commits, one budget
            assert r.trace.trajectories in (1, breadth)


def test_trajectory_zero_is_the_plain_loop():
    """Without shared refutations trajectory 0 runs exactly as breadth 1 does: it solves no later."""
    puzzles = _puzzles(3, 12)
    plain = BridgeConfig(max_cycles=4, subgoals_per_cycle=1, probe_nodes=0)
    wide = BridgeConfig(max_cycles=4, subgoals_per_cycle=1, probe_nodes=0, breadth=3, share_refutations=False)
    one = HybridSolver("sudoku", config=plain).solve_instances(puzzles, mode="hybrid-uniform-nosearch")
    many = HybridSolver("sudoku", config=wide).solve_instances(puzzles, mode="hybrid-uniform-nosearch")
    for a, b in zip(one, many):
        if a.status is Status.SOLVED:
            assert b.status is Status.SOLVED and b.stats.cycles <= a.stats.cycles
    again = HybridSolver("sudoku", config=BridgeConfig(max_cycles=4, subgoals_per_cycle=1, probe_nodes=0,
                                                       breadth=1)).solve_instances(puzzles, mode="hybrid-uniform")
    base = HybridSolver("sudoku", config=plain).solve_instances(puzzles, mode="hybrid-uniform")
    assert [(r.solution, r.stats.search_nodes) for r in again] == [(r.solution, r.stats.search_nodes) for r in base]


class _Oracle:
    """A fake network that always proposes the true solution, so its rows solve in one cycle."""

    guide = None  # Guide.NETWORK, set in the test
    carries_state = True

    def __init__(self, solutions: dict[bytes, np.ndarray]) -> None:
        self.solutions = solutions
        self.rows_seen: list[int] = []

    def step(self, tokens, candidates, state):
        self.rows_seen.append(len(tokens))
        probs = np.zeros(candidates.shape, dtype=np.float32)
        for i, t in enumerate(tokens):
            probs[i, np.arange(candidates.shape[1]), self.solutions[t.tobytes()]] = 1.0
        state = np.arange(len(tokens)) if state is None else state
        return PolicyStep(probs, np.ones(candidates.shape[:2], dtype=np.float32), np.zeros(len(tokens), bool), state)

    def select(self, state, index):
        return state[index]

    def search_orders(self, probs):
        raise AssertionError("not needed")


def test_the_portfolio_routes_rows_and_keeps_the_network_state_aligned():
    from hybrid_hrm.modes import Guide

    _Oracle.guide = Guide.NETWORK
    puzzles = _puzzles(11, 3)
    tokens = SUDOKU.encode_batch(np.stack([p.givens for p in puzzles]))
    oracle = _Oracle({t.tobytes(): p.solution for t, p in zip(tokens, puzzles)})
    flags = np.array([False, True, False])
    policy = PortfolioPolicy(oracle, UniformPolicy(0), flags)
    cand = np.stack([p.candidates for p in puzzles])
    step = policy.step(tokens, cand, None)
    assert np.array_equal(step.probs[0].argmax(-1), puzzles[0].solution)
    assert np.array_equal(step.probs[2].argmax(-1), puzzles[2].solution)
    assert oracle.rows_seen == [2]  # only the network rows reached the network
    kept = policy.select(step.state, np.array([1, 2]))
    assert kept[1].tolist() == [True, False] and kept[0].tolist() == [1]  # row 2 was the network's second row
    step2 = policy.step(tokens[[1, 2]], cand[[1, 2]], kept)
    assert np.array_equal(step2.probs[1].argmax(-1), puzzles[2].solution)


def test_a_root_refutation_is_shared_in_each_trajectorys_own_terms():
    inst = SUDOKU.parse(".13....." "3..4....")
    view = View(np.arange(16)[::-1].copy(), np.array([1, 0, 3, 2]))
    group = Group(inst, views=[None, view])
    from types import SimpleNamespace

    a, b = SimpleNamespace(trajectory=0), SimpleNamespace(trajectory=1)
    group.runs = [a, b]
    group.share(b, 0, 1)  # trajectory 1 proved, in its terms, variable 0 != value 1
    assert group.refuted == [(15, 0)]
    assert group.pending(a) == [(15, 0)] and group.pending(a) == []
    assert group.pending(b) == []  # its own refutation is not applied twice


def test_breadth_settings_are_checked():
    for bad in ({"breadth": 0}, {"temperature": -1}, {"uniform_share": 2}, {"views": 3}):
        with pytest.raises(ConfigError):
            BridgeConfig(**bad)


def test_the_trace_says_which_trajectory_solved_and_how_many_ran():
    from domains.collections import collection_lines

    config = BridgeConfig(max_cycles=8, probe_nodes=0, breadth=4)
    hard = [SUDOKU.parse(line) for line in collection_lines("top1465", 30)]
    results = HybridSolver("sudoku", config=config).solve_instances(hard, mode="hybrid-uniform-nosearch")
    solved = [r for r in results if r.status is Status.SOLVED and r.stats.cycles > 0]
    assert solved and all(r.trace.trajectories == 4 and 0 <= r.trace.trajectory < 4 for r in solved)
    assert all(r.trace.render().startswith(f"trajectory {r.trace.trajectory} of 4") for r in solved)


def test_shared_refutations_never_make_a_solvable_puzzle_unsolvable():
    """Regression: a shared refutation was propagated as if it decided its variable (a false 'no solution')."""
    from domains.collections import collection_lines

    puzzles = [SUDOKU.parse(line) for line in collection_lines("top1465", 12)]
    config = BridgeConfig(max_cycles=12, probe_nodes=0, breadth=12)
    results = HybridSolver("sudoku", config=config).solve_instances(puzzles, mode="hybrid-uniform-nosearch")
    assert all(r.status in (Status.SOLVED, Status.BUDGET_EXHAUSTED) for r in results)
    assert sum(r.status is Status.SOLVED for r in results) >= 6


def test_state_noise_moves_only_the_noisy_rows():
    torch = pytest.importorskip("torch")
    from hybrid_hrm.model.hrm import HRMState
    from hybrid_hrm.modes import Guide

    class _Fixed:
        guide, carries_state = Guide.NETWORK, True

        def step(self, tokens, candidates, state):
            z = torch.ones(len(tokens), candidates.shape[1], 4) if state is None else state.z_H
            return PolicyStep(np.full(candidates.shape, 0.5, np.float32), np.ones(candidates.shape[:2], np.float32),
                              np.zeros(len(tokens), bool), HRMState(z, z.clone()))

        def select(self, state, index):
            return HRMState(state.z_H[torch.from_numpy(index)], state.z_L[torch.from_numpy(index)])

    puzzles = _puzzles(2, 3)
    tokens = SUDOKU.encode_batch(np.stack([p.givens for p in puzzles]))
    cand = np.stack([p.candidates for p in puzzles])
    policy = PortfolioPolicy(_Fixed(), UniformPolicy(0), np.zeros(3, bool), np.array([False, True, False]), 1.0)
    z = policy.step(tokens, cand, None).state[0].z_H
    z = z + torch.arange(3.0)[:, None, None]  # rows told apart
    state = policy.step(tokens, cand, (HRMState(z, z.clone()), np.zeros(3, bool), np.array([False, True, False])))
    moved = (state.state[0].z_H != z).flatten(1).any(1).tolist()
    assert moved == [False, True, False]


def test_the_time_budget_is_per_puzzle_not_per_batch(monkeypatch):
    """Regression: a batch's loop stopped when one puzzle's max_seconds had passed for the whole batch."""
    import hybrid_hrm.loop as loop_module

    clock = iter(np.arange(0.0, 1e6, 0.5))  # every reading of the clock moves it half a second on
    monkeypatch.setattr(loop_module.time, "perf_counter", lambda: float(next(clock)))
    from domains.collections import collection_lines

    puzzles = [SUDOKU.parse(line) for line in collection_lines("top1465", 8)]
    config = BridgeConfig(max_cycles=3, probe_nodes=0, breadth=2)
    results = HybridSolver("sudoku", config=config).solve_instances(
        puzzles, mode="hybrid-uniform-nosearch", budget=hh.Budget(max_seconds=1.0))
    # 8 puzzles x 1 s: the loop may run 8 s of (fake) time, all 3 cycles here, not stop after 1 s
    assert max(r.stats.cycles for r in results) == 3

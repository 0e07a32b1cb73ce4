"""The loop's batched front and the loop's modes on a batch: the same outcome as one instance at a time.

* :func:`hybrid_hrm.front.start_runs` against :meth:`HybridLoop.start` and
  :meth:`HybridLoop.probe` instance by instance (every field of the run);
* :func:`hybrid_hrm.solve_batch` in a loop's mode against
  :meth:`HybridSolver.solve_instances` (statuses, answers, nodes, cycles);
* soundness: no answer of the batched loop fails the verifier, and a puzzle
  is called unsolvable only when it has no solution (hypothesis, against brute force).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import hybrid_hrm as hh
from domains.collections import collection_lines
from hybrid_hrm.bridge import BridgeConfig, HybridSolver
from hybrid_hrm.front import Settled, candidate_masks, front, start_runs
from hybrid_hrm.loop import HybridLoop
from solvers.base import Budget
from solvers.errors import ConfigError, Status
from tests.test_compiled import brute_force

BUDGET = Budget(max_nodes=100_000, max_seconds=None)


def _mixed(sudoku, limit: int = 120) -> list:
    """Hard puzzles, one solved by propagation, two contradictory, and a 4x4 apart (another shape)."""
    lines = collection_lines("top1465", limit=limit) + collection_lines("forum_hardest:test", limit=limit // 2)
    easy = sudoku.format(sudoku.empty(9), sudoku.solve(sudoku.parse(lines[0])).values)
    return [sudoku.parse(p) for p in lines + [easy[:-1] + ".", "11" + "." * 79, "12" + "." * 7 + "2" + "." * 71]]


def _state(run) -> tuple:
    values = None if run.values is None else run.values.tolist()
    return (run.status, run.reason, run.masks.tolist(), run.root.tolist(), values, run.stats.search_nodes,
            run.stats.solved_by, run.trace.halt_reason)


@pytest.mark.parametrize("probe_nodes,max_nodes", [(32, None), (32, 5), (0, None), (200, 0)])
def test_the_batched_front_leaves_each_run_as_start_and_probe_do(sudoku, probe_nodes, max_nodes):
    loop = HybridLoop(sudoku, BridgeConfig(probe_nodes=probe_nodes))
    budget = Budget(max_nodes=max_nodes, max_seconds=None)
    instances = _mixed(sudoku)
    batched = start_runs(loop, instances, budget, probe=True)
    for inst, run in zip(instances, batched):
        alone = loop.start(inst)
        if alone.status is None and probe_nodes:
            loop.probe(alone, budget)
        assert _state(run) == _state(alone)
        assert run.stats.seconds > 0
    settled = front(sudoku.layer(instances[0]), candidate_masks(instances), budget, probe_nodes).settled
    assert {Settled.CONTRADICTION, Settled.PROPAGATION} <= set(Settled(int(s)) for s in settled)


def test_a_batch_of_several_shapes_or_layers_is_started_one_by_one(sudoku):
    loop = HybridLoop(sudoku, BridgeConfig())
    instances = [sudoku.parse("1..." "..2." ".3.." "...4")] + _mixed(sudoku, 4)
    runs = start_runs(loop, instances, BUDGET, probe=True)
    assert [r.status for r in runs[:1]] == [Status.SOLVED]
    assert all(r.stats.seconds > 0 for r in runs)


def _outcome(r) -> tuple:
    return (r.status, None if r.values is None else r.values.tolist(), r.stats.search_nodes, r.stats.cycles,
            r.stats.solved_by)


@pytest.mark.parametrize("mode", ["hybrid-uniform", "hybrid-uniform-nosearch", "hybrid"])
@pytest.mark.parametrize("unique", [False, True])
def test_solve_batch_in_a_loop_mode_is_solve_instances(sudoku, mode, unique):
    instances = _mixed(sudoku, 60)
    config = BridgeConfig(batch_size=32)  # several batches: the policy's random stream runs on across them
    solver = HybridSolver.for_mode(sudoku, mode, config=config)
    expected = solver.solve_instances(instances, mode=mode, budget=BUDGET, unique=unique)
    solver = HybridSolver.for_mode(sudoku, mode, config=config)  # a fresh uniform stream
    found = hh.solve_batch(instances, sudoku, BUDGET, mode=mode, solver=solver, unique=unique)
    got = found.results()
    assert [_outcome(r) for r in got] == [_outcome(r) for r in expected]
    assert found.nodes.tolist() == [r.stats.search_nodes for r in expected]
    assert found.mode == mode and all(r.mode == mode for r in got)
    assert found.made  # the loop's puzzles carry their results, traces included
    assert all(r.trace is not None for r in found.made.values())
    if mode == "hybrid-uniform" and not unique:
        assert len(found.made) < len(instances)  # the front settled some without building anything
    assert np.all(found.seconds > 0)


def test_solve_batch_in_a_loop_mode_on_a_domain_without_a_compiled_layer(tmp_path):
    import domains

    nqueens = domains.get("nqueens")
    found = hh.solve_batch([nqueens.format(nqueens.empty(6))], "nqueens", BUDGET, mode="hybrid-uniform")
    assert found.status_names() == ["solved"]
    assert nqueens.verify(found.instance(0), found.values[0]).valid


def test_solve_batch_refuses_the_network_alone():
    with pytest.raises(ConfigError, match="neural"):
        hh.solve_batch(["1..." * 4], mode="neural")


@settings(max_examples=40, deadline=None)
@given(cells=st.lists(st.tuples(st.integers(0, 15), st.integers(1, 4)), min_size=4, max_size=9),
       mode=st.sampled_from(["hybrid-uniform", "hybrid-uniform-nosearch"]),
       probe_nodes=st.sampled_from([0, 1, 32]), max_nodes=st.sampled_from([None, 1, 3]))
def test_the_batched_loop_is_sound(sudoku, cells, mode, probe_nodes, max_nodes):
    grid = ["."] * 16
    for v, k in cells:
        grid[v] = str(k)
    instance = sudoku.parse("".join(grid))
    solver = HybridSolver.for_mode(sudoku, mode, config=BridgeConfig(probe_nodes=probe_nodes, max_cycles=2))
    found = hh.solve_batch([instance], sudoku, Budget(max_nodes=max_nodes, max_seconds=None), mode=mode,
                           solver=solver)
    status = found.status_of(0)
    if status is Status.SOLVED:
        assert sudoku.verify(instance, found.values[0]).valid
    elif status is Status.UNSOLVABLE:
        assert not brute_force(sudoku.layer(instance), instance.givens.tolist())
    else:
        assert status is Status.BUDGET_EXHAUSTED and (max_nodes is not None or mode.endswith("nosearch"))


def test_times_are_counted_once_and_add_up(sudoku):
    import time

    loop = HybridLoop(sudoku, BridgeConfig())
    instances = _mixed(sudoku, 40)
    start = time.perf_counter()
    runs = start_runs(loop, instances, BUDGET, probe=True)
    wall = time.perf_counter() - start
    assert sum(r.stats.seconds for r in runs) <= wall * 1.05  # contradictions (started one by one) too
    found = hh.solve_batch(instances, sudoku, BUDGET, mode="hybrid-uniform",
                           solver=HybridSolver.for_mode(sudoku, "hybrid-uniform"))
    assert all(found.made[i].stats.seconds == found.seconds[i] for i in found.made)

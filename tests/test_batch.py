"""The batched path: the same answers as one puzzle at a time, node for node, every answer verified.

* :func:`solvers.batch.search_many` against :func:`solvers.kernels.search`
  (the compiled search the per-puzzle path runs), on the collections and
  on random instances, orders and budgets;
* the compiled verifier against the numpy one;
* the vectorized Sudoku parser against :meth:`SudokuDomain.parse`;
* :func:`hybrid_hrm.solve_batch` against ``mode="symbolic"`` one puzzle at a time.
"""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import hybrid_hrm as hh
from domains.batch import group_puzzles
from domains.collections import collection_lines
from domains.sudoku_lines import format_lines, parse_lines
from hybrid_hrm.symbolic import solve_symbolic
from solvers import batch_kernels, kernels
from solvers.base import Budget
from solvers.batch import STATUSES, search_many
from solvers.errors import InvalidPuzzleError, SoundnessError, Status
from solvers.search import Guidance
from tests.conftest import HARD


def _one_by_one(layer, roots, guidance, max_solutions, max_nodes=-1):
    """``kernels.search`` on each row: status, first solution, nodes, backtracks."""
    out = []
    for root in roots:
        status, solutions, nodes, backtracks = kernels.search(
            root, layer._arrays, guidance.value_rank, guidance.tie_score, max_solutions, max_nodes, -1
        )
        out.append((status, solutions[0].tolist() if len(solutions) and status <= 1 else None, nodes, backtracks))
    return out


@pytest.fixture(scope="module")
def layer9(sudoku):
    return sudoku.layer(sudoku.empty(9))


def _check_same(layer, roots, guidance=None, max_solutions=1, max_nodes=None):
    V, K = layer.num_variables, layer.num_values
    guidance = guidance or Guidance.default(V, K)
    found = search_many(layer, roots, Budget(max_nodes=max_nodes, max_seconds=None), guidance=guidance,
                        max_solutions=max_solutions)
    expected = _one_by_one(layer, roots, guidance, max_solutions, -1 if max_nodes is None else max_nodes)
    for i, (status, values, nodes, backtracks) in enumerate(expected):
        assert (found.status[i], found.nodes[i], found.backtracks[i]) == (status, nodes, backtracks), i
        assert found.values[i].tolist() == (values if values is not None else [-1] * V), i
    return found


@pytest.mark.parametrize("collection, limit", [("top1465", 400), ("forum_hardest:test", 120)])
@pytest.mark.parametrize("max_solutions", [1, 2])
def test_search_many_is_the_compiled_search_node_for_node(sudoku, layer9, collection, limit, max_solutions):
    [batch], _ = group_puzzles(sudoku, collection_lines(collection, limit=limit))
    found = _check_same(layer9, batch.roots(), max_solutions=max_solutions)
    assert found.solved.all()


def test_search_many_with_the_networks_orders_and_a_node_budget(sudoku, layer9):
    [batch], _ = group_puzzles(sudoku, collection_lines("top1465", limit=60))
    rng = np.random.default_rng(3)
    guidance = Guidance.from_probs(rng.random((81, 9)))
    _check_same(layer9, batch.roots(), guidance=guidance)
    found = _check_same(layer9, batch.roots(), max_nodes=20)
    assert (found.status == kernels.BUDGET_EXHAUSTED).any() and (found.nodes <= 20).all()
    timed = search_many(layer9, batch.roots()[:3], Budget(max_nodes=None, max_seconds=0.0))
    assert [STATUSES[s] for s in timed.status] == [Status.BUDGET_EXHAUSTED] * 3


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(-1, 3), min_size=16, max_size=16), st.integers(0, 2**31), st.integers(1, 3))
def test_search_many_on_random_4x4_instances(sudoku, givens, seed, max_solutions):
    """Any givens (contradictory ones too), random orders, one to three solutions looked for."""
    layer = sudoku.layer(sudoku.empty(4))
    roots = np.where(np.array(givens) < 0, 15, 1 << np.maximum(givens, 0))[None]
    guidance = Guidance.from_probs(np.random.default_rng(seed).random((16, 4)))
    _check_same(layer, roots, guidance=guidance, max_solutions=max_solutions)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**31), st.booleans())
def test_the_compiled_verifier_is_the_numpy_one(sudoku, seed, with_candidates):
    rng = np.random.default_rng(seed)
    layer = sudoku.layer(sudoku.empty(4))
    solved = sudoku.solve(sudoku.empty(4)).values
    values = np.tile(solved, (20, 1))
    flips = rng.random((20, 16)) < 0.05
    values[flips] = rng.integers(-1, 5, flips.sum())  # some wrong, some out of range, some still right
    candidates = rng.random((20, 16, 4)) < 0.9 if with_candidates else None
    fast = layer.verify_batch(values, candidates)
    arrays, layer._arrays = layer._arrays, None  # the numpy path
    try:
        slow = layer.verify_batch(values, candidates)
    finally:
        layer._arrays = arrays
    assert fast.tolist() == slow.tolist()


def test_the_vectorized_parser_reads_what_parse_reads(sudoku):
    texts = [
        HARD, HARD.replace(".", "0"), HARD.replace(".", "_"), "  " + HARD + " \n", ".13." "...." "3..4" "....",
        "a" + "." * 255, "G" + "." * 255, "*" * 81,
    ]
    [(template9, index9, givens9), *rest] = sorted(sudoku.parse_many(texts), key=lambda r: r[0].shape)
    by_text = {}
    for template, index, givens in sudoku.parse_many(texts):
        for i, row in zip(index.tolist(), givens):
            by_text[i] = (template.shape, row)
    assert sorted(by_text) == list(range(len(texts)))
    for i, text in enumerate(texts):
        inst = sudoku.parse(text)
        assert by_text[i][0] == inst.shape and by_text[i][1].tolist() == inst.givens.tolist(), text


def test_other_forms_and_bad_puzzles_are_left_to_parse(sudoku):
    grid = "\n".join(HARD[r * 9:(r + 1) * 9] for r in range(9))
    texts = [grid, HARD[:-1] + "x", HARD + ":1:", "5" + "." * 15, HARD[:80], "é" + HARD[1:], 42]
    assert parse_lines(texts) == []  # none of them is a plain one-line puzzle
    batches, errors = group_puzzles(sudoku, texts[:6])
    assert sorted(errors) == [1, 3, 4, 5] and [b.index.tolist() for b in batches] == [[0, 2]]
    assert "bad character 'x'" in str(errors[1])


def test_format_lines_writes_what_format_writes(sudoku):
    inst = sudoku.parse(HARD)
    values = np.array([inst.givens, sudoku.solve(inst).values])
    assert format_lines(values, 9) == [sudoku.format(inst, row) for row in values]


PUZZLES = [
    HARD,                                   # 9x9, found by search
    ".13." "...." "3..4" "....",            # 4x4, by propagation
    "11.." + "." * 12,                      # contradictory givens
    "." * 16,                               # many solutions
    "12",                                   # does not parse
    "\n".join(HARD[r * 9:(r + 1) * 9] for r in range(9)),  # a grid: parsed one by one
    "1234" "3412" "2143" "4321",            # complete and right
]


@pytest.mark.parametrize("unique", [False, True])
def test_solve_batch_is_mode_symbolic_one_puzzle_at_a_time(sudoku, unique):
    found = hh.solve_batch(PUZZLES, budget=Budget(max_nodes=10_000), unique=unique, errors="keep")
    results = found.results()
    assert isinstance(results[4], InvalidPuzzleError) and found.status_names()[4] == "invalid"
    for i, text in enumerate(PUZZLES):
        if i == 4:
            continue
        expected = solve_symbolic(sudoku, sudoku.parse(text), Budget(max_nodes=10_000), unique=unique)
        got = results[i]
        assert (got.status, got.solution, got.reason, got.puzzle) == (
            expected.status, expected.solution, expected.reason, expected.puzzle), i
        assert found.nodes[i] == expected.stats.search_nodes == got.stats.search_nodes, i
        assert got.stats.solved_by == expected.stats.solved_by
        assert found.status_of(i) is expected.status
    assert found.solutions()[0] == results[0].solution and found.solutions()[4] is None
    assert (found.status_of(3) is Status.MULTIPLE_SOLUTIONS) == unique


def test_solve_batch_inputs_errors_and_timing(sudoku):
    with pytest.raises(InvalidPuzzleError, match="puzzle 5: a Sudoku has 16, 81 or 256 cells, got 2"):
        hh.solve_batch(PUZZLES)
    instances = [sudoku.parse(p) for p in collection_lines("top1465", limit=30)]
    from_instances = hh.solve_batch(instances, sudoku)
    from_array = hh.solve_batch(np.stack([inst.givens for inst in instances]))
    from_texts = hh.solve_batch(collection_lines("top1465", limit=30))
    for other in (from_array, from_texts):
        assert other.values.tolist() == from_instances.values.tolist()
        assert other.nodes.tolist() == from_instances.nodes.tolist()
    assert from_texts.solved.all() and (from_texts.seconds > 0).all()
    with pytest.raises(InvalidPuzzleError, match="givens array"):
        hh.solve_batch(np.zeros((2, 80), dtype=int))
    assert from_texts.instance(3).givens.tolist() == instances[3].givens.tolist()


def test_a_domain_without_a_batched_search_is_solved_one_by_one():
    import domains

    nqueens = domains.get("nqueens")
    found = hh.solve_batch([nqueens.format(nqueens.empty())], "nqueens")
    [result] = found.results()
    assert result.status is Status.SOLVED and nqueens.verify(nqueens.empty(), result.values).valid


def test_an_answer_the_verifier_rejects_never_comes_back(sudoku, monkeypatch):
    real = batch_kernels.search_many

    def wrong(*args):
        status, values, nodes, backtracks, ns = real(*args)
        values[:, 0] = (values[:, 0] + 1) % 9  # a wrong first cell, still "solved"
        return status, values, nodes, backtracks, ns

    monkeypatch.setattr(batch_kernels, "search_many", wrong)
    with pytest.raises(SoundnessError):
        hh.solve_batch([HARD])


def test_workers_give_the_same_result_in_the_same_order():
    lines = collection_lines("top1465", limit=300) + ["bad"] + collection_lines("forum_hardest:test", limit=40)
    one = hh.solve_batch(lines, workers=1, errors="keep")
    two = hh.solve_batch(lines, workers=2, errors="keep")
    assert two.status.tolist() == one.status.tolist() and two.values.tolist() == one.values.tolist()
    assert two.nodes.tolist() == one.nodes.tolist() and sorted(two.errors) == [300]
    assert two.solutions() == one.solutions()
    again = pickle.loads(pickle.dumps(two))  # what a worker sends back
    assert again.results()[5].solution == one.results()[5].solution


def test_a_batch_of_instances_stacks_its_arrays_on_first_use_and_its_parts_their_own(sudoku):
    """Instances are stacked lazily, so that each thread's piece stacks its own rows (not one serial
    stack before the threads start); the arrays are those of stacking everything at once."""
    instances = [sudoku.parse(p) for p in collection_lines("top1465", limit=40)]
    instances[3] = sudoku.with_givens(instances[3], instances[3].givens)  # an instance of its own
    instances[3].candidates[5, :] = False
    instances[3].candidates[5, 2] = True  # allows less than its givens say
    (batch,), _ = group_puzzles(sudoku, instances)
    part = batch.part(slice(2, 9))
    assert batch._givens is None and part._givens is None  # nothing stacked yet
    assert np.array_equal(part.candidate_array(), np.stack([i.candidates for i in instances[2:9]]))
    assert np.array_equal(part.givens, np.stack([i.givens for i in instances[2:9]]))
    assert batch._givens is None  # the part stacked its own rows only
    assert np.array_equal(batch.roots()[2:9], part.roots())
    assert part.roots()[1, 5] == 1 << 2

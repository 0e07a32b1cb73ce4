"""Propagation soundness, search completeness, uniqueness and budgets."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domains.collections import collection_lines
from domains.sudoku import sudoku_layer
from solvers import Budget, Status, search
from solvers.alldiff import AllDifferentLayer
from solvers.base import LayerDefaults, candidates_to_masks, mask_array, mask_counts, masks_to_candidates
from solvers.dense import DenseGroups
from solvers.errors import ConfigError
from tests.conftest import HARD


def _random_givens(solution: np.ndarray, rng: np.random.Generator, keep: float) -> np.ndarray:
    givens = solution.copy()
    givens[rng.random(solution.size) > keep] = -1
    return givens


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), keep=st.floats(0.0, 0.6))
def test_pruning_never_removes_a_value_of_the_solution(sudoku, generated9, seed, keep):
    rng = np.random.default_rng(seed)
    solution = generated9[seed % len(generated9)].solution
    inst = sudoku.with_givens(sudoku.empty(9), _random_givens(solution, rng, keep))
    layer = sudoku.layer(inst)
    batch = np.stack([inst.candidates, sudoku.empty(9).candidates])
    pruned, dead = layer.prune_with_status(batch)
    assert not dead.any()
    assert pruned[0][np.arange(81), solution].all()  # the solution survives
    masks = candidates_to_masks(inst.candidates)
    assert layer.propagate(masks)
    bitmask_result = masks_to_candidates(masks, 9)
    assert bitmask_result[np.arange(81), solution].all()
    # the batched prune is the search's full propagation (singles, pointing and claiming): the same fixpoint
    assert np.array_equal(bitmask_result, pruned[0])
    singles = AllDifferentLayer(layer.groups, 9, intersections=False)
    masks = candidates_to_masks(inst.candidates)
    assert singles.propagate(masks)
    assert not (bitmask_result & ~masks_to_candidates(masks, 9)).any()  # singles alone: as strong at most
    assert np.array_equal(masks_to_candidates(masks, 9), singles.prune(inst.candidates))
    # the dense rules (the path beyond 62 values) are the compiled singles, written as matrix products
    dense, dense_dead = DenseGroups.of(layer.groups, 81, 9).prune(inst.candidates[None], max_iterations=100)
    assert not dense_dead.any() and np.array_equal(dense[0], masks_to_candidates(masks, 9))


def test_batched_prune_marks_contradictions_per_instance(sudoku):
    layer = sudoku_layer(3)
    good = sudoku.parse(HARD).candidates
    bad = sudoku.parse("11" + "." * 79).candidates
    pruned, dead = layer.prune_with_status(np.stack([good, bad, good]))
    assert dead.tolist() == [False, True, False]
    assert layer.contradictions(pruned).tolist() == [False, True, False]
    assert pruned.shape == (3, 81, 9)


def test_search_solves_bundled_hard_puzzles(sudoku):
    for line in collection_lines("forum_hardest:test", limit=30):
        inst = sudoku.parse(line)
        r = sudoku.solve(inst)
        assert r.status is Status.SOLVED
        assert sudoku.verify(inst, r.values).valid


def test_a_consistent_puzzle_without_solution_is_unsolvable(sudoku, generated9):
    inst = generated9[1]
    givens = inst.givens.copy()
    layer = sudoku.layer(inst)
    # Add one given that agrees with every peer but differs from the unique solution.
    for v in np.flatnonzero(givens < 0):
        for k in range(9):
            if k == inst.solution[v]:
                continue
            trial = givens.copy()
            trial[v] = k
            if layer.verify(trial).consistent:
                bad = sudoku.with_givens(inst, trial)
                r = sudoku.solve(bad)
                assert r.status is Status.UNSOLVABLE and r.values is None
                return
    pytest.fail("no consistent wrong given found")


def test_uniqueness_check_reports_several_solutions(sudoku):
    multi = [line for line in collection_lines("serg", limit=200)]
    found = 0
    for line in multi:
        inst = sudoku.parse(line)
        r = sudoku.solve(inst, max_solutions=2)
        if r.status is Status.MULTIPLE_SOLUTIONS:
            a, b = r.solutions
            assert a != b
            assert sudoku.verify(inst, np.array(a)).valid and sudoku.verify(inst, np.array(b)).valid
            found += 1
        else:
            assert r.status is Status.SOLVED
    assert found > 0


def test_node_budget_is_never_overrun(sudoku):
    inst = sudoku.parse(HARD)
    for limit in (0, 1, 5, 17):
        r = sudoku.solve(inst, Budget(max_nodes=limit, max_seconds=None))
        assert r.status is Status.BUDGET_EXHAUSTED
        assert r.nodes <= limit


def test_time_budget_holds_on_an_empty_16x16_uniqueness_check(sudoku):
    empty = sudoku.empty(16)
    r = sudoku.solve(empty, Budget(max_nodes=None, max_seconds=0.05), max_solutions=10**9)
    assert r.status is Status.BUDGET_EXHAUSTED
    assert r.seconds < 1.0


def test_value_order_callback_is_used_and_cannot_break_soundness(sudoku):
    inst = sudoku.parse(HARD)
    layer = sudoku.layer(inst)
    calls = []

    def reversed_values(var, mask):
        calls.append(var)
        return [8, 7, 7, 6, 5, 4, 3, 2, 1, 0, 0]  # duplicates and pruned values are skipped

    r = search(layer, layer.masks(inst.candidates), value_order=reversed_values)
    assert calls and r.status is Status.SOLVED
    assert sudoku.verify(inst, np.array(r.values)).valid


@pytest.mark.parametrize(
    "bad",
    [{"max_nodes": -1}, {"max_seconds": float("nan")}, {"max_nodes": 1.5}, {"max_seconds": "3"}, {"max_nodes": True}],
)
def test_invalid_budgets_are_typed_errors(bad):
    with pytest.raises(ConfigError):
        Budget(**bad)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), keep=st.floats(0.0, 0.6))
def test_propagating_the_mask_array_in_place_is_propagating_the_list(sudoku, generated9, seed, keep):
    """The loop's form (an int64 array, propagated in place by the compiled kernel) and the list form
    reach the same fixpoint and the same verdict; the default path (through Python integers) too."""
    rng = np.random.default_rng(seed)
    solution = generated9[seed % len(generated9)].solution
    givens = _random_givens(solution, rng, keep)
    givens[rng.integers(81)] = rng.integers(9)  # sometimes a contradiction
    inst = sudoku.with_givens(sudoku.empty(9), givens)
    layer = sudoku.layer(inst)
    masks, array = candidates_to_masks(inst.candidates), mask_array(candidates_to_masks(inst.candidates))
    assert array.dtype == np.int64 and array.tolist() == masks
    ok = layer.propagate(masks)
    assert layer.propagate_array(array) == ok
    default = mask_array(candidates_to_masks(inst.candidates))
    assert LayerDefaults.propagate_array(layer, default) == ok
    if ok:
        assert array.tolist() == masks == default.tolist()
        counts, values = mask_counts(array)
        assert counts.tolist() == [bin(m).count("1") for m in masks]
        assert values.tolist() == [m.bit_length() - 1 if bin(m).count("1") == 1 else -1 for m in masks]


def test_masks_beyond_62_values_are_python_integers():
    cand = np.zeros((3, 70), dtype=bool)
    cand[0, [0, 69]] = cand[1, 64] = cand[2, :] = True
    masks = mask_array(candidates_to_masks(cand))
    assert masks.dtype == object and masks.tolist() == [1 | 1 << 69, 1 << 64, 2**70 - 1]
    counts, values = mask_counts(masks)
    assert counts.tolist() == [2, 1, 70] and values.tolist() == [-1, 64, -1]
    assert np.array_equal(masks_to_candidates(masks, 70), cand)

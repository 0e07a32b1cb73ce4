"""The compiled symbolic core (solvers.kernels): the same answers as the pure-Python search, node for node.

The reference is the pure-Python propagation the all-different layer had
before it was compiled, kept here only (:class:`ReferenceLayer`), driven by
the Python search (:func:`solvers.search.python_search`), plus a
brute-force enumeration that uses no propagation at all.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path
from typing import Sequence

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numba import njit

from domains.collections import collection_lines
from domains.sudoku import sudoku_layer
from solvers import kernels
from solvers.alldiff import AllDifferentLayer
from solvers.base import Budget, LayerDefaults
from solvers.errors import ConfigError, Status
from solvers.search import Guidance, fewest_candidates_by, python_search, ranked_values, search

ROOT = Path(__file__).resolve().parents[1]
UNLIMITED = Budget(max_nodes=None, max_seconds=None)

#: Guesses of ``sudoku.solve`` (and with ``max_solutions=2``) on top1465's first 200 puzzles, recorded by the
#: pure-Python search before the core was compiled; the digest covers statuses, backtracks and solutions too.
TOP200_NODES = [
    124, 186, 283, 18, 17, 13, 43, 120, 232, 74, 62, 75, 306, 227, 601, 51, 190, 251, 173, 107, 14, 108, 86, 188,
    136, 255, 291, 294, 112, 5, 123, 29, 27, 113, 264, 129, 179, 96, 116, 52, 129, 26, 69, 300, 310, 322, 265, 42,
    103, 113, 33, 74, 119, 152, 252, 65, 118, 148, 76, 127, 238, 7, 130, 310, 72, 75, 10, 182, 109, 185, 458, 42,
    284, 373, 305, 125, 22, 13, 214, 193, 27, 83, 208, 34, 38, 299, 58, 20, 62, 67, 123, 125, 50, 193, 32, 300, 126,
    93, 76, 36, 105, 37, 124, 239, 310, 117, 87, 14, 34, 109, 11, 56, 20, 71, 93, 6, 184, 114, 65, 107, 165, 34, 107,
    13, 29, 27, 112, 4, 76, 23, 50, 8, 86, 26, 79, 9, 8, 454, 16, 82, 227, 8, 278, 224, 24, 154, 64, 40, 169, 238,
    248, 915, 59, 135, 143, 239, 116, 78, 65, 64, 359, 16, 237, 20, 237, 13, 13, 65, 85, 62, 51, 33, 118, 256, 50,
    158, 77, 247, 13, 65, 23, 65, 114, 289, 64, 438, 36, 47, 47, 10, 11, 127, 74, 63, 72, 55, 19, 444, 191, 53,
]
TOP200_UNIQUE_NODES = [
    224, 337, 317, 460, 294, 248, 191, 342, 342, 328, 126, 163, 382, 234, 618, 207, 222, 268, 218, 424, 214, 366,
    182, 250, 212, 514, 586, 598, 122, 44, 408, 142, 119, 212, 354, 137, 278, 304, 140, 250, 192, 192, 170, 346, 310,
    334, 356, 226, 186, 172, 262, 78, 178, 172, 283, 86, 256, 170, 148, 190, 578, 170, 176, 368, 92, 196, 154, 224,
    146, 246, 512, 42, 377, 376, 320, 136, 64, 90, 330, 251, 110, 180, 210, 150, 112, 306, 90, 194, 63, 72, 134, 246,
    248, 406, 38, 310, 154, 102, 96, 262, 112, 328, 127, 370, 360, 121, 106, 206, 46, 120, 248, 195, 96, 333, 216,
    368, 196, 246, 98, 114, 334, 109, 114, 446, 46, 98, 214, 164, 92, 74, 56, 112, 112, 206, 250, 32, 119, 460, 76,
    100, 238, 60, 306, 611, 62, 304, 68, 86, 288, 247, 589, 918, 104, 174, 185, 258, 122, 261, 164, 100, 416, 78, 254,
    127, 372, 531, 438, 104, 254, 517, 450, 206, 132, 446, 240, 259, 112, 314, 86, 108, 74, 88, 216, 398, 112, 444, 56,
    92, 54, 130, 290, 236, 192, 96, 142, 116, 40, 476, 332, 74,
]
TOP200_DIGEST = "d067da7ddda0c77c631dc377f185ea4ff16906a0d3e6b4eed8eabb615064babf"


class ReferenceLayer(LayerDefaults):
    """The all-different propagation in pure Python, as it was before it was compiled (the reference), and
    pointing and claiming where everything may have changed (``touched=None``), as the shipped layer does."""

    def __init__(self, layer: AllDifferentLayer, intersections: bool = True) -> None:
        self.num_variables, self.num_values = layer.num_variables, layer.num_values
        self.peers = layer.peers
        self.exact_groups = [g for g in layer.groups if len(g) == layer.num_values]
        self.full = layer.full_mask
        self._layer = layer
        exact = [set(g) for g in self.exact_groups]
        self.pairs = [(a & b, a - b, b - a) for i, a in enumerate(exact) for b in exact[i + 1:]
                      if len(a & b) >= 2] if intersections else []

    def propagate(self, masks: list[int], touched: Sequence[int] | None = None) -> bool:
        while self._singles(masks, touched):
            if touched is not None or not self._intersections(masks):
                return True
            touched = None
        return False

    def _intersections(self, masks: list[int]) -> bool:
        """One pass of pointing and claiming; whether it removed a value (an emptied variable shows as 0)."""
        removed = False
        for both, a_rest, b_rest in self.pairs:
            inside = or_of(masks, both)
            for rest, other in ((a_rest, b_rest), (b_rest, a_rest)):
                confined = inside & ~or_of(masks, rest)  # a group's values whose places are all in both
                for v in other:
                    if masks[v] & confined:
                        masks[v] &= ~confined
                        removed = True
        return removed

    def verify(self, values, candidates=None):
        return self._layer.verify(values, candidates)  # the verifier is not what this reference is about

    def _singles(self, masks: list[int], touched: Sequence[int] | None) -> bool:
        if touched is None:
            queue = [v for v, m in enumerate(masks) if m and not m & (m - 1)]
            if any(m == 0 for m in masks):
                return False
        else:
            queue = list(touched)
        while True:
            while queue:
                v = queue.pop()
                bit = masks[v]
                for p in self.peers[v]:
                    m = masks[p]
                    if m & bit:
                        m ^= bit
                        if not m:
                            return False
                        masks[p] = m
                        if not m & (m - 1):
                            queue.append(p)
            for group in self.exact_groups:
                once = twice = 0
                for v in group:
                    twice |= once & masks[v]
                    once |= masks[v]
                if once != self.full:
                    return False
                hidden = once & ~twice
                for v in group if hidden else ():
                    h = masks[v] & hidden
                    if h and h != masks[v]:
                        if h & (h - 1):
                            return False
                        masks[v] = h
                        queue.append(v)
            if not queue:
                return True


def agree_on_fixpoint(layer: AllDifferentLayer, start: list[int], ours: list[int], theirs: list[int], ok: bool,
                      their_ok: bool) -> None:
    """Both propagations reached the same fixpoint; or one proved a contradiction the other left to the
    search (the rules' order differs), and then the starting state has no solution at all."""
    if ok and their_ok:
        assert ours == theirs
    elif ok != their_ok:
        singles = AllDifferentLayer(layer.groups, layer.num_values, intersections=False)
        assert search(singles, start, UNLIMITED).status is Status.UNSOLVABLE


def or_of(masks: list[int], variables) -> int:
    acc = 0
    for v in variables:
        acc |= masks[v]
    return acc


def latin_layer(n: int) -> AllDifferentLayer:
    rows = [[r * n + c for c in range(n)] for r in range(n)]
    return AllDifferentLayer(rows + [list(col) for col in zip(*rows)], n)


def brute_force(layer: AllDifferentLayer, givens: Sequence[int]) -> list[list[int]]:
    """Every completion of ``givens`` (-1: free), in lexicographic order, by plain backtracking (no propagation)."""
    values = list(givens)
    out: list[list[int]] = []

    def clash(v: int) -> bool:
        return any(values[p] == values[v] for p in layer.peers[v])

    if any(k >= 0 and clash(v) for v, k in enumerate(values)):
        return out
    free = [v for v, k in enumerate(values) if k < 0]

    def fill(i: int) -> None:
        if i == len(free):
            out.append(list(values))
            return
        for k in range(layer.num_values):
            values[free[i]] = k
            if not clash(free[i]):
                fill(i + 1)
        values[free[i]] = -1

    fill(0)
    return out


def masks_of(layer: AllDifferentLayer, givens: Sequence[int]) -> list[int]:
    return [layer.full_mask if k < 0 else 1 << int(k) for k in givens]


def same_result(a, b) -> None:
    assert (a.status, a.nodes, a.backtracks, a.values, a.solutions) == (
        b.status, b.nodes, b.backtracks, b.values, b.solutions
    )


@st.composite
def partial_grids(draw, layer: AllDifferentLayer, max_givens: int) -> list[int]:
    cells = draw(st.lists(st.integers(0, layer.num_variables - 1), max_size=max_givens, unique=True))
    givens = [-1] * layer.num_variables
    for v in cells:
        givens[v] = draw(st.integers(0, layer.num_values - 1))
    return givens


@st.composite
def orders(draw, layer: AllDifferentLayer) -> Guidance:
    V, K = layer.num_variables, layer.num_values
    rank = [draw(st.permutations(range(K))) for _ in range(V)]
    score = draw(st.lists(st.sampled_from([0.0, 0.25, 0.5, 1.0]), min_size=V, max_size=V))  # many ties
    return Guidance(np.array(rank), np.array(score))


SUDOKU4, LATIN4 = sudoku_layer(2), latin_layer(4)


# ------------------------------------------------------- agreement with references
@pytest.mark.parametrize("layer", [SUDOKU4, LATIN4], ids=["sudoku4", "latin4"])
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_compiled_search_finds_exactly_the_brute_force_solutions(layer, data):
    givens = data.draw(partial_grids(layer, max_givens=7))
    expected = brute_force(layer, givens)
    r = search(layer, masks_of(layer, givens), UNLIMITED, max_solutions=10_000)
    assert sorted(r.solutions) == expected
    assert r.status is (Status.SOLVED if expected else Status.UNSOLVABLE)
    assert r.values == (r.solutions[0] if expected else None)
    unique = search(layer, masks_of(layer, givens), UNLIMITED, max_solutions=2)
    want = {0: Status.UNSOLVABLE, 1: Status.SOLVED}.get(len(expected), Status.MULTIPLE_SOLUTIONS)
    assert unique.status is want and unique.solutions == r.solutions[:2]


@pytest.mark.parametrize("layer", [SUDOKU4, LATIN4, sudoku_layer(3)], ids=["sudoku4", "latin4", "sudoku9"])
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_compiled_search_is_the_python_search_node_for_node(layer, data):
    givens = data.draw(partial_grids(layer, max_givens=min(layer.num_variables // 3, 20)))
    guidance = data.draw(orders(layer))
    budget = Budget(max_nodes=data.draw(st.sampled_from([None, 0, 1, 3, 10, 50])), max_seconds=None)
    max_solutions = data.draw(st.sampled_from([1, 2, 5]))
    masks = masks_of(layer, givens)
    reference = python_search(ReferenceLayer(layer), masks, budget, variable_order=fewest_candidates_by(
        guidance.tie_score), value_order=ranked_values(guidance.value_rank), max_solutions=max_solutions)
    same_result(search(layer, masks, budget, guidance=guidance, max_solutions=max_solutions), reference)
    callables = search(layer, masks, budget, variable_order=fewest_candidates_by(guidance.tie_score),
                       value_order=ranked_values(guidance.value_rank.tolist()), max_solutions=max_solutions)
    same_result(callables, reference)
    assert budget.max_nodes is None or reference.nodes <= budget.max_nodes


@pytest.mark.parametrize("layer", [SUDOKU4, LATIN4, sudoku_layer(3), latin_layer(7)], ids=["s4", "l4", "s9", "l7"])
@settings(max_examples=50, deadline=None)
@given(data=st.data())
def test_compiled_propagation_is_the_python_propagation(layer, data):
    V = layer.num_variables
    # Candidates around a random solution (so that many states are consistent), a few of them wrong.
    solution = search(layer, [layer.full_mask] * V, guidance=data.draw(orders(layer))).values
    extra = data.draw(st.lists(st.integers(0, layer.full_mask), min_size=V, max_size=V))
    decided = data.draw(st.lists(st.booleans(), min_size=V, max_size=V))
    masks = [1 << k | (0 if d else e) for k, d, e in zip(solution, decided, extra)]
    for v in data.draw(st.lists(st.integers(0, V - 1), max_size=2)):
        masks[v] = data.draw(st.integers(1, layer.full_mask))
    touched = data.draw(st.one_of(st.none(), st.lists(st.integers(0, V - 1), max_size=4)))
    ours, theirs = list(masks), list(masks)
    agree_on_fixpoint(layer, masks, ours, theirs, layer.propagate(ours, touched),
                      ReferenceLayer(layer).propagate(theirs, touched))


def test_top1465_first_200_match_the_recorded_python_search(sudoku):
    """With singles alone (the propagation the record was made with), the compiled search is that search."""
    shipped = sudoku_layer(3)
    singles = AllDifferentLayer(shipped.groups, 9, intersections=False)
    budget = Budget()  # sudoku.solve's
    records, nodes, unique_nodes = [], [], []
    for line in collection_lines("top1465", limit=200):
        masks = singles.masks(sudoku.parse(line).candidates)
        r, u = search(singles, masks, budget), search(singles, masks, budget, max_solutions=2)
        records.append([r.status.value, r.nodes, r.backtracks, "".join(map(str, r.values)),
                        u.status.value, u.nodes, u.backtracks])
        nodes.append(r.nodes)
        unique_nodes.append(u.nodes)
    assert nodes == TOP200_NODES and unique_nodes == TOP200_UNIQUE_NODES
    assert hashlib.sha256(json.dumps(records).encode()).hexdigest() == TOP200_DIGEST


def test_intersections_at_the_root_keep_every_answer_and_save_nodes(sudoku):
    """The shipped layer adds pointing and claiming at the root: the same unique solutions, fewer nodes."""
    singles = AllDifferentLayer(sudoku_layer(3).groups, 9, intersections=False)
    ours, theirs = [], []
    for line in collection_lines("top1465", limit=200):
        inst = sudoku.parse(line)
        r, s = sudoku.solve(inst, max_solutions=2), search(singles, singles.masks(inst.candidates), max_solutions=2)
        assert (r.status, r.values) == (s.status, s.values) == (Status.SOLVED, r.values)
        ours.append(r.nodes)
        theirs.append(s.nodes)
    assert sum(ours) < 0.6 * sum(theirs)  # measured: 0.44


# ------------------------------------------------------------ statuses and budgets
def test_unsolvability_is_proved_by_search_beyond_propagation(sudoku):
    # top1465's first puzzle with one more given, consistent with its peers but not the solution's value:
    # propagation at the root finds no contradiction, 136 guesses exhaust the space (170 with singles alone).
    inst = sudoku.parse(collection_lines("top1465", limit=1)[0])
    givens = inst.givens.copy()
    givens[1] = 4
    layer = sudoku.layer(inst)
    masks = masks_of(layer, givens)
    assert layer.verify(givens).consistent and layer.propagate(list(masks))
    r = search(layer, masks, UNLIMITED, max_solutions=2)
    assert (r.status, r.values, r.nodes) == (Status.UNSOLVABLE, None, 136)
    same_result(r, python_search(ReferenceLayer(layer), masks, UNLIMITED, max_solutions=2))
    singles = AllDifferentLayer(layer.groups, 9, intersections=False)
    assert search(singles, masks, UNLIMITED, max_solutions=2).nodes == 170


@pytest.mark.parametrize(("layer", "count"), [(SUDOKU4, 288), (LATIN4, 576), (latin_layer(3), 12)])
def test_solutions_are_counted_up_to_max_solutions(layer, count):
    everything = search(layer, [layer.full_mask] * layer.num_variables, UNLIMITED, max_solutions=10**6)
    assert everything.status is Status.SOLVED and len(everything.solutions) == count
    assert len({tuple(s) for s in everything.solutions}) == count
    assert layer.verify_batch(np.array(everything.solutions)).all()
    some = search(layer, [layer.full_mask] * layer.num_variables, UNLIMITED, max_solutions=10)
    assert some.status is Status.MULTIPLE_SOLUTIONS and some.solutions == everything.solutions[:10]


def test_node_budgets_are_respected_exactly(sudoku):
    inst = sudoku.parse(collection_lines("top1465", limit=1)[0])  # 27 guesses (124 with singles alone)
    layer = sudoku.layer(inst)
    masks = layer.masks(inst.candidates)
    for limit in (0, 1, 2, 7, 26, 27, 28):
        r = search(layer, masks, Budget(max_nodes=limit, max_seconds=None))
        assert r.nodes == min(limit, 27)
        assert r.status is (Status.SOLVED if limit >= 27 else Status.BUDGET_EXHAUSTED)
        same_result(r, python_search(ReferenceLayer(layer), masks, Budget(max_nodes=limit, max_seconds=None)))


def test_time_budgets_stop_the_compiled_search(sudoku):
    inst = sudoku.parse(collection_lines("top1465", limit=1)[0])
    r = sudoku.solve(inst, Budget(max_nodes=None, max_seconds=0))
    assert r.status is Status.BUDGET_EXHAUSTED and r.nodes == 0
    empty = sudoku.empty(16)
    r = sudoku.solve(empty, Budget(max_nodes=None, max_seconds=0.05), max_solutions=10**12)
    assert r.status is Status.BUDGET_EXHAUSTED and r.nodes > 0


# ------------------------------------------------------------------ dispatch
def test_orders_without_an_array_form_run_the_python_search(sudoku):
    inst = sudoku.parse(collection_lines("top1465", limit=1)[0])
    layer = sudoku.layer(inst)
    masks = layer.masks(inst.candidates)
    seen = []

    def backwards(variable: int, mask: int) -> list[int]:
        seen.append(variable)
        return [k for k in range(8, -1, -1) if mask >> k & 1]

    r = search(layer, masks, value_order=backwards)
    assert seen and r.status is Status.SOLVED
    compiled = search(layer, masks, guidance=Guidance(np.tile(np.arange(8, -1, -1), (81, 1)), np.zeros(81)))
    assert (compiled.values, compiled.nodes, compiled.backtracks) == (r.values, r.nodes, r.backtracks)


def test_guidance_runs_in_python_on_a_layer_without_a_compiled_search():
    layer = SUDOKU4
    guidance = Guidance.from_probs(np.random.default_rng(0).random((16, 4)))
    masks = [layer.full_mask] * 16
    same_result(search(ReferenceLayer(layer), masks, guidance=guidance), search(layer, masks, guidance=guidance))


def test_guidance_is_checked():
    with pytest.raises(ConfigError):
        Guidance(np.zeros((3, 2)), np.zeros(3))  # not integers
    with pytest.raises(ConfigError):
        Guidance(np.zeros((3, 2), dtype=int), np.zeros(2))  # one score per variable
    with pytest.raises(ConfigError):
        search(SUDOKU4, [15] * 16, guidance=Guidance.default(16, 4), value_order=ranked_values([[0]] * 16))
    assert not Guidance(np.full((16, 4), 4), np.zeros(16)).fits(16, 4)  # value 4 of 0..3


def test_the_kernels_refuse_indices_outside_the_layer():
    with pytest.raises(IndexError):
        SUDOKU4.propagate([15] * 16, (16,))
    with pytest.raises(ValueError):
        kernels.search(np.full(3, 15), SUDOKU4._arrays, np.zeros((3, 4), dtype=np.int64), np.zeros(3), 1, -1, -1)


def test_layers_beyond_62_values_propagate_and_search_in_python():
    layer = AllDifferentLayer([list(range(63))], 63)
    assert layer.compiled_search([layer.full_mask] * 63, Guidance.default(63, 63), UNLIMITED, 1) is None
    masks = [1 << v for v in range(62)] + [layer.full_mask]
    assert layer.propagate(masks) and masks[-1] == 1 << 62
    r = search(layer, [layer.full_mask] * 63, UNLIMITED)
    assert r.status is Status.SOLVED and r.values == list(range(63))
    assert not layer.propagate([1] * 63)


def test_kernels_compile_once_and_load_from_the_cache_in_a_new_process(sudoku):
    sudoku.solve(sudoku.parse(collection_lines("top1465", limit=1)[0]))
    for probs in (None, np.random.default_rng(1).random((81, 9))):
        guidance = Guidance.default(81, 9) if probs is None else Guidance.from_probs(probs)
        search(sudoku_layer(3), [511] * 81, guidance=guidance, max_solutions=2)
    assert len(kernels.search.signatures) == 1 and len(kernels.propagate.signatures) <= 1  # no recompilation
    script = (
        "import domains; from solvers import kernels; s = domains.get('sudoku');"
        "assert not kernels.search.signatures; s.solve(s.parse('.13.' '....' '3..4' '....'));"
        "print(sum(kernels.search.stats.cache_hits.values()), len(kernels.search.stats.cache_misses))"
    )
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["1", "0"], out.stderr  # loaded from disk, not compiled again


# ------------------------------------------------------- the verifier's compiled quick yes
def reference_consistent(layer: AllDifferentLayer, values: list[int], candidates: np.ndarray | None) -> bool:
    """By definition: values in range (or free), no value twice in a group, each among its candidates."""
    K = layer.num_values
    if any(not -1 <= k < K for k in values):
        return False
    if candidates is not None and any(k >= 0 and not candidates[v, k] for v, k in enumerate(values)):
        return False
    return all(len(set(ks := [values[v] for v in g if values[v] >= 0])) == len(ks) for g in layer.groups)


@pytest.mark.parametrize("layer", [SUDOKU4, LATIN4, sudoku_layer(3)], ids=["sudoku4", "latin4", "sudoku9"])
@settings(max_examples=80, deadline=None)
@given(data=st.data())
def test_the_verifier_is_the_definition_on_partial_and_complete_assignments(layer, data):
    V, K = layer.num_variables, layer.num_values
    if data.draw(st.booleans()):  # around a solution, so that many assignments are consistent
        solution = search(layer, [layer.full_mask] * V, guidance=data.draw(orders(layer))).values
        values = [k if data.draw(st.integers(0, 3)) else -1 for k in solution]
        for v in data.draw(st.lists(st.integers(0, V - 1), max_size=2)):
            values[v] = data.draw(st.integers(-2, K))
    else:
        values = data.draw(st.lists(st.integers(-2, K), min_size=V, max_size=V))
    candidates = None
    if data.draw(st.booleans()):
        candidates = np.array(data.draw(st.lists(st.booleans(), min_size=V * K, max_size=V * K))).reshape(V, K)
        candidates |= np.eye(K, dtype=bool)[np.clip(values, 0, K - 1)] & data.draw(st.booleans())
    dtype = data.draw(st.sampled_from([np.int64, np.int8, np.int32]))
    verdict = layer.verify(np.array(values, dtype=dtype), candidates)
    assert verdict.consistent == reference_consistent(layer, values, candidates)
    assert verdict.consistent == (not verdict.violations)
    assert verdict.complete == all(k >= 0 for k in values)


def test_unsigned_values_that_would_wrap_to_free_are_refused():
    values = np.full(SUDOKU4.num_variables, 2**64 - 1, dtype=np.uint64)  # -1 as int64: "free" if it wrapped
    assert not SUDOKU4.verify(values).valid


def test_the_stronger_propagation_rules_benchmark_finds_the_same_solutions(capsys):
    """benchmarks/propagation_rules.py (pairs, intersections, a root probe): every variant, the same answers."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import propagation_rules
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    propagation_rules.main(["--limit", "8"])
    lines = [line for line in capsys.readouterr().out.splitlines() if "solutions as" in line]
    assert len(lines) == 8 and all(line.endswith("yes") for line in lines)
    masks = [0b0011, 0b0011, 0b0111, 0b1111]  # a naked pair {0, 1}: the others lose both values
    layer = AllDifferentLayer([[0, 1, 2, 3]], 4)
    state, queue = np.array(masks, dtype=np.int64), np.empty(5, np.uint32)
    changed, n = propagation_rules._pairs_rule(state, layer.batch_arrays, queue)
    assert changed and n == 1 and state.tolist() == [0b0011, 0b0011, 0b0100, 0b1100]


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 5), st.integers(0, 7), st.integers(1, 62), st.integers(0, 2**32 - 1))
def test_candidate_bitmasks_hold_exactly_the_candidates(rows, variables, values, seed):
    from solvers.base import candidate_mask_array

    cand = np.random.default_rng(seed).random((rows, variables, values)) < 0.5
    masks = candidate_mask_array(cand)
    assert masks.shape == (rows, variables) and masks.dtype == np.int64
    for index in np.ndindex(rows, variables):
        assert int(masks[index]) == sum(1 << k for k in range(values) if cand[index][k])
    with pytest.raises(ValueError):
        candidate_mask_array(np.zeros((1, 63), bool))


@njit
def _bit_helpers(m: int) -> tuple[int, int]:
    return kernels._ctpop(m), kernels._bit_index(m)


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=2**62 - 1))
def test_the_cpu_bit_helpers_agree_with_python(m):
    """The candidate count and the decided value come from the CPU's ``ctpop`` and ``ctlz``."""
    assert _bit_helpers(m) == (bin(m).count("1"), m.bit_length() - 1)


HARD9 = collection_lines("top1465", limit=40)


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_the_full_propagation_with_intersections_is_the_python_one(sudoku, data):
    """Hard puzzles, some givens dropped: where pointing and claiming fire, both reach the same fixpoint."""
    inst = sudoku.parse(data.draw(st.sampled_from(HARD9)))
    givens = inst.givens.copy()
    drop = data.draw(st.lists(st.sampled_from(np.flatnonzero(givens >= 0).tolist()), max_size=6, unique=True))
    givens[drop] = -1
    layer = sudoku.layer(inst)
    ours, theirs = masks_of(layer, givens), masks_of(layer, givens)
    agree_on_fixpoint(layer, masks_of(layer, givens), ours, theirs, layer.propagate(ours),
                      ReferenceLayer(layer).propagate(theirs))

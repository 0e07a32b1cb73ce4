"""The generic python-constraint layer: search results, soundness, verify, budgets."""

from __future__ import annotations

import itertools
import time

import numpy as np
import pytest
from constraint import (
    AllDifferentConstraint,
    BacktrackingSolver,
    ExactSumConstraint,
    FunctionConstraint,
    MaxSumConstraint,
    Problem,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from solvers.base import UNASSIGNED, Budget
from solvers.csp import CSPLayer
from solvers.errors import ConfigError, InvalidPuzzleError, Status
from solvers.search import search

UNLIMITED = Budget(max_nodes=None, max_seconds=60)


def solve_all(layer: CSPLayer, limit: int = 100_000, budget: Budget = UNLIMITED):
    return search(layer, layer.masks(layer.initial_candidates()), budget, max_solutions=limit)


def as_tuples(layer: CSPLayer, solutions) -> list[tuple]:
    return [tuple(layer.solutions_to_dict(s)[n] for n in layer.variables) for s in solutions]


# --- classic puzzles ------------------------------------------------------------


def send_more_money(with_strings: bool) -> Problem:
    p = Problem()
    p.addVariables("SENDMORY", range(10))
    p.addConstraint(AllDifferentConstraint(), "SENDMORY")
    if with_strings:  # column-wise with carries; compiled by python-constraint's parser
        p.addVariables(["c1", "c2", "c3"], [0, 1])
        for s in ["S != 0", "M != 0", "D + E == Y + 10*c1", "N + R + c1 == E + 10*c2",
                  "E + O + c2 == N + 10*c3", "S + M + c3 == O + 10*M"]:
            p.addConstraint(s)
    else:  # SEND + MORE - MONEY == 0, one multiplier per distinct letter
        p.addConstraint(FunctionConstraint(lambda s, m: s != 0 and m != 0), "SM")
        p.addConstraint(ExactSumConstraint(0, [1000, 91, -90, 1, -9000, -900, 10, -1]), "SENDMORY")
    return p


@pytest.mark.parametrize("with_strings", [False, True])
def test_send_more_money_is_unique(with_strings):
    layer = CSPLayer(send_more_money(with_strings))
    result = solve_all(layer, limit=2)
    assert result.status is Status.SOLVED and len(result.solutions) == 1
    d = layer.solutions_to_dict(result.values)
    words = [int("".join(str(d[c]) for c in w)) for w in ("SEND", "MORE", "MONEY")]
    assert words == [9567, 1085, 10652]
    assert layer.verify(np.array(result.values)).valid


def rooks(n: int) -> CSPLayer:
    return CSPLayer.from_spec({f"row{i}": range(n) for i in range(n)}, [(AllDifferentConstraint(), None)])


def test_rooks_counts_every_permutation():
    start = time.perf_counter()
    layer = rooks(7)
    result = solve_all(layer, limit=50_000)
    assert result.status is Status.SOLVED and len(result.solutions) == 5040
    assert len(set(map(tuple, result.solutions))) == 5040
    assert time.perf_counter() - start < 5


@pytest.mark.slow
def test_eight_rooks():
    result = solve_all(rooks(8), limit=50_000)
    assert len(result.solutions) == 40320


def test_coins_match_brute_force_and_python_constraint():
    # python-constraint's coins example: ways to make 1.00 with 1, 5, 10, 50, 100 cent coins.
    names = ("0.01", "0.05", "0.10", "0.50", "1.00")
    cents = [1, 5, 10, 50, 100]

    def problem():
        p = Problem()
        for name, c in zip(names, cents):
            p.addVariable(name, range(100 // c + 1))
        p.addConstraint(ExactSumConstraint(1.00, [float(n) for n in names]), names)
        return p

    layer = CSPLayer(problem())
    assert layer.num_values == 101  # wider than an int64 bitmask
    ours = set(as_tuples(layer, solve_all(layer).solutions))
    brute = {t for t in itertools.product(*(range(100 // c + 1) for c in cents))
             if sum(x * c for x, c in zip(t, cents)) == 100}
    theirs = {tuple(s[n] for n in names) for s in problem().getSolutions()}
    assert ours == brute == theirs and len(ours) == 159


def test_unsolvable_problems():
    pigeons = CSPLayer.from_spec({v: [1, 2] for v in "abc"}, [(AllDifferentConstraint(), None)])
    assert solve_all(pigeons).status is Status.UNSOLVABLE
    # Preprocessing empties a domain: _getArgs gives (None, None, None), the layer still loads.
    empty = CSPLayer.from_spec({"a": [1, 2], "b": [1, 2]}, [(ExactSumConstraint(10), None)])
    assert not empty.initial_candidates().any(-1).all()
    assert solve_all(empty).status is Status.UNSOLVABLE
    assert not empty.verify(np.array([1, 1])).consistent


def test_budget_is_respected():
    result = solve_all(rooks(8), budget=Budget(max_nodes=3, max_seconds=None))
    assert result.status is Status.BUDGET_EXHAUSTED and result.nodes <= 3


# --- the layer's own behaviour --------------------------------------------------


def test_caller_problem_is_left_alone_and_domains_are_declared_order():
    p = Problem()
    p.addVariables(["a", "b"], [5, 1, 3])
    p.addConstraint(ExactSumConstraint(4), ["a", "b"])
    p.addConstraint("a < b")
    layer = CSPLayer(p)
    assert p._variables == {"a": [5, 1, 3], "b": [5, 1, 3]} and p._str_constraints == ["a < b"]
    assert layer.domain_values == [[5, 1, 3], [5, 1, 3]]
    # 5 cannot reach a sum of 4 (removed by preprocessing): not a candidate.
    assert layer.initial_candidates().tolist() == [[False, True, True], [False, True, True]]
    assert as_tuples(layer, solve_all(layer).solutions) == [(1, 3)]
    assert sorted(map(tuple, (s.values() for s in p.getSolutions()))) == [(1, 3)]


def test_support_check_prunes_what_forward_checking_cannot():
    spec = ({"a": [1, 2, 3], "b": [1, 2, 3]}, [(lambda a, b: a < b, ["a", "b"])])
    plain = CSPLayer.from_spec(*spec, enumeration_limit=0)
    full = CSPLayer.from_spec(*spec)
    masks = [0b111, 0b111]
    assert plain.propagate(masks) and masks == [0b111, 0b111]
    assert full.propagate(masks) and masks == [0b011, 0b110]


def test_propagation_decides_chains_and_detects_contradictions():
    # Bare forward checking (no support enumeration) must already do all of this.
    layer = CSPLayer.from_spec({v: [1, 2, 3] for v in "abc"}, [(AllDifferentConstraint(), None)],
                               enumeration_limit=0)
    masks = [0b001, 0b011, 0b111]
    assert layer.propagate(masks) and masks == [0b001, 0b010, 0b100]
    masks = [0b001, 0b111, 0b111]
    assert layer.propagate(masks, touched=[0]) and masks == [0b001, 0b110, 0b110]
    assert not layer.propagate([0b001, 0b001, 0b111])
    assert not layer.propagate([0b000, 0b111, 0b111])
    # b and c both forced to 3 by one forward check: the constraint must be checked again.
    assert not layer.propagate([0b001, 0b101, 0b101], touched=[0])


def test_prune_batches_and_marks_dead_instances():
    layer = CSPLayer.from_spec({v: [1, 2, 3] for v in "abc"}, [(AllDifferentConstraint(), None)])
    cand = np.ones((3, 3, 3), dtype=bool)
    cand[1, 0] = [True, False, False]
    cand[2, :2] = [True, False, False]  # a = b = 1
    pruned, dead = layer.prune_with_status(cand)
    assert dead.tolist() == [False, False, True]
    assert pruned[0].all() and pruned[1, 1:, 0].sum() == 0 and not pruned[2].any()
    assert np.array_equal(layer.prune(cand[1]), pruned[1])
    with pytest.raises(InvalidPuzzleError):
        layer.prune(np.ones((3, 4), dtype=bool))


def test_verify_names_the_culprits():
    layer = CSPLayer.from_spec(
        {"a": [1, 2, 3], "b": [1, 2, 3], "c": [1, 2, 3]},
        [(AllDifferentConstraint(), ["a", "b", "c"]), (MaxSumConstraint(5), ["a", "c"])],
    )
    partial = layer.verify(np.array([1, 1, UNASSIGNED]))
    assert not partial.consistent and not partial.complete
    (violation,) = partial.violations
    assert violation.variables == (0, 1)
    assert violation.reason == "AllDifferentConstraint on (a, b, c) violated by a=2, b=2"
    over = layer.verify(np.array([2, UNASSIGNED, 2]))  # a + c = 6 > 5, and a == c
    assert {v.reason.split()[0] for v in over.violations} == {"AllDifferentConstraint", "MaxSumConstraint"}
    assert layer.verify(np.array([0, 2, 1])).valid
    assert layer.verify(np.array([0, UNASSIGNED, UNASSIGNED])).consistent
    bad = layer.verify(np.array([7, 0, -3]))
    assert [v.variables for v in bad.violations] == [(0,), (2,)] and "no value index 7" in bad.reason()
    cand = np.ones((3, 3), dtype=bool)
    cand[1, 2] = False
    refused = layer.verify(np.array([0, 2, 1]), cand)
    assert not refused.consistent and "b=3 is not a candidate (allowed: 1, 2)" in refused.reason()
    assert not layer.verify(np.array([0, 1])).consistent  # wrong length


def test_dict_round_trip_and_errors():
    layer = CSPLayer.from_spec({"x": ["lo", "hi"], "y": [10, 20, 30]}, ["y > 15"])
    values = layer.dict_to_values({"x": "hi", "y": 30})
    assert values.tolist() == [1, 2] and layer.solutions_to_dict(values) == {"x": "hi", "y": 30}
    assert layer.value_names == ["lo", "hi", "30"] and layer.full_masks == [0b11, 0b111]
    assert layer.initial_candidates().tolist() == [[True, True, False], [False, True, True]]
    with pytest.raises(InvalidPuzzleError):
        layer.dict_to_values({"x": "middle"})
    with pytest.raises(InvalidPuzzleError):
        layer.solutions_to_dict([0, 5])
    with pytest.raises(ConfigError):
        CSPLayer.from_spec({"x": [1]}, [(lambda z: z > 0, ["z"])])  # unknown variable
    with pytest.raises(ConfigError):
        CSPLayer.from_spec({"x": []})  # empty domain
    with pytest.raises(ConfigError):
        CSPLayer({"x": [1]})  # not a Problem


# --- property tests against python-constraint and brute force --------------------

FUNCS = {
    "first<last": lambda *xs: xs[0] < xs[-1],
    "odd sum": lambda *xs: sum(xs) % 2 == 1,
    "not all equal": lambda *xs: len(set(xs)) > 1,
}


@st.composite
def csp_specs(draw):
    names = [f"x{i}" for i in range(draw(st.integers(3, 5)))]
    domains = {n: draw(st.lists(st.integers(-2, 5), min_size=2, max_size=4, unique=True)) for n in names}
    specs = []
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["alldiff", "exact", "max", "func", "str<", "str+"]))
        size = 2 if kind.startswith("str") else draw(st.integers(1, len(names)))
        scope = draw(st.permutations(names))[:size]
        arg = draw(st.integers(-3, 12)) if kind in ("exact", "max", "str+") else None
        if kind == "func":
            arg = draw(st.sampled_from(sorted(FUNCS)))
        mult = draw(st.none() | st.lists(st.sampled_from([1, 2, 3]), min_size=size, max_size=size))
        specs.append((kind, tuple(scope), arg, mult if kind in ("exact", "max") else None))
    return domains, specs


def make_constraint(kind, scope, arg, mult):
    """A fresh constraint object (python-constraint's preProcess stores state in it)."""
    a, b = scope[0], scope[-1]
    if kind == "alldiff":
        return AllDifferentConstraint()
    if kind == "exact":
        return ExactSumConstraint(arg, mult)
    if kind == "max":
        return MaxSumConstraint(arg, mult)
    if kind == "func":
        return FUNCS[arg]
    return f"{a} < {b}" if kind == "str<" else f"{a} + {b} == {arg}"


def build(domains, specs, solver=None) -> Problem:
    p = Problem(solver)
    for n, d in domains.items():
        p.addVariable(n, d)
    for spec in specs:
        con = make_constraint(*spec)
        p.addConstraint(con, None if isinstance(con, str) else list(spec[1]))
    return p


def holds(spec, assign) -> bool:
    kind, scope, arg, mult = spec
    xs = [assign[n] for n in scope]
    total = sum(x * m for x, m in zip(xs, mult or [1] * len(xs)))
    if kind == "alldiff":
        return len(set(xs)) == len(xs)
    if kind == "func":
        return FUNCS[arg](*xs)
    if kind == "str<":
        return xs[0] < xs[-1]
    return total == arg if kind in ("exact", "str+") else total <= arg


def brute_force(domains, specs) -> set[tuple]:
    names = list(domains)
    return {
        t for t in itertools.product(*domains.values())
        if all(holds(s, dict(zip(names, t))) for s in specs)
    }


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(csp_specs(), st.sampled_from([0, 8, 64]))
def test_search_finds_exactly_the_true_solutions(spec, limit):
    domains, specs = spec
    layer = CSPLayer(build(domains, specs), enumeration_limit=limit)
    result = solve_all(layer)
    ours = as_tuples(layer, result.solutions)
    assert len(ours) == len(set(ours))  # no solution twice
    truth = brute_force(domains, specs)
    assert set(ours) == truth
    assert result.status is (Status.SOLVED if truth else Status.UNSOLVABLE)
    try:
        theirs = build(domains, specs, BacktrackingSolver()).getSolutions()
    except ValueError:  # python-constraint: min() of a domain a unary sum constraint emptied
        assert not truth
        theirs = []
    assert {tuple(s[n] for n in layer.variables) for s in theirs} == truth
    for values in result.solutions:
        assert layer.verify(np.array(values)).valid


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(csp_specs(), st.sampled_from([0, 8, 64]), st.data())
def test_propagation_never_removes_a_solution(spec, limit, data):
    domains, specs = spec
    layer = CSPLayer(build(domains, specs), enumeration_limit=limit)
    truth = brute_force(domains, specs)
    index = [dict(zip(d, range(len(d)))) for d in layer.domain_values]
    sol_bits = [[1 << ix[x] for ix, x in zip(index, t)] for t in truth]

    def alive(masks):
        return [bits for bits in sol_bits if all(m & b for m, b in zip(masks, bits))]

    masks = [data.draw(st.integers(1, full)) for full in layer.full_masks]
    before = alive(masks)
    ok = layer.propagate(masks)
    assert ok or not before
    if not ok:
        return
    assert alive(masks) == before
    if all(m & (m - 1) == 0 for m in masks):  # fully decided: must be a true solution
        assert alive(masks)
        return
    # One more guess propagated incrementally, as the search does.
    v = data.draw(st.sampled_from([i for i, m in enumerate(masks) if m & (m - 1)]))
    bit = data.draw(st.sampled_from([1 << k for k in range(masks[v].bit_length()) if masks[v] >> k & 1]))
    masks[v] = bit
    before = alive(masks)
    ok = layer.propagate(masks, (v,))
    assert (ok and alive(masks) == before) or (not ok and not before)
    if ok and all(m & (m - 1) == 0 for m in masks):
        assert alive(masks)

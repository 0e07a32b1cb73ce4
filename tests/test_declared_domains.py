"""Declared CSP domains: sympy relations, CSPDomain, python-constraint's examples, built-in domains."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import sympy
from constraint import ExactSumConstraint, Problem
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sympy import Abs, And, Eq, Ne, Or, Rational, symbols

from solvers.algebra import (
    LinearEquation,
    RelationConstraint,
    compile_relation,
    compile_relations,
    linear_form,
)
from solvers.base import Budget
from solvers.csp import CSPLayer
from solvers.errors import ConfigError, Status
from solvers.search import search

UNLIMITED = Budget(max_nodes=None, max_seconds=60)


def all_solutions(layer: CSPLayer, limit: int = 100_000) -> set[tuple]:
    result = search(layer, layer.masks(layer.initial_candidates()), UNLIMITED, max_solutions=limit)
    assert result.status is not Status.BUDGET_EXHAUSTED
    return {tuple(layer.solutions_to_dict(s)[n] for n in layer.variables) for s in result.solutions}


# --- solvers.algebra -----------------------------------------------------------------


def test_linear_equality_becomes_exact_sum_with_merged_symbols():
    x, y = symbols("x y")
    domains = {"x": range(10), "y": range(10)}
    [compiled] = compile_relation(Eq(x + y + x, 12), domains)
    assert isinstance(compiled.constraint, LinearEquation)
    assert compiled.scope == ("x", "y") and compiled.constraint.multipliers == (2, 1)
    layer = CSPLayer.from_spec(domains, [compiled])
    assert all_solutions(layer) == {(a, b) for a in range(10) for b in range(10) if 2 * a + b == 12}


def test_python_constraint_exact_sum_is_unsound_with_a_repeated_variable():
    """Why compile_relation merges repeated symbols: the raw constraint loses x=2, y=8."""
    p = Problem()
    p.addVariables(["x", "y"], range(10))
    p.addConstraint(ExactSumConstraint(12, [1, 1, 1]), ["x", "y", "x"])
    assert (2, 8) not in {(s["x"], s["y"]) for s in p.getSolutions()}


def test_rational_coefficients_are_scaled_to_integers():
    x, y = symbols("x y")
    assert linear_form(Eq(x / 2 + Rational(1, 3) * y, 2)) == ({x: 3, y: 2}, 12)
    assert linear_form(Eq(x - x + y, 1)) == ({y: 1}, 1)
    assert linear_form(Eq(x * y, 1)) is None and linear_form(Ne(x, 1)) is None
    assert linear_form(Eq(sympy.Float(0.5) * x, 1)) is None  # floats: exact function check instead


def test_nonlinear_and_inequalities_are_function_constraints():
    a, b, c = symbols("a b c")
    domains = {"a": range(1, 5), "b": range(1, 5), "c": range(1, 5)}
    rels = [Eq(a * b * c, 8), a + b < c + 2, Or(Eq(a, 2 * b), Eq(b, 2 * a)), Abs(a - c) <= 2]
    compiled = compile_relations(rels, domains)
    assert all(isinstance(cr.constraint, RelationConstraint) for cr in compiled)
    layer = CSPLayer.from_spec(domains, compiled)
    expected = {
        (x, y, z) for x, y, z in itertools.product(range(1, 5), repeat=3)
        if x * y * z == 8 and x + y < z + 2 and (x == 2 * y or y == 2 * x) and abs(x - z) <= 2
    }
    assert expected and all_solutions(layer) == expected


def test_and_is_split_and_exact_rationals_and_division_by_zero():
    x, y = symbols("x y")
    domains = {"x": range(0, 4), "y": range(0, 4)}
    parts = compile_relation(And(Ne(x, y), Eq(x / y, Rational(1, 3)) | Eq(x + Rational(1, 3), y)), domains)
    assert len(parts) == 2
    layer = CSPLayer.from_spec(domains, parts)
    # x/y with y = 0 is undefined: that assignment violates the relation instead of crashing.
    assert all_solutions(layer) == {(1, 3)}


def test_verifier_reason_names_the_relation():
    x, y = symbols("x y")
    layer = CSPLayer.from_spec({"x": [1, 2], "y": [1, 2]}, compile_relation(Ne(x, y), ["x", "y"]))
    verdict = layer.verify(np.array([0, 0]))
    assert not verdict.consistent and "Ne(x, y)" in verdict.reason()


@pytest.mark.parametrize(
    "bad, message",
    [
        ("x + y == 3", "strings are never evaluated"),
        (False, "write Eq(x, y)"),
        (symbols("x") + 1, "is an expression, not a relation"),
        (Eq(symbols("x"), symbols("x")), "simplifies to True"),
        (Eq(symbols("x") + symbols("z"), 1), "z, which is not a declared variable"),
        (Eq(sympy.Function("f")(symbols("x")), 1), "undefined function(s) f"),
        (Eq(2, 3, evaluate=False), "has no variables"),
        ([1, 2], "expected a sympy relation"),
        (Eq(symbols("x") + symbols("x", integer=True), 1), "same name"),
    ],
)
def test_bad_relations_raise_config_errors(bad, message):
    with pytest.raises(ConfigError) as info:
        compile_relation(bad, {"x": [1, 2], "y": [1, 2]})
    assert message in str(info.value)


def test_relation_that_cannot_be_evaluated_on_the_domain_fails_at_compile_time():
    x, y = symbols("x y")
    with pytest.raises(ConfigError, match="cannot evaluate"):
        compile_relation(x < y, {"x": ["red", "green"], "y": [1, 2]})


def test_compiled_functions_are_shared_between_renamed_relations():
    from solvers import algebra

    a, b, c, d = symbols("a b c d")
    [first] = compile_relation(Eq(a * b, 7))
    hits = algebra._lambdify.cache_info().hits
    [second] = compile_relation(Eq(c * d, 7))
    assert algebra._lambdify.cache_info().hits == hits + 1
    assert first.constraint._func(1, 7) and second.constraint._func(7, 1) and not second.constraint._func(1, 1)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    coeffs=st.lists(st.integers(-4, 4), min_size=1, max_size=4),
    names=st.lists(st.sampled_from("abc"), min_size=4, max_size=4),
    total=st.integers(-6, 12),
)
def test_linear_equations_match_brute_force(coeffs, names, total):
    """Sound and complete: same solutions as enumeration, repeated symbols and negatives included."""
    syms = {n: sympy.Symbol(n) for n in "abc"}
    lhs = sum(c * syms[n] for c, n in zip(coeffs, names))
    relation = Eq(lhs, total)
    if not isinstance(relation, Eq):  # constant relation (all coefficients cancelled): rejected
        with pytest.raises(ConfigError):
            compile_relation(relation, {n: range(-2, 3) for n in "abc"})
        return
    domains = {n: list(range(-2, 3)) for n in "abc"}
    layer = CSPLayer.from_spec(domains, compile_relation(relation, domains))
    expected = {
        vals for vals in itertools.product(range(-2, 3), repeat=3)
        if sum(c * vals["abc".index(n)] for c, n in zip(coeffs, names)) == total
    }
    assert all_solutions(layer) == expected


# --- CSPLayer.groups -------------------------------------------------------------------


def test_csp_layer_groups_are_the_constraint_scopes():
    from constraint import AllDifferentConstraint

    x, y, z = symbols("x y z")
    domains = {"x": [1, 2, 3], "y": [1, 2, 3], "z": [1, 2, 3]}
    spec = [*compile_relations([Ne(y, x), Ne(x, y), Eq(z + x, 4), Ne(z, 2)], domains),
            (AllDifferentConstraint(), ["x", "y", "z"])]
    layer = CSPLayer.from_spec(domains, spec)
    assert layer.groups == [(0, 1), (0, 1, 2), (0, 2)]  # deduplicated, sorted; the unary Ne is folded


def test_training_group_membership_accepts_a_csp_layer():
    from hybrid_hrm.train import group_membership

    layer = CSPLayer.from_spec({"a": [0, 1], "b": [0, 1], "c": [0, 1]}, ["a != b", "b != c"])
    member = group_membership(layer, layer.num_variables)
    assert member.tolist() == [[1, 0], [1, 1], [0, 1]]

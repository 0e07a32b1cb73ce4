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

from domains.csp_domain import declare_domain
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


LINEAR = dict(
    coeffs=st.lists(st.integers(-4, 4), min_size=1, max_size=4),
    names=st.lists(st.sampled_from("abc"), min_size=4, max_size=4),
    total=st.integers(-6, 12),
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(**LINEAR)
def test_linear_equation_in_python_constraints_own_solver(coeffs, names, total):
    """LinearEquation's bounds forward checking also works inside python-constraint's solvers."""
    syms = {n: sympy.Symbol(n) for n in "abc"}
    relation = Eq(sum(c * syms[n] for c, n in zip(coeffs, names)), total)
    if not isinstance(relation, Eq):
        return
    [(con, scope)] = compile_relation(relation, {n: range(-2, 3) for n in "abc"})
    p = Problem()
    p.addVariables(list("abc"), range(-2, 3))
    p.addConstraint(con, list(scope))
    got = {(s["a"], s["b"], s["c"]) for s in p.getSolutions()}
    expected = {
        vals for vals in itertools.product(range(-2, 3), repeat=3)
        if sum(c * vals["abc".index(n)] for c, n in zip(coeffs, names)) == total
    }
    assert got == expected


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(**LINEAR)
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


# --- python-constraint's example problems as declared domains ----------------------------


def einstein_domain():
    """python-constraint's examples/einstein: five houses, one variable per attribute and house."""
    from constraint import AllDifferentConstraint

    attributes = {
        "color": ["red", "white", "green", "yellow", "blue"],
        "nationality": ["brit", "swede", "dane", "norwegian", "german"],
        "drink": ["tea", "coffee", "milk", "beer", "water"],
        "smoke": ["pallmall", "dunhill", "blends", "bluemaster", "prince"],
        "pet": ["dogs", "birds", "cats", "horses", "fish"],
    }
    variables = {f"{a}{i}": values for i in range(1, 6) for a, values in attributes.items()}
    cons = [(AllDifferentConstraint(), [f"{a}{i}" for i in range(1, 6)]) for a in attributes]

    def same_house(a, x, b, y):  # "the x-person is the y-person"
        return [((lambda p, q: p != x or q == y), [f"{a}{i}", f"{b}{i}"]) for i in range(1, 6)]

    def next_to(a, x, b, y):  # "the x-person lives next to the y-person"
        out = []
        for i in range(1, 6):
            near = [f"{b}{j}" for j in (i - 1, i + 1) if 1 <= j <= 5]
            out.append(((lambda p, *qs: p != x or y in qs), [f"{a}{i}", *near]))
        return out

    cons += same_house("nationality", "brit", "color", "red")
    cons += same_house("nationality", "swede", "pet", "dogs")
    cons += same_house("nationality", "dane", "drink", "tea")
    cons += [((lambda p, q: p != "green" or q == "white"), [f"color{i}", f"color{i + 1}"]) for i in range(1, 5)]
    cons += [((lambda p: p != "green"), ["color5"])]
    cons += same_house("color", "green", "drink", "coffee")
    cons += same_house("smoke", "pallmall", "pet", "birds")
    cons += same_house("color", "yellow", "smoke", "dunhill")
    cons += [((lambda p: p == "milk"), ["drink3"]), ((lambda p: p == "norwegian"), ["nationality1"])]
    cons += next_to("smoke", "blends", "pet", "cats")
    cons += next_to("pet", "horses", "smoke", "dunhill")
    cons += same_house("smoke", "bluemaster", "drink", "beer")
    cons += same_house("nationality", "german", "smoke", "prince")
    cons += next_to("nationality", "norwegian", "color", "blue")
    cons += next_to("smoke", "blends", "drink", "water")
    return declare_domain("einstein", variables, cons, doc="Einstein's riddle: who owns the fish?")


def test_einstein_the_german_owns_the_fish_in_house_4():
    zebra = einstein_domain()
    inst = zebra.empty()
    result = zebra.solve(inst, UNLIMITED, max_solutions=2)
    assert result.status is Status.SOLVED  # exactly one solution
    answer = zebra.layer(inst).solutions_to_dict(result.values)
    assert answer["pet4"] == "fish" and answer["nationality4"] == "german"
    assert zebra.verify(inst, result.values).valid
    text = zebra.format(inst, result.values)
    assert zebra.parse(text).givens.tolist() == list(result.values)
    assert zebra.parse("pet4=fish nationality1=norwegian").givens.tolist().count(-1) == 23


def rooks_domain(n: int):
    """python-constraint's examples/rooks: one variable per column, its value the rook's row."""
    cons = [((lambda r1, r2: r1 != r2), [c1, c2]) for c1 in range(n) for c2 in range(n) if c1 < c2]
    return declare_domain(f"rooks{n}", {c: range(n) for c in range(n)}, cons)


def count_solutions(domain, limit: int = 50_000) -> int:
    inst = domain.empty()
    result = search(domain.layer(inst), domain.layer(inst).masks(inst.candidates), UNLIMITED, max_solutions=limit)
    assert result.status is not Status.BUDGET_EXHAUSTED
    return len(result.solutions)


def test_six_rooks_have_720_solutions():
    assert count_solutions(rooks_domain(6)) == 720


@pytest.mark.slow
def test_eight_rooks_have_40320_solutions():
    assert count_solutions(rooks_domain(8)) == 40320


def coins_domains():
    """python-constraint's examples/coins: 100 coins of 1, 5, 10, 50 and 100 cents make 5.00.

    Written twice: with python-constraint's float ExactSumConstraint as in the example, and
    with exact sympy equations in cents.  (The example's test asserts ``len(solve()) == 2``;
    ``solve()`` returns a pair ``(solution_iterator, variables)``, so that checks the pair.
    The problem has 104 solutions, which python-constraint's own ``getSolutions`` finds too.)
    """
    names = ("0.01", "0.05", "0.10", "0.50", "1.00")
    values = [float(x) for x in names]
    variables = {n: range(int(5.00 / v)) for n, v in zip(names, values)}
    floats = declare_domain("coins-float", variables, [
        (ExactSumConstraint(5.00, values), list(names)), (ExactSumConstraint(100), list(names)),
    ])
    coin = {n: sympy.Symbol(n) for n in names}
    cents = sum(round(v * 100) * coin[n] for n, v in zip(names, values))
    exact = declare_domain("coins", variables, [Eq(cents, 500), Eq(sum(coin.values()), 100)])
    return floats, exact, variables, names, values


def python_constraint_coins() -> set[tuple]:
    _floats, _exact, variables, names, values = coins_domains()
    p = Problem()
    for n in names:
        p.addVariable(n, variables[n])
    p.addConstraint(ExactSumConstraint(5.00, values), list(names))
    p.addConstraint(ExactSumConstraint(100), list(names))
    return {tuple(s[n] for n in names) for s in p.getSolutions()}


@pytest.mark.parametrize("which", [pytest.param("float", marks=pytest.mark.slow), "exact"])
def test_coins_have_104_solutions_as_python_constraint_finds(which):
    """The sympy version's bounds reasoning needs ~500 nodes; the float ExactSum one ~600,000 (slow)."""
    floats, exact, _variables, names, _values = coins_domains()
    theirs = python_constraint_coins()
    assert len(theirs) == 104
    for domain in [floats if which == "float" else exact]:
        inst = domain.empty()
        layer = domain.layer(inst)
        result = search(layer, layer.masks(inst.candidates), UNLIMITED, max_solutions=1000)
        ours = {tuple(layer.solutions_to_dict(s)[n] for n in names) for s in result.solutions}
        assert ours == theirs


def test_send_more_money_with_sympy():
    from constraint import AllDifferentConstraint

    L = {s.name: s for s in symbols("S E N D M O R Y")}

    def number(word: str):
        return sum(10 ** i * L[c] for i, c in enumerate(reversed(word)))

    puzzle = declare_domain("sendmore", {name: range(10) for name in L}, [
        Eq(number("SEND") + number("MORE"), number("MONEY")), Ne(L["S"], 0), Ne(L["M"], 0),
        AllDifferentConstraint(),
    ])
    [linear] = [con for con, _scope, _idx in puzzle.layer(puzzle.empty())._cons if isinstance(con, LinearEquation)]
    assert sorted(linear.multipliers) == sorted([1000, 91, -90, 1, -9000, -900, 10, -1])  # E, N, O merged
    inst = puzzle.empty()
    result = puzzle.solve(inst, UNLIMITED, max_solutions=2)
    assert result.status is Status.SOLVED  # unique
    v = puzzle.layer(inst).solutions_to_dict(result.values)
    word = lambda w: int("".join(str(v[c]) for c in w))  # noqa: E731
    assert (word("SEND"), word("MORE"), word("MONEY")) == (9567, 1085, 10652)


# --- the CSPDomain machinery ------------------------------------------------------------


def magic3():
    """3x3 magic square: digits 1..9 once each, every line sums to 15 (8 solutions)."""
    from constraint import AllDifferentConstraint

    cells = symbols("a b c d e f g h i")
    a, b, c, d, e, f, g, h, i = cells
    lines = [(a, b, c), (d, e, f), (g, h, i), (a, d, g), (b, e, h), (c, f, i), (a, e, i), (c, e, g)]
    return declare_domain("magic3", {s.name: range(1, 10) for s in cells},
                          [AllDifferentConstraint(), *[Eq(x + y + z, 15) for x, y, z in lines]])


def test_declared_text_format_round_trips_and_reports_positions():
    from solvers.errors import InvalidPuzzleError

    magic = magic3()
    inst = magic.parse("2 . . . . . . . 8")
    assert magic.format(inst) == "2.......8" and magic.parse("2.......8").givens.tolist() == inst.givens.tolist()
    assert magic.parse("a=2, i=8").givens.tolist() == inst.givens.tolist()
    for text, position in [("2.......0", 8), ("z=1", 0), ("a=1 a=1", 0), ("a", None), ("123", None)]:
        with pytest.raises(InvalidPuzzleError) as info:
            magic.parse(text)
        assert info.value.position == position, text
    with pytest.raises(InvalidPuzzleError):
        magic.parse(12)


def test_declared_domain_errors_at_declaration():
    x = sympy.Symbol("x")
    with pytest.raises(ConfigError, match="strings are not evaluated"):
        declare_domain("d", {"x": [1, 2]}, ["x > 1"])
    with pytest.raises(ConfigError, match="not a declared variable"):
        declare_domain("d", {"x": [1, 2]}, [sympy.Symbol("y") > x])
    with pytest.raises(ConfigError, match="cannot be written as a token"):
        declare_domain("d", {"x": ["a b", "c"]}, [])
    with pytest.raises(ConfigError, match="no values"):
        declare_domain("d", {"x": []}, [])


def test_generated_declared_puzzles_are_unique_and_verified():
    magic = magic3()
    puzzles = magic.generate(np.random.default_rng(1), count=4)
    assert len(puzzles) == 4
    for p in puzzles:
        assert magic.solve(p, UNLIMITED, max_solutions=2).status is Status.SOLVED
        assert magic.verify(p, p.solution).valid
        assert ((p.givens < 0) | (p.givens == p.solution)).all()
        givens_left = p.givens.copy()
        given_vars = np.flatnonzero(givens_left >= 0)
        if len(given_vars):  # minimal: removing any remaining given loses uniqueness
            givens_left[given_vars[0]] = -1
            assert not magic.is_unique(magic.layer(p), givens_left)


def test_declared_domain_in_the_hybrid_loop_and_training_helpers():
    from hybrid_hrm.bridge import HybridSolver
    from hybrid_hrm.train import group_membership

    magic = magic3()
    result = HybridSolver(magic).solve("2.......8", mode="hybrid-uniform")
    assert result.solved and magic.verify(magic.parse(result.solution), magic.parse(result.solution).givens).valid
    layer = magic.layer(magic.empty())
    assert group_membership(layer, 9).shape == (9, 9)  # all-different + 8 lines
    wrong = magic.parse("2" * 9)
    assert not magic.verify(wrong, wrong.givens).consistent


# --- built-in declared domains ----------------------------------------------------------

import domains  # noqa: E402
from domains.base import apply_symmetry  # noqa: E402
from solvers.errors import InvalidPuzzleError  # noqa: E402

BUILT_IN = {"kenken": {"size": 4}, "nqueens": {"size": 6}, "graph_coloring": {"size": 8, "colors": 3}}


@pytest.fixture(scope="module", params=sorted(BUILT_IN))
def generated(request):
    name = request.param
    domain = domains.get(name)
    return domain, domain.generate(np.random.default_rng(3), count=3, **BUILT_IN[name])


def test_built_in_domains_generate_unique_puzzles_that_solve_and_verify(generated):
    domain, puzzles = generated
    assert len(puzzles) == 3
    for p in puzzles:
        result = domain.solve(p, UNLIMITED, max_solutions=2)
        assert result.status is Status.SOLVED  # and no second solution
        assert list(result.values) == p.solution.tolist()
        assert domain.verify(p, result.values).valid
        broken = p.solution.copy()
        free = np.flatnonzero(p.givens < 0)
        broken[free[0]] = (broken[free[0]] + 1) % p.num_values
        assert not domain.verify(p, broken).valid


def test_built_in_text_round_trips(generated):
    domain, puzzles = generated
    for p in puzzles:
        again = domain.parse(domain.format(p))
        assert again.givens.tolist() == p.givens.tolist() and again.shape == p.shape
        assert again.meta.get("structure") == p.meta.get("structure")
        assert domain.layer(again) is domain.layer(p)  # cached per shape and structure
        solved = domain.parse(domain.format(p, p.solution))
        assert solved.givens.tolist() == p.solution.tolist()


def test_built_in_domains_in_the_hybrid_loop(generated):
    from hybrid_hrm.bridge import HybridSolver

    domain, puzzles = generated
    result = HybridSolver(domain.name).solve(domain.format(puzzles[0]), mode="hybrid-uniform")
    assert result.status is Status.SOLVED
    answer = domain.parse(result.solution)
    assert domain.verify(puzzles[0], answer.givens).valid and answer.givens.tolist() == puzzles[0].solution.tolist()


def test_symmetries_map_solutions_to_solutions(generated):
    domain, puzzles = generated
    rng = np.random.default_rng(0)
    for p in puzzles:
        for _ in range(4):
            moved = domain.augment(p, rng)
            assert domain.verify(moved, moved.solution).valid
            assert ((moved.givens < 0) | (moved.givens == moved.solution)).all()
            perm, relabel = domain.random_symmetry(p, rng)
            unconstrained = domain.with_givens(p, np.full(p.num_variables, -1))  # same shape and structure
            assert domain.verify(unconstrained, apply_symmetry(p.solution, perm, relabel)).valid


def test_kenken_cages_and_errors():
    kenken = domains.get("kenken")
    inst = kenken.parse("abb/acc/dde a=1- b=2* c=3/ d=2* e=3")
    assert inst.meta["structure"] == (("-", 1, (0, 3)), ("*", 2, (1, 2)), ("/", 3, (4, 5)), ("*", 2, (6, 7)),
                                      ("=", 3, (8,)))
    latin_but_wrong = np.array([0, 1, 2, 1, 2, 0, 2, 0, 1])  # rows and columns fine, cages not
    verdict = kenken.verify(inst, latin_but_wrong)
    assert not verdict.valid and "r1c2 * r1c3 = 2" in verdict.reason()
    bad = [
        ("", None), ("ab/cd a=1 b=2 c=3 d=4", 0), ("aab/cdb/cd? a=3+", 10), ("abb/acc/dde a=1- b=2* c=3/ d=2*", 10),
        ("abb/acc/dde a=1- b=2* c=3/ d=2* e=3 f=1", 36), ("abb/acc/dde a=1- b=2+ c=3/ d=2* e=3*", 32),
        ("abb/acc/dde a=1- b=2* c=3/ d=2* e=3 312/231/12x", 46), ("aba/ccc/ddd a=3+ b=1 c=6+ d=6*", 2),
        ("abb/acc/dde a=1- b=2* c=3/ d=2* e=4", 32), ("abb/acc/dde a=1- a=2* c=3/ d=2* e=3", 17),
    ]
    for text, position in bad:
        with pytest.raises(InvalidPuzzleError) as info:
            kenken.parse(text)
        assert info.value.position == position, (text, str(info.value))


def test_kenken_puzzles_of_one_size_have_their_own_layers():
    kenken = domains.get("kenken")
    a, b = kenken.generate(np.random.default_rng(11), count=2, size=4)
    assert a.meta["structure"] != b.meta["structure"]
    assert kenken.layer(a) is not kenken.layer(b)
    assert not kenken.verify(b, a.solution).valid or a.solution.tolist() == b.solution.tolist()


def test_nqueens_and_graph_coloring_errors():
    queens, coloring = domains.get("nqueens"), domains.get("graph_coloring")
    assert queens.verify(queens.parse("1" * 8), np.zeros(8, dtype=int)).reason().count("AllDifferent") == 1
    with pytest.raises(InvalidPuzzleError) as info:
        queens.parse("9.......")
    assert info.value.position == 0
    with pytest.raises(InvalidPuzzleError) as info:
        coloring.parse("4:3 0-1 1-4")
    assert info.value.position == 8
    with pytest.raises(InvalidPuzzleError) as info:
        coloring.parse("4:3 0-1 1-2 12.4")
    assert info.value.position == 15
    inst = coloring.parse("4:2 0-1 1-2 2-3 1...")
    assert coloring.to_graph(inst).number_of_edges() == 3
    assert coloring.format(inst, coloring.solve(inst).values) == "4:2 0-1 1-2 2-3 1212"


def test_cli_solves_a_kenken(capsys):
    from hybrid_hrm.cli import main

    assert main(["solve", "kenken", "abb/acc/dde a=1- b=2* c=3/ d=2* e=3", "--mode", "symbolic"]) == 0
    assert capsys.readouterr().out.strip().endswith("312/231/123")
    assert main(["solve", "kenken", "abb/acc/dde a=1- b=2* c=3/ d=2*", "--mode", "symbolic"]) == 2


# --- examples/custom_domain.py ------------------------------------------------------------


@pytest.mark.slow  # ~15 s of CPU, over 20 s on a busy machine: imports torch, generates, trains 6 s, benchmarks
def test_custom_domain_example_trains_solves_and_benchmarks(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    repo = Path(__file__).resolve().parents[1]
    run = subprocess.run(
        [sys.executable, "examples/custom_domain.py", "--minutes", "0.1", "--puzzles", "40", "--out", str(tmp_path)],
        cwd=repo, capture_output=True, text=True, timeout=600,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert (tmp_path / "model.safetensors").is_file()
    lines = run.stdout.splitlines()
    assert any(" -> solved " in line for line in lines)
    rows = {line.split()[0]: line.split()[1:4] for line in lines if line.split()[:1] in (["symbolic"], ["hybrid"],
                                                                                        ["hybrid-uniform"])}
    assert rows == {m: ["20", "0", "0"] for m in ("symbolic", "hybrid-uniform", "hybrid")}  # solved, wrong, unsolved


# --- engine changes these domains need (outside this module's files) ------------------------


def test_hybrid_batch_of_kenkens_with_different_cages():
    from hybrid_hrm.bridge import HybridSolver

    kenken = domains.get("kenken")
    puzzles = kenken.generate(np.random.default_rng(5), count=4, size=4)
    results = HybridSolver("kenken").solve([kenken.format(p) for p in puzzles], mode="hybrid-uniform")
    assert [r.status for r in results] == [Status.SOLVED] * 4


def test_python_constraint_baseline_is_refused_on_csp_domains_before_anything_runs():
    """The baseline models all-different groups only: on N-Queens it is refused up front, never wrong."""
    from hybrid_hrm.bench import BenchConfig, default_methods, run_benchmark
    from solvers.errors import ConfigError

    queens = domains.get("nqueens")
    puzzles = queens.generate(np.random.default_rng(5), count=3, size=6)
    with pytest.raises(ConfigError, match="does not apply to 'nqueens': baselines need an all-different domain"):
        run_benchmark(queens, puzzles, ["symbolic", "python-constraint"], BenchConfig())
    assert default_methods(queens, puzzles[0]) == ["symbolic"]

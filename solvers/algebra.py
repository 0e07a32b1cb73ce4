"""Sympy relations compiled into python-constraint constraints.

A puzzle's rules are easiest to read as mathematics: ``Eq(a + b + c, 15)``,
``Ne(x, y)``, ``x + y < 10``, ``And(...)``.  This module turns such sympy
relations over sympy ``Symbol`` objects into python-constraint2 constraint
objects that :class:`~solvers.csp.CSPLayer` propagates and verifies:

* a **linear equality with rational coefficients** becomes a
  :class:`LinearEquation` (a python-constraint ``ExactSumConstraint`` with
  integer multipliers, propagating bounds on the current domains), which
  prunes far more than a plain function check.  Repeated symbols are merged first
  (``S*1000 + ... + S`` is one term ``1001*S``): python-constraint's
  ExactSum keys its bounds by variable name and is unsound when a variable
  appears twice in its scope;
* a top-level ``And`` is split into its parts (each its own constraint, so
  each propagates on its own);
* anything else becomes a :class:`RelationConstraint`, a
  ``FunctionConstraint`` over the relation's free symbols, evaluated by code
  that :func:`sympy.lambdify` generates from the expression tree (once per
  relation up to renaming of its symbols; :func:`rescope` reuses a compiled
  constraint on other variables without compiling again).

User strings are never evaluated: a string is rejected with a
:class:`~solvers.errors.ConfigError`, as are Python booleans (``x == y``
compares sympy expressions structurally and gives ``False``; write
``Eq(x, y)``), plain expressions, undefined functions and symbols that are
not declared variables.

Arithmetic is exact for integer and fraction values: rational constants
(``1/3``) and divisions by a variable (``x/y``) are computed as
:class:`fractions.Fraction`, so ``Eq(x/y, Rational(1, 3))`` holds for
``x=1, y=3``.  A relation whose value is undefined for an assignment
(division by zero) counts as violated.

Examples
--------
>>> from sympy import Eq, Ne, symbols
>>> S, E = symbols("S E")
>>> digits = {"S": range(10), "E": range(10)}
>>> [lin] = compile_relation(Eq(S * 10 + E + S, 23), digits)
>>> type(lin.constraint).__name__, lin.scope, lin.constraint.multipliers
('LinearEquation', ('S', 'E'), (11, 1))
>>> [ne] = compile_relation(Ne(S, E), digits)
>>> type(ne.constraint).__name__, ne.constraint.description
('RelationConstraint', 'Ne(S, E)')
>>> compile_relation(S == E, digits)
Traceback (most recent call last):
...
solvers.errors.ConfigError: got the Python bool False, not a relation: `x == y` compares ... write Eq(x, y)
"""

from __future__ import annotations

import copy
import functools
import math
import numbers
from collections.abc import Hashable, Iterable, Mapping, Sequence
from fractions import Fraction
from typing import Any, Callable, NamedTuple

import sympy
from constraint import Constraint, ExactSumConstraint, FunctionConstraint
from sympy.core.function import AppliedUndef
from sympy.core.relational import Equality, Relational
from sympy.logic.boolalg import And, BooleanAtom, BooleanFunction
from sympy.printing.pycode import PythonCodePrinter

from .errors import ConfigError

#: What :func:`compile_relation` accepts as the ``variables`` argument.
Variables = Mapping[Hashable, Iterable[Any]] | Iterable[Hashable] | None


class CompiledRelation(NamedTuple):
    """One python-constraint constraint and its scope (variable names, in order).

    A ``(constraint, scope)`` pair, as :meth:`CSPLayer.from_spec
    <solvers.csp.CSPLayer.from_spec>` and ``Problem.addConstraint`` take it.
    """

    constraint: Constraint
    scope: tuple[Hashable, ...]


class RelationConstraint(FunctionConstraint):
    """A ``FunctionConstraint`` compiled from a sympy relation.

    ``description`` is the relation as text (used in verifier messages).
    """

    def __init__(self, relation: sympy.Basic, func: Callable[..., bool]) -> None:
        super().__init__(func)
        self.description = str(relation)


class LinearEquation(ExactSumConstraint):
    """``sum(multipliers[i] * scope[i]) == total`` with integer multipliers and total (no variable twice).

    >>> from constraint import Problem
    >>> p = Problem()
    >>> p.addVariables(["a", "b"], range(5))
    >>> p.addConstraint(LinearEquation(7, (1, 2), "Eq(a + 2*b, 7)"), ["a", "b"])
    >>> sorted((s["a"], s["b"]) for s in p.getSolutions())
    [(1, 3), (3, 2)]
    """

    def __init__(self, total: int, multipliers: tuple[int, ...], description: str) -> None:
        if any(isinstance(m, bool) or not isinstance(m, int) or m == 0 for m in multipliers):
            raise ConfigError(f"LinearEquation needs nonzero integer multipliers, got {multipliers!r}")
        super().__init__(int(total), list(multipliers))
        self.total = int(total)
        self.multipliers = tuple(multipliers)
        self.description = description

    def preProcess(self, variables: Sequence[Hashable], domains: dict, constraints: list, vconstraints: dict) -> None:
        """Remove the values outside the bounds once, before search (never fails on an emptied domain)."""
        Constraint.preProcess(self, variables, domains, constraints, vconstraints)  # unary: filter, drop
        if len(variables) < 2 or any(not domains[v] for v in variables):
            return
        terms = [sorted((m * min(domains[v]), m * max(domains[v]))) for v, m in zip(variables, self.multipliers)]
        low_sum, high_sum = sum(t[0] for t in terms), sum(t[1] for t in terms)
        for (var, m), (low, high) in zip(zip(variables, self.multipliers), terms):
            floor, ceiling = self.total - (high_sum - high), self.total - (low_sum - low)
            for value in list(domains[var]):
                if not floor <= m * value <= ceiling:
                    domains[var].remove(value)

    def __call__(self, variables: Sequence[Hashable], domains: dict, assignments: dict,
                 forwardcheck: bool = False) -> bool:
        """Bounds consistency on the *current* domains (ExactSum uses the initial ones).

        Each free variable's term must lie within ``rest - (others' max)`` and
        ``rest - (others' min)``, where ``rest`` is the total minus the assigned
        terms; with ``forwardcheck`` the values outside are hidden.  Sound for any
        signs of multipliers and values.
        """
        rest = self.total
        free = []
        for var, m in zip(variables, self.multipliers):
            if var in assignments:
                rest -= m * assignments[var]
            else:
                free.append((var, m))
        if not free:
            return rest == 0
        lows, highs = [], []
        for var, m in free:
            dom = domains[var]
            if not dom:
                return False
            a, b = m * min(dom), m * max(dom)
            lows.append(min(a, b))
            highs.append(max(a, b))
        low_sum, high_sum = sum(lows), sum(highs)
        if not low_sum <= rest <= high_sum:
            return False
        if forwardcheck:
            for (var, m), low, high in zip(free, lows, highs):
                floor, ceiling = rest - (high_sum - high), rest - (low_sum - low)
                if floor <= low and high <= ceiling:
                    continue
                dom = domains[var]
                for value in dom[:]:
                    if not floor <= m * value <= ceiling:
                        dom.hideValue(value)
                if not dom:
                    return False
        return True


class _ExactPrinter(PythonCodePrinter):
    """Python code with rational constants as exact ``Fraction`` objects."""

    def _print_Rational(self, expr: sympy.Rational) -> str:
        return f"Fraction({expr.p}, {expr.q})"

    _print_Half = _print_Rational


_PRINTER_SETTINGS = {"fully_qualified_modules": False, "inline": True, "allow_unknown_functions": True}
#: Positional symbols: relations equal up to renaming share one compiled function.
_POSITIONAL = "_hhrm_arg"
_RECIPROCAL = sympy.Function("_hhrm_recip")


def _reciprocal(value: Any) -> Any:
    """``1 / value``, exact for integers and fractions."""
    return Fraction(1, value) if isinstance(value, numbers.Rational) else 1 / value


def _is_symbolic_division(term: sympy.Basic) -> bool:
    return bool(term.is_Pow and term.exp.is_Integer and term.exp < 0 and not term.base.is_number)


@functools.lru_cache(maxsize=4096)
def _lambdify(canonical: sympy.Basic, arity: int) -> Callable[..., Any]:
    """Python function of a relation over positional symbols (cached: renamed copies share it)."""
    args = sympy.symbols(f"{_POSITIONAL}0:{arity}")
    exact = canonical.replace(_is_symbolic_division, lambda t: _RECIPROCAL(t.base) ** (-t.exp))
    return sympy.lambdify(
        args,
        exact,
        modules=[{"Fraction": Fraction, _RECIPROCAL.__name__: _reciprocal}, "math"],
        printer=_ExactPrinter(_PRINTER_SETTINGS),
        dummify=True,
    )


def _checked(func: Callable[..., Any]) -> Callable[..., bool]:
    def holds(*values: Any) -> bool:
        try:
            return bool(func(*values))
        except (ZeroDivisionError, OverflowError):  # undefined for these values: not satisfied
            return False

    return holds


def is_relation(obj: Any) -> bool:
    """Whether ``obj`` is a sympy relation or boolean combination of relations.

    >>> from sympy import Eq, Symbol
    >>> x = Symbol("x")
    >>> is_relation(Eq(x, 1)), is_relation(x + 1), is_relation("x == 1")
    (True, False, False)
    """
    return isinstance(obj, (Relational, BooleanFunction))


def _is_monomial(term: sympy.Basic) -> bool:
    """A product of symbols and positive integer powers of symbols (no sums inside)."""
    factors = term.args if term.is_Mul else (term,)
    return all(f.is_Symbol or (f.is_Pow and f.base.is_Symbol and f.exp.is_Integer and f.exp > 0) for f in factors)


def _expanded_terms(diff: sympy.Basic) -> tuple[dict[sympy.Symbol, sympy.Rational], sympy.Basic] | bool | None:
    """Fast path of :func:`linear_form` for an already expanded sum (no ``Poly``, which costs ~0.5 ms).

    ``(coefficients, constant)`` when linear, ``False`` when a term is a
    monomial of degree 2 or more, ``None`` when undecided (nested sums, functions).
    """
    coeffs: dict[sympy.Symbol, sympy.Basic] = {}
    constant: sympy.Basic = sympy.S.Zero
    for term in sympy.Add.make_args(diff):
        c, rest = term.as_coeff_Mul()
        if rest is sympy.S.One:
            constant += c
        elif rest.is_Symbol:
            coeffs[rest] = coeffs.get(rest, sympy.S.Zero) + c
        elif _is_monomial(rest):
            return False
        else:
            return None
    return coeffs, constant


def linear_form(relation: sympy.Basic) -> tuple[dict[sympy.Symbol, int], int] | None:
    """``({symbol: coefficient}, total)`` when ``relation`` is ``sum(c * x) == total``
    with rational coefficients (scaled to integers, repeated symbols merged), else ``None``.

    >>> from sympy import Eq, Rational, symbols
    >>> x, y = symbols("x y")
    >>> linear_form(Eq(x + x + Rational(1, 2) * y, 3))
    ({x: 4, y: 1}, 6)
    >>> linear_form(Eq(x * y, 3)) is None
    True
    """
    if not isinstance(relation, Equality):
        return None
    diff = relation.lhs - relation.rhs
    terms = _expanded_terms(diff)
    if terms is False:
        return None
    if terms is not None:
        coeffs, constant = terms
    else:
        symbols = sorted(diff.free_symbols, key=sympy.default_sort_key)
        if not symbols or not diff.is_polynomial(*symbols):
            return None
        poly = sympy.Poly(diff, *symbols)
        if poly.total_degree() > 1:
            return None
        coeffs = {s: poly.coeff_monomial(s) for s in symbols}
        constant = poly.coeff_monomial(1)
    if not all(c.is_Rational for c in (*coeffs.values(), constant)):
        return None
    scale = math.lcm(*(int(c.q) for c in (*coeffs.values(), constant)))
    ints = {s: int(coeffs[s] * scale) for s in sorted(coeffs, key=sympy.default_sort_key) if coeffs[s] != 0}
    if not ints:
        return None
    return ints, int(-constant * scale)


def _variable_index(variables: Variables) -> tuple[dict[str, Hashable] | None, dict[Hashable, list[Any]] | None]:
    """Symbol name -> declared variable, and the declared domains when given."""
    if variables is None:
        return None, None
    if isinstance(variables, (str, bytes)):
        raise ConfigError("variables must be a mapping or a collection of names, not a string")
    domains = None
    if isinstance(variables, Mapping):
        domains = {k: list(v) for k, v in variables.items()}
    names: dict[str, Hashable] = {}
    for key in (domains if domains is not None else list(variables)):
        name = key.name if isinstance(key, sympy.Symbol) else str(key)
        if name in names and names[name] != key:
            raise ConfigError(f"two variables share the name {name!r}: {names[name]!r} and {key!r}")
        names[name] = key
    return names, domains


def _reject(relation: Any) -> None:
    """Raise a ConfigError saying why ``relation`` is not a relation."""
    if isinstance(relation, bool):
        raise ConfigError(
            f"got the Python bool {relation}, not a relation: `x == y` compares sympy expressions "
            "structurally; write Eq(x, y)"
        )
    if isinstance(relation, (str, bytes)):
        raise ConfigError(
            f"got the string {relation!r}: strings are never evaluated; build the relation with sympy, "
            "e.g. Eq(x + y, 10)"
        )
    if isinstance(relation, BooleanAtom):
        raise ConfigError(f"the relation simplifies to {relation}: it constrains nothing (or everything)")
    if isinstance(relation, sympy.Expr):
        raise ConfigError(f"{relation} is an expression, not a relation; write e.g. Eq({relation}, 10)")
    raise ConfigError(f"expected a sympy relation (Eq, Ne, <, And, ...), got {type(relation).__name__}")


def compile_relation(relation: Any, variables: Variables = None) -> list[CompiledRelation]:
    """Compile one sympy relation into python-constraint constraints.

    Parameters
    ----------
    relation:
        ``Eq``, ``Ne``, ``<``, ``<=``, ``>``, ``>=``, or a boolean
        combination (``And``, ``Or``, ``Not``, ...) over sympy Symbols.
    variables:
        The declared variables: a mapping name -> domain values (its order
        orders scopes; integer domains allow :class:`LinearEquation`; a
        first value is tried so that a relation that cannot be evaluated
        fails here, not in the middle of a search), or just the names, or
        ``None`` (every symbol is a variable of its own name).  A symbol
        matches a variable whose name is the symbol's name.

    Returns
    -------
    list of CompiledRelation
        One ``(constraint, scope)`` pair, or one per part of a top-level ``And``.

    >>> from sympy import And, Eq, Or, symbols
    >>> a, b = symbols("a b")
    >>> [c.scope for c in compile_relation(And(a < b, Eq(a + b, 5)), {"a": [1, 2, 3], "b": [1, 2, 3]})]
    [('a', 'b'), ('a', 'b')]
    >>> compile_relation(Eq(a + b, 5), ["a"])
    Traceback (most recent call last):
    ...
    solvers.errors.ConfigError: Eq(a + b, 5) uses b, which is not a declared variable (declared: a)
    """
    names, domains = _variable_index(variables)
    return _compile(relation, names, domains)


def _compile(
    relation: Any, names: dict[str, Hashable] | None, domains: dict[Hashable, list[Any]] | None
) -> list[CompiledRelation]:
    if not is_relation(relation):
        _reject(relation)
    if isinstance(relation, And):
        return [part for arg in relation.args for part in _compile(arg, names, domains)]
    undefined = relation.atoms(AppliedUndef)
    if undefined:
        listed = ", ".join(sorted(str(f.func) for f in undefined))
        raise ConfigError(f"{relation} uses the undefined function(s) {listed}")
    symbols = [s for s in relation.free_symbols if isinstance(s, sympy.Symbol)]
    if not symbols:
        raise ConfigError(f"{relation} has no variables")
    if len({s.name for s in symbols}) < len(symbols):
        raise ConfigError(f"{relation} has two different symbols of the same name (different assumptions?)")
    if names is not None:
        missing = sorted(s.name for s in symbols if s.name not in names)
        if missing:
            declared = ", ".join(names) if len(names) <= 12 else f"{len(names)} variables"
            raise ConfigError(
                f"{relation} uses {', '.join(missing)}, which {'is' if len(missing) == 1 else 'are'} "
                f"not a declared variable (declared: {declared})"
            )
        order = {name: i for i, name in enumerate(names)}
        symbols.sort(key=lambda s: order[s.name])
        key_of = {s: names[s.name] for s in symbols}
    else:
        symbols.sort(key=sympy.default_sort_key)
        key_of = {s: s.name for s in symbols}
    integer_domains = domains is None or all(
        all(isinstance(x, numbers.Integral) for x in domains[key_of[s]]) for s in symbols
    )
    linear = linear_form(relation) if integer_domains else None
    if linear is not None:
        coeffs, total = linear
        terms = [s for s in symbols if s in coeffs]
        con = LinearEquation(total, tuple(coeffs[s] for s in terms), str(relation))
        return [CompiledRelation(con, tuple(key_of[s] for s in terms))]
    positional = sympy.symbols(f"{_POSITIONAL}0:{len(symbols)}")
    with sympy.evaluate(False):  # a renaming needs no re-simplification (which costs ~1 ms)
        canonical = relation.xreplace(dict(zip(symbols, positional)))
    func = _checked(_lambdify(canonical, len(symbols)))
    if domains is not None:
        sample = []
        for s in symbols:
            values = domains[key_of[s]]
            if not values:
                break
            sample.append(values[0])
        else:
            try:
                func(*sample)
            except Exception as exc:  # noqa: BLE001 - any failure here is a declaration error
                raise ConfigError(f"cannot evaluate {relation} on the values {tuple(sample)!r}: {exc!r}") from None
    return [CompiledRelation(RelationConstraint(relation, func), tuple(key_of[s] for s in symbols))]


def rescope(compiled: CompiledRelation, scope: Sequence[Hashable], description: str | None = None) -> CompiledRelation:
    """The same compiled constraint on other variables (same arity, same domains).

    Compile a relation once over placeholder symbols and reuse it for every
    place it applies (KenKen compiles each cage kind once): compiling costs
    about a millisecond, rescoping a microsecond.

    >>> from sympy import Eq, symbols
    >>> a, b = symbols("a b")
    >>> [template] = compile_relation(Eq(a * b, 6), {"a": range(1, 7), "b": range(1, 7)})
    >>> cage = rescope(template, ["r1c1", "r1c2"], "r1c1 * r1c2 = 6")
    >>> cage.scope, cage.constraint.description, template.constraint.description
    (('r1c1', 'r1c2'), 'r1c1 * r1c2 = 6', 'Eq(a*b, 6)')
    """
    scope = tuple(scope)
    if len(scope) != len(compiled.scope):
        raise ConfigError(f"rescope: the constraint has {len(compiled.scope)} variables, got {len(scope)}")
    constraint = copy.copy(compiled.constraint)
    if description is not None:
        constraint.description = description
    return CompiledRelation(constraint, scope)


def compile_relations(relations: Iterable[Any], variables: Variables = None) -> list[CompiledRelation]:
    """Compile several relations (see :func:`compile_relation`), in order.

    >>> from sympy import Ne, symbols
    >>> x, y, z = symbols("x y z")
    >>> len(compile_relations([Ne(x, y), Ne(y, z)]))
    2
    """
    if isinstance(relations, (str, bytes)) or is_relation(relations):
        raise ConfigError("compile_relations takes a list of relations; use compile_relation for one")
    names, domains = _variable_index(variables)
    return [part for relation in relations for part in _compile(relation, names, domains)]


__all__ = [
    "CompiledRelation",
    "LinearEquation",
    "RelationConstraint",
    "compile_relation",
    "compile_relations",
    "is_relation",
    "linear_form",
    "rescope",
]

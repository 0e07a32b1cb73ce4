"""Sympy relations compiled into python-constraint constraints.

A puzzle's rules are easiest to read as mathematics: ``Eq(a + b + c, 15)``,
``Ne(x, y)``, ``x + y < 10``, ``And(...)``.  This module turns such sympy
relations over sympy ``Symbol`` objects into python-constraint2 constraint
objects that :class:`~solvers.csp.CSPLayer` propagates and verifies:

* a **linear equality with rational coefficients** (found by
  :func:`~solvers.linear.linear_form`) becomes a
  :class:`~solvers.linear.LinearEquation` (a python-constraint
  ``ExactSumConstraint`` with integer multipliers, propagating bounds on
  the current domains), which prunes far more than a plain function check.
  Repeated symbols are merged first (``S*1000 + ... + S`` is one term
  ``1001*S``): python-constraint's ExactSum keys its bounds by variable
  name and is unsound when a variable appears twice in its scope;
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
import numbers
from collections.abc import Hashable, Iterable, Mapping, Sequence
from fractions import Fraction
from typing import Any, Callable, NamedTuple

import sympy
from constraint import Constraint, FunctionConstraint
from sympy.core.function import AppliedUndef
from sympy.core.relational import Relational
from sympy.logic.boolalg import And, BooleanAtom, BooleanFunction
from sympy.printing.pycode import PythonCodePrinter

from .errors import ConfigError
from .linear import LinearEquation, linear_form

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
    """One relation, or each part of a top-level ``And``: checked, then compiled as linear or as a function."""
    if not is_relation(relation):
        _reject(relation)
    if isinstance(relation, And):
        return [part for arg in relation.args for part in _compile(arg, names, domains)]
    symbols, key_of = _scope(relation, _relation_symbols(relation), names)
    linear = _linear_constraint(relation, symbols, key_of, domains)
    if linear is not None:
        return [linear]
    return [_function_constraint(relation, symbols, key_of, domains)]


def _relation_symbols(relation: sympy.Basic) -> list[sympy.Symbol]:
    """The relation's symbols; a ConfigError for undefined functions, no symbols or two symbols of one name."""
    undefined = relation.atoms(AppliedUndef)
    if undefined:
        listed = ", ".join(sorted(str(f.func) for f in undefined))
        raise ConfigError(f"{relation} uses the undefined function(s) {listed}")
    symbols = [s for s in relation.free_symbols if isinstance(s, sympy.Symbol)]
    if not symbols:
        raise ConfigError(f"{relation} has no variables")
    if len({s.name for s in symbols}) < len(symbols):
        raise ConfigError(f"{relation} has two different symbols of the same name (different assumptions?)")
    return symbols


def _scope(
    relation: sympy.Basic, symbols: list[sympy.Symbol], names: dict[str, Hashable] | None
) -> tuple[list[sympy.Symbol], dict[sympy.Symbol, Hashable]]:
    """The symbols in scope order (declaration order, else sympy's) and the variable each stands for.

    Every symbol must be a declared variable when ``names`` is given.
    """
    if names is None:
        ordered = sorted(symbols, key=sympy.default_sort_key)
        return ordered, {s: s.name for s in ordered}
    missing = sorted(s.name for s in symbols if s.name not in names)
    if missing:
        declared = ", ".join(names) if len(names) <= 12 else f"{len(names)} variables"
        raise ConfigError(
            f"{relation} uses {', '.join(missing)}, which {'is' if len(missing) == 1 else 'are'} "
            f"not a declared variable (declared: {declared})"
        )
    order = {name: i for i, name in enumerate(names)}
    ordered = sorted(symbols, key=lambda s: order[s.name])
    return ordered, {s: names[s.name] for s in ordered}


def _linear_constraint(
    relation: sympy.Basic,
    symbols: list[sympy.Symbol],
    key_of: dict[sympy.Symbol, Hashable],
    domains: dict[Hashable, list[Any]] | None,
) -> CompiledRelation | None:
    """A :class:`LinearEquation` when the relation is linear over integer domains, else ``None``."""
    integer_domains = domains is None or all(
        all(isinstance(x, numbers.Integral) for x in domains[key_of[s]]) for s in symbols
    )
    linear = linear_form(relation) if integer_domains else None
    if linear is None:
        return None
    coeffs, total = linear
    terms = [s for s in symbols if s in coeffs]
    con = LinearEquation(total, tuple(coeffs[s] for s in terms), str(relation))
    return CompiledRelation(con, tuple(key_of[s] for s in terms))


def _function_constraint(
    relation: sympy.Basic,
    symbols: list[sympy.Symbol],
    key_of: dict[sympy.Symbol, Hashable],
    domains: dict[Hashable, list[Any]] | None,
) -> CompiledRelation:
    """A :class:`RelationConstraint` evaluating the relation by lambdified code (shared by renamed copies)."""
    positional = sympy.symbols(f"{_POSITIONAL}0:{len(symbols)}")
    with sympy.evaluate(False):  # a renaming needs no re-simplification (which costs ~1 ms)
        canonical = relation.xreplace(dict(zip(symbols, positional)))
    func = _checked(_lambdify(canonical, len(symbols)))
    if domains is not None:
        _check_evaluates(relation, func, [domains[key_of[s]] for s in symbols])
    return CompiledRelation(RelationConstraint(relation, func), tuple(key_of[s] for s in symbols))


def _check_evaluates(relation: sympy.Basic, func: Callable[..., bool], domains: list[list[Any]]) -> None:
    """Evaluate once on the first values, so that a bad declaration fails now, not in the middle of a search."""
    if not all(domains):
        return
    sample = [values[0] for values in domains]
    try:
        func(*sample)
    except Exception as exc:  # noqa: BLE001 - any failure here is a declaration error
        raise ConfigError(f"cannot evaluate {relation} on the values {tuple(sample)!r}: {exc!r}") from None


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

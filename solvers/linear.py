"""Linear equations over integer variables: found in sympy relations, propagated by bounds.

Two halves of one job, each used by :mod:`solvers.algebra`:

* :func:`linear_form` recognises ``Eq(sum(c * x), total)`` with rational
  coefficients in a sympy relation and scales it to integers, merging
  repeated symbols (``S*1000 + ... + S`` is one term ``1001*S``):
  python-constraint's ``ExactSumConstraint`` keys its bounds by variable
  name and is unsound when a variable appears twice in its scope;
* :class:`LinearEquation` is the python-constraint constraint of such an
  equation: bounds consistency on the *current* domains, which prunes far
  more than evaluating the relation on complete assignments.

Examples
--------
>>> from sympy import Eq, symbols
>>> S, E = symbols("S E")
>>> linear_form(Eq(S * 10 + E + S, 23))
({E: 1, S: 11}, 23)
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence

import sympy
from constraint import Constraint, ExactSumConstraint
from sympy.core.relational import Equality

from .errors import ConfigError


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


def _polynomial_terms(diff: sympy.Basic) -> tuple[dict[sympy.Symbol, sympy.Basic], sympy.Basic] | None:
    """The slow path: ``(coefficients, constant)`` of a polynomial of degree 1 by ``Poly``, else ``None``."""
    symbols = sorted(diff.free_symbols, key=sympy.default_sort_key)
    if not symbols or not diff.is_polynomial(*symbols):
        return None
    poly = sympy.Poly(diff, *symbols)
    if poly.total_degree() > 1:
        return None
    return {s: poly.coeff_monomial(s) for s in symbols}, poly.coeff_monomial(1)


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
    if terms is None:
        terms = _polynomial_terms(diff)
        if terms is None:
            return None
    coeffs, constant = terms
    if not all(c.is_Rational for c in (*coeffs.values(), constant)):
        return None
    scale = math.lcm(*(int(c.q) for c in (*coeffs.values(), constant)))
    ints = {s: int(coeffs[s] * scale) for s in sorted(coeffs, key=sympy.default_sort_key) if coeffs[s] != 0}
    if not ints:
        return None
    return ints, int(-constant * scale)


__all__ = ["LinearEquation", "linear_form"]

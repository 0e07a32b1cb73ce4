"""A generic finite-domain layer on python-constraint's constraint objects.

Write a puzzle as an ordinary :class:`constraint.Problem` (``addVariable``,
``AllDifferentConstraint``, ``ExactSumConstraint``, callables, strings such
as ``"a + b == 10"``) and :class:`CSPLayer` turns it into a symbolic layer:
the same ``propagate`` / ``prune`` / ``verify`` interface as
:class:`~solvers.alldiff.AllDifferentLayer`, so :func:`solvers.search.search`
solves it.

Value index ``k`` of variable ``v`` means ``domain_values[v][k]`` (the
*declared* domain, duplicates dropped); values removed by the constraints'
own preprocessing start out as non-candidates.  Propagation is the
constraints' forward checking to a fixpoint, plus a sound support check by
enumeration for constraints with few free variables.

Examples
--------
>>> from constraint import AllDifferentConstraint
>>> from solvers.search import search
>>> layer = CSPLayer.from_spec({"a": [1, 2, 3], "b": [1, 2, 3]},
...                            [(AllDifferentConstraint(), None), ("a + b == 5", None)])
>>> result = search(layer, layer.masks(layer.initial_candidates()), max_solutions=10)
>>> sorted(sorted(layer.solutions_to_dict(s).items()) for s in result.solutions)
[[('a', 2), ('b', 3)], [('a', 3), ('b', 2)]]
"""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Callable, Hashable, Iterator, Mapping, Sequence
from itertools import product
from typing import Any

import numpy as np
from constraint import Constraint, Domain, FunctionConstraint, Problem

from .base import UNASSIGNED, LayerDefaults, Verdict, Violation
from .errors import ConfigError, InvalidPuzzleError

ConstraintLike = Constraint | Callable[..., bool] | str


def _bits(mask: int) -> Iterator[int]:
    while mask:
        low = mask & -mask
        yield low.bit_length() - 1
        mask ^= low


def _describe(con: Constraint) -> str:
    description = getattr(con, "description", None)  # e.g. the sympy relation (solvers.algebra)
    if isinstance(description, str) and description:
        return description
    if isinstance(con, FunctionConstraint):
        return f"FunctionConstraint({getattr(con._func, '__name__', 'function')})"
    return type(con).__name__


class CSPLayer(LayerDefaults):
    """A symbolic layer whose constraints are python-constraint ``Constraint`` objects.

    It writes ``propagate``, ``verify`` and ``groups``; the bitmask
    conversions (Python ints, so any ``K``), ``prune`` and
    ``prune_with_status`` (per instance ``propagate``, a contradiction
    setting that whole instance to ``False``) are :class:`~solvers.base.LayerDefaults`'.

    >>> layer = CSPLayer.from_spec({"a": [1, 2, 3], "b": [7]})
    >>> layer.masks(layer.initial_candidates()), layer.candidates([6, 1]).astype(int).tolist()
    ([7, 1], [[0, 1, 1], [1, 0, 0]])
    >>> layer = CSPLayer.from_spec({"a": [1, 2], "b": [1, 2]}, ["a != b"])
    >>> layer.prune(np.array([[True, False], [True, True]])).astype(int).tolist()
    [[1, 0], [0, 1]]

    Parameters
    ----------
    problem:
        The problem (copied; the caller's object is left as it was).
    enumeration_limit:
        Enumerate the value combinations of a constraint's 1-3 free variables
        when there are at most this many, removing values with no support
        (0 turns it off and leaves bare forward checking).
    """

    def __init__(self, problem: Problem, *, enumeration_limit: int = 64) -> None:
        if not isinstance(problem, Problem):
            raise ConfigError(f"expected a constraint.Problem, got {type(problem).__name__}")
        if isinstance(enumeration_limit, bool) or not int(enumeration_limit) >= 0:
            raise ConfigError(f"enumeration_limit must be >= 0, got {enumeration_limit!r}")
        with contextlib.suppress(TypeError, copy.Error):  # else work on the caller's problem
            problem = copy.deepcopy(problem)
        try:  # private API of python-constraint: the only way to its compiled constraints
            declared = {name: list(dict.fromkeys(dom)) for name, dom in problem._variables.items()}
            try:
                domains, constraints, _ = problem._getArgs()
            except ValueError:  # e.g. min() of a domain a unary sum constraint emptied
                if all(problem._variables.values()):
                    raise
                domains = constraints = None  # a domain emptied by preprocessing: no solution
        except Exception as exc:
            raise ConfigError(f"cannot compile the constraint problem: {exc!r}") from exc
        if not declared:
            raise InvalidPuzzleError("the problem has no variables")
        self.variables: list[Hashable] = list(declared)
        self.num_variables = len(self.variables)
        self.domain_values: list[list[Any]] = [declared[n] for n in self.variables]
        self.num_values = max(len(d) for d in self.domain_values)
        self.enumeration_limit = int(enumeration_limit)
        self.variable_names = [str(n) for n in self.variables]
        self.value_names = [
            str(next(d[k] for d in self.domain_values if len(d) > k)) for k in range(self.num_values)
        ]
        self.full_masks = [(1 << len(d)) - 1 for d in self.domain_values]
        self._pos = {n: v for v, n in enumerate(self.variables)}
        self._index = [{x: k for k, x in enumerate(d)} for d in self.domain_values]
        self._bit = [{x: 1 << k for x, k in ix.items()} for ix in self._index]
        self._cache: list[dict[int, list[Any]]] = [{} for _ in self.variables]
        # Values kept by preprocessing (on failure problem._variables holds the pruned domains).
        kept = domains if domains is not None else problem._variables
        self._allowed = [
            sum(1 << self._index[v][x] for x in set(kept[n]) if x in self._index[v])
            for v, n in enumerate(self.variables)
        ]
        self._cons: list[tuple[Constraint, tuple, tuple[int, ...]]] = []
        self._vcons: list[list[int]] = [[] for _ in self.variables]
        for con, scope in constraints or ():
            scope = tuple(scope)
            idx = tuple(sorted({self._pos[n] for n in scope}))
            for v in idx:
                self._vcons[v].append(len(self._cons))
            self._cons.append((con, scope, idx))

    @classmethod
    def from_spec(
        cls,
        variables: Mapping[Hashable, Sequence[Any]],
        constraints: Sequence[tuple[ConstraintLike, Sequence[Hashable] | None] | str] = (),
        **kwargs: Any,
    ) -> CSPLayer:
        """Build the :class:`constraint.Problem` from a domain mapping and constraint list.

        >>> layer = CSPLayer.from_spec({"x": [1, 2], "y": [1, 2]}, ["x < y"])
        >>> layer.initial_candidates().astype(int).tolist()
        [[1, 1], [1, 1]]
        >>> CSPLayer.from_spec({"x": [1]}, [(lambda z: z, ["z"])])
        Traceback (most recent call last):
        ...
        solvers.errors.ConfigError: cannot compile the constraint problem: KeyError('z')
        """
        problem = Problem()
        try:
            for name, domain in variables.items():
                problem.addVariable(name, list(domain))
            for item in constraints:
                con, scope = (item, None) if isinstance(item, str) else item
                problem.addConstraint(con, None if scope is None else list(scope))
        except (ValueError, TypeError, AssertionError) as exc:
            raise ConfigError(f"invalid constraint problem: {exc}") from exc
        return cls(problem, **kwargs)

    @property
    def groups(self) -> list[tuple[int, ...]]:
        """The constraint scopes as sorted tuples of variable indices, each once, in sorted order.

        The network's constraint-group positions (``positions="groups"``) embed
        each variable as the sum of its groups.  Unary constraints are folded
        into the domains by preprocessing and have no scope here.

        >>> layer = CSPLayer.from_spec({"a": [1, 2], "b": [1, 2], "c": [1, 2]},
        ...                            ["b != a", "a != b", "c > b", "a < 3"])
        >>> layer.groups
        [(0, 1), (1, 2)]
        """
        return sorted({idx for _con, _scope, idx in self._cons})

    # ------------------------------------------------------------------ search
    def initial_candidates(self) -> np.ndarray:
        """``[V, K]`` candidates: the declared values the preprocessing kept."""
        return self.candidates(self._allowed)

    def propagate(self, masks: list[int], touched: Sequence[int] | None = None) -> bool:
        """Forward checking (plus support checks) in place to a fixpoint; ``False`` on contradiction.

        ``touched``: variables changed since the last fixpoint (``None``: all).

        >>> layer = CSPLayer.from_spec({"a": [1, 2, 3], "b": [1, 2, 3]}, ["a + b == 5"])
        >>> masks = [0b010, 0b111]
        >>> layer.propagate(masks), masks
        (True, [2, 4])
        >>> layer.propagate([0b100, 0b100])
        False
        """
        names, values, bits = self.variables, self.domain_values, self._bit
        if touched is None:
            for v in range(self.num_variables):
                masks[v] &= self._allowed[v]
                if not masks[v]:
                    return False
            queue = set(range(len(self._cons)))
        else:
            queue = {c for v in touched for c in self._vcons[v]}
        domains, assignments = self._search_state(masks)
        while queue:
            c = queue.pop()
            con, scope, idx = self._cons[c]
            if not con(scope, domains, assignments, True):
                return False
            support = self._supports(con, scope, idx, masks, domains, assignments)
            decided = False
            for v in idx:
                dom, old = domains[names[v]], masks[v]
                new = old if len(dom) == old.bit_count() else old & sum(map(bits[v].__getitem__, dom))
                if v in support:
                    for k in _bits(new & ~support[v]):
                        dom.hideValue(values[v][k])
                    new &= support[v]
                if new == old:
                    continue
                if not new:
                    return False
                masks[v] = new
                if not new & (new - 1):
                    assignments[names[v]] = values[v][new.bit_length() - 1]
                    decided = True
                queue.update(self._vcons[v])
            # c is at its own fixpoint unless a variable got a value or support checks became cheap.
            if not decided and (support or not self._enumerable(idx, masks, assignments)):
                queue.discard(c)
        return True

    def _search_state(self, masks: list[int]) -> tuple[dict[Hashable, Domain], dict[Hashable, Any]]:
        """python-constraint's view of ``masks``: a ``Domain`` per variable, and the values of decided ones."""
        names, values = self.variables, self.domain_values
        domains: dict[Hashable, Domain] = {}
        assignments: dict[Hashable, Any] = {}
        for v, m in enumerate(masks):
            domains[names[v]] = Domain(self._values_of(v, m))
            if not m & (m - 1):
                assignments[names[v]] = values[v][m.bit_length() - 1]
        return domains, assignments

    def _supports(self, con: Constraint, scope: tuple, idx: tuple[int, ...], masks: list[int],
                  domains: dict[Hashable, Domain], assignments: dict[Hashable, Any]) -> dict[int, int]:
        """Support check by enumeration: for each free variable of ``con``, the mask of its values that
        some satisfying combination uses (``{}`` when the combinations are too many to enumerate)."""
        free = self._enumerable(idx, masks, assignments)
        if not free:
            return {}
        names, values = self.variables, self.domain_values
        trial = dict(assignments)
        support = dict.fromkeys(free, 0)
        for combo in product(*(list(_bits(masks[v])) for v in free)):
            for v, k in zip(free, combo):
                trial[names[v]] = values[v][k]
            if con(scope, domains, trial):
                for v, k in zip(free, combo):
                    support[v] |= 1 << k
        return support

    def _enumerable(self, idx: tuple[int, ...], masks: list[int], assignments: dict) -> list[int]:
        limit, names = self.enumeration_limit, self.variables
        free = [v for v in idx if names[v] not in assignments] if limit > 0 else []
        if len(free) > 3:
            return []
        size = 1
        for v in free:
            size *= masks[v].bit_count()
        return free if size <= limit else []

    def _values_of(self, v: int, mask: int) -> list[Any]:
        cache = self._cache[v]
        vals = cache.get(mask)
        if vals is None:
            vals = [self.domain_values[v][k] for k in _bits(mask)]
            if len(cache) < 4096:
                cache[mask] = vals
        return vals

    # ------------------------------------------------------------------ verify
    def verify(self, values: np.ndarray, candidates: np.ndarray | None = None) -> Verdict:
        """Check a (partial) assignment of value indices; ``UNASSIGNED`` (-1) marks a free variable.

        >>> layer = CSPLayer.from_spec({"a": [1, 2], "b": [1, 2]}, ["a + b == 3"])
        >>> layer.verify(np.array([1, 1])).reason()
        'ExactSumConstraint on (a, b) violated by a=2, b=2'
        >>> layer.verify(np.array([0, 1])).valid
        True
        """
        values = np.asarray(values).reshape(-1)
        V, names = self.num_variables, self.variables
        if values.shape[0] != V:
            return Verdict(False, False, (Violation((), f"expected {V} values, got {values.shape[0]}"),))
        cand = None if candidates is None else np.asarray(candidates, dtype=bool).reshape(V, -1)
        violations: list[Violation] = []
        assignments: dict[Hashable, Any] = {}
        for v, k in enumerate(int(x) for x in values):
            if k == UNASSIGNED:
                continue
            dom, name = self.domain_values[v], self.variable_names[v]
            if not 0 <= k < len(dom):
                violations.append(Violation((v,), f"{name} has no value index {k}"))
                continue
            assignments[names[v]] = dom[k]
            if cand is not None and not (k < cand.shape[1] and cand[v, k]):
                allowed = ", ".join(str(dom[j]) for j in np.flatnonzero(cand[v]) if j < len(dom))
                violations.append(
                    Violation((v,), f"{name}={dom[k]!r} is not a candidate (allowed: {allowed or 'none'})")
                )
            elif not self._allowed[v] >> k & 1:
                violations.append(
                    Violation((v,), f"{name}={dom[k]!r} is excluded by the problem's preprocessing")
                )
        domains = {
            n: Domain([assignments[n]] if n in assignments else [self.domain_values[v][k] for k in _bits(a)])
            for v, (n, a) in enumerate(zip(names, self._allowed))
        }
        for con, scope, idx in self._cons:
            if not con(scope, domains, assignments):
                who = tuple(v for v in idx if names[v] in assignments) or idx
                by = ", ".join(f"{self.variable_names[v]}={assignments[names[v]]!r}" for v in who
                               if names[v] in assignments)
                where = ", ".join(self.variable_names[v] for v in idx)
                violations.append(Violation(who, f"{_describe(con)} on ({where}) violated by {by or 'domains'}"))
        complete = bool((values >= 0).all())
        return Verdict(consistent=not violations, complete=complete, violations=tuple(violations))

    # ----------------------------------------------------------------- helpers
    def solutions_to_dict(self, values: Sequence[int]) -> dict[Hashable, Any]:
        """Value indices -> ``{variable: value}`` as python-constraint returns (free ones left out).

        >>> CSPLayer.from_spec({"a": ["x", "y"]}).solutions_to_dict([1])
        {'a': 'y'}
        """
        out: dict[Hashable, Any] = {}
        for v, k in enumerate(int(x) for x in values):
            if k == UNASSIGNED:
                continue
            if not 0 <= k < len(self.domain_values[v]):
                raise InvalidPuzzleError(f"{self.variable_names[v]} has no value index {k}", position=v)
            out[self.variables[v]] = self.domain_values[v][k]
        return out

    def dict_to_values(self, solution: Mapping[Hashable, Any]) -> np.ndarray:
        """``{variable: value}`` -> ``[V]`` value indices (``UNASSIGNED`` where missing).

        >>> CSPLayer.from_spec({"a": ["x", "y"], "b": [5]}).dict_to_values({"a": "y"}).tolist()
        [1, -1]
        """
        out = np.full(self.num_variables, UNASSIGNED, dtype=np.int64)
        for name, value in solution.items():
            v = self._pos.get(name)
            if v is None or value not in self._index[v]:
                raise InvalidPuzzleError(f"no variable {name!r} with value {value!r}")
            out[v] = self._index[v][value]
        return out

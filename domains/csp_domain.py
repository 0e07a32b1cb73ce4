"""Declared puzzles: variables with finite domains plus constraints, as a full :class:`Domain`.

Write a puzzle family down as a constraint problem and get everything the
engine needs: parsing and formatting, a symbolic layer
(:class:`~solvers.csp.CSPLayer`, one per shape and structure, cached),
verification, token encoding, and a generator of puzzles with unique
solutions, so ``hybrid-hrm train``, ``solve`` and ``bench`` work on it.

Two ways to declare a domain:

* :func:`declare_domain` for a fixed puzzle family: variables (name ->
  values) and constraints, each a sympy relation (compiled by
  :mod:`solvers.algebra`), a python-constraint ``Constraint`` applying to
  every variable, or a ``(constraint_or_function, scope)`` pair;
* a :class:`CSPDomain` subclass for a parametrised family: it gives
  ``variables(shape)``, ``constraints(shape, structure)`` and
  ``default_shape(**options)``.  The *shape* (e.g. ``(4, 4)`` for a 4x4
  grid) fixes the variables and values; the optional *structure* (a
  hashable, e.g. KenKen's cages) is per-instance constraint data kept in
  ``instance.meta["structure"]``.  Structure ``None`` means the
  constraints every instance of the shape shares (a Latin square for
  KenKen): :meth:`CSPDomain.generate` draws a random solution of those,
  asks :meth:`CSPDomain.random_structure` for a structure fitting it,
  then removes givens while the solution stays unique.

Text format of declared domains (:mod:`domains.csp_text`; subclasses add
their own structure):

* one token per variable in declaration order, the value as ``str``
  writes it, ``.`` for unknown: ``"1 . 3"``; when every value is a single
  character the tokens may run together: ``"1.3"``;
* or ``name=value`` pairs in any order, separated by spaces, commas or
  semicolons: ``"a=1, c=3"``; variables not named are unknown.

Examples
--------
>>> from sympy import Eq, symbols
>>> from constraint import AllDifferentConstraint
>>> a, b, c = symbols("a b c")
>>> triple = declare_domain("triple", {n: range(1, 5) for n in "abc"},
...                         [Eq(a + b, c), AllDifferentConstraint()], doc="a + b = c, all different")
>>> inst = triple.parse("a=1 b=2")
>>> triple.format(inst), triple.format(inst, triple.solve(inst).values)
('12.', '123')
>>> [puzzle] = triple.generate(np.random.default_rng(0))
>>> triple.solve(puzzle, max_solutions=2).status.value
'solved'
"""

from __future__ import annotations

import abc
import functools
import numbers
import re
from collections import OrderedDict
from collections.abc import Hashable, Mapping, Sequence
from typing import Any, ClassVar

import numpy as np
from constraint import Constraint

from solvers.algebra import compile_relations, is_relation
from solvers.base import UNASSIGNED, Budget
from solvers.csp import CSPLayer
from solvers.errors import ConfigError, InvalidPuzzleError, SoundnessError, Status, UnsupportedError
from solvers.search import fewest_candidates_by, search

from .base import Domain, Instance
from .csp_text import as_text, check_tokens, read_values, write_values
from .generation import augment_by_symmetry, random_value_order, remove_givens

Shape = tuple[int, ...]
#: One declared constraint: a sympy relation, a Constraint over every variable,
#: or a ``(Constraint or function, scope)`` pair.
ConstraintItem = Any


# --------------------------------------------------------------------------- declarations
def _constraint_pairs(items: Sequence[ConstraintItem], variables: Mapping[Hashable, Sequence[Any]]) -> list:
    """The declared constraints as ``(constraint, scope)`` pairs for :meth:`CSPLayer.from_spec`.

    Sympy relations are compiled together (:func:`~solvers.algebra.compile_relations`),
    after the other pairs; anything else is refused with a ConfigError naming its position.
    """
    relations, pairs = [], []
    for i, item in enumerate(items):
        if is_relation(item):
            relations.append(item)
        elif isinstance(item, Constraint):
            pairs.append((item, None))
        elif isinstance(item, tuple) and len(item) == 2 and not isinstance(item[0], str):
            con, scope = item
            if not (isinstance(con, Constraint) or callable(con)):
                raise ConfigError(f"constraint {i}: {type(con).__name__} is neither a Constraint nor a function")
            if isinstance(scope, str) or scope is None:
                raise ConfigError(f"constraint {i}: give the scope as a list of variable names")
            pairs.append((con, list(scope)))
        elif isinstance(item, str):
            raise ConfigError(f"constraint {i}: strings are not evaluated; write {item!r} as a sympy relation")
        else:
            raise ConfigError(
                f"constraint {i}: expected a sympy relation, a Constraint or a (constraint, scope) pair, "
                f"got {type(item).__name__}"
            )
    return pairs + compile_relations(relations, variables)


# --------------------------------------------------------------------------- the base class
class CSPDomain(Domain):
    """Base class of domains declared as finite-domain constraint problems (see the module docstring)."""

    #: Layers kept per domain (one per shape and structure).
    layer_cache_size: ClassVar[int] = 256
    #: Search limits of one uniqueness check in the generator (over it: the given stays).
    unique_budget: ClassVar[Budget] = Budget(max_nodes=20_000, max_seconds=5.0)

    # ------------------------------------------------------------- what a subclass gives
    @abc.abstractmethod
    def variables(self, shape: Shape) -> Mapping[Hashable, Sequence[Any]]:
        """Variable name -> values, in order, for instances of ``shape``."""

    @abc.abstractmethod
    def constraints(self, shape: Shape, structure: Hashable | None) -> Sequence[ConstraintItem]:
        """The constraints of ``shape`` with ``structure`` (``None``: those every instance shares)."""

    @abc.abstractmethod
    def default_shape(self, **options: Any) -> Shape:
        """The shape ``generate`` and ``empty`` use (``options`` as ``generate`` got them, e.g. ``size``)."""

    def random_structure(self, rng: np.random.Generator, shape: Shape, solution: np.ndarray) -> Hashable | None:
        """A random structure that ``solution`` (value indices) satisfies; ``None``: no structure."""
        return None

    # ------------------------------------------------------------------------ layers
    def layer_for(self, shape: Shape, structure: Hashable | None = None) -> CSPLayer:
        """The symbolic layer of ``shape`` with ``structure`` (built once, then cached)."""
        cache: OrderedDict = self.__dict__.setdefault("_layers", OrderedDict())
        key = (tuple(shape), structure)
        layer = cache.get(key)
        if layer is not None:
            cache.move_to_end(key)
            return layer
        variables = self.variables(tuple(shape))
        layer = CSPLayer.from_spec(variables, _constraint_pairs(self.constraints(tuple(shape), structure), variables))
        check_tokens(layer, self.name)
        cache[key] = layer
        while len(cache) > self.layer_cache_size:
            cache.popitem(last=False)
        return layer

    def layer(self, instance: Instance) -> CSPLayer:
        """The layer of this instance: its shape and its structure (``instance.meta["structure"]``)."""
        return self.layer_for(instance.shape, instance.meta.get("structure"))

    def shape_layer(self, instance: Instance) -> CSPLayer:
        """The layer of the constraints every instance of this shape shares (structure ``None``).

        Sound for any instance of the shape, whatever its structure: prune
        with it (or with each instance's :meth:`layer`) when one batch mixes
        structures; its ``groups`` are the shape's shared constraint groups.
        For domains without structure it is :meth:`layer` itself.
        """
        return self.layer_for(instance.shape, None)

    # --------------------------------------------------------------------- instances
    def make_instance(
        self,
        givens: np.ndarray,
        shape: Shape | None = None,
        structure: Hashable | None = None,
        *,
        solution: np.ndarray | None = None,
        **meta: Any,
    ) -> Instance:
        """An instance from value indices (``UNASSIGNED`` free); checks their ranges."""
        shape = tuple(shape) if shape is not None else self.default_shape()
        layer = self.layer_for(shape, structure)
        givens = np.asarray(givens, dtype=np.int64).reshape(-1)
        if givens.size != layer.num_variables:
            raise InvalidPuzzleError(f"expected {layer.num_variables} values, got {givens.size}")
        for v, k in enumerate(givens.tolist()):
            if k != UNASSIGNED and not 0 <= k < len(layer.domain_values[v]):
                raise InvalidPuzzleError(f"{layer.variable_names[v]} has no value index {k}", position=v)
        candidates = layer.initial_candidates()
        given = givens >= 0
        candidates[given] = False
        candidates[np.flatnonzero(given), givens[given]] = True
        if structure is not None:
            meta = {"structure": structure, **meta}
        if solution is not None:
            solution = np.asarray(solution, dtype=np.int64)
        return Instance(self.name, shape, givens, candidates, solution, meta)

    def with_givens(self, instance: Instance, givens: np.ndarray, **meta: Any) -> Instance:
        """A new instance of the same shape and structure with other givens."""
        solution = meta.pop("solution", None)
        structure = meta.pop("structure", instance.meta.get("structure"))
        return self.make_instance(givens, instance.shape, structure, solution=solution, **meta)

    def empty(self, shape: Shape | None = None, structure: Hashable | None = None, **options: Any) -> Instance:
        """An instance with no givens (``shape`` or ``default_shape(**options)``; a bare size ``n`` is
        ``default_shape(size=n)``)."""
        if isinstance(shape, numbers.Integral) and not isinstance(shape, bool):
            shape = self.default_shape(size=int(shape))
        elif shape is not None:
            if not (isinstance(shape, (tuple, list)) and all(isinstance(n, numbers.Integral) for n in shape)):
                raise ConfigError(f"a shape is a tuple of whole numbers, got {shape!r}")
            shape = tuple(int(n) for n in shape)
        shape = shape if shape is not None else self.default_shape(**options)
        layer = self.layer_for(shape, structure)
        return self.make_instance(np.full(layer.num_variables, UNASSIGNED), shape, structure)

    # -------------------------------------------------------------------------- text
    def parse(self, text: str) -> Instance:
        """Text in the declared format (module docstring) -> instance of the default shape."""
        shape = self.default_shape()
        return self.make_instance(read_values(text, self.layer_for(shape)), shape)

    def format(self, instance: Instance, values: np.ndarray | None = None) -> str:
        """The token line of the givens (or of ``values``)."""
        return write_values(instance.givens if values is None else values, self.layer(instance))

    # ------------------------------------------------------------------------ generate
    def random_solution(self, rng: np.random.Generator, shape: Shape, structure: Hashable | None = None,
                        budget: Budget | None = None) -> np.ndarray | None:
        """A random solution (value indices) by search with random value order; ``None`` over budget."""
        layer = self.layer_for(shape, structure)
        result = search(layer, layer.masks(layer.initial_candidates()), budget or Budget(100_000, 10.0),
                        variable_order=fewest_candidates_by(-rng.permutation(layer.num_variables)),
                        value_order=random_value_order(rng))
        if result.status is Status.UNSOLVABLE:
            raise UnsupportedError(f"domain {self.name!r}: the constraints of shape {shape} have no solution")
        return None if result.values is None else np.array(result.values, dtype=np.int64)

    def is_unique(self, layer: CSPLayer, givens: np.ndarray) -> bool:
        """Whether ``givens`` have exactly one completion (``False`` when undecided within budget)."""
        full = layer.masks(layer.initial_candidates())
        masks = [full[v] if g < 0 else 1 << int(g) for v, g in enumerate(givens.tolist())]
        return search(layer, masks, self.unique_budget, max_solutions=2).status is Status.SOLVED

    def generate(
        self,
        rng: np.random.Generator,
        count: int = 1,
        *,
        min_givens: int = 0,
        max_givens: int | None = None,
        max_attempts: int | None = None,
        **options: Any,
    ) -> list[Instance]:
        """Puzzles with unique solutions, each with its solution.

        Method: a random solution of the shared constraints (search with a
        random value order), a structure fitting it
        (:meth:`random_structure`), then givens removed in random order
        while the solution stays unique (checked by counting solutions up
        to 2), down to ``min_givens``.  Puzzles left with more than
        ``max_givens`` givens, or with nothing to solve, are discarded and
        tried again; with
        ``max_givens=0`` only the puzzle without givens is checked.
        ``options`` choose the shape (e.g. ``size``; see :meth:`default_shape`).
        Fewer than ``count`` come back when ``max_attempts`` run out.
        """
        shape = self.default_shape(**options)
        out: list[Instance] = []
        attempts = 0
        limit = max_attempts if max_attempts is not None else 50 * max(count, 1)
        while len(out) < count and attempts < limit:
            attempts += 1
            solution = self.random_solution(rng, shape)
            if solution is None:
                continue
            structure = self.random_structure(rng, shape, solution)
            layer = self.layer_for(shape, structure)
            verdict = layer.verify(solution)
            if not verdict.valid:
                raise SoundnessError(f"domain {self.name!r}: random_structure broke its own solution: "
                                     f"{verdict.reason()}")
            if max_givens == 0:
                givens = np.full(solution.size, UNASSIGNED, dtype=np.int64)
                if not self.is_unique(layer, givens):
                    continue
            else:
                givens = remove_givens(solution, rng, functools.partial(self.is_unique, layer), min_givens)
                kept = int((givens >= 0).sum())
                if kept == givens.size or (max_givens is not None and kept > max_givens):
                    continue  # nothing left to solve, or more givens than asked for
            out.append(self.make_instance(givens, shape, structure, solution=solution))
        return out

    def augment(self, instance: Instance, rng: np.random.Generator) -> Instance:
        """A copy under a random symmetry (:meth:`random_symmetry`), its solution too."""
        return augment_by_symmetry(self, instance, rng)


# --------------------------------------------------------------------------- declared domains
class DeclaredDomain(CSPDomain):
    """A fixed puzzle family declared with :func:`declare_domain`."""

    def __init__(self, variables: Mapping[Hashable, Sequence[Any]], constraints: Sequence[ConstraintItem]) -> None:
        if not isinstance(variables, Mapping) or not variables:
            raise ConfigError("variables must be a non-empty mapping name -> values")
        self._variables = {name: tuple(values) for name, values in variables.items()}
        empty = [str(n) for n, vals in self._variables.items() if not vals]
        if empty:
            raise ConfigError(f"variables with no values: {', '.join(empty)}")
        if isinstance(constraints, (str, bytes)) or is_relation(constraints) or isinstance(constraints, Constraint):
            raise ConfigError("constraints must be a list")
        self._constraints = list(constraints)

    def variables(self, shape: Shape) -> Mapping[Hashable, Sequence[Any]]:
        return self._variables

    def constraints(self, shape: Shape, structure: Hashable | None) -> Sequence[ConstraintItem]:
        return self._constraints

    def default_shape(self, **options: Any) -> Shape:
        """``(number of variables,)``; options such as the trainer's ``size`` do not apply."""
        return (len(self._variables),)


def declare_domain(
    name: str,
    variables: Mapping[Hashable, Sequence[Any]],
    constraints: Sequence[ConstraintItem],
    *,
    doc: str | None = None,
    register: bool = False,
) -> DeclaredDomain:
    """A domain from variables and constraints (see the module docstring).

    The constraints are compiled at once, so a mistake in them raises a
    :class:`~solvers.errors.ConfigError` here.  ``doc`` is the one-line
    description ``hybrid-hrm domains`` shows; ``register=True`` also adds
    the domain to the registry under ``name``.

    >>> declare_domain("bad", {"x": [1, 2]}, ["x > 1"])
    Traceback (most recent call last):
    ...
    solvers.errors.ConfigError: constraint 0: strings are not evaluated; write 'x > 1' as a sympy relation
    """
    if not isinstance(name, str) or not name:
        raise ConfigError(f"a domain needs a name, got {name!r}")
    description = doc or f"declared constraint puzzle {name!r} ({len(variables)} variables)"
    cls_name = "".join(part.capitalize() for part in re.split(r"[^a-zA-Z0-9]+", name)) + "Domain"
    cls = type(cls_name, (DeclaredDomain,), {"__doc__": description, "name": name})
    domain = cls(variables, constraints)
    domain.layer_for(domain.default_shape())  # compile now: errors at declaration time
    if register:
        from .registry import register as add

        add(name, lambda: domain)
    return domain


__all__ = ["CSPDomain", "DeclaredDomain", "declare_domain", "read_values", "write_values", "as_text"]

"""Complete depth-first search with propagation at every node.

One search for every domain: it works on the bitmask form of candidates
(``masks[v]`` has bit ``k`` set when value ``k`` is still possible) and asks
a :class:`~solvers.base.Propagator` to propagate after every guess.  The
order of variables and of values is pluggable, so the bridge can hand in
the network's probabilities; the defaults are *fewest candidates first*
and *values in increasing order*.

Budgets (nodes and seconds) are checked before every node, so a search
never overruns its budget by more than one node's work.  The search proves
unsolvability by exhausting the space, and can count solutions up to a limit
(``max_solutions=2`` checks uniqueness).

Examples
--------
>>> from solvers.alldiff import AllDifferentLayer
>>> layer = AllDifferentLayer([[0, 1, 2]], num_values=3)
>>> result = search(layer, [0b111, 0b111, 0b001])
>>> result.status.value, result.values
('solved', [1, 2, 0])
>>> search(layer, [0b001, 0b001, 0b111]).status.value
'unsolvable'
"""

from __future__ import annotations

import abc
import functools
import time
from dataclasses import dataclass, field
from typing import Callable, Iterable, Iterator, Sequence

import numpy as np

from .base import Budget, Propagator
from .errors import ConfigError, Status

#: ``variable_order(masks) -> variable`` (a variable with >1 candidates, or -1 if none).
VariableOrder = Callable[[list[int]], int]
#: ``value_order(variable, mask) -> values`` to try, best first (each a bit of ``mask``).
ValueOrder = Callable[[int, int], Iterable[int]]


@dataclass
class SearchResult:
    """Outcome of :func:`search`.

    ``values``: the first solution found (value index per variable), or ``None``.
    ``solutions``: all solutions found, up to ``max_solutions``.
    ``nodes``: guesses made (each followed by one propagation).
    """

    status: Status
    values: list[int] | None = None
    solutions: list[list[int]] = field(default_factory=list)
    nodes: int = 0
    backtracks: int = 0
    seconds: float = 0.0


def fewest_candidates(masks: list[int]) -> int:
    """Default variable order: the undecided variable with fewest candidates.

    >>> fewest_candidates([1, 7, 3, 2])
    2
    >>> fewest_candidates([1, 2, 4])
    -1
    """
    best, best_count = -1, 1 << 30
    for v, m in enumerate(masks):
        if m & (m - 1):
            c = m.bit_count()
            if c < best_count:
                best, best_count = v, c
                if c == 2:
                    break
    return best


@dataclass(frozen=True)
class FewestCandidatesBy:
    """The order :func:`fewest_candidates_by` returns: a callable that the compiled search reads as an array."""

    score: tuple[float, ...]

    def __call__(self, masks: list[int]) -> int:
        score = self.score
        best, best_count, best_score = -1, 1 << 30, -float("inf")
        for v, m in enumerate(masks):
            if m & (m - 1):
                c = m.bit_count()
                if c < best_count or (c == best_count and score[v] > best_score):
                    best, best_count, best_score = v, c, score[v]
        return best


def fewest_candidates_by(score: Sequence[float]) -> FewestCandidatesBy:
    """Fewest candidates first, ties to the highest ``score[v]`` (the network's confidence, a random priority).

    >>> order = fewest_candidates_by([0.1, 0.9, 0.5])
    >>> order([3, 3, 7]), order([1, 7, 3])
    (1, 2)
    """
    return FewestCandidatesBy(tuple(np.asarray(score, dtype=np.float64).reshape(-1).tolist()))


@dataclass(frozen=True)
class RankedValues:
    """The order :func:`ranked_values` returns: a callable that the compiled search reads as an array."""

    ranking: tuple[tuple[int, ...], ...]
    #: The ranking as an ``int64 [V, R]`` array when it was given as one (the compiled search reads it as is).
    array: np.ndarray | None = field(default=None, compare=False, repr=False)

    def __call__(self, variable: int, mask: int) -> list[int]:
        return [k for k in self.ranking[variable] if mask >> k & 1]


def ranked_values(ranking: Sequence[Sequence[int]] | np.ndarray) -> RankedValues:
    """A value order from a ranking ``[V][K]`` (best first), skipping values no longer candidates.

    >>> list(ranked_values([[2, 0, 1]])(0, 0b101))
    [2, 0]
    """
    if isinstance(ranking, np.ndarray) and ranking.ndim == 2 and np.issubdtype(ranking.dtype, np.integer):
        array = np.array(ranking, dtype=np.int64, order="C")
        return RankedValues(tuple(map(tuple, array.tolist())), array)
    return RankedValues(tuple(tuple(int(k) for k in row) for row in ranking))


def increasing_values(variable: int, mask: int) -> Iterable[int]:
    """Default value order: candidate values in increasing order.

    >>> list(increasing_values(0, 0b1010))
    [1, 3]
    """
    while mask:
        low = mask & -mask
        yield low.bit_length() - 1
        mask ^= low


def _values_of(masks: list[int]) -> list[int]:
    return [m.bit_length() - 1 for m in masks]


@dataclass(frozen=True, eq=False)
class Guidance:
    """The search's orders as arrays, the form the compiled search takes.

    ``value_rank [V, R]``: the values to try per variable, best first
    (values no longer candidates are skipped); ``tie_score [V]``: variables
    go by fewest candidates first, ties to the highest score (the first
    variable of equal scores).  The same orders as
    ``fewest_candidates_by(tie_score)`` and ``ranked_values(value_rank)``.

    >>> g = Guidance.from_probs(np.array([[0.2, 0.8], [0.6, 0.4]]))
    >>> g.value_rank.tolist(), g.tie_score.tolist()
    ([[1, 0], [0, 1]], [0.8, 0.6])
    """

    value_rank: np.ndarray
    tie_score: np.ndarray

    def __post_init__(self) -> None:
        rank, score = np.asarray(self.value_rank), np.asarray(self.tie_score)
        if rank.ndim != 2 or not (rank.size == 0 or np.issubdtype(rank.dtype, np.integer)):
            raise ConfigError(f"value_rank must be a [V, R] integer array, got {rank.dtype} {list(rank.shape)}")
        if score.shape != rank.shape[:1]:
            raise ConfigError(f"tie_score must be [V] = [{rank.shape[0]}], got {list(score.shape)}")
        # Own, writable, C-ordered copies: the compiled search is specialised (compiled) per array layout.
        object.__setattr__(self, "value_rank", np.array(rank, dtype=np.int64, order="C"))
        object.__setattr__(self, "tie_score", np.array(score, dtype=np.float64, order="C"))
        object.__setattr__(self, "_bounds", (int(rank.min()), int(rank.max())) if rank.size else (0, -1))

    @classmethod
    def default(cls, num_variables: int, num_values: int) -> "Guidance":
        """The default orders: fewest candidates first (the first of a tie), values in increasing order.

        One object per shape, shared: never write into its arrays.
        """
        return _default_guidance(num_variables, num_values)

    @classmethod
    def from_probs(cls, probs: np.ndarray) -> "Guidance":
        """A network's orders from ``probs [V, K]``: values by probability, ties to the most probable variable."""
        probs = np.asarray(probs, dtype=np.float64)
        return cls(np.argsort(-probs, axis=-1, kind="stable"), probs.max(-1))

    def fits(self, num_variables: int, num_values: int) -> bool:
        """Whether these orders are for ``num_variables`` variables, ranking values in ``0..num_values-1``."""
        low, high = self._bounds
        return self.value_rank.shape[0] == num_variables and low >= 0 and high < num_values

    def orders(self) -> tuple["FewestCandidatesBy", "RankedValues"]:
        """The same orders as callables (for the Python search of a layer without a compiled one)."""
        return fewest_candidates_by(self.tie_score), ranked_values(self.value_rank)


@functools.lru_cache(maxsize=64)
def _default_guidance(num_variables: int, num_values: int) -> Guidance:
    return Guidance(np.tile(np.arange(num_values, dtype=np.int64), (num_variables, 1)), np.zeros(num_variables))


def _guidance_of(
    variable_order: VariableOrder | None, value_order: ValueOrder | None, num_variables: int, num_values: int
) -> Guidance | None:
    """The array form of two orders, when both have one (defaults, ``fewest_candidates_by``, ``ranked_values``)."""
    V, K = num_variables, num_values
    default_values = value_order is None or value_order is increasing_values
    if variable_order is None or variable_order is fewest_candidates:
        if default_values:
            return Guidance.default(V, K)
        score = np.zeros(V)
    elif isinstance(variable_order, FewestCandidatesBy) and len(variable_order.score) == V:
        score = np.array(variable_order.score, dtype=np.float64)
    else:
        return None
    if default_values:
        rank = Guidance.default(V, K).value_rank
    elif isinstance(value_order, RankedValues) and value_order.array is not None:
        rank = value_order.array
    elif isinstance(value_order, RankedValues) and len({len(row) for row in value_order.ranking}) <= 1:
        rank = np.array(value_order.ranking, dtype=np.int64).reshape(len(value_order.ranking), -1)
    else:
        return None
    guidance = Guidance(rank, score)
    return guidance if guidance.fits(V, K) else None


class CompiledSearch(abc.ABC):
    """A layer that declares a compiled search: :func:`search` hands it the instance when the orders are arrays.

    :class:`~solvers.alldiff.AllDifferentLayer` is one.  A layer subclasses
    this next to :class:`~solvers.base.LayerDefaults` and writes
    :meth:`compiled_search`, which may still decline an instance (``None``).
    """

    @abc.abstractmethod
    def compiled_search(
        self, masks: Sequence[int], guidance: Guidance, budget: Budget, max_solutions: int
    ) -> SearchResult | None:
        """The result :func:`search` would give with these orders, node for node; ``None``: not compiled here."""


def search(
    layer: Propagator,
    masks: Sequence[int],
    budget: Budget | None = None,
    *,
    variable_order: VariableOrder | None = None,
    value_order: ValueOrder | None = None,
    guidance: Guidance | None = None,
    max_solutions: int = 1,
) -> SearchResult:
    """Search for up to ``max_solutions`` solutions of one instance.

    Parameters
    ----------
    layer:
        Anything with ``propagate(masks, touched) -> bool``.
    masks:
        The instance's candidates in bitmask form (not modified).
    budget:
        Node and time limits; ``Budget()`` by default.
    variable_order, value_order:
        Branching heuristics (see :data:`VariableOrder`, :data:`ValueOrder`).
    guidance:
        The same heuristics as arrays (:class:`Guidance`), instead of the two orders.
    max_solutions:
        Stop after this many solutions (2 answers "is it unique?").

    A layer that is a :class:`CompiledSearch` (all-different layers) runs
    compiled when the orders have an array form: ``guidance``, the
    defaults, or :func:`fewest_candidates_by` and :func:`ranked_values`;
    any other callable order runs the Python search below, with the same
    result node for node.

    Returns
    -------
    SearchResult
        ``SOLVED`` with the solution (``MULTIPLE_SOLUTIONS`` when
        ``max_solutions > 1`` and more than one was found), ``UNSOLVABLE``
        when the space is exhausted without one, ``BUDGET_EXHAUSTED`` when a
        limit stopped the search first.
    """
    budget = budget or Budget()
    if guidance is not None and (variable_order is not None or value_order is not None):
        raise ConfigError("give the search either guidance or variable_order/value_order, not both")
    if isinstance(layer, CompiledSearch):
        compiled = guidance or _guidance_of(variable_order, value_order, layer.num_variables, layer.num_values)
        result = None if compiled is None else layer.compiled_search(masks, compiled, budget, max_solutions)
        if result is not None:
            return result
    if guidance is not None:
        variable_order, value_order = guidance.orders()
    return python_search(
        layer, masks, budget, variable_order=variable_order, value_order=value_order, max_solutions=max_solutions
    )


def python_search(
    layer: Propagator,
    masks: Sequence[int],
    budget: Budget | None = None,
    *,
    variable_order: VariableOrder | None = None,
    value_order: ValueOrder | None = None,
    max_solutions: int = 1,
) -> SearchResult:
    """:func:`search` in Python, with the layer's ``propagate`` at every node (any layer, any callable order).

    >>> from solvers.alldiff import AllDifferentLayer
    >>> python_search(AllDifferentLayer([[0, 1]], 2), [3, 3]).values
    [0, 1]
    """
    budget = budget or Budget()
    start = time.perf_counter()
    deadline = None if budget.max_seconds is None else start + budget.max_seconds
    walk = _Walk(layer, budget.max_nodes, deadline, SearchResult(status=Status.UNSOLVABLE))
    choose = variable_order or fewest_candidates
    order = value_order or increasing_values
    state = list(masks)
    if not layer.propagate(state):
        return walk.finish(Status.UNSOLVABLE, start)
    while True:
        var = choose(state)
        if var < 0:
            walk.result.solutions.append(_values_of(state))
            if len(walk.result.solutions) >= max_solutions:
                return walk.finish(Status.MULTIPLE_SOLUTIONS if max_solutions > 1 else Status.SOLVED, start)
        else:
            walk.stack.append((state, var, iter(order(var, state[var]))))
        child = walk.next_child()
        if child is _OUT_OF_BUDGET:
            return walk.finish(Status.BUDGET_EXHAUSTED, start)
        if child is None:  # the space is exhausted
            return walk.finish(Status.SOLVED if walk.result.solutions else Status.UNSOLVABLE, start)
        state = child


#: What :meth:`_Walk.next_child` returns when a budget stopped the walk.
_OUT_OF_BUDGET: list[int] = []


@dataclass
class _Walk:
    """The depth-first walk of :func:`python_search`: its stack of open choices and its counters."""

    layer: Propagator
    max_nodes: int | None
    deadline: float | None
    result: SearchResult
    stack: list[tuple[list[int], int, Iterator[int]]] = field(default_factory=list)
    nodes: int = 0

    def next_child(self) -> list[int] | None:
        """The next consistent child, backtracking as needed; ``None`` when the space is exhausted,
        :data:`_OUT_OF_BUDGET` when a budget ran out first (checked before every node)."""
        while self.stack:
            parent, var, values = self.stack[-1]
            value = next(values, None)
            if value is None:
                self.stack.pop()
                self.result.backtracks += 1
                continue
            bit = 1 << value
            if not parent[var] & bit:
                continue  # a value order may name values already pruned
            if (self.max_nodes is not None and self.nodes >= self.max_nodes) or (
                self.deadline is not None and time.perf_counter() > self.deadline
            ):
                return _OUT_OF_BUDGET
            self.nodes += 1
            child = parent.copy()
            child[var] = bit
            if self.layer.propagate(child, (var,)):
                return child
        return None

    def finish(self, status: Status, start: float) -> SearchResult:
        result = self.result
        result.status, result.nodes = status, self.nodes
        result.seconds = time.perf_counter() - start
        if result.solutions:
            result.values = result.solutions[0]
        return result

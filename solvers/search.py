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

import time
from dataclasses import dataclass, field
from typing import Callable, Iterable, Sequence

from .base import Budget, Propagator
from .errors import Status

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


def fewest_candidates_by(score: Sequence[float]) -> VariableOrder:
    """Fewest candidates first, ties to the highest ``score[v]`` (the network's confidence, a random priority).

    >>> order = fewest_candidates_by([0.1, 0.9, 0.5])
    >>> order([3, 3, 7]), order([1, 7, 3])
    (1, 2)
    """
    score = [float(x) for x in score]

    def choose(masks: list[int]) -> int:
        best, best_count, best_score = -1, 1 << 30, -float("inf")
        for v, m in enumerate(masks):
            if m & (m - 1):
                c = m.bit_count()
                if c < best_count or (c == best_count and score[v] > best_score):
                    best, best_count, best_score = v, c, score[v]
        return best

    return choose


def ranked_values(ranking: Sequence[Sequence[int]]) -> ValueOrder:
    """A value order from a ranking ``[V][K]`` (best first), skipping values no longer candidates.

    >>> list(ranked_values([[2, 0, 1]])(0, 0b101))
    [2, 0]
    """

    def order(variable: int, mask: int) -> list[int]:
        return [k for k in ranking[variable] if mask >> k & 1]

    return order


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


def search(
    layer: Propagator,
    masks: Sequence[int],
    budget: Budget | None = None,
    *,
    variable_order: VariableOrder | None = None,
    value_order: ValueOrder | None = None,
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
    max_solutions:
        Stop after this many solutions (2 answers "is it unique?").

    Returns
    -------
    SearchResult
        ``SOLVED`` with the solution (``MULTIPLE_SOLUTIONS`` when
        ``max_solutions > 1`` and more than one was found), ``UNSOLVABLE``
        when the space is exhausted without one, ``BUDGET_EXHAUSTED`` when a
        limit stopped the search first.
    """
    budget = budget or Budget()
    choose = variable_order or fewest_candidates
    order = value_order or increasing_values
    max_nodes = budget.max_nodes
    deadline = None if budget.max_seconds is None else time.perf_counter() + budget.max_seconds
    start = time.perf_counter()
    result = SearchResult(status=Status.UNSOLVABLE)

    def finish(status: Status) -> SearchResult:
        result.status = status
        result.seconds = time.perf_counter() - start
        if result.solutions:
            result.values = result.solutions[0]
        return result

    state = list(masks)
    if not layer.propagate(state):
        return finish(Status.UNSOLVABLE)
    stack: list[tuple[list[int], int, Iterable[int]]] = []
    nodes = 0
    while True:
        var = choose(state)
        if var < 0:
            result.solutions.append(_values_of(state))
            if len(result.solutions) >= max_solutions:
                result.nodes = nodes
                return finish(Status.MULTIPLE_SOLUTIONS if max_solutions > 1 else Status.SOLVED)
        else:
            stack.append((state, var, iter(order(var, state[var]))))
        # Advance to the next consistent child, backtracking as needed.
        while stack:
            parent, var, values = stack[-1]
            value = next(values, None)
            if value is None:
                stack.pop()
                result.backtracks += 1
                continue
            bit = 1 << value
            if not parent[var] & bit:
                continue  # a value order may name values already pruned
            if (max_nodes is not None and nodes >= max_nodes) or (
                deadline is not None and time.perf_counter() > deadline
            ):
                result.nodes = nodes
                return finish(Status.BUDGET_EXHAUSTED)
            nodes += 1
            child = parent.copy()
            child[var] = bit
            if layer.propagate(child, (var,)):
                state = child
                break
        else:
            result.nodes = nodes
            if not result.solutions:
                return finish(Status.UNSOLVABLE)
            return finish(Status.SOLVED)

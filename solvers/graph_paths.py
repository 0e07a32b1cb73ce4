"""Path finding in a maze: A*, the shortest paths of the layered graph, and how many there are.

:func:`shortest_path` is the complete search of the maze domain: it returns
one shortest path through every fixed cell as an assignment (``on`` on the
path, ``off`` elsewhere), always optimal, with the network's preference
deciding only which of several shortest paths comes back.

Examples
--------
>>> from solvers.graph import MazeLayer, maze_candidates
>>> layer = MazeLayer(2, 2)
>>> shortest_path(layer, maze_candidates(["S ", " G"])).values
[1, 1, 0, 1]
>>> count_paths(layer, analyse(layer, [True] * 4, [0, 3]))
2
"""

from __future__ import annotations

import heapq
import math
import time
from typing import Iterator, Sequence

import numpy as np

from .base import Budget
from .errors import Status
from .graph_analysis import OFF, ON, Analysis, MazeGrid, Meter, OutOfBudget, analyse
from .search import SearchResult

#: Found paths (cells from one endpoint to the other) with the status they answer.
_Found = tuple[Status, list[list[int]]]


def shortest_path(
    grid: MazeGrid,
    candidates: np.ndarray,
    budget: Budget | None = None,
    *,
    ends: tuple[int, int] | None = None,
    prefer: np.ndarray | None = None,
    unique: bool = False,
) -> SearchResult:
    """A shortest path through every fixed cell, as an assignment.

    A* with the Manhattan distance (a consistent heuristic on a grid, so
    the path is optimal) expands cells in order of ``f = g + h``.  With a
    preference ``prefer`` (``[V]``, e.g. the network's ``p(on)``), a first
    A* runs on the favoured cells only (``prefer > 0.5``, and the fixed
    ones); its path, of length ``L``, is then proven optimal by a second
    A* over every allowed cell that only looks for paths shorter than
    ``L`` (ties go to preferred cells).  A preference cannot make that
    proof cheaper than every cell with ``f < L``, but it picks which of
    several shortest paths comes back.  When the path misses a fixed cell,
    or ``unique`` asks whether it is the only one, the layered graph of
    :func:`~solvers.graph_analysis.analyse` answers instead.

    ``nodes`` counts expanded cells.  Status: ``SOLVED``, ``UNSOLVABLE``
    (no path through the fixed cells), ``MULTIPLE_SOLUTIONS`` (``unique``
    and another shortest path exists) or ``BUDGET_EXHAUSTED``.

    >>> from solvers.graph import MazeLayer, maze_candidates
    >>> layer = MazeLayer(2, 3)
    >>> r = shortest_path(layer, maze_candidates(["S  ", "  G"]), prefer=np.array([1, 0, 0, 1, 1, 1.]))
    >>> r.status.value, r.values, r.nodes
    ('solved', [1, 0, 0, 1, 1, 1], 4)
    >>> shortest_path(layer, maze_candidates(["S  ", "  G"]), unique=True).status.value
    'multiple_solutions'
    """
    start = time.perf_counter()
    cand = np.asarray(candidates, dtype=bool).reshape(grid.num_variables, 2)
    meter = Meter(budget)
    pref = None if prefer is None else np.asarray(prefer, dtype=np.float64).reshape(-1).tolist()

    def done(status: Status, paths: Sequence[list[int]] = ()) -> SearchResult:
        sols = [path_values(grid, p) for p in paths]
        return SearchResult(status, sols[0] if sols else None, sols, meter.nodes, 0, time.perf_counter() - start)

    if (cand.sum(-1) == 0).any():
        return done(Status.UNSOLVABLE)
    try:
        return done(*_find(grid, cand, ends, pref, unique, meter))
    except OutOfBudget:
        return done(Status.BUDGET_EXHAUSTED)


def _find(
    grid: MazeGrid,
    cand: np.ndarray,
    ends: tuple[int, int] | None,
    pref: list[float] | None,
    unique: bool,
    meter: Meter,
) -> _Found:
    """The steps of :func:`shortest_path`: endpoints, then A*, then the layered graph when A* cannot answer."""
    open_ = cand[:, ON].tolist()
    pinned = cand[:, ON] & ~cand[:, OFF]
    fixed = np.flatnonzero(pinned).tolist()
    if ends is None:
        probe = analyse(grid, open_, fixed)          # endpoints: the farthest fixed pair
        if probe.ends is None or not probe.ok:
            return Status.UNSOLVABLE, []
        ends = probe.ends
    if not unique:
        path = _guided_astar(grid, open_, pinned, fixed, ends, pref, meter)
        if path is None:
            return Status.UNSOLVABLE, []
        if set(fixed) <= set(path):
            return Status.SOLVED, [path]
    an = analyse(grid, open_, fixed, ends=ends, meter=meter)
    if not an.ok:
        return Status.UNSOLVABLE, []
    paths = list(_take(layered_paths(grid, an, pref), 2 if unique else 1))
    if unique and len(paths) > 1:
        return Status.MULTIPLE_SOLUTIONS, paths
    return Status.SOLVED, paths


def _guided_astar(
    grid: MazeGrid,
    open_: list[bool],
    pinned: np.ndarray,
    fixed: list[int],
    ends: tuple[int, int],
    pref: list[float] | None,
    meter: Meter,
) -> list[int] | None:
    """A shortest path by A*, the preferred one when a first A* on the favoured cells finds it (``None``: none)."""
    guess = None
    if pref is not None:
        favoured = [o and (p > 0.5 or m) for o, p, m in zip(open_, pref, pinned)]
        guess = astar(grid, favoured, ends, pref, meter)
        if guess is not None and not set(fixed) <= set(guess):
            guess = None
    bound = None if guess is None else len(guess) - 1
    path = astar(grid, open_, ends, pref, meter, bound)
    return path or guess          # nothing shorter than the guess: the guess is optimal


def count_paths(grid: MazeGrid, analysis: Analysis) -> int:
    """Number of shortest paths through every fixed cell (0 when there is none).

    >>> from solvers.graph import MazeLayer
    >>> layer = MazeLayer(3, 3)
    >>> count_paths(layer, analyse(layer, [True] * 9, [0, 8]))
    6
    """
    if not analysis.ok or analysis.levels is None:
        return 0
    from_x, nbrs = analysis.from_x, grid.neighbours
    ways = {analysis.ends[0]: 1}
    for level in analysis.levels[1:]:
        for c in level:
            ways[c] = sum(ways.get(n, 0) for n in nbrs[c] if from_x[n] == from_x[c] - 1)
    return ways[analysis.ends[1]]


def path_values(grid: MazeGrid, path: Sequence[int]) -> list[int]:
    """The assignment of a path: its cells ``on``, every other cell ``off``.

    >>> path_values(MazeGrid(1, 3), [0, 1])
    [1, 1, 0]
    """
    values = [OFF] * grid.num_variables
    for v in path:
        values[v] = ON
    return values


def astar(
    grid: MazeGrid,
    open_: Sequence[bool],
    ends: tuple[int, int],
    pref: Sequence[float] | None,
    meter: Meter,
    bound: int | None = None,
) -> list[int] | None:
    """A* from ``x`` to ``y``; with ``bound``, only paths shorter than it (``None``: there is none).

    Ties of ``f`` go to cells of higher ``pref``, then to deeper cells.

    >>> astar(MazeGrid(2, 2), [True] * 4, (0, 3), None, Meter(None))
    [0, 1, 3]
    """
    x, y = ends
    W = grid.width
    gr, gc = divmod(y, W)

    def h(v: int) -> int:
        r, c = divmod(v, W)
        return abs(r - gr) + abs(c - gc)

    def p(v: int) -> float:
        return 0.0 if pref is None else -pref[v]

    g = {x: 0}
    parent = {x: -1}
    if bound is not None and h(x) >= bound:
        return None
    heap = [(h(x), p(x), 0, x)]
    closed = set()
    while heap:
        _f, _p, neg_g, u = heapq.heappop(heap)
        if u in closed:
            continue
        meter.tick()
        closed.add(u)
        if u == y:
            path = [y]
            while parent[path[-1]] >= 0:
                path.append(parent[path[-1]])
            return path[::-1]
        gu = -neg_g + 1
        for w in grid.neighbours[u]:
            if open_[w] and w not in closed and gu < g.get(w, math.inf) and (bound is None or gu + h(w) < bound):
                g[w] = gu
                parent[w] = u
                heapq.heappush(heap, (gu + h(w), p(w), -gu, w))
    return None


def layered_paths(grid: MazeGrid, an: Analysis, pref: Sequence[float] | None) -> Iterator[list[int]]:
    """Shortest paths through the fixed cells, best preferred first (depth-first, lazily).

    >>> grid = MazeGrid(2, 2)
    >>> list(layered_paths(grid, analyse(grid, [True] * 4, [0, 3]), None))
    [[0, 1, 3], [0, 2, 3]]
    """
    from_x, nbrs = an.from_x, grid.neighbours
    feasible = an.feasible()
    x, y = an.ends

    def ranked(cells: list[int]) -> list[int]:
        return cells if pref is None else sorted(cells, key=lambda c: -pref[c])

    # Every feasible cell of layer i + 1 has a feasible neighbour in layer i, so no branch dead-ends.
    stack = [[y]]
    while stack:
        path = stack.pop()
        head = path[-1]
        if head == x:
            yield path[::-1]
            continue
        i = from_x[head]
        before = [n for n in nbrs[head] if n in feasible and from_x[n] == i - 1]
        for n in reversed(ranked(before)):
            stack.append(path + [n])


def _take(it: Iterator[list[int]], n: int) -> Iterator[list[int]]:
    """The first ``n`` items of ``it`` (lazily: a generator of paths is not run to its end)."""
    for i, item in enumerate(it):
        if i >= n:
            return
        yield item


__all__ = ["astar", "count_paths", "layered_paths", "path_values", "shortest_path"]

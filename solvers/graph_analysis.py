"""Breadth-first analysis of a maze: the grid, distances, and the layered graph of shortest paths.

Every question the maze layer (:mod:`solvers.graph`) answers reduces to
breadth-first distances on the grid graph of open cells.  :func:`analyse`
computes them from both endpoints and keeps, layer by layer (layer ``i``:
cells ``i`` steps from the first endpoint), the cells on some shortest path
through every fixed cell; when that fails it says why, in words.

Examples
--------
>>> grid = MazeGrid(2, 3)
>>> grid.variable_names[4], grid.neighbours[4]
('r2c2', (1, 3, 5))
>>> analyse(grid, [True] * 6, [0, 5]).levels
[[0], [1, 3], [2, 4], [5]]
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Sequence

from .base import Budget
from .errors import ConfigError

#: Value indices and bitmasks of the two values.
OFF, ON = 0, 1
OFF_BIT, ON_BIT = 1, 2
VALUE_NAMES = ("off", "on")


class MazeGrid:
    """The cells of a ``height x width`` grid: row-major indices, names, 4-neighbourhoods.

    The geometry every maze computation shares; :class:`solvers.graph.MazeLayer`
    is one.  Names are ``"r3c7"`` (1-based); ``neighbours[v]`` lists the cells
    above, left, right and below ``v`` that exist, in that order.

    >>> MazeGrid(0, 3)
    Traceback (most recent call last):
    ...
    solvers.errors.ConfigError: a maze needs a positive height and width, got 0 x 3
    """

    def __init__(self, height: int, width: int) -> None:
        if not (isinstance(height, int) and isinstance(width, int)) or height < 1 or width < 1:
            raise ConfigError(f"a maze needs a positive height and width, got {height!r} x {width!r}")
        self.height, self.width = height, width
        self.shape = (height, width)
        self.num_variables = height * width
        self.variable_names = [f"r{v // width + 1}c{v % width + 1}" for v in range(self.num_variables)]
        self.neighbours: tuple[tuple[int, ...], ...] = tuple(
            _around(v, height, width) for v in range(self.num_variables)
        )


def _around(v: int, height: int, width: int) -> tuple[int, ...]:
    """The grid neighbours of cell ``v``: above, left, right, below."""
    r, c = divmod(v, width)
    around = []
    if r > 0:
        around.append(v - width)
    if c > 0:
        around.append(v - 1)
    if c + 1 < width:
        around.append(v + 1)
    if r + 1 < height:
        around.append(v + width)
    return tuple(around)


@dataclass
class Analysis:
    """What breadth-first search says about one candidate array.

    ``ok``: some shortest path between the endpoints passes every fixed cell.
    ``ends``: the endpoints ``(x, y)`` (``None`` when fewer than two cells are
    fixed ``on``); ``dist``: steps of a shortest path between them;
    ``from_x`` / ``from_y``: steps from each endpoint (-1: unreachable);
    ``levels[i]``: the cells ``i`` steps from ``x`` on some shortest path
    through every fixed cell.  ``reason`` / ``culprits`` explain a failure.
    """

    ok: bool
    reason: str = ""
    culprits: tuple[int, ...] = ()
    ends: tuple[int, int] | None = None
    dist: int = -1
    from_x: list[int] | None = None
    from_y: list[int] | None = None
    levels: list[list[int]] | None = None
    waypoint_at: list[int] | None = None

    @property
    def decided(self) -> bool:
        """Every layer holds one cell: the path is determined."""
        return self.levels is not None and all(len(level) == 1 for level in self.levels)

    def feasible(self) -> set[int]:
        """The cells on some shortest path through every fixed cell."""
        return {c for level in self.levels or () for c in level}


class OutOfBudget(Exception):
    """Raised by :meth:`Meter.tick` when a search has spent its budget."""


class Meter:
    """Counts expanded cells and stops a search at its budget (``None``: unlimited).

    >>> meter = Meter(Budget(max_nodes=1, max_seconds=None))
    >>> meter.tick(); meter.nodes
    1
    >>> meter.tick()
    Traceback (most recent call last):
    ...
    solvers.graph_analysis.OutOfBudget
    """

    def __init__(self, budget: Budget | None) -> None:
        self.nodes = 0
        self.max_nodes = None if budget is None else budget.max_nodes
        seconds = None if budget is None else budget.max_seconds
        self.deadline = None if seconds is None else time.perf_counter() + seconds

    def tick(self) -> None:
        """Count one expanded cell; :class:`OutOfBudget` when none is left."""
        if (self.max_nodes is not None and self.nodes >= self.max_nodes) or (
            self.deadline is not None and time.perf_counter() > self.deadline
        ):
            raise OutOfBudget
        self.nodes += 1


def distances(grid: MazeGrid, source: int, open_: Sequence[bool], meter: Meter | None = None) -> list[int]:
    """Breadth-first steps from ``source`` through open cells (-1: unreachable).

    >>> distances(MazeGrid(1, 4), 0, [True, True, False, True])
    [0, 1, -1, -1]
    """
    dist = [-1] * grid.num_variables
    dist[source] = 0
    frontier = [source]
    nbrs = grid.neighbours
    step = 0
    while frontier:
        step += 1
        nxt = []
        for u in frontier:
            if meter is not None:
                meter.tick()
            for w in nbrs[u]:
                if dist[w] < 0 and open_[w]:
                    dist[w] = step
                    nxt.append(w)
        frontier = nxt
    return dist


def analyse(
    grid: MazeGrid,
    open_: Sequence[bool],
    fixed: Sequence[int],
    ends: tuple[int, int] | None = None,
    meter: Meter | None = None,
    among: Sequence[int] | None = None,
) -> Analysis:
    """Shortest paths between the endpoints through every ``fixed`` cell.

    ``open_[v]``: ``on`` is possible at ``v``; ``fixed``: cells that must
    be on the path.  ``ends`` names the endpoints; by default they are the
    two cells of ``among`` (default: ``fixed``) farthest apart.

    >>> grid = MazeGrid(2, 3)
    >>> a = analyse(grid, [True] * 6, [0, 5])
    >>> a.ok, a.dist, a.levels
    (True, 3, [[0], [1, 3], [2, 4], [5]])
    >>> analyse(grid, [True] * 6, [0, 5, 1, 3]).reason
    'r1c2 and r2c1 are the same distance from S: a shortest path passes only one of them'
    """
    fixed = list(dict.fromkeys(int(f) for f in fixed))
    if ends is None and len(fixed) < 2:
        return Analysis(True)
    if ends is None:
        found = _farthest_ends(grid, open_, fixed, among, meter)
    else:
        found = _given_ends(grid, open_, fixed, ends, meter)
    if isinstance(found, Analysis):
        return found
    x, y, from_x, fixed = found
    from_y = distances(grid, y, open_, meter)
    d = from_x[y]
    waypoint_at = [-1] * (d + 1)
    failure = _place_waypoints(grid, fixed, (x, y), from_x, from_y, waypoint_at)
    if failure is not None:
        return failure
    layers = _shortest_layers(grid, open_, from_x, from_y, d)
    forward = _sweep(grid, layers, waypoint_at, from_x, x, range(1, d + 1), -1)
    backward = _sweep(grid, layers, waypoint_at, from_x, y, range(d - 1, -1, -1), 1)
    levels = [[c for c in layer if forward[c] and backward[c]] for layer in layers]
    if not levels[0]:
        name = grid.variable_names
        named = ", ".join(name[f] for f in fixed[2:6]) + (", ..." if len(fixed) > 6 else "")
        return Analysis(
            False, f"no shortest path from S to G passes every committed cell ({named})",
            tuple(fixed[2:]), (x, y), d, from_x, from_y,
        )
    return Analysis(True, "", (), (x, y), d, from_x, from_y, levels, waypoint_at)


#: Endpoints found: ``(x, y, steps from x, the fixed cells)``, or the failure.
_Ends = tuple[int, int, list[int], list[int]] | Analysis


def _farthest_ends(
    grid: MazeGrid, open_: Sequence[bool], fixed: list[int], among: Sequence[int] | None, meter: Meter | None
) -> _Ends:
    """The two cells of ``among`` (default ``fixed``) farthest apart, or why the fixed cells are not connected."""
    name = grid.variable_names
    pool = fixed if among is None else list(dict.fromkeys(int(f) for f in among))
    a = pool[0]
    from_a = distances(grid, a, open_, meter)
    cut = [f for f in fixed if from_a[f] < 0]
    if cut:
        if len(fixed) == 2:
            return Analysis(False, f"S and G ({name[a]} and {name[cut[0]]}) are not connected", (a, cut[0]))
        return Analysis(False, f"{name[cut[0]]} is cut off from {name[a]}", (a, cut[0]))
    if len(pool) == 2:
        x, from_x = a, from_a
    else:
        x = max(pool, key=lambda f: from_a[f])
        from_x = distances(grid, x, open_, meter)
    y = max(pool, key=lambda f: from_x[f])
    return x, y, from_x, fixed


def _given_ends(
    grid: MazeGrid, open_: Sequence[bool], fixed: list[int], ends: tuple[int, int], meter: Meter | None
) -> _Ends:
    """The named endpoints (put first among the fixed cells), or why they are not connected."""
    x, y = int(ends[0]), int(ends[1])
    from_x = distances(grid, x, open_, meter)
    if from_x[y] < 0:
        name = grid.variable_names
        return Analysis(False, f"S and G ({name[x]} and {name[y]}) are not connected", (x, y))
    return x, y, from_x, [x, y] + [f for f in fixed if f not in (x, y)]


def _place_waypoints(
    grid: MazeGrid,
    fixed: list[int],
    ends: tuple[int, int],
    from_x: list[int],
    from_y: list[int],
    waypoint_at: list[int],
) -> Analysis | None:
    """Record each fixed cell's layer in ``waypoint_at``; the failure when one cannot be on a shortest path."""
    name = grid.variable_names
    d = from_x[ends[1]]
    for f in fixed:
        if from_x[f] < 0 or from_y[f] < 0:
            return Analysis(False, f"{name[f]} is unreachable from S", (f,), ends, d, from_x, from_y)
        detour = from_x[f] + from_y[f] - d
        if detour > 0:
            return Analysis(False, f"{name[f]} is a detour of {detour} steps", (f,), ends, d, from_x, from_y)
        other = waypoint_at[from_x[f]]
        if other >= 0:
            return Analysis(False, same_distance(name[other], name[f]), (other, f), ends, d, from_x, from_y)
        waypoint_at[from_x[f]] = f
    return None


def _shortest_layers(
    grid: MazeGrid, open_: Sequence[bool], from_x: list[int], from_y: list[int], d: int
) -> list[list[int]]:
    """The layered graph of shortest paths: layer ``i`` holds the open cells ``i`` steps from x on one."""
    layers: list[list[int]] = [[] for _ in range(d + 1)]
    for v in range(grid.num_variables):
        i = from_x[v]
        if i >= 0 and open_[v] and from_y[v] >= 0 and i + from_y[v] == d:
            layers[i].append(v)
    return layers


def _sweep(
    grid: MazeGrid,
    layers: list[list[int]],
    waypoint_at: list[int],
    from_x: list[int],
    source: int,
    order: range,
    towards: int,
) -> bytearray:
    """Cells reachable from ``source`` layer by layer in ``order``, keeping only the waypoint of a layer.

    ``towards`` is the offset of the layer already swept (-1 forward, +1 backward).
    """
    nbrs = grid.neighbours
    reached = bytearray(grid.num_variables)
    reached[source] = 1
    for i in order:
        only = waypoint_at[i]
        for c in layers[i] if only < 0 else (only,):
            if any(reached[n] and from_x[n] == i + towards for n in nbrs[c]):
                reached[c] = 1
    return reached


def same_distance(a: str, b: str) -> str:
    """Why two waypoints ``a`` and ``b`` in one layer conflict, in words.

    >>> same_distance("r1c2", "r2c1")
    'r1c2 and r2c1 are the same distance from S: a shortest path passes only one of them'
    """
    return f"{a} and {b} are the same distance from S: a shortest path passes only one of them"


__all__ = [
    "OFF",
    "OFF_BIT",
    "ON",
    "ON_BIT",
    "VALUE_NAMES",
    "Analysis",
    "MazeGrid",
    "Meter",
    "OutOfBudget",
    "analyse",
    "distances",
    "same_distance",
]

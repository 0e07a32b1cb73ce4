"""Graph search as the symbolic layer of mazes: shortest paths, waypoints, path checks.

A maze is a grid of cells, variables in row-major order, each ``off`` (0) or
``on`` (1).  A solution marks ``on`` the cells of one *shortest* path between
the two endpoints S and G, and nothing else.  Every question the bridge asks
is answered with breadth-first distances on the grid graph of open cells:

* a proposed waypoint ``w`` lies on some shortest path exactly when
  ``d(S, w) + d(w, G) == d(S, G)``; otherwise it is a wall, unreachable, or a
  detour of ``d(S, w) + d(w, G) - d(S, G)`` steps (:meth:`MazeLayer.check_subgoal`);
* the cells on shortest paths form a layered graph (layer ``i``: cells ``i``
  steps from S); a path through committed waypoints exists exactly when no two
  waypoints share a layer and a forward and a backward sweep over the layers,
  each keeping only the waypoint in its layer, meet (:meth:`MazeLayer.propagate`);
* a layer holding one feasible cell is on every such path, so that cell is
  ``on``; when every layer holds one, the path is decided and every other cell
  is ``off``.

How a layer reads a maze
------------------------
One :class:`MazeLayer` serves every maze of one shape, as the Sudoku layer
serves every 9x9 grid: the trainer prunes a batch of different mazes with
one layer, and the bridge propagates every maze of a batch with the layer
of the first.  So the layer keeps no maze of its own; it reads each maze
from the candidate array it is handed (candidates are the one currency):

* a cell is *open* while ``on`` is among its candidates; the givens make
  every ``#`` a cell whose only candidate is ``off``;
* the cells fixed ``on`` are the endpoints and the committed waypoints; the
  endpoints are the two farthest apart (on one shortest path only its two
  ends are), so S and G need no token of their own (nor does direction matter:
  a shortest path from S to G is one from G to S).

The reading is exact for an instance's own candidates, and stays exact under
the layer's propagation: propagation fixes ``on`` every cell that all shortest
paths through the committed cells share, so a later ``off`` decision on any
other cell leaves some shortest path open and never lengthens the route.  Only
a caller that removes ``on`` from several cells at once, without propagating
in between, can hand the layer an array whose shortest route is longer than
the maze's; the layer then reads that array as the maze it describes.

Pruning
-------
By default propagation fixes cells ``on`` (as above), detects contradictions
and, once the path is decided, fixes the rest ``off``; it leaves the
``on`` candidate of a cell on no shortest path in place, so that the network
has something to learn.  ``full_pruning=True`` also removes ``on`` from every
cell on no shortest path through the committed cells.

Hot paths (propagation, batch pruning, batch verification, search) run on flat
Python lists: for a 30x30 maze a breadth-first search takes about a
millisecond, several times faster than building a networkx graph.  The
verifier, which must explain in words what is wrong, uses networkx.

Examples
--------
>>> layer = MazeLayer(3, 4)
>>> cand = maze_candidates(["S  #",
...                         "## #",
...                         "G   "])
>>> masks = layer.masks(cand)
>>> layer.propagate(masks)                 # S-r1c2-r1c3-r2c3-r3c3-r3c2-r3c1=G, the only route
True
>>> [["." if m == 3 else "o" if m == 2 else "#" for m in masks[r * 4:(r + 1) * 4]] for r in range(3)]
[['o', 'o', 'o', '#'], ['#', '#', 'o', '#'], ['o', 'o', 'o', '#']]
>>> MazeLayer(3, 4).check_subgoal(layer.masks(cand), 11, 1)
'r3c4 is a detour of 2 steps'
"""

from __future__ import annotations

import heapq
import math
import time
from dataclasses import dataclass
from typing import Iterator, Sequence

import numpy as np

from .base import UNASSIGNED, Budget, Verdict, Violation, candidates_to_masks, masks_to_candidates
from .errors import ConfigError, Status
from .search import SearchResult

#: Value indices and bitmasks of the two values.
OFF, ON = 0, 1
OFF_BIT, ON_BIT = 1, 2
VALUE_NAMES = ("off", "on")


def maze_candidates(rows: Sequence[str]) -> np.ndarray:
    """``[V, 2]`` candidates of a small maze drawn with ``#``, space, ``S``, ``G``.

    A helper for examples and tests; :class:`domains.maze.MazeDomain` parses
    real input with errors and positions.

    >>> maze_candidates(["S#G"]).astype(int).tolist()
    [[0, 1], [1, 0], [0, 1]]
    """
    out = []
    for row in rows:
        for ch in row:
            out.append((False, True) if ch in "SG" else (True, False) if ch == "#" else (True, True))
    return np.array(out, dtype=bool)


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
        return {c for level in self.levels or () for c in level}


class _OutOfBudget(Exception):
    pass


class _Meter:
    """Counts expanded cells and stops a search at its budget."""

    def __init__(self, budget: Budget | None) -> None:
        self.nodes = 0
        self.max_nodes = None if budget is None else budget.max_nodes
        seconds = None if budget is None else budget.max_seconds
        self.deadline = None if seconds is None else time.perf_counter() + seconds

    def tick(self) -> None:
        if (self.max_nodes is not None and self.nodes >= self.max_nodes) or (
            self.deadline is not None and time.perf_counter() > self.deadline
        ):
            raise _OutOfBudget
        self.nodes += 1


class MazeLayer:
    """The symbolic layer of ``height x width`` mazes (see the module docstring).

    Parameters
    ----------
    height, width:
        The shape; variables are the cells in row-major order.
    full_pruning:
        Also remove ``on`` from cells that lie on no shortest path through the
        committed cells (off by default: see "Pruning" above).

    Attributes a bridge, trainer or trace uses: ``num_variables``,
    ``num_values`` (2), ``variable_names`` (``"r3c7"``, 1-based),
    ``value_names`` (``["off", "on"]``) and ``groups`` (the rows, then the
    columns: the constraint-group positions of the network).
    """

    num_values = 2

    def __init__(self, height: int, width: int, *, full_pruning: bool = False) -> None:
        if not (isinstance(height, int) and isinstance(width, int)) or height < 1 or width < 1:
            raise ConfigError(f"a maze needs a positive height and width, got {height!r} x {width!r}")
        self.height, self.width = height, width
        self.shape = (height, width)
        self.full_pruning = bool(full_pruning)
        V = height * width
        self.num_variables = V
        self.variable_names = [f"r{v // width + 1}c{v % width + 1}" for v in range(V)]
        self.value_names = list(VALUE_NAMES)
        self.groups = [tuple(r * width + c for c in range(width)) for r in range(height)] + [
            tuple(r * width + c for r in range(height)) for c in range(width)
        ]
        nbrs = []
        for v in range(V):
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
            nbrs.append(tuple(around))
        self.neighbours: tuple[tuple[int, ...], ...] = tuple(nbrs)
        self._last: tuple[tuple[int, ...], Analysis] | None = None

    def __repr__(self) -> str:
        return f"MazeLayer({self.height}, {self.width}, full_pruning={self.full_pruning})"

    # ------------------------------------------------------------ distances
    def distances(self, source: int, open_: Sequence[bool], meter: _Meter | None = None) -> list[int]:
        """Breadth-first steps from ``source`` through open cells (-1: unreachable).

        >>> MazeLayer(1, 4).distances(0, [True, True, False, True])
        [0, 1, -1, -1]
        """
        dist = [-1] * self.num_variables
        dist[source] = 0
        frontier = [source]
        nbrs = self.neighbours
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
        self,
        open_: Sequence[bool],
        fixed: Sequence[int],
        ends: tuple[int, int] | None = None,
        meter: _Meter | None = None,
        among: Sequence[int] | None = None,
    ) -> Analysis:
        """Shortest paths between the endpoints through every ``fixed`` cell.

        ``open_[v]``: ``on`` is possible at ``v``; ``fixed``: cells that must
        be on the path.  ``ends`` names the endpoints; by default they are the
        two cells of ``among`` (default: ``fixed``) farthest apart.

        >>> layer = MazeLayer(2, 3)
        >>> a = layer.analyse([True] * 6, [0, 5])
        >>> a.ok, a.dist, a.levels
        (True, 3, [[0], [1, 3], [2, 4], [5]])
        >>> layer.analyse([True] * 6, [0, 5, 1, 3]).reason
        'r1c2 and r2c1 are the same distance from S: a shortest path passes only one of them'
        """
        name = self.variable_names
        fixed = list(dict.fromkeys(int(f) for f in fixed))
        if ends is None and len(fixed) < 2:
            return Analysis(True)
        if ends is None:
            pool = fixed if among is None else list(dict.fromkeys(int(f) for f in among))
            a = pool[0]
            from_a = self.distances(a, open_, meter)
            cut = [f for f in fixed if from_a[f] < 0]
            if cut:
                if len(fixed) == 2:
                    return Analysis(False, f"S and G ({name[a]} and {name[cut[0]]}) are not connected", (a, cut[0]))
                return Analysis(False, f"{name[cut[0]]} is cut off from {name[a]}", (a, cut[0]))
            if len(pool) == 2:
                x, from_x = a, from_a
            else:
                x = max(pool, key=lambda f: from_a[f])
                from_x = self.distances(x, open_, meter)
            y = max(pool, key=lambda f: from_x[f])
        else:
            x, y = int(ends[0]), int(ends[1])
            from_x = self.distances(x, open_, meter)
            if from_x[y] < 0:
                return Analysis(False, f"S and G ({name[x]} and {name[y]}) are not connected", (x, y))
            fixed = [x, y] + [f for f in fixed if f not in (x, y)]
        from_y = self.distances(y, open_, meter)
        d = from_x[y]
        waypoint_at = [-1] * (d + 1)
        for f in fixed:
            if from_x[f] < 0 or from_y[f] < 0:
                return Analysis(False, f"{name[f]} is unreachable from S", (f,), (x, y), d, from_x, from_y)
            detour = from_x[f] + from_y[f] - d
            if detour > 0:
                return Analysis(False, f"{name[f]} is a detour of {detour} steps", (f,), (x, y), d, from_x, from_y)
            other = waypoint_at[from_x[f]]
            if other >= 0:
                return Analysis(False, _same_distance(name[other], name[f]), (other, f), (x, y), d, from_x, from_y)
            waypoint_at[from_x[f]] = f
        # The layered graph of shortest paths, then the two sweeps.
        layers: list[list[int]] = [[] for _ in range(d + 1)]
        for v in range(self.num_variables):
            i = from_x[v]
            if i >= 0 and open_[v] and from_y[v] >= 0 and i + from_y[v] == d:
                layers[i].append(v)
        nbrs = self.neighbours
        forward = bytearray(self.num_variables)
        forward[x] = 1
        for i in range(1, d + 1):
            only = waypoint_at[i]
            for c in layers[i] if only < 0 else (only,):
                if any(forward[n] and from_x[n] == i - 1 for n in nbrs[c]):
                    forward[c] = 1
        backward = bytearray(self.num_variables)
        backward[y] = 1
        for i in range(d - 1, -1, -1):
            only = waypoint_at[i]
            for c in layers[i] if only < 0 else (only,):
                if any(backward[n] and from_x[n] == i + 1 for n in nbrs[c]):
                    backward[c] = 1
        levels = [[c for c in layer if forward[c] and backward[c]] for layer in layers]
        if not levels[0]:
            named = ", ".join(name[f] for f in fixed[2:6]) + (", ..." if len(fixed) > 6 else "")
            return Analysis(
                False, f"no shortest path from S to G passes every committed cell ({named})",
                tuple(fixed[2:]), (x, y), d, from_x, from_y,
            )
        return Analysis(True, "", (), (x, y), d, from_x, from_y, levels, waypoint_at)

    def _analyse_masks(self, masks: Sequence[int], touched: Sequence[int] | None = None) -> Analysis:
        """:meth:`analyse` of bitmasks; the endpoints come from the fixed cells not just ``touched``."""
        open_ = [bool(m & ON_BIT) for m in masks]
        fixed = [v for v, m in enumerate(masks) if m == ON_BIT]
        new = set(touched or ())
        before = [f for f in fixed if f not in new]
        among = before if new and len(before) >= 2 else None
        key = (tuple(masks), tuple(among) if among is not None else None)
        last = self._last
        if last is not None and last[0] == key:
            return last[1]
        result = self.analyse(open_, fixed, among=among)
        self._last = (key, result)
        return result

    # ---------------------------------------------------------------- search
    def propagate(self, masks: list[int], touched: Sequence[int] | None = None) -> bool:
        """Propagate in place (see the module docstring); ``False`` on contradiction.

        ``touched``: the variables decided since the last fixpoint (``None``:
        unknown).  Distances change globally, so every call recomputes them
        (a few milliseconds on 30x30); ``touched`` serves to find the
        endpoints: they are the farthest-apart fixed cells *before* the new
        decisions, so that a new ``on`` cell beyond S or G is a detour, not a
        new endpoint.  Without ``touched`` (the givens, a batch prune) the
        endpoints are the farthest-apart fixed cells of the array, which are
        S and G whenever the committed cells are right.

        >>> layer = MazeLayer(2, 3)
        >>> masks = [2, 3, 3, 3, 3, 2]         # S at r1c1, G at r2c3, no walls: two choices per layer
        >>> layer.propagate(masks), masks
        (True, [2, 3, 3, 3, 3, 2])
        >>> masks[1] = 2                        # commit r1c2: then r1c3 or r2c2
        >>> layer.propagate(masks), masks
        (True, [2, 2, 3, 3, 3, 2])
        >>> masks[4] = 1                        # rule out r2c2: the path is decided
        >>> layer.propagate(masks), masks
        (True, [2, 2, 2, 1, 1, 2])
        >>> masks[2] = 1                        # and r1c3 too: no shortest path is left
        >>> layer.propagate(masks)
        False
        """
        if any(m == 0 for m in masks):
            return False
        an = self._analyse_masks(masks, touched)
        if not an.ok:
            return False
        if an.levels is None:
            return True
        changed = False
        for level in an.levels:
            if len(level) == 1 and masks[level[0]] != ON_BIT:
                masks[level[0]] = ON_BIT
                changed = True
        if an.decided or self.full_pruning:
            keep = an.feasible()
            for v, m in enumerate(masks):
                if m & ON_BIT and v not in keep:
                    masks[v] = OFF_BIT
                    changed = True
        if changed:
            # One pass is a fixpoint (forcing a layer's only cell or dropping
            # cells on no such path changes no layer); remember the result.
            self._last = None
        return True

    def check_subgoal(self, masks: Sequence[int], variable: int, value: int) -> str | None:
        """Why committing ``variable=value`` cannot lead to a solution, or ``None``.

        An ``on`` waypoint is kept only when it is open, reachable and on a
        shortest path through the cells already committed; an ``off`` one only
        when some such path avoids it.

        >>> layer = MazeLayer(3, 4)
        >>> masks = layer.masks(maze_candidates(["S  #", "## #", "G   "]))
        >>> layer.check_subgoal(masks, 4, 1), layer.check_subgoal(masks, 2, 1)
        ('r2c1 is a wall or ruled out', None)
        >>> layer.check_subgoal(masks, 2, 0)
        'r1c3 lies on every shortest path from S to G'
        """
        name = self.variable_names[variable]
        mask = masks[variable]
        if value == ON:
            if not mask & ON_BIT:
                return f"{name} is a wall or ruled out"
            an = self._analyse_masks(masks)
            if not an.ok:
                return f"the committed cells already conflict: {an.reason}"
            if an.ends is None:
                return None
            fx, fy = an.from_x[variable], an.from_y[variable]
            if fx < 0 or fy < 0:
                return f"{name} is unreachable from S"
            if fx + fy > an.dist:
                return f"{name} is a detour of {fx + fy - an.dist} steps"
            if variable not in an.levels[fx]:
                other = an.waypoint_at[fx]
                if other >= 0:
                    return _same_distance(name, self.variable_names[other])
                return f"no shortest path from S to G passes {name} and every committed cell"
            return None
        if value == OFF:
            if not mask & OFF_BIT:
                return f"{name} must be on (S, G, or on every shortest path)"
            an = self._analyse_masks(masks)
            if not an.ok:
                return f"the committed cells already conflict: {an.reason}"
            if an.levels is not None:
                fx = an.from_x[variable]
                if 0 <= fx <= an.dist and an.levels[fx] == [variable]:
                    return f"{name} lies on every shortest path from S to G"
            return None
        return f"{name} has no value {value}"

    # ----------------------------------------------------------------- batch
    def prune(self, candidates: np.ndarray) -> np.ndarray:
        """Propagation of a ``[V, 2]`` or ``[B, V, 2]`` array (one maze per row).

        A contradiction is marked, never raised: the cells it involves (or
        the first endpoint) are left with no candidate.
        """
        pruned, _ = self.prune_with_status(candidates)
        return pruned

    def prune_with_status(self, candidates: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Like :meth:`prune`, also returning a ``[B]`` contradiction flag.

        >>> layer = MazeLayer(1, 3)
        >>> cand, dead = layer.prune_with_status(maze_candidates(["S G"]))
        >>> cand.astype(int).tolist(), dead.tolist()
        ([[0, 1], [0, 1], [0, 1]], [False])
        >>> layer.prune_with_status(maze_candidates(["S#G"]))[1].tolist()
        [True]
        """
        cand = np.array(candidates, dtype=bool, copy=True)
        single = cand.ndim == 2
        if single:
            cand = cand[None]
        if cand.shape[1:] != (self.num_variables, 2):
            raise ConfigError(f"expected candidates [B, {self.num_variables}, 2], got {list(cand.shape)}")
        dead = np.zeros(cand.shape[0], dtype=bool)
        for b in range(cand.shape[0]):
            masks = candidates_to_masks(cand[b])
            if self.propagate(masks):
                cand[b] = masks_to_candidates(masks, 2)
            else:
                dead[b] = True
                an = self._analyse_masks(masks)
                marked = list(an.culprits) or [v for v, m in enumerate(masks) if m == ON_BIT][:1] or [0]
                cand[b, marked] = False
        if single:
            return cand[0], dead[:1]
        return cand, dead

    def verify_batch(self, values: np.ndarray, candidates: np.ndarray | None = None) -> np.ndarray:
        """``[B]``: is each complete assignment a shortest path of its row's maze?

        >>> layer = MazeLayer(1, 3)
        >>> cand = np.stack([maze_candidates(["S G"])] * 2)
        >>> layer.verify_batch(np.array([[1, 1, 1], [1, 0, 1]]), cand).tolist()
        [True, False]
        """
        if candidates is None:
            raise ConfigError("a maze layer verifies against candidates: they carry the walls, S and G")
        values = np.asarray(values)
        cand = np.asarray(candidates, dtype=bool)
        if values.ndim == 1:
            values, cand = values[None], cand[None]
        ok = ((values == OFF) | (values == ON)).all(-1)
        safe = np.clip(values, 0, 1)
        ok &= np.take_along_axis(cand, safe[..., None], -1)[..., 0].all(-1)
        for b in np.flatnonzero(ok):
            ok[b] = self._is_shortest_path(safe[b], cand[b])
        return ok

    def _is_shortest_path(self, values: np.ndarray, cand: np.ndarray) -> bool:
        open_ = cand[:, ON].tolist()
        fixed = np.flatnonzero(cand[:, ON] & ~cand[:, OFF]).tolist()
        an = self.analyse(open_, fixed)
        if not an.ok or an.ends is None:
            return False
        on = values.astype(bool).tolist()
        if sum(on) != an.dist + 1:
            return False
        # With exactly d + 1 on cells, a chain of on cells joining the ends is the whole path.
        return self.distances(an.ends[0], on)[an.ends[1]] >= 0

    # ---------------------------------------------------------------- verify
    def verify(self, values: np.ndarray, candidates: np.ndarray | None = None) -> Verdict:
        """Check a (partial) assignment against the maze its ``candidates`` describe.

        Pass the instance's own candidates (the domain does): the cells they
        close are its walls, the two they fix ``on`` are S and G.  A complete
        assignment is valid when its ``on`` cells are exactly one shortest
        path from S to G; a partial one is consistent while some shortest
        path fits it.

        >>> layer = MazeLayer(3, 3)
        >>> cand = maze_candidates(["S G", "   ", "   "])
        >>> layer.verify(np.array([1, 1, 1, 0, 0, 0, 0, 0, 0]), cand).valid
        True
        >>> print(layer.verify(np.array([1, 1, 1, 0, 1, 0, 0, 0, 0]), cand).reason())
        the path branches at r1c2 (3 path neighbours)
        >>> print(layer.verify(np.array([1, 0, 1, -1, -1, -1, -1, -1, -1]), cand).reason())
        the off cells block every shortest path from S to G (the best route left is 2 steps longer)
        """
        if candidates is None:
            raise ConfigError("a maze layer verifies against candidates: they carry the walls, S and G")
        V = self.num_variables
        values = np.asarray(values).reshape(-1)
        if values.shape[0] != V:
            return Verdict(False, False, (Violation((), f"expected {V} values, got {values.shape[0]}"),))
        cand = np.asarray(candidates, dtype=bool).reshape(V, 2)
        name = self.variable_names
        violations: list[Violation] = []
        for v in np.flatnonzero((values < UNASSIGNED) | (values > ON)):
            violations.append(Violation((int(v),), f"{name[v]} has no value {values[v]}"))
        open_ = cand[:, ON].tolist()
        fixed = np.flatnonzero(cand[:, ON] & ~cand[:, OFF]).tolist()
        base = self.analyse(open_, fixed)
        if not base.ok:
            violations.append(Violation(base.culprits, base.reason))
            return Verdict(False, bool((values >= 0).all()), tuple(violations))
        ends = base.ends or ()
        for v in np.flatnonzero((values == ON) & ~cand[:, ON]):
            violations.append(Violation((int(v),), f"{name[v]} is a wall"))
        for v in np.flatnonzero((values == OFF) & ~cand[:, OFF]):
            what = "S or G" if v in ends else "a committed cell"
            violations.append(Violation((int(v),), f"{name[v]} is {what} and must be on the path"))
        complete = bool(((values == OFF) | (values == ON)).all())
        if violations or base.ends is None:
            return Verdict(not violations, complete, tuple(violations))
        if complete:
            violations = self._path_violations(values, base)
        else:
            reduced = [o and val != OFF for o, val in zip(open_, values.tolist())]
            on_cells = fixed + np.flatnonzero(values == ON).tolist()
            an = self.analyse(reduced, on_cells, ends=base.ends)
            if not an.ok:
                violations = [Violation(an.culprits, an.reason)]
            elif an.dist > base.dist:
                violations = [Violation((), "the off cells block every shortest path from S to G "
                                            f"(the best route left is {an.dist - base.dist} steps longer)")]
        return Verdict(not violations, complete, tuple(violations))

    def _path_violations(self, values: np.ndarray, base: Analysis) -> list[Violation]:
        """Reasons why the ``on`` cells of a complete assignment are not one shortest path."""
        import networkx as nx

        name = self.variable_names
        x, y = base.ends
        on = set(np.flatnonzero(values == ON).tolist())
        graph = nx.Graph()
        graph.add_nodes_from(on)
        graph.add_edges_from((u, w) for u in on for w in self.neighbours[u] if w in on and u < w)
        out: list[Violation] = []
        for v in sorted(on):
            deg = graph.degree[v]
            limit = 1 if v in (x, y) else 2
            if deg > limit:
                out.append(Violation((v,), f"the path branches at {name[v]} ({deg} path neighbours)"))
        component = nx.node_connected_component(graph, x)
        if y not in component:
            ends = sorted(v for v in component if graph.degree[v] <= 1 and v != x)
            where = f" (the chain from {name[x]} stops at {name[ends[0]]})" if ends else ""
            out.append(Violation((x, y), f"the path is broken: no chain of on cells joins S and G{where}"))
            component |= nx.node_connected_component(graph, y)
        stray = sorted(on - component)
        if stray:
            shown = ", ".join(name[v] for v in stray[:5]) + (f" and {len(stray) - 5} more" if len(stray) > 5 else "")
            out.append(Violation(tuple(stray), f"{shown} {'is' if len(stray) == 1 else 'are'} on but off the path"))
        if not out and len(on) != base.dist + 1:
            extra = len(on) - 1 - base.dist
            out.append(Violation((), f"the path has {len(on)} cells; a shortest path from S to G has "
                                     f"{base.dist + 1} ({extra} steps too long)"))
        return out

    # --------------------------------------------------------------- helpers
    def masks(self, candidates: np.ndarray) -> list[int]:
        """Bitmask form of one ``[V, 2]`` candidate array."""
        return candidates_to_masks(candidates)

    def candidates(self, masks: Sequence[int]) -> np.ndarray:
        """``[V, 2]`` candidate array of a list of bitmasks."""
        return masks_to_candidates(masks, 2)

    def to_networkx(self, candidates: np.ndarray):
        """The grid graph of the open cells (nodes: variables, ``pos=(row, col)``).

        >>> g = MazeLayer(1, 3).to_networkx(maze_candidates(["S#G"]))
        >>> sorted(g.nodes), g.number_of_edges()
        ([0, 2], 0)
        """
        import networkx as nx

        cand = np.asarray(candidates, dtype=bool).reshape(self.num_variables, 2)
        open_ = set(np.flatnonzero(cand[:, ON]).tolist())
        graph = nx.Graph()
        for v in sorted(open_):
            graph.add_node(v, pos=divmod(v, self.width))
        graph.add_edges_from((u, w) for u in open_ for w in self.neighbours[u] if w in open_ and u < w)
        return graph

    # ------------------------------------------------------- shortest path
    def shortest_path(
        self,
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
        :meth:`analyse` answers instead.

        ``nodes`` counts expanded cells.  Status: ``SOLVED``, ``UNSOLVABLE``
        (no path through the fixed cells), ``MULTIPLE_SOLUTIONS`` (``unique``
        and another shortest path exists) or ``BUDGET_EXHAUSTED``.

        >>> layer = MazeLayer(2, 3)
        >>> r = layer.shortest_path(maze_candidates(["S  ", "  G"]), prefer=np.array([1, 0, 0, 1, 1, 1.]))
        >>> r.status.value, r.values, r.nodes
        ('solved', [1, 0, 0, 1, 1, 1], 4)
        >>> layer.shortest_path(maze_candidates(["S  ", "  G"]), unique=True).status.value
        'multiple_solutions'
        """
        start = time.perf_counter()
        cand = np.asarray(candidates, dtype=bool).reshape(self.num_variables, 2)
        open_ = cand[:, ON].tolist()
        fixed = np.flatnonzero(cand[:, ON] & ~cand[:, OFF]).tolist()
        meter = _Meter(budget)
        pref = None if prefer is None else np.asarray(prefer, dtype=np.float64).reshape(-1).tolist()

        def done(status: Status, paths: list[list[int]] = ()) -> SearchResult:
            sols = [self._path_values(p) for p in paths]
            return SearchResult(status, sols[0] if sols else None, sols, meter.nodes, 0, time.perf_counter() - start)

        if (cand.sum(-1) == 0).any():
            return done(Status.UNSOLVABLE)
        try:
            if ends is None:
                probe = self.analyse(open_, fixed)          # endpoints: the farthest fixed pair
                if probe.ends is None or not probe.ok:
                    return done(Status.UNSOLVABLE)
                ends = probe.ends
            if not unique:
                guess = None
                if pref is not None:
                    favoured = [o and (p > 0.5 or m) for o, p, m in zip(open_, pref, (cand[:, ON] & ~cand[:, OFF]))]
                    guess = self._astar(favoured, ends, pref, meter)
                    if guess is not None and not set(fixed) <= set(guess):
                        guess = None
                bound = None if guess is None else len(guess) - 1
                path = self._astar(open_, ends, pref, meter, bound)
                if path is None and guess is None:
                    return done(Status.UNSOLVABLE)
                path = path or guess          # nothing shorter than the guess: the guess is optimal
                if set(fixed) <= set(path):
                    return done(Status.SOLVED, [path])
            an = self.analyse(open_, fixed, ends=ends, meter=meter)
            if not an.ok:
                return done(Status.UNSOLVABLE)
            paths = list(_take(self._layered_paths(an, pref), 2 if unique else 1))
            if unique and len(paths) > 1:
                return done(Status.MULTIPLE_SOLUTIONS, paths)
            return done(Status.SOLVED, paths)
        except _OutOfBudget:
            return done(Status.BUDGET_EXHAUSTED)

    def count_paths(self, analysis: Analysis) -> int:
        """Number of shortest paths through every fixed cell (0 when there is none).

        >>> layer = MazeLayer(3, 3)
        >>> layer.count_paths(layer.analyse([True] * 9, [0, 8]))
        6
        """
        if not analysis.ok or analysis.levels is None:
            return 0
        from_x, nbrs = analysis.from_x, self.neighbours
        ways = {analysis.ends[0]: 1}
        for level in analysis.levels[1:]:
            for c in level:
                ways[c] = sum(ways.get(n, 0) for n in nbrs[c] if from_x[n] == from_x[c] - 1)
        return ways[analysis.ends[1]]

    def _path_values(self, path: list[int]) -> list[int]:
        values = [OFF] * self.num_variables
        for v in path:
            values[v] = ON
        return values

    def _astar(
        self, open_: Sequence[bool], ends: tuple[int, int], pref, meter: _Meter, bound: int | None = None
    ) -> list[int] | None:
        """A* from ``x`` to ``y``; with ``bound``, only paths shorter than it (``None``: there is none)."""
        x, y = ends
        W = self.width
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
            for w in self.neighbours[u]:
                if open_[w] and w not in closed and gu < g.get(w, math.inf) and (bound is None or gu + h(w) < bound):
                    g[w] = gu
                    parent[w] = u
                    heapq.heappush(heap, (gu + h(w), p(w), -gu, w))
        return None

    def _layered_paths(self, an: Analysis, pref) -> Iterator[list[int]]:
        """Shortest paths through the fixed cells, best preferred first (depth-first, lazily)."""
        from_x, nbrs = an.from_x, self.neighbours
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


def _same_distance(a: str, b: str) -> str:
    return f"{a} and {b} are the same distance from S: a shortest path passes only one of them"


def _take(it: Iterator[list[int]], n: int) -> Iterator[list[int]]:
    for i, item in enumerate(it):
        if i >= n:
            return
        yield item


__all__ = ["Analysis", "MazeLayer", "maze_candidates", "OFF", "ON"]

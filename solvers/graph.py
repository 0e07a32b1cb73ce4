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

This module holds the layer and its propagation; the distances and the
layered graph are in :mod:`solvers.graph_analysis`, A* and path counting in
:mod:`solvers.graph_paths`, the verifier in :mod:`solvers.graph_verify`.

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

from typing import Any, Sequence

import numpy as np

from .base import LayerDefaults, Verdict
from .errors import ConfigError
from .graph_analysis import (
    OFF,
    OFF_BIT,
    ON,
    ON_BIT,
    VALUE_NAMES,
    Analysis,
    MazeGrid,
    analyse,
    same_distance,
)
from .graph_verify import open_cell_graph, verify_assignment, verify_paths_batch


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


class MazeLayer(MazeGrid, LayerDefaults):
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
    columns: the constraint-group positions of the network).  The grid
    geometry (``shape``, ``neighbours``) comes from
    :class:`~solvers.graph_analysis.MazeGrid`; ``masks``, ``candidates`` and
    ``prune`` are the :class:`~solvers.base.LayerDefaults`.
    """

    num_values = 2

    def __init__(self, height: int, width: int, *, full_pruning: bool = False) -> None:
        MazeGrid.__init__(self, height, width)
        self.full_pruning = bool(full_pruning)
        self.value_names = list(VALUE_NAMES)
        self._groups = [tuple(r * width + c for c in range(width)) for r in range(height)] + [
            tuple(r * width + c for r in range(height)) for c in range(width)
        ]
        self._last: tuple[tuple[Any, ...], Analysis] | None = None

    def __repr__(self) -> str:
        return f"MazeLayer({self.height}, {self.width}, full_pruning={self.full_pruning})"

    @property
    def groups(self) -> list[tuple[int, ...]]:
        """The rows, then the columns: the network's constraint-group positions."""
        return self._groups

    # ----------------------------------------------- analysis and path finding
    def to_networkx(self, candidates: np.ndarray) -> Any:
        """The networkx grid graph of the open cells (:func:`~solvers.graph_verify.open_cell_graph`).

        >>> g = MazeLayer(1, 3).to_networkx(maze_candidates(["S#G"]))
        >>> sorted(g.nodes), g.number_of_edges()
        ([0, 2], 0)
        """
        return open_cell_graph(self, candidates)

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
        result = analyse(self, open_, fixed, among=among)
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
        if value not in (ON, OFF):
            return f"{name} has no value {value}"
        if not masks[variable] >> value & 1:
            if value == ON:
                return f"{name} is a wall or ruled out"
            return f"{name} must be on (S, G, or on every shortest path)"
        an = self._analyse_masks(masks)
        if not an.ok:
            return f"the committed cells already conflict: {an.reason}"
        return self._waypoint_refused(an, variable) if value == ON else self._wall_refused(an, variable)

    def _waypoint_refused(self, an: Analysis, variable: int) -> str | None:
        """Why ``variable`` cannot be on a shortest path through the committed cells (``None``: it can)."""
        if an.ends is None:
            return None
        name = self.variable_names[variable]
        fx, fy = an.from_x[variable], an.from_y[variable]
        if fx < 0 or fy < 0:
            return f"{name} is unreachable from S"
        if fx + fy > an.dist:
            return f"{name} is a detour of {fx + fy - an.dist} steps"
        if variable not in an.levels[fx]:
            other = an.waypoint_at[fx]
            if other >= 0:
                return same_distance(name, self.variable_names[other])
            return f"no shortest path from S to G passes {name} and every committed cell"
        return None

    def _wall_refused(self, an: Analysis, variable: int) -> str | None:
        """Why ``variable`` cannot be off (``None``: it can): it lies on every shortest path."""
        if an.levels is not None:
            fx = an.from_x[variable]
            if 0 <= fx <= an.dist and an.levels[fx] == [variable]:
                return f"{self.variable_names[variable]} lies on every shortest path from S to G"
        return None

    # ----------------------------------------------------------------- batch
    def prune_with_status(self, candidates: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Propagation of a ``[V, 2]`` or ``[B, V, 2]`` array (one maze per row), with a ``[B]`` contradiction flag.

        A contradiction is marked, never raised: the cells it involves (or
        the first endpoint) are left with no candidate (the default clears
        the whole maze instead).

        >>> layer = MazeLayer(1, 3)
        >>> cand, dead = layer.prune_with_status(maze_candidates(["S G"]))
        >>> cand.astype(int).tolist(), dead.tolist()
        ([[0, 1], [0, 1], [0, 1]], [False])
        >>> layer.prune_with_status(maze_candidates(["S#G"]))[1].tolist()
        [True]
        """
        if np.shape(candidates)[-2:] != (self.num_variables, 2):
            raise ConfigError(f"expected candidates [B, {self.num_variables}, 2], got {list(np.shape(candidates))}")
        return super().prune_with_status(candidates)

    def mark_contradiction(self, row: np.ndarray, masks: list[int]) -> None:
        """Clear the cells the contradiction involves (or the first endpoint), not the whole maze."""
        an = self._analyse_masks(masks)
        marked = list(an.culprits) or [v for v, m in enumerate(masks) if m == ON_BIT][:1] or [0]
        row[marked] = False

    def verify_batch(self, values: np.ndarray, candidates: np.ndarray | None = None) -> np.ndarray:
        """``[B]``: is each complete assignment a shortest path of its row's maze?

        >>> layer = MazeLayer(1, 3)
        >>> cand = np.stack([maze_candidates(["S G"])] * 2)
        >>> layer.verify_batch(np.array([[1, 1, 1], [1, 0, 1]]), cand).tolist()
        [True, False]
        """
        return verify_paths_batch(self, values, candidates)

    # ---------------------------------------------------------------- verify
    def verify(self, values: np.ndarray, candidates: np.ndarray | None = None) -> Verdict:
        """Check a (partial) assignment against the maze its ``candidates`` describe.

        Pass the instance's own candidates (the domain does): the cells they
        close are its walls, the two they fix ``on`` are S and G.  A complete
        assignment is valid when its ``on`` cells are exactly one shortest
        path from S to G; a partial one is consistent while some shortest
        path fits it (:func:`~solvers.graph_verify.verify_assignment`).

        >>> layer = MazeLayer(3, 3)
        >>> cand = maze_candidates(["S G", "   ", "   "])
        >>> layer.verify(np.array([1, 1, 1, 0, 0, 0, 0, 0, 0]), cand).valid
        True
        >>> print(layer.verify(np.array([1, 1, 1, 0, 1, 0, 0, 0, 0]), cand).reason())
        the path branches at r1c2 (3 path neighbours)
        """
        return verify_assignment(self, values, candidates)


__all__ = ["Analysis", "MazeLayer", "maze_candidates", "OFF", "ON"]

"""The maze verifier: is an assignment one shortest path of the maze its candidates describe, and if not, why?

:func:`verify_assignment` explains what is wrong in words a person can
read (it uses networkx for a broken or branching path);
:func:`verify_paths_batch` is the fast yes/no of many complete assignments
on flat lists, for the trainer.  Both read the maze from the candidates:
the cells they close are its walls, the two they fix ``on`` are S and G.

Examples
--------
>>> from solvers.graph import MazeLayer, maze_candidates
>>> layer = MazeLayer(1, 3)
>>> verify_assignment(layer, np.array([1, 1, 1]), maze_candidates(["S G"])).valid
True
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .base import UNASSIGNED, Verdict, Violation
from .errors import ConfigError
from .graph_analysis import OFF, ON, Analysis, MazeGrid, analyse, distances


def verify_assignment(grid: MazeGrid, values: np.ndarray, candidates: np.ndarray | None) -> Verdict:
    """Check a (partial) assignment against the maze its ``candidates`` describe.

    A complete assignment is valid when its ``on`` cells are exactly one
    shortest path from S to G; a partial one is consistent while some
    shortest path fits it.

    >>> from solvers.graph import MazeLayer, maze_candidates
    >>> layer = MazeLayer(3, 3)
    >>> cand = maze_candidates(["S G", "   ", "   "])
    >>> verify_assignment(layer, np.array([1, 1, 1, 0, 0, 0, 0, 0, 0]), cand).valid
    True
    >>> print(verify_assignment(layer, np.array([1, 1, 1, 0, 1, 0, 0, 0, 0]), cand).reason())
    the path branches at r1c2 (3 path neighbours)
    >>> print(verify_assignment(layer, np.array([1, 0, 1, -1, -1, -1, -1, -1, -1]), cand).reason())
    the off cells block every shortest path from S to G (the best route left is 2 steps longer)
    """
    if candidates is None:
        raise ConfigError("a maze layer verifies against candidates: they carry the walls, S and G")
    V = grid.num_variables
    values = np.asarray(values).reshape(-1)
    if values.shape[0] != V:
        return Verdict(False, False, (Violation((), f"expected {V} values, got {values.shape[0]}"),))
    cand = np.asarray(candidates, dtype=bool).reshape(V, 2)
    name = grid.variable_names
    violations = [
        Violation((int(v),), f"{name[v]} has no value {values[v]}")
        for v in np.flatnonzero((values < UNASSIGNED) | (values > ON))
    ]
    open_ = cand[:, ON].tolist()
    fixed = np.flatnonzero(cand[:, ON] & ~cand[:, OFF]).tolist()
    base = analyse(grid, open_, fixed)
    if not base.ok:
        violations.append(Violation(base.culprits, base.reason))
        return Verdict(False, bool((values >= 0).all()), tuple(violations))
    violations += _given_violations(grid, values, cand, base.ends or ())
    complete = bool(((values == OFF) | (values == ON)).all())
    if violations or base.ends is None:
        return Verdict(not violations, complete, tuple(violations))
    if complete:
        violations = path_violations(grid, values, base)
    else:
        violations = _partial_violations(grid, values, open_, fixed, base)
    return Verdict(not violations, complete, tuple(violations))


def _given_violations(
    grid: MazeGrid, values: np.ndarray, cand: np.ndarray, ends: tuple[int, ...]
) -> list[Violation]:
    """Values the candidates exclude: ``on`` on a wall, ``off`` on S, G or a committed cell."""
    name = grid.variable_names
    out = [Violation((int(v),), f"{name[v]} is a wall") for v in np.flatnonzero((values == ON) & ~cand[:, ON])]
    for v in np.flatnonzero((values == OFF) & ~cand[:, OFF]):
        what = "S or G" if v in ends else "a committed cell"
        out.append(Violation((int(v),), f"{name[v]} is {what} and must be on the path"))
    return out


def _partial_violations(
    grid: MazeGrid, values: np.ndarray, open_: list[bool], fixed: list[int], base: Analysis
) -> list[Violation]:
    """Why no shortest path of the maze fits a partial assignment (empty: some does)."""
    reduced = [o and val != OFF for o, val in zip(open_, values.tolist())]
    on_cells = fixed + np.flatnonzero(values == ON).tolist()
    an = analyse(grid, reduced, on_cells, ends=base.ends)
    if not an.ok:
        return [Violation(an.culprits, an.reason)]
    if an.dist > base.dist:
        return [Violation((), "the off cells block every shortest path from S to G "
                              f"(the best route left is {an.dist - base.dist} steps longer)")]
    return []


def path_violations(grid: MazeGrid, values: np.ndarray, base: Analysis) -> list[Violation]:
    """Reasons why the ``on`` cells of a complete assignment are not one shortest path.

    >>> grid = MazeGrid(1, 4)
    >>> base = analyse(grid, [True] * 4, [0, 3])
    >>> [v.reason for v in path_violations(grid, np.array([1, 0, 1, 1]), base)]
    ['the path is broken: no chain of on cells joins S and G']
    """
    import networkx as nx

    name = grid.variable_names
    x, y = base.ends
    on = set(np.flatnonzero(values == ON).tolist())
    graph = nx.Graph()
    graph.add_nodes_from(on)
    graph.add_edges_from((u, w) for u in on for w in grid.neighbours[u] if w in on and u < w)
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


def verify_paths_batch(grid: MazeGrid, values: np.ndarray, candidates: np.ndarray | None) -> np.ndarray:
    """``[B]``: is each complete assignment ``values [B, V]`` a shortest path of its row's maze?

    >>> from solvers.graph import maze_candidates
    >>> cand = np.stack([maze_candidates(["S G"])] * 2)
    >>> verify_paths_batch(MazeGrid(1, 3), np.array([[1, 1, 1], [1, 0, 1]]), cand).tolist()
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
        ok[b] = is_shortest_path(grid, safe[b], cand[b])
    return ok


def is_shortest_path(grid: MazeGrid, values: np.ndarray, cand: np.ndarray) -> bool:
    """Are the ``on`` cells of the complete 0/1 assignment ``values`` one shortest path of ``cand``'s maze?

    >>> from solvers.graph import maze_candidates
    >>> is_shortest_path(MazeGrid(1, 3), np.array([1, 1, 1]), maze_candidates(["S G"]))
    True
    """
    open_ = cand[:, ON].tolist()
    fixed = np.flatnonzero(cand[:, ON] & ~cand[:, OFF]).tolist()
    an = analyse(grid, open_, fixed)
    if not an.ok or an.ends is None:
        return False
    on = values.astype(bool).tolist()
    if sum(on) != an.dist + 1:
        return False
    # With exactly d + 1 on cells, a chain of on cells joining the ends is the whole path.
    return distances(grid, an.ends[0], on)[an.ends[1]] >= 0


def open_cell_graph(grid: MazeGrid, candidates: np.ndarray) -> Any:
    """The networkx grid graph of the open cells (nodes: variables, ``pos=(row, col)``).

    >>> from solvers.graph import maze_candidates
    >>> g = open_cell_graph(MazeGrid(1, 3), maze_candidates(["S#G"]))
    >>> sorted(g.nodes), g.number_of_edges()
    ([0, 2], 0)
    """
    import networkx as nx

    cand = np.asarray(candidates, dtype=bool).reshape(grid.num_variables, 2)
    open_ = set(np.flatnonzero(cand[:, ON]).tolist())
    graph = nx.Graph()
    for v in sorted(open_):
        graph.add_node(v, pos=divmod(v, grid.width))
    graph.add_edges_from((u, w) for u in open_ for w in grid.neighbours[u] if w in open_ and u < w)
    return graph


__all__ = ["is_shortest_path", "open_cell_graph", "path_violations", "verify_assignment", "verify_paths_batch"]

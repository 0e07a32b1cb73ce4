"""The maze generator: hard mazes with long shortest paths, in the style of Maze-Hard.

Method: a perfect maze by randomized depth-first search on the cells of odd
coordinates (for an even side the last row or column stays a second wall),
then a share of the remaining inner walls between two such cells is
removed, so that several routes compete.  S is a random open cell, G a
random open cell more than ``min_path`` path cells away; a maze with no
such cell is drawn again.  :meth:`domains.maze.MazeDomain.generate` checks
the options and calls :func:`generate_mazes`.

Examples
--------
>>> import numpy as np
>>> from solvers.graph import MazeLayer
>>> [m] = generate_mazes(np.random.default_rng(0), MazeLayer(7, 7), 1, min_path=5, knockout=0.0)
>>> m.meta["path_cells"] > 5, m.meta["path_count"]
(True, 1)
"""

from __future__ import annotations

import numpy as np

from solvers.base import UNASSIGNED, values_to_candidates
from solvers.graph import OFF, ON, MazeLayer
from solvers.graph_analysis import analyse, distances
from solvers.graph_paths import count_paths, shortest_path

from .base import Instance

#: Maze-Hard keeps 30x30 mazes whose shortest path is longer than 110 cells.
HARD_PATH_30 = 110


def default_min_path(height: int, width: int) -> int:
    """Path-length threshold of the generator: 110 cells on 30x30, scaled by area.

    >>> default_min_path(30, 30), default_min_path(11, 11)
    (110, 14)
    """
    return int(HARD_PATH_30 * height * width / 900)


def generate_mazes(
    rng: np.random.Generator,
    layer: MazeLayer,
    count: int,
    *,
    min_path: int,
    knockout: float,
    unique: bool = False,
    max_attempts: int | None = None,
    domain: str = "maze",
) -> list[Instance]:
    """Up to ``count`` mazes of ``layer``'s shape with a shortest path of more than ``min_path`` cells.

    ``knockout``: share of the inner walls removed; ``unique=True`` keeps
    only mazes with exactly one shortest path; at most ``max_attempts``
    mazes are drawn (default ``100 * count``), so fewer may come back.
    Each instance carries one shortest path as its solution, and ``meta``
    records ``start``, ``goal``, ``path_cells`` and ``path_count`` (how
    many shortest paths there are).
    """
    H, W = layer.shape
    out: list[Instance] = []
    attempts = 0
    limit = max_attempts if max_attempts is not None else 100 * max(count, 1)
    while len(out) < count and attempts < limit:
        attempts += 1
        open_ = _perfect_maze(rng, H, W)
        _knock_out(rng, open_, knockout)
        flat = open_.reshape(-1)
        ends = _far_ends(rng, layer, flat, min_path)
        if ends is None:
            continue
        instance = _with_path(layer, flat, ends, unique, domain)
        if instance is not None:
            out.append(instance)
    return out


def _far_ends(
    rng: np.random.Generator, layer: MazeLayer, flat: np.ndarray, min_path: int
) -> tuple[int, int] | None:
    """A random open start and a random goal more than ``min_path`` path cells away (``None``: no such goal)."""
    cells = np.flatnonzero(flat)
    start = int(rng.choice(cells))
    steps = np.array(distances(layer, start, flat.tolist()))
    far = np.flatnonzero(steps + 1 > min_path)
    if not far.size:
        return None
    return start, int(rng.choice(far))


def _with_path(
    layer: MazeLayer, flat: np.ndarray, ends: tuple[int, int], unique: bool, domain: str
) -> Instance | None:
    """The instance of open cells ``flat`` and endpoints ``ends`` with one shortest path as its solution.

    ``None`` when ``unique`` asks for one shortest path and there are several.
    """
    start, goal = ends
    givens = np.where(flat, UNASSIGNED, OFF).astype(np.int64)
    givens[[start, goal]] = ON
    analysis = analyse(layer, flat.tolist(), [start, goal], ends=(start, goal))
    paths = count_paths(layer, analysis)
    if unique and paths != 1:
        return None
    result = shortest_path(layer, values_to_candidates(givens, 2), None, ends=(start, goal))
    solution = np.array(result.values, dtype=np.int64)
    meta = {"start": start, "goal": goal, "path_cells": analysis.dist + 1, "path_count": paths}
    return Instance(domain, (layer.height, layer.width), givens, values_to_candidates(givens, 2), solution, meta)


def _perfect_maze(rng: np.random.Generator, H: int, W: int) -> np.ndarray:
    """Open cells ``[H, W]`` of a perfect maze on the odd-coordinate lattice (randomized DFS)."""
    nr, nc = (H - 1) // 2, (W - 1) // 2
    open_ = np.zeros((H, W), dtype=bool)
    seen = np.zeros((nr, nc), dtype=bool)
    r, c = int(rng.integers(nr)), int(rng.integers(nc))
    seen[r, c] = True
    open_[2 * r + 1, 2 * c + 1] = True
    stack = [(r, c)]
    steps = ((-1, 0), (1, 0), (0, -1), (0, 1))
    while stack:
        r, c = stack[-1]
        nxt = [(r + dr, c + dc) for dr, dc in steps
               if 0 <= r + dr < nr and 0 <= c + dc < nc and not seen[r + dr, c + dc]]
        if not nxt:
            stack.pop()
            continue
        r2, c2 = nxt[int(rng.integers(len(nxt)))]
        seen[r2, c2] = True
        open_[2 * r2 + 1, 2 * c2 + 1] = True
        open_[r + r2 + 1, c + c2 + 1] = True
        stack.append((r2, c2))
    return open_


def _knock_out(rng: np.random.Generator, open_: np.ndarray, share: float) -> None:
    """Open a share of the walls that separate two lattice cells (in place)."""
    H, W = open_.shape
    nr, nc = (H - 1) // 2, (W - 1) // 2
    walls = [(2 * r + 1, 2 * c + 2) for r in range(nr) for c in range(nc - 1)]
    walls += [(2 * r + 2, 2 * c + 1) for r in range(nr - 1) for c in range(nc)]
    walls = [w for w in walls if not open_[w]]
    k = int(round(share * len(walls)))
    if k:
        for i in rng.choice(len(walls), size=k, replace=False):
            open_[walls[i]] = True


__all__ = ["HARD_PATH_30", "default_min_path", "generate_mazes"]

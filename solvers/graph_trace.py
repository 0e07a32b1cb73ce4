"""The breadth-first wave as a step-by-step trace: what a recurrent network learns to reproduce.

One *step* updates every cell of the grid at once, from its own state and
that of its four neighbours only (a local rule, so the same rule runs on a
grid of any size):

* **reached**: an open cell becomes reached when a neighbour was reached the
  step before (at step 0 only the source is reached);
* **parent**: a newly reached cell stores the direction of its first reached
  neighbour in the fixed order up, left, right, down (:data:`DIRECTIONS`;
  0 = none); a reached cell keeps its parent;
* **on path**: the target becomes on-path the step after it is reached; a
  cell becomes on-path when a neighbour that is on-path has its parent
  pointer pointing at it (the mark runs back from the target to the source).

The parent pointers of a breadth-first wave point one layer closer to the
source, so the marked cells are one shortest path; the fixed tie-break makes
that path a function of the maze.  The trace stops at its fixed point (no
cell changes), after ``max(2 d + 1, eccentricity of the source)`` steps for a
path of ``d`` moves.

The network cannot tell S from G (they share a token, and a shortest path is
symmetric), so the source is the endpoint first in row-major order
(:func:`wave_ends`).

>>> from solvers.graph import maze_candidates
>>> cand = maze_candidates(["S  #",
...                         "## #",
...                         "G   "])
>>> t = wave_trace(cand[:, 1].reshape(3, 4), *wave_ends(cand, 3, 4))
>>> t.steps, t.path_values().reshape(3, 4).tolist()
(13, [[1, 1, 1, 0], [0, 0, 1, 0], [1, 1, 1, 0]])
>>> t.parent[-1].tolist()   # 1: the parent is above, 2: to the left, 3: to the right
[[0, 2, 2, 0], [0, 0, 1, 0], [3, 3, 1, 2]]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import ConfigError
from .graph_analysis import OFF, ON

#: Parent directions, in tie-break order: index 1..4 = (row offset, column offset) of the parent.
DIRECTIONS = ((-1, 0), (0, -1), (0, 1), (1, 0))
DIRECTION_NAMES = ("none", "up", "left", "right", "down")
#: The opposite of direction ``i`` (1-based): up <-> down, left <-> right.
OPPOSITE = (0, 4, 3, 2, 1)


def _shift(a: np.ndarray, dr: int, dc: int) -> np.ndarray:
    """``out[r, c] = a[r + dr, c + dc]`` (zero/False outside the grid), on the last two axes."""
    out = np.zeros_like(a)
    H, W = a.shape[-2:]
    rs, re = max(dr, 0), H + min(dr, 0)
    cs, ce = max(dc, 0), W + min(dc, 0)
    out[..., rs - dr : re - dr, cs - dc : ce - dc] = a[..., rs:re, cs:ce]
    return out


def wave_step(
    open_: np.ndarray, target: np.ndarray, reached: np.ndarray, parent: np.ndarray, on_path: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One synchronous step of the rule (arrays ``[..., H, W]``; ``target`` a bool mask).

    Returns the new ``(reached, parent, on_path)``.
    """
    new_parent = np.zeros_like(parent)
    for i in range(len(DIRECTIONS), 0, -1):  # the first direction in order wins: write it last
        dr, dc = DIRECTIONS[i - 1]
        new_parent = np.where(_shift(reached, dr, dc), np.int8(i), new_parent)
    fresh = open_ & ~reached & (new_parent > 0)
    reached2 = reached | fresh
    parent2 = np.where(fresh, new_parent, parent).astype(np.int8)
    pointed = np.zeros_like(on_path)
    for i, (dr, dc) in enumerate(DIRECTIONS, 1):
        # the neighbour in direction i is on-path and its parent is the opposite way (this cell)
        pointed |= _shift(on_path & (parent == OPPOSITE[i]), dr, dc)
    on_path2 = on_path | (target & reached) | (pointed & reached)
    return reached2, parent2, on_path2


@dataclass(frozen=True)
class WaveTrace:
    """States ``0..steps`` of the wave on one maze: ``reached``/``on_path`` bool and
    ``parent`` int8 (0 none, 1..4 :data:`DIRECTIONS`), each ``[steps + 1, H, W]``."""

    reached: np.ndarray
    parent: np.ndarray
    on_path: np.ndarray

    @property
    def steps(self) -> int:
        return len(self.reached) - 1

    def path_values(self) -> np.ndarray:
        """The final on-path mark as a 0/1 assignment ``[H * W]`` (row-major)."""
        return np.where(self.on_path[-1].reshape(-1), ON, OFF).astype(np.int64)


def wave_ends(candidates: np.ndarray, height: int, width: int) -> tuple[int, int]:
    """``(source, target)``: the two cells fixed ``on`` by the givens, first in row-major order first."""
    cand = np.asarray(candidates, dtype=bool).reshape(height * width, 2)
    ends = np.flatnonzero(cand[:, ON] & ~cand[:, OFF])
    if ends.size != 2:
        raise ConfigError(f"the wave needs exactly two endpoints, found {ends.size}")
    return int(ends[0]), int(ends[1])


def wave_trace(open_: np.ndarray, source: int, target: int, max_steps: int | None = None) -> WaveTrace:
    """The trace of the wave from ``source`` on the ``[H, W]`` open-cell mask, to its fixed point.

    ``max_steps`` (default ``2 * H * W + 2``, more than any fixed point needs) bounds the steps.
    """
    open_ = np.asarray(open_, dtype=bool)
    H, W = open_.shape
    limit = 2 * H * W + 2 if max_steps is None else int(max_steps)
    goal = np.zeros((H, W), dtype=bool)
    goal.flat[target] = True
    reached = np.zeros((H, W), dtype=bool)
    reached.flat[source] = True
    parent = np.zeros((H, W), dtype=np.int8)
    on_path = np.zeros((H, W), dtype=bool)
    states = [(reached, parent, on_path)]
    for _ in range(limit):
        nxt = wave_step(open_, goal, *states[-1])
        if all(np.array_equal(a, b) for a, b in zip(nxt, states[-1])):
            break
        states.append(nxt)
    r, p, o = (np.stack(x) for x in zip(*states))
    return WaveTrace(r, p, o)


def trace_of_candidates(candidates: np.ndarray, height: int, width: int) -> WaveTrace:
    """The wave trace of a maze given as its ``[V, 2]`` candidates (open = ``on`` allowed)."""
    cand = np.asarray(candidates, dtype=bool).reshape(height * width, 2)
    return wave_trace(cand[:, ON].reshape(height, width), *wave_ends(cand, height, width))


__all__ = [
    "DIRECTIONS",
    "DIRECTION_NAMES",
    "OPPOSITE",
    "WaveTrace",
    "trace_of_candidates",
    "wave_ends",
    "wave_step",
    "wave_trace",
]

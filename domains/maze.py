"""Mazes (Maze-Hard style): find one shortest path from S to G.

A maze is a rectangular grid: ``#`` a wall, a space (or ``.``) an open cell,
``S`` the start, ``G`` the goal.  The answer marks one shortest path with
``o``.  Variables are the cells in row-major order with two values,
0 = off the path and 1 = on it; the givens fix walls off and S and G on.
Any shortest path is a right answer, not one in particular.

Accepted text: a grid of lines; the same rows joined by ``/`` on one line; or,
as in the Maze-Hard files, one line of ``n*n`` characters for an ``n x n``
maze.  A text with ``o`` marks carries an answer, which is kept as the
instance's solution once the verifier passed it.

Tokens for the network (:meth:`MazeDomain.encode_batch`): 0 padding, 1 open,
2 wall, 3 endpoint.  S and G share a token: the problem is symmetric (a
shortest path from S to G is one from G to S), and the givens array, all the
trainer's batches carry, cannot tell them apart either.  Which is which is
kept in ``Instance.meta`` (``start``, ``goal``) for formatting.

The symbolic layer is :class:`solvers.graph.MazeLayer`, one per shape, which
reads each maze from its candidates (see there); ``MazeDomain(full_pruning=True)``
makes its propagation also remove cells on no shortest path.  The complete
search is A* on the grid (:meth:`MazeDomain.search`), always optimal.  The
generator is :mod:`domains.maze_generator`, the file and text forms
:mod:`domains.maze_text`, the picture of a solve :mod:`domains.maze_picture`.

Examples
--------
>>> maze = MazeDomain()
>>> inst = maze.parse('''
... #######
... #S#   #
... # # # #
... #   #G#
... #######''')
>>> result = maze.solve(inst)
>>> print(maze.format(inst, result.values))
#######
#S#ooo#
#o#o#o#
#ooo#G#
#######
>>> maze.verify(inst, result.values).valid
True
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from solvers.base import UNASSIGNED, Budget, values_to_candidates
from solvers.errors import ConfigError, InvalidPuzzleError
from solvers.graph import OFF, ON, MazeLayer
from solvers.graph_paths import shortest_path
from solvers.search import SearchResult, ValueOrder, VariableOrder

from .base import Domain, Instance, PuzzleRecord, TrainingPreset, apply_symmetry
from .maze_generator import default_min_path, generate_mazes
from .maze_picture import draw_maze_trace
from .maze_text import MAX_CELLS, iter_maze_blocks, maze_rows

WALL, OPEN, START, GOAL, PATH = "#", " ", "S", "G", "o"
OPEN_ALSO = "."
#: Network tokens (0 is padding, as for every domain).
TOKEN_OPEN, TOKEN_WALL, TOKEN_END = 1, 2, 3


@functools.lru_cache(maxsize=64)
def maze_layer(height: int, width: int, full_pruning: bool = False) -> MazeLayer:
    """The symbolic layer of ``height x width`` mazes (cached per shape).

    >>> maze_layer(30, 30) is maze_layer(30, 30)
    True
    """
    return MazeLayer(height, width, full_pruning=full_pruning)


class MazeDomain(Domain):
    """Mazes of any size (Maze-Hard: 30x30): one shortest path from S to G, registered as ``"maze"``.

    Parameters
    ----------
    full_pruning:
        Propagation also removes cells on no shortest path (default: it only
        fixes cells every shortest path shares, see :mod:`solvers.graph`).
    knockout:
        Default share of the inner walls of a perfect maze the generator
        removes, so that several routes compete.
    """

    name = "maze"

    def __init__(self, full_pruning: bool = False, knockout: float = 0.05) -> None:
        if not 0.0 <= knockout <= 1.0:
            raise ConfigError(f"knockout must be in [0, 1], got {knockout!r}")
        self.full_pruning = bool(full_pruning)
        self.knockout = float(knockout)

    # ---------------------------------------------------------------- parse
    def parse(self, text: str) -> Instance:
        """Text -> instance (see the module docstring for the formats).

        Positions in errors are cell indices ``row * width + column``.

        >>> MazeDomain().parse("S#\\n#x")
        Traceback (most recent call last):
        ...
        solvers.errors.InvalidPuzzleError: bad character 'x' at r2c2: use '#' (wall), ' ' or '.' (open), \
'S', 'G' or 'o' (path) (at position 3)
        """
        rows = maze_rows(text)
        H, W = len(rows), len(rows[0])
        for i, row in enumerate(rows):
            if len(row) != W:
                raise InvalidPuzzleError(
                    f"row {i + 1} has {len(row)} cells, row 1 has {W}: a maze must be rectangular", position=i * W
                )
        if H < 2 or W < 2 or H * W > MAX_CELLS:
            raise InvalidPuzzleError(
                f"a maze has at least 2 rows and columns and at most {MAX_CELLS} cells, got {H}x{W}"
            )
        givens = np.full(H * W, UNASSIGNED, dtype=np.int64)
        marked = np.zeros(H * W, dtype=bool)
        found: dict[str, list[int]] = {START: [], GOAL: []}
        for r, row in enumerate(rows):
            for c, ch in enumerate(row):
                v = r * W + c
                if ch == WALL:
                    givens[v] = OFF
                elif ch in (START, GOAL):
                    givens[v] = ON
                    found[ch].append(v)
                elif ch == PATH:
                    marked[v] = True
                elif ch not in (OPEN, OPEN_ALSO):
                    raise InvalidPuzzleError(
                        f"bad character {ch!r} at r{r + 1}c{c + 1}: use '#' (wall), ' ' or '.' (open), "
                        "'S', 'G' or 'o' (path)",
                        position=v,
                    )
        for ch, what in ((START, "start"), (GOAL, "goal")):
            cells = found[ch]
            if not cells:
                raise InvalidPuzzleError(f"no {what} {ch!r} in the maze")
            if len(cells) > 1:
                a, b = (f"r{v // W + 1}c{v % W + 1}" for v in cells[:2])
                raise InvalidPuzzleError(f"more than one {what} {ch!r} ({a} and {b})", position=cells[1])
        start, goal = found[START][0], found[GOAL][0]
        instance = Instance(self.name, (H, W), givens, values_to_candidates(givens, 2),
                            meta={"start": start, "goal": goal})
        if marked.any():
            solution = np.where(givens == ON, ON, marked.astype(np.int64))
            verdict = self.verify(instance, solution)
            if not verdict.valid:
                raise InvalidPuzzleError(f"the marked path is not a shortest path from S to G: {verdict.reason()}")
            instance = Instance(self.name, (H, W), givens, instance.candidates, solution, instance.meta)
        return instance

    # --------------------------------------------------------------- format
    def format(self, instance: Instance, values: np.ndarray | None = None, grid: bool = True) -> str:
        """The maze as text, the path of ``values`` marked ``o`` (``grid=False``: rows joined by ``/``).

        >>> maze = MazeDomain()
        >>> inst = maze.parse("S.#/..G")
        >>> maze.format(inst, grid=False)
        'S #/  G'
        >>> maze.format(inst, np.array([1, 1, 0, 0, 1, 1]), grid=False)
        'So#/ oG'
        """
        H, W = instance.shape
        start, goal = endpoints(instance)
        on = np.zeros(H * W, dtype=bool) if values is None else np.asarray(values).reshape(-1) == ON
        chars = []
        for v, g in enumerate(instance.givens.tolist()):
            if v == start:
                chars.append(START)
            elif v == goal:
                chars.append(GOAL)
            elif g == OFF:
                chars.append(WALL)
            else:
                chars.append(PATH if on[v] else OPEN)
        rows = ["".join(chars[r * W:(r + 1) * W]) for r in range(H)]
        return "\n".join(rows) if grid else "/".join(rows)

    # ---------------------------------------------------------------- layer
    def layer(self, instance: Instance) -> MazeLayer:
        H, W = instance.shape
        return maze_layer(int(H), int(W), self.full_pruning)

    def encode_batch(self, givens: np.ndarray) -> np.ndarray:
        """Tokens ``[B, V]``: 1 open, 2 wall, 3 endpoint (S or G, see the module docstring).

        >>> MazeDomain().encode_batch(np.array([[-1, 0, 1]])).tolist()
        [[1, 2, 3]]
        """
        givens = np.asarray(givens)
        return np.where(givens < 0, TOKEN_OPEN, np.where(givens == OFF, TOKEN_WALL, TOKEN_END)).astype(np.int64)

    def vocab_size(self, instance: Instance) -> int:
        return 4

    def training_preset(self) -> TrainingPreset:
        """The maze's departures from the trainer's default model and options (explicit options win).

        Measured on 9x9, 8 minutes, 1 thread: a shortest path is a wavefront
        across the grid, which a 3x3 convolution iterated in L computes one
        cell per step; global attention stayed at 0% network-alone on 11x11
        after 15 minutes.  Backpropagating all 16 steps (one H cycle) learned
        fast but collapsed again and again (96% -> 7% exact within ten
        batches, even at lr 4e-5); TRM's recursion (a first pass of 8 L steps
        without gradient, the second with it) learned smoothly to 98%
        held-out.  Spike skipping and validation keep a late collapse from
        reaching the saved model.

        >>> MazeDomain().training_preset().model["l_mixer"]
        'conv'
        """
        model = {"l_mixer": "conv", "positions": "none", "hidden": 32, "h_cycles": 2, "l_cycles": 8}
        return TrainingPreset(lr=3e-4, lr_schedule="cosine", spike_factor=4.0, validate_seconds=30.0, model=model)

    # --------------------------------------------------------------- search
    def search(
        self,
        instance: Instance,
        candidates: np.ndarray,
        budget: Budget | None = None,
        *,
        max_solutions: int = 1,
        variable_order: VariableOrder | None = None,
        value_order: ValueOrder | None = None,
        probs: np.ndarray | None = None,
    ) -> SearchResult:
        """A shortest path allowed by ``candidates`` (A*, always optimal).

        ``probs`` (``[V, 2]``, the network's) breaks ties among equally good
        cells towards those it rates likely on the path, so of several
        shortest paths the network's favourite comes back.  ``max_solutions``
        above 1 asks whether the path is unique: the status is then
        ``multiple_solutions`` when there is more than one.  The orders are
        for depth-first search and are ignored: A* expands cells by distance.

        >>> maze = MazeDomain()
        >>> inst = maze.parse("S  /  G")
        >>> maze.search(inst, inst.candidates, max_solutions=2).status.value
        'multiple_solutions'
        """
        layer = self.layer(instance)
        cand = np.asarray(candidates, dtype=bool)
        start, goal = endpoints(instance)
        ends = (start, goal) if cand[start, ON] and cand[goal, ON] else None
        prefer = None if probs is None else np.asarray(probs, dtype=np.float64)[:, ON]
        return shortest_path(layer, cand, budget or Budget(), ends=ends, prefer=prefer, unique=max_solutions > 1)

    # ------------------------------------------------------------ generator
    def generate(
        self,
        rng: np.random.Generator,
        count: int = 1,
        *,
        size: int = 30,
        width: int | None = None,
        min_path: int | None = None,
        knockout: float | None = None,
        unique: bool = False,
        max_attempts: int | None = None,
        **_: Any,
    ) -> list[Instance]:
        """Hard mazes with a shortest path of more than ``min_path`` cells.

        A perfect maze with a share ``knockout`` of its inner walls removed,
        S and G more than ``min_path`` path cells apart (default
        :func:`default_min_path`: 110 on 30x30); see :mod:`domains.maze_generator`.
        ``unique=True`` keeps only mazes with exactly one shortest path.  The
        solution is one shortest path; ``meta`` records ``path_cells`` and
        ``path_count`` (how many shortest paths there are).

        >>> [m] = MazeDomain().generate(np.random.default_rng(0), size=11)
        >>> m.meta["path_cells"] > 14, MazeDomain().verify(m, m.solution).valid
        (True, True)
        """
        H, W = int(size), int(size if width is None else width)
        if H < 5 or W < 5:
            raise ConfigError(f"generated mazes are at least 5x5, got {H}x{W}")
        if H * W > MAX_CELLS:
            raise ConfigError(f"a maze has at most {MAX_CELLS} cells, got {H}x{W}")
        share = self.knockout if knockout is None else float(knockout)
        if not 0.0 <= share <= 1.0:
            raise ConfigError(f"knockout must be in [0, 1], got {share!r}")
        threshold = default_min_path(H, W) if min_path is None else int(min_path)
        layer = maze_layer(H, W, self.full_pruning)
        return generate_mazes(rng, layer, count, min_path=threshold, knockout=share, unique=unique,
                              max_attempts=max_attempts, domain=self.name)

    # ------------------------------------------------------------- symmetry
    def random_symmetry(self, instance: Instance, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """One of the 8 rotations and reflections (square mazes) or 4 flips (others).

        >>> inst = MazeDomain().parse("S #/  G")
        >>> perm, relabel = MazeDomain().random_symmetry(inst, np.random.default_rng(1))
        >>> sorted(perm.tolist()) == list(range(6)), relabel.tolist()
        (True, [0, 1])
        """
        H, W = instance.shape
        grid = np.arange(H * W).reshape(H, W)
        if H == W:
            k = int(rng.integers(8))
            grid = np.rot90(grid, k % 4)
            if k >= 4:
                grid = grid.T
        else:
            k = int(rng.integers(4))
            if k & 1:
                grid = grid[::-1]
            if k & 2:
                grid = grid[:, ::-1]
        return np.ascontiguousarray(grid).reshape(-1), np.arange(2)

    def augment(self, instance: Instance, rng: np.random.Generator) -> Instance:
        """A randomly rotated or reflected copy of the instance (and its solution).

        >>> maze = MazeDomain()
        >>> [m] = maze.generate(np.random.default_rng(2), size=7, min_path=5)
        >>> copy = maze.augment(m, np.random.default_rng(3))
        >>> maze.verify(copy, copy.solution).valid
        True
        """
        return self.view(instance, self.random_symmetry(instance, rng))

    def view(self, instance: Instance, symmetry: tuple[np.ndarray, np.ndarray]) -> Instance:
        """The maze rotated or reflected by ``symmetry``, its endpoints moved with it."""
        perm, relabel = symmetry
        where = np.argsort(perm)  # where[old] = new index
        meta = dict(instance.meta)
        for key in ("start", "goal"):
            if key in meta:
                meta[key] = int(where[meta[key]])
        solution = None if instance.solution is None else apply_symmetry(instance.solution, perm, relabel)
        givens = apply_symmetry(instance.givens, perm, relabel)
        return Instance(self.name, instance.shape, givens, values_to_candidates(givens, 2), solution, meta)

    # ----------------------------------------------------------------- files
    def read_records(self, path: str | Path, limit: int | None = None) -> Iterator[PuzzleRecord]:
        """The mazes of a text file (``.gz`` too), lazily: grids separated by empty lines, or one-line mazes.

        A block of one line is parsed as a one-line maze (``/``-joined rows
        or ``n*n`` characters), a longer block as a grid.  ``#`` lines are
        maze rows here, not comments.  A record's ``line`` is that of its
        block's first row (see :func:`domains.maze_text.iter_maze_blocks`).
        """
        for line, text in iter_maze_blocks(path, limit):
            yield PuzzleRecord(line=line, text=text)

    # -------------------------------------------------------------- picture
    def draw_trace(self, trace: Any, path: str | Path) -> Path:
        """A PNG of the maze, its path and the loop's subgoals (:func:`~domains.maze_picture.draw_maze_trace`)."""
        return draw_maze_trace(trace, path)


def endpoints(instance: Instance) -> tuple[int, int]:
    """``(start, goal)`` cell indices: from ``meta``, else the two given ``on`` cells.

    >>> endpoints(MazeDomain().parse("G S/# #"))
    (2, 0)
    """
    start, goal = instance.meta.get("start"), instance.meta.get("goal")
    givens = instance.givens
    if start is not None and goal is not None and givens[start] == ON and givens[goal] == ON:
        return int(start), int(goal)
    ends = np.flatnonzero(givens == ON)
    if ends.size != 2:
        raise InvalidPuzzleError(f"a maze has exactly two endpoints (S and G), found {ends.size}")
    return int(ends[0]), int(ends[1])


__all__ = ["MazeDomain", "default_min_path", "endpoints", "maze_layer"]

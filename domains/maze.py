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
search is A* on the grid (:meth:`MazeDomain.search_instance`), always optimal.

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
import gzip
import math
from pathlib import Path
from typing import Any

import numpy as np

from solvers.base import UNASSIGNED, Budget, values_to_candidates
from solvers.errors import ConfigError, InvalidPuzzleError
from solvers.graph import OFF, ON, MazeLayer
from solvers.search import SearchResult

from .base import Domain, Instance, apply_symmetry

WALL, OPEN, START, GOAL, PATH = "#", " ", "S", "G", "o"
OPEN_ALSO = "."
#: Network tokens (0 is padding, as for every domain).
TOKEN_OPEN, TOKEN_WALL, TOKEN_END = 1, 2, 3
MAX_CELLS = 40_000
#: Maze-Hard keeps 30x30 mazes whose shortest path is longer than 110 cells.
HARD_PATH_30 = 110


@functools.lru_cache(maxsize=64)
def maze_layer(height: int, width: int, full_pruning: bool = False) -> MazeLayer:
    """The symbolic layer of ``height x width`` mazes (cached per shape).

    >>> maze_layer(30, 30) is maze_layer(30, 30)
    True
    """
    return MazeLayer(height, width, full_pruning=full_pruning)


def default_min_path(height: int, width: int) -> int:
    """Path-length threshold of the generator: 110 cells on 30x30, scaled by area.

    >>> default_min_path(30, 30), default_min_path(11, 11)
    (110, 14)
    """
    return int(HARD_PATH_30 * height * width / 900)


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
        rows = _rows(text)
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

    # ---------------------------------------------------------------- solve
    def search_instance(
        self,
        instance: Instance,
        candidates: np.ndarray,
        budget: Budget | None = None,
        unique: bool = False,
        probs: np.ndarray | None = None,
    ) -> SearchResult:
        """A shortest path allowed by ``candidates`` (A*, always optimal).

        ``probs`` (``[V, 2]``, the network's) breaks ties among equally good
        cells towards those it rates likely on the path, so of several
        shortest paths the network's favourite comes back.  ``unique=True``
        reports ``multiple_solutions`` when there is more than one.
        """
        layer = self.layer(instance)
        cand = np.asarray(candidates, dtype=bool)
        start, goal = endpoints(instance)
        ends = (start, goal) if cand[start, ON] and cand[goal, ON] else None
        prefer = None if probs is None else np.asarray(probs, dtype=np.float64)[:, ON]
        return layer.shortest_path(cand, budget or Budget(), ends=ends, prefer=prefer, unique=unique)

    def solve(
        self,
        instance: Instance,
        budget: Budget | None = None,
        *,
        max_solutions: int = 1,
        variable_order=None,
        value_order=None,
    ) -> SearchResult:
        """The symbolic layer alone: A* from S to G (orders are for other domains' search)."""
        return self.search_instance(instance, instance.candidates, budget, unique=max_solutions > 1)

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

        Method: a perfect maze by randomized depth-first search on the cells
        of odd coordinates (for an even side the last row or column stays a
        second wall), then a share ``knockout`` of the remaining inner walls
        between two such cells is removed, so that several routes compete.
        S is a random open cell, G a random open cell more than ``min_path``
        path cells away (default :func:`default_min_path`: 110 on 30x30);
        a maze with no such cell is drawn again.  ``unique=True`` keeps only
        mazes with exactly one shortest path.  The solution is one shortest
        path; ``meta`` records ``path_cells`` and ``path_count`` (how many
        shortest paths there are).

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
        out: list[Instance] = []
        attempts = 0
        limit = max_attempts if max_attempts is not None else 100 * max(count, 1)
        while len(out) < count and attempts < limit:
            attempts += 1
            open_ = _perfect_maze(rng, H, W)
            _knock_out(rng, open_, share)
            flat = open_.reshape(-1)
            cells = np.flatnonzero(flat)
            start = int(rng.choice(cells))
            steps = np.array(layer.distances(start, flat.tolist()))
            far = np.flatnonzero(steps + 1 > threshold)
            if not far.size:
                continue
            goal = int(rng.choice(far))
            givens = np.where(flat, UNASSIGNED, OFF).astype(np.int64)
            givens[[start, goal]] = ON
            analysis = layer.analyse(flat.tolist(), [start, goal], ends=(start, goal))
            paths = layer.count_paths(analysis)
            if unique and paths != 1:
                continue
            result = layer.shortest_path(values_to_candidates(givens, 2), None, ends=(start, goal))
            solution = np.array(result.values, dtype=np.int64)
            meta = {"start": start, "goal": goal, "path_cells": analysis.dist + 1, "path_count": paths}
            out.append(Instance(self.name, (H, W), givens, values_to_candidates(givens, 2), solution, meta))
        return out

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
        perm, relabel = self.random_symmetry(instance, rng)
        where = np.argsort(perm)  # where[old] = new index
        meta = dict(instance.meta)
        for key in ("start", "goal"):
            if key in meta:
                meta[key] = int(where[meta[key]])
        solution = None if instance.solution is None else apply_symmetry(instance.solution, perm, relabel)
        H, W = instance.shape
        shape = (H, W) if H == W else instance.shape
        givens = apply_symmetry(instance.givens, perm, relabel)
        return Instance(self.name, shape, givens, values_to_candidates(givens, 2), solution, meta)

    # ----------------------------------------------------------------- files
    def read_file(self, path: str | Path, limit: int | None = None) -> list[Instance]:
        """Mazes of a text file (``.gz`` too): grids separated by empty lines, or one-line mazes.

        A block of one line is parsed as a one-line maze (``/``-joined rows
        or ``n*n`` characters), a longer block as a grid.  ``#`` lines are
        maze rows here, not comments.
        """
        path = Path(path)
        if not path.is_file():
            raise InvalidPuzzleError(f"no such puzzle file: {path}")
        opener = gzip.open if path.suffix == ".gz" else open
        try:
            with opener(path, "rt", encoding="utf-8", errors="strict", newline="") as handle:
                text = handle.read()
        except (UnicodeDecodeError, OSError, EOFError) as exc:
            raise InvalidPuzzleError(f"cannot read puzzle file {path}: {exc}") from None
        blocks: list[tuple[int, list[str]]] = []
        current: list[str] = []
        first = 0
        for number, line in enumerate(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"), start=1):
            if line == "":
                if current:
                    blocks.append((first, current))
                current = []
                continue
            if not current:
                first = number
            current.append(line)
        if current:
            blocks.append((first, current))
        out = []
        for i, (line_number, block) in enumerate(blocks[:limit] if limit is not None else blocks):
            try:
                out.append(self.parse("\n".join(block)))
            except InvalidPuzzleError as exc:
                raise InvalidPuzzleError(
                    f"{path.name} maze {i + 1} (line {line_number}): {exc.reason}", exc.position
                ) from None
        return out

    # -------------------------------------------------------------- picture
    def draw_trace(self, trace, path: str | Path) -> Path:
        """A PNG of the maze: walls, the answer path, and the subgoals of the loop.

        Green dots: ``on`` waypoints the layer accepted; red crosses: rejected
        subgoals; orange crosses: commits backed out after a contradiction.
        """
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        H, W = trace.shape
        givens = np.asarray(trace.givens).reshape(H, W)
        image = np.ones((H, W, 3))
        image[givens == OFF] = (0.15, 0.15, 0.2)
        if trace.final_values is not None:
            on = (np.asarray(trace.final_values).reshape(H, W) == ON) & (givens != OFF)
            image[on] = (0.55, 0.7, 1.0)
        fig, ax = plt.subplots(figsize=(max(4.0, W * 0.22), max(4.0, H * 0.22) + 0.8))
        ax.imshow(image, interpolation="nearest")
        for v in np.flatnonzero(givens.reshape(-1) == ON):
            r, c = divmod(int(v), W)
            ax.text(c, r, "E", ha="center", va="center", fontsize=7, fontweight="bold", color="black")
        accepted = [(v, k) for cyc in trace.cycles for v, k in cyc.accepted]
        rejected = [(v, k) for cyc in trace.cycles for v, k, _ in cyc.rejected]
        backed = [(v, k) for cyc in trace.cycles for v, k in cyc.backed_out]
        for cells, style in ((accepted, dict(marker="o", color="green")), (rejected, dict(marker="x", color="red")),
                             (backed, dict(marker="x", color="darkorange"))):
            pts = [divmod(int(v), W) for v, k in cells if k == ON or style["marker"] == "x"]
            if pts:
                ax.scatter([c for _, c in pts], [r for r, _ in pts], s=18, linewidths=1.2, **style)
        ax.set_xticks([])
        ax.set_yticks([])
        search = trace.search
        title = trace.halt_reason or ""
        if search is not None:
            title += f"\nsearch ({search.guide}): {search.status}, {search.nodes} cells expanded"
        ax.set_title(title, fontsize=8)
        fig.text(0.5, 0.01, "E: S or G   blue: path   green: accepted waypoint   red: rejected   orange: backed out",
                 ha="center", fontsize=7)
        fig.tight_layout(rect=(0, 0.03, 1, 1))
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=120)
        plt.close(fig)
        return path


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


def _rows(text: str) -> list[str]:
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidPuzzleError("maze is not UTF-8 text") from None
    if not isinstance(text, str):
        raise InvalidPuzzleError(f"a maze must be text, got {type(text).__name__}")
    if len(text) > 4 * MAX_CELLS:
        raise InvalidPuzzleError(f"maze text too long ({len(text)} characters)")
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    while lines and lines[0] == "":
        lines.pop(0)
    while lines and lines[-1] == "":
        lines.pop()
    if not lines:
        raise InvalidPuzzleError("empty maze")
    if len(lines) > 1:
        return lines
    line = lines[0]
    if "/" in line:
        return line.split("/")
    n = math.isqrt(len(line))
    if n * n != len(line):
        raise InvalidPuzzleError(
            f"a one-line maze without '/' must be square, got {len(line)} characters; "
            "separate rows with '/' or newlines"
        )
    return [line[r * n:(r + 1) * n] for r in range(n)]


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


__all__ = ["MazeDomain", "default_min_path", "endpoints", "maze_layer"]

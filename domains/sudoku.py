"""Sudoku of any ``n² x n²`` size (4x4, 9x9, 16x16): parse, format, verify, generate.

Variables are the cells in row-major order, values ``0..K-1`` stand for the
symbols ``1..K`` (``1-9`` then ``A-G`` for 16x16).  The size is read from the
input: 16, 81 or 256 cells.  Accepted formats:

* one line of cells, ``.``, ``0``, ``_`` or ``*`` for a blank;
* a grid with spaces, newlines and ``|``/``+``/``-`` decoration;
* whitespace-separated numbers (``10 0 3 ...``), handy for 16x16;
* tdoku's ``puzzle:count:solution`` (the solution is checked and kept).

Examples
--------
>>> sudoku = SudokuDomain()
>>> inst = sudoku.parse(".13." "...." "3..4" "....")
>>> result = sudoku.solve(inst)
>>> print(sudoku.format(inst, result.values, grid=True))
4132
2341
3214
1423
>>> sudoku.verify(inst, result.values).valid
True
"""

from __future__ import annotations

import functools
import math
import re
from pathlib import Path
from typing import Any, Iterator, Sequence

import numpy as np

from solvers.alldiff import AllDifferentLayer
from solvers.base import UNASSIGNED, Budget, values_to_candidates
from solvers.errors import InvalidPuzzleError, Status
from solvers.search import search

from .base import Domain, Instance, PuzzleRecord
from .files import iter_numbered_lines
from .generation import augment_by_symmetry, random_guidance, remove_givens
from .sudoku_lines import format_lines, parse_lines
from .text import as_text

SYMBOLS = "123456789ABCDEFGHIJKLMNOP"
BLANKS = frozenset(".0_*")
SUPPORTED_BOXES = (2, 3, 4)
_DECORATION_LINE = re.compile(r"^[\s\-+|=]*$")
_NUMBER_TOKEN = re.compile(r"^(\d+|\.)$")
#: Search limits of one uniqueness check in the generator (over it: the given stays).
_UNIQUE_BUDGET = Budget(max_nodes=20_000, max_seconds=None)


@functools.lru_cache(maxsize=None)
def sudoku_layer(box: int) -> AllDifferentLayer:
    """The all-different layer of a ``box² x box²`` Sudoku (cached per size).

    >>> sudoku_layer(3).verify(np.full(81, -1)).consistent
    True
    """
    n = box * box
    groups, names = [], []
    for r in range(n):
        groups.append([r * n + c for c in range(n)])
        names.append(f"row {r + 1}")
    for c in range(n):
        groups.append([r * n + c for r in range(n)])
        names.append(f"column {c + 1}")
    for b in range(n):
        r0, c0 = box * (b // box), box * (b % box)
        groups.append([(r0 + i) * n + c0 + j for i in range(box) for j in range(box)])
        names.append(f"box {b + 1}")
    return AllDifferentLayer(
        groups,
        n,
        variable_names=[f"r{v // n + 1}c{v % n + 1}" for v in range(n * n)],
        value_names=list(SYMBOLS[:n]),
        group_names=names,
    )


def _row_cells(line: str) -> int:
    """How many cells a line holds (numbers count one each when any is over 9)."""
    tokens = line.replace("|", " ").replace("+", " ").split()
    if any(len(t) > 1 for t in tokens) and all(_NUMBER_TOKEN.match(t) for t in tokens):
        return len(tokens)
    return len("".join(tokens))


def _looks_like_a_row(line: str) -> bool:
    """A 16-cell line that is a 16x16 row, not a 4x4 puzzle: ``|`` separators or numbers over 9."""
    tokens = line.replace("|", " ").split()
    return "|" in line or any(len(t) > 1 and t.isdigit() for t in tokens)


class SudokuDomain(Domain):
    """The Sudoku domain, registered as ``"sudoku"``."""

    name = "sudoku"

    # ---------------------------------------------------------------- parse
    def parse(self, text: str) -> Instance:
        """Parse one puzzle (see the module docstring for the formats).

        >>> SudokuDomain().parse("12")
        Traceback (most recent call last):
        ...
        solvers.errors.InvalidPuzzleError: a Sudoku has 16, 81 or 256 cells, got 2
        """
        text = as_text(text)
        puzzle, solution_text = text, None
        if ":" in text:
            parts = text.strip().split(":")
            if len(parts) > 3:
                raise InvalidPuzzleError("expected 'puzzle:count:solution', got more than 3 fields")
            puzzle = parts[0]
            if len(parts) == 3 and parts[2].strip():
                solution_text = parts[2]
        givens = self._read_cells(puzzle)
        n = math.isqrt(givens.size)
        box = math.isqrt(n)
        instance = Instance(
            domain=self.name,
            shape=(n, n),
            givens=givens,
            candidates=values_to_candidates(givens, n),
            meta={"box": box},
        )
        if solution_text is not None:
            solution = self._read_cells(solution_text)
            if solution.size != givens.size or (solution < 0).any():
                raise InvalidPuzzleError("the solution field is not a complete grid of the same size")
            if not self.verify(instance, solution).valid:
                raise InvalidPuzzleError("the solution field is not a solution of the puzzle")
            instance = Instance(self.name, instance.shape, givens, instance.candidates, solution, instance.meta)
        return instance

    @staticmethod
    def _read_cells(text: str) -> np.ndarray:
        lines = [ln for ln in text.splitlines() if not _DECORATION_LINE.match(ln) or ln.strip() == ""]
        body = " ".join(lines).replace("|", " ").replace("+", " ")
        tokens = body.split()
        numeric = (
            len(tokens) in (16, 81, 256)
            and any(len(t) > 1 for t in tokens)
            and all(_NUMBER_TOKEN.match(t) for t in tokens)
        )
        if numeric:
            n = math.isqrt(len(tokens))
            values = []
            for i, t in enumerate(tokens):
                v = 0 if t == "." else int(t)
                if v > n:
                    raise InvalidPuzzleError(f"value {v} is out of range 1..{n}", position=i)
                values.append(v - 1)
            return np.array(values, dtype=np.int64)
        cells = "".join(tokens)
        length = len(cells)
        n = math.isqrt(length)
        if n * n != length or math.isqrt(n) ** 2 != n or math.isqrt(n) not in SUPPORTED_BOXES:
            raise InvalidPuzzleError(f"a Sudoku has 16, 81 or 256 cells, got {length}")
        symbols = SYMBOLS[:n]
        out = np.empty(length, dtype=np.int64)
        for i, ch in enumerate(cells):
            if ch in BLANKS:
                out[i] = UNASSIGNED
                continue
            k = symbols.find(ch.upper())
            if k < 0:
                raise InvalidPuzzleError(
                    f"bad character {ch!r} for a {n}x{n} Sudoku (use {symbols[0]}-{symbols[-1]} or '.')",
                    position=i,
                )
            out[i] = k
        return out

    def parse_many(self, puzzles: Sequence[str] | np.ndarray) -> list[tuple[Instance, np.ndarray, np.ndarray]]:
        """One-line puzzles (16, 81, 256 characters) read as whole arrays (:mod:`domains.sudoku_lines`),
        or a givens array ``[B, V]`` of value indices (``-1`` blank); grids and other forms are left to
        :meth:`parse`.

        >>> [(template, index, givens)] = SudokuDomain().parse_many(["1..." * 4, "no", "...." * 4])
        >>> template.shape, index.tolist(), givens[:, :4].tolist()
        ((4, 4), [0, 2], [[0, -1, -1, -1], [-1, -1, -1, -1]])
        """
        if isinstance(puzzles, np.ndarray):
            givens = np.asarray(puzzles)
            n = math.isqrt(givens.shape[-1]) if givens.ndim == 2 else 0
            if givens.ndim != 2 or n * n != givens.shape[1] or math.isqrt(n) ** 2 != n or n not in (4, 9, 16):
                raise InvalidPuzzleError(f"a givens array must be [B, 16, 81 or 256], got {list(givens.shape)}")
            if not np.issubdtype(givens.dtype, np.integer) or givens.min(initial=0) < -1 or givens.max(initial=0) >= n:
                raise InvalidPuzzleError(f"givens must be whole numbers in -1..{n - 1} (-1: blank)")
            return [(self.empty(n), np.arange(givens.shape[0]), givens.astype(np.int64))]
        return [(self.empty(n), index, givens) for n, index, givens in parse_lines(puzzles)]

    # ---------------------------------------------------------------- files
    def read_records(self, path: str | Path, limit: int | None = None) -> Iterator[PuzzleRecord]:
        """Puzzles of a file: one a line, or pretty grids of one row a line (4, 9 or 16 rows), lazily.

        A line of 4 or 9 cells starts a grid that takes as many rows
        (decoration lines such as ``------+------`` are skipped); a line of
        16 cells is a 16x16 row when it has ``|`` or numbers over 9 in it,
        or a grid is under way, else a whole 4x4 puzzle.  ``#`` lines are
        comments; the record's line is the grid's first row.
        """
        if limit is not None and limit <= 0:
            return
        count, rows, first, width = 0, [], 0, 0
        for number, line in iter_numbered_lines(path):
            if rows and _DECORATION_LINE.match(line):
                continue
            cells = _row_cells(line)
            if not rows and cells in (4, 9, 16) and (cells != 16 or _looks_like_a_row(line)):
                rows, first, width = [line], number, cells
            elif rows and cells == width:
                rows.append(line)
            else:
                if rows:  # an unfinished grid: hand it over as it is, parsing will say what is wrong
                    yield PuzzleRecord(first, "\n".join(rows))
                    rows, count = [], count + 1
                    if limit is not None and count >= limit:
                        return
                yield PuzzleRecord(number, line)
                count += 1
            if rows and len(rows) == width:
                yield PuzzleRecord(first, "\n".join(rows))
                rows, count = [], count + 1
            if limit is not None and count >= limit:
                return
        if rows:
            yield PuzzleRecord(first, "\n".join(rows))

    # --------------------------------------------------------------- format
    def format(self, instance: Instance, values: np.ndarray | None = None, grid: bool = False) -> str:
        """One line of cells (``grid=True``: one row a line).

        >>> inst = SudokuDomain().parse("1..." * 4)
        >>> SudokuDomain().format(inst)
        '1...1...1...1...'
        """
        vals = instance.givens if values is None else np.asarray(values)
        n = instance.shape[0]
        chars = ["." if v < 0 else SYMBOLS[v] for v in vals.tolist()]
        if not grid:
            return "".join(chars)
        return "\n".join("".join(chars[r * n : (r + 1) * n]) for r in range(n))

    def format_many(self, template: Instance, values: np.ndarray) -> list[str]:
        """One-line texts of ``values [b, V]`` (``-1``: blank), all at once (:func:`.sudoku_lines.format_lines`).

        >>> SudokuDomain().format_many(SudokuDomain().empty(4), np.array([[0, -1] * 8]))
        ['1.1.1.1.1.1.1.1.']
        """
        return format_lines(values, template.shape[0])

    # ---------------------------------------------------------------- layer
    def layer(self, instance: Instance) -> AllDifferentLayer:
        return sudoku_layer(int(math.isqrt(instance.shape[0])))

    def empty(self, size: int = 9) -> Instance:
        """An instance with no givens of the given size (4, 9 or 16)."""
        if size not in (4, 9, 16):
            raise InvalidPuzzleError(f"Sudoku size must be 4, 9 or 16, got {size}")
        return self.parse("." * size * size)

    # ------------------------------------------------------------- symmetry
    def random_symmetry(self, instance: Instance, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """Digit relabelling, band/row/stack/column shuffles and transposition."""
        n = instance.shape[0]
        box = math.isqrt(n)

        def line_order() -> np.ndarray:
            bands = rng.permutation(box)
            return np.concatenate([b * box + rng.permutation(box) for b in bands])

        rows, cols = line_order(), line_order()
        grid = rows[:, None] * n + cols[None, :]
        if rng.random() < 0.5:
            grid = grid.T
        return grid.reshape(-1), rng.permutation(n)

    # ------------------------------------------------------------ generator
    def generate(
        self,
        rng: np.random.Generator,
        count: int = 1,
        *,
        size: int = 9,
        min_guesses: int = 0,
        max_guesses: int | None = None,
        min_givens: int = 0,
        max_attempts: int | None = None,
        **_: Any,
    ) -> list[Instance]:
        """Puzzles with a unique solution, at a difficulty in guesses.

        Method: fill an empty grid by search with random value order, then
        remove givens in random order while the puzzle keeps a unique
        solution (checked by counting solutions up to 2), down to
        ``min_givens``.  Difficulty is the number of guesses the default
        search needs after propagation; puzzles outside
        ``[min_guesses, max_guesses]`` are discarded and tried again.

        >>> rng = np.random.default_rng(0)
        >>> [p] = SudokuDomain().generate(rng, size=4)
        >>> SudokuDomain().solve(p, max_solutions=2).status.value
        'solved'
        """
        layer = self.layer(self.empty(size))
        out: list[Instance] = []
        attempts = 0
        limit = max_attempts if max_attempts is not None else 200 * max(count, 1)
        while len(out) < count and attempts < limit:
            attempts += 1
            solution = self._random_grid(size, rng, layer)
            givens = remove_givens(solution, rng, functools.partial(self._is_unique, layer), min_givens)
            inst = self.with_givens(self.empty(size), givens, solution=solution, box=math.isqrt(size))
            guesses = self.solve(inst).nodes
            if guesses < min_guesses or (max_guesses is not None and guesses > max_guesses):
                continue
            inst.meta["guesses"] = guesses
            out.append(inst)
        return out

    @staticmethod
    def _random_grid(size: int, rng: np.random.Generator, layer: AllDifferentLayer) -> np.ndarray:
        """A random complete grid: the compiled search from an empty one with random orders."""
        full = (1 << size) - 1
        V = size * size
        result = search(layer, [full] * V, Budget(None, None), guidance=random_guidance(rng, V, size))
        assert result.status is Status.SOLVED  # an empty grid always has a solution
        return np.array(result.values, dtype=np.int64)

    @staticmethod
    def _is_unique(layer: AllDifferentLayer, givens: np.ndarray) -> bool:
        """Whether ``givens`` have exactly one completion (``False`` when undecided in 20,000 nodes)."""
        masks = np.where(givens < 0, layer.full_mask, 1 << np.maximum(givens, 0)).tolist()
        return search(layer, masks, _UNIQUE_BUDGET, max_solutions=2).status is Status.SOLVED

    def augment(self, instance: Instance, rng: np.random.Generator) -> Instance:
        """A randomly relabelled, shuffled copy of the instance (and its solution)."""
        return augment_by_symmetry(self, instance, rng)

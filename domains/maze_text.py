"""The text forms of mazes: the rows of one maze's text, the blocks of a maze file.

A maze is a grid of lines; the same rows joined by ``/`` on one line; or, as
in the Maze-Hard files, one line of ``n*n`` characters for an ``n x n``
maze.  A file holds mazes separated by empty lines; there ``#`` starts a
maze row (a wall), not a comment, so the one-puzzle-a-line reader of
:mod:`domains.base` does not fit.

Examples
--------
>>> maze_rows("S #/  G")
['S #', '  G']
>>> maze_rows("S  G")
['S ', ' G']
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Iterator

from solvers.errors import InvalidPuzzleError

from .files import open_puzzle_file, read_errors
from .text import as_text

#: Largest maze accepted (cells).
MAX_CELLS = 40_000


def maze_rows(text: str) -> list[str]:
    """The rows of one maze's text (any of the three forms), not yet checked to be rectangular.

    >>> maze_rows("SG")
    Traceback (most recent call last):
    ...
    solvers.errors.InvalidPuzzleError: a one-line maze without '/' must be square, got 2 characters; \
separate rows with '/' or newlines
    """
    text = as_text(text, "maze", 4 * MAX_CELLS)
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


def iter_maze_blocks(path: str | Path, limit: int | None = None) -> Iterator[tuple[int, str]]:
    """``(line number of its first row, text)`` of each maze of a file (``.gz`` too), lazily.

    Mazes are blocks of lines separated by empty lines (a line of spaces is
    a maze row); ``\\n``, ``\\r\\n`` and ``\\r`` all end a line.  ``limit``:
    at most this many blocks.  A missing or unreadable file raises
    :class:`InvalidPuzzleError`.
    """
    if limit is not None and limit <= 0:
        return
    count = 0
    current: list[str] = []
    first = 0
    # newline="": every line ending is recognised and kept, so it is stripped here.
    with read_errors(path), open_puzzle_file(path, newline="") as handle:
        for number, raw in enumerate(handle, start=1):
            line = raw.rstrip("\r\n")
            if line:
                if not current:
                    first = number
                current.append(line)
                continue
            if current:
                yield first, "\n".join(current)
                count += 1
                if limit is not None and count >= limit:
                    return
            current = []
    if current:
        yield first, "\n".join(current)


__all__ = ["MAX_CELLS", "iter_maze_blocks", "maze_rows"]

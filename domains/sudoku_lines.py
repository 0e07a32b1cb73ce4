"""Sudoku puzzles of the common one-line forms, parsed and formatted as whole arrays (no loop per cell).

A one-line puzzle of 16, 81 or 256 characters (``1-9``, then ``A-G`` or
``a-g`` for 16x16, and ``.``, ``0``, ``_`` or ``*`` for a blank) is read
by one table lookup on the bytes of all such lines at once.  Anything else
(grids, numbers, the tdoku ``puzzle:count:solution`` form, a bad
character) is left to :meth:`~domains.sudoku.SudokuDomain.parse`, which
also says what is wrong with a bad puzzle.

Examples
--------
>>> [(n, index, givens)] = parse_lines(["1.3." "3..." "...4" ".1.2", "bad"])
>>> n, index.tolist(), givens[:, :5].tolist()
(4, [0], [[0, -1, 2, -1, 2]])
>>> format_lines(np.array([[0, 1, 2, 3] * 4]), 4)
['1234123412341234']
"""

from __future__ import annotations

import functools
from typing import Sequence

import numpy as np

#: Cells of a one-line puzzle -> the side of its grid.
SIDES = {16: 4, 81: 9, 256: 16}
_SYMBOLS = "123456789ABCDEFG"
_BAD = -2


@functools.lru_cache(maxsize=None)
def _table(n: int) -> np.ndarray:
    """Byte -> value index (``-1`` blank, ``-2`` not a cell of an ``n x n`` puzzle)."""
    table = np.full(256, _BAD, dtype=np.int64)
    for ch in ".0_*":
        table[ord(ch)] = -1
    for k, ch in enumerate(_SYMBOLS[:n]):
        table[ord(ch)] = table[ord(ch.lower())] = k
    return table


def parse_lines(texts: Sequence[object]) -> list[tuple[int, np.ndarray, np.ndarray]]:
    """The one-line puzzles among ``texts``, by size: ``[(n, index [b], givens [b, n*n])]``.

    ``index`` says which texts they are; texts not listed are of another
    form (or bad) and need the one-by-one parser.  Givens are value
    indices, ``-1`` where blank.  Surrounding whitespace is ignored.
    """
    by_length: dict[int, list[int]] = {}
    stripped: list[str] = []
    for i, text in enumerate(texts):
        line = text.strip() if isinstance(text, str) else ""
        stripped.append(line)
        if len(line) in SIDES:
            by_length.setdefault(len(line), []).append(i)
    out = []
    for length, index in sorted(by_length.items()):
        rows = [stripped[i] for i in index]
        try:
            data = "".join(rows).encode("ascii")
        except UnicodeEncodeError:  # some line has other characters: keep the ASCII ones
            keep = [j for j, row in enumerate(rows) if row.isascii()]
            index, data = [index[j] for j in keep], "".join(rows[j] for j in keep).encode("ascii")
        if not index:
            continue
        n = SIDES[length]
        givens = _table(n)[np.frombuffer(data, dtype=np.uint8).reshape(len(index), length)]
        good = ~(givens == _BAD).any(axis=1)
        if good.any():
            out.append((n, np.asarray(index, dtype=np.int64)[good], givens[good]))
    return out


def format_lines(values: np.ndarray, n: int) -> list[str]:
    """Rows of ``values [B, n*n]`` (``-1``: blank) as one-line puzzles, all at once."""
    symbols = np.frombuffer(("." + _SYMBOLS[:n]).encode("ascii"), dtype=np.uint8)
    values = np.asarray(values, dtype=np.int64)
    if values.size and (values.min() < -1 or values.max() >= n):
        raise ValueError(f"values outside -1..{n - 1} for a {n}x{n} Sudoku")
    data = symbols[values + 1].tobytes().decode("ascii")
    width = values.shape[1] if values.ndim == 2 else 0
    return [data[i * width : (i + 1) * width] for i in range(values.shape[0])]

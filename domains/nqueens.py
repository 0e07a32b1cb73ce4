"""N-Queens completion: place N queens on an N x N board, some already placed, none attacking another.

How this domain is built (a tutorial for a :class:`~domains.csp_domain.CSPDomain`
whose constraints depend only on the board size):

1. **Variables** (:meth:`NQueensDomain.variables`): one per row, ``r1`` ...
   ``rN``; its value is the column ``1..N`` of that row's queen, so "one
   queen per row" holds by construction.
2. **Constraints** (:meth:`NQueensDomain.constraints`), all shared by every
   puzzle of the size (no per-instance structure, so one symbolic layer and
   one network serve every puzzle of a size, and training sees the exact
   constraints): one queen per column (python-constraint's
   ``AllDifferentConstraint``), and for every pair of rows ``i < j`` no
   shared diagonal, the sympy relation ``Ne(Abs(ri - rj), j - i)``
   compiled by :mod:`solvers.algebra`.
3. **Generator**: the base class's: a random solution by search with a
   random value order, then queens removed in random order while the
   completion stays unique.
4. **Symmetries** (:meth:`NQueensDomain.random_symmetry`): flipping the
   board upside down reverses the rows (a permutation of the variables),
   flipping it left to right reverses the columns (a relabelling of the
   values); both map solutions to solutions, and the trainer uses them to
   augment its data.

Text format: the column of each row's queen (``1``-``N``), ``.`` for a row
still to fill, run together for ``N <= 9`` (``"5...2..."``), else
separated by spaces.

Examples
--------
>>> queens = NQueensDomain()
>>> inst = queens.parse("2.......")
>>> len(queens.solve(inst, max_solutions=100).solutions)   # completions
8
>>> inst = queens.parse(".5....4.")
>>> result = queens.solve(inst, max_solutions=2)
>>> result.status.value, queens.format(inst, result.values)
('solved', '35281746')
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import sympy
from constraint import AllDifferentConstraint

from solvers.errors import ConfigError, InvalidPuzzleError

from .base import Instance
from .csp_domain import CSPDomain, Shape
from .csp_text import read_values
from .nqueens_picture import draw_nqueens_trace
from .text import as_text

SIZES = range(4, 13)


class NQueensDomain(CSPDomain):
    """N-Queens completion (4 to 12 queens), registered as ``"nqueens"``."""

    name = "nqueens"

    def variables(self, shape: Shape) -> dict[str, range]:
        n = shape[0]
        return {f"r{i + 1}": range(1, n + 1) for i in range(n)}

    def constraints(self, shape: Shape, structure: None) -> list:
        n = shape[0]
        rows = sympy.symbols(f"r1:{n + 1}")
        diagonals = [sympy.Ne(sympy.Abs(rows[i] - rows[j]), j - i) for i in range(n) for j in range(i + 1, n)]
        return [AllDifferentConstraint(), *diagonals]

    def default_shape(self, size: int = 8, **_: Any) -> Shape:
        """``(size,)``, 4 to 12 queens."""
        if size not in SIZES:
            raise ConfigError(f"N-Queens size must be 4 to 12, got {size}")
        return (size,)

    def parse(self, text: str) -> Instance:
        """The queens' columns row by row (module docstring); the size is the number of rows.

        >>> NQueensDomain().parse("1..")
        Traceback (most recent call last):
        ...
        solvers.errors.InvalidPuzzleError: N-Queens has 4 to 12 rows, got 3
        """
        tokens = as_text(text).split()
        n = len(tokens[0]) if len(tokens) == 1 else len(tokens)
        if n not in SIZES:
            raise InvalidPuzzleError(f"N-Queens has 4 to 12 rows, got {n}")
        return self.make_instance(read_values(" ".join(tokens), self.layer_for((n,))), (n,))

    def random_symmetry(self, instance: Instance, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """Upside-down and left-right flips of the board (each with probability 1/2)."""
        n = instance.shape[0]
        rows, cols = np.arange(n), np.arange(n)
        if rng.random() < 0.5:
            rows = rows[::-1].copy()
        if rng.random() < 0.5:
            cols = cols[::-1].copy()
        return rows, cols

    def draw_trace(self, trace: Any, path: str | Path) -> Path:
        """A chess board per cycle, the queens placed so far (:func:`~domains.nqueens_picture.draw_nqueens_trace`)."""
        return draw_nqueens_trace(trace, path)

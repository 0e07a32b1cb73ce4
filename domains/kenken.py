"""KenKen: a Latin square whose cages must reach arithmetic targets.

How this domain is built (a tutorial for :class:`~domains.csp_domain.CSPDomain`):

1. **Variables** (:meth:`KenKenDomain.variables`): one per cell, ``r1c1`` ...
   ``rNcN`` in row-major order, each taking a value ``1..N``.  The *shape*
   ``(N, N)`` fixes them.
2. **Shared constraints**: every row and every column is all-different
   (python-constraint's ``AllDifferentConstraint``).  These hold for every
   KenKen of the shape: structure ``None`` is the plain Latin square.
3. **Structure**: the cages, per puzzle, kept in ``instance.meta["structure"]``
   as a tuple of ``(op, target, cells)``; each cage is a sympy relation
   (:func:`cage_relation`), compiled by :mod:`solvers.algebra`:
   ``+`` ``Eq(a + b + c, 7)`` (a linear equation: bounds propagation),
   ``*`` ``Eq(a*b*c, 12)``, ``-`` ``Eq(Abs(a - b), 2)``,
   ``/`` ``Eq(a, 2*b) | Eq(b, 2*a)``, and a one-cell cage ``Eq(a, 3)``.
   Compiling a relation costs about a millisecond, so each kind of cage
   (operation, target, number of cells) is compiled once over placeholder
   symbols and moved onto its cells with :func:`solvers.algebra.rescope`.
   Because the cages differ from puzzle to puzzle, code handling a batch
   of KenKens must use each puzzle's own layer (``domain.layer(instance)``);
   ``domain.shape_layer(instance)``, the Latin square, is the one layer
   sound for all puzzles of a size.
4. **Generator** (:meth:`KenKenDomain.random_structure` plus the base
   class's ``generate``): a random Latin square (search with a random value
   order), a random partition into connected cages of 1-4 cells, targets
   computed from the square, and the puzzle kept only if its solution is
   unique with no given digits (``max_givens=0``).

Text format, one puzzle a line, whitespace-separated fields:

* the cage map: ``N`` rows of ``N`` letters joined by ``/``; one letter
  (``a-z``, ``A-Z``) per cage, a cage's cells orthogonally connected;
* one clue per cage: ``letter=target`` then the operation ``+ - * /``
  (``x`` for ``*``); a one-cell cage has no operation;
* optionally the digits: ``N`` rows of ``1..N`` or ``.`` joined by ``/``.

Examples
--------
>>> kenken = KenKenDomain()
>>> inst = kenken.parse("abb/acc/dde a=1- b=2* c=3/ d=2* e=3")
>>> result = kenken.solve(inst, max_solutions=2)
>>> result.status.value
'solved'
>>> print(kenken.format(inst, result.values))
abb/acc/dde a=1- b=2* c=3/ d=2* e=3 312/231/123
>>> kenken.verify(inst, result.values).valid
True
"""

from __future__ import annotations

import functools
import math
import re
from pathlib import Path
from typing import Any

import numpy as np
import sympy
from constraint import AllDifferentConstraint

from solvers.algebra import CompiledRelation, compile_relation, rescope
from solvers.errors import ConfigError, InvalidPuzzleError

from .base import Instance
from .csp_domain import CSPDomain, Shape
from .kenken_picture import draw_kenken_trace
from .text import as_text

LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
SIZES = range(3, 10)
OPS = {"+": "+", "-": "-", "*": "*", "x": "*", "/": "/"}
_CLUE = re.compile(r"^([a-zA-Z])=(\d{1,9})([+\-*x/]?)$")
_TOKEN = re.compile(r"\S+")
#: (operation, target, cell indices); operation "=" for a one-cell cage.
Cage = tuple[str, int, tuple[int, ...]]


@functools.lru_cache(maxsize=None)
def cell_symbols(n: int) -> tuple[sympy.Symbol, ...]:
    """The sympy symbols ``r1c1 .. rNcN`` (the variable names), row-major."""
    return tuple(sympy.Symbol(f"r{r + 1}c{c + 1}") for r in range(n) for c in range(n))


def cage_relation(op: str, target: int, cells: tuple[sympy.Symbol, ...]) -> sympy.Basic:
    """The sympy relation of one cage.

    >>> a, b = sympy.symbols("a b")
    >>> cage_relation("/", 2, (a, b))
    Eq(a, 2*b) | Eq(b, 2*a)
    >>> cage_relation("-", 1, (a, b, a))
    Traceback (most recent call last):
    ...
    solvers.errors.ConfigError: a '-' cage has 2 cells, got 3
    """
    if op == "=" or len(cells) == 1:
        if len(cells) != 1 or op not in ("=", "+", "*"):
            raise ConfigError(f"a one-cell cage takes no operation, got {op!r} on {len(cells)} cells")
        return sympy.Eq(cells[0], target, evaluate=False)
    if op == "+":  # evaluate=False: nothing to simplify, and evaluating costs a millisecond a cage
        return sympy.Eq(sympy.Add(*cells), target, evaluate=False)
    if op == "*":
        return sympy.Eq(sympy.Mul(*cells), target, evaluate=False)
    if op in ("-", "/"):
        if len(cells) != 2:
            raise ConfigError(f"a {op!r} cage has 2 cells, got {len(cells)}")
        a, b = cells
        if op == "-":
            return sympy.Eq(sympy.Abs(a - b), target, evaluate=False)
        return sympy.Or(sympy.Eq(a, target * b, evaluate=False), sympy.Eq(b, target * a, evaluate=False))
    raise ConfigError(f"unknown cage operation {op!r}")


@functools.lru_cache(maxsize=4096)
def _cage_template(op: str, target: int, size: int, n: int) -> CompiledRelation:
    """A cage kind compiled once, over placeholder symbols ``c0, c1, ...`` with values ``1..n``."""
    slots = sympy.symbols(f"c0:{size}")
    [compiled] = compile_relation(cage_relation(op, target, slots), {s.name: range(1, n + 1) for s in slots})
    return compiled


def cage_constraint(op: str, target: int, names: list[str], n: int) -> CompiledRelation:
    """The compiled constraint of a cage on the named cells (readable verifier reasons).

    >>> cage_constraint("-", 2, ["r1c1", "r2c1"], 4).constraint.description
    '|r1c1 - r2c1| = 2'
    """
    a, b = names[0], names[-1]
    description = {
        "=": f"{a} = {target}",
        "+": f"{' + '.join(names)} = {target}",
        "*": f"{' * '.join(names)} = {target}",
        "-": f"|{a} - {b}| = {target}",
        "/": f"{a} / {b} = {target} or {b} / {a} = {target}",
    }.get(op)
    if description is None:
        raise ConfigError(f"unknown cage operation {op!r}")
    return rescope(_cage_template(op, target, len(names), n), names, description)


def _neighbours(cell: int, n: int) -> list[int]:
    r, c = divmod(cell, n)
    return [rr * n + cc for rr, cc in ((r - 1, c), (r + 1, c), (r, c - 1), (r, c + 1)) if 0 <= rr < n and 0 <= cc < n]


def _connected(cells: tuple[int, ...], n: int) -> bool:
    todo, seen = [cells[0]], {cells[0]}
    members = set(cells)
    while todo:
        for nb in _neighbours(todo.pop(), n):
            if nb in members and nb not in seen:
                seen.add(nb)
                todo.append(nb)
    return len(seen) == len(cells)


class KenKenDomain(CSPDomain):
    """KenKen (3x3 to 9x9): a Latin square with arithmetic cages, registered as ``"kenken"``."""

    name = "kenken"

    # ------------------------------------------------------------ the declaration
    def variables(self, shape: Shape) -> dict[str, range]:
        n = shape[0]
        return {s.name: range(1, n + 1) for s in cell_symbols(n)}

    def constraints(self, shape: Shape, structure: tuple[Cage, ...] | None) -> list:
        n = shape[0]
        names = [s.name for s in cell_symbols(n)]
        rows = [(AllDifferentConstraint(), names[r * n:(r + 1) * n]) for r in range(n)]
        cols = [(AllDifferentConstraint(), names[c::n]) for c in range(n)]
        cages = [cage_constraint(op, target, [names[v] for v in cells], n) for op, target, cells in structure or ()]
        return rows + cols + cages

    def default_shape(self, size: int = 4, **_: Any) -> Shape:
        """``(size, size)``, size 3 to 9."""
        if size not in SIZES:
            raise ConfigError(f"KenKen size must be 3 to 9, got {size}")
        return (size, size)

    # ------------------------------------------------------------------- the text
    def parse(self, text: str) -> Instance:
        """One puzzle in the format of the module docstring."""
        text = as_text(text)
        tokens = [(m.start(), m.group()) for m in _TOKEN.finditer(text)]
        if not tokens:
            raise InvalidPuzzleError("empty KenKen puzzle")
        start, cage_map = tokens[0]
        rows = cage_map.split("/")
        n = len(rows)
        if n not in SIZES:
            raise InvalidPuzzleError(f"the cage map has {n} rows; KenKen is 3x3 to 9x9", position=start)
        cells: dict[str, list[int]] = {}
        offset = start
        for r, row in enumerate(rows):
            if len(row) != n:
                raise InvalidPuzzleError(f"cage map row {r + 1} has {len(row)} cells, expected {n}", position=offset)
            for c, ch in enumerate(row):
                if ch not in LETTERS:
                    raise InvalidPuzzleError(f"bad cage letter {ch!r} (use a-z, A-Z)", position=offset + c)
                cells.setdefault(ch, []).append(r * n + c)
            offset += n + 1
        clues: dict[str, tuple[str, int]] = {}
        givens = np.full(n * n, -1, dtype=np.int64)
        for i, (pos, token) in enumerate(tokens[1:], start=1):
            if "=" not in token and i == len(tokens) - 1:
                givens = self._read_digits(token, n, pos)
                continue
            m = _CLUE.match(token)
            if not m:
                raise InvalidPuzzleError(f"bad clue {token!r}: expected letter=target[op], e.g. a=12*", position=pos)
            letter, target, op = m.group(1), int(m.group(2)), OPS.get(m.group(3), "")
            if letter not in cells:
                raise InvalidPuzzleError(f"clue for cage {letter!r}, which is not in the cage map", position=pos)
            if letter in clues:
                raise InvalidPuzzleError(f"cage {letter!r} has two clues", position=pos)
            size = len(cells[letter])
            if size == 1 and op:
                raise InvalidPuzzleError(f"one-cell cage {letter!r} takes no operation", position=pos)
            if size > 1 and not op:
                raise InvalidPuzzleError(f"cage {letter!r} has {size} cells and needs an operation", position=pos)
            if op in ("-", "/") and size != 2:
                raise InvalidPuzzleError(f"a {op!r} cage has 2 cells; {letter!r} has {size}", position=pos)
            if target < 1 or (op == "-" and target >= n) or (size == 1 and target > n):
                raise InvalidPuzzleError(f"target {target} of cage {letter!r} is impossible on a {n}x{n}", position=pos)
            clues[letter] = (op or "=", target)
        for letter, members in cells.items():
            if letter not in clues:
                raise InvalidPuzzleError(f"cage {letter!r} has no clue", position=start + members[0] // n * (n + 1)
                                         + members[0] % n)
            if not _connected(tuple(members), n):
                raise InvalidPuzzleError(f"the cells of cage {letter!r} are not connected",
                                         position=start + members[-1] // n * (n + 1) + members[-1] % n)
        structure = tuple(sorted(((clues[k][0], clues[k][1], tuple(v)) for k, v in cells.items()),
                                 key=lambda cage: cage[2][0]))
        return self.make_instance(givens, (n, n), structure)

    @staticmethod
    def _read_digits(token: str, n: int, pos: int) -> np.ndarray:
        rows = token.split("/")
        if len(rows) != n or any(len(row) != n for row in rows):
            raise InvalidPuzzleError(f"the digits field must be {n} rows of {n} digits or '.' joined by '/'",
                                     position=pos)
        out = np.full(n * n, -1, dtype=np.int64)
        for r, row in enumerate(rows):
            for c, ch in enumerate(row):
                if ch == ".":
                    continue
                if not ch.isdigit() or not 1 <= int(ch) <= n:
                    raise InvalidPuzzleError(f"bad digit {ch!r} (use 1-{n} or '.')", position=pos + r * (n + 1) + c)
                out[r * n + c] = int(ch) - 1
        return out

    def format(self, instance: Instance, values: np.ndarray | None = None) -> str:
        """Cage map, clues, and the digits when there are any (givens or ``values``)."""
        n = instance.shape[0]
        cages = instance.meta.get("structure") or ()
        if len(cages) > len(LETTERS):
            raise InvalidPuzzleError(f"{len(cages)} cages: the text format has {len(LETTERS)} letters")
        grid = ["?"] * (n * n)
        clues = []
        for letter, (op, target, cells) in zip(LETTERS, cages):
            for v in cells:
                grid[v] = letter
            clues.append(f"{letter}={target}{'' if op == '=' else op}")
        fields = ["/".join("".join(grid[r * n:(r + 1) * n]) for r in range(n)), *clues]
        vals = instance.givens if values is None else np.asarray(values)
        if (vals >= 0).any():
            digits = ["." if k < 0 else str(k + 1) for k in vals.tolist()]
            fields.append("/".join("".join(digits[r * n:(r + 1) * n]) for r in range(n)))
        return " ".join(fields)

    # ------------------------------------------------------------------ generator
    def random_structure(self, rng: np.random.Generator, shape: Shape, solution: np.ndarray) -> tuple[Cage, ...]:
        """Random connected cages of 1-4 cells with targets from ``solution`` (value indices)."""
        n = shape[0]
        digits = (solution + 1).tolist()
        owner = [-1] * (n * n)
        cages: list[list[int]] = []
        for start in rng.permutation(n * n).tolist():
            if owner[start] >= 0:
                continue
            size = int(rng.choice([1, 2, 3, 4], p=[0.08, 0.47, 0.3, 0.15]))
            cage = [start]
            owner[start] = len(cages)
            while len(cage) < size:
                free = sorted({nb for v in cage for nb in _neighbours(v, n) if owner[nb] < 0})
                if not free:
                    break
                nb = free[int(rng.integers(len(free)))]
                owner[nb] = len(cages)
                cage.append(nb)
            cages.append(sorted(cage))
        out = []
        for cells in cages:
            vals = [digits[v] for v in cells]
            if len(cells) == 1:
                op, target = "=", vals[0]
            else:
                ops = ["+", "*"]
                if len(cells) == 2:
                    ops += ["-"] + (["/"] if max(vals) % min(vals) == 0 else [])
                op = ops[int(rng.integers(len(ops)))]
                target = {"+": sum(vals), "*": math.prod(vals), "-": abs(vals[0] - vals[-1]),
                          "/": max(vals) // min(vals)}[op]
            out.append((op, int(target), tuple(cells)))
        return tuple(sorted(out, key=lambda cage: cage[2][0]))

    def generate(self, rng: np.random.Generator, count: int = 1, *, max_givens: int | None = 0,
                 **options: Any) -> list[Instance]:
        """KenKens whose cages alone fix the solution (``max_givens=0``; ``None`` allows givens).

        >>> [p] = KenKenDomain().generate(np.random.default_rng(0), size=4)
        >>> KenKenDomain().solve(p, max_solutions=2).status.value, int((p.givens >= 0).sum())
        ('solved', 0)
        """
        return super().generate(rng, count, max_givens=max_givens, **options)

    def draw_trace(self, trace: Any, path: str | Path) -> Path:
        """The grid per cycle with its cages and clues (:func:`~domains.kenken_picture.draw_kenken_trace`)."""
        return draw_kenken_trace(trace, path)

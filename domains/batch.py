"""Many puzzles as arrays, one :class:`ShapeBatch` per shape: what a batched solve takes.

:func:`group_puzzles` reads texts, instances or a givens array.  Texts of
a form the domain reads as whole arrays (:meth:`Domain.parse_many`:
Sudoku's one-line puzzles) are parsed without a Python object per puzzle;
the others go through :meth:`Domain.parse` one by one, and a bad one is
kept as its error, by position, so the rest can still be solved.

Examples
--------
>>> import domains
>>> sudoku = domains.get("sudoku")
>>> batches, errors = group_puzzles(sudoku, ["1..." * 4, "12", "1...\\n.2..\\n....\\n...."])
>>> [(b.template.shape, b.index.tolist()) for b in batches], sorted(errors)
([((4, 4), [0]), ((4, 4), [2])], [1])
>>> batches[0].roots()[0, :3].tolist()  # candidate bitmasks: a given is one bit, a blank all four
[1, 15, 15]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence, Union

import numpy as np

from solvers.base import candidate_mask_array, values_to_candidates
from solvers.errors import InvalidPuzzleError

from .base import Domain, Instance

#: What a batched solve takes: texts, instances (mixed is fine) or a givens array ``[B, V]``.
Puzzles = Union[Sequence[Union[str, Instance]], np.ndarray]


@dataclass
class ShapeBatch:
    """Puzzles of one shape: their positions in the input, their givens, and their candidates.

    ``candidates [b, V, K]`` is kept only for instances that allow less
    than their givens say (instances parsed one by one); ``None`` means
    exactly the givens.  ``instances``: the parsed instances when there
    are any (else :meth:`instance` builds one from the givens, on demand).
    A batch of instances may leave its arrays unbuilt (``givens=None``):
    they are stacked from the instances on first use, so the pieces that
    threads take (:meth:`part`) stack their own rows, each in its thread.
    """

    template: Instance
    index: np.ndarray
    _givens: np.ndarray | None
    _candidates: np.ndarray | None = None
    instances: list[Instance] | None = None

    def __post_init__(self) -> None:
        if self._givens is None and self.instances is None:
            raise ValueError("a batch needs its givens or its instances")

    @property
    def givens(self) -> np.ndarray:
        """``[b, V]`` value indices, ``-1`` where free."""
        if self._givens is None:
            self._stack()
        return self._givens  # type: ignore[return-value]

    @property
    def candidates(self) -> np.ndarray | None:
        """``[b, V, K]`` booleans where they say less than the givens, else ``None``."""
        if self._givens is None:
            self._stack()
        return self._candidates

    def _stack(self) -> None:
        instances = self.instances or []
        self._givens = np.stack([inst.givens for inst in instances], dtype=np.int64, casting="same_kind")
        self._candidates = np.stack([inst.candidates for inst in instances], dtype=bool, casting="unsafe")

    def __len__(self) -> int:
        return int(self.index.size)

    @property
    def num_values(self) -> int:
        return self.template.num_values

    def candidate_array(self) -> np.ndarray:
        """``[b, V, K]`` booleans: what each puzzle allows (the verifier checks answers against it)."""
        if self.candidates is not None:
            return self.candidates
        return values_to_candidates(self.givens, self.num_values)

    def roots(self) -> np.ndarray:
        """``[b, V]`` int64 candidate bitmasks (bit ``k``: value ``k`` allowed), for ``K <= 62``."""
        K = self.num_values
        if K > 62:
            raise ValueError(f"bitmasks of one int64 hold at most 62 values, got {K}")
        if self.candidates is None:
            return np.where(self.givens < 0, (1 << K) - 1, np.left_shift(1, np.maximum(self.givens, 0)))
        return candidate_mask_array(self.candidates)

    def part(self, rows: slice) -> "ShapeBatch":
        """The puzzles ``rows`` of this batch, as a batch of their own (views, nothing copied).

        >>> import domains
        >>> batches, _ = group_puzzles(domains.get("sudoku"), ["1..." * 4, ".2.." * 4, "..3." * 4])
        >>> batches[0].part(slice(1, 3)).index.tolist()
        [1, 2]
        """
        if self._givens is None:  # not stacked yet: the part stacks its own rows
            return ShapeBatch(self.template, self.index[rows], None, None, self.instances[rows])  # type: ignore[index]
        return ShapeBatch(
            self.template, self.index[rows], self._givens[rows],
            None if self._candidates is None else self._candidates[rows],
            None if self.instances is None else self.instances[rows],
        )

    def instance(self, domain: Domain, j: int) -> Instance:
        """The ``j``-th puzzle of the batch as an :class:`Instance`."""
        if self.instances is not None:
            return self.instances[j]
        return domain.with_givens(self.template, self.givens[j], **self.template.meta)


def group_puzzles(domain: Domain, puzzles: Puzzles) -> tuple[list[ShapeBatch], dict[int, InvalidPuzzleError]]:
    """The puzzles by shape, and the errors of those that do not parse (by position in ``puzzles``).

    A givens array is handed to :meth:`Domain.parse_many` whole (a domain
    that takes none raises :class:`InvalidPuzzleError`).
    """
    if isinstance(puzzles, np.ndarray):
        fast = domain.parse_many(puzzles)
        if sum(index.size for _, index, _ in fast) != len(puzzles):
            raise InvalidPuzzleError(f"domain {domain.name!r} takes texts or instances, not a givens array")
        return [ShapeBatch(t, index, givens) for t, index, givens in fast], {}
    items = list(puzzles)
    text_positions = [i for i, p in enumerate(items) if not isinstance(p, Instance)]
    batches: list[ShapeBatch] = []
    taken = np.zeros(len(items), dtype=bool)
    if text_positions:
        for template, index, givens in domain.parse_many([items[i] for i in text_positions]):
            where = np.asarray(text_positions, dtype=np.int64)[index]
            batches.append(ShapeBatch(template, where, givens))
            taken[where] = True
    errors: dict[int, InvalidPuzzleError] = {}
    by_shape: dict[tuple, list[tuple[int, Instance]]] = {}
    for i in np.flatnonzero(~taken).tolist():
        item = items[i]
        if not isinstance(item, Instance):
            try:
                item = domain.parse(item)
            except InvalidPuzzleError as exc:
                errors[i] = exc
                continue
        by_shape.setdefault((item.shape, item.num_values), []).append((i, item))
    for group in by_shape.values():
        index = np.array([i for i, _ in group], dtype=np.int64)
        instances = [inst for _, inst in group]
        batches.append(ShapeBatch(instances[0], index, None, None, instances))  # stacked on first use
    return batches, errors

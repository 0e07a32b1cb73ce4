"""Steps every puzzle generator shares: random solutions, removing givens, augmenting by symmetry.

Sudoku (:class:`~domains.sudoku.SudokuDomain`) and the declared domains
(:class:`~domains.csp_domain.CSPDomain`) generate puzzles the same way:
a random solution by search with a random value order, then givens
removed in random order while the solution stays unique.  The training
data is augmented the same way too: a random symmetry applied to the
givens and the solution.  These functions write each step once; the
random numbers they draw, and so the puzzles a seed gives, do not depend
on the caller.

>>> rng = np.random.default_rng(0)
>>> remove_givens(np.array([0, 1, 2]), rng, lambda givens: True, min_givens=1).tolist()
[-1, 1, -1]
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from solvers.base import UNASSIGNED
from solvers.search import Guidance, ValueOrder

from .base import Domain, Instance


def random_value_order(rng: np.random.Generator) -> ValueOrder:
    """A search value order trying each variable's candidates in a fresh random order (random solutions).

    >>> sorted(random_value_order(np.random.default_rng(1))(0, 0b1011))
    [0, 1, 3]
    """

    def random_values(_variable: int, mask: int) -> list[int]:
        bits = [k for k in range(mask.bit_length()) if mask >> k & 1]
        return [bits[i] for i in rng.permutation(len(bits))]

    return random_values


def random_guidance(rng: np.random.Generator, num_variables: int, num_values: int) -> Guidance:
    """Search orders for a random solution, as arrays (so that the compiled search runs them): each variable
    its own random value order, ties among the fewest candidates broken by a random priority.

    >>> g = random_guidance(np.random.default_rng(1), 2, 3)
    >>> sorted(g.value_rank[0].tolist()), g.tie_score.shape
    ([0, 1, 2], (2,))
    """
    rank = np.argsort(rng.random((num_variables, num_values)), axis=-1)
    return Guidance(rank, rng.random(num_variables))


def remove_givens(
    solution: np.ndarray, rng: np.random.Generator, is_unique: Callable[[np.ndarray], bool], min_givens: int
) -> np.ndarray:
    """``solution`` with givens removed in random order while ``is_unique(givens)`` holds, down to ``min_givens``.

    A given whose removal ``is_unique`` refuses (not unique, or undecided
    within its budget) stays.  Draws one permutation from ``rng``.
    """
    givens = solution.copy()
    kept = givens.size
    for v in rng.permutation(givens.size):
        if kept <= min_givens:
            break
        saved = givens[v]
        givens[v] = UNASSIGNED
        if is_unique(givens):
            kept -= 1
        else:
            givens[v] = saved  # not unique (or undecided within budget): keep it
    return givens


def augment_by_symmetry(domain: Domain, instance: Instance, rng: np.random.Generator) -> Instance:
    """A copy of ``instance`` under ``domain.random_symmetry``, its solution too, the other meta kept."""
    return domain.view(instance, domain.random_symmetry(instance, rng))


__all__ = ["augment_by_symmetry", "random_guidance", "random_value_order", "remove_givens"]

"""Naked and hidden singles on boolean candidate arrays, as matrix products: the rules for any number of values.

The compiled kernels hold a variable's candidates in one ``int64`` (at most
62 values); :class:`DenseGroups` propagates ``[B, V, K]`` boolean arrays of
any ``K`` (a 64x64 Sudoku, say) with numpy.  Each round decides what the
decided variables' peers lose (naked singles) and where a group has one
place left for a value (hidden singles), for every instance of the batch at
once, until nothing changes.

>>> groups = DenseGroups.of([(0, 1, 2)], 3, 3)
>>> cand, dead = groups.prune(np.array([[[1, 0, 0], [1, 1, 0], [1, 1, 1]]], dtype=bool), 10)
>>> cand.astype(int).tolist(), dead.tolist()
([[[1, 0, 0], [0, 1, 0], [0, 0, 1]]], [False])
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np


@dataclass(frozen=True)
class DenseGroups:
    """The groups as 0/1 matrices: ``member [U, V]``, its transpose, ``exact [U]`` (a group of ``K``
    variables: every value in it once), and ``peer [V, V]`` (two variables share a group)."""

    member: np.ndarray
    member_t: np.ndarray
    exact: np.ndarray
    peer: np.ndarray

    @classmethod
    def of(cls, groups: Sequence[Sequence[int]], num_variables: int, num_values: int) -> "DenseGroups":
        member = np.zeros((len(groups), num_variables), dtype=np.float32)
        for u, g in enumerate(groups):
            member[u, list(g)] = 1.0
        peer = np.minimum(member.T @ member, 1.0)
        np.fill_diagonal(peer, 0.0)
        exact = np.array([len(g) == num_values for g in groups])
        return cls(member, np.ascontiguousarray(member.T), exact, peer)

    def prune(self, cand: np.ndarray, max_iterations: int) -> tuple[np.ndarray, np.ndarray]:
        """``(candidates [B, V, K], dead [B])`` after at most ``max_iterations`` rounds; ``dead``: some
        variable of that instance, or some value of an exact group, has no place left."""
        exact = self.exact[None, :, None]
        dead = np.zeros(cand.shape[0], dtype=bool)
        for _ in range(max_iterations):
            counts = cand.sum(-1)  # [B, V]
            fixed = (cand & (counts == 1)[..., None]).astype(np.float32)
            new = cand & ~(np.matmul(self.peer, fixed) > 0)  # naked singles: [B, V, K]
            per_group = np.matmul(self.member, new.astype(np.float32))  # [B, U, K]
            dead |= ((per_group == 0) & exact).any((1, 2))
            unique = ((per_group == 1) & exact).astype(np.float32)  # hidden singles: [B, U, K]
            forced = (np.matmul(self.member_t, unique) > 0) & new  # [B, V, K]
            dead |= forced.sum(-1).max(-1) > 1
            new = np.where(forced.any(-1)[..., None], forced, new)
            dead |= ~new.any(-1).all(-1)
            if np.array_equal(new, cand):
                break
            cand = new
        return cand, dead | ~cand.any(-1).all(-1)

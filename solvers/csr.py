"""The groups of an all-different layer as the flat arrays the compiled kernels (:mod:`solvers.kernels`) take.

>>> g = group_arrays([[0, 1], [1, 2]], 3, 2)
>>> g.peers.tolist(), g.peers.dtype
([1, 0, 2, 1], dtype('uint32'))
"""

from __future__ import annotations

from typing import NamedTuple, Sequence

import numpy as np

#: The widest value range a bitmask of one ``int64`` holds (bit 63 is the sign, bit 62 spare for ``full + 1``).
MAX_VALUES = 62


class GroupArrays(NamedTuple):
    """The groups of an all-different layer as flat ``uint32`` arrays (CSR: ``x_start[i]:x_start[i+1]``).

    ``group_vars[group_start[u]:group_start[u + 1]]``: the variables of group ``u``;
    ``var_groups[var_start[v]:var_start[v + 1]]``: the groups of variable ``v``;
    ``peers[peer_start[v]:peer_start[v + 1]]``: the variables sharing a group with ``v``, sorted;
    ``exact[u]``: group ``u`` has exactly ``K`` variables (every value must appear in it);
    ``full``: the mask of all ``K`` values;
    ``pair_bounds [P, 4]``, ``pair_vars``: the pairs of exact groups ``A``, ``B`` that meet in two or
    more variables ``I`` (a Sudoku's box and row), as ``pair_vars[b0:b1]`` = ``I``, ``[b1:b2]`` =
    ``A - I``, ``[b2:b3]`` = ``B - I`` for ``(b0, b1, b2, b3) = pair_bounds[p]`` (none: ``P = 0``).
    """

    group_vars: np.ndarray
    group_start: np.ndarray
    var_groups: np.ndarray
    var_start: np.ndarray
    peers: np.ndarray
    peer_start: np.ndarray
    exact: np.ndarray
    full: int
    pair_bounds: np.ndarray
    pair_vars: np.ndarray


def _csr(rows: Sequence[Sequence[int]]) -> tuple[np.ndarray, np.ndarray]:
    start = np.zeros(len(rows) + 1, dtype=np.int64)
    start[1:] = np.cumsum([len(r) for r in rows])
    flat = np.array([x for r in rows for x in r], dtype=np.int64)
    return flat, start


def intersection_pairs(groups: Sequence[Sequence[int]], num_values: int) -> tuple[np.ndarray, np.ndarray]:
    """``(pair_bounds [P, 4], pair_vars)`` of :class:`GroupArrays`: the exact groups meeting in >= 2 variables.

    >>> bounds, flat = intersection_pairs([[0, 1, 2], [1, 2, 3], [3, 4]], 3)
    >>> bounds.tolist(), flat.tolist()
    ([[0, 2, 3, 4]], [1, 2, 0, 3])
    """
    bounds, flat = [], []
    exact = [set(g) for g in groups if len(g) == num_values]
    for i, a in enumerate(exact):
        for b in exact[i + 1:]:
            both = a & b
            if len(both) >= 2:
                start = len(flat)
                flat += sorted(both) + sorted(a - both) + sorted(b - both)
                bounds.append([start, start + len(both), start + len(a), len(flat)])
    return np.array(bounds, dtype=np.int64).reshape(-1, 4), np.array(flat, dtype=np.int64)


def group_arrays(
    groups: Sequence[Sequence[int]], num_variables: int, num_values: int, intersections: bool = True
) -> GroupArrays:
    """The :class:`GroupArrays` of ``groups`` over ``num_variables`` variables and ``num_values <= 62`` values
    (``intersections=False``: no pairs, so the full propagation is singles alone).

    >>> group_arrays([[0, 1], [1, 2]], 3, 2).peers.tolist()
    [1, 0, 2, 1]
    """
    if num_values > MAX_VALUES:
        raise ValueError(f"a compiled layer holds at most {MAX_VALUES} values, got {num_values}")
    memberships: list[list[int]] = [[] for _ in range(num_variables)]
    peer_sets: list[set[int]] = [set() for _ in range(num_variables)]
    for u, g in enumerate(groups):
        for v in g:
            memberships[v].append(u)
            peer_sets[v].update(g)
    group_vars, group_start = _csr(groups)
    var_groups, var_start = _csr(memberships)
    peers, peer_start = _csr([sorted(p - {v}) for v, p in enumerate(peer_sets)])
    exact = np.array([len(g) == num_values for g in groups], dtype=np.bool_)
    pair_bounds, pair_vars = intersection_pairs(groups if intersections else [], num_values)
    return unsigned(GroupArrays(group_vars, group_start, var_groups, var_start, peers, peer_start, exact,
                                (1 << num_values) - 1, pair_bounds, pair_vars))


def unsigned(g: GroupArrays) -> GroupArrays:
    """``g`` with ``uint32`` index arrays, the form the kernels are fast on (1.3x: an index that cannot be
    negative needs no check for Python's negative indexing in the machine code)."""
    if g.var_start[-1] >= 2**32 or g.group_start[-1] >= 2**32 or g.peer_start[-1] >= 2**32:
        raise ValueError("too many memberships for uint32 indices")
    u32 = [np.ascontiguousarray(a, dtype=np.uint32) for a in g[:6]]
    if g.pair_vars.size >= 2**32:
        raise ValueError("too many intersections for uint32 indices")
    return GroupArrays(*u32, np.ascontiguousarray(g.exact, dtype=np.bool_), int(g.full),
                       np.ascontiguousarray(g.pair_bounds, dtype=np.uint32),
                       np.ascontiguousarray(g.pair_vars, dtype=np.uint32))

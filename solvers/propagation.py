"""Compiled (numba) all-different propagation: naked and hidden singles, pointing and claiming.

The rules work in place on one ``int64`` bitmask per variable (bit ``k``:
value ``k`` is still a candidate) over the groups of a
:class:`~solvers.csr.GroupArrays`:

* :func:`_propagate` -- naked and hidden singles to a fixpoint from the
  queued (newly decided) variables and the ``dirty`` values; the search runs
  it at every node;
* :func:`_propagate_full` -- singles and **intersections** (pointing and
  claiming, generic: where two exact groups ``A`` and ``B`` meet in two or
  more variables ``I``, a value whose places in ``A`` all lie in ``I`` leaves
  ``B - I``, and the other way round) to a joint fixpoint; run where
  everything may have changed (a root, a refutation), where it pays.

Measured on the whole of top1465 and forum_hardest:test (the search of
:mod:`solvers.kernels`, one process, same puzzles): intersections at every
node cut the nodes 2.5x / 1.2x but cost 5.8x / 9.8x the time; at the root
alone they cut top1465's nodes from 52.7 to 28.3 for a few microseconds
(``benchmarks/propagation_rules.py``).

Examples
--------
>>> import numpy as np
>>> from solvers.csr import group_arrays
>>> g = group_arrays([[0, 1, 2], [1, 2, 3]], num_variables=4, num_values=3)
>>> masks = np.array([0b011, 0b111, 0b111, 0b111])  # x0 is 0 or 1: value 2 of group 0 is in x1 or x2
>>> queue, dirty = np.empty(5, np.uint32), np.full(2, g.full, np.int64)
>>> bool(_propagate_full(masks, queue, 0, g, dirty)), masks.tolist()  # so it leaves x3
(True, [3, 7, 7, 3])
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .csr import GroupArrays

#: Array kinds of the kernels' signatures: ``int64`` bitmasks ``[V]``, indices.
Masks = Ints = np.ndarray
#: ``1`` as the index arrays' type: ``x + _ONE`` stays unsigned (signed indices cost a wrap-around check each).
_ONE = np.uint32(1)


# ------------------------------------------------------------------- singles
@njit(cache=True)
def _eliminate(masks: Masks, queue: Ints, n_queue: int, peers: Ints, peer_start: Ints, var_groups: Ints,
               var_start: Ints, dirty: Ints) -> int:
    """Drain the queue of decided variables, removing each one's value from its peers.

    Every value removed from a variable is marked in ``dirty`` for each of its groups.
    Returns 0, or -1 on a contradiction (a variable without a candidate).
    """
    while n_queue:
        n_queue -= 1
        v = queue[n_queue]
        bit = masks[v]
        for i in range(peer_start[v], peer_start[v + _ONE]):
            p = peers[i]
            m = masks[p]
            if m & bit:
                m ^= bit
                if m == 0:
                    return -1
                masks[p] = m
                for j in range(var_start[p], var_start[p + _ONE]):
                    dirty[var_groups[j]] |= bit
                queue[n_queue] = p
                n_queue += (m & (m - 1)) == 0  # queued when decided (branch-free)
    return 0


@njit(cache=True)
def _hidden(masks: Masks, queue: Ints, group_vars: Ints, group_start: Ints, exact: np.ndarray, full: int,
            var_groups: Ints, var_start: Ints, dirty: Ints) -> int:
    """Hidden singles among the values that left each exact group; how many variables were decided, -1 on contradiction.

    A value can newly have one place in a group only if it left some
    variable of that group, so ``dirty[u]`` (a bitmask) bounds the values to place.
    """
    n_queue = 0
    for u in range(np.uint32(0), np.uint32(exact.size)):
        removed = dirty[u]
        if removed == 0 or not exact[u]:
            continue
        dirty[u] = 0
        once = twice = fixed = 0
        for i in range(group_start[u], group_start[u + _ONE]):
            m = masks[group_vars[i]]
            twice |= once & m
            once |= m
            fixed |= m * ((m & (m - 1)) == 0)  # the decided variables' values (branch-free)
        if once != full:
            return -1
        hidden = once & ~twice & ~fixed
        if hidden & removed == 0:  # every hidden single placed before (or left alone, see below) is still so
            continue
        for i in range(group_start[u], group_start[u + _ONE]):
            v = group_vars[i]
            m = masks[v]
            h = m & hidden
            if h and h != m:  # a variable all of whose values are hidden is left to the search
                if h & (h - 1):
                    return -1
                masks[v] = h
                for j in range(var_start[v], var_start[v + _ONE]):
                    dirty[var_groups[j]] |= m ^ h
                queue[n_queue] = v
                n_queue += 1
    return n_queue


@njit(cache=True)
def _singles(masks: Masks, queue: Ints, n_queue: int, peers: Ints, peer_start: Ints, var_groups: Ints,
             var_start: Ints, group_vars: Ints, group_start: Ints, exact: np.ndarray, full: int, dirty: Ints) -> bool:
    """:func:`_propagate` on the group arrays themselves: what the search calls at every node, with the
    arrays it took out of the :class:`GroupArrays` once (each array a call passes costs; a whole
    ``GroupArrays`` of ten made every node 15% slower than eight did)."""
    while True:
        if _eliminate(masks, queue, n_queue, peers, peer_start, var_groups, var_start, dirty) < 0:
            return False
        n_queue = _hidden(masks, queue, group_vars, group_start, exact, full, var_groups, var_start, dirty)
        if n_queue < 0:
            return False
        if n_queue == 0:
            return True


@njit(cache=True)
def _propagate(masks: Masks, queue: Ints, n_queue: int, g: GroupArrays, dirty: Ints) -> bool:
    """Naked and hidden singles to a fixpoint from the queued variables and the ``dirty`` values (caller's buffers:
    ``queue`` ``uint32 [V + n_queue]``, ``dirty`` ``int64`` one value mask per group)."""
    return _singles(masks, queue, n_queue, g.peers, g.peer_start, g.var_groups, g.var_start, g.group_vars,
                    g.group_start, g.exact, g.full, dirty)


@njit(cache=True)
def _queue_decided(masks: Masks, queue: Ints) -> int:
    """Queue the decided variables of ``masks``; how many, or -1 if a variable has no candidate."""
    n_queue = 0
    for v in range(masks.size):
        m = masks[v]
        if m == 0:
            return -1
        if m & (m - 1) == 0:
            queue[n_queue] = np.uint32(v)
            n_queue += 1
    return n_queue


# ------------------------------------------------------------- intersections
@njit(cache=True)
def _or_of(masks: Masks, g: GroupArrays, start: int, stop: int) -> int:
    """The values still possible somewhere in ``pair_vars[start:stop]`` (the union of their masks)."""
    acc = 0
    for i in range(start, stop):
        acc |= masks[g.pair_vars[i]]
    return acc


@njit(cache=True)
def _take(masks: Masks, g: GroupArrays, start: int, stop: int, bits: int, queue: Ints, n_queue: int,
          dirty: Ints) -> int:
    """Remove ``bits`` from the variables ``pair_vars[start:stop]``, marking ``dirty`` and queueing the decided;
    the queue's length after, -1 if a variable lost its last candidate."""
    for i in range(start, stop):
        v = g.pair_vars[i]
        m = masks[v]
        if m & bits:
            gone = m & bits
            m ^= gone
            if m == 0:
                return -1
            masks[v] = m
            for j in range(g.var_start[v], g.var_start[v + _ONE]):
                dirty[g.var_groups[j]] |= gone
            if m & (m - 1) == 0:
                queue[n_queue] = v
                n_queue += 1
    return n_queue


@njit(cache=True)
def _intersect(masks: Masks, queue: Ints, g: GroupArrays, dirty: Ints) -> tuple[int, bool]:
    """One pass of pointing and claiming over every pair: ``(queue length, removed anything)``, -1 on a
    contradiction.  A pair's variables are looked at again only where a value is to leave some."""
    n_queue, removed = 0, False
    for p in range(g.pair_bounds.shape[0]):
        b0, b1, b2, b3 = g.pair_bounds[p, 0], g.pair_bounds[p, 1], g.pair_bounds[p, 2], g.pair_bounds[p, 3]
        inside = _or_of(masks, g, b0, b1)
        rest_a, rest_b = _or_of(masks, g, b1, b2), _or_of(masks, g, b2, b3)
        only_a, only_b = inside & ~rest_a, inside & ~rest_b  # A's (B's) values placed inside I only
        if only_a & rest_b:
            n_queue = _take(masks, g, b2, b3, only_a, queue, n_queue, dirty)
            if n_queue < 0:
                return -1, True
            removed = True
        if only_b & rest_a:
            n_queue = _take(masks, g, b1, b2, only_b, queue, n_queue, dirty)
            if n_queue < 0:
                return -1, True
            removed = True
    return n_queue, removed


@njit(cache=True)
def _propagate_full(masks: Masks, queue: Ints, n_queue: int, g: GroupArrays, dirty: Ints) -> bool:
    """Singles and intersections to a joint fixpoint (buffers as :func:`_propagate`'s); ``False`` on contradiction."""
    while True:
        if not _propagate(masks, queue, n_queue, g, dirty):
            return False
        n_queue, removed = _intersect(masks, queue, g, dirty)
        if n_queue < 0:
            return False
        if not removed:
            return True

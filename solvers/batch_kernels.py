"""Compiled (numba) kernels over a whole batch of instances: the search and the verifier, one call each.

:func:`search_many` runs the search of :func:`solvers.kernels.search` on
every row of ``roots [B, V]`` inside one compiled loop: one dispatch for
the batch instead of one a puzzle, the buffers allocated once, and each
puzzle's own time measured inside the loop.  The results are those of
:func:`solvers.kernels.search`, node for node (``tests/test_batch.py``),
about 1.4x faster a node (top1465: 26,000 puzzles/s against 19,000 for the
same loop around :func:`solvers.kernels.search`, in one run):

* the index arrays are ``uint32`` (:func:`unsigned`): an index that cannot
  be negative needs no wrap-around check in the machine code (1.3x);
* the propagation remembers *which values* left each group since it was
  last looked at (``dirty[u]``, a bitmask), so the second pass of the
  hidden-single rule runs only where a removed value may now have one
  place left, not in every group that changed.

:func:`verify_many` checks complete assignments ``values [B, V]`` against
the groups (all different) and, optionally, the instances' candidates: the
verifier :meth:`~solvers.alldiff.AllDifferentLayer.verify_batch` compiled.

Examples
--------
>>> from solvers.kernels import group_arrays
>>> g = unsigned(group_arrays([[0, 1, 2]], num_variables=3, num_values=3))
>>> roots = np.array([[0b111, 0b111, 0b001], [0b001, 0b001, 0b111]])
>>> rank, ties = np.array([[0, 1, 2]] * 3), np.zeros(3)
>>> status, values, nodes, backtracks, ns = search_many(roots, g, rank, ties, 1, -1, -1)
>>> status.tolist(), values.tolist(), nodes.tolist()
([0, 2], [[1, 2, 0], [-1, -1, -1]], [1, 0])
>>> verify_many(values, g, 3, np.zeros((0, 0, 0), np.bool_), False).tolist()
[True, False]
"""

from __future__ import annotations

from typing import Any, Callable, TypeVar

import numpy as np
from numba import njit

from .kernels import (
    BUDGET_EXHAUSTED,
    MULTIPLE_SOLUTIONS,
    NO_LIMIT,
    SOLVED,
    UNSOLVABLE,
    GroupArrays,
    _bit_index,
    _choose,
    _monotonic_ns,
    _next_value,
)

Masks = Ints = np.ndarray
T = TypeVar("T")
#: ``1`` as the index arrays' type: ``x + _ONE`` stays unsigned (signed indices cost a wrap-around check each).
_ONE = np.uint32(1)


def interruptible(kernel: Callable[..., T], *args: Any) -> T:
    """``kernel(*args)``, with a Ctrl-C during it raised as :class:`KeyboardInterrupt`.

    Python runs its signal handler at the first Python code after a long
    compiled call, which may be numba's own boxing of the result; numba
    then reports a ``SystemError`` whose cause is the interrupt.
    """
    try:
        return kernel(*args)
    except SystemError as exc:
        cause: BaseException | None = exc
        while cause is not None and not isinstance(cause, KeyboardInterrupt):
            cause = cause.__cause__ or cause.__context__
        if cause is not None:
            raise KeyboardInterrupt from None
        raise


def unsigned(g: GroupArrays) -> GroupArrays:
    """``g`` with ``uint32`` index arrays, the form these kernels are fast on (1.3x: indices that cannot be
    negative need no check for Python's negative indexing in the machine code).

    >>> from solvers.kernels import group_arrays
    >>> unsigned(group_arrays([[0, 1]], 2, 2)).peers.dtype
    dtype('uint32')
    """
    if g.var_start[-1] >= 2**32 or g.group_start[-1] >= 2**32 or g.peer_start[-1] >= 2**32:
        raise ValueError("too many memberships for uint32 indices")
    u32 = [np.ascontiguousarray(a, dtype=np.uint32) for a in g[:6]]
    return GroupArrays(*u32, np.ascontiguousarray(g.exact, dtype=np.bool_), int(g.full))


@njit(cache=True)
def _eliminate(masks: Masks, queue: Ints, n_queue: int, g: GroupArrays, dirty: Ints) -> int:
    """Drain the queue of decided variables, removing each one's value from its peers.

    Every value removed from a variable is marked in ``dirty`` for each of its groups.
    Returns 0, or -1 on a contradiction (a variable without a candidate).
    """
    while n_queue:
        n_queue -= 1
        v = queue[n_queue]
        bit = masks[v]
        for i in range(g.peer_start[v], g.peer_start[v + _ONE]):
            p = g.peers[i]
            m = masks[p]
            if m & bit:
                m ^= bit
                if m == 0:
                    return -1
                masks[p] = m
                for j in range(g.var_start[p], g.var_start[p + _ONE]):
                    dirty[g.var_groups[j]] |= bit
                queue[n_queue] = p
                n_queue += (m & (m - 1)) == 0  # queued when decided (branch-free)
    return 0


@njit(cache=True)
def _hidden(masks: Masks, queue: Ints, g: GroupArrays, dirty: Ints) -> int:
    """Hidden singles among the values that left each exact group; how many variables were decided, -1 on contradiction.

    A value can newly have one place in a group only if it left some
    variable of that group, so ``dirty[u]`` bounds the values to place.
    """
    n_queue = 0
    for u in range(np.uint32(0), np.uint32(g.exact.size)):
        removed = dirty[u]
        if removed == 0 or not g.exact[u]:
            continue
        dirty[u] = 0
        once = twice = fixed = 0
        for i in range(g.group_start[u], g.group_start[u + _ONE]):
            m = masks[g.group_vars[i]]
            twice |= once & m
            once |= m
            fixed |= m * ((m & (m - 1)) == 0)  # the decided variables' values (branch-free)
        if once != g.full:
            return -1
        hidden = once & ~twice & ~fixed
        if hidden & removed == 0:  # every hidden single placed before (or left alone, see below) is still so
            continue
        for i in range(g.group_start[u], g.group_start[u + _ONE]):
            v = g.group_vars[i]
            m = masks[v]
            h = m & hidden
            if h and h != m:  # as solvers.kernels: a variable all of whose values are hidden is left to the search
                if h & (h - 1):
                    return -1
                masks[v] = h
                for j in range(g.var_start[v], g.var_start[v + _ONE]):
                    dirty[g.var_groups[j]] |= m ^ h
                queue[n_queue] = v
                n_queue += 1
    return n_queue


@njit(cache=True)
def _propagate(masks: Masks, queue: Ints, n_queue: int, g: GroupArrays, dirty: Ints) -> bool:
    """Naked and hidden singles to a fixpoint from the queued variables and the ``dirty`` values."""
    while True:
        if _eliminate(masks, queue, n_queue, g, dirty) < 0:
            return False
        n_queue = _hidden(masks, queue, g, dirty)
        if n_queue < 0:
            return False
        if n_queue == 0:
            return True


@njit(cache=True)
def _search_one(
    root: Masks, g: GroupArrays, value_rank: np.ndarray, tie_score: np.ndarray, top_score: float,
    max_solutions: int, max_nodes: int, deadline: int,
    states: np.ndarray, frame_var: Ints, frame_pos: Ints, queue: Ints, dirty: Ints, out: Ints,
) -> tuple[int, int, int]:
    """One search on the caller's buffers; the first solution into ``out``: ``(status, nodes, backtracks)``."""
    V = root.size
    nodes = backtracks = found = depth = n_queue = 0
    for v in range(V):
        m = root[v]
        if m == 0:
            return UNSOLVABLE, 0, 0
        if m & (m - 1) == 0:
            queue[n_queue] = np.uint32(v)
            n_queue += 1
    states[0] = root
    dirty[:] = g.full  # the root is no fixpoint: every exact group is looked at once
    if not _propagate(states[0], queue, n_queue, g, dirty):
        return UNSOLVABLE, 0, 0
    while True:
        var = _choose(states[depth], tie_score, top_score)
        if var < 0:
            if found == 0:
                for v in range(V):
                    out[v] = _bit_index(states[depth][v])
            found += 1
            if found >= max_solutions:
                return (MULTIPLE_SOLUTIONS if max_solutions > 1 else SOLVED), nodes, backtracks
        else:
            frame_var[depth], frame_pos[depth] = var, 0
            depth += 1
        advanced = False
        while depth > 0:  # advance to the next consistent child, backtracking as needed
            parent, var = states[depth - 1], frame_var[depth - 1]
            value, frame_pos[depth - 1] = _next_value(parent[var], value_rank[var], frame_pos[depth - 1])
            if value < 0:
                depth -= 1
                backtracks += 1
                continue
            if (max_nodes >= 0 and nodes >= max_nodes) or (deadline >= 0 and _monotonic_ns() > deadline):
                return BUDGET_EXHAUSTED, nodes, backtracks
            nodes += 1
            child = states[depth]
            child[:] = parent
            bit = 1 << value
            child[var] = bit
            dirty[:] = 0
            for j in range(g.var_start[var], g.var_start[var + _ONE]):
                dirty[g.var_groups[j]] = parent[var] ^ bit
            queue[0] = np.uint32(var)
            if _propagate(child, queue, 1, g, dirty):
                advanced = True
                break
        if not advanced:
            return (UNSOLVABLE if found == 0 else SOLVED), nodes, backtracks


@njit(cache=True)
def search_many(
    roots: np.ndarray,
    g: GroupArrays,
    value_rank: np.ndarray,
    tie_score: np.ndarray,
    max_solutions: int,
    max_nodes: int,
    time_limit_ns: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """:func:`solvers.kernels.search` on every row of ``roots [B, V]`` (not modified), one after the other.

    The orders and budgets are per puzzle, shared by the batch (each
    puzzle's deadline starts with it).  Returns ``(status [B] int8, values
    [B, V] (the first solution; -1 where none was found), nodes [B],
    backtracks [B], ns [B])``, ``ns`` each puzzle's own time in nanoseconds.
    """
    B, V = roots.shape
    if V != g.var_start.size - 1 or value_rank.shape[0] != V or tie_score.size != V:
        raise ValueError("roots, value_rank and tie_score need one column (row) per variable of the layer")
    for k in value_rank.ravel():
        if k < 0 or k >= 62:
            raise ValueError("value_rank holds a value outside 0..61")
    status = np.empty(B, np.int8)
    values = np.full((B, V), -1, np.int64)
    nodes, backtracks, ns = np.empty(B, np.int64), np.empty(B, np.int64), np.empty(B, np.int64)
    states = np.empty((V + 1, V), np.int64)  # states[d]: the node at depth d (a path decides <= V variables)
    frame_var, frame_pos = np.empty(V + 1, np.int64), np.empty(V + 1, np.int64)
    queue = np.empty(V + 1, np.uint32)
    dirty = np.empty(g.exact.size, np.int64)
    top_score = np.max(tie_score) if V else 0.0
    for b in range(B):
        start = _monotonic_ns()
        deadline = NO_LIMIT if time_limit_ns < 0 else start + time_limit_ns
        s, n, bt = _search_one(roots[b], g, value_rank, tie_score, top_score, max_solutions, max_nodes, deadline,
                               states, frame_var, frame_pos, queue, dirty, values[b])
        status[b], nodes[b], backtracks[b] = s, n, bt
        if s != SOLVED and s != MULTIPLE_SOLUTIONS:
            values[b] = -1
        ns[b] = _monotonic_ns() - start
    return status, values, nodes, backtracks, ns


@njit(cache=True)
def verify_many(
    values: np.ndarray, g: GroupArrays, num_values: int, candidates: np.ndarray, check_candidates: bool
) -> np.ndarray:
    """``[B]``: is each row of ``values [B, V]`` complete (``0..K-1``), all different in every group, and,
    with ``check_candidates``, one of its variable's ``candidates [B, V, K]``?"""
    B, V = values.shape
    if V != g.var_start.size - 1:
        raise ValueError("one value per variable of the layer expected")
    if check_candidates and (candidates.shape[0] != B or candidates.shape[1] != V or candidates.shape[2] < num_values):
        raise ValueError("candidates must be [B, V, K] for values [B, V]")
    ok = np.ones(B, np.bool_)
    for b in range(B):
        row = values[b]
        for v in range(V):
            k = row[v]
            if k < 0 or k >= num_values or (check_candidates and not candidates[b, v, k]):
                ok[b] = False
                break
        if not ok[b]:
            continue
        for u in range(g.group_start.size - 1):
            seen = 0
            for i in range(g.group_start[u], g.group_start[u + _ONE]):
                bit = 1 << row[g.group_vars[i]]
                if seen & bit:
                    ok[b] = False
                    break
                seen |= bit
            if not ok[b]:
                break
    return ok

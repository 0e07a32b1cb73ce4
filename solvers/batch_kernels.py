"""Compiled (numba) kernels over a whole batch of instances: the search and the verifier, one call each.

:func:`search_many` runs the search of :func:`solvers.kernels.search` on
every row of ``roots [B, V]`` inside one compiled loop: one dispatch for
the batch instead of one a puzzle, the buffers allocated once, and each
puzzle's own time measured inside the loop.  The loop body is the same
compiled search (:func:`solvers.kernels._search_one`), so the results are
those of :func:`solvers.kernels.search`, node for node (``tests/test_batch.py``).

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

from .kernels import (  # noqa: F401 (unsigned: re-exported)
    MULTIPLE_SOLUTIONS,
    NO_LIMIT,
    SOLVED,
    GroupArrays,
    _bit_index,
    _check_search_inputs,
    _ctpop,
    _monotonic_ns,
    _search_one,
    search_buffers,
    unsigned,
)
from .propagation import _ONE, _propagate_full, _queue_decided

T = TypeVar("T")


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


@njit(cache=True, nogil=True)
def search_many(
    roots: np.ndarray, g: GroupArrays, value_rank: np.ndarray, tie_score: np.ndarray,
    max_solutions: int, max_nodes: int, time_limit_ns: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """:func:`solvers.kernels.search` on every row of ``roots [B, V]`` (not modified), one after the other.

    The orders and budgets are per puzzle, shared by the batch (each
    puzzle's deadline starts with it).  Returns ``(status [B] int8, values
    [B, V] (the first solution; -1 where none was found), nodes [B],
    backtracks [B], ns [B])``, ``ns`` each puzzle's own time in nanoseconds.
    """
    B, V = roots.shape
    _check_search_inputs(V, g, value_rank, tie_score)
    status = np.empty(B, np.int8)
    values = np.full((B, V), -1, np.int64)
    nodes, backtracks, ns = np.empty(B, np.int64), np.empty(B, np.int64), np.empty(B, np.int64)
    states, frame_var, frame_pos, queue, dirty = search_buffers(V, g.exact.size)
    first = np.empty((1, V), np.int64)
    top_score = np.max(tie_score) if V else 0.0
    for b in range(B):
        start = _monotonic_ns()
        deadline = NO_LIMIT if time_limit_ns < 0 else start + time_limit_ns
        s, n, bt, kept, first = _search_one(roots[b], g, value_rank, tie_score, top_score, max_solutions, max_nodes,
                                            deadline, 1, states, frame_var, frame_pos, queue, dirty, first)
        status[b], nodes[b], backtracks[b] = s, n, bt
        if kept and (s == SOLVED or s == MULTIPLE_SOLUTIONS):
            values[b] = first[0]
        ns[b] = _monotonic_ns() - start
    return status, values, nodes, backtracks, ns


@njit(cache=True, nogil=True)
def propagate_many(roots: np.ndarray, g: GroupArrays) -> tuple[np.ndarray, np.ndarray]:
    """:func:`solvers.kernels.propagate` (from every decided variable) on a copy of each row of ``roots [B, V]``.

    Returns ``(masks [B, V], ok [B])``: the fixpoints, and ``False`` where
    propagation reached a contradiction (that row's masks are then partial).
    """
    B, V = roots.shape
    if V != g.var_start.size - 1:
        raise ValueError("one mask per variable of the layer expected")
    masks = roots.copy()
    ok = np.empty(B, np.bool_)
    queue = np.empty(V + 1, np.uint32)
    dirty = np.empty(g.exact.size, np.int64)
    for b in range(B):
        n_queue = _queue_decided(masks[b], queue)
        if n_queue < 0:
            ok[b] = False
            continue
        dirty[:] = g.full
        ok[b] = _propagate_full(masks[b], queue, n_queue, g, dirty)
    return masks, ok


@njit(cache=True)
def _row_valid(row: np.ndarray, g: GroupArrays, num_values: int, cand: np.ndarray, check: bool, free: bool) -> bool:
    """One assignment: every value in ``0..K-1`` (``free``: or ``-1``, a free variable), all different
    in every group, and, with ``check``, among its variable's candidates ``cand [V, K]``."""
    for v in range(row.size):
        k = row[v]
        if free and k == -1:
            continue
        if k < 0 or k >= num_values or (check and not cand[v, k]):
            return False
    for u in range(g.group_start.size - 1):
        seen = 0
        for i in range(g.group_start[u], g.group_start[u + _ONE]):
            k = row[g.group_vars[i]]
            if k < 0:
                continue
            bit = 1 << k
            if seen & bit:
                return False
            seen |= bit
    return True


@njit(cache=True, nogil=True)
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
    none = np.zeros((0, 0), np.bool_)
    for b in range(B):
        ok[b] = _row_valid(values[b], g, num_values, candidates[b] if check_candidates else none, check_candidates,
                           False)
    return ok


@njit(cache=True)
def consistent(values: np.ndarray, g: GroupArrays, num_values: int, candidates: np.ndarray, check_candidates: bool
               ) -> bool:
    """Is the partial assignment ``values [V]`` (``-1``: free) consistent: values in range, all different in
    every group, and, with ``check_candidates``, among ``candidates [V, K]``?  (The verifier's quick yes.)"""
    if values.size != g.var_start.size - 1:
        raise ValueError("one value per variable of the layer expected")
    if check_candidates and (candidates.shape[0] != values.size or candidates.shape[1] < num_values):
        raise ValueError("candidates must be [V, K] for values [V]")
    return _row_valid(values, g, num_values, candidates, check_candidates, True)


@njit(cache=True, nogil=True)
def pack_masks(candidates: np.ndarray) -> np.ndarray:
    """``[N, K]`` booleans -> ``[N]`` int64 bitmasks (bit ``k``: ``candidates[i, k]``), ``K <= 62``.

    (``numpy.packbits`` along a short last axis took 14x as long.)
    """
    n, K = candidates.shape
    masks = np.empty(n, np.int64)
    for i in range(n):
        m = 0
        for k in range(K):
            if candidates[i, k]:
                m |= 1 << k
        masks[i] = m
    return masks


@njit(cache=True, nogil=True)
def bit_counts(masks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(counts [N], values [N])`` of ``int64`` bitmasks: how many bits each has (the CPU's popcount), and
    the one value where exactly one is set (``-1`` elsewhere).  (Byte tables in numpy took 10x as long.)

    >>> counts, values = bit_counts(np.array([0b101, 0b010, 0]))
    >>> counts.tolist(), values.tolist()
    ([2, 1, 0], [-1, 1, -1])
    """
    n = masks.size
    counts, values = np.empty(n, np.int64), np.full(n, -1, np.int64)
    for i in range(n):
        c = _ctpop(masks[i])
        counts[i] = c
        if c == 1:
            values[i] = _bit_index(masks[i])
    return counts, values

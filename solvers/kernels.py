"""Compiled (numba) kernels of all-different propagation and depth-first search (the rules: :mod:`solvers.propagation`).

The symbolic core at compiled speed: :class:`~solvers.alldiff.AllDifferentLayer`
hands these functions flat integer arrays, one ``int64`` bitmask per
variable (bit ``k`` set: value ``k`` is still a candidate, so ``K <= 62``)
and the groups in CSR form (:class:`GroupArrays`), and gets back what the
pure-Python versions returned, node for node:

* :func:`propagate` -- naked and hidden singles to a fixpoint, ``False`` on
  a contradiction (a variable without a candidate, a value without a place
  in a group of exactly ``K`` variables, two values forced into one variable);
  from every variable (``all_vars``), intersections too (pointing and claiming);
* :func:`search` -- the complete depth-first search of
  :func:`solvers.search.search` with an explicit stack: variables by fewest
  candidates (ties to the highest ``tie_score``), values in ``value_rank``
  order, the node budget and the deadline checked before every node;
  singles and intersections at the root, singles at every other node.  Its
  loop, :func:`_search_one`, is also the one :mod:`solvers.batch_kernels` runs.

The index arrays are ``uint32`` (an index that cannot be negative needs no
wrap-around check, 1.3x), and the propagation remembers *which values* left
each group (``dirty[u]``, a bitmask), so the hidden-single rule looks only
where a removed value may now have one place left.  Every function is
compiled once per machine (``cache=True``: later processes load the machine
code from ``__pycache__``).

Examples
--------
>>> import numpy as np
>>> g = group_arrays([[0, 1, 2]], num_variables=3, num_values=3)
>>> masks = np.array([0b111, 0b111, 0b001])
>>> propagate(masks, np.empty(0, np.int64), True, g), masks.tolist()
(True, [6, 6, 1])
>>> status, solutions, nodes, backtracks = search(masks, g, np.array([[0, 1, 2]] * 3), np.zeros(3), 2, -1, -1)
>>> STATUS_NAMES[status], solutions.tolist(), nodes, backtracks
('multiple_solutions', [[1, 2, 0], [2, 1, 0]], 2, 0)
"""

from __future__ import annotations

import time

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic

from .csr import MAX_VALUES, GroupArrays, group_arrays, unsigned  # noqa: F401 (group_arrays, unsigned: re-exported)
from .propagation import _ONE, Ints, Masks, _propagate, _propagate_full, _queue_decided, _singles

#: Status codes :func:`search` returns, and their names (:class:`solvers.errors.Status` values).
SOLVED, MULTIPLE_SOLUTIONS, UNSOLVABLE, BUDGET_EXHAUSTED = 0, 1, 2, 3
STATUS_NAMES = ("solved", "multiple_solutions", "unsolvable", "budget_exhausted")
#: "No limit" for the node budget and the time limit of :func:`search`.
NO_LIMIT = -1
_CLOCK_ID = time.CLOCK_MONOTONIC  # the clock of time.perf_counter on Linux and macOS


# --------------------------------------------------------------- bit helpers
@intrinsic
def _monotonic_ns(typingctx):
    """``clock_gettime(CLOCK_MONOTONIC)`` in nanoseconds, called by name (so the machine code caches)."""

    def codegen(context, builder, signature, args):
        i32, i64 = ir.IntType(32), ir.IntType(64)
        timespec = ir.LiteralStructType([i64, i64])
        clock_gettime = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(i32, [i32, timespec.as_pointer()]), "clock_gettime"
        )
        spec = cgutils.alloca_once(builder, timespec)
        builder.call(clock_gettime, [ir.Constant(i32, _CLOCK_ID), spec])
        seconds = builder.load(cgutils.gep_inbounds(builder, spec, 0, 0))
        nanos = builder.load(cgutils.gep_inbounds(builder, spec, 0, 1))
        return builder.add(builder.mul(seconds, ir.Constant(i64, 1_000_000_000)), nanos)

    return types.int64(), codegen


@njit(cache=True)
def monotonic_ns() -> int:
    """The clock :func:`search` reads its deadline on, in nanoseconds (a monotonic clock)."""
    return _monotonic_ns()


@intrinsic
def _ctpop(typingctx, m):
    """The CPU's population count of an ``int64`` (LLVM's ``ctpop``: one instruction where the CPU has it)."""

    def codegen(context, builder, signature, args):
        return builder.ctpop(args[0])

    return types.int64(types.int64), codegen


@intrinsic
def _ctlz(typingctx, m):
    """Leading zero bits of an ``int64`` (LLVM's ``ctlz``, defined as 64 for 0)."""

    def codegen(context, builder, signature, args):
        return builder.ctlz(args[0], ir.Constant(ir.IntType(1), 0))

    return types.int64(types.int64), codegen


@njit(cache=True, inline="always")
def _bit_index(m: int) -> int:
    """Index of the highest set bit (``bit_length - 1``); ``-1`` for 0."""
    return 63 - _ctlz(m)


# ---------------------------------------------------------------- propagation
@njit(cache=True)
def propagate(masks: Masks, touched: Ints, all_vars: bool, g: GroupArrays) -> bool:
    """Propagation of ``masks`` (``int64 [V]``) in place to a fixpoint; ``False`` on contradiction.

    ``touched``: the variables decided since the last fixpoint, looked at
    first; ``all_vars=True`` starts from every decided variable instead
    (and checks for empty masks first), and runs the intersections of
    ``g`` with the singles to a joint fixpoint: that is the propagation of
    a root or of anything else that changed, where the stronger rule pays.
    Every exact group is looked at once either way (the masks need not
    have been a fixpoint).
    """
    if masks.size != g.var_start.size - 1:
        raise ValueError("one mask per variable of the layer expected")
    for v in touched:
        if v < 0 or v >= masks.size:
            raise IndexError("a touched variable is not a variable of the layer")
    queue = np.empty(masks.size + touched.size, np.uint32)
    if all_vars:
        n_queue = _queue_decided(masks, queue)
        if n_queue < 0:
            return False
    else:
        n_queue = touched.size
        for i in range(n_queue):
            queue[i] = np.uint32(touched[i])
    dirty = np.full(g.exact.size, g.full, np.int64)
    if all_vars:
        return _propagate_full(masks, queue, n_queue, g, dirty)
    return _propagate(masks, queue, n_queue, g, dirty)


# --------------------------------------------------------------------- search
@njit(cache=True)
def _choose(masks: Masks, tie_score: np.ndarray, top_score: float) -> int:
    """The undecided variable with fewest candidates, ties to the highest ``tie_score`` (first wins); -1 if none."""
    best, best_count, best_score = -1, 1 << 30, -np.inf
    for v in range(masks.size):
        m = masks[v]
        if m & (m - 1):
            c = _ctpop(m)
            if c < best_count or (c == best_count and tie_score[v] > best_score):
                best, best_count, best_score = v, c, tie_score[v]
                if c == 2 and best_score == top_score:
                    break  # nothing later can beat two candidates at the top score
    return best


@njit(cache=True)
def _next_value(mask: int, value_rank: np.ndarray, var: int, start: int) -> tuple[int, int]:
    """The first value of ``value_rank[var, start:]`` still in ``mask`` and the position after it (``-1``: none
    left); indexed in place, so no row view is made."""
    for pos in range(start, value_rank.shape[1]):
        k = value_rank[var, pos]
        if (mask >> k) & 1:
            return k, pos + 1
    return -1, value_rank.shape[1]


@njit(cache=True)
def _record(solutions: np.ndarray, count: int, masks: Masks) -> np.ndarray:
    """Append the decided ``masks`` as values to ``solutions`` (grown by doubling); the array back."""
    if count == solutions.shape[0]:
        grown = np.empty((2 * count, solutions.shape[1]), np.int64)
        for i in range(count):  # element by element: a slice assignment compiles numba's shape-error
            for v in range(solutions.shape[1]):  # formatting, 3.4 s of the first call's compilation
                grown[i, v] = solutions[i, v]
        solutions = grown
    for v in range(masks.size):
        solutions[count, v] = _bit_index(masks[v])
    return solutions


@njit(cache=True)
def _check_search_inputs(V: int, g: GroupArrays, value_rank: np.ndarray, tie_score: np.ndarray) -> None:
    """Shapes and value range of the search's inputs, ``V`` variables (the compiled code does not check indices)."""
    if V != g.var_start.size - 1 or value_rank.shape[0] != V or tie_score.size != V:
        raise ValueError("root, value_rank and tie_score need one row per variable of the layer")
    for k in value_rank.ravel():
        if k < 0 or k >= MAX_VALUES:
            raise ValueError("value_rank holds a value outside 0..61")


@njit(cache=True)
def _search_one(
    root: Masks, g: GroupArrays, value_rank: np.ndarray, tie_score: np.ndarray, top_score: float,
    max_solutions: int, max_nodes: int, deadline: int, keep: int,
    states: np.ndarray, frame_var: Ints, frame_pos: Ints, queue: Ints, dirty: Ints, solutions: np.ndarray,
) -> tuple[int, int, int, int, np.ndarray]:
    """One search on the caller's buffers (``states``: ``[V + 2, V]``, ``queue``: ``uint32 [V + 1]``,
    ``dirty``: ``int64`` one a group).

    The node being worked on lives in one row (``states[V + 1]``, taken once):
    each child is copied into it element by element and, once consistent,
    saved as ``states[depth]``, so the loop makes no array view per node
    (each view costs reference counts: 1.06x to 1.12x faster without them, alternating runs).
    The first ``keep`` solutions go into ``solutions`` (grown by doubling).
    Returns ``(status, nodes, backtracks, solutions kept, solutions)``.
    """
    V, U = root.size, dirty.size
    work = states[V + 1]
    peers, peer_start, var_groups, var_start = g.peers, g.peer_start, g.var_groups, g.var_start
    group_vars, group_start, exact, full = g.group_vars, g.group_start, g.exact, g.full
    nodes = backtracks = found = depth = 0
    for v in range(V):
        work[v] = root[v]
    n_queue = _queue_decided(work, queue)
    if n_queue < 0:
        return UNSOLVABLE, 0, 0, 0, solutions
    dirty[:] = g.full  # the root is no fixpoint: every exact group is looked at once
    if not _propagate_full(work, queue, n_queue, g, dirty):
        return UNSOLVABLE, 0, 0, 0, solutions
    for v in range(V):
        states[0, v] = work[v]
    while True:  # here work == states[depth], a consistent node
        var = _choose(work, tie_score, top_score)
        if var < 0:
            if found < keep:
                solutions = _record(solutions, found, work)
            found += 1
            if found >= max_solutions:
                status = MULTIPLE_SOLUTIONS if max_solutions > 1 else SOLVED
                return status, nodes, backtracks, min(found, keep), solutions
        else:
            frame_var[depth], frame_pos[depth] = var, 0
            depth += 1
        advanced = False
        while depth > 0:  # advance to the next consistent child, backtracking as needed
            var = frame_var[depth - 1]
            mask = states[depth - 1, var]
            value, frame_pos[depth - 1] = _next_value(mask, value_rank, var, frame_pos[depth - 1])
            if value < 0:
                depth -= 1
                backtracks += 1
                continue
            if (max_nodes >= 0 and nodes >= max_nodes) or (deadline >= 0 and _monotonic_ns() > deadline):
                return BUDGET_EXHAUSTED, nodes, backtracks, min(found, keep), solutions
            nodes += 1
            for v in range(V):
                work[v] = states[depth - 1, v]
            bit = 1 << value
            work[var] = bit
            for u in range(U):
                dirty[u] = 0  # the parent was a fixpoint: only the values that left var's groups are new
            for j in range(var_start[var], var_start[var + _ONE]):
                dirty[var_groups[j]] = mask ^ bit
            queue[0] = np.uint32(var)
            if _singles(work, queue, 1, peers, peer_start, var_groups, var_start, group_vars, group_start, exact, full,
                        dirty):
                for v in range(V):
                    states[depth, v] = work[v]
                advanced = True
                break
        if not advanced:
            return (UNSOLVABLE if found == 0 else SOLVED), nodes, backtracks, min(found, keep), solutions


@njit(cache=True)
def search_buffers(V: int, U: int) -> tuple[np.ndarray, Ints, Ints, Ints, Ints]:
    """The work buffers of :func:`_search_one` for ``V`` variables and ``U`` groups."""
    # states[d]: the node at depth d (a path decides <= V variables); states[V + 1]: the node being worked on
    states = np.empty((V + 2, V), np.int64)
    frame_var, frame_pos = np.empty(V + 1, np.int64), np.empty(V + 1, np.int64)
    return states, frame_var, frame_pos, np.empty(V + 1, np.uint32), np.empty(U, np.int64)


@njit(cache=True)
def search(
    root: Masks,
    g: GroupArrays,
    value_rank: np.ndarray,
    tie_score: np.ndarray,
    max_solutions: int,
    max_nodes: int,
    time_limit_ns: int,
) -> tuple[int, np.ndarray, int, int]:
    """Depth-first search from ``root`` (``int64 [V]``, not modified) with propagation at every node.

    ``value_rank [V, R]``: values to try per variable, best first (values
    no longer candidates are skipped); ``tie_score [V]``: the tie-break of
    fewest candidates first.  ``max_nodes`` and ``time_limit_ns``
    (``NO_LIMIT``: none) are checked before every node.  Stops after
    ``max_solutions`` solutions.

    Returns ``(status, solutions [n, V], nodes, backtracks)`` with the
    status one of :data:`SOLVED`, :data:`MULTIPLE_SOLUTIONS`,
    :data:`UNSOLVABLE`, :data:`BUDGET_EXHAUSTED`.
    """
    V = root.size
    _check_search_inputs(V, g, value_rank, tie_score)
    deadline = NO_LIMIT if time_limit_ns < 0 else _monotonic_ns() + time_limit_ns
    states, frame_var, frame_pos, queue, dirty = search_buffers(V, g.exact.size)
    solutions = np.empty((max(1, min(max_solutions, 16)), V), np.int64)
    top_score = np.max(tie_score) if V else 0.0
    status, nodes, backtracks, kept, solutions = _search_one(
        root, g, value_rank, tie_score, top_score, max_solutions, max_nodes, deadline, max(1, max_solutions),
        states, frame_var, frame_pos, queue, dirty, solutions,
    )
    return status, solutions[:kept], nodes, backtracks

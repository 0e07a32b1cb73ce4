"""Compiled (numba) kernels of all-different propagation and depth-first search.

The symbolic core at compiled speed: :class:`~solvers.alldiff.AllDifferentLayer`
hands these functions flat integer arrays, one ``int64`` bitmask per
variable (bit ``k`` set: value ``k`` is still a candidate, so ``K <= 62``)
and the groups in CSR form (:class:`GroupArrays`), and gets back what the
pure-Python versions returned, node for node:

* :func:`propagate` -- naked and hidden singles to a fixpoint, ``False`` on
  a contradiction (a variable without a candidate, a value without a place
  in a group of exactly ``K`` variables, two values forced into one
  variable);
* :func:`search` -- the complete depth-first search of
  :func:`solvers.search.search` with an explicit stack: variables by fewest
  candidates (ties to the highest ``tie_score``), values in ``value_rank``
  order, the node budget and the deadline checked before every node.

Every function is compiled once per machine (``cache=True``: later
processes load the machine code from ``__pycache__``).

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
from typing import NamedTuple, Sequence

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic

#: The widest value range a bitmask of one ``int64`` holds (bit 63 is the sign, bit 62 spare for ``full + 1``).
MAX_VALUES = 62
#: Status codes :func:`search` returns, and their names (:class:`solvers.errors.Status` values).
SOLVED, MULTIPLE_SOLUTIONS, UNSOLVABLE, BUDGET_EXHAUSTED = 0, 1, 2, 3
STATUS_NAMES = ("solved", "multiple_solutions", "unsolvable", "budget_exhausted")
#: "No limit" for the node budget and the time limit of :func:`search`.
NO_LIMIT = -1
_CLOCK_ID = time.CLOCK_MONOTONIC  # the clock of time.perf_counter on Linux and macOS
#: Array kinds of the kernels' signatures: ``int64`` bitmasks ``[V]``, ``int64`` indices, booleans.
Masks = Ints = Flags = np.ndarray


class GroupArrays(NamedTuple):
    """The groups of an all-different layer as flat ``int64`` arrays (CSR: ``x_start[i]:x_start[i+1]``).

    ``group_vars[group_start[u]:group_start[u + 1]]``: the variables of group ``u``;
    ``var_groups[var_start[v]:var_start[v + 1]]``: the groups of variable ``v``;
    ``peers[peer_start[v]:peer_start[v + 1]]``: the variables sharing a group with ``v``, sorted;
    ``exact[u]``: group ``u`` has exactly ``K`` variables (every value must appear in it);
    ``full``: the mask of all ``K`` values.
    """

    group_vars: np.ndarray
    group_start: np.ndarray
    var_groups: np.ndarray
    var_start: np.ndarray
    peers: np.ndarray
    peer_start: np.ndarray
    exact: np.ndarray
    full: int


def _csr(rows: Sequence[Sequence[int]]) -> tuple[np.ndarray, np.ndarray]:
    start = np.zeros(len(rows) + 1, dtype=np.int64)
    start[1:] = np.cumsum([len(r) for r in rows])
    flat = np.array([x for r in rows for x in r], dtype=np.int64)
    return flat, start


def group_arrays(groups: Sequence[Sequence[int]], num_variables: int, num_values: int) -> GroupArrays:
    """The :class:`GroupArrays` of ``groups`` over ``num_variables`` variables and ``num_values <= 62`` values.

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
    return GroupArrays(group_vars, group_start, var_groups, var_start, peers, peer_start, exact, (1 << num_values) - 1)


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


@njit(cache=True, inline="always")
def _popcount(m: int) -> int:
    m = m - ((m >> 1) & 0x5555555555555555)
    m = (m & 0x3333333333333333) + ((m >> 2) & 0x3333333333333333)
    m = (m + (m >> 4)) & 0x0F0F0F0F0F0F0F0F
    return (m * 0x0101010101010101) >> 56 & 0xFF


@njit(cache=True, inline="always")
def _bit_index(m: int) -> int:
    """Index of the highest set bit (``bit_length - 1``); ``-1`` for 0."""
    k = -1
    while m:
        m >>= 1
        k += 1
    return k


# ---------------------------------------------------------------- propagation
@njit(cache=True)
def _eliminate_naked(masks: Masks, queue: Ints, n_queue: int, g: GroupArrays, dirty: Flags) -> int:
    """Drain the queue of decided variables, removing each one's value from its peers.

    Returns the (empty) queue length, or -1 on a contradiction.
    """
    while n_queue:
        n_queue -= 1
        v = queue[n_queue]
        bit = masks[v]
        for i in range(g.peer_start[v], g.peer_start[v + 1]):
            p = g.peers[i]
            m = masks[p]
            if m & bit:
                m ^= bit
                if m == 0:
                    return -1
                masks[p] = m
                for j in range(g.var_start[p], g.var_start[p + 1]):
                    dirty[g.var_groups[j]] = True
                if m & (m - 1) == 0:
                    queue[n_queue] = p
                    n_queue += 1
    return 0


@njit(cache=True)
def _place_hidden(masks: Masks, queue: Ints, g: GroupArrays, dirty: Flags) -> int:
    """Hidden singles in the exact groups changed since their last look.

    Returns how many variables were decided (queued), or -1 on a contradiction.
    """
    n_queue = 0
    for u in range(g.exact.size):
        if not (g.exact[u] and dirty[u]):
            continue
        dirty[u] = False
        once = 0
        twice = 0
        for i in range(g.group_start[u], g.group_start[u + 1]):
            m = masks[g.group_vars[i]]
            twice |= once & m
            once |= m
        if once != g.full:
            return -1
        hidden = once & ~twice
        if hidden == 0:
            continue
        for i in range(g.group_start[u], g.group_start[u + 1]):
            v = g.group_vars[i]
            m = masks[v]
            h = m & hidden
            if h and h != m:
                if h & (h - 1):
                    return -1
                masks[v] = h
                for j in range(g.var_start[v], g.var_start[v + 1]):
                    dirty[g.var_groups[j]] = True
                queue[n_queue] = v
                n_queue += 1
    return n_queue


@njit(cache=True)
def _propagate(
    masks: Masks, touched: Ints, all_vars: bool, g: GroupArrays, queue: Ints, dirty: Flags, at_fixpoint: bool = False
) -> bool:
    """:func:`propagate` on caller-owned buffers (``queue``: ``V + len(touched)``, ``dirty``: one per group).

    ``at_fixpoint``: the masks were a fixpoint before ``touched`` changed
    (the search's children), so only the groups of ``touched`` can hold a
    new hidden single at first.
    """
    n_queue = 0
    if all_vars:
        for v in range(masks.size):
            m = masks[v]
            if m == 0:
                return False
            if m & (m - 1) == 0:
                queue[n_queue] = v
                n_queue += 1
    else:
        for v in touched:
            queue[n_queue] = v
            n_queue += 1
    dirty[:] = not at_fixpoint  # else every exact group is looked at once: the masks may hold hidden singles
    if at_fixpoint:
        for v in touched:
            for j in range(g.var_start[v], g.var_start[v + 1]):
                dirty[g.var_groups[j]] = True
    while True:
        if _eliminate_naked(masks, queue, n_queue, g, dirty) < 0:
            return False
        n_queue = _place_hidden(masks, queue, g, dirty)
        if n_queue < 0:
            return False
        if n_queue == 0:
            return True


@njit(cache=True)
def propagate(masks: Masks, touched: Ints, all_vars: bool, g: GroupArrays) -> bool:
    """Naked and hidden singles on ``masks`` (``int64 [V]``) in place to a fixpoint; ``False`` on contradiction.

    ``touched``: the variables decided since the last fixpoint, looked at
    first; ``all_vars=True`` starts from every decided variable instead
    (and checks for empty masks first).
    """
    if masks.size != g.var_start.size - 1:
        raise ValueError("one mask per variable of the layer expected")
    for v in touched:
        if v < 0 or v >= masks.size:
            raise IndexError("a touched variable is not a variable of the layer")
    queue = np.empty(masks.size + touched.size, np.int64)
    dirty = np.empty(g.exact.size, np.bool_)
    return _propagate(masks, touched, all_vars, g, queue, dirty)


# --------------------------------------------------------------------- search
@njit(cache=True)
def _choose(masks: Masks, tie_score: np.ndarray, top_score: float) -> int:
    """The undecided variable with fewest candidates, ties to the highest ``tie_score`` (first wins); -1 if none."""
    best, best_count, best_score = -1, 1 << 30, -np.inf
    for v in range(masks.size):
        m = masks[v]
        if m & (m - 1):
            c = _popcount(m)
            if c < best_count or (c == best_count and tie_score[v] > best_score):
                best, best_count, best_score = v, c, tie_score[v]
                if c == 2 and best_score == top_score:
                    break  # nothing later can beat two candidates at the top score
    return best


@njit(cache=True)
def _next_value(mask: int, ranks: Ints, start: int) -> tuple[int, int]:
    """The first value of ``ranks[start:]`` still in ``mask`` and the position after it (``-1``: none left)."""
    for pos in range(start, ranks.size):
        k = ranks[pos]
        if (mask >> k) & 1:
            return k, pos + 1
    return -1, ranks.size


@njit(cache=True)
def _record(solutions: np.ndarray, count: int, masks: Masks) -> np.ndarray:
    """Append the decided ``masks`` as values to ``solutions`` (grown by doubling); the array back."""
    if count == solutions.shape[0]:
        grown = np.empty((2 * count, solutions.shape[1]), np.int64)
        grown[:count] = solutions
        solutions = grown
    for v in range(masks.size):
        solutions[count, v] = _bit_index(masks[v])
    return solutions


@njit(cache=True)
def _check_search_inputs(root: Masks, g: GroupArrays, value_rank: np.ndarray, tie_score: np.ndarray) -> None:
    """Shapes and value range of :func:`search`'s inputs (the compiled code does not check its indices)."""
    V = g.var_start.size - 1
    if root.size != V or value_rank.shape[0] != V or tie_score.size != V:
        raise ValueError("root, value_rank and tie_score need one row per variable of the layer")
    for k in value_rank.ravel():
        if k < 0 or k >= MAX_VALUES:
            raise ValueError("value_rank holds a value outside 0..61")


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
    _check_search_inputs(root, g, value_rank, tie_score)
    V = root.size
    deadline = NO_LIMIT if time_limit_ns < 0 else _monotonic_ns() + time_limit_ns
    states = np.empty((V + 1, V), np.int64)  # states[d]: the node at depth d (a path decides <= V variables)
    frame_var = np.empty(V + 1, np.int64)
    frame_pos = np.empty(V + 1, np.int64)
    queue = np.empty(V + 1, np.int64)
    dirty = np.empty(g.exact.size, np.bool_)
    touched = np.empty(1, np.int64)
    solutions = np.empty((max(1, min(max_solutions, 16)), V), np.int64)
    top_score = np.max(tie_score) if V else 0.0
    nodes = backtracks = found = depth = 0
    states[0] = root
    if not _propagate(states[0], touched[:0], True, g, queue, dirty):
        return UNSOLVABLE, solutions[:0], 0, 0
    while True:
        var = _choose(states[depth], tie_score, top_score)
        if var < 0:
            solutions = _record(solutions, found, states[depth])
            found += 1
            if found >= max_solutions:
                return (MULTIPLE_SOLUTIONS if max_solutions > 1 else SOLVED), solutions[:found], nodes, backtracks
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
                return BUDGET_EXHAUSTED, solutions[:found], nodes, backtracks
            nodes += 1
            child = states[depth]
            child[:] = parent
            child[var] = 1 << value
            touched[0] = var
            if _propagate(child, touched, False, g, queue, dirty, True):
                advanced = True
                break
        if not advanced:
            return (UNSOLVABLE if found == 0 else SOLVED), solutions[:found], nodes, backtracks

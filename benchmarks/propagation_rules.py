"""Benchmark: do stronger propagation rules pay in the compiled search?  Nodes and time, in one run.

The compiled search (:mod:`solvers.kernels`) propagates naked and hidden
singles at every node, and intersections too at the root.  Three stronger
rules are measured here, each on top of singles, on the same puzzles in the
same process (ratios hold on a busy machine):

* **pairs**: naked pairs (two variables of a group with the same two
  candidates take them from the group's other variables);
* **intersections**: pointing and claiming (box-line reduction), generic
  for all-different groups: where two exact groups ``A`` and ``B`` meet in
  two or more variables ``I``, a value whose places in ``A`` all lie in
  ``I`` leaves ``B`` outside ``I`` (and the other way round); the shipped
  pass (:func:`solvers.propagation._propagate_full`), here at every node;
* **probe**: a failed-literal probe at the root (each candidate value of
  each undecided variable tried and propagated; the refuted ones removed,
  to a fixpoint), before the ordinary search.

The rules run at every node (``probe`` at the root only) in a copy of the
search loop kept here for measurement: a rule that lowers the time would
move into :mod:`solvers.kernels`; one that does not stays here as the
evidence.  Every variant's solutions are checked against the plain search's.
First, the shipped search is timed against itself with singles alone
(``AllDifferentLayer(..., intersections=False)``): it runs the intersections
at the root, where they paid.

Example::

    python benchmarks/propagation_rules.py --limit 500
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from numba import njit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import domains  # noqa: E402
from domains.collections import collection_lines  # noqa: E402
from solvers.alldiff import AllDifferentLayer  # noqa: E402
from solvers.base import Budget  # noqa: E402
from solvers.batch import search_many  # noqa: E402
from solvers.kernels import (  # noqa: E402
    _ONE,
    SOLVED,
    UNSOLVABLE,
    _choose,
    _next_value,
    _propagate,
    _queue_decided,
    _record,
)
from solvers.kernels import monotonic_ns as _now  # noqa: E402
from solvers.propagation import _propagate_full  # noqa: E402

PLAIN, PAIRS, INTERSECTIONS, PROBE = 0, 1, 2, 3
RULES = {"singles": PLAIN, "pairs": PAIRS, "intersections": INTERSECTIONS, "probe": PROBE}


@njit(cache=True)
def _remove(masks, v, bits, queue, n_queue):
    """Take ``bits`` from ``masks[v]``; the queue length after (a decided variable queued), -1 if emptied."""
    m = masks[v]
    if m & bits:
        m &= ~bits
        if m == 0:
            return -1
        masks[v] = m
        if m & (m - 1) == 0:
            queue[n_queue] = np.uint32(v)
            n_queue += 1
    return n_queue


@njit(cache=True)
def _pairs_rule(masks, g, queue):
    """Naked pairs once over every group; ``(changed, queue length)`` (-1: a contradiction)."""
    n_queue, changed = 0, False
    for u in range(g.group_start.size - 1):
        a, b = g.group_start[u], g.group_start[u + _ONE]
        for i in range(a, b):
            m = masks[g.group_vars[i]]
            if m & (m - 1) == 0 or (m & (m - 1)) & ((m & (m - 1)) - 1):  # not exactly two candidates
                continue
            for j in range(i + 1, b):
                if masks[g.group_vars[j]] == m:
                    for t in range(a, b):
                        w = g.group_vars[t]
                        if t != i and t != j and masks[w] & m:
                            n_queue = _remove(masks, w, m, queue, n_queue)
                            if n_queue < 0:
                                return True, -1
                            changed = True
    return changed, n_queue


@njit(cache=True)
def _propagate_with(masks, queue, n_queue, g, dirty, rule):
    """Singles to a fixpoint, then the rule, again while it removes something."""
    if rule == INTERSECTIONS:  # the shipped pass (solvers.propagation), here at every node
        return _propagate_full(masks, queue, n_queue, g, dirty)
    while True:
        if not _propagate(masks, queue, n_queue, g, dirty):
            return False
        if rule == PAIRS:
            changed, n_queue = _pairs_rule(masks, g, queue)
        else:
            return True
        if n_queue < 0:
            return False
        if not changed:
            return True
        dirty[:] = g.full  # values left several groups: look at every group once


@njit(cache=True)
def _probe_root(root, g, queue, dirty, scratch):
    """Failed literals at the root to a fixpoint; False if the root has no solution."""
    changed = True
    while changed:
        changed = False
        for v in range(root.size):
            m = root[v]
            if m & (m - 1) == 0:
                continue
            k = 0
            while m >> k:
                if (m >> k) & 1:
                    scratch[:] = root
                    scratch[v] = 1 << k
                    queue[0] = np.uint32(v)
                    dirty[:] = g.full
                    if not _propagate(scratch, queue, 1, g, dirty):
                        root[v] &= ~(1 << k)
                        n = _queue_decided(root, queue)
                        if n < 0:
                            return False
                        dirty[:] = g.full
                        if not _propagate(root, queue, n, g, dirty):
                            return False
                        changed = True
                        break
                k += 1
    return True


@njit(cache=True)
def search_with(roots, g, num_values, rule):
    """The search of :func:`solvers.kernels.search` (default orders, first solution) with ``rule``; per row
    ``(status, nodes, ns)`` and the solutions."""
    B, V = roots.shape
    status, nodes_out, ns = np.empty(B, np.int64), np.empty(B, np.int64), np.empty(B, np.int64)
    values = np.full((B, V), -1, np.int64)
    states = np.empty((V + 1, V), np.int64)
    frame_var, frame_pos = np.empty(V + 1, np.int64), np.empty(V + 1, np.int64)
    queue, dirty = np.empty(V + 1, np.uint32), np.empty(g.exact.size, np.int64)
    rank, ties = np.empty((V, num_values), np.int64), np.zeros(V)
    for v in range(V):
        rank[v] = np.arange(num_values)
    scratch, solutions = np.empty(V, np.int64), np.empty((1, V), np.int64)
    for b in range(B):
        t0 = _now()
        states[0] = roots[b]
        nodes, depth, s = 0, 0, UNSOLVABLE
        n_queue = _queue_decided(states[0], queue)
        dirty[:] = g.full
        ok = n_queue >= 0 and _propagate_with(states[0], queue, n_queue, g, dirty, rule)
        if ok and rule == PROBE:
            ok = _probe_root(states[0], g, queue, dirty, scratch)
        while ok:
            var = _choose(states[depth], ties, 0.0)
            if var < 0:
                solutions = _record(solutions, 0, states[depth])
                values[b] = solutions[0]
                s = SOLVED
                break
            frame_var[depth], frame_pos[depth] = var, 0
            depth += 1
            advanced = False
            while depth > 0:
                parent, var = states[depth - 1], frame_var[depth - 1]
                value, frame_pos[depth - 1] = _next_value(parent[var], rank, var, frame_pos[depth - 1])
                if value < 0:
                    depth -= 1
                    continue
                nodes += 1
                child = states[depth]
                child[:] = parent
                bit = 1 << value
                child[var] = bit
                dirty[:] = 0
                for j in range(g.var_start[var], g.var_start[var + _ONE]):
                    dirty[g.var_groups[j]] = parent[var] ^ bit
                queue[0] = np.uint32(var)
                if _propagate_with(child, queue, 1, g, dirty, rule):
                    advanced = True
                    break
            if not advanced:
                break
        status[b], nodes_out[b], ns[b] = s, nodes, _now() - t0
    return status, nodes_out, ns, values



def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=None, help="puzzles of each collection (default: all)")
    args = parser.parse_args(argv)
    sudoku = domains.get("sudoku")
    for name in ("top1465", "forum_hardest:test"):
        instances = [sudoku.parse(p) for p in collection_lines(name, limit=args.limit)]
        layer = sudoku.layer(instances[0])
        roots = np.stack([np.array(layer.masks(i.candidates), dtype=np.int64) for i in instances])
        singles_layer = AllDifferentLayer(layer.groups, layer.num_values, intersections=False)
        unlimited = Budget(max_nodes=None, max_seconds=None)
        for shipped in (layer, singles_layer):  # compile, untimed
            search_many(shipped, roots[:2], unlimited)
        times: dict[str, list[float]] = {"shipped": [], "singles": []}
        for _ in range(5):  # alternating, the best of five: the machine is shared
            for label, shipped in (("shipped", layer), ("singles", singles_layer)):
                found = search_many(shipped, roots, unlimited)
                times[label].append(found.seconds.sum() / len(instances) * 1e6)
                if label == "shipped":
                    reference = found
                else:
                    assert (found.values == reference.values).all()
        print(f"{name} ({len(instances)} puzzles): the shipped search (intersections at the root) "
              f"{reference.nodes.mean():.1f} nodes, {min(times['shipped']):.1f} us a puzzle; with singles alone "
              f"{found.nodes.mean():.1f} nodes, {min(times['singles']):.1f} us")
        for label, rule in RULES.items():
            search_with(roots[:2], layer.batch_arrays, layer.num_values, rule)  # compile, untimed
            best = None
            for _ in range(3):  # the best of three: the machine is shared
                status, nodes, ns, values = search_with(roots, layer.batch_arrays, layer.num_values, rule)
                best = ns.sum() if best is None else min(best, ns.sum())
            same = (status == SOLVED).all() and (values == reference.values).all()
            print(f"  {label:<14} {nodes.mean():7.1f} nodes   {best / len(instances) / 1e3:7.1f} us a puzzle   "
                  f"solutions as the shipped search's: {'yes' if same else 'NO'}")


if __name__ == "__main__":
    main()

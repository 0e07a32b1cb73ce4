"""The symbolic mode on one shape's puzzles: the compiled search and verifier, on threads when asked.

:func:`solve_shape` is what :func:`hybrid_hrm.batch.solve_batch` runs for
each shape in ``mode="symbolic"``: an all-different layer of at most 62
values is searched by the compiled batch kernels, whose every answer is
verified (compiled too) before it is returned; with ``threads > 1`` the
batch is cut into pieces that threads of this process take one by one (the
kernels release the GIL).  Other layers are solved one puzzle at a time by
:func:`~hybrid_hrm.symbolic.solve_symbolic`.

Examples
--------
>>> import domains
>>> from domains.batch import group_puzzles
>>> sudoku = domains.get("sudoku")
>>> batches, _ = group_puzzles(sudoku, [".13." "...." "3..4" "....", "11.." + "." * 12])
>>> status, values, nodes, seconds = solve_shape(sudoku, batches[0], Budget(), 1, threads=2)
>>> status.tolist(), values[0].tolist()[:4]
([0, 2], [3, 0, 2, 1])
"""

from __future__ import annotations

import time

import numpy as np

from domains.base import Domain
from domains.batch import ShapeBatch
from solvers.alldiff import AllDifferentLayer
from solvers.base import Budget
from solvers.batch import STATUS_CODE, search_many
from solvers.errors import SoundnessError

from .parallel import chunks, thread_map
from .symbolic import solve_symbolic


def compiled_layer(domain: Domain, batch: ShapeBatch) -> AllDifferentLayer | None:
    """The layer of ``batch`` when the compiled batch search takes it (all different, at most 62 values)."""
    layer = domain.layer(batch.template)
    return layer if isinstance(layer, AllDifferentLayer) and layer.batch_arrays is not None else None


def solve_shape(
    domain: Domain, batch: ShapeBatch, budget: Budget, max_solutions: int, threads: int = 1
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(status, values, nodes, seconds)`` of one shape's puzzles, every answer verified; the compiled
    search (which releases the GIL) on pieces of the batch taken by ``threads`` threads."""
    layer = compiled_layer(domain, batch)
    if layer is None:
        return _solve_one_by_one(domain, batch, budget, max_solutions)
    if threads <= 1 or len(batch) <= 1:
        return _search_verified(domain, layer, batch, budget, max_solutions)
    rows = [slice(r.start, r.stop) for r in chunks(range(len(batch)), 8 * threads, minimum=16)]
    parts = thread_map(lambda r: _search_verified(domain, layer, batch.part(r), budget, max_solutions), rows, threads)
    return tuple(np.concatenate(arrays) for arrays in zip(*parts))  # type: ignore[return-value]


def _search_verified(
    domain: Domain, layer: AllDifferentLayer, batch: ShapeBatch, budget: Budget, max_solutions: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The compiled search on ``batch``, and its answers verified (compiled too)."""
    found = search_many(layer, batch.roots(), budget, max_solutions=max_solutions)
    solved = found.solved
    if solved.any():
        candidates = batch.candidate_array()[solved]
        ok = domain.verify_batch(batch.template, found.values[solved], candidates)
        if not ok.all():
            raise SoundnessError("internal error: an answer of the batched search failed the verifier")
    return found.status, found.values, found.nodes, found.seconds


def _solve_one_by_one(
    domain: Domain, batch: ShapeBatch, budget: Budget, max_solutions: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """:func:`solve_shape` for a layer without a batched search: ``mode="symbolic"`` a puzzle at a time
    (:func:`~hybrid_hrm.symbolic.solve_symbolic`, which verifies every answer)."""
    b, V = len(batch), batch.template.num_variables
    status, values = np.empty(b, dtype=np.int8), np.full((b, V), -1, dtype=np.int64)
    nodes, seconds = np.zeros(b, dtype=np.int64), np.zeros(b)
    for j in range(b):
        start = time.perf_counter()
        found = solve_symbolic(domain, batch.instance(domain, j), budget, unique=max_solutions > 1)
        if found.values is not None:
            values[j] = found.values
        status[j], nodes[j] = STATUS_CODE[found.status], found.stats.search_nodes
        seconds[j] = time.perf_counter() - start
    return status, values, nodes, seconds

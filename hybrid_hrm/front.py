"""The loop's front on a whole batch: the givens propagated and the short probe search, in two compiled calls.

Before the network is asked anything, each instance has its givens
propagated (:meth:`HybridLoop.start <hybrid_hrm.loop.HybridLoop.start>`) and,
in the modes that search, a short plain search (:meth:`~hybrid_hrm.loop.HybridLoop.probe`)
settles the easy ones.  One instance at a time that is Python around a
compiled core, several times the core's own cost on an easy puzzle.  For a
batch of one compiled all-different layer, :func:`front` does both in two
compiled calls (:func:`solvers.batch_kernels.propagate_many`, then
:func:`solvers.batch_kernels.search_many` on the instances still open) and
returns arrays: what settled each instance (:class:`Settled`), the
propagated roots, the answers found, the probe's nodes and each
instance's own seconds.  The outcome is the one instance by instance, node
for node (``tests/test_front.py``); the answers are *not* verified here
(the caller verifies them, as for every answer).

Examples
--------
>>> import domains
>>> from solvers.base import Budget, candidate_mask_array, mask_counts
>>> sudoku = domains.get("sudoku")
>>> puzzles = [sudoku.parse(p) for p in ("." * 16, "11.." + "." * 12)]
>>> layer = sudoku.layer(puzzles[0])
>>> found = front(layer, candidate_masks(puzzles), Budget(), probe_nodes=32)
>>> [Settled(s).name for s in found.settled], found.nodes.tolist()
(['PROBE_SOLVED', 'CONTRADICTION'], [7, 0])
"""

from __future__ import annotations

import enum
import time
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from domains.base import Domain, Instance
from solvers import batch_kernels, kernels
from solvers.alldiff import AllDifferentLayer
from solvers.base import Budget, candidate_mask_array, mask_counts
from solvers.batch import search_many
from solvers.errors import Status

from .loop import HybridLoop, Run
from .result import SolveStats
from .symbolic import new_trace


class Settled(enum.IntEnum):
    """What the front made of an instance."""

    OPEN = 0  #: still open: it goes on to the loop
    CONTRADICTION = 1  #: the givens (propagated) contradict each other: no solution
    PROPAGATION = 2  #: propagation of the givens decided every variable
    PROBE_SOLVED = 3  #: the probe found a solution
    PROBE_EXHAUSTED = 4  #: the probe exhausted every candidate: no solution


@dataclass
class Front:
    """The front of a batch, one row per instance (see the module docstring).

    ``settled [B]`` :class:`Settled` codes; ``roots [B, V]`` the propagated
    candidate bitmasks (partial where ``CONTRADICTION``); ``values [B, V]``
    the answer where ``PROPAGATION`` or ``PROBE_SOLVED`` (``-1`` elsewhere);
    ``nodes [B]`` the probe's; ``seconds [B]`` each instance's probe time
    plus an equal share of the rest of the batch's.
    """

    settled: np.ndarray
    roots: np.ndarray
    values: np.ndarray
    nodes: np.ndarray
    seconds: np.ndarray

    def rows(self, index: np.ndarray) -> "Front":
        """The front of the rows ``index`` only."""
        return Front(self.settled[index], self.roots[index], self.values[index], self.nodes[index],
                     self.seconds[index])

    @property
    def answered(self) -> np.ndarray:
        """``[B]``: the front found an answer (still to be verified)."""
        return (self.settled == Settled.PROPAGATION) | (self.settled == Settled.PROBE_SOLVED)


def compiled_layer(layer: object) -> AllDifferentLayer | None:
    """``layer`` when the front runs compiled on it (an all-different layer of at most 62 values), else ``None``."""
    return layer if isinstance(layer, AllDifferentLayer) and layer.batch_arrays is not None else None


def candidate_masks(instances: Sequence[Instance]) -> np.ndarray:
    """``[B, V]`` int64 bitmasks of the instances' candidates (instances of one shape, at most 62 values)."""
    return candidate_mask_array(_stacked_candidates(instances))


def _stacked_candidates(instances: Sequence[Instance]) -> np.ndarray:
    return np.stack([np.asarray(inst.candidates, dtype=bool) for inst in instances])


def front(layer: AllDifferentLayer, roots: np.ndarray, budget: Budget, probe_nodes: int) -> Front:
    """Propagate every row of ``roots [B, V]`` and probe those still open with a ``probe_nodes`` search.

    The probe's budget is :meth:`HybridLoop.probe <hybrid_hrm.loop.HybridLoop.probe>`'s:
    at most ``probe_nodes`` (and ``budget.max_nodes``) nodes, ``budget.max_seconds``.
    ``probe_nodes=0``: no probe (the modes without search).
    """
    start = time.perf_counter()
    arrays = layer.batch_arrays
    if arrays is None:
        raise ValueError("the compiled front needs an all-different layer of at most 62 values")
    masks, ok = batch_kernels.interruptible(
        batch_kernels.propagate_many, np.ascontiguousarray(roots, dtype=np.int64), arrays
    )
    B, V = masks.shape
    settled = np.where(ok, Settled.OPEN, Settled.CONTRADICTION).astype(np.int8)
    decided = ok & ((masks & (masks - 1)) == 0).all(-1)
    settled[decided] = Settled.PROPAGATION
    values = np.full((B, V), -1, dtype=np.int64)
    values[decided] = mask_counts(masks[decided].ravel())[1].reshape(-1, V)
    nodes, seconds = np.zeros(B, dtype=np.int64), np.zeros(B)
    open_rows = np.flatnonzero(settled == Settled.OPEN)
    if probe_nodes > 0 and open_rows.size:
        limit = probe_nodes if budget.max_nodes is None else min(probe_nodes, budget.max_nodes)
        probe = search_many(layer, masks[open_rows], Budget(max_nodes=limit, max_seconds=budget.max_seconds))
        nodes[open_rows], seconds[open_rows] = probe.nodes, probe.seconds
        found = probe.solved
        settled[open_rows[found]] = Settled.PROBE_SOLVED
        values[open_rows[found]] = probe.values[found]
        settled[open_rows[probe.status == kernels.UNSOLVABLE]] = Settled.PROBE_EXHAUSTED
    seconds += max(time.perf_counter() - start - seconds.sum(), 0.0) / max(B, 1)
    return Front(settled, masks, values, nodes, seconds)


def start_runs(loop: HybridLoop, instances: Sequence[Instance], budget: Budget, probe: bool) -> list[Run]:
    """:meth:`HybridLoop.start <hybrid_hrm.loop.HybridLoop.start>` (and, with ``probe``, its probe) on each
    instance: batched by :func:`front` where they share one compiled layer, else one by one.

    Each run's ``stats.seconds`` is its own start (and probe) time.  Every
    answer the front found is verified before a run takes it; an instance
    whose givens contradict each other, or whose answer the verifier
    refuses, is started one by one, so its run names the reason.
    """
    layers = [loop.domain.layer(inst) for inst in instances]
    layer = compiled_layer(layers[0]) if layers else None
    if layer is None or any(other is not layer for other in layers):
        return [_start_one(loop, inst, budget, probe) for inst in instances]
    candidates = _stacked_candidates(instances)
    found = front(layer, candidate_mask_array(candidates), budget, loop.config.probe_nodes if probe else 0)
    valid = verified(loop.domain, instances[0], found, candidates)
    return runs_of(loop, layer, found, valid, instances, budget, probe)


def runs_of(loop: HybridLoop, layer: AllDifferentLayer, found: Front, valid: np.ndarray,
            instances: Sequence[Instance], budget: Budget, probe: bool) -> list[Run]:
    """The run of each row of ``found`` (``instances`` its instances, ``valid`` its answers' verdicts), as
    :meth:`HybridLoop.start <hybrid_hrm.loop.HybridLoop.start>` and ``probe`` would have left it."""
    answered = found.answered
    runs = []
    for j, inst in enumerate(instances):
        start = time.perf_counter()
        settled = Settled(int(found.settled[j]))
        if settled is Settled.CONTRADICTION or (answered[j] and not valid[j]):
            run = _start_one(loop, inst, budget, probe)
        else:
            run = _run_from_front(loop, inst, layer, found, j, settled)
        run.stats.seconds = float(found.seconds[j]) + time.perf_counter() - start  # its share, and its own
        runs.append(run)
    return runs


def verified(domain: Domain, template: Instance, found: Front, candidates: np.ndarray) -> np.ndarray:
    """``[B]``: the front's answer passed the domain's verifier (``False`` where there is none);
    ``candidates [B, V, K]`` what each instance allows, ``template`` one of their shape."""
    ok = np.zeros(found.settled.size, dtype=bool)
    rows = np.flatnonzero(found.answered)
    if rows.size:
        ok[rows] = domain.verify_batch(template, found.values[rows], candidates[rows])
    return ok


def _start_one(loop: HybridLoop, instance: Instance, budget: Budget, probe: bool) -> Run:
    start = time.perf_counter()
    run = loop.start(instance)
    if run.status is None and probe and loop.config.probe_nodes:
        loop.probe(run, budget)
    run.stats.seconds = time.perf_counter() - start
    return run


def _run_from_front(loop: HybridLoop, instance: Instance, layer: AllDifferentLayer, found: Front, j: int,
                    settled: Settled) -> Run:
    """The run :meth:`HybridLoop.start` and ``probe`` would have left (its answer, if any, verified)."""
    masks = found.roots[j].copy()
    run = Run(instance, layer, masks, masks.copy(), new_trace(loop.domain, instance), SolveStats())
    if settled is Settled.PROPAGATION:
        loop.solved_by_propagation(run, found.values[j])
    elif settled is not Settled.OPEN or found.nodes[j]:
        status = {Settled.PROBE_SOLVED: Status.SOLVED, Settled.PROBE_EXHAUSTED: Status.UNSOLVABLE}.get(
            settled, Status.BUDGET_EXHAUSTED)
        loop.probed(run, status, found.values[j], int(found.nodes[j]))
    return run


__all__ = ["Front", "Settled", "candidate_masks", "compiled_layer", "front", "runs_of", "start_runs", "verified"]

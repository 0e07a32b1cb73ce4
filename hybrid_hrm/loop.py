"""The hybrid loop: H proposes subgoals, the symbolic layer verifies and prunes, L refines.

One bridge *cycle* is one segment of the HRM (its L steps and H steps) on
the current candidate arrays of a batch of instances:

1. the proposal head's most confident undecided variables, with their best
   values, are the **subgoals** (at most ``subgoals_per_cycle``, each above
   ``min_confidence``);
2. the symbolic layer **verifies** each: a value no longer among its
   variable's candidates is rejected with the violated constraint as the
   reason (a layer may refuse more, :meth:`~solvers.base.SymbolicLayer.check_subgoal`);
   an accepted one is committed and **propagated**;
3. a commit that leads to a contradiction is **backed out** and its value
   marked refuted (chronological backtracking over the commits, so every
   refutation is sound relative to the commits still standing);
4. the new candidates go back to the network, whose L-module **refines**
   under them in the next cycle.

An instance halts as soon as the verifier passes a complete assignment, or
when propagation proves it unsolvable, or when the Q-head or the cycle
budget says so.  :class:`HybridLoop` holds no answer itself: the bridge
turns each :class:`Run` into a verified result.

Examples
--------
>>> import domains
>>> from hybrid_hrm.bridge import BridgeConfig
>>> from hybrid_hrm.policy import UniformPolicy
>>> sudoku = domains.get("sudoku")
>>> loop = HybridLoop(sudoku, BridgeConfig(max_cycles=4))
>>> run = loop.start(sudoku.parse("1..." "..2." ".3.." "...4"))
>>> loop.cycles([run], UniformPolicy(0), Budget())
>>> run.status.value, len(run.trace.cycles) >= 1
('solved', True)
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from domains.base import Domain, Instance
from solvers.base import Budget, SymbolicLayer, mask_array, mask_counts, masks_to_candidates
from solvers.errors import Status
from solvers.search import search as plain_search

from .breadth import Group, Sampling
from .policy import Policy
from .result import SolvedBy, SolveStats
from .symbolic import new_trace
from .trace import CycleRecord, Trace

if TYPE_CHECKING:
    from .bridge import BridgeConfig


@dataclass(eq=False)
class Run:
    """Loop state of one instance: its candidates (a :func:`~solvers.base.mask_array`), commits, trace and
    counters.  The masks are one array (``int64`` up to 62 values), so that copying them for a commit,
    counting candidates and propagating (in place, compiled for all-different layers) need no Python loop."""

    instance: Instance
    layer: SymbolicLayer  # the instance's own layer (structure may differ per instance)
    masks: np.ndarray
    root: np.ndarray  # candidates at the root: the givens propagated, plus refutations proven there
    trace: Trace
    stats: SolveStats
    trail: list[tuple[np.ndarray, int, int]] = field(default_factory=list)  # (masks before, variable, value)
    status: Status | None = None
    values: np.ndarray | None = None
    reason: str = ""
    halted: str = ""
    probs: np.ndarray | None = None
    last_pred: np.ndarray | None = None
    #: Breadth: the instance's trajectories this run is one of (``None``: it runs alone).
    group: Group | None = None
    #: Breadth: this trajectory's place in its group (0: the plain loop on the instance itself).
    trajectory: int = 0
    #: Breadth: how this trajectory samples its subgoals (``None``: the top ones).
    sampling: Sampling | None = None


@dataclass(frozen=True)
class Proposal:
    """A subgoal H proposed: ``variable=value`` with the proposal head's confidence."""

    variable: int
    value: int
    confidence: float


@dataclass
class Commits:
    """What became of one cycle's proposals; each is counted once, so that
    ``proposed == accepted + rejected + implied + contradicted + unexamined``.

    ``accepted``: committed and propagated (a later contradiction may back one
    out again: ``backed_out`` lists every commit undone, of this cycle or
    earlier); ``rejected``: refused, with the reason; ``implied``: propagation
    had already decided it; ``contradicted``: committed, and propagation
    proved it wrong at once; ``unexamined``: left when the node budget ran out
    or the instance was proved unsolvable.
    """

    accepted: list[tuple[int, int]] = field(default_factory=list)
    rejected: list[tuple[int, int, str]] = field(default_factory=list)
    implied: list[tuple[int, int]] = field(default_factory=list)
    contradicted: list[tuple[int, int]] = field(default_factory=list)
    backed_out: list[tuple[int, int]] = field(default_factory=list)
    unexamined: int = 0


class HybridLoop:
    """The loop of one domain under one :class:`~hybrid_hrm.bridge.BridgeConfig` (see the module docstring)."""

    def __init__(self, domain: Domain, config: BridgeConfig) -> None:
        self.domain = domain
        self.config = config

    # ------------------------------------------------------------------ start
    def start(self, instance: Instance) -> Run:
        """Check and propagate the givens; a run already decided gets its status."""
        layer = self.domain.layer(instance)
        masks = mask_array(layer.masks(instance.candidates))
        run = Run(instance, layer, masks, masks, new_trace(self.domain, instance), SolveStats())
        givens = self.domain.verify(instance, instance.givens)
        if not givens.consistent:
            run.status, run.reason = Status.UNSOLVABLE, f"contradictory givens: {givens.violations[0].reason}"
        elif not layer.propagate_array(run.masks):
            run.status, run.reason = Status.UNSOLVABLE, "propagation of the givens reached a contradiction"
        else:
            run.root = run.masks.copy()
            self._check_complete(run)
            if run.status is Status.SOLVED:
                self.solved_by_propagation(run, run.values)
        if run.status is not None and not run.trace.halt_reason:
            run.trace.halt_reason = run.reason
        return run

    def probe(self, run: Run, budget: Budget) -> None:
        """A short plain search before the network; settles the easy puzzles."""
        limit = self.config.probe_nodes
        if budget.max_nodes is not None:
            limit = min(limit, budget.max_nodes)
        result = plain_search(run.layer, run.root.tolist(), Budget(max_nodes=limit, max_seconds=budget.max_seconds))
        self.probed(run, result.status, result.values, result.nodes)

    @staticmethod
    def solved_by_propagation(run: Run, values: np.ndarray) -> None:
        """Record that propagation of the givens decided ``values`` (verified by the caller)."""
        run.status, run.values = Status.SOLVED, np.array(values, dtype=np.int64)
        run.stats.solved_by = SolvedBy.PROPAGATION
        run.trace.halt_reason = "solved by propagation"

    @staticmethod
    def probed(run: Run, status: Status, values, nodes: int) -> None:
        """Record the probe's outcome on the run (a solution found is verified by the caller)."""
        run.stats.search_nodes += nodes
        if status is Status.SOLVED:
            run.status, run.values = Status.SOLVED, np.array(values, dtype=np.int64)
            run.stats.solved_by = SolvedBy.SEARCH
            run.trace.halt_reason = f"solved by a {nodes}-node search before the network was needed"
        elif status is Status.UNSOLVABLE:
            run.status, run.reason = Status.UNSOLVABLE, "no solution: a short search exhausted every candidate"
            run.trace.halt_reason = run.reason

    # ----------------------------------------------------------------- cycles
    def cycles(self, active: list[Run], policy: Policy, budget: Budget) -> None:
        """Run up to ``max_cycles`` cycles on a batch; each run leaves solved, unsolvable or halted."""
        if not active:
            return
        K = active[0].instance.num_values
        # The budget is per puzzle and the batch shares the loop's time: each puzzle (all its
        # trajectories) gets its own max_seconds of it.
        puzzles = len({id(r.group) if r.group is not None else id(r) for r in active})
        deadline = None if budget.max_seconds is None else time.perf_counter() + budget.max_seconds * puzzles
        tokens_all = self.domain.encode_batch(np.stack([r.instance.givens for r in active]))
        index = np.arange(len(active))
        state = None
        for cycle in range(1, self.config.max_cycles + 1):
            index, state = self._still_open(active, index, policy, state)
            if not len(index) or (deadline is not None and time.perf_counter() > deadline):
                break
            cand = np.stack([masks_to_candidates(active[i].masks, K) for i in index])
            step = policy.step(tokens_all[index], cand, state)
            keep = []
            for j, i in enumerate(index):
                run = active[i]
                run.stats.network_calls += 1
                run.stats.cycles = cycle
                run.probs = step.probs[j]
                self.cycle(run, step.probs[j], step.confidence[j], cycle, budget)
                if run.status is None and self.config.q_halt and step.halt[j]:
                    run.halted = f"Q-head halted after cycle {cycle}"
                if run.status is not None and run.group is not None and not run.group.done:
                    run.group.winner = run.group.index_of(run)  # solved or unsolvable: the instance is decided
                if run.status is None and not run.halted:
                    keep.append(j)
            index = index[keep]
            state = policy.select(step.state, np.array(keep, dtype=np.int64))
        for run in active:
            if run.status is None and not run.halted:
                run.halted = f"cycle budget ({self.config.max_cycles}) spent"

    def _still_open(self, active: list[Run], index: np.ndarray, policy: Policy, state):
        """Breadth: stop the trajectories whose instance another one decided, apply shared refutations."""
        keep = []
        for j, i in enumerate(index):
            run = active[i]
            group = run.group
            if group is not None and group.done:
                run.halted = f"trajectory {group.winner} of {len(group.runs)} decided the puzzle"
                continue
            if group is not None:
                self.apply_refutations(run, group.pending(run))
                if run.status is not None:
                    group.winner = group.index_of(run)
                    continue
            keep.append(j)
        if len(keep) == len(index):
            return index, state
        return index[keep], policy.select(state, np.array(keep, dtype=np.int64))

    def apply_refutations(self, run: Run, refuted: list[tuple[int, int]]) -> None:
        """Remove values another trajectory refuted at its root (they hold for the instance)."""
        for v, k in refuted:
            bit = 1 << k
            if run.root[v] & bit:
                run.root[v] &= ~bit
                # touched=None: ``touched`` names decided variables only (the layer's contract)
                if not run.root[v] or not run.layer.propagate_array(run.root, None):
                    run.status, run.reason = Status.UNSOLVABLE, "every value was refuted: no solution"
                    run.trace.halt_reason = run.reason
                    return
            if run.masks[v] & bit:
                run.masks[v] &= ~bit
                if not run.masks[v] or not run.layer.propagate_array(run.masks, None):
                    self.backtrack(run)
                    if run.status is not None:
                        return

    def cycle(self, run: Run, probs: np.ndarray, confidence: np.ndarray, cycle: int, budget: Budget) -> None:
        """One cycle of one run: propose, verify and commit, record."""
        counts, _ = mask_counts(run.masks)
        before = int(counts.sum())
        best = probs.argmax(-1)
        pred = best if run.sampling is None else run.sampling.values(probs)
        undecided = counts > 1
        changed = 0 if run.last_pred is None else int(((best != run.last_pred) & undecided).sum())
        run.last_pred = best
        proposals = self.propose(pred, confidence, undecided, run.sampling)
        done = self.commit(run, proposals, budget)
        run.stats.proposed += len(proposals)
        run.stats.accepted += len(done.accepted)
        run.stats.rejected += len(done.rejected)
        run.stats.backed_out += len(done.backed_out)
        if run.status is None:
            self._check_complete(run)
        counts, values_after = mask_counts(run.masks)
        run.trace.cycles.append(
            CycleRecord(
                cycle=cycle,
                proposed=[(p.variable, p.value, p.confidence) for p in proposals],
                accepted=done.accepted,
                rejected=done.rejected,
                pruned=max(before - int(counts.sum()), 0),
                changed_by_l=changed,
                decided=int((counts == 1).sum()),
                backed_out=done.backed_out,
                implied=done.implied,
                contradicted=done.contradicted,
                unexamined=done.unexamined,
                candidate_counts=counts.tolist(),
                values_after=values_after.tolist(),
            )
        )
        if run.status is Status.SOLVED:
            run.stats.solved_by = SolvedBy.LOOP
            run.trace.halt_reason = f"verified complete and valid after cycle {cycle}"

    def propose(
        self, pred: np.ndarray, confidence: np.ndarray, undecided: np.ndarray, sampling: Sampling | None = None
    ) -> list[Proposal]:
        """The most confident undecided variables with their best values (the subgoals); a sampling
        trajectory draws the variables at its temperature instead."""
        order = np.flatnonzero(undecided)
        if sampling is None:
            order = order[np.argsort(-confidence[order], kind="stable")]
        else:
            order = sampling.order(confidence, order)
        return [
            Proposal(int(v), int(pred[v]), float(confidence[v]))
            for v in order[: self.config.subgoals_per_cycle]
            if confidence[v] >= self.config.min_confidence
        ]

    def commit(self, run: Run, proposals: list[Proposal], budget: Budget) -> Commits:
        """Verify each subgoal; commit and propagate the accepted, back out contradictions."""
        layer = run.layer
        done = Commits()
        for n, p in enumerate(proposals):
            v, k = p.variable, p.value
            mask = run.masks[v]
            why = self.reject_reason(run, v, k) if not mask >> k & 1 else layer.check_subgoal(run.masks, v, k)
            if why:
                done.rejected.append((v, k, why))
                continue
            if mask == 1 << k:
                done.implied.append((v, k))  # already decided by propagation: nothing to commit
                continue
            used = run.stats.search_nodes if run.group is None else run.group.nodes
            if budget.max_nodes is not None and used >= budget.max_nodes:
                done.unexamined = len(proposals) - n
                break
            run.stats.search_nodes += 1
            if run.group is not None:
                run.group.nodes += 1
            run.trail.append((run.masks.copy(), v, k))
            run.masks[v] = 1 << k
            if layer.propagate_array(run.masks, (v,)):
                done.accepted.append((v, k))
                continue
            done.contradicted.append((v, k))
            done.backed_out += self.backtrack(run)
            if run.status is not None:
                done.unexamined = len(proposals) - n - 1
                break
        return done

    def reject_reason(self, run: Run, v: int, k: int) -> str:
        """Why ``v=k`` is not allowed: the violated constraint, or propagation."""
        layer = run.layer
        values = mask_counts(run.masks)[1]
        values[v] = k
        reason = layer.explain_conflict(values, v)
        if reason:
            return reason
        verdict = layer.verify(values, run.instance.candidates)
        for violation in verdict.violations:
            if v in violation.variables:
                return violation.reason
        allowed = ", ".join(layer.value_names[x] for x in range(layer.num_values) if run.masks[v] >> x & 1)
        return f"{layer.variable_names[v]}={layer.value_names[k]} was removed by propagation (candidates: {allowed})"

    def backtrack(self, run: Run) -> list[tuple[int, int]]:
        """Undo commits until the refuted value leaves a consistent state."""
        backed = []
        while run.trail:
            masks, v, k = run.trail.pop()
            backed.append((v, k))
            masks[v] &= ~(1 << k)  # refuted under the commits still standing
            if masks[v] and run.layer.propagate_array(masks, None):
                run.masks = masks
                if not run.trail:
                    run.root = masks.copy()  # a proven refutation at the root
                    if run.group is not None:
                        run.group.share(run, v, k)
                return backed
        run.status = Status.UNSOLVABLE
        run.reason = "every value was refuted: no solution"
        run.trace.halt_reason = run.reason
        return backed

    def _check_complete(self, run: Run) -> None:
        counts, values = mask_counts(run.masks)
        if (counts == 1).all():
            if self.domain.verify(run.instance, values).valid:
                run.status, run.values = Status.SOLVED, values


def root_candidates(run: Run) -> np.ndarray:
    """``[V, K]`` candidates at the run's root: sound for the instance, refutations included."""
    return masks_to_candidates(run.root, run.instance.num_values)


__all__ = ["HybridLoop", "Proposal", "Run", "root_candidates"]

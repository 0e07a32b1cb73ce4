"""Think wider: several trajectories of the loop per puzzle, side by side in one network batch.

A *trajectory* is one run of the loop on one *view* of an instance (the
instance itself, or an equivalent puzzle under one of its domain's
symmetries, :meth:`domains.base.Domain.view`), with its own commits and
back-outs.  The trajectories of an instance form a :class:`Group`: the first
one the verifier passes ends the puzzle and the others stop; a refutation
proven at the root of one trajectory holds for the instance, so it is shared
with all; search nodes count every trajectory's commits against one budget.
Trajectory 0 is the plain loop on the instance itself, so ``breadth=1`` is
exactly the loop without breadth.

Diversity, each a :class:`~hybrid_hrm.bridge.BridgeConfig` setting:

* ``views``: trajectories 1.. run on random symmetric views (undone on the output);
* ``temperature``: trajectories 1.. sample subgoals (variables and values)
  from the network's distribution instead of taking the top ones;
* ``uniform_share``: a share of trajectories 1.. use uniform choices (a
  portfolio of network-led and random trajectories);
* ``state_noise``: the network's recurrent state of trajectories 1.. gets
  Gaussian noise after every segment;
* ``share_refutations``: root refutations are shared between trajectories.

When no trajectory finishes, the fallback search orders values by the
trajectories' probabilities averaged over the views, mapped back to the
instance (test-time augmentation).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from domains.base import Domain, Instance

from .modes import Guide
from .policy import Policy, PolicyStep, UniformPolicy
from .trace import CycleRecord, Trace


@dataclass(frozen=True)
class View:
    """A symmetry of an instance: ``view[i] = relabel[original[perm[i]]]``, and the way back."""

    perm: np.ndarray
    relabel: np.ndarray

    @property
    def inverse_perm(self) -> np.ndarray:
        return np.argsort(self.perm)

    @property
    def inverse_relabel(self) -> np.ndarray:
        return np.argsort(self.relabel)

    def pair_back(self, v: int, k: int) -> tuple[int, int]:
        """A view's ``(variable, value)`` in the original's terms."""
        return int(self.perm[v]), int(self.inverse_relabel[k])

    def pair_to(self, v: int, k: int) -> tuple[int, int]:
        """An original ``(variable, value)`` in the view's terms."""
        return int(self.inverse_perm[v]), int(self.relabel[k])

    def values_back(self, values: np.ndarray) -> np.ndarray:
        """The view's assignment (``-1`` = free) as the original's."""
        values = np.asarray(values)
        moved = values[self.inverse_perm]
        return np.where(moved < 0, moved, self.inverse_relabel[np.maximum(moved, 0)])

    def probs_back(self, probs: np.ndarray) -> np.ndarray:
        """The view's ``[V, K]`` probabilities as the original's."""
        return np.asarray(probs)[self.inverse_perm][:, self.relabel]


@dataclass(frozen=True)
class Sampling:
    """How a trajectory samples its subgoals: values from ``probs ** (1 / T)``, variables by
    Gumbel-perturbed ``log(confidence) / T`` (the top ones when ``T`` is 0)."""

    temperature: float
    rng: np.random.Generator

    def values(self, probs: np.ndarray) -> np.ndarray:
        """One value per variable drawn at the temperature (zero-probability values never)."""
        logits = np.log(np.maximum(probs, 1e-30)) / self.temperature
        logits = np.where(probs > 0, logits, -np.inf)
        gumbel = -np.log(-np.log(self.rng.random(probs.shape) + 1e-12) + 1e-12)
        return np.argmax(logits + gumbel, axis=-1)

    def order(self, confidence: np.ndarray, candidates: np.ndarray) -> np.ndarray:
        """``candidates`` (variable indices) in a sampled order, the surer ones likelier first."""
        keys = np.log(np.maximum(confidence[candidates], 1e-30)) / self.temperature
        keys = keys - np.log(-np.log(self.rng.random(len(candidates)) + 1e-12) + 1e-12)
        return candidates[np.argsort(-keys, kind="stable")]


@dataclass(eq=False)
class Group:
    """The trajectories of one instance and what they share (see the module docstring)."""

    instance: Instance
    runs: list[Any] = field(default_factory=list)  # loop.Run, trajectory 0 first
    views: list[View | None] = field(default_factory=list)
    nodes: int = 0  # commits of every trajectory, against the one node budget
    refuted: list[tuple[int, int]] = field(default_factory=list)  # root refutations, original terms
    applied: dict[int, int] = field(default_factory=dict)  # trajectory -> refutations applied so far
    winner: int | None = None  # the trajectory that decided the instance (solved or unsolvable)
    share_refutations: bool = True

    @property
    def done(self) -> bool:
        return self.winner is not None

    def index_of(self, run: Any) -> int:
        return run.trajectory

    def to_original(self, run: Any, v: int, k: int) -> tuple[int, int]:
        view = self.views[self.index_of(run)]
        return (v, k) if view is None else view.pair_back(v, k)

    def to_run(self, run: Any, v: int, k: int) -> tuple[int, int]:
        view = self.views[self.index_of(run)]
        return (v, k) if view is None else view.pair_to(v, k)

    def share(self, run: Any, v: int, k: int) -> None:
        """``run`` proved ``v != k`` at its root: it holds for the instance."""
        if self.share_refutations:
            self.refuted.append(self.to_original(run, v, k))
            self.applied[self.index_of(run)] = len(self.refuted)

    def pending(self, run: Any) -> list[tuple[int, int]]:
        """Refutations other trajectories proved that ``run`` has not applied yet, in its terms."""
        j = self.index_of(run)
        new = self.refuted[self.applied.get(j, 0):]
        self.applied[j] = len(self.refuted)
        return [self.to_run(run, v, k) for v, k in new]

    def ensembled_probs(self) -> np.ndarray | None:
        """The trajectories' last probabilities, mapped back and averaged (``None``: no network ran)."""
        back = [p if view is None else view.probs_back(p)
                for run, view in zip(self.runs, self.views) if (p := run.probs) is not None]
        return np.mean(back, axis=0) if back else None


def instance_rng(seed: int, instance: Instance) -> np.random.Generator:
    """A generator seeded by the run's seed and the puzzle itself (reproducible, batch-independent)."""
    return np.random.default_rng([seed, zlib.crc32(np.ascontiguousarray(instance.givens).tobytes())])


def make_views(domain: Domain, instance: Instance, breadth: int, rng: np.random.Generator,
               use_views: bool) -> list[tuple[Instance, View | None]]:
    """Trajectory 0 on the instance, the others on random symmetric views (or on the instance)."""
    out: list[tuple[Instance, View | None]] = [(instance, None)]
    for _ in range(1, breadth):
        if not use_views:
            out.append((instance, None))
            continue
        perm, relabel = domain.random_symmetry(instance, rng)
        out.append((domain.view(instance, (perm, relabel)), View(np.asarray(perm), np.asarray(relabel))))
    return out


def trace_back(trace: Trace, view: View | None, original: Instance) -> Trace:
    """A trajectory's trace in the original instance's terms (the trajectory ran on ``view``)."""
    if view is None:
        return trace
    trace.cycles = [_record_back(c, view) for c in trace.cycles]
    trace.givens = original.givens.tolist()
    return trace


def _record_back(c: CycleRecord, view: View) -> CycleRecord:
    pairs = lambda items: [view.pair_back(v, k) for v, k in items]  # noqa: E731
    inv = view.inverse_perm
    return CycleRecord(
        cycle=c.cycle,
        proposed=[(*view.pair_back(v, k), conf) for v, k, conf in c.proposed],
        accepted=pairs(c.accepted),
        rejected=[(*view.pair_back(v, k), why) for v, k, why in c.rejected],
        pruned=c.pruned,
        changed_by_l=c.changed_by_l,
        decided=c.decided,
        backed_out=pairs(c.backed_out),
        implied=pairs(c.implied),
        contradicted=pairs(c.contradicted),
        unexamined=c.unexamined,
        candidate_counts=None if c.candidate_counts is None else np.asarray(c.candidate_counts)[inv].tolist(),
        values_after=None if c.values_after is None else view.values_back(np.asarray(c.values_after)).tolist(),
    )


class PortfolioPolicy:
    """Trajectories of several kinds in one batch: rows flagged uniform get uniform choices, the
    others the network, and rows flagged noisy have Gaussian noise (``noise`` x the state's scale)
    added to the network's recurrent state after every segment."""

    guide = Guide.NETWORK

    def __init__(self, network: Policy, uniform: UniformPolicy, uniform_rows: np.ndarray,
                 noisy_rows: np.ndarray | None = None, noise: float = 0.0, seed: int = 0) -> None:
        self.network, self.uniform = network, uniform
        self.uniform_rows = np.asarray(uniform_rows, dtype=bool)
        self.noisy_rows = np.zeros_like(self.uniform_rows) if noisy_rows is None else np.asarray(noisy_rows, bool)
        self.noise = float(noise)
        self.rng = np.random.default_rng(seed)
        self.carries_state = network.carries_state

    def step(self, tokens: np.ndarray, candidates: np.ndarray, state: Any) -> PolicyStep:
        flags, noisy = (self.uniform_rows, self.noisy_rows) if state is None else state[1:]
        net_state = None if state is None else state[0]
        probs = np.zeros(candidates.shape, dtype=np.float32)
        confidence = np.zeros(candidates.shape[:2], dtype=np.float32)
        halt = np.zeros(len(candidates), dtype=bool)
        new_net = net_state
        for rows, policy, carried in ((~flags, self.network, net_state), (flags, self.uniform, None)):
            if rows.any():
                s = policy.step(tokens[rows], candidates[rows], carried)
                probs[rows], confidence[rows], halt[rows] = s.probs, s.confidence, s.halt
                if policy is self.network:
                    new_net = self._perturbed(s.state, noisy[~flags])
        return PolicyStep(probs, confidence, halt, (new_net, flags, noisy))

    def _perturbed(self, state: Any, noisy: np.ndarray) -> Any:
        """The network's state with noise on the noisy rows (HRM: ``z_H`` and ``z_L``)."""
        if state is None or self.noise <= 0 or not noisy.any():
            return state
        import torch

        def shake(z: torch.Tensor) -> torch.Tensor:
            rows = torch.from_numpy(noisy).to(z.device)
            scale = z[rows].float().std().clamp(min=1e-6) * self.noise
            eps = torch.from_numpy(self.rng.standard_normal(z[rows].shape).astype(np.float32)).to(z.device)
            out = z.clone()
            out[rows] = (z[rows].float() + scale * eps).to(z.dtype)
            return out

        return type(state)(shake(state.z_H), shake(state.z_L))

    def select(self, state: Any, index: np.ndarray) -> Any:
        if state is None:
            return (None, self.uniform_rows[index], self.noisy_rows[index])
        net_state, flags, noisy = state
        position = np.cumsum(~flags) - 1  # a row's place among the network rows
        kept = index[~flags[index]]
        return (self.network.select(net_state, position[kept].astype(np.int64)), flags[index], noisy[index])

    def search_orders(self, probs: np.ndarray):
        return self.network.search_orders(probs)


__all__ = ["Group", "PortfolioPolicy", "Sampling", "View", "instance_rng", "make_views", "trace_back"]

"""Breadth around the loop: widen each open run into its trajectories, then fold them back into one.

:func:`widen` turns each instance's run (trajectory 0) into a
:class:`~hybrid_hrm.breadth.Group` of ``breadth`` trajectories, diversified
as :class:`~hybrid_hrm.bridge.BridgeConfig` says, and the policy that drives
them in one batch; :func:`fold` writes the group's outcome back into
trajectory 0, in the instance's own terms: the winner's verified answer and
trace, or (no winner) the shared root refutations and the probabilities
averaged over the views for the fallback search.  Counters add up over
every trajectory, so nodes and network calls compare honestly with breadth 1.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from solvers.errors import Status

from .breadth import Group, PortfolioPolicy, Sampling, instance_rng, make_views, trace_back
from .loop import HybridLoop, Run
from .modes import Guide
from .policy import Policy, UniformPolicy
from .result import SolvedBy, SolveStats

if TYPE_CHECKING:
    from .bridge import BridgeConfig


def widen(loop: HybridLoop, runs: list[Run], policy: Policy, config: BridgeConfig) -> tuple[list[Run], Policy]:
    """Every open trajectory of every run (groups set), and the policy that drives them in one batch."""
    network = policy.guide is Guide.NETWORK
    portfolio = network and (config.uniform_share > 0 or config.state_noise > 0)
    explorers = max(config.breadth - config.top_trajectories, 0)
    n_uniform = round(config.uniform_share * explorers) if network else 0
    trajectories: list[Run] = []
    uniform_rows: list[bool] = []
    noisy_rows: list[bool] = []
    for run in runs:
        group = _group(loop, run, config)
        if group.done:
            continue
        for j, trajectory in enumerate(group.runs):
            uniform = j >= max(config.breadth - n_uniform, 1)  # the last trajectories of each group
            if uniform:
                trajectory.sampling = None  # uniform choices are random already
            trajectories.append(trajectory)
            uniform_rows.append(uniform)
            noisy_rows.append(not uniform and j >= config.top_trajectories)
    if portfolio:
        return trajectories, PortfolioPolicy(policy, UniformPolicy(config.seed), uniform_rows, noisy_rows,
                                             config.state_noise, config.seed)
    return trajectories, policy


def _group(loop: HybridLoop, run: Run, config: BridgeConfig) -> Group:
    rng = instance_rng(config.seed, run.instance)
    group = Group(run.instance, share_refutations=config.share_refutations)
    for j, (instance, view) in enumerate(make_views(loop.domain, run.instance, config.breadth, rng, config.views)):
        trajectory = run if j == 0 else loop.start(instance)
        trajectory.group, trajectory.trajectory = group, j
        if j >= config.top_trajectories and config.temperature > 0:
            trajectory.sampling = Sampling(config.temperature, rng.spawn(1)[0])
        group.runs.append(trajectory)
        group.views.append(view)
        if trajectory.status is not None and not group.done:
            group.winner = j
    run.group = group
    return group


def fold(loop: HybridLoop, run: Run) -> None:
    """Write the group's outcome into trajectory 0 (``run``), in the instance's terms."""
    group = run.group
    run.stats = _merged_stats(group)
    if group.winner is not None and group.winner > 0:
        winner, view = group.runs[group.winner], group.views[group.winner]
        run.status, run.reason = winner.status, winner.reason
        if winner.status is Status.SOLVED:
            run.values = winner.values if view is None else view.values_back(winner.values)
            run.trace = trace_back(winner.trace, view, run.instance)
            run.trace.drawer = loop.domain
    elif group.winner is None:
        loop.apply_refutations(run, group.pending(run))
        run.probs = group.ensembled_probs()
    run.trace.trajectory = group.winner or 0
    run.trace.trajectories = len(group.runs)
    if run.status is Status.SOLVED and group.winner:
        run.trace.halt_reason += f" (trajectory {group.winner} of {len(group.runs)})"


def _merged_stats(group: Group) -> SolveStats:
    runs = group.runs
    merged = SolveStats(
        cycles=max(r.stats.cycles for r in runs),
        proposed=sum(r.stats.proposed for r in runs),
        accepted=sum(r.stats.accepted for r in runs),
        rejected=sum(r.stats.rejected for r in runs),
        backed_out=sum(r.stats.backed_out for r in runs),
        search_nodes=sum(r.stats.search_nodes for r in runs),
        network_calls=sum(r.stats.network_calls for r in runs),
        seconds=runs[0].stats.seconds,
    )
    if group.winner is not None and runs[group.winner].status is Status.SOLVED:
        merged.solved_by = SolvedBy.LOOP
    return merged


__all__ = ["fold", "widen"]

"""The methods a benchmark compares, each on the same puzzles: the symbolic layer, the baselines, every mode.

A *method* takes a list of instances and returns one :class:`Outcome` per
instance.  A :class:`BenchMethod` also says on which domains it applies
(the baselines need all-different groups) and whether it counts search
nodes (the baselines' own solvers do not), so the table prints "-" rather
than a misleading 0.

>>> import domains
>>> METHODS["python-constraint"].why_not(domains.get("nqueens"), domains.get("nqueens").empty())
"baselines need an all-different domain; 'nqueens' is not one"
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass, field
from typing import Callable, Iterator

import numpy as np

from domains.base import Domain, Instance
from solvers.base import Budget
from solvers.errors import Status

from . import baselines
from .modes import MODES, Guide, Mode
from .result import SolveResult


@dataclass(frozen=True)
class BenchConfig:
    """Budgets and options shared by every method of one benchmark run."""

    max_nodes: int | None = 1_000_000
    max_seconds: float | None = 10.0
    device: str = "auto"
    weights: str | None = None
    seed: int = 0
    bridge: tuple[tuple[str, object], ...] = ()   # BridgeConfig overrides, e.g. (("max_cycles", 2),)
    sweep_cycles: tuple[int, ...] = ()             # no-search solve rate against the cycle budget
    sweep_breadth: tuple[int, ...] = ()            # ... and against the breadth (trajectories per puzzle)
    workers: int = 1                               # worker processes, each on a piece of the puzzles
    scale_workers: tuple[int, ...] = ()            # wall throughput at each of these worker counts, too

    @property
    def budget(self) -> Budget:
        return Budget(max_nodes=self.max_nodes, max_seconds=self.max_seconds)

    def bridge_config(self, **overrides):
        """The :class:`~hybrid_hrm.bridge.BridgeConfig` every hybrid method of this run uses."""
        from .bridge import BridgeConfig

        return BridgeConfig(**{"seed": self.seed, **dict(self.bridge), **overrides})


@dataclass
class Outcome:
    """What one method did with one instance (values are re-verified by the bench)."""

    status: Status
    values: np.ndarray | None
    seconds: float
    nodes: int | None = 0  # None: the method's solver does not count nodes
    extra: dict = field(default_factory=dict)


Method = Callable[[Domain, list[Instance], BenchConfig], list[Outcome]]


def _timed_each(solve_one: Callable[[Domain, Instance, BenchConfig], tuple[Status, np.ndarray | None, int | None]]):
    def method(domain: Domain, instances: list[Instance], config: BenchConfig) -> list[Outcome]:
        out = []
        for inst in instances:
            start = time.perf_counter()
            status, values, nodes = solve_one(domain, inst, config)
            out.append(Outcome(status, values, time.perf_counter() - start, nodes))
        return out

    return method


def _symbolic(domain: Domain, instances: list[Instance], config: BenchConfig) -> list[Outcome]:
    """The symbolic layer on the whole batch (:func:`hybrid_hrm.batch.solve_batch`), every answer verified.

    Times: the batch is timed; each puzzle gets its own search time, which
    the compiled kernel measures puzzle by puzzle, plus an equal share of
    the batch's other work (stacking the instances, verifying), so the
    per-puzzle times add up to the batch's.  A domain that is not
    all-different is solved one puzzle at a time, each timed on its own.
    With ``config.workers``, :func:`~hybrid_hrm.batch.solve_batch` uses them
    itself (threads on the compiled search; processes for other domains).
    """
    from .batch import solve_batch

    found = solve_batch(instances, domain, config.budget, workers=config.workers)
    out = []
    for i, inst in enumerate(instances):
        status = found.status_of(i)
        answered = status in (Status.SOLVED, Status.MULTIPLE_SOLUTIONS)
        values = found.values[i, : inst.num_variables].copy() if answered else None
        out.append(Outcome(status, values, float(found.seconds[i]), int(found.nodes[i])))
    return out


def _sat(domain: Domain, inst: Instance, config: BenchConfig):
    """python-sat (Glucose 4) on the standard CNF; it counts no nodes."""
    values, finished = baselines.sat_solve(domain, inst, config.max_seconds)
    if not finished:
        return Status.BUDGET_EXHAUSTED, None, None
    return (Status.SOLVED if values is not None else Status.UNSOLVABLE), values, None


def _python_constraint(domain: Domain, instances: list[Instance], config: BenchConfig) -> list[Outcome]:
    """python-constraint2 within the time budget (a killed child counts as budget exhausted)."""
    out = []
    for inst in instances:
        values, seconds, finished = baselines.python_constraint_within(domain, inst, config.max_seconds)
        if not finished:
            status = Status.BUDGET_EXHAUSTED
        else:
            status = Status.SOLVED if values is not None else Status.UNSOLVABLE
        out.append(Outcome(status, values if finished else None, seconds, None))
    return out


def _ortools(domain: Domain, inst: Instance, config: BenchConfig):
    values = baselines.ortools_solve(domain, inst, config.max_seconds)
    return (Status.SOLVED if values is not None else Status.BUDGET_EXHAUSTED), values, None


def _mode_method(mode: Mode) -> Method:
    """A benchmark method that solves with :class:`~hybrid_hrm.bridge.HybridSolver` in ``mode``.

    The loop's modes run as :func:`hybrid_hrm.batch.solve_batch` does, like
    ``symbolic``: the front (propagation and the probe) of a batch in
    compiled calls, only the puzzles still open as Python objects; the
    times are measured the same way (see :func:`_symbolic`).
    """

    def method(domain: Domain, instances: list[Instance], config: BenchConfig) -> list[Outcome]:
        solver = _solver(domain, mode, config)
        if mode.network_alone:
            return [_outcome(r) for r in solver.solve_instances(instances, mode=mode, budget=config.budget)]
        from .batch import solve_batch

        found = solve_batch(instances, domain, config.budget, mode=mode, solver=solver)
        return [_outcome(found.made[i]) if i in found.made else _front_outcome(found, i, inst)
                for i, inst in enumerate(instances)]

    return method


def _front_outcome(found, i: int, instance: Instance) -> Outcome:
    """The outcome of a puzzle the loop's front settled (propagation or the probe): no network, no cycle."""
    status = found.status_of(i)
    answered = status is Status.SOLVED
    values = found.values[i, : instance.num_variables].copy() if answered else None
    nodes = int(found.nodes[i])
    extra = {"cycles": 0, "nosearch_solved": float(answered and nodes == 0), "network_used": 0.0}
    return Outcome(status, values, float(found.seconds[i]), nodes, extra)


#: Solvers built for a run with workers, by (domain, mode, config): each worker loads a model once, not per piece.
_SOLVERS: dict[tuple, object] = {}


def _solver(domain: Domain, mode: Mode, config: BenchConfig):
    """The :class:`~hybrid_hrm.bridge.HybridSolver` of ``mode``: built each run, or once a process with workers."""
    from .bridge import HybridSolver

    key = (domain.name, mode.name, config)
    if config.workers > 1 and key in _SOLVERS:
        return _SOLVERS[key]
    solver = HybridSolver.for_mode(domain, mode, weights=config.weights, device=config.device,
                                   config=config.bridge_config())
    if config.workers > 1:
        _SOLVERS[key] = solver
    return solver


#: The puzzles of the benchmark in progress, for the workers forked while it runs: their pieces then come as
#: slices of it (nothing to pickle), see :func:`puzzles_for_forks`.
_PUZZLES: list[list[Instance]] = []


@contextlib.contextmanager
def puzzles_for_forks(instances: list[Instance]) -> Iterator[None]:
    """While open, workers forked from this process find ``instances`` without being sent them."""
    _PUZZLES.append(instances)
    try:
        yield
    finally:
        _PUZZLES.pop()


def shared_puzzles(instances: list[Instance]) -> bool:
    """Are ``instances`` those a forked worker finds (:func:`puzzles_for_forks`)?"""
    return bool(_PUZZLES) and _PUZZLES[-1] is instances


def run_piece(args: tuple[str, Domain, list[Instance] | slice, BenchConfig]) -> list[Outcome]:
    """One worker's piece of a method's run: ``(method name, domain, instances or a slice of the shared
    puzzles, config)`` -> outcomes."""
    name, domain, piece, config = args
    instances = _PUZZLES[-1][piece] if isinstance(piece, slice) else piece
    return METHODS[name].run(domain, instances, config)


def _outcome(r: SolveResult) -> Outcome:
    nosearch = r.status is Status.SOLVED and r.stats.solved_by.without_search
    extra = {
        "cycles": r.stats.cycles,
        "nosearch_solved": float(nosearch),
        "network_used": float(r.stats.network_calls > 0),
    }
    if r.stats.proposed:
        extra["acceptance"] = r.stats.accepted / r.stats.proposed
    return Outcome(r.status, r.values, r.stats.seconds, r.stats.search_nodes, extra)


@dataclass(frozen=True)
class BenchMethod:
    """A benchmark method and where it applies."""

    run: Method
    #: Why the method cannot run on this domain (``None``: it can).
    why_not: Callable[[Domain, Instance], str | None] = lambda domain, instance: None
    #: Is it one of the baselines (a peer solver, not ours)?
    baseline: bool = False
    #: Does it use ``config.workers`` itself (rather than being run on pieces by the bench's worker processes)?
    own_workers: bool = False


def _needs_all_different(domain: Domain, instance: Instance) -> str | None:
    return None if baselines.applies_to(domain, instance) else (
        f"baselines need an all-different domain; {domain.name!r} is not one"
    )


def _needs_ortools(domain: Domain, instance: Instance) -> str | None:
    if not baselines.ortools_available():
        return "OR-Tools is not installed: pip install 'hybrid-hrm[bench]'"
    return _needs_all_different(domain, instance)


def _needs_sat(domain: Domain, instance: Instance) -> str | None:
    if not baselines.sat_available():
        return "python-sat is not installed: pip install 'hybrid-hrm[bench]'"
    return _needs_all_different(domain, instance)


#: Every method by name: the symbolic layer, the baselines, and the solver in each mode that has a loop or a network.
METHODS: dict[str, BenchMethod] = {
    "symbolic": BenchMethod(_symbolic, own_workers=True),
    "python-constraint": BenchMethod(_python_constraint, _needs_all_different, baseline=True),
    "ortools": BenchMethod(_timed_each(_ortools), _needs_ortools, baseline=True),
    "sat": BenchMethod(_timed_each(_sat), _needs_sat, baseline=True),
    **{name: BenchMethod(_mode_method(mode)) for name, mode in MODES.items() if mode.guide is not Guide.NONE},
}


def default_methods(domain: Domain, instance: Instance) -> list[str]:
    """What ``bench DOMAIN`` runs when no methods are named: the symbolic layer and the python-constraint
    baseline where it applies (the loop's modes need ``--methods``: they are the subject, not the default)."""
    baseline_applies = METHODS["python-constraint"].why_not(domain, instance) is None
    return ["symbolic"] + (["python-constraint"] if baseline_applies else [])

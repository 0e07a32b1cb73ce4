"""The hybrid solver: the loop of :mod:`hybrid_hrm.loop`, its ablations, and what surrounds them.

:class:`HybridSolver` solves batches of one domain in a :class:`~hybrid_hrm.modes.Mode`:
the network alone, the symbolic layer alone, or the loop (H proposes
subgoals, the symbolic layer verifies and prunes, L refines) guided by the
network or by uniform choices, with or without a complete search after it.
When the loop does not finish, the search (``Domain.search``) goes on from
the loop's root candidates, with the policy's orders (the network's
probabilities as value order, its confidence breaking fewest-candidates
ties), within budget.  No answer is returned unless the domain's verifier
passed it.

Examples
--------
>>> solver = HybridSolver("sudoku")              # no model: symbolic and uniform modes
>>> r = solver.solve(".13." "...." "3..4" "....", mode="hybrid-uniform")
>>> r.status.value, r.solution
('solved', '4132234132141423')
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

import domains
from domains.base import Domain, Instance
from solvers.base import Budget
from solvers.errors import CheckpointError, ConfigError, InvalidPuzzleError, Status

from .front import start_runs
from .loop import HybridLoop, Run, root_candidates
from .modes import MODES, Guide, Mode, get_mode
from .neural import network_alone
from .policy import Policy, UniformPolicy
from .result import SolveResult, unsolved_result, verified_result
from .symbolic import solve_symbolic
from .wide import fold, widen


@dataclass(frozen=True)
class BridgeConfig:
    """Knobs of the loop (budgets per puzzle come with each ``solve`` call)."""

    #: Defaults tuned on validation puzzles (forum_hardest:train, never trained on): 2 cycles,
    #: and the probe below.
    max_cycles: int = 2
    subgoals_per_cycle: int = 4
    #: Proposals below this proposal-head confidence are dropped. 0 (the default)
    #: proposes a fixed budget per cycle: verification and backtracking make a
    #: wrong subgoal cheap, while a threshold starved the loop of subgoals on
    #: domains where the head is rarely sure (9-queens: no-search solve rate
    #: 0.12 at 0.5 against 0.99 at 0).
    min_confidence: float = 0.0
    q_halt: bool = True
    batch_size: int = 256
    seed: int = 0
    #: Nodes of plain search tried before the network (0: none). On a CPU one forward pass
    #: costs as much as hundreds of compiled search nodes, so puzzles a short search settles
    #: should not pay for it. The default is the smallest probe that keeps the median time within
    #: 2x the symbolic layer's on 300 validation puzzles (2026-12-01): 32 and 64 nodes gave 21x
    #: (86% and 72% of the puzzles reached the network), 128 gave 1.08x (44% reached it).
    probe_nodes: int = 128
    #: Trajectories per puzzle, side by side in one network batch; the verifier picks
    #: (:mod:`hybrid_hrm.breadth`).  1: the plain loop.  The settings below diversify
    #: trajectories 1.. (trajectory 0 is always the plain loop on the puzzle itself).
    breadth: int = 1
    #: Trajectories run on random symmetric views of the puzzle (undone on the output).
    views: bool = True
    #: Trajectories 0 .. top_trajectories-1 take the network's top subgoals (each on its own
    #: view); the others sample (``temperature``) or choose uniformly (``uniform_share``).
    top_trajectories: int = 1
    #: Sample subgoals from the network's distribution at this temperature (0: the top ones).
    temperature: float = 0.0
    #: Share of the trajectories past ``top_trajectories`` with uniform choices (a portfolio).
    uniform_share: float = 0.0
    #: Gaussian noise (times the state's scale) on the recurrent state of the exploring trajectories.
    state_noise: float = 0.0
    #: A refutation proven at one trajectory's root is applied to all of them.
    share_refutations: bool = True

    def __post_init__(self) -> None:
        for name in ("views", "share_refutations", "q_halt"):
            value = getattr(self, name)
            if value not in (0, 1) or isinstance(value, float):
                raise ConfigError(f"BridgeConfig.{name} must be true or false (1 or 0), got {value!r}")
            object.__setattr__(self, name, bool(value))
        if not isinstance(self.top_trajectories, int) or not 1 <= self.top_trajectories <= 1024:
            raise ConfigError(f"top_trajectories must be a whole number from 1 to 1024, got {self.top_trajectories!r}")
        if not isinstance(self.breadth, int) or isinstance(self.breadth, bool) or not 1 <= self.breadth <= 1024:
            raise ConfigError(f"BridgeConfig.breadth must be a whole number from 1 to 1024, got {self.breadth!r}")
        if not isinstance(self.temperature, (int, float)) or not 0.0 <= self.temperature <= 100.0:
            raise ConfigError(f"temperature must be in [0, 100], got {self.temperature!r}")
        if not isinstance(self.state_noise, (int, float)) or not 0.0 <= self.state_noise <= 100.0:
            raise ConfigError(f"state_noise must be in [0, 100], got {self.state_noise!r}")
        if not isinstance(self.uniform_share, (int, float)) or not 0.0 <= self.uniform_share <= 1.0:
            raise ConfigError(f"uniform_share must be in [0, 1], got {self.uniform_share!r}")
        for name in ("max_cycles", "subgoals_per_cycle", "batch_size", "probe_nodes"):
            value = getattr(self, name)
            if (
                not isinstance(value, int)
                or isinstance(value, bool)
                or value < 0
                or (name == "batch_size" and value < 1)
            ):
                raise ConfigError(
                    f"BridgeConfig.{name} must be a whole number >= {int(name == 'batch_size')}, got {value!r}"
                )
        if not isinstance(self.min_confidence, (int, float)) or not (0.0 <= self.min_confidence <= 1.0):
            raise ConfigError(f"min_confidence must be in [0, 1], got {self.min_confidence!r}")


class HybridSolver:
    """Solve puzzles of one domain with the hybrid loop (or its ablations).

    Parameters
    ----------
    domain:
        A registered domain name or a :class:`~domains.base.Domain`.
    model:
        A trained :class:`~hybrid_hrm.model.HRM` (or a list of them, one per
        instance shape, e.g. 4x4 and 9x9 Sudoku), or ``None`` (then only the
        modes without a network are available: ``symbolic``, ``hybrid-uniform*``).
    config:
        :class:`BridgeConfig`.
    device:
        ``"auto"`` (CUDA when present, else CPU), ``"cpu"``, ``"cuda:1"``...
    """

    def __init__(
        self, domain: str | Domain = "sudoku", model=None, config: BridgeConfig | None = None, device: str = "auto"
    ) -> None:
        self.domain = domains.get(domain) if isinstance(domain, str) else domain
        self.config = config or BridgeConfig()
        self.loop = HybridLoop(self.domain, self.config)
        models = [] if model is None else list(model) if isinstance(model, (list, tuple)) else [model]
        # A size-free model (config.size_free: the maze reasoner) serves every square grid with its values.
        free = [m for m in models if m.config.size_free]
        self.any_size = {m.config.num_values: m for m in free}
        self.models = {(m.config.num_variables, m.config.num_values): m for m in models if m not in free}
        self.model = models[0] if models else None
        self._policies: dict[tuple[int, int], Policy] = {}
        self._any_size_policies: dict[int, Policy] = {}
        if models:
            from .model import resolve_device
            from .policy import NetworkPolicy

            dev = resolve_device(device)
            self._policies = {shape: NetworkPolicy(m, dev) for shape, m in self.models.items()}
            self._any_size_policies = {k: NetworkPolicy(m, dev) for k, m in self.any_size.items()}

    # -------------------------------------------------------------- loading
    @classmethod
    def from_pretrained(
        cls, name: str = "sudoku", *, device: str = "auto", config: BridgeConfig | None = None
    ) -> "HybridSolver":
        """A solver with the model shipped inside the package (no network access).

        >>> HybridSolver.from_pretrained("no-such-model")
        Traceback (most recent call last):
        ...
        solvers.errors.CheckpointError: no pretrained model 'no-such-model'; shipped: ...
        """
        from .checkpoint import load_model
        from .model import resolve_device
        from .weights import shipped_for, shipped_weights

        paths = shipped_for(name)
        if not paths:
            raise CheckpointError(
                f"no pretrained model {name!r}; shipped: {', '.join(sorted(shipped_weights())) or 'none'}"
            )
        dev = resolve_device(device)
        models = [load_model(p, device=dev)[0] for p in paths]
        return cls(models[0].config.domain or name, models, config, device)

    @classmethod
    def load(
        cls, domain: str | None, weights: str | None = None, *, device: str = "auto", config: BridgeConfig | None = None
    ) -> "HybridSolver":
        """A solver from a checkpoint path (a run directory or ``.safetensors``), or the shipped one."""
        from .checkpoint import load_model
        from .model import resolve_device

        if weights is None:
            if domain is None:
                raise CheckpointError("give a domain or a weights path")
            return cls.from_pretrained(domain, device=device, config=config)
        model, _meta = load_model(Path(weights), device=resolve_device(device), domain=domain)
        return cls(domain or model.config.domain, model, config, device)

    @classmethod
    def for_mode(
        cls,
        domain: str | Domain,
        mode: str | Mode,
        *,
        weights: str | None = None,
        device: str = "auto",
        config: BridgeConfig | None = None,
    ) -> "HybridSolver":
        """The one factory of a solver for a mode: a model is loaded only when the mode runs one.

        ``weights`` (a checkpoint) or, when ``None``, the shipped model of the domain.

        >>> HybridSolver.for_mode("sudoku", "symbolic").model is None
        True
        """
        if not get_mode(mode).needs_model:
            return cls(domain, None, config, device)
        name = domain if isinstance(domain, str) else domain.name
        return cls.load(name, weights, device=device, config=config)

    def has_model_for(self, instance: Instance) -> bool:
        """Is there a model for this instance's shape (its variables x values)?

        >>> HybridSolver("sudoku").has_model_for(domains.get("sudoku").parse("1..." "..2." ".3.." "...4"))
        False
        """
        square = len(instance.shape) == 2 and instance.shape[0] == instance.shape[1]  # what a size-free one reads
        return (instance.num_variables, instance.num_values) in self.models or (
            square and instance.num_values in self.any_size
        )

    # --------------------------------------------------------------- solving
    def solve(
        self,
        puzzles: str | Instance | Sequence[str | Instance],
        mode: str | Mode = "hybrid",
        budget: Budget | None = None,
        unique: bool = False,
    ) -> SolveResult | list[SolveResult]:
        """Solve one puzzle (text or instance) or a list of them (one result each)."""
        single = isinstance(puzzles, (str, bytes, Instance))
        if not single and not isinstance(puzzles, Iterable):
            raise InvalidPuzzleError(
                f"expected a puzzle (text or Instance) or a list of them, got {type(puzzles).__name__}"
            )
        items = [puzzles] if single else list(puzzles)
        instances = [p if isinstance(p, Instance) else self.domain.parse(p) for p in items]
        results = self.solve_instances(instances, mode=mode, budget=budget, unique=unique)
        return results[0] if single else results

    def solve_instances(
        self, instances: list[Instance], mode: str | Mode = "hybrid", budget: Budget | None = None, unique: bool = False
    ) -> list[SolveResult]:
        """Solve parsed instances in ``mode`` (batched per shape); one result each, in input order."""
        mode = get_mode(mode)
        budget = budget or Budget()
        if mode.guide is Guide.NONE:
            return [solve_symbolic(self.domain, inst, budget, unique=unique) for inst in instances]
        # One batch per shape (a model serves one shape), results back in input order.
        by_shape: dict[tuple[int, int], list[int]] = {}
        for i, inst in enumerate(instances):
            by_shape.setdefault((inst.num_variables, inst.num_values), []).append(i)
        out: list[SolveResult | None] = [None] * len(instances)
        for shape, index in by_shape.items():
            policy = self.policy_for(mode, shape, index[0])
            for start in range(0, len(index), self.config.batch_size):
                part = index[start : start + self.config.batch_size]
                chunk = [instances[i] for i in part]
                if mode.network_alone:
                    solved = network_alone(self.domain, chunk, policy, budget, self.config.max_cycles)
                else:
                    solved = self._hybrid(chunk, policy, budget, unique, mode)
                for i, r in zip(part, solved):
                    out[i] = r
        return out  # type: ignore[return-value]

    def policy_for(self, mode: Mode, shape: tuple[int, int], first: int = 0) -> Policy:
        """The policy of ``mode`` for instances of ``shape`` (variables, values).

        ``first``: the position of one such instance, for the error message."""
        if mode.guide is Guide.UNIFORM:
            return UniformPolicy(self.config.seed)
        if not self._policies and not self._any_size_policies:
            raise ConfigError(f"mode {mode.name!r} needs a model: use HybridSolver.from_pretrained(...) or load(...)")
        if shape not in self._policies and shape[1] in self._any_size_policies:
            return self._any_size_policies[shape[1]]
        if shape not in self._policies:
            have = ", ".join(f"{v} variables x {k} values" for v, k in self._policies)
            raise InvalidPuzzleError(
                f"no model for puzzles of {shape[0]} variables x {shape[1]} values (the models were trained on "
                f"{have}); use mode 'symbolic' or 'hybrid-uniform', or train one",
                position=first,
            )
        return self._policies[shape]

    # ---------------------------------------------------------------- neural
    # ---------------------------------------------------------------- hybrid
    def _hybrid(self, instances, policy: Policy, budget: Budget, unique: bool, mode: Mode) -> list[SolveResult]:
        """Start a batch (batched by :func:`~hybrid_hrm.front.start_runs`), loop over it, finish each instance."""
        runs = start_runs(self.loop, instances, budget, probe=mode.search and self.config.probe_nodes > 0)
        return self.continue_runs(runs, policy, budget, unique, mode)

    def continue_runs(self, runs: list[Run], policy: Policy, budget: Budget, unique: bool, mode: Mode
                      ) -> list[SolveResult]:
        """The loop on the started runs still open, then each run's result; ``stats.seconds`` is the
        instance's own start and finish time plus an equal share of the batched loop."""
        active = [r for r in runs if r.status is None]
        in_loop = {id(r) for r in active}
        loop_start = time.perf_counter()
        if self.config.breadth > 1:
            trajectories, loop_policy = widen(self.loop, active, policy, self.config)
            self.loop.cycles(trajectories, loop_policy, budget)
            for run in active:
                fold(self.loop, run)
        else:
            self.loop.cycles(active, policy, budget)
        loop_share = (time.perf_counter() - loop_start) / max(len(active), 1)
        results = []
        for run in runs:
            if id(run) in in_loop:
                run.stats.seconds += loop_share
            before, start = run.stats.seconds, time.perf_counter()
            result = self._finish(run, budget, unique, mode, policy)
            result.stats.seconds = before + time.perf_counter() - start  # the whole finish, search included
            results.append(result)
        return results

    def _finish(self, run: Run, budget: Budget, unique: bool, mode: Mode, policy: Policy) -> SolveResult:
        """The run's result: its verified answer, or the search from its root candidates."""
        d, inst = self.domain, run.instance
        if run.status is Status.SOLVED and not unique:
            return verified_result(d, inst, run.values, mode=mode.name, trace=run.trace, stats=run.stats)
        if run.status is Status.UNSOLVABLE:
            return unsolved_result(
                d, inst, Status.UNSOLVABLE, mode=mode.name, reason=run.reason, trace=run.trace, stats=run.stats
            )
        if run.halted:
            run.trace.halt_reason = run.halted
        if not mode.search and run.status is None:
            reason = f"the loop did not finish ({run.halted}); no search in this mode"
            return unsolved_result(
                d, inst, Status.BUDGET_EXHAUSTED, mode=mode.name, trace=run.trace, stats=run.stats, reason=reason
            )
        remaining = None if budget.max_nodes is None else max(budget.max_nodes - run.stats.search_nodes, 0)
        sub_budget = Budget(max_nodes=remaining, max_seconds=budget.max_seconds)
        variable_order, value_order = (None, None) if run.probs is None else policy.search_orders(run.probs)
        return solve_symbolic(
            d,
            inst,
            sub_budget,
            unique=unique,
            variable_order=variable_order,
            value_order=value_order,
            mode=mode.name,
            trace=run.trace,
            stats=run.stats,
            candidates=root_candidates(run),
            guide=policy.guide if run.probs is not None else Guide.NONE,
            probs=run.probs,
        )


def solve(
    puzzles,
    domain: str = "sudoku",
    mode: str | Mode = "hybrid",
    budget: Budget | None = None,
    unique: bool = False,
    device: str = "auto",
):
    """One-call solving: ``hybrid_hrm.solve(text)`` (the shipped model when the mode needs one)."""
    solver = HybridSolver.for_mode(domain, mode, device=device)
    return solver.solve(puzzles, mode=mode, budget=budget, unique=unique)


__all__ = ["MODES", "BridgeConfig", "HybridSolver", "solve"]

"""The hybrid loop: H proposes subgoals, the symbolic layer verifies and prunes, L refines.

One bridge *cycle* is one segment of the HRM (its L steps and H steps) on
the current candidate arrays of a batch of instances:

1. the proposal head's most confident undecided variables, with their best
   values, are the **subgoals** (at most ``subgoals_per_cycle``, each above
   ``min_confidence``);
2. the symbolic layer **verifies** each: a value no longer among its
   variable's candidates is rejected with the violated constraint as the
   reason (a layer may add its own check, ``check_subgoal(masks, v, k)``,
   returning a reason); an accepted one is committed and **propagated**;
3. a commit that leads to a contradiction is **backed out** and its value
   marked refuted (chronological backtracking over the commits, so every
   refutation is sound relative to the commits still standing);
4. the new candidates go back to the network, whose L-module **refines**
   under them in the next cycle.

An instance halts as soon as the verifier passes a complete assignment, or
when propagation proves it unsolvable, or when the Q-head or the cycle
budget says so.  Then a complete search (``solvers.search``) finishes the
job from the root candidates, with the network's probabilities as value
order and its confidence breaking fewest-candidates ties, within budget.
No answer is returned unless the domain's verifier passed it.

Examples
--------
>>> solver = HybridSolver("sudoku")              # no model: symbolic and uniform modes
>>> r = solver.solve(".13." "...." "3..4" "....", mode="hybrid-uniform")
>>> r.status.value, r.solution
('solved', '4132234132141423')
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np

import domains
from domains.base import Domain, Instance
from solvers.base import Budget, masks_to_candidates
from solvers.errors import CheckpointError, ConfigError, InvalidPuzzleError, Status

from .result import SolveResult, SolveStats, unsolved_result, verified_result
from .symbolic import new_trace, solve_symbolic
from .trace import CycleRecord, Trace

MODES = ("hybrid", "hybrid-nosearch", "hybrid-uniform", "hybrid-uniform-nosearch", "neural", "symbolic")
#: The modes that run a trained network (the others need none).
MODEL_MODES = ("hybrid", "hybrid-nosearch", "neural")


@dataclass(frozen=True)
class BridgeConfig:
    """Knobs of the loop (budgets per puzzle come with each ``solve`` call)."""

    #: Defaults tuned on 200 validation puzzles (forum_hardest:train, never trained on):
    #: 2 cycles and a 32-node probe keep the median time within 1.5x of the symbolic layer.
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
    #: Nodes of plain search tried before the network (0: none). The network costs
    #: more than a guess on a CPU, so puzzles a short search settles never pay for it.
    probe_nodes: int = 32

    def __post_init__(self) -> None:
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


@dataclass(eq=False)
class _Run:
    """Loop state of one instance."""

    instance: Instance
    masks: list[int]
    root: list[int]
    trace: Trace
    stats: SolveStats
    trail: list[tuple[list[int], int, int]] = field(default_factory=list)
    status: Status | None = None
    values: np.ndarray | None = None
    reason: str = ""
    halted: str = ""
    probs: np.ndarray | None = None
    last_pred: np.ndarray | None = None
    layer: Any = None          # the instance's own symbolic layer (structure may differ per instance)


class HybridSolver:
    """Solve puzzles of one domain with the hybrid loop (or its ablations).

    Parameters
    ----------
    domain:
        A registered domain name or a :class:`~domains.base.Domain`.
    model:
        A trained :class:`~hybrid_hrm.model.HRM` (or a list of them, one per
        instance shape, e.g. 4x4 and 9x9 Sudoku), or ``None`` (then only the
        ``symbolic`` and ``hybrid-uniform*`` modes are available).
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
        models = [] if model is None else list(model) if isinstance(model, (list, tuple)) else [model]
        self.models = {(m.config.num_variables, m.config.num_values): m for m in models}
        self.model = models[0] if models else None
        self._policies = {}
        self.device_name = device
        if models:
            from .model import resolve_device
            from .policy import NetworkPolicy

            dev = resolve_device(device)
            self._policies = {shape: NetworkPolicy(m, dev) for shape, m in self.models.items()}

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
        from .weights import shipped_for

        paths = shipped_for(name)
        if not paths:
            from .weights import shipped_weights

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

    def has_model_for(self, instance: Instance) -> bool:
        """Is there a model for this instance's shape (its variables x values)?

        >>> HybridSolver("sudoku").has_model_for(domains.get("sudoku").parse("1..." "..2." ".3.." "...4"))
        False
        """
        return (instance.num_variables, instance.num_values) in self.models

    # --------------------------------------------------------------- solving
    def solve(
        self,
        puzzles: str | Instance | Sequence[str | Instance],
        mode: str = "hybrid",
        budget: Budget | None = None,
        unique: bool = False,
    ) -> SolveResult | list[SolveResult]:
        """Solve one puzzle (text or instance) or a list of them (one result each)."""
        single = isinstance(puzzles, (str, bytes, Instance))
        items = [puzzles] if single else list(puzzles)
        instances = [p if isinstance(p, Instance) else self.domain.parse(p) for p in items]
        results = self.solve_instances(instances, mode=mode, budget=budget, unique=unique)
        return results[0] if single else results

    def solve_instances(
        self, instances: list[Instance], mode: str = "hybrid", budget: Budget | None = None, unique: bool = False
    ) -> list[SolveResult]:
        if mode not in MODES:
            raise ConfigError(f"unknown mode {mode!r}; choose from {', '.join(MODES)}")
        budget = budget or Budget()
        if mode == "symbolic":
            return [solve_symbolic(self.domain, inst, budget, unique=unique) for inst in instances]
        # One batch per shape (a model serves one shape), results back in input order.
        by_shape: dict[tuple[int, int], list[int]] = {}
        for i, inst in enumerate(instances):
            by_shape.setdefault((inst.num_variables, inst.num_values), []).append(i)
        out: list[SolveResult | None] = [None] * len(instances)
        for shape, index in by_shape.items():
            policy = self._policy_for(mode, shape, index[0])
            for start in range(0, len(index), self.config.batch_size):
                part = index[start : start + self.config.batch_size]
                chunk = [instances[i] for i in part]
                if mode == "neural":
                    solved = self._neural(chunk, policy)
                else:
                    solved = self._hybrid(
                        chunk, policy, budget, unique, search=not mode.endswith("nosearch"), mode=mode
                    )
                for i, r in zip(part, solved):
                    out[i] = r
        return out  # type: ignore[return-value]

    def _policy_for(self, mode: str, shape: tuple[int, int], first: int):
        if "uniform" in mode:
            from .policy import UniformPolicy

            return UniformPolicy(self.config.seed)
        if not self._policies:
            raise ConfigError(f"mode {mode!r} needs a model: use HybridSolver.from_pretrained(...) or load(...)")
        if shape not in self._policies:
            have = ", ".join(f"{v} variables x {k} values" for v, k in self._policies)
            raise InvalidPuzzleError(
                f"no model for puzzles of {shape[0]} variables x {shape[1]} values (the models were trained on "
                f"{have}); use mode 'symbolic' or 'hybrid-uniform', or train one",
                position=first,
            )
        return self._policies[shape]

    # ---------------------------------------------------------------- neural
    def _neural(self, instances: list[Instance], policy) -> list[SolveResult]:
        """The network alone: segments on the givens, no symbolic layer, then verify."""
        start = time.perf_counter()
        tokens = self.domain.encode_batch(np.stack([i.givens for i in instances]))
        cand = np.stack([i.candidates for i in instances])
        state = None
        # A model that restarts every segment (carry_state=False) answers the same each time: once is enough.
        segments = max(1, self.config.max_cycles) if policy.carries_state else 1
        for _ in range(segments):
            step = policy.step(tokens, cand, state)
            state = step.state
        share = (time.perf_counter() - start) / len(instances)
        results = []
        for inst, probs in zip(instances, step.probs):
            stats = SolveStats(cycles=segments, network_calls=segments, seconds=share)
            values = probs.argmax(-1)
            verdict = self.domain.verify(inst, values)
            if verdict.valid:
                stats.solved_by = "network"
                results.append(verified_result(self.domain, inst, values, mode="neural", stats=stats))
            else:
                reason = f"the network's answer failed the verifier: {verdict.reason() or 'incomplete'}"
                results.append(
                    unsolved_result(
                        self.domain, inst, Status.BUDGET_EXHAUSTED, mode="neural", reason=reason[:300], stats=stats
                    )
                )
        return results

    # ---------------------------------------------------------------- hybrid
    def _hybrid(self, instances, policy, budget: Budget, unique: bool, search: bool, mode: str) -> list[SolveResult]:
        """Loop over a batch, then finish each instance; ``stats.seconds`` is the
        instance's own start and finish time plus an equal share of the batched loop."""
        runs = []
        for inst in instances:
            start = time.perf_counter()
            run = self._start(inst, self.domain.layer(inst))
            if run.status is None and search and self.config.probe_nodes:
                self._probe(run, budget)
            run.stats.seconds = time.perf_counter() - start
            runs.append(run)
        active = [r for r in runs if r.status is None]
        in_loop = {id(r) for r in active}
        loop_start = time.perf_counter()
        self._loop(active, policy, budget)
        loop_share = (time.perf_counter() - loop_start) / max(len(active), 1)
        results = []
        for run in runs:
            if id(run) in in_loop:
                run.stats.seconds += loop_share
            start = time.perf_counter()
            result = self._finish(run, budget, unique, search, mode, policy)
            if result.trace is None or result.trace.search is None:  # solve_symbolic adds its own time
                result.stats.seconds += time.perf_counter() - start
            results.append(result)
        return results

    def _start(self, inst: Instance, layer) -> _Run:
        trace = new_trace(self.domain, inst)
        stats = SolveStats()
        masks = layer.masks(inst.candidates)
        run = _Run(inst, masks, masks, trace, stats, layer=layer)
        givens = self.domain.verify(inst, inst.givens)
        if not givens.consistent:
            run.status, run.reason = Status.UNSOLVABLE, f"contradictory givens: {givens.violations[0].reason}"
        elif not layer.propagate(run.masks):
            run.status, run.reason = Status.UNSOLVABLE, "propagation of the givens reached a contradiction"
        else:
            run.root = list(run.masks)
            self._check_complete(run)
            if run.status is Status.SOLVED:
                stats.solved_by = "propagation"
        if run.status is not None:
            trace.halt_reason = run.reason or "solved by propagation"
        return run

    def _probe(self, run: _Run, budget: Budget) -> None:
        """A short plain search before the network; settles the easy puzzles."""
        layer = run.layer
        from solvers.search import search as plain_search

        limit = self.config.probe_nodes
        if budget.max_nodes is not None:
            limit = min(limit, budget.max_nodes)
        result = plain_search(layer, run.root, Budget(max_nodes=limit, max_seconds=budget.max_seconds))
        run.stats.search_nodes += result.nodes
        if result.status is Status.SOLVED:
            run.status, run.values = Status.SOLVED, np.array(result.values)
            run.stats.solved_by = "search"
            run.trace.halt_reason = f"solved by a {result.nodes}-node search before the network was needed"
        elif result.status is Status.UNSOLVABLE:
            run.status, run.reason = Status.UNSOLVABLE, "no solution: a short search exhausted every candidate"
            run.trace.halt_reason = run.reason

    def _check_complete(self, run: _Run) -> None:
        if all(m and not m & (m - 1) for m in run.masks):
            values = np.array([m.bit_length() - 1 for m in run.masks])
            if self.domain.verify(run.instance, values).valid:
                run.status, run.values = Status.SOLVED, values

    def _loop(self, active: list[_Run], policy, budget: Budget) -> None:
        if not active:
            return
        K = active[0].instance.num_values
        deadline = None if budget.max_seconds is None else time.perf_counter() + budget.max_seconds
        tokens_all = self.domain.encode_batch(np.stack([r.instance.givens for r in active]))
        index = np.arange(len(active))
        state = None
        for cycle in range(1, self.config.max_cycles + 1):
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
                self._cycle(run, step.probs[j], step.confidence[j], cycle, budget)
                if run.status is None and self.config.q_halt and step.halt[j]:
                    run.halted = f"Q-head halted after cycle {cycle}"
                if run.status is None and not run.halted:
                    keep.append(j)
            index = index[keep]
            state = policy.select(step.state, np.array(keep, dtype=np.int64))
        for run in active:
            if run.status is None and not run.halted:
                run.halted = f"cycle budget ({self.config.max_cycles}) spent"

    def _cycle(self, run: _Run, probs: np.ndarray, confidence: np.ndarray, cycle: int, budget: Budget) -> None:
        layer = run.layer
        before = sum(m.bit_count() for m in run.masks)
        pred = probs.argmax(-1)
        undecided = np.array([bool(m & (m - 1)) for m in run.masks])
        changed = 0 if run.last_pred is None else int(((pred != run.last_pred) & undecided).sum())
        run.last_pred = pred
        order = np.flatnonzero(undecided)
        order = order[np.argsort(-confidence[order], kind="stable")]
        proposals = [
            (int(v), int(pred[v]), float(confidence[v]))
            for v in order[: self.config.subgoals_per_cycle]
            if confidence[v] >= self.config.min_confidence
        ]
        accepted, rejected, backed = [], [], []
        for v, k, _conf in proposals:
            mask = run.masks[v]
            if not mask >> k & 1:
                rejected.append((v, k, self._reject_reason(run, v, k)))
                continue
            # A layer may check subgoals beyond candidates (e.g. waypoints off every shortest path).
            check = getattr(layer, "check_subgoal", None)
            why = check(run.masks, v, k) if check is not None else None
            if why:
                rejected.append((v, k, why))
                continue
            if mask == 1 << k:
                continue  # already implied by an earlier commit's propagation
            if budget.max_nodes is not None and run.stats.search_nodes >= budget.max_nodes:
                break
            run.stats.search_nodes += 1
            run.trail.append((list(run.masks), v, k))
            run.masks[v] = 1 << k
            if layer.propagate(run.masks, (v,)):
                accepted.append((v, k))
            else:
                backed += self._backtrack(run)
                if run.status is not None:
                    break
        run.stats.proposed += len(proposals)
        run.stats.accepted += len(accepted)
        run.stats.rejected += len(rejected)
        run.stats.backed_out += len(backed)
        if run.status is None:
            self._check_complete(run)
        after = sum(m.bit_count() for m in run.masks)
        run.trace.cycles.append(
            CycleRecord(
                cycle=cycle,
                proposed=proposals,
                accepted=accepted,
                rejected=rejected,
                pruned=max(before - after, 0),
                changed_by_l=changed,
                decided=sum(1 for m in run.masks if m and not m & (m - 1)),
                backed_out=backed,
                candidate_counts=[m.bit_count() for m in run.masks],
            )
        )
        if run.status is Status.SOLVED:
            run.stats.solved_by = "loop"
            run.trace.halt_reason = f"verified complete and valid after cycle {cycle}"

    def _reject_reason(self, run: _Run, v: int, k: int) -> str:
        """Why ``v=k`` is not allowed: the violated constraint, or propagation."""
        layer = run.layer
        values = np.array([m.bit_length() - 1 if m and not m & (m - 1) else -1 for m in run.masks])
        values[v] = k
        explain = getattr(layer, "explain_conflict", None)
        reason = explain(values, v) if explain is not None else None
        if reason:
            return reason
        verdict = layer.verify(values, run.instance.candidates)
        for violation in verdict.violations:
            if v in violation.variables:
                return violation.reason
        allowed = ", ".join(layer.value_names[x] for x in range(layer.num_values) if run.masks[v] >> x & 1)
        return f"{layer.variable_names[v]}={layer.value_names[k]} was removed by propagation (candidates: {allowed})"

    def _backtrack(self, run: _Run) -> list[tuple[int, int]]:
        """Undo commits until the refuted value leaves a consistent state."""
        layer = run.layer
        backed = []
        while run.trail:
            masks, v, k = run.trail.pop()
            backed.append((v, k))
            masks[v] &= ~(1 << k)  # refuted under the commits still standing
            if masks[v] and layer.propagate(masks, None):
                run.masks = masks
                if not run.trail:
                    run.root = list(masks)  # a proven refutation at the root
                return backed
        run.status = Status.UNSOLVABLE
        run.reason = "every value was refuted: no solution"
        run.trace.halt_reason = run.reason
        return backed

    def _finish(self, run: _Run, budget: Budget, unique: bool, search: bool, mode: str, policy) -> SolveResult:
        d, inst = self.domain, run.instance
        if run.status is Status.SOLVED and not unique:
            return verified_result(d, inst, run.values, mode=mode, trace=run.trace, stats=run.stats)
        if run.status is Status.UNSOLVABLE:
            return unsolved_result(
                d, inst, Status.UNSOLVABLE, mode=mode, reason=run.reason, trace=run.trace, stats=run.stats
            )
        if run.halted:
            run.trace.halt_reason = run.halted
        if not search and run.status is None:
            return unsolved_result(
                d,
                inst,
                Status.BUDGET_EXHAUSTED,
                mode=mode,
                trace=run.trace,
                stats=run.stats,
                reason=f"the loop did not finish ({run.halted}); no search in this mode",
            )
        remaining = None if budget.max_nodes is None else max(budget.max_nodes - run.stats.search_nodes, 0)
        sub_budget = Budget(max_nodes=remaining, max_seconds=budget.max_seconds)
        variable_order, value_order = _orders(run.probs, policy, self.config.seed)
        return solve_symbolic(
            d,
            inst,
            sub_budget,
            unique=unique,
            variable_order=variable_order,
            value_order=value_order,
            mode=mode,
            trace=run.trace,
            stats=run.stats,
            candidates=masks_to_candidates(run.root, inst.num_values),
            guide=getattr(policy, "name", "network") if run.probs is not None else "fewest candidates",
            probs=run.probs,
        )


def _orders(probs: np.ndarray | None, policy, seed: int):
    """Search orders from the policy's last probabilities (``None``: the defaults)."""
    if probs is None:
        return None, None
    if getattr(policy, "name", "") == "uniform":
        rng = np.random.default_rng(seed)
        probs = probs * rng.random(probs.shape)  # uniform random order among candidates
    top = probs.max(-1).tolist()
    ranked = np.argsort(-probs, axis=-1, kind="stable").tolist()

    def variable_order(masks: list[int]) -> int:
        best, best_count, best_score = -1, 1 << 30, -1.0
        for v, m in enumerate(masks):
            if m & (m - 1):
                c = m.bit_count()
                if c < best_count or (c == best_count and top[v] > best_score):
                    best, best_count, best_score = v, c, top[v]
        return best

    def value_order(var: int, mask: int):
        return [k for k in ranked[var] if mask >> k & 1]

    return variable_order, value_order


def solve(
    puzzles,
    domain: str = "sudoku",
    mode: str = "hybrid",
    budget: Budget | None = None,
    unique: bool = False,
    device: str = "auto",
):
    """One-call solving: ``hybrid_hrm.solve(text)`` (shipped model when the mode needs one)."""
    solver = HybridSolver.from_pretrained(domain, device=device) if mode in MODEL_MODES else HybridSolver(domain)
    return solver.solve(puzzles, mode=mode, budget=budget, unique=unique)


# ------------------------------------------------------------------ benchmark methods
def _bench_method(mode: str):
    from .bench import BenchConfig, Outcome

    def method(domain: Domain, instances: list[Instance], config: BenchConfig) -> list[Outcome]:
        bridge = config.bridge_config()
        if mode in ("hybrid-uniform", "hybrid-uniform-nosearch"):
            solver = HybridSolver(domain, None, bridge)
        else:
            solver = HybridSolver.load(domain.name, config.weights, device=config.device, config=bridge)
        results = solver.solve_instances(instances, mode=mode, budget=config.budget)
        outcomes = []
        for r in results:
            # Solved without the complete search: by propagation, the loop, or the network alone.
            nosearch = r.status is Status.SOLVED and r.stats.solved_by in ("propagation", "loop", "network")
            extra = {"cycles": r.stats.cycles, "nosearch_solved": float(nosearch),
                     "network_used": float(r.stats.network_calls > 0)}
            if r.stats.proposed:
                extra["acceptance"] = r.stats.accepted / r.stats.proposed
            outcomes.append(Outcome(r.status, r.values, r.stats.seconds, r.stats.search_nodes, extra))
        return outcomes

    return method


def _register_bench_methods() -> None:
    from .bench import METHODS

    for mode in ("hybrid", "hybrid-nosearch", "hybrid-uniform", "hybrid-uniform-nosearch", "neural"):
        METHODS.setdefault(mode, _bench_method(mode))


_register_bench_methods()

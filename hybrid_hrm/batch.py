"""The symbolic solver on a whole batch: puzzles in, arrays of statuses, values and nodes out.

:func:`solve_batch` is the fast way to solve many puzzles without the
network: one-line Sudoku texts are parsed as one array
(:mod:`domains.sudoku_lines`), every puzzle of a shape is searched in one
compiled call (:func:`solvers.batch.search_many`), and every answer is
verified in one compiled call too (``verify_batch``) before it is
returned.  Nothing is built per puzzle unless asked: :meth:`BatchResult.results`
makes the :class:`~hybrid_hrm.result.SolveResult` objects (and
:meth:`BatchResult.solutions` the answer texts) on demand.  A domain that
is not all-different is solved one puzzle at a time
(:func:`~hybrid_hrm.symbolic.solve_symbolic`, as ``mode="symbolic"`` does).

``workers=N`` uses ``N`` cores: the symbolic mode on all-different puzzles
runs the compiled search on ``N`` threads of this process (the kernels
release the GIL, so short batches gain too: no process to start, nothing
to pickle); the other modes and domains cut the batch into pieces solved
by ``N`` processes (:mod:`hybrid_hrm.parallel`).  :func:`solve_chunk` is
the piece's function, importable, so that Dask can run it too
(``examples/label_with_dask.py``).

Examples
--------
>>> import hybrid_hrm as hh
>>> found = hh.solve_batch([".13." "...." "3..4" "....", "11.." + "." * 12])
>>> found.status_names(), found.nodes.tolist()
(['solved', 'unsolvable'], [0, 0])
>>> found.solutions()
['4132234132141423', None]
>>> found.results()[1].reason
'contradictory givens: r1c2=1 conflicts with r1c1=1 (row 1)'
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Iterator, Sequence

import numpy as np

import domains as domain_registry
from domains.base import Domain, Instance
from domains.batch import Puzzles, ShapeBatch, group_puzzles
from solvers.base import Budget
from solvers.batch import STATUS_CODE, STATUSES
from solvers.errors import ConfigError, InvalidPuzzleError, Status

from .batch_hybrid import check_mode, solve_shape_in_mode
from .batch_symbolic import compiled_layer, solve_shape
from .modes import Guide, Mode, get_mode
from .parallel import chunks, forks, map_ordered, resolve_workers
from .result import SolvedBy, SolveResult, SolveStats, unsolved_result, verified_result

if TYPE_CHECKING:
    from .bridge import HybridSolver

#: The status code of a puzzle that did not parse (the others index :data:`solvers.batch.STATUSES`).
INVALID = -1


@dataclass
class BatchResult:
    """What :func:`solve_batch` found, one row per puzzle, in input order.

    ``status [B]`` int8: an index of :data:`solvers.batch.STATUSES`
    (0 solved, 1 multiple_solutions, 2 unsolvable, 3 budget_exhausted), or
    :data:`INVALID` (the error is in ``errors``); ``values [B, V]`` the
    verified answer (``-1`` where none; ``V`` the widest puzzle's);
    ``nodes [B]``; ``seconds [B]``: each puzzle's own search time, measured
    inside the compiled loop, plus an equal share of the batch's other work
    (parsing, verifying), so that they add up to the batch's time.
    """

    domain: str
    status: np.ndarray
    values: np.ndarray
    nodes: np.ndarray
    seconds: np.ndarray
    batches: list[ShapeBatch] = field(default_factory=list, repr=False)
    errors: dict[int, InvalidPuzzleError] = field(default_factory=dict, repr=False)
    mode: str = "symbolic"
    solver_domain: Domain | None = field(default=None, repr=False)  # the object, when not the registry's
    #: The results already built, by position: in a loop's mode, those the loop or the search finished.
    made: dict[int, SolveResult] = field(default_factory=dict, repr=False)

    def _domain(self) -> Domain:
        return self.solver_domain or domain_registry.get(self.domain)

    def __len__(self) -> int:
        return int(self.status.size)

    @property
    def solved(self) -> np.ndarray:
        """``[B]``: the status is ``solved``."""
        return self.status == STATUS_CODE[Status.SOLVED]

    def status_of(self, i: int) -> Status | None:
        """Puzzle ``i``'s status (``None``: it did not parse; see ``errors[i]``)."""
        code = int(self.status[i])
        return None if code == INVALID else STATUSES[code]

    def status_names(self) -> list[str]:
        """The statuses as words (``"invalid"`` for a puzzle that did not parse)."""
        return [STATUSES[c].value if c != INVALID else "invalid" for c in self.status.tolist()]

    def counts(self) -> dict[str, int]:
        """How many puzzles had each status."""
        names, counts = np.unique(self.status_names(), return_counts=True)
        return dict(zip(names.tolist(), counts.tolist()))

    def _locate(self, i: int) -> tuple[ShapeBatch, int]:
        for batch in self.batches:
            j = np.searchsorted(batch.index, i)
            if j < len(batch) and batch.index[j] == i:
                return batch, int(j)
        raise IndexError(f"puzzle {i} did not parse: {self.errors.get(i)}")

    def instance(self, i: int) -> Instance:
        """Puzzle ``i`` as an :class:`Instance` (built now)."""
        batch, j = self._locate(i)
        return batch.instance(self._domain(), j)

    def solutions(self) -> list[str | None]:
        """Each answer as the domain writes it, ``None`` where there is none."""
        domain = self._domain()
        answered = self.solved | (self.status == STATUS_CODE[Status.MULTIPLE_SOLUTIONS])
        out: list[str | None] = [None] * len(self)
        for batch in self.batches:
            V = batch.template.num_variables
            rows = np.flatnonzero(answered[batch.index])
            texts = domain.format_many(batch.template, self.values[batch.index[rows], :V])
            for k, j in enumerate(rows.tolist()):
                i = int(batch.index[j])
                out[i] = texts[k] if texts is not None else domain.format(batch.instance(domain, j), self.values[i, :V])
        return out

    def results(self) -> list[SolveResult | InvalidPuzzleError]:
        """A :class:`SolveResult` per puzzle (built now, without traces), the error for one that did not parse."""
        domain = self._domain()
        out: list[SolveResult | InvalidPuzzleError | None] = [None] * len(self)
        for i, error in self.errors.items():
            out[i] = error
        for batch in self.batches:
            for j, i in enumerate(batch.index.tolist()):
                out[i] = self._result(domain, batch.instance(domain, j), i)
        return out  # type: ignore[return-value]

    def result(self, i: int) -> SolveResult:
        """Puzzle ``i``'s :class:`SolveResult` (built now; :class:`IndexError` if it did not parse)."""
        batch, j = self._locate(i)
        return self._result(self._domain(), batch.instance(self._domain(), j), i)

    def _result(self, domain: Domain, instance: Instance, i: int) -> SolveResult:
        if i in self.made:
            return self.made[i]
        status, nodes, seconds = STATUSES[int(self.status[i])], int(self.nodes[i]), float(self.seconds[i])
        stats = SolveStats(search_nodes=nodes, seconds=seconds)
        if status in (Status.SOLVED, Status.MULTIPLE_SOLUTIONS):
            stats.solved_by = SolvedBy.SEARCH if nodes else SolvedBy.PROPAGATION
            reason = "more than one solution; this is one of them" if status is Status.MULTIPLE_SOLUTIONS else ""
            values = self.values[i, : instance.num_variables]
            return verified_result(domain, instance, values, mode=self.mode, status=status, stats=stats, reason=reason)
        if status is Status.UNSOLVABLE:
            verdict = domain.verify(instance, instance.givens)
            reason = (
                "no solution: the search exhausted every candidate"
                if verdict.consistent
                else f"contradictory givens: {verdict.violations[0].reason}"
            )
        else:
            reason = f"budget ran out after {nodes} nodes and {seconds:.2f} s"
        return unsolved_result(domain, instance, status, mode=self.mode, reason=reason, stats=stats)

    @staticmethod
    def concat(parts: Sequence["BatchResult"]) -> "BatchResult":
        """The results of consecutive pieces of one input as one (positions shifted to the whole input's)."""
        if not parts:
            raise ValueError("nothing to join")
        width = max(p.values.shape[1] for p in parts)
        offsets = np.cumsum([0] + [len(p) for p in parts])
        batches, errors, made = [], {}, {}
        for offset, part in zip(offsets.tolist(), parts):
            batches += [replace(b, index=b.index + offset) for b in part.batches]  # arrays as they are
            errors.update({i + offset: e for i, e in part.errors.items()})
            made.update({i + offset: r for i, r in part.made.items()})
        values = np.full((int(offsets[-1]), width), -1, dtype=np.int64)
        for offset, part in zip(offsets.tolist(), parts):
            values[offset : offset + len(part), : part.values.shape[1]] = part.values
        return BatchResult(
            parts[0].domain,
            np.concatenate([p.status for p in parts]),
            values,
            np.concatenate([p.nodes for p in parts]),
            np.concatenate([p.seconds for p in parts]),
            batches,
            errors,
            parts[0].mode,
            parts[0].solver_domain,
            made,
        )


def solve_batch(
    puzzles: Puzzles,
    domain: str | Domain = "sudoku",
    budget: Budget | None = None,
    *,
    mode: str | Mode = "symbolic",
    solver: HybridSolver | None = None,
    unique: bool = False,
    workers: int | None = 1,
    errors: str = "raise",
) -> BatchResult:
    """Solve many puzzles by propagation and complete search (or in a loop's mode), every answer verified.

    ``puzzles``: texts, instances, or a givens array ``[B, V]`` (value
    indices, ``-1`` blank). ``budget``: per puzzle (nodes and seconds).
    ``mode``: ``"symbolic"``, or a mode with the loop (``"hybrid"``,
    ``"hybrid-uniform"``, their ``-nosearch`` forms; :mod:`hybrid_hrm.batch_hybrid`),
    run by ``solver`` (default: :meth:`HybridSolver.for_mode <hybrid_hrm.bridge.HybridSolver.for_mode>`,
    the shipped model where the mode needs one).
    ``unique=True`` tells ``multiple_solutions`` apart. ``workers``: how
    many cores (``0``: every core; ``1``: this process only): in the symbolic
    mode on all-different puzzles, threads of this process running the
    compiled search (it releases the GIL: nothing to start or pickle); else
    worker processes, each on a piece. ``errors="raise"``
    raises the first puzzle that does not parse (saying which);
    ``"keep"`` marks it :data:`INVALID` and solves the rest.

    >>> solve_batch(["1..." * 4, "1" * 16], "sudoku").status_names()
    ['unsolvable', 'unsolvable']
    """
    if errors not in ("raise", "keep"):
        raise ValueError(f"errors must be 'raise' or 'keep', got {errors!r}")
    name = domain if isinstance(domain, str) else domain.name
    mode = get_mode(mode)
    check_mode(mode)
    if mode.guide is not Guide.NONE and solver is None:
        from .bridge import HybridSolver

        solver = HybridSolver.for_mode(domain, mode)
    workers = resolve_workers(workers)
    start = time.perf_counter()
    dom = domain_registry.get(domain) if isinstance(domain, str) else domain
    # The symbolic mode with workers: threads where every shape has the compiled search (the common case);
    # otherwise processes, which parse their pieces again (their solving outweighs it: one puzzle at a time).
    grouped = group_puzzles(dom, puzzles) if workers > 1 and mode.guide is Guide.NONE else None
    if grouped is not None and all(compiled_layer(dom, batch) is not None for batch in grouped[0]):
        found = _solve_grouped(dom, *grouped, len(puzzles), budget, unique, mode, None, workers, start)
    elif workers > 1 and len(puzzles) > 1:
        pieces = chunks(puzzles, 4 * workers, minimum=64)
        with _solver_for_workers(solver) as sent:
            args = [(piece, domain, budget, unique, mode, sent) for piece in pieces]
            found = BatchResult.concat(map_ordered(_solve_args, args, workers))
    else:
        found = solve_chunk(puzzles, domain, budget, unique, mode, solver)
    if errors == "raise" and found.errors:
        i = min(found.errors)
        raise InvalidPuzzleError(f"puzzle {i + 1}: {found.errors[i].reason}", found.errors[i].position)
    found.domain = name
    found.solver_domain = None if isinstance(domain, str) else domain
    return found


#: The solvers with a network of the :func:`solve_batch` calls in progress, for the workers forked while they
#: run (a model's solver does not pickle: the forks find it here by its key).
_FORKED_SOLVERS: dict[int, HybridSolver] = {}


@dataclass(frozen=True)
class _ForkedSolver:
    key: int


@contextlib.contextmanager
def _solver_for_workers(solver: HybridSolver | None) -> Iterator[HybridSolver | _ForkedSolver | None]:
    """What the workers are sent of ``solver``: itself (no network: it pickles) or its key for the forks."""
    if solver is None or solver.model is None:
        yield solver
        return
    if not forks():
        raise ConfigError("solve_batch with workers in a mode with a network needs forked workers (Linux); "
                          "use workers=1")
    _FORKED_SOLVERS[id(solver)] = solver
    try:
        yield _ForkedSolver(id(solver))
    finally:
        _FORKED_SOLVERS.pop(id(solver), None)


def _solve_args(args: tuple) -> BatchResult:
    *rest, solver = args
    if isinstance(solver, _ForkedSolver):
        solver = _FORKED_SOLVERS[solver.key]
    return solve_chunk(*rest, solver)


def solve_chunk(
    puzzles: Puzzles,
    domain: str | Domain = "sudoku",
    budget: Budget | None = None,
    unique: bool = False,
    mode: str | Mode = "symbolic",
    solver: HybridSolver | None = None,
) -> BatchResult:
    """One process's piece of :func:`solve_batch` (bad puzzles kept as errors): what pool and Dask workers run.

    A loop's ``mode`` needs its ``solver``.

    >>> solve_chunk(["1..." * 4, "12"]).status_names()
    ['unsolvable', 'invalid']
    """
    start = time.perf_counter()
    dom = domain_registry.get(domain) if isinstance(domain, str) else domain
    batches, errors = group_puzzles(dom, puzzles)
    found = _solve_grouped(dom, batches, errors, len(puzzles), budget, unique, mode, solver, 1, start)
    found.solver_domain = None if isinstance(domain, str) else dom  # a registry name pickles small
    return found


def _solve_grouped(
    dom: Domain, batches: list[ShapeBatch], errors: dict[int, InvalidPuzzleError], n: int, budget: Budget | None,
    unique: bool, mode: str | Mode, solver: HybridSolver | None, threads: int, start: float,
) -> BatchResult:
    """:func:`solve_chunk` on puzzles grouped by shape; the compiled searches on ``threads`` threads."""
    width = max((b.template.num_variables for b in batches), default=0)
    status = np.full(n, INVALID, dtype=np.int8)
    values = np.full((n, width), -1, dtype=np.int64)
    nodes, seconds = np.zeros(n, dtype=np.int64), np.zeros(n)
    mode = get_mode(mode)
    check_mode(mode)
    if mode.guide is not Guide.NONE and solver is None:
        raise ConfigError(f"mode {mode.name!r} needs its solver (a HybridSolver)")
    made: dict[int, SolveResult] = {}
    policies: dict = {}  # one policy a shape, whatever form (texts, instances) its puzzles came in
    for batch in batches:
        if mode.guide is Guide.NONE:
            s, v, k, t = solve_shape(dom, batch, budget or Budget(), 2 if unique else 1, threads)
        else:
            s, v, k, t, built = solve_shape_in_mode(solver, mode, dom, batch, budget or Budget(), unique, policies)
            made.update({int(batch.index[j]): r for j, r in built.items()})
        status[batch.index], nodes[batch.index], seconds[batch.index] = s, k, t
        values[batch.index, : v.shape[1]] = v
    rest = time.perf_counter() - start - seconds.sum()
    seconds += max(rest, 0.0) / max(n, 1)
    for i, result in made.items():  # the results built say the same time as the arrays
        result.stats.seconds = float(seconds[i])
    return BatchResult(dom.name, status, values, nodes, seconds, batches, errors, mode.name, solver_domain=dom,
                       made=made)

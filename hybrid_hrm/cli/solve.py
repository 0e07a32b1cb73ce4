"""``hybrid-hrm solve``: stream the results, one line a puzzle, in input order, as they are found.

Puzzles are read lazily and solved in small batches (the network runs
batched; ``--mode symbolic`` searches a batch in one compiled call,
:func:`hybrid_hrm.batch.solve_chunk`), each batch's lines written and
flushed at once, so the first answer of a huge file comes in seconds,
memory stays bounded, and Ctrl-C keeps every finished line.  A puzzle that
does not parse gets an ``invalid`` line (with its file line) while the
rest are solved; the exit code is then 2.  When the mode was not chosen
and no model fits a puzzle's size, that puzzle is solved by the symbolic
layer, and the summary says so.

``--workers N`` hands each batch after the first to one of ``N`` worker
processes (:func:`solve_lines`; each has its solver once: inherited from
this process when they are forks, else built on its first batch) and
writes the batches in input order as they finish.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable, Iterator, Sequence, TextIO

import numpy as np

import domains
from domains.base import Domain, Instance
from solvers.base import Budget
from solvers.errors import InvalidPuzzleError, Status

from ..modes import get_mode
from ..parallel import OrderedPool, forks, resolve_workers, threads_per_worker
from ..result import SolveResult
from ..symbolic import solve_symbolic
from ..weights import has_shipped_weights
from .inputs import NoPuzzlesError, PuzzleText, iter_puzzle_texts, parse_at
from .parser import EXIT_BAD_INPUT, EXIT_INTERRUPTED, EXIT_OK, EXIT_UNSOLVED, report

#: Puzzles in the first batch (a quick first answer), then the solver's batch size.
FIRST_BATCH = 8
#: Invalid puzzles reported one by one on stderr; past this, only counted.
MAX_REPORTED = 20


@dataclass(frozen=True)
class Line:
    """One puzzle's output line and what the summary counts of it (small: it comes back from workers)."""

    text: str
    status: str  # a Status value, or "invalid"
    mode: str = ""
    milliseconds: float = 0.0
    error: str = ""  # why an invalid puzzle is invalid (for stderr)


@dataclass
class Tally:
    """What the summary line says: statuses, modes used, invalid lines, time per puzzle."""

    statuses: Counter = field(default_factory=Counter)
    modes: Counter = field(default_factory=Counter)
    invalid: int = 0
    milliseconds: list[float] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.statuses.values()) + self.invalid

    def add(self, line: Line) -> None:
        if line.status == "invalid":
            self.invalid += 1
            return
        self.statuses[line.status] += 1
        self.modes[line.mode] += 1
        self.milliseconds.append(line.milliseconds)

    def summary(self, interrupted: bool = False) -> str:
        counts = dict(self.statuses) | ({"invalid": self.invalid} if self.invalid else {})
        text = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
        modes = ", ".join(f"{m} {n}" for m, n in self.modes.most_common())
        median = f"; median {np.median(self.milliseconds):.2f} ms per puzzle" if self.milliseconds else ""
        stop = " (interrupted: the lines above are every puzzle finished)" if interrupted else ""
        return f"# {self.total} puzzles ({modes or 'none solved'}): {text}{median}{stop}"


class Solving:
    """The solver of one ``solve`` command, and what it does with a batch."""

    def __init__(self, domain: Domain, args: argparse.Namespace) -> None:
        from ..bridge import HybridSolver

        self.domain = domain
        self.budget = Budget(max_nodes=args.max_nodes, max_seconds=args.max_seconds)
        self.unique = args.unique
        self.as_json = args.json
        self.by_default = args.mode is None
        self.mode = args.mode or ("hybrid" if (args.weights or has_shipped_weights(domain.name)) else "symbolic")
        self.solver = HybridSolver.for_mode(domain, self.mode, weights=args.weights, device=args.device)
        # Only a default mode falls back: a mode or weights the user named must fit, or it is an error.
        self.fallback = self.by_default and not args.weights and get_mode(self.mode).needs_model

    def batch_size(self) -> int:
        return self.solver.config.batch_size

    def solve(self, instances: list[Instance]) -> list[SolveResult]:
        """Results in the order of ``instances``."""
        if not self.fallback:
            return self.solver.solve_instances(instances, mode=self.mode, budget=self.budget, unique=self.unique)
        fits = [i for i, inst in enumerate(instances) if self.solver.has_model_for(inst)]
        results: list[SolveResult | None] = [None] * len(instances)
        solved = self.solver.solve_instances([instances[i] for i in fits], mode=self.mode, budget=self.budget,
                                             unique=self.unique) if fits else []
        for i, r in zip(fits, solved):
            results[i] = r
        for i, inst in enumerate(instances):
            if results[i] is None:
                results[i] = solve_symbolic(self.domain, inst, self.budget, unique=self.unique)
        return results  # type: ignore[return-value]

    def lines(self, chunk: Sequence[PuzzleText]) -> list[Line]:
        """Parse and solve one batch; its lines in input order (bad puzzles get an ``invalid`` line)."""
        if self.mode == "symbolic":
            return self._symbolic_lines(chunk)
        parsed: list[Instance | InvalidPuzzleError] = []
        for item in chunk:
            try:
                parsed.append(parse_at(self.domain, item))
            except InvalidPuzzleError as exc:
                parsed.append(exc)
        results = iter(self.solve([p for p in parsed if isinstance(p, Instance)]))
        return [invalid_line(p, self.as_json) if isinstance(p, InvalidPuzzleError) else
                result_line(next(results), self.as_json) for p in parsed]

    def _symbolic_lines(self, chunk: Sequence[PuzzleText]) -> list[Line]:
        """The batch path of ``--mode symbolic``: one compiled search for the batch, answers verified in it."""
        from ..batch import solve_chunk

        found = solve_chunk([item.text for item in chunk], self.domain, self.budget, self.unique)
        solutions = None if self.as_json else found.solutions()
        out = []
        for i, item in enumerate(chunk):
            error = found.errors.get(i)
            if error is not None:
                out.append(invalid_line(InvalidPuzzleError(f"{item.where}: {error.reason}", error.position),
                                        self.as_json))
            elif solutions is not None and found.status_of(i) is Status.SOLVED:
                out.append(Line(f"solved\t{solutions[i]}\n", "solved", found.mode, float(found.seconds[i]) * 1000))
            else:
                out.append(result_line(found.result(i), self.as_json))
        return out


def batches(items: Iterable[PuzzleText], size: int) -> Iterator[list[PuzzleText]]:
    """A small first batch, then batches of ``size``."""
    it = iter(items)
    first = list(itertools.islice(it, FIRST_BATCH))
    if first:
        yield first
    while chunk := list(itertools.islice(it, size)):
        yield chunk


def result_line(result: SolveResult, as_json: bool) -> Line:
    """The line of a solved (or unsolved) puzzle."""
    if as_json:
        text = json.dumps(result.to_dict()) + "\n"
    elif result.solution is not None:
        text = f"{result.status.value}\t{result.solution}" + (f"\t{result.reason}" if result.reason else "") + "\n"
    else:
        text = f"{result.status.value}\t{result.puzzle}\t{result.reason}\n"
    return Line(text, result.status.value, result.mode, result.stats.seconds * 1000)


def invalid_line(error: InvalidPuzzleError, as_json: bool) -> Line:
    """The line of a puzzle that did not parse (the message also goes to stderr, see :func:`write_lines`)."""
    text = json.dumps({"status": "invalid", "reason": str(error)}) if as_json else f"invalid\t{error}"
    return Line(text + "\n", "invalid", error=str(error))


def write_lines(lines: Iterable[Line], tally: Tally, out: TextIO) -> None:
    """Write one batch's lines, count them, and name the first invalid puzzles on stderr."""
    for line in lines:
        tally.add(line)
        if line.status == "invalid" and tally.invalid <= MAX_REPORTED:
            report(f"hybrid-hrm: error: {line.error}")
        out.write(line.text)
    out.flush()


#: The worker process's solver: inherited from the parent when the workers are forks, else built on the first
#: batch (so that an error reaches the parent), once a process.
_WORKER: dict[str, object] = {}


def _start_worker(args: argparse.Namespace, threads: int) -> None:
    _WORKER.update(args=args, threads=threads)
    torch = sys.modules.get("torch")
    if torch is not None:  # a model's batches: one share of the cores each, not all of them each
        torch.set_num_threads(threads)


def solve_lines(chunk: list[PuzzleText]) -> list[Line]:
    """A worker's task: the lines of one batch, by the worker's own :class:`Solving` (built once)."""
    if "solving" not in _WORKER:
        args = _WORKER["args"]
        _WORKER["solving"] = Solving(domains.get(args.domain), args)  # type: ignore[attr-defined]
        _start_worker(args, _WORKER["threads"])  # type: ignore[arg-type]
    return _WORKER["solving"].lines(chunk)  # type: ignore[attr-defined]


def cmd_solve(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """The ``solve`` command (see the module docstring)."""
    out = out or sys.stdout
    domain = domains.get(args.domain)
    items = iter_puzzle_texts(domain, args)
    first = next(items, None)  # fail fast (no puzzle, unreadable file) before a model is loaded
    if first is None:
        raise NoPuzzlesError()
    tally = Tally()
    workers = resolve_workers(getattr(args, "workers", 1))
    try:
        solving = Solving(domain, args)  # here too with workers: errors early, and forked workers inherit it
        chunks = batches(itertools.chain([first], items), solving.batch_size())
        write_lines(solving.lines(next(chunks)), tally, out)  # the first, small batch: a quick first answer
        second = next(chunks, None)
        if workers > 1 and second is not None:
            if forks():
                _WORKER.update(solving=solving)
            with OrderedPool(workers, _start_worker, (args, threads_per_worker(workers))) as pool:
                for lines in pool.imap(solve_lines, itertools.chain([second], chunks)):
                    write_lines(lines, tally, out)
        elif second is not None:
            for chunk in itertools.chain([second], chunks):
                write_lines(solving.lines(chunk), tally, out)
    except KeyboardInterrupt:
        out.flush()
        report(tally.summary(interrupted=True))
        return EXIT_INTERRUPTED
    if tally.total > 1 and not args.json:
        report(tally.summary())
    elif tally.invalid > MAX_REPORTED:
        report(f"hybrid-hrm: error: {tally.invalid} puzzles were invalid in all")
    if tally.invalid:
        return EXIT_BAD_INPUT
    return EXIT_OK if tally.statuses.get(Status.SOLVED.value, 0) == tally.total else EXIT_UNSOLVED

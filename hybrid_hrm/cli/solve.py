"""``hybrid-hrm solve``: stream the results, one line a puzzle, in input order, as they are found.

Puzzles are read lazily and solved in small batches (the network runs
batched), each batch's lines written and flushed at once, so the first
answer of a huge file comes in seconds, memory stays bounded, and Ctrl-C
keeps every finished line.  A puzzle that does not parse gets an
``invalid`` line (with its file line) while the rest are solved; the exit
code is then 2.  When the mode was not chosen and no model fits a puzzle's
size, that puzzle is solved by the symbolic layer, and the summary says so.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable, Iterator, TextIO

import numpy as np

import domains
from domains.base import Domain, Instance
from solvers.base import Budget
from solvers.errors import InvalidPuzzleError, Status

from ..bridge import HybridSolver
from ..modes import get_mode
from ..result import SolveResult
from ..symbolic import solve_symbolic
from ..weights import has_shipped_weights
from .inputs import NoPuzzlesError, PuzzleText, iter_puzzle_texts, parse_at
from .parser import EXIT_BAD_INPUT, EXIT_INTERRUPTED, EXIT_OK, EXIT_UNSOLVED, report

#: Puzzles in the first batch (a quick first answer), then the solver's batch size.
FIRST_BATCH = 8
#: Invalid puzzles reported one by one on stderr; past this, only counted.
MAX_REPORTED = 20


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

    def add(self, result: SolveResult) -> None:
        self.statuses[result.status.value] += 1
        self.modes[result.mode] += 1
        self.milliseconds.append(result.stats.seconds * 1000)

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
        self.domain = domain
        self.budget = Budget(max_nodes=args.max_nodes, max_seconds=args.max_seconds)
        self.unique = args.unique
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


def batches(items: Iterable[PuzzleText], size: int) -> Iterator[list[PuzzleText]]:
    """A small first batch, then batches of ``size``."""
    it = iter(items)
    first = list(itertools.islice(it, FIRST_BATCH))
    if first:
        yield first
    while chunk := list(itertools.islice(it, size)):
        yield chunk


def write_result(out: TextIO, result: SolveResult, as_json: bool) -> None:
    if as_json:
        out.write(json.dumps(result.to_dict()) + "\n")
    elif result.solution is not None:
        out.write(f"{result.status.value}\t{result.solution}" + (f"\t{result.reason}" if result.reason else "") + "\n")
    else:
        out.write(f"{result.status.value}\t{result.puzzle}\t{result.reason}\n")


def write_invalid(out: TextIO, error: InvalidPuzzleError, as_json: bool) -> None:
    if as_json:
        out.write(json.dumps({"status": "invalid", "reason": str(error)}) + "\n")
    else:
        out.write(f"invalid\t{error}\n")


def solve_batch(solving: Solving, chunk: list[PuzzleText], tally: Tally, out: TextIO, as_json: bool) -> None:
    """Parse, solve and write one batch, in input order; bad puzzles get an ``invalid`` line."""
    parsed: list[Instance | InvalidPuzzleError] = []
    for item in chunk:
        try:
            parsed.append(parse_at(solving.domain, item))
        except InvalidPuzzleError as exc:
            parsed.append(exc)
    results = iter(solving.solve([p for p in parsed if isinstance(p, Instance)]))
    for p in parsed:
        if isinstance(p, InvalidPuzzleError):
            tally.invalid += 1
            if tally.invalid <= MAX_REPORTED:
                report(f"hybrid-hrm: error: {p}")
            write_invalid(out, p, as_json)
        else:
            result = next(results)
            tally.add(result)
            write_result(out, result, as_json)
    out.flush()


def cmd_solve(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """The ``solve`` command (see the module docstring)."""
    out = out or sys.stdout
    domain = domains.get(args.domain)
    items = iter_puzzle_texts(domain, args)
    first = next(items, None)  # fail fast (no puzzle, unreadable file) before a model is loaded
    if first is None:
        raise NoPuzzlesError()
    solving = Solving(domain, args)
    tally = Tally()
    try:
        for chunk in batches(itertools.chain([first], items), solving.batch_size()):
            solve_batch(solving, chunk, tally, out, args.json)
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

"""What each panel of a trace picture shows: the state of the board after one cycle.

A panel is the truth after its cycle, not just the cycle's news: the
givens, every committed subgoal still standing (accepted in this or an
earlier cycle and not backed out since), and every other variable that
propagation decided, each in its own style (:data:`domains.drawing.STYLES`),
plus this cycle's rejected and backed-out subgoals as crossed marks.  The
last panel is the verified answer (or the state the loop left, when there
is none).  The drawers (generic grid, Sudoku, KenKen, N-Queens) all draw
these :class:`Panel` records, and tests read them instead of pixels.

The trace is declared by :class:`TraceLike` (what :class:`hybrid_hrm.trace.Trace`,
which this layer must not import, offers): ``cycles`` of :class:`CycleLike`
records, whose ``values_after`` holds the value index of each decided
variable (``-1`` for an undecided one; ``None`` in traces without it: decided
cells are then drawn without a value), plus ``givens``, ``final_values``,
``shape``, ``meta``, ``search`` and ``halt_reason``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, Sequence


class CycleLike(Protocol):
    """One cycle of a trace, as the pictures read it."""

    cycle: int
    accepted: Sequence[tuple[int, int]]
    rejected: Sequence[tuple[int, int, str]]
    backed_out: Sequence[tuple[int, int]]
    decided: int
    candidate_counts: Sequence[int] | None
    values_after: Sequence[int] | None


class TraceLike(Protocol):
    """A solve's trace, as the pictures read it."""

    cycles: Sequence[CycleLike]
    givens: Sequence[int] | None
    final_values: Sequence[int] | None
    shape: tuple[int, ...]
    meta: dict[str, Any]
    halt_reason: str


@dataclass(frozen=True)
class Cell:
    """A decided variable as a panel shows it: its value index (``-1``: not recorded) and its style."""

    value: int
    style: str  # a key of domains.drawing.STYLES: given, committed, propagated, decided, answer


@dataclass(frozen=True)
class Mark:
    """A subgoal of this cycle drawn crossed over its variable: ``rejected`` or ``backed_out``."""

    variable: int
    value: int
    style: str


@dataclass
class Panel:
    """One board of the picture: its title, the decided cells, the crossed marks, candidates left."""

    title: str
    cells: dict[int, Cell] = field(default_factory=dict)
    marks: list[Mark] = field(default_factory=list)
    counts: list[int] | None = None  # candidates left per variable (None: the answer panel)


def cycle_title(record: Any) -> str:
    """``"cycle 2: 3 accepted, 1 rejected, 1 backed out, 28 decided"`` (the numbers of the text trace).

    On two lines (broken after the rejected count), to fit over a panel.
    """
    second = [f"{len(record.backed_out)} backed out"] if record.backed_out else []
    second.append(f"{record.decided} decided")
    first = f"cycle {record.cycle}: {len(record.accepted)} accepted, {len(record.rejected)} rejected,"
    return first + "\n" + ", ".join(second)


def standing_commits(cycles: list[Any]) -> list[dict[int, int]]:
    """After each cycle, the committed subgoals still standing, ``{variable: value}``.

    Within a cycle the loop commits before it backs out (a backed-out
    commit of the same cycle is undone), and a variable proposed in a
    cycle was undecided at its start, so "add the accepted, then drop the
    backed out" replays the loop's trail exactly.
    """
    standing: dict[int, int] = {}
    out = []
    for record in cycles:
        for v, k in record.accepted:
            standing[int(v)] = int(k)
        for v, k in record.backed_out:
            if standing.get(int(v)) == int(k):
                del standing[int(v)]
        out.append(dict(standing))
    return out


def _givens(trace: Any) -> list[int]:
    return [int(g) for g in (trace.givens or [])]


def cycle_cells(givens: list[int], commits: dict[int, int], record: Any) -> dict[int, Cell]:
    """The decided cells after ``record``'s cycle: givens, standing commits, then what propagation decided."""
    cells = {v: Cell(g, "given") for v, g in enumerate(givens) if g >= 0}
    for v, k in commits.items():
        cells.setdefault(v, Cell(k, "committed"))
    values = record.values_after
    counts = record.candidate_counts
    if values is not None:
        for v, k in enumerate(values):
            if k >= 0 and v not in cells:
                cells[v] = Cell(int(k), "propagated")
    elif counts is not None:
        for v, n in enumerate(counts):
            if n == 1 and v not in cells:
                cells[v] = Cell(-1, "decided")
    return cells


def cycle_marks(record: Any) -> list[Mark]:
    """This cycle's rejected and backed-out subgoals, crossed."""
    marks = [Mark(int(v), int(k), "rejected") for v, k, _why in record.rejected]
    return marks + [Mark(int(v), int(k), "backed_out") for v, k in record.backed_out]


def answer_panel(trace: Any, last: dict[int, Cell]) -> Panel:
    """The verified answer: a cell the loop's last state had right keeps its style, the rest are ``answer``.

    Without an answer, the state the loop left.  The search (when it ran)
    starts from the root candidates, not from the loop's commits, so an
    answer cell can differ from the loop's value; it is then ``answer``.
    """
    search = trace.search
    title = "answer (verified)" if trace.final_values is not None else "no answer"
    if search is not None:
        title += f"\nsearch: {search.status}, {search.nodes} nodes"
    if trace.final_values is None:
        return Panel(title, dict(last))
    cells = {}
    for v, k in enumerate(trace.final_values):
        had = last.get(v)
        cells[v] = had if had is not None and had.value == int(k) else Cell(int(k), "answer")
    return Panel(title, cells)


def trace_panels(trace: Any, max_panels: int = 6) -> list[Panel]:
    """The panels of ``trace``: the state after each of the first ``max_panels - 1`` cycles, then the answer.

    The answer panel builds on the state after the last cycle, drawn or not.
    """
    givens = _givens(trace)
    cycles = list(trace.cycles)
    commits = standing_commits(cycles)
    panels = []
    last = {v: Cell(g, "given") for v, g in enumerate(givens) if g >= 0}
    for i, record in enumerate(cycles):
        last = cycle_cells(givens, commits[i], record)
        if i < max(max_panels - 1, 0):
            panels.append(Panel(cycle_title(record), last, cycle_marks(record), record.candidate_counts))
    panels.append(answer_panel(trace, last))
    return panels


def figure_title(trace: Any, drawn: int) -> str:
    """``"domain: halt reason"``, saying which cycles the panels leave out."""
    title = f"{trace.domain}: {trace.halt_reason}" if trace.halt_reason else trace.domain
    total = len(trace.cycles)
    if drawn < total:
        title += f"  (cycles {drawn + 1}-{total} not drawn)"
    return title


__all__ = ["Cell", "Mark", "Panel", "cycle_title", "figure_title", "standing_commits", "trace_panels"]

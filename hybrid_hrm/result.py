"""What a solve returns, and the one gate every answer passes: the verifier.

:func:`verified_result` is the only way a ``SOLVED`` result is built, so no
unverified answer can leave the package (invariant 1 of the design).

Examples
--------
>>> import domains, numpy as np
>>> sudoku = domains.get("sudoku")
>>> inst = sudoku.parse("1.3." "3..." "...4" ".1.2")
>>> wrong = np.zeros(16, dtype=int)
>>> verified_result(sudoku, inst, wrong, mode="symbolic").status.value
Traceback (most recent call last):
...
solvers.errors.SoundnessError: internal error: an answer failed the verifier (r1c3=1 is not a candidate ...
"""

from __future__ import annotations

import enum
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from domains.base import Domain, Instance
from solvers.errors import SoundnessError, Status

from .trace import Trace


class SolvedBy(enum.StrEnum):
    """Which part of the package found a solved answer (``NOT_SOLVED`` until one did)."""

    NOT_SOLVED = ""
    PROPAGATION = "propagation"
    LOOP = "loop"
    SEARCH = "search"
    NETWORK = "network"

    @property
    def without_search(self) -> bool:
        """Solved by propagation, the loop or the network alone (no complete search)."""
        return self in (SolvedBy.PROPAGATION, SolvedBy.LOOP, SolvedBy.NETWORK)


@dataclass
class SolveStats:
    """Counters of one solve."""

    cycles: int = 0
    proposed: int = 0
    accepted: int = 0
    rejected: int = 0
    backed_out: int = 0
    search_nodes: int = 0
    network_calls: int = 0
    seconds: float = 0.0
    solved_by: SolvedBy = SolvedBy.NOT_SOLVED


@dataclass
class SolveResult:
    """Outcome of one puzzle.

    ``status``: ``solved``, ``unsolvable``, ``budget_exhausted`` or (when
    uniqueness was asked) ``multiple_solutions``.  ``solution`` is the
    domain-formatted answer, set only when the verifier passed it.
    """

    status: Status
    puzzle: str
    mode: str
    solution: str | None = None
    values: np.ndarray | None = field(default=None, repr=False)
    reason: str = ""
    trace: Trace | None = field(default=None, repr=False)
    stats: SolveStats = field(default_factory=SolveStats)

    @property
    def solved(self) -> bool:
        return self.status is Status.SOLVED

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (trace excluded; see ``trace.to_dict()``)."""
        return {
            "puzzle": self.puzzle,
            "mode": self.mode,
            "status": self.status.value,
            "solution": self.solution,
            "reason": self.reason,
            "stats": {**asdict(self.stats), "solved_by": self.stats.solved_by.value},
        }


def verified_result(
    domain: Domain,
    instance: Instance,
    values: np.ndarray,
    *,
    mode: str,
    status: Status = Status.SOLVED,
    trace: Trace | None = None,
    stats: SolveStats | None = None,
    reason: str = "",
) -> SolveResult:
    """Build a solved result after the domain's verifier passed ``values``.

    Raises :class:`SoundnessError` when the verifier rejects them: that is
    a bug in a solver, and it must never reach a user as an answer.
    """
    values = np.asarray(values, dtype=np.int64)
    verdict = domain.verify(instance, values)
    if not verdict.valid:
        detail = verdict.reason() or "incomplete"
        raise SoundnessError(f"internal error: an answer failed the verifier ({detail[:200]})")
    if trace is not None:
        trace.final_values = values.tolist()
    return SolveResult(
        status=status,
        puzzle=domain.format(instance),
        mode=mode,
        solution=domain.format(instance, values),
        values=values,
        reason=reason,
        trace=trace,
        stats=stats or SolveStats(),
    )


def unsolved_result(
    domain: Domain,
    instance: Instance,
    status: Status,
    *,
    mode: str,
    reason: str,
    trace: Trace | None = None,
    stats: SolveStats | None = None,
) -> SolveResult:
    """A result without an answer (unsolvable, or out of budget)."""
    if status is Status.SOLVED:
        raise SoundnessError("internal error: a solved result needs verified values")
    return SolveResult(
        status=status,
        puzzle=domain.format(instance),
        mode=mode,
        reason=reason,
        trace=trace,
        stats=stats or SolveStats(),
    )

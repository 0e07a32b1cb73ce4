"""Typed errors and result statuses shared by every layer of the package.

This module imports nothing heavier than the standard library, so that the
symbolic layer (``solvers``) and the domains can raise the same errors the
neural side re-exports as :mod:`hybrid_hrm.errors`.

Running out of budget is *not* an exception: it is a :class:`Status` of a
result, because a solver that stops on time has done its job.

Examples
--------
>>> from solvers.errors import InvalidPuzzleError
>>> err = InvalidPuzzleError("bad character 'x'", position=4)
>>> str(err)
"bad character 'x' (at position 4)"
"""

from __future__ import annotations

import enum


class Status(str, enum.Enum):
    """Outcome of a solve: the only values ``SolveResult.status`` takes."""

    SOLVED = "solved"
    UNSOLVABLE = "unsolvable"
    BUDGET_EXHAUSTED = "budget_exhausted"
    MULTIPLE_SOLUTIONS = "multiple_solutions"
    #: The network alone answered, and the verifier rejected the answer (mode ``neural``).
    ANSWER_REJECTED = "answer_rejected"

    def __str__(self) -> str:  # print "solved", not "Status.SOLVED"
        return self.value


#: Alias kept for readers of the design notes: budget exhaustion is a status.
BudgetExhausted = Status.BUDGET_EXHAUSTED


class HybridHRMError(Exception):
    """Base class of every error this package raises on purpose."""


class InvalidPuzzleError(HybridHRMError, ValueError):
    """A puzzle text or array that cannot be an instance of its domain.

    ``position`` is the offending character, cell or line (0-based), or
    ``None`` when the whole input is at fault (e.g. a wrong length).
    """

    def __init__(self, reason: str, position: int | None = None) -> None:
        self.reason = reason
        self.position = position
        where = "" if position is None else f" (at position {position})"
        super().__init__(f"{reason}{where}")

    def __reduce__(self):  # pickled whole (a worker process sends it back): the reason and the position
        return type(self), (self.reason, self.position)


class UnknownDomainError(HybridHRMError, LookupError):
    """A domain name that is not registered (built-in or via entry points)."""

    def __init__(self, name: str, available: list[str] | tuple[str, ...] = ()) -> None:
        self.name = name
        self.available = tuple(available)
        hint = f"; available: {', '.join(self.available)}" if self.available else ""
        super().__init__(f"unknown domain {name!r}{hint}")

    def __str__(self) -> str:  # KeyError-style repr quoting would hide the message
        return self.args[0]


class ConfigError(HybridHRMError, ValueError):
    """A budget, threshold or configuration value outside its valid range."""


class CheckpointError(HybridHRMError):
    """A checkpoint that is missing, truncated, corrupted or for another model."""


class UnsupportedError(HybridHRMError):
    """A capability the chosen domain or model does not have (e.g. no generator)."""


class SoundnessError(HybridHRMError):
    """An internal check caught an answer the verifier rejects: a bug, never returned."""


class TrainingError(HybridHRMError):
    """Training cannot start or go on (unwritable output, empty data, ...)."""


class WorkerError(HybridHRMError):
    """A worker process died (killed, out of memory) or its result could not be sent back."""


__all__ = [
    "Status",
    "BudgetExhausted",
    "HybridHRMError",
    "InvalidPuzzleError",
    "UnknownDomainError",
    "ConfigError",
    "CheckpointError",
    "TrainingError",
    "UnsupportedError",
    "WorkerError",
    "SoundnessError",
]

"""The trace of a solve: what H proposed, what the symbolic layer said, what L changed.

A :class:`Trace` is a plain record (no tensors), filled by the bridge one
:class:`CycleRecord` per H cycle, then a :class:`SearchRecord` when the
fallback search ran.  ``render()`` tells the story in text.

Examples
--------
>>> t = Trace(domain="sudoku", variable_names=["r1c1", "r1c2"], value_names=["1", "2"])
>>> t.cycles.append(CycleRecord(cycle=1, proposed=[(0, 0, 0.9)], accepted=[(0, 0)],
...                             rejected=[], pruned=1, changed_by_l=0, decided=2))
>>> t.halt_reason = "verified"
>>> print(t.render())
cycle 1: H proposed 1, accepted 1 (r1c1=1), rejected 0; propagation removed 1 candidates; L changed 0; decided 2
halted: verified
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from domains.base import Domain


@dataclass
class CycleRecord:
    """One H cycle of the bridge."""

    cycle: int
    proposed: list[tuple[int, int, float]]  # (variable, value, confidence)
    accepted: list[tuple[int, int]]  # committed subgoals
    rejected: list[tuple[int, int, str]]  # (variable, value, reason)
    pruned: int  # candidates removed by propagation
    changed_by_l: int  # variables whose best value L changed
    decided: int  # variables with one candidate after the cycle
    backed_out: list[tuple[int, int]] = field(default_factory=list)  # refuted subgoals
    #: Proposals propagation had already decided (right, so neither committed nor rejected).
    implied: list[tuple[int, int]] = field(default_factory=list)
    #: Proposals committed and at once proved contradictory by propagation (also in ``backed_out``).
    contradicted: list[tuple[int, int]] = field(default_factory=list)
    #: Proposals never examined (the node budget ran out, or the instance was proved unsolvable).
    unexamined: int = 0
    candidate_counts: list[int] | None = None  # per variable, after the cycle (for pictures)
    values_after: list[int] | None = None  # per variable after the cycle: its value if decided, else -1


@dataclass
class SearchRecord:
    """The fallback search, when the loop did not finish."""

    nodes: int
    backtracks: int
    seconds: float
    status: str
    guide: str  # what ordered the search: "fewest candidates", "network", "uniform"


@dataclass
class Trace:
    """Per-cycle story of one solve (see the module docstring)."""

    domain: str
    variable_names: list[str] = field(default_factory=list, repr=False)
    value_names: list[str] = field(default_factory=list, repr=False)
    cycles: list[CycleRecord] = field(default_factory=list)
    search: SearchRecord | None = None
    halt_reason: str = ""
    givens: list[int] | None = field(default=None, repr=False)
    final_values: list[int] | None = field(default=None, repr=False)
    shape: tuple[int, ...] = ()
    #: The instance's meta (maze endpoints, KenKen cages): what a domain's picture needs beside the givens.
    meta: dict[str, Any] = field(default_factory=dict, repr=False)
    #: Breadth: the trajectory this story is of (the one that decided the puzzle), and how many ran.
    trajectory: int = 0
    trajectories: int = 1
    #: The domain that draws this trace (set by the solver; not part of the record's data).
    drawer: Domain | None = field(default=None, repr=False, compare=False)

    def name(self, variable: int, value: int) -> str:
        var = self.variable_names[variable] if variable < len(self.variable_names) else str(variable)
        val = self.value_names[value] if value < len(self.value_names) else str(value)
        return f"{var}={val}"

    def render(self, max_items: int = 6) -> str:
        """A compact text story, one line per cycle, then halt and search lines."""
        lines = []
        for c in self.cycles:
            acc = ", ".join(self.name(v, k) for v, k in c.accepted[:max_items])
            more = "" if len(c.accepted) <= max_items else f", +{len(c.accepted) - max_items}"
            line = (
                f"cycle {c.cycle}: H proposed {len(c.proposed)}, accepted {len(c.accepted)}"
                + (f" ({acc}{more})" if acc else "")
                + f", rejected {len(c.rejected)}"
            )
            if c.rejected:
                reasons = "; ".join(f"{self.name(v, k)}: {why}" for v, k, why in c.rejected[:max_items])
                line += f" [{reasons}]"
            if c.implied:
                line += f", already implied {len(c.implied)}"
            if c.contradicted:
                line += f", contradicted {len(c.contradicted)}"
            if c.unexamined:
                line += f", not examined {c.unexamined} (budget or unsolvable)"
            if c.backed_out:
                line += f"; backed out {', '.join(self.name(v, k) for v, k in c.backed_out)} (contradiction)"
            line += f"; propagation removed {c.pruned} candidates; L changed {c.changed_by_l}; decided {c.decided}"
            lines.append(line)
        if self.trajectories > 1:
            lines.insert(0, f"trajectory {self.trajectory} of {self.trajectories} (the cycles below are its own)")
        if self.halt_reason:
            lines.append(f"halted: {self.halt_reason}")
        if self.search is not None:
            s = self.search
            lines.append(
                f"search ({s.guide}): {s.status} after {s.nodes} nodes, "
                f"{s.backtracks} backtracks, {s.seconds * 1000:.1f} ms"
            )
        return "\n".join(lines)

    def plot(self, path: str | Path, max_panels: int = 6) -> Path:
        """Draw the boards cycle by cycle to a PNG (see :func:`hybrid_hrm.pictures.plot_trace`)."""
        from .pictures import plot_trace

        return plot_trace(self, self.drawer, path, max_panels)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form: the cycles, search and halt reason (names and the drawer left out)."""
        skip = {"variable_names", "value_names", "drawer", "meta"}
        return {
            f.name: _plain(getattr(self, f.name)) for f in fields(self) if f.name not in skip
        }


def _plain(value: Any) -> Any:
    """Records as dicts, the rest as it is (what :func:`dataclasses.asdict` does to a field)."""
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, (CycleRecord, SearchRecord)):
        return asdict(value)
    return value

"""Pictures of a trace: one board per cycle, so a person can follow the reasoning.

Each panel is the board after one H cycle: givens in black, subgoals the
symbolic layer accepted in green, rejected ones in red (crossed), backed-out
ones in orange, and the shading counts the candidates left (darker = more
open).  The last panel shows the verified answer in blue.  Grid domains
(Sudoku) are drawn as their grid; other domains as a near-square grid of
their variables.  A domain draws its own picture by overriding
:meth:`domains.base.Domain.draw_trace`.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from domains.base import Domain

    from .trace import Trace


def _grid_shape(trace: Trace, num_variables: int) -> tuple[int, int]:
    if trace.shape and len(trace.shape) == 2 and trace.shape[0] * trace.shape[1] == num_variables:
        return trace.shape[0], trace.shape[1]
    cols = math.ceil(math.sqrt(num_variables))
    return math.ceil(num_variables / cols), cols


def plot_trace(trace: Trace, domain: Domain | None, path: str | Path, max_panels: int = 6) -> Path:
    """Draw ``trace`` to a PNG at ``path`` and return the path.

    The domain's own drawing (:meth:`~domains.base.Domain.draw_trace`) when
    it has one, else the generic boards (also when ``domain`` is ``None``).
    """
    own = None if domain is None else domain.draw_trace(trace, path)
    if own is not None:
        return own
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    givens = trace.givens or []
    V = len(givens) or len(trace.variable_names)
    rows, cols = _grid_shape(trace, V)
    cycles = trace.cycles[: max_panels - 1]
    panels = len(cycles) + 1
    fig, axes = plt.subplots(1, panels, figsize=(3.2 * panels, 3.6), squeeze=False)
    K = max(len(trace.value_names), 1)

    def cell_xy(v: int) -> tuple[int, int]:
        return v % cols, rows - 1 - v // cols

    def board(ax, counts, title):
        ax.set_xlim(0, cols)
        ax.set_ylim(0, rows)
        ax.set_aspect("equal")
        ax.axis("off")
        ax.set_title(title, fontsize=9)
        for v in range(V):
            x, y = cell_xy(v)
            shade = 0.0 if counts is None else (counts[v] - 1) / max(K - 1, 1)
            ax.add_patch(
                Rectangle(
                    (x, y), 1, 1, facecolor=(1 - 0.45 * shade, 1 - 0.35 * shade, 1.0), edgecolor="0.75", linewidth=0.5
                )
            )
        box = int(math.isqrt(cols)) if trace.domain == "sudoku" else 0
        if box and box * box == cols:
            for i in range(0, cols + 1, box):
                ax.plot([i, i], [0, rows], color="black", linewidth=1.5)
                ax.plot([0, cols], [i, i], color="black", linewidth=1.5)
        for v, g in enumerate(givens):
            if g >= 0:
                x, y = cell_xy(v)
                ax.text(x + 0.5, y + 0.5, trace.value_names[g], ha="center", va="center", fontsize=8, fontweight="bold")

    def mark(ax, v, k, color, crossed=False):
        x, y = cell_xy(v)
        ax.text(
            x + 0.5, y + 0.5, trace.value_names[k], ha="center", va="center", fontsize=8, color=color, fontweight="bold"
        )
        if crossed:
            ax.plot([x + 0.15, x + 0.85], [y + 0.15, y + 0.85], color=color, linewidth=1.2)

    for ax, c in zip(axes[0], cycles):
        board(ax, c.candidate_counts, f"cycle {c.cycle}: +{len(c.accepted)} / x{len(c.rejected)}")
        for v, k in c.accepted:
            mark(ax, v, k, "green")
        for v, k in c.backed_out:
            mark(ax, v, k, "darkorange", crossed=True)
        for v, k, _why in c.rejected:
            mark(ax, v, k, "red", crossed=True)
    last = axes[0][-1]
    search = trace.search
    title = "answer (verified)" if trace.final_values is not None else "no answer"
    if search is not None:
        title += f"\nsearch: {search.nodes} nodes"
    board(last, None, title)
    if trace.final_values is not None:
        for v, k in enumerate(trace.final_values):
            if givens and givens[v] < 0:
                mark(last, v, k, "royalblue")
    fig.suptitle(f"{trace.domain}: {trace.halt_reason}", fontsize=10)
    fig.text(
        0.5,
        0.01,
        "black: given   green: accepted subgoal   red: rejected   orange: backed out "
        "(contradiction)   blue: answer   shading: candidates left",
        ha="center",
        fontsize=8,
    )
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path

"""The picture of an N-Queens solve: a chess board per cycle, queens where rows are decided.

:meth:`domains.nqueens.NQueensDomain.draw_trace` draws with
:func:`draw_nqueens_trace`.  A variable is a row, its value the column of
that row's queen, so each panel (:func:`domains.trace_panels.trace_panels`:
the state after the cycle) puts a queen on ``(row, column)`` for every
decided row, in the style of how it was decided (given, committed
subgoal, propagation, answer), crosses this cycle's rejected and
backed-out queens on their squares, and writes beside each open row how
many columns it has left.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from .drawing import STYLES, add_legend, board_axes, draw_mark, png_path, save_png, subplots, used_styles
from .trace_panels import Panel, figure_title, trace_panels

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

QUEEN = "\u265b"
LIGHT, DARK = "#f3ede2", "#cdbfa8"
PANEL_INCHES = 3.0


def draw_board(ax: Axes, panel: Panel, n: int, fontsize: float) -> None:
    """One chess board: squares, queens of the decided rows, crossed subgoals, columns left per open row.

    Each text carries a ``gid``: ``queen:ROW:COL:STYLE``, ``mark:...``, ``left:ROW``.
    """
    from matplotlib.patches import Rectangle

    board_axes(ax, panel.title, n, n)
    ax.set_xlim(0, n + 0.8)
    for r in range(n):
        y = n - 1 - r
        for c in range(n):
            ax.add_patch(Rectangle((c, y), 1, 1, facecolor=LIGHT if (r + c) % 2 == 0 else DARK, linewidth=0))
        ax.text(-0.15, y + 0.5, str(r + 1), ha="right", va="center", fontsize=6, color="0.4")
    for c in range(n):
        ax.text(c + 0.5, -0.15, str(c + 1), ha="center", va="top", fontsize=6, color="0.4")
    ax.text(n + 0.1, n + 0.1, "left", ha="left", va="bottom", fontsize=5, color="0.4", style="italic")
    ax.add_patch(Rectangle((0, 0), n, n, fill=False, edgecolor="0.3", linewidth=1))
    for row, cell in panel.cells.items():
        y = n - 1 - row
        if cell.value < 0:  # decided, column not recorded
            ax.text(n + 0.1, y + 0.5, "1", ha="left", va="center", fontsize=6, color="0.4", gid=f"left:{row}")
            continue
        ax.text(cell.value + 0.5, y + 0.47, QUEEN, ha="center", va="center", fontsize=fontsize,
                color=STYLES[cell.style].color, gid=f"queen:{row}:{cell.value}:{cell.style}")
    for row, count in enumerate(panel.counts or []):
        if count != 1 and row not in panel.cells:
            ax.text(n + 0.1, n - 1 - row + 0.5, str(count), ha="left", va="center", fontsize=6, color="0.4",
                    gid=f"left:{row}")
    squares = [(m.variable, m.value) for m in panel.marks]
    for mark in panel.marks:
        queen_here = panel.cells.get(mark.variable) is not None and panel.cells[mark.variable].value == mark.value
        alone = not queen_here and squares.count((mark.variable, mark.value)) == 1
        draw_mark(ax, mark, (mark.value, n - 1 - mark.variable), QUEEN, fontsize, alone)


def nqueens_figure(trace: Any, max_panels: int = 6) -> tuple[Figure, list[Panel]]:
    """The boards of an N-Queens trace, the state after each drawn cycle and the answer, with a legend."""
    from matplotlib.lines import Line2D

    n = len(trace.givens or []) or len(trace.variable_names)
    panels = trace_panels(trace, max_panels)
    fig, axes = subplots(1, len(panels), (PANEL_INCHES * len(panels), PANEL_INCHES + 1.1))
    fontsize = max(6.0, min(22.0, 72 * PANEL_INCHES / (n + 1) * 0.62))
    for ax, panel in zip(axes[0], panels):
        draw_board(ax, panel, n, fontsize)
    fig.suptitle(figure_title(trace, len(panels) - 1), fontsize=10)
    extra = [("queen: its row's column", Line2D([], [], linestyle="none", marker="$\u265b$", markersize=10,
                                                 color="0.3")),
             ("at right: columns an open row has left", Line2D([], [], linestyle="none", marker="$3$", markersize=6,
                                                                color="0.4"))]
    add_legend(fig, used_styles(panels), extra, ncol=3)
    return fig, panels


def draw_nqueens_trace(trace: Any, path: str | Path, max_panels: int = 6) -> Path:
    """A PNG of the N-Queens boards at ``path``; returns the file written (``.png`` added when missing)."""
    path = png_path(path)
    fig, _ = nqueens_figure(trace, max_panels)
    return save_png(fig, path)


__all__ = ["draw_board", "draw_nqueens_trace", "nqueens_figure"]

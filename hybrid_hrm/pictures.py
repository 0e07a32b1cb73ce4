"""Pictures of a trace: one board per cycle, so a person can follow the reasoning.

Each panel is the board AFTER one H cycle (:func:`domains.trace_panels.trace_panels`):
givens in black, the committed subgoals still standing in green, the
variables propagation decided in blue, this cycle's rejected subgoals
small, red and struck through, backed-out ones orange; the shading counts
the candidates left (darker = more open).  The last panel is the verified
answer, its cells the loop had not decided in purple.  The title of each
panel gives the cycle's numbers (``cycle 2: 3 accepted, 1 rejected, 28
decided``), the legend below the panels explains the styles.  Grid
domains (Sudoku) are drawn as their grid; other domains as a near-square
grid of their variables.  A domain draws its own picture by overriding
:meth:`domains.base.Domain.draw_trace` (KenKen, N-Queens, mazes do).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

from domains.drawing import add_legend, draw_grid_panel, panel_fontsize, png_path, save_png, subplots, used_styles
from domains.trace_panels import Panel, figure_title, trace_panels

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from domains.base import Domain

    from .trace import Trace

PANEL_INCHES = 3.2


def is_grid(trace: Trace, num_variables: int) -> bool:
    """Whether the trace's shape is a 2-D grid of its variables (Sudoku), drawn as that grid."""
    return len(trace.shape) == 2 and trace.shape[0] * trace.shape[1] == num_variables


def grid_shape(trace: Trace, num_variables: int) -> tuple[int, int]:
    """``(rows, cols)`` of the board: the trace's 2-D shape, else a near-square grid of the variables."""
    if is_grid(trace, num_variables):
        return trace.shape[0], trace.shape[1]
    cols = max(math.ceil(math.sqrt(num_variables)), 1)
    return max(math.ceil(num_variables / cols), 1), cols


def _sudoku_boxes(ax: Axes, trace: Trace, rows: int, cols: int) -> None:
    """The thick box lines of a Sudoku board (``box x box`` boxes on a ``box^2`` grid)."""
    box = math.isqrt(cols) if trace.domain == "sudoku" else 0
    if box and box * box == cols == rows:
        for i in range(0, cols + 1, box):
            ax.plot([i, i], [0, rows], color="black", linewidth=1.5)
            ax.plot([0, cols], [i, i], color="black", linewidth=1.5)


def trace_figure(trace: Trace, max_panels: int = 6) -> tuple[Figure, list[Panel]]:
    """The generic boards of ``trace`` as a figure, with the panels it drew (what tests read).

    One row of boards, the state after each drawn cycle and the answer, a
    title naming the halt reason (and any cycles left out), the legend of
    the styles used below.
    """
    from matplotlib.patches import Patch

    V = len(trace.givens or []) or len(trace.variable_names)
    rows, cols = grid_shape(trace, V)
    names = None if is_grid(trace, V) else [str(n) for n in trace.variable_names[:V]]
    panels = trace_panels(trace, max_panels)
    fig, axes = subplots(1, len(panels), (PANEL_INCHES * len(panels), PANEL_INCHES * rows / cols + 1.2))
    fontsize = panel_fontsize(cols, PANEL_INCHES) * 0.8
    for ax, panel in zip(axes[0], panels):
        draw_grid_panel(ax, panel, rows, cols, list(trace.value_names), fontsize, names)
        _sudoku_boxes(ax, trace, rows, cols)
    fig.suptitle(figure_title(trace, len(panels) - 1), fontsize=10)
    extra = [("shading: candidates left (darker = more)", Patch(facecolor=(0.55, 0.65, 1.0), edgecolor="0.75"))]
    add_legend(fig, used_styles(panels), extra if len(panels) > 1 else [])
    return fig, panels


def plot_trace(trace: Trace, domain: Domain | None, path: str | Path, max_panels: int = 6) -> Path:
    """Draw ``trace`` to a PNG at ``path`` and return the file written.

    The domain's own drawing (:meth:`~domains.base.Domain.draw_trace`) when
    it has one, else the generic boards (also when ``domain`` is ``None``).
    ``.png`` is appended when ``path`` lacks it (the returned path says
    so); a missing folder is a :class:`~solvers.errors.ConfigError`,
    raised before anything is drawn.
    """
    path = png_path(path)
    own = None if domain is None else domain.draw_trace(trace, path)
    if own is not None:
        return Path(own)
    fig, _ = trace_figure(trace, max_panels)
    return save_png(fig, path)

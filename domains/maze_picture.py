"""The picture of a maze solve: walls, the answer path, S and G, and the subgoals the loop proposed.

:meth:`domains.maze.MazeDomain.draw_trace` draws with :func:`draw_maze_trace`;
a trace (:class:`hybrid_hrm.trace.Trace`) gives ``shape``, ``givens``,
``final_values``, ``cycles`` (each with ``accepted``, ``rejected`` and
``backed_out`` subgoals), ``search`` and ``halt_reason``.

Which end is the start: the instance's ``meta`` knows (``start``,
``goal``, as :func:`domains.maze.endpoints` reads them); a trace carrying
it as ``trace.meta`` is labelled ``S`` and ``G`` from it.  Givens alone
cannot tell (both ends are given ``on``), so a trace without it has both
ends labelled ``S/G``, never a guess.  (``domains.maze`` imports this
module, so the rule is restated here rather than imported.)
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from solvers.errors import InvalidPuzzleError
from solvers.graph import OFF, ON

from .drawing import png_path, save_png, subplots

if TYPE_CHECKING:
    from matplotlib.figure import Figure

#: The subgoal kinds drawn over the maze: (legend label, marker style).
SUBGOAL_STYLES = {
    "accepted": ("accepted waypoint", dict(marker="o", color="green")),
    "rejected": ("rejected subgoal", dict(marker="x", color="red")),
    "backed_out": ("backed out after a contradiction", dict(marker="x", color="darkorange")),
}


def maze_ends(trace: Any) -> list[tuple[int, str]]:
    """The two ends of the traced maze as ``(cell, label)``: ``S`` and ``G``, or ``S/G`` twice when unknown.

    The start and goal come from ``trace.meta`` (the instance's meta; see
    the module docstring).  A trace without them cannot tell the start
    from the goal (a shortest path reads the same both ways), so both
    ends are labelled ``S/G`` rather than guessed.
    """
    givens = np.asarray(trace.givens)
    meta = trace.meta
    start, goal = meta.get("start"), meta.get("goal")
    if start is not None and goal is not None and givens[start] == ON and givens[goal] == ON:
        return [(int(start), "S"), (int(goal), "G")]
    ends = np.flatnonzero(givens == ON)
    if ends.size != 2:
        raise InvalidPuzzleError(f"a maze has exactly two endpoints (S and G), found {ends.size}")
    return [(int(v), "S/G") for v in ends]


def maze_image(trace: Any) -> np.ndarray:
    """``[H, W, 3]`` colours: walls dark, open cells white, the answer path (when verified) light blue."""
    H, W = trace.shape
    givens = np.asarray(trace.givens).reshape(H, W)
    image = np.ones((H, W, 3))
    image[givens == OFF] = (0.15, 0.15, 0.2)
    if trace.final_values is not None:
        on = (np.asarray(trace.final_values).reshape(H, W) == ON) & (givens != OFF)
        image[on] = (0.55, 0.7, 1.0)
    return image


def subgoal_cells(trace: Any) -> dict[str, list[tuple[int, int]]]:
    """``(row, col)`` of every subgoal of every cycle by kind; accepted ones only when a waypoint (``on``)."""
    W = trace.shape[1]
    cells: dict[str, list[tuple[int, int]]] = {kind: [] for kind in SUBGOAL_STYLES}
    for cyc in trace.cycles:
        cells["accepted"] += [divmod(int(v), W) for v, k in cyc.accepted if k == ON]
        cells["rejected"] += [divmod(int(v), W) for v, _k, _why in cyc.rejected]
        cells["backed_out"] += [divmod(int(v), W) for v, _k in cyc.backed_out]
    return cells


def _title(trace: Any) -> str:
    title = trace.halt_reason or ""
    if trace.search is not None:
        title += f"\nsearch ({trace.search.guide}): {trace.search.status}, {trace.search.nodes} cells expanded"
    return title


def maze_figure(trace: Any) -> Figure:
    """The maze of ``trace`` as a figure: image, ``S``/``G`` labels, subgoal markers, title, legend inside."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    H, W = trace.shape
    fig, axes = subplots(1, 1, (max(4.0, W * 0.22), max(4.0, H * 0.22) + 0.7))
    ax = axes[0][0]
    ax.imshow(maze_image(trace), interpolation="nearest")
    ends = maze_ends(trace)
    for cell, label in ends:
        r, c = divmod(cell, W)
        ax.text(c, r, label, ha="center", va="center", fontsize=8 if len(label) == 1 else 6, fontweight="bold",
                color="black", gid=f"end:{label}")
    known = ends[0][1] == "S"
    handles = [Patch(facecolor=(0.55, 0.7, 1.0), label="path (verified answer)"),
               Line2D([], [], linestyle="none", marker="$S$" if known else "$S/G$", markersize=8 if known else 14,
                      color="black", label="S start, G goal" if known else "an end (the trace does not say which)")]
    for kind, pts in subgoal_cells(trace).items():
        label, style = SUBGOAL_STYLES[kind]
        if pts:
            ax.scatter([c for _, c in pts], [r for r, _ in pts], s=18, linewidths=1.2, **style)
            handles.append(Line2D([], [], linestyle="none", markersize=6, markeredgewidth=1.5, label=label, **style))
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(_title(trace), fontsize=8)
    fig.legend(handles=handles, loc="outside lower center", ncol=2, frameon=False, fontsize=7)
    return fig


def draw_maze_trace(trace: Any, path: str | Path) -> Path:
    """A PNG of the maze at ``path``: walls, the answer path, S and G, and the subgoals of the loop.

    Green dots: ``on`` waypoints the layer accepted; red crosses: rejected
    subgoals; orange crosses: commits backed out after a contradiction.
    Returns the file written (``.png`` appended when missing; a missing
    folder is a :class:`~solvers.errors.ConfigError`).
    """
    path = png_path(path)
    return save_png(maze_figure(trace), path)


__all__ = ["draw_maze_trace", "maze_ends", "maze_figure", "subgoal_cells"]

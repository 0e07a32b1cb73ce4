"""The picture of a maze solve: walls, the answer path, and the subgoals the loop proposed.

:meth:`domains.maze.MazeDomain.draw_trace` draws with :func:`draw_maze_trace`;
a trace (:class:`hybrid_hrm.trace.Trace`) gives ``shape``, ``givens``,
``final_values``, ``cycles`` (each with ``accepted``, ``rejected`` and
``backed_out`` subgoals), ``search`` and ``halt_reason``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from solvers.graph import OFF, ON


def draw_maze_trace(trace: Any, path: str | Path) -> Path:
    """A PNG of the maze at ``path``: walls, the answer path, and the subgoals of the loop.

    Green dots: ``on`` waypoints the layer accepted; red crosses: rejected
    subgoals; orange crosses: commits backed out after a contradiction.
    Returns the path written.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    H, W = trace.shape
    givens = np.asarray(trace.givens).reshape(H, W)
    image = np.ones((H, W, 3))
    image[givens == OFF] = (0.15, 0.15, 0.2)
    if trace.final_values is not None:
        on = (np.asarray(trace.final_values).reshape(H, W) == ON) & (givens != OFF)
        image[on] = (0.55, 0.7, 1.0)
    fig, ax = plt.subplots(figsize=(max(4.0, W * 0.22), max(4.0, H * 0.22) + 0.8))
    ax.imshow(image, interpolation="nearest")
    for v in np.flatnonzero(givens.reshape(-1) == ON):
        r, c = divmod(int(v), W)
        ax.text(c, r, "E", ha="center", va="center", fontsize=7, fontweight="bold", color="black")
    accepted = [(v, k) for cyc in trace.cycles for v, k in cyc.accepted]
    rejected = [(v, k) for cyc in trace.cycles for v, k, _ in cyc.rejected]
    backed = [(v, k) for cyc in trace.cycles for v, k in cyc.backed_out]
    for cells, style in ((accepted, dict(marker="o", color="green")), (rejected, dict(marker="x", color="red")),
                         (backed, dict(marker="x", color="darkorange"))):
        pts = [divmod(int(v), W) for v, k in cells if k == ON or style["marker"] == "x"]
        if pts:
            ax.scatter([c for _, c in pts], [r for r, _ in pts], s=18, linewidths=1.2, **style)
    ax.set_xticks([])
    ax.set_yticks([])
    search = trace.search
    title = trace.halt_reason or ""
    if search is not None:
        title += f"\nsearch ({search.guide}): {search.status}, {search.nodes} cells expanded"
    ax.set_title(title, fontsize=8)
    fig.text(0.5, 0.01, "E: S or G   blue: path   green: accepted waypoint   red: rejected   orange: backed out",
             ha="center", fontsize=7)
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


__all__ = ["draw_maze_trace"]

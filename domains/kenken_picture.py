"""The picture of a KenKen solve: the grid per cycle with its cages, each cage's target and operation.

:meth:`domains.kenken.KenKenDomain.draw_trace` draws with
:func:`draw_kenken_trace`.  Each panel is the state after one cycle
(:func:`domains.trace_panels.trace_panels`), drawn as a grid
(:func:`domains.drawing.draw_grid_panel`), with thick borders between
cells of different cages and the cage's clue (``12×``, ``2÷``, ``3−``,
``7+``, or the digit of a one-cell cage) in its first cell's top-left
corner.

The cages are the instance's structure (``instance.meta["structure"]``, a
tuple of ``(op, target, cells)``); a trace carries them as
``trace.meta["structure"]``.  A trace without them is drawn as the plain
Latin square, its title saying the cages are not recorded.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from .drawing import add_legend, draw_grid_panel, panel_fontsize, png_path, save_png, subplots, used_styles
from .trace_panels import Panel, figure_title, trace_panels

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

#: The clue's operation as printed on a KenKen ("=": a one-cell cage, its target alone).
OP_SIGNS = {"+": "+", "-": "\u2212", "*": "\u00d7", "/": "\u00f7", "=": ""}
PANEL_INCHES = 3.0


def trace_cages(trace: Any) -> tuple[tuple[str, int, tuple[int, ...]], ...] | None:
    """The cages ``(op, target, cells)`` the trace carries in ``trace.meta["structure"]``, or ``None``."""
    meta = trace.meta
    cages = meta.get("structure")
    return None if cages is None else tuple((str(op), int(t), tuple(int(v) for v in cells)) for op, t, cells in cages)


def cage_label(op: str, target: int) -> str:
    """The clue written in a cage: ``"12×"``, ``"3−"``, ``"4"`` (one cell).

    >>> cage_label("*", 12), cage_label("-", 3), cage_label("=", 4)
    ('12×', '3−', '4')
    """
    return f"{target}{OP_SIGNS.get(op, op)}"


def cage_edges(cages: tuple[tuple[str, int, tuple[int, ...]], ...], n: int) -> list[tuple[tuple[int, int], ...]]:
    """The unit segments ``((x0, y0), (x1, y1))`` between cells of different cages (inner edges only).

    Board coordinates of :func:`domains.drawing.cell_xy`: row 0 at the top, so row ``r`` spans ``y`` in
    ``[n - 1 - r, n - r]``.
    """
    owner = {v: i for i, (_op, _t, cells) in enumerate(cages) for v in cells}
    edges = []
    for v in range(n * n):
        r, c = divmod(v, n)
        if c + 1 < n and owner.get(v) != owner.get(v + 1):
            edges.append(((c + 1, n - 1 - r), (c + 1, n - r)))
        if r + 1 < n and owner.get(v) != owner.get(v + n):
            edges.append(((c, n - 1 - r), (c + 1, n - 1 - r)))
    return edges


def draw_cages(ax: Axes, cages: tuple[tuple[str, int, tuple[int, ...]], ...], n: int, fontsize: float) -> None:
    """Thick cage borders, the outer frame, and each cage's clue in its first cell (``gid`` ``cage:V``)."""
    for (x0, y0), (x1, y1) in cage_edges(cages, n):
        ax.plot([x0, x1], [y0, y1], color="black", linewidth=2.0, solid_capstyle="projecting")
    ax.plot([0, n, n, 0, 0], [0, 0, n, n, 0], color="black", linewidth=2.0)
    for op, target, cells in cages:
        first = min(cells)
        r, c = divmod(first, n)
        ax.text(c + 0.06, n - r - 0.06, cage_label(op, target), ha="left", va="top", fontsize=fontsize,
                color="0.15", gid=f"cage:{first}")


def kenken_figure(trace: Any, max_panels: int = 6) -> tuple[Figure, list[Panel]]:
    """The grids of a KenKen trace with their cages, one per drawn cycle and the answer, with a legend."""
    from matplotlib.patches import Patch

    n = int(trace.shape[0]) if trace.shape else round(len(trace.givens or []) ** 0.5)
    cages = trace_cages(trace)
    panels = trace_panels(trace, max_panels)
    fig, axes = subplots(1, len(panels), (PANEL_INCHES * len(panels), PANEL_INCHES + 1.1))
    fontsize = panel_fontsize(n, PANEL_INCHES)
    for ax, panel in zip(axes[0], panels):
        draw_grid_panel(ax, panel, n, n, list(trace.value_names), fontsize)
        if cages is not None:
            draw_cages(ax, cages, n, fontsize * 0.45)
    title = figure_title(trace, len(panels) - 1)
    if cages is None:
        title += "\n(cages not recorded in this trace)"
    fig.suptitle(title, fontsize=10)
    extra = [("shading: candidates left (darker = more)", Patch(facecolor=(0.55, 0.65, 1.0), edgecolor="0.75"))]
    if cages is not None:
        extra.append(("thick lines: cages; corner: target and operation", Patch(facecolor="white", edgecolor="black",
                                                                               linewidth=2)))
    add_legend(fig, used_styles(panels), extra if len(panels) > 1 else extra[1:], ncol=3)
    return fig, panels


def draw_kenken_trace(trace: Any, path: str | Path, max_panels: int = 6) -> Path:
    """A PNG of the KenKen grids at ``path``; returns the file written (``.png`` added when missing)."""
    path = png_path(path)
    fig, _ = kenken_figure(trace, max_panels)
    return save_png(fig, path)


__all__ = ["cage_edges", "cage_label", "draw_kenken_trace", "kenken_figure", "trace_cages"]

"""What every picture of a solve shares: the PNG file, the styles, the legend, a grid board.

Every picture in the package (the generic trace boards, the Sudoku, KenKen,
N-Queens and maze pictures, the bench plot) writes its file with
:func:`save_png`, so they all behave alike: a path without the ``.png``
suffix gets it (and the returned path is the file written, so callers print
the truth), a missing folder is a :class:`~solvers.errors.ConfigError`
rather than an internal error deep in matplotlib, and the saved area is
the figure's tight bounding box, so no legend or title is cut at the edges.

:data:`STYLES` names the look of each kind of cell state (see
:mod:`domains.trace_panels`), and :func:`add_legend` explains the styles
a picture used, below its panels.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from solvers.errors import ConfigError

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from .trace_panels import Mark, Panel


@dataclass(frozen=True)
class Style:
    """How one kind of cell state is drawn, and what the legend says about it."""

    label: str
    color: str
    crossed: bool = False


#: The cell states of :class:`domains.trace_panels.Panel`, in legend order.
STYLES: dict[str, Style] = {
    "given": Style("given", "black"),
    "committed": Style("committed subgoal (still standing)", "forestgreen"),
    "propagated": Style("decided by propagation", "royalblue"),
    "decided": Style("decided (value not recorded)", "0.55"),
    "answer": Style("answer cell the cycles had not decided", "purple"),
    "rejected": Style("rejected subgoal (this cycle)", "red", crossed=True),
    "backed_out": Style("backed out after a contradiction (this cycle)", "darkorange", crossed=True),
}


def pyplot() -> Any:
    """``matplotlib.pyplot`` on the non-interactive Agg backend (pictures are files, never windows)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def subplots(rows: int, cols: int, figsize: tuple[float, float]) -> tuple[Figure, Any]:
    """A figure of ``rows x cols`` axes (a 2-D array) in the constrained layout: titles and legend never overlap."""
    return pyplot().subplots(rows, cols, figsize=figsize, squeeze=False, layout="constrained")


def png_path(path: str | Path) -> Path:
    """The file a PNG written to ``path`` lands in: ``.png`` appended when the suffix is not ``.png``.

    Checked before drawing, so a bad folder fails fast with a clear message.

    >>> png_path("trace.png").name, png_path("adir").name, png_path("run.v2").name
    ('trace.png', 'adir.png', 'run.v2.png')
    >>> png_path("/no/such/folder/x.png")
    Traceback (most recent call last):
    ...
    solvers.errors.ConfigError: cannot write /no/such/folder/x.png: /no/such/folder does not exist
    """
    path = Path(path)
    if path.suffix.lower() != ".png":
        path = path.with_name(path.name + ".png")
    folder = path.parent
    if not folder.is_dir():
        what = "is a file, not a folder" if folder.exists() else "does not exist"
        raise ConfigError(f"cannot write {path}: {folder} {what}")
    return path


def save_png(fig: Figure, path: str | Path, dpi: int = 120) -> Path:
    """Write ``fig`` as a PNG (tight box: legends never cut), close it, and return the file written."""
    plt = pyplot()
    try:
        out = png_path(path)
        fig.savefig(out, format="png", dpi=dpi, bbox_inches="tight", pad_inches=0.15)
    finally:
        plt.close(fig)
    return out


def add_legend(fig: Figure, styles: list[str], extra: Sequence[tuple[str, Any]] = (), ncol: int = 4) -> Any:
    """A legend below the panels explaining ``styles`` (keys of :data:`STYLES`) and ``extra`` handles.

    ``fig`` must use the constrained layout (:func:`subplots`), which makes
    room for the legend inside the figure; :func:`save_png`'s tight box
    keeps anything else near an edge in the file too.
    """
    from matplotlib.lines import Line2D

    handles, labels = [], []
    for key in styles:
        style = STYLES[key]
        marker = "x" if style.crossed else "s"
        handles.append(Line2D([], [], linestyle="none", marker=marker, markersize=8, markeredgewidth=2,
                              color=style.color))
        labels.append(style.label)
    for label, handle in extra:
        handles.append(handle)
        labels.append(label)
    return fig.legend(handles, labels, loc="outside lower center", ncol=min(ncol, len(labels)), frameon=False,
                      fontsize=8)


def used_styles(panels: list[Panel]) -> list[str]:
    """The keys of :data:`STYLES` that some panel draws, in legend order."""
    used = {cell.style for p in panels for cell in p.cells.values()} | {m.style for p in panels for m in p.marks}
    return [key for key in STYLES if key in used]


def shade(count: int | None, num_values: int) -> tuple[float, float, float]:
    """The fill of an undecided cell: darker blue the more candidates it has left (white when decided)."""
    if count is None or count <= 1:
        return (1.0, 1.0, 1.0)
    s = (count - 1) / max(num_values - 1, 1)
    return (1 - 0.45 * s, 1 - 0.35 * s, 1.0)


def cell_xy(v: int, rows: int, cols: int) -> tuple[int, int]:
    """The lower-left corner of row-major variable ``v`` on a board drawn with row 0 at the top."""
    return v % cols, rows - 1 - v // cols


def board_axes(ax: Axes, title: str, rows: int, cols: int) -> None:
    """Frame ``ax`` as a ``rows x cols`` board of unit cells, no ticks, ``title`` above it."""
    ax.set_xlim(-0.03, cols + 0.03)  # the margin keeps the outer lines whole
    ax.set_ylim(-0.03, rows + 0.03)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(title, fontsize=8.5)


def draw_mark(ax: Axes, mark: Mark, xy: tuple[float, float], text: str, fontsize: float, alone: bool) -> None:
    """A rejected or backed-out subgoal, struck through, with the cell outlined in its colour.

    ``alone`` (the cell shows nothing else): large at the centre; else
    small at the bottom left (rejected) or right (backed out), so the
    cell's own value stays readable.
    """
    from matplotlib.patches import Rectangle

    x, y = xy
    color = STYLES[mark.style].color
    ax.add_patch(Rectangle((x + 0.04, y + 0.04), 0.92, 0.92, fill=False, edgecolor=color, linewidth=1.4))
    if alone:
        cx, cy, size, half = x + 0.5, y + 0.5, fontsize, 0.3
    else:
        cx, cy, size, half = x + (0.24 if mark.style == "rejected" else 0.76), y + 0.24, fontsize * 0.72, 0.18
    ax.text(cx, cy, text, ha="center", va="center", fontsize=size, fontweight="bold", color=color,
            gid=f"mark:{mark.variable}:{mark.style}")
    ax.plot([cx - half, cx + half], [cy - half, cy + half], color=color, linewidth=1.3)


def draw_grid_panel(ax: Axes, panel: Panel, rows: int, cols: int, value_names: list[str], fontsize: float,
                    names: list[str] | None = None) -> None:
    """One board of a grid trace: shaded cells, each decided cell's value in its style, the crossed marks.

    Row-major variables, row 0 at the top; with ``names`` (a domain that
    is no grid), only that many cells, each with its variable's name in
    its top-left corner.  Each text carries a ``gid`` (``cell:V:STYLE``,
    ``mark:V:STYLE``) naming what it shows.
    """
    from matplotlib.patches import Rectangle

    board_axes(ax, panel.title, rows, cols)
    K = len(value_names)
    for v in range(rows * cols if names is None else len(names)):
        count = None if panel.counts is None else panel.counts[v]
        x, y = cell_xy(v, rows, cols)
        ax.add_patch(Rectangle((x, y), 1, 1, facecolor=shade(count, K), edgecolor="0.75", linewidth=0.5))
        if names is not None:
            ax.text(x + 0.05, y + 0.95, names[v], ha="left", va="top", fontsize=fontsize * 0.45, color="0.45")
    for v, cell in panel.cells.items():
        x, y = cell_xy(v, rows, cols)
        text = "\u00b7" if cell.value < 0 else value_names[cell.value]
        ax.text(x + 0.5, y + 0.56, text, ha="center", va="center", fontsize=fontsize, fontweight="bold",
                color=STYLES[cell.style].color, gid=f"cell:{v}:{cell.style}")
    marked = [m.variable for m in panel.marks]
    for mark in panel.marks:
        alone = mark.variable not in panel.cells and marked.count(mark.variable) == 1
        draw_mark(ax, mark, cell_xy(mark.variable, rows, cols), value_names[mark.value], fontsize, alone)


def panel_fontsize(cols: int, panel_inches: float) -> float:
    """A value's font size for a board ``cols`` cells wide drawn ``panel_inches`` wide."""
    return max(5.0, min(16.0, 72 * panel_inches / cols * 0.42))


__all__ = [
    "STYLES", "Style", "add_legend", "board_axes", "cell_xy", "draw_grid_panel", "draw_mark", "panel_fontsize",
    "png_path", "pyplot", "save_png", "shade", "subplots", "used_styles",
]

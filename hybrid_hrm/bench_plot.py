"""The picture of a benchmark report: time per solved puzzle and search nodes by method, and the cycle sweep.

The time boxes hold only the puzzles a method solved (verified): a method
that solves nothing has no box ("none solved") rather than a box of the
fast failures that would make it look as quick as the solvers.  Every
method's label gives its solved count (``"neural\\n0/200 solved"``).
Which puzzles a method solved comes from ``solved_per_puzzle`` in its
report entry (:func:`hybrid_hrm.bench.summarize` writes it); an older
report without it is exact when a method solved all or none of the
puzzles, and otherwise its box (all puzzles) is drawn hatched and says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from domains.drawing import png_path, save_png, subplots

if TYPE_CHECKING:
    from matplotlib.figure import Figure


@dataclass
class MethodBox:
    """One method's time box: its label, the times of its solved puzzles, and what they are."""

    name: str
    label: str  # "neural\n0/200 solved"
    times: list[float] = field(default_factory=list)  # ms of the solved puzzles (all puzzles when not exact)
    exact: bool = True  # False: per-puzzle results unknown, times are of every puzzle


def method_box(name: str, method: dict[str, Any], puzzles: int) -> MethodBox:
    """The box of one method: only its solved puzzles' times (module docstring)."""
    ms = [float(t) for t in method["ms_per_puzzle"]]
    solved = int(method["solved"])
    label = f"{name}\n{solved}/{puzzles} solved"
    flags = method.get("solved_per_puzzle")
    if flags is not None and len(flags) == len(ms):
        return MethodBox(name, label, [t for t, ok in zip(ms, flags) if ok])
    if solved == 0:
        return MethodBox(name, label, [])
    if solved == len(ms):
        return MethodBox(name, label, ms)
    return MethodBox(name, label + "\n(times: all puzzles)", ms, exact=False)


def report_boxes(report: dict[str, Any]) -> list[MethodBox]:
    """The time boxes of every method of ``report``, in the report's order."""
    return [method_box(name, m, int(report["puzzles"])) for name, m in report["methods"].items()]


def _time_panel(ax: Any, report: dict[str, Any], boxes: list[MethodBox]) -> None:
    """Box plot of ms per solved puzzle (log scale); "none solved" where a method has no box."""
    filled = [i for i, b in enumerate(boxes) if b.times]
    if filled:
        art = ax.boxplot([boxes[i].times for i in filled], positions=[i + 1 for i in filled], showfliers=False,
                         patch_artist=True)
        for i, patch in zip(filled, art["boxes"]):
            patch.set_facecolor("white" if boxes[i].exact else "0.9")
            patch.set_hatch("" if boxes[i].exact else "//")
        ax.set_yscale("log")
    for i, b in enumerate(boxes):
        if not b.times:
            ax.text(i + 1, 0.5, "none\nsolved", transform=ax.get_xaxis_transform(), ha="center", va="center",
                    fontsize=8, color="firebrick", gid=f"none:{b.name}")
    ax.set_xlim(0.5, len(boxes) + 0.5)
    ax.set_xticks(range(1, len(boxes) + 1), [b.label for b in boxes], rotation=35, ha="right", fontsize=8)
    ax.set_ylabel("ms per solved puzzle")
    ax.set_title(f"{report['domain']}: time per solved puzzle ({report['puzzles']} puzzles)")


def _nodes_panel(ax: Any, report: dict[str, Any], boxes: list[MethodBox]) -> None:
    """Bars of mean search nodes, for the methods whose solvers count nodes (log scale)."""
    methods = report["methods"]
    counted = [b for b in boxes if (methods[b.name].get("mean_nodes") or 0) > 0]
    ax.bar(range(len(counted)), [methods[b.name]["mean_nodes"] for b in counted])
    if counted:
        ax.set_yscale("log")
    ax.set_xticks(range(len(counted)), [b.label for b in counted], rotation=35, ha="right", fontsize=8)
    ax.set_ylabel("mean search nodes (all puzzles)")
    ax.set_title("search nodes per puzzle")


def _sweep_panel(ax: Any, sweep: dict[str, Any]) -> None:
    """The loop's no-search solve rate against its cycle budget, one line per mode."""
    for mode, rates in sweep["rates"].items():
        ax.plot(sweep["cycles"], rates, marker="o", label=mode)
    ax.set_xscale("log", base=2)
    ax.set_xlabel("cycle budget")
    ax.set_ylabel("solved without search")
    ax.set_title("the loop alone vs its cycle budget")
    ax.legend(fontsize=8, loc="best")


def _breadth_panels(rate_ax: Any, time_ax: Any, grid: dict[str, Any]) -> None:
    """Solve rate and time per puzzle against breadth: one line per mode and cycle budget."""
    styles = {"hybrid-nosearch": "-", "hybrid-uniform-nosearch": "--"}
    for mode in dict.fromkeys(p["mode"] for p in grid["points"]):
        for cycles in grid["cycles"]:
            points = sorted((p for p in grid["points"] if p["mode"] == mode and p["cycles"] == cycles),
                            key=lambda p: p["breadth"])
            label = f"{'network' if 'uniform' not in mode else 'uniform'}, {cycles} cycles"
            breadth = [p["breadth"] for p in points]
            rate_ax.plot(breadth, [p["rate"] for p in points], styles.get(mode, "-"), marker="o", label=label)
            time_ax.plot(breadth, [p["mean_ms"] for p in points], styles.get(mode, "-"), marker="o", label=label)
    for ax, what in ((rate_ax, "solved without search"), (time_ax, "ms per puzzle (mean)")):
        ax.set_xscale("log", base=2)
        ax.set_xlabel("breadth (trajectories per puzzle)")
        ax.set_ylabel(what)
        ax.legend(fontsize=7, loc="best")
    time_ax.set_yscale("log")
    rate_ax.set_title("the loop alone vs breadth (network solid, uniform dashed)")
    time_ax.set_title("time per puzzle vs breadth")


def report_figure(report: dict[str, Any]) -> tuple[Figure, list[MethodBox]]:
    """The report's panels as a figure (time per solved puzzle, search nodes, the sweeps), with the boxes drawn."""
    sweep, grid = report.get("cycle_sweep"), report.get("breadth_sweep")
    panels = 2 + (1 if sweep else 0) + (2 if grid else 0)
    fig, axes = subplots(1, panels, (5.5 * panels, 4.8))
    boxes = report_boxes(report)
    _time_panel(axes[0][0], report, boxes)
    _nodes_panel(axes[0][1], report, boxes)
    if sweep:
        _sweep_panel(axes[0][2], sweep)
    if grid:
        _breadth_panels(axes[0][panels - 2], axes[0][panels - 1], grid)
    return fig, boxes


def plot_report(report: dict[str, Any], path: str | Path) -> Path:
    """Draw the report (:func:`report_figure`) to a PNG and return the file written.

    ``.png`` is appended when ``path`` lacks it; a missing folder is a
    :class:`~solvers.errors.ConfigError`, raised before anything is drawn.
    """
    path = png_path(path)
    fig, _ = report_figure(report)
    return save_png(fig, path, dpi=110)

"""Pictures that show the truth: what each panel draws, read from its records and artists, not its pixels."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import domains
import hybrid_hrm as hh
from domains.drawing import STYLES
from domains.kenken_picture import cage_edges, cage_label, kenken_figure
from domains.maze_picture import draw_maze_trace, maze_figure
from domains.nqueens_picture import nqueens_figure
from domains.trace_panels import standing_commits, trace_panels
from hybrid_hrm.bench_plot import plot_report, report_boxes, report_figure
from hybrid_hrm.pictures import plot_trace, trace_figure
from hybrid_hrm.trace import CycleRecord, Trace
from solvers.errors import ConfigError

HARD = "7.8...3.....6.1...4.........6.....253...8.......1...9..9.5....2....7.4..........."  # top1465 #16


def _loop(domain, puzzle, cycles: int = 4, seed: int = 0):
    """A solve whose loop always runs (no probe search first), with the uniform policy: no weights needed."""
    solver = hh.HybridSolver(domain, config=hh.BridgeConfig(probe_nodes=0, max_cycles=cycles, seed=seed))
    return solver.solve(puzzle, mode="hybrid-uniform")


@pytest.fixture(scope="module")
def sudoku_trace() -> Trace:
    trace = _loop("sudoku", HARD).trace
    assert any(c.backed_out for c in trace.cycles) and any(c.rejected for c in trace.cycles)
    return trace


def _gids(ax, prefix: str) -> list[str]:
    return [t.get_gid() for t in ax.texts if (t.get_gid() or "").startswith(prefix)]


def _texts_inside(fig) -> None:
    """Everything ``fig`` draws lies inside the figure: each axes with its titles, labels and texts, the
    figure's own texts and legends (nothing cut at the image edges)."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    box = fig.bbox
    own = [t for t in fig.texts if t.get_text()] + ([fig._suptitle] if fig._suptitle is not None else [])
    extents = [a.get_window_extent(renderer) for a in own + list(fig.legends)]
    extents += [ax.get_tightbbox(renderer) for ax in fig.axes if ax.get_visible()]
    for extent in extents:
        assert extent.x0 >= box.x0 - 1 and extent.x1 <= box.x1 + 1, extent
        assert extent.y0 >= box.y0 - 1 and extent.y1 <= box.y1 + 1, extent


def _close(fig) -> None:
    import matplotlib.pyplot as plt

    plt.close(fig)


# --- 1. panels accumulate: the state after each cycle ----------------------------------------------


def test_each_panel_shows_every_decided_cell_after_its_cycle(sudoku_trace):
    panels = trace_panels(sudoku_trace, max_panels=len(sudoku_trace.cycles) + 1)
    for panel, record in zip(panels, sudoku_trace.cycles):
        assert len(panel.cells) == record.decided  # "decided 28" shows 28 values, not the givens plus 3
        for v, cell in panel.cells.items():
            assert cell.value == record.values_after[v]
    answer = panels[-1]
    assert [answer.cells[v].value for v in range(81)] == sudoku_trace.final_values


def test_styles_tell_givens_commits_and_propagation_apart(sudoku_trace):
    panels = trace_panels(sudoku_trace)
    givens = [v for v, g in enumerate(sudoku_trace.givens) if g >= 0]
    commits = standing_commits(sudoku_trace.cycles)
    for i, (panel, record) in enumerate(zip(panels, sudoku_trace.cycles)):
        assert all(panel.cells[v].style == "given" for v in givens)
        assert {v: c.value for v, c in panel.cells.items() if c.style == "committed"} == commits[i]
        assert {m.style for m in panel.marks} <= {"rejected", "backed_out"}
        assert len(panel.marks) == len(record.rejected) + len(record.backed_out)
        assert panel.title.replace("\n", " ").startswith(
            f"cycle {record.cycle}: {len(record.accepted)} accepted, {len(record.rejected)} rejected,")
        assert panel.title.endswith(f"{record.decided} decided")
    assert any(c.style == "propagated" for p in panels for c in p.cells.values())


def test_the_figure_draws_the_panels_with_a_legend_inside(sudoku_trace):
    fig, panels = trace_figure(sudoku_trace)
    try:
        for ax, panel in zip(fig.axes, panels):
            assert len(_gids(ax, "cell:")) == len(panel.cells)
            assert len(_gids(ax, "mark:")) == len(panel.marks)
        [legend] = fig.legends
        labels = {t.get_text() for t in legend.get_texts()}
        assert {STYLES[k].label for k in ("given", "committed", "propagated", "rejected", "backed_out")} <= labels
        _texts_inside(fig)
    finally:
        _close(fig)


def _record(cycle, accepted=(), backed=(), rejected=(), values=None, counts=None) -> CycleRecord:
    values = list(values) if values is not None else None
    decided = sum(1 for k in values if k >= 0) if values is not None else sum(1 for n in counts if n == 1)
    return CycleRecord(cycle=cycle, proposed=[], accepted=list(accepted), rejected=list(rejected), pruned=0,
                       changed_by_l=0, decided=decided, backed_out=list(backed), candidate_counts=counts,
                       values_after=values)


def test_commits_stand_until_backed_out_and_the_answer_marks_what_the_loop_missed():
    trace = Trace(domain="toy", variable_names=["a", "b", "c", "d"], value_names=["1", "2", "3"],
                  givens=[0, -1, -1, -1], shape=(4,))
    trace.cycles = [
        _record(1, accepted=[(1, 1)], values=[0, 1, 2, -1]),  # b committed, c propagated
        _record(2, accepted=[(3, 0)], backed=[(3, 0), (1, 1)], values=[0, 2, -1, -1]),  # both undone
    ]
    trace.final_values = [0, 2, 1, 1]
    one, two, answer = trace_panels(trace)
    assert {v: (c.value, c.style) for v, c in one.cells.items()} == {0: (0, "given"), 1: (1, "committed"),
                                                                     2: (2, "propagated")}
    assert {v: (c.value, c.style) for v, c in two.cells.items()} == {0: (0, "given"), 1: (2, "propagated")}
    assert [(m.variable, m.style) for m in two.marks] == [(3, "backed_out"), (1, "backed_out")]
    assert {v: c.style for v, c in answer.cells.items()} == {0: "given", 1: "propagated", 2: "answer", 3: "answer"}


def test_a_trace_without_values_shows_decided_cells_without_inventing_values():
    trace = Trace(domain="toy", variable_names=list("ab"), value_names=["1", "2"], givens=[-1, -1])
    trace.cycles = [_record(1, counts=[1, 2])]
    [panel, _] = trace_panels(trace)
    assert {v: (c.value, c.style) for v, c in panel.cells.items()} == {0: (-1, "decided")}


def test_the_loop_records_the_values_after_each_cycle(sudoku_trace):
    for record in sudoku_trace.cycles:
        assert len(record.values_after) == 81
        assert [k >= 0 for k in record.values_after] == [n == 1 for n in record.candidate_counts]


# --- 2. N-Queens: a chess board with queens -----------------------------------------------------------


def test_nqueens_is_a_board_of_queens(tmp_path):
    result = _loop("nqueens", "2.......", cycles=8)
    trace = result.trace
    fig, panels = nqueens_figure(trace)
    try:
        for ax, panel in zip(fig.axes, panels):
            queens = sorted(_gids(ax, "queen:"))
            assert queens == sorted(f"queen:{row}:{c.value}:{c.style}" for row, c in panel.cells.items())
        last = fig.axes[len(panels) - 1]
        placed = {int(g.split(":")[1]): int(g.split(":")[2]) for g in _gids(last, "queen:")}
        assert [placed[row] for row in range(8)] == trace.final_values  # row r's queen in its column
        _texts_inside(fig)
    finally:
        _close(fig)
    out = trace.plot(tmp_path / "queens.png")  # the domain's own drawing, not the grid of numbers
    assert out == tmp_path / "queens.png" and out.stat().st_size > 1000
    assert domains.get("nqueens").draw_trace(trace, tmp_path / "q2.png") is not None


# --- 3. KenKen: cages, targets and operations ------------------------------------------------------


def test_cage_borders_and_clues():
    kenken = domains.get("kenken")
    inst = kenken.parse("abb/acc/dde a=1- b=2* c=3/ d=2* e=3")
    cages = inst.meta["structure"]
    # a: r1c1+r2c1, b: r1c2+r1c3, c: r2c2+r2c3, d: r3c1+r3c2, e: r3c3
    assert len(cage_edges(cages, 3)) == 8
    assert [cage_label(op, t) for op, t, _ in cages] == ["1\u2212", "2\u00d7", "3\u00f7", "2\u00d7", "3"]


def test_kenken_panels_draw_every_cage_clue():
    kenken = domains.get("kenken")
    [inst] = kenken.generate(np.random.default_rng(0), size=6)
    trace = _loop(kenken, inst, cycles=3, seed=1).trace
    trace.meta = dict(inst.meta)
    fig, panels = kenken_figure(trace)
    try:
        cages = inst.meta["structure"]
        for ax in fig.axes[:len(panels)]:
            labels = {t.get_gid(): t.get_text() for t in ax.texts if (t.get_gid() or "").startswith("cage:")}
            assert labels == {f"cage:{min(cells)}": cage_label(op, t) for op, t, cells in cages}
        _texts_inside(fig)
    finally:
        _close(fig)
    trace.meta = {}
    fig, _ = kenken_figure(trace)
    try:
        assert "cages not recorded" in fig.get_suptitle() and not _gids(fig.axes[0], "cage:")
    finally:
        _close(fig)


def test_a_solver_trace_carries_the_cages_and_maze_ends():
    kenken = domains.get("kenken")
    inst = kenken.parse("abb/acc/dde a=1- b=2* c=3/ d=2* e=3")
    assert hh.HybridSolver("kenken").solve(inst, mode="symbolic").trace.meta["structure"] == inst.meta["structure"]
    maze = domains.get("maze")
    ends = maze.parse("G  #\n## #\nS   ")
    trace = hh.HybridSolver("maze").solve(ends, mode="hybrid-uniform").trace
    assert (trace.meta["start"], trace.meta["goal"]) == (ends.meta["start"], ends.meta["goal"])


# --- 4. mazes: S and G, the legend inside ---------------------------------------------------------------


def _ends(fig) -> dict[str, tuple[float, float]]:
    return {t.get_gid(): t.get_position() for t in fig.axes[0].texts if (t.get_gid() or "").startswith("end:")}


def test_maze_labels_the_start_s_and_the_goal_g():
    maze = domains.get("maze")
    inst = maze.parse("G  #\n## #\nS   ")  # the goal first in row-major order
    trace = hh.HybridSolver("maze").solve(inst, mode="hybrid-uniform").trace
    trace.meta = dict(inst.meta)
    fig = maze_figure(trace)
    try:
        assert _ends(fig) == {"end:S": (0, 2), "end:G": (0, 0)}  # (column, row)
        assert not [t for t in fig.axes[0].texts if t.get_text() == "E"]
        _texts_inside(fig)
    finally:
        _close(fig)


def test_a_maze_trace_without_its_ends_does_not_guess():
    maze = domains.get("maze")
    trace = hh.HybridSolver("maze").solve(maze.parse("G  #\n## #\nS   "), mode="hybrid-uniform").trace
    trace.meta = {}  # a trace that lost its instance's meta
    fig = maze_figure(trace)
    try:
        labels = [t.get_text() for t in fig.axes[0].texts if (t.get_gid() or "").startswith("end:")]
        assert labels == ["S/G", "S/G"]
    finally:
        _close(fig)


# --- 5. bench plots: unsolved puzzles are not timed ----------------------------------------------------------


def _report(with_flags: bool) -> dict:
    methods = {
        "symbolic": {"solved": 3, "ms_per_puzzle": [5.0, 6.0, 7.0], "mean_nodes": 40.0},
        "neural": {"solved": 0, "ms_per_puzzle": [0.1, 0.1, 0.1], "mean_nodes": 0.0},
        "hybrid": {"solved": 2, "ms_per_puzzle": [9.0, 0.2, 11.0], "mean_nodes": 12.0},
        "ortools": {"solved": 3, "ms_per_puzzle": [3.0, 3.0, 4.0], "mean_nodes": None},
    }
    if with_flags:
        for m, flags in zip(methods.values(), ([1, 1, 1], [0, 0, 0], [1, 0, 1], [1, 1, 1])):
            m["solved_per_puzzle"] = [bool(f) for f in flags]
    return {"domain": "sudoku", "puzzles": 3, "methods": methods}


def test_bench_boxes_hold_only_solved_puzzles_and_labels_count_them():
    boxes = {b.name: b for b in report_boxes(_report(with_flags=True))}
    assert boxes["neural"].times == [] and boxes["neural"].label == "neural\n0/3 solved"
    assert boxes["hybrid"].times == [9.0, 11.0] and boxes["hybrid"].exact
    assert boxes["symbolic"].label == "symbolic\n3/3 solved"
    old = {b.name: b for b in report_boxes(_report(with_flags=False))}  # a report without per-puzzle flags
    assert old["neural"].times == [] and old["symbolic"].exact
    assert not old["hybrid"].exact and "all puzzles" in old["hybrid"].label


def test_bench_figure_says_none_solved_and_keeps_its_labels_inside():
    fig, _ = report_figure(_report(with_flags=True))
    try:
        time_ax = fig.axes[0]
        assert [t.get_gid() for t in time_ax.texts] == ["none:neural"]
        ticks = [t.get_text() for t in time_ax.get_xticklabels()]
        assert ticks[1] == "neural\n0/3 solved"
        _texts_inside(fig)
    finally:
        _close(fig)


# --- 6. the file written, and a missing folder ------------------------------------------------------


def test_the_path_returned_is_the_file_written(sudoku_trace, tmp_path):
    out = plot_trace(sudoku_trace, None, tmp_path / "adir")
    assert out == tmp_path / "adir.png" and out.is_file() and not (tmp_path / "adir").exists()
    assert sudoku_trace.plot(str(tmp_path / "t.png")) == tmp_path / "t.png"
    report = plot_report(_report(with_flags=True), tmp_path / "bench")
    assert report == tmp_path / "bench.png" and report.is_file()


@pytest.mark.parametrize("kind", ["generic", "report", "maze", "nqueens", "kenken"])
def test_a_missing_folder_is_a_config_error(kind, sudoku_trace, tmp_path):
    missing = tmp_path / "no" / "such" / "x.png"
    with pytest.raises(ConfigError, match="does not exist"):
        if kind == "generic":
            plot_trace(sudoku_trace, None, missing)
        elif kind == "report":
            plot_report(_report(with_flags=True), missing)
        elif kind == "maze":
            draw_maze_trace(hh.HybridSolver("maze").solve("S #\n  G", mode="symbolic").trace, missing)
        else:
            _loop(kind, "2......." if kind == "nqueens" else "abb/acc/dde a=1- b=2* c=3/ d=2* e=3").trace.plot(
                missing)
    assert not (tmp_path / "no").exists()


def test_pictures_of_the_examples_are_files(tmp_path):
    """The explain command's PNG path: a real file at the path it prints."""
    out = plot_trace(_loop("sudoku", HARD).trace, domains.get("sudoku"), Path(tmp_path) / "x")
    assert out.suffix == ".png" and out.stat().st_size > 1000

"""Every example script runs to the end on a fresh install (small settings) and prints what it claims."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import domains
import hybrid_hrm as hh

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples"

CASES = {
    "solve_sudoku.py": ["--limit", "5"],
    "compare_methods.py": ["--limit", "4"],
    "explain_trace.py": ["--png", "{tmp}/trace.png"],
    "train_small.py": ["--minutes", "0.05", "--out", "{tmp}/run"],
    "solve_maze.py": ["--png", "{tmp}/maze.png"],
    "custom_domain.py": ["--minutes", "0.1", "--out", "{tmp}/custom"],
    "make_maze_benchmark.py": ["--size", "7", "--count", "50", "--train-count", "200", "--out", "{tmp}/m.txt"],
    "label_with_dask.py": ["--limit", "100", "--chunk", "32", "--out", "{tmp}/labels.txt"],
}

STATUSES = {s.value for s in hh.Status}
SUDOKU = domains.get("sudoku")


def _example_module(name: str):
    """An example's constants and helpers (these scripts do their work only under ``__main__``)."""
    spec = importlib.util.spec_from_file_location(f"example_{name[:-3]}", EXAMPLES / name)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _sudoku_solves(puzzle, solution_text: str) -> bool:
    inst = SUDOKU.parse(puzzle) if isinstance(puzzle, str) else puzzle
    return SUDOKU.verify(inst, SUDOKU.parse(solution_text).givens).valid


def _share(percent: str, n: int) -> None:
    """A printed rate (one decimal) is some count out of ``n``."""
    count = float(percent) / 100 * n
    assert 0 <= round(count) <= n and abs(count - round(count)) <= 0.0005 * n + 1e-9, (percent, n)


def _png_written(out: str, path: Path) -> None:
    """The script names the file it wrote, and it is a real picture."""
    assert re.search(rf"^wrote {re.escape(str(path))}$", out, re.M), out[-500:]
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 1000


def _table(out: str, methods: list[str]) -> dict[str, list[str]]:
    """Rows of ``format_table``: method, solved, wrong, unsolved, median ms, p95 ms, ..."""
    rows = {}
    for line in out.splitlines():
        parts = line.split()
        if parts and parts[0] in methods and len(parts) >= 6 and parts[1].isdigit():
            rows[parts[0]] = parts
    assert sorted(rows) == sorted(methods), out
    return rows


def _check_table(out: str, domain: str, count: int, methods: list[str], complete: list[str]) -> None:
    assert re.search(rf"^{domain}: {count} puzzles", out, re.M), out
    for method, parts in _table(out, methods).items():
        solved, wrong, unsolved = map(int, parts[1:4])
        assert solved + wrong + unsolved == count, parts
        assert wrong == 0, parts  # every answer passed the verifier
        assert float(parts[4]) <= float(parts[5]), parts  # median <= p95
        if method in complete:  # search behind them: every puzzle solved
            assert solved == count, parts


def check_solve_sudoku(out: str, tmp: Path) -> None:
    famous = _example_module("solve_sudoku.py").FAMOUS
    lines = out.splitlines()
    for name, puzzle in famous.items():
        i = next(i for i, line in enumerate(lines) if line.startswith(f"{name}: "))
        m = re.fullmatch(r".*: solved in [\d.]+ ms, (\d+) cycles, (\d+)/(\d+) subgoals accepted, (\d+) nodes", lines[i])
        assert m, lines[i]
        assert int(m[2]) <= int(m[3]), lines[i]
        assert _sudoku_solves(puzzle, lines[i + 1].strip()), lines[i + 1]
    m = re.search(r"^batch: (\d+)/(\d+) solved and verified in [\d.]+ s", out, re.M)
    assert m and (int(m[1]), int(m[2])) == (5, 5), out  # --limit 5, all of them solved


def check_compare_methods(out: str, tmp: Path) -> None:
    methods = ["neural", "symbolic", "hybrid-uniform", "hybrid", "hybrid-nosearch"]
    _check_table(out, "sudoku", 4, methods, complete=["symbolic", "hybrid-uniform", "hybrid"])
    m = re.search(r"^median time: symbolic / hybrid = ([\d.]+)x$", out, re.M)
    assert m and float(m[1]) > 0, out


def check_explain_trace(out: str, tmp: Path) -> None:
    puzzle = _example_module("explain_trace.py").PUZZLE
    cycles = re.findall(r"^cycle (\d+): H proposed (\d+), accepted (\d+)(?: \(([^)]*)\))?, rejected (\d+)", out, re.M)
    # probe_nodes=0 and max_cycles=4: the loop runs, at most 4 cycles, numbered in order.
    assert 1 <= len(cycles) <= 4 and [int(c[0]) for c in cycles] == list(range(1, len(cycles) + 1)), out
    for _, proposed, accepted, names, rejected in cycles:
        assert int(accepted) + int(rejected) <= int(proposed)
        assert len(names.split(", ") if names else []) == int(accepted)
    m = re.search(r"^solved: (\S+)$", out, re.M)
    assert m and _sudoku_solves(puzzle, m[1]), out
    reasons = re.findall(r"^rejected (r\d+c\d+=\d) because (.+)$", out, re.M)
    assert len(reasons) == min(3, sum(int(c[4]) for c in cycles)) >= 1, out
    assert all("conflicts with" in why or "removed by propagation" in why for _, why in reasons), reasons
    _png_written(out, tmp / "trace.png")


def check_train_small(out: str, tmp: Path) -> None:
    m = re.search(r"^held-out: the network alone solves ([\d.]+)% of (\d+) puzzles$", out, re.M)
    assert m and int(m[2]) > 0, out
    _share(m[1], int(m[2]))
    # The script's own five 4x4 puzzles (seed 0 + 1), one line each per mode, in order.
    puzzles = SUDOKU.generate(np.random.default_rng(1), count=5, size=4)
    neural = re.findall(r"^neural: (\S+) +(\S+)$", out, re.M)
    hybrid = re.findall(r"^hybrid: (\S+) +(\S+)$", out, re.M)
    assert len(neural) == len(hybrid) == 5, out
    for inst, (status, text) in zip(puzzles, neural):
        assert status in STATUSES
        if status == "solved":
            assert _sudoku_solves(inst, text)
        else:  # unsolved: the puzzle is printed back unchanged
            assert text == SUDOKU.format(inst)
    for inst, (status, text) in zip(puzzles, hybrid):
        assert status == "solved" and _sudoku_solves(inst, text), (status, text)


def check_solve_maze(out: str, tmp: Path) -> None:
    assert re.search(r"^generated 3 mazes 9x9 in [\d.]+ ms each$", out, re.M), out
    blocks = re.split(r"^maze \d+: ", out, flags=re.M)[1:]
    assert len(blocks) == 3, out
    modes = ["symbolic", "hybrid-uniform", "neural", "hybrid"]  # the shipped size-free maze model runs too
    for i, block in enumerate(blocks):
        m = re.match(r"shortest path (\d+) cells, (\d+) shortest path\(s\)", block)
        assert m and int(m[1]) >= 2 and int(m[2]) >= 1, block
        rows = re.findall(r"^  (\S+) +(\S+) +[\d.]+ ms +(\d+) nodes +(\d+) cycles +(\d+)/(\d+) subgoals", block, re.M)
        assert [r[0] for r in rows] == modes, block
        for mode, status, _nodes, _cycles, accepted, proposed in rows:
            assert status in STATUSES and int(accepted) <= int(proposed)
            if mode != "neural":  # complete methods: always solved
                assert status == "solved", block
        if i == 0:  # the first maze's path is drawn: S, G and one 'o' per cell between them
            grid = [line for line in block.splitlines() if line.startswith("#")]
            assert len(grid) == 9 and all(len(line) == 9 for line in grid), block
            drawn = "".join(grid)
            assert drawn.count("S") == drawn.count("G") == 1
            assert drawn.count("o") + 2 == int(m[1]), block
    _png_written(out, tmp / "maze.png")


def _knight5_valid(puzzle: str, solution: str) -> bool:
    """An independent check of the anti-knight Latin square the example declares."""
    n = 5
    if len(puzzle) != n * n or len(solution) != n * n or set(solution) - set("12345"):
        return False
    if any(p not in (".", s) for p, s in zip(puzzle, solution)):
        return False
    grid = [solution[r * n : (r + 1) * n] for r in range(n)]
    if any(len(set(row)) != n for row in grid) or any(len(set(col)) != n for col in zip(*grid)):
        return False
    return all(
        grid[r][c] != grid[r + dr][c + dc]
        for r in range(n) for c in range(n) for dr, dc in ((1, 2), (2, 1), (1, -2), (2, -1))
        if 0 <= r + dr < n and 0 <= c + dc < n
    )


def check_custom_domain(out: str, tmp: Path) -> None:
    m = re.search(r"^held-out: the network alone completes ([\d.]+)% of 64 puzzles$", out, re.M)
    assert m, out  # eval_puzzles=64
    _share(m[1], 64)
    m = re.search(r"^([1-5.]{25}) -> solved ([1-5]{25})$", out, re.M)
    assert m and _knight5_valid(m[1], m[2]), out
    _check_table(out, "knight5", 20, ["symbolic", "hybrid-uniform", "hybrid"],
                 complete=["symbolic", "hybrid-uniform", "hybrid"])


def check_make_maze_benchmark(out: str, tmp: Path) -> None:
    from domains.maze import MazeDomain

    path = tmp / "m.txt"
    m = re.search(rf"^wrote 50 7x7 mazes to {re.escape(str(path))} \((\d+) dropped", out, re.M)
    assert m, out
    maze = MazeDomain()
    mazes = [maze.parse(block) for block in path.read_text().strip().split("\n\n")]
    assert len(mazes) == 50 and all(inst.shape == (7, 7) for inst in mazes)
    canonical = _example_module("make_maze_benchmark.py").canonical
    keys = [canonical(inst.givens, 7, 7) for inst in mazes]
    assert len(set(keys)) == 50  # no maze twice, up to rotation and reflection
    training = maze.generate(np.random.default_rng(0), count=200, size=7)  # --train-seed 0, --train-count 200
    assert not set(keys) & {canonical(inst.givens, 7, 7) for inst in training}


def check_label_with_dask(out: str, tmp: Path) -> None:
    m = re.search(r"^solved 100 puzzles on (.+) in [\d.]+ s$", out, re.M)
    assert m and ("Dask LocalCluster of 2 worker processes" in m[1] or "local process pool" in m[1]), out
    m = re.search(r"^labelled (\d+) unique, (\d+) with more than one solution, (\d+) unsolved$", out, re.M)
    assert m and tuple(map(int, m.groups())) == (100, 0, 0), out  # forum_hardest puzzles: one solution each
    lines = (tmp / "labels.txt").read_text().splitlines()
    assert len(lines) == 100 and all(SUDOKU.parse(line).solution is not None for line in lines)  # checked


CHECKS = {
    "solve_sudoku.py": check_solve_sudoku,
    "compare_methods.py": check_compare_methods,
    "explain_trace.py": check_explain_trace,
    "train_small.py": check_train_small,
    "solve_maze.py": check_solve_maze,
    "custom_domain.py": check_custom_domain,
    "make_maze_benchmark.py": check_make_maze_benchmark,
    "label_with_dask.py": check_label_with_dask,
}


def test_every_example_is_covered():
    assert {p.name for p in EXAMPLES.glob("*.py")} == set(CASES) == set(CHECKS)


@pytest.mark.parametrize("name", sorted(CASES))
def test_example_runs(name, tmp_path):
    script = EXAMPLES / name
    args = [a.format(tmp=tmp_path) for a in CASES[name]]
    proc = subprocess.run(
        [sys.executable, str(script), *args], cwd=tmp_path, capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    CHECKS[name](proc.stdout, tmp_path)

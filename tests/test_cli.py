"""The command line: outputs and exit codes (0 solved, 1 unsolved, 2 bad input)."""

from __future__ import annotations

import json

import pytest

from hybrid_hrm.cli import main
from tests.conftest import HARD


def test_solve_prints_a_verified_solution(capsys, sudoku):
    assert main(["solve", "sudoku", HARD, "--mode", "symbolic"]) == 0
    status, solution = capsys.readouterr().out.strip().split("\t")
    assert status == "solved"
    inst = sudoku.parse(HARD)
    assert sudoku.verify(inst, sudoku.parse(solution).givens).valid


def test_solve_file_json_and_exit_1_on_unsolvable(tmp_path, capsys):
    f = tmp_path / "p.txt"
    f.write_text(f"# comment\n{HARD}\n11{'.' * 79}\n")
    assert main(["solve", "sudoku", "--file", str(f), "--json", "--mode", "symbolic"]) == 1
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["status"] for r in rows] == ["solved", "unsolvable"]
    assert "conflicts" in rows[1]["reason"]


def test_budget_exhausted_exits_1(capsys):
    assert main(["solve", "sudoku", HARD, "--mode", "symbolic", "--max-nodes", "0"]) == 1
    assert capsys.readouterr().out.startswith("budget_exhausted")


@pytest.mark.parametrize(
    "argv",
    [
        ["solve", "sudoku", "123"],
        ["solve", "nosuchdomain", HARD],
        ["solve", "sudoku", "--file", "/no/such/file"],
        ["solve", "sudoku", HARD, "--max-nodes", "-3"],
        ["solve", "sudoku", HARD, "--max-seconds", "nan"],
        ["solve", "sudoku"],
        ["bogus-command"],
        ["solve", "sudoku", "\x00" * 81],
    ],
)
def test_bad_input_exits_2_with_one_line(capsys, argv):
    assert _exit_code(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("hybrid-hrm: error:")
    assert "Traceback" not in err[0]


def test_domains_lists_sudoku(capsys):
    assert main(["domains"]) == 0
    assert "sudoku" in capsys.readouterr().out


def test_bench_writes_json_and_verifies(tmp_path, capsys):
    out = tmp_path / "b.json"
    code = main(
        [
            "bench",
            "sudoku",
            "--collection",
            "top1465",
            "--limit",
            "3",
            "--methods",
            "symbolic,python-constraint",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    report = json.loads(out.read_text())
    for name in ("symbolic", "python-constraint"):
        assert report["methods"][name]["solved"] == 3 and report["methods"][name]["wrong"] == 0
    assert "median time: python-constraint / symbolic" in capsys.readouterr().out


def _exit_code(argv):
    try:
        return main(argv)
    except SystemExit as exc:
        return exc.code


def test_default_mode_solves_sizes_without_a_model_symbolically(tmp_path, capsys, sudoku):
    # Shipped models cover 4x4 (and 9x9); a 16x16 puzzle in the same file must not fail for want of one.
    import numpy as np

    [big] = sudoku.generate(np.random.default_rng(3), size=16, min_givens=150)
    f = tmp_path / "mixed.txt"
    f.write_text(f".13.....3..4....\n{sudoku.format(big)}\n")
    assert main(["solve", "sudoku", "--file", str(f), "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["status"] for r in rows] == ["solved", "solved"]
    assert rows[0]["mode"] == "hybrid" and rows[1]["mode"] == "symbolic"


def test_python_constraint_baseline_is_killed_at_its_budget(sudoku):
    from hybrid_hrm.baselines import python_constraint_within

    inst = sudoku.parse(HARD)
    values, seconds, finished = python_constraint_within(sudoku, inst, 0.001)
    assert not finished and values is None and seconds <= 0.01
    values, seconds, finished = python_constraint_within(sudoku, inst, 60.0)
    assert finished and sudoku.verify(inst, values).valid

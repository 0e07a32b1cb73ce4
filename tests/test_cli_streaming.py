"""``hybrid-hrm solve`` streams: results in input order as found, bad lines named by file line, stdin, grids."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time

import pytest

from domains.collections import collection_lines
from hybrid_hrm.cli import main
from tests.conftest import HARD

PRETTY = """\
4 . . | . 3 . | . . .
. . . | 6 . . | 8 . .
. . . | . . . | . . 1
------+-------+------
. . . | . 5 . | . 9 .
. 8 . | . . . | 6 . .
. 7 . | 2 . . | . . .
------+-------+------
. . . | 1 . 2 | 7 . .
5 . 3 | . . . | . 4 .
9 . . | . . . | . . .
"""


def test_a_bad_line_is_named_by_its_file_line_and_the_rest_are_solved(tmp_path, capsys):
    f = tmp_path / "p.txt"
    f.write_text(f"# header\n{HARD}\n\n{HARD[:-1]}x\n.13.....3..4....\n")
    assert main(["solve", "sudoku", "--file", str(f), "--mode", "symbolic"]) == 2
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert [line.split("\t")[0] for line in lines] == ["solved", "invalid", "solved"]  # input order kept
    assert f"{f} line 4: bad character 'x'" in lines[1]
    assert f"hybrid-hrm: error: {f} line 4:" in captured.err


def test_pretty_grids_a_bom_and_standard_input(tmp_path, monkeypatch, capsys, sudoku):
    f = tmp_path / "grids.txt"
    f.write_bytes(("\ufeff" + PRETTY + "\n" + HARD + "\n").encode("utf-8"))
    assert main(["solve", "sudoku", "--file", str(f), "--mode", "symbolic", "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["puzzle"] for r in rows] == [HARD, HARD]  # the grid is the same puzzle as the line
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO((HARD + "\n").encode())))
    assert main(["solve", "sudoku", "--file", "-", "--mode", "symbolic"]) == 0
    status, solution = capsys.readouterr().out.strip().split("\t")
    assert status == "solved" and sudoku.verify(sudoku.parse(HARD), sudoku.parse(solution).givens).valid


def test_options_may_stand_between_the_domain_and_the_puzzles(capsys):
    assert main(["solve", "sudoku", "--json", HARD, "--mode", "symbolic"]) == 0
    assert json.loads(capsys.readouterr().out)["status"] == "solved"


def test_the_summary_names_the_mode_each_puzzle_was_solved_in(tmp_path, capsys):
    f = tmp_path / "mixed.txt"
    f.write_text(f"{HARD}\n.13.....3..4....\n")
    assert main(["solve", "sudoku", "--file", str(f), "--mode", "symbolic"]) == 0
    assert "(symbolic 2)" in capsys.readouterr().err
    f16 = tmp_path / "big.txt"
    f16.write_text("." * 256 + "\n.13.....3..4....\n")
    main(["solve", "sudoku", "--file", str(f16), "--max-seconds", "2"])  # default mode: no 16x16 model
    err = capsys.readouterr().err
    assert "hybrid 1" in err and "symbolic 1" in err


def test_named_weights_that_do_not_fit_are_an_error(tmp_path, capsys):
    from hybrid_hrm.weights import shipped_for

    [weights4] = [p for p in shipped_for("sudoku") if p.stem == "sudoku4"]
    assert main(["solve", "sudoku", HARD, "--weights", str(weights4)]) == 2
    assert "no model for puzzles of 81 variables" in capsys.readouterr().err


def _big_file(tmp_path, count: int):
    lines = collection_lines("top1465")
    f = tmp_path / "many.txt"
    f.write_text("\n".join(lines[i % len(lines)] for i in range(count)) + "\n")
    return f


def test_two_hundred_thousand_puzzles_stream_and_ctrl_c_keeps_the_finished_lines(tmp_path):
    """First line within 5 s, memory bounded, and an interrupt leaves every finished line on stdout.

    200,000 puzzles: the batched symbolic path solves 20,000 in under 3 s, before the interrupt comes.
    """
    count = 200_000
    f = _big_file(tmp_path, count)
    cmd = [sys.executable, "-m", "hybrid_hrm.cli", "solve", "sudoku", "--file", str(f), "--mode", "symbolic"]
    out_path = tmp_path / "out.txt"
    start = time.monotonic()
    with open(out_path, "w") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.PIPE, text=True)
        first_at = None
        peak_kb = 0
        while time.monotonic() - start < 60:
            peak_kb = max(peak_kb, _rss_kb(proc.pid))
            if first_at is None and out_path.stat().st_size > 0:
                first_at = time.monotonic() - start
            if first_at is not None and time.monotonic() - start > first_at + 3:
                break
            time.sleep(0.1)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    assert first_at is not None and first_at < 5.0, f"first result after {first_at} s"
    assert peak_kb < 500 * 1024, f"peak {peak_kb} kB"
    assert proc.returncode == 130 and "interrupted" in err
    lines = out_path.read_text().splitlines()
    assert 0 < len(lines) < count and all(line.startswith("solved\t") for line in lines)


def _rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="needs /proc to read memory")
def test_proc_memory_reading_works():
    assert _rss_kb(os.getpid()) > 0

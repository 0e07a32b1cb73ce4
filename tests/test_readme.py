"""The README's own commands run as printed, in one folder, in order (so a later command finds what an
earlier one wrote).  The only edits are to budgets, so that the suite stays minutes long: a collection
or file is cut to three puzzles
(``--limit 3``, also where the README says more), a training run to two batches on a few dozen puzzles,
``bench reliability`` and ``bench train`` to a small ``--scale``.  Its Python API block runs too."""

from __future__ import annotations

import io
import re
import shlex
import sys
from contextlib import redirect_stdout
from pathlib import Path

import numpy as np
import pytest

import domains
from hybrid_hrm.cli import main

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
#: Not ours to run here: installing, torchrun across processes, the test suite itself, examples (tested apart).
SKIP = ("pip ", "torchrun ", "python ")


def readme_commands() -> list[str]:
    """Every ``hybrid-hrm`` command of the README: bash blocks first (variables expanded), then inline ones."""
    commands, variables = [], {}
    for block in re.findall(r"```(?:bash|sh)\n(.*?)```", README, re.S):
        for line in block.replace("\\\n", " ").splitlines():
            line = line.split("  #")[0].strip()
            if not line or line.startswith("#") or line.startswith(SKIP):
                continue
            if re.match(r"^[A-Z_]+=\S+$", line):
                key, value = line.split("=", 1)
                variables[key] = value
                continue
            for key, value in variables.items():
                line = line.replace(f"${key}", value)
            commands.append(line)
    inline = [" ".join(m.split()) for m in re.findall(r"`(hybrid-hrm [^`]*)`", README)]
    return commands + [c for c in dict.fromkeys(inline) if c not in commands]


def shortened(argv: list[str]) -> list[str]:
    """The same command within a test's budget (see the module docstring)."""
    command = argv[0]
    if command == "train":
        argv = _drop_option(_drop_option(_drop_option(argv, "--minutes"), "--train-puzzles"), "--eval-puzzles")
        return argv + ["--max-steps", "2", "--train-puzzles", "24", "--eval-puzzles", "8", "--quiet"]
    if command == "bench" and argv[1] in ("reliability", "train"):
        return argv + ["--scale", "0.002" if argv[1] == "reliability" else "0.2"]
    if command in ("solve", "bench"):  # at most 3 puzzles (the README's --limit 200 sweep took minutes)
        return _drop_option(argv, "--limit") + ["--limit", "3"]
    return argv


def _drop_option(argv: list[str], option: str) -> list[str]:
    if option not in argv:
        return argv
    i = argv.index(option)
    return argv[:i] + argv[i + 2:]


def _prepare_files(folder: Path) -> None:
    """The files the README's commands name: puzzles.txt (Sudoku, or 3x3 Latin squares), mazes."""
    sudoku, maze = domains.get("sudoku"), domains.get("maze")
    hard = "4...3.......6..8..........1....5..9..8....6...7.2........1.27..5.3....4.9........"
    (folder / "puzzles.txt").write_text(f".13.....3..4....\n{hard}\n")
    mazes = maze.generate(np.random.default_rng(5), count=3, size=9)
    text = "\n\n".join(maze.format(m) for m in mazes) + "\n"
    (folder / "mazes.txt").write_text(text)
    (folder / "bench-out").mkdir(exist_ok=True)
    (folder / "docs").mkdir(exist_ok=True)  # the README's plots go to docs/, as in the repository
    for name in ("maze9_test.txt", "maze30_test.txt"):  # the README's maze benchmark files (small stand-ins)
        (folder / "bench-out" / name).write_text(text)
    assert sudoku.read_file(folder / "puzzles.txt")


@pytest.fixture(scope="module")
def latin3():
    from tests.plugin_pkg.hhrm_test_plugin import Latin3

    if "latin3" not in domains.available():
        domains.register("latin3", Latin3)
    return domains.get("latin3")


def test_the_readme_names_its_commands():
    commands = readme_commands()
    assert any(c.startswith("hybrid-hrm bench latin3") for c in commands)
    assert sum(c.startswith("hybrid-hrm train") for c in commands) >= 6


def test_every_readme_command_runs(tmp_path, monkeypatch, latin3, capsys):
    monkeypatch.chdir(tmp_path)
    _prepare_files(tmp_path)
    failures = []
    for line in readme_commands():
        stdin_file = None
        if line.startswith("cat "):
            stdin_file, line = line[4:].split(" | ", 1)
        argv = shortened(shlex.split(line)[1:])
        if argv[:2] == ["bench", "latin3"]:
            (tmp_path / "puzzles.txt").write_text("12.3.....\n.........\n")  # that command's own puzzles
        if stdin_file:
            monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO((tmp_path / stdin_file).read_bytes())))
        code = main(argv)
        _prepare_files(tmp_path)
        if code not in (0, 1):  # 1: a puzzle over its (shortened) budget is an answer, not a failure
            failures.append(f"{line!r} -> exit {code}: {capsys.readouterr().err.strip()[-300:]}")
    assert failures == []


def test_the_python_api_block_runs(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    [block] = [b for b in re.findall(r"```python\n(.*?)```", README, re.S) if "from_pretrained" in b]
    out = io.StringIO()
    with redirect_stdout(out):
        exec(compile(block, "README.md", "exec"), {})
    printed = out.getvalue().splitlines()
    assert printed[0].startswith("solved 812753649943682175675491283154237896369845721287169534")
    assert "100" in printed and (tmp_path / "trace.png").is_file()

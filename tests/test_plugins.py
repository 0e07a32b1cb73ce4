"""Domain plugins through the ``hybrid_hrm.domains`` entry-point group, end to end.

The test plugin (``tests/plugin_pkg``) is pip-installed into a temporary
directory, never into the running environment, and the command line runs
in subprocesses with that directory on ``PYTHONPATH``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PLUGIN = Path(__file__).resolve().parent / "plugin_pkg"
PUZZLE = "12.3....."  # row 1 is 1 2 3, row 2 starts with 3: one completion


@pytest.fixture(scope="module")
def plugin_site(tmp_path_factory) -> Path:
    """``pip install --target`` of a copy of the plugin (the build leaves the repository untouched)."""
    pytest.importorskip("setuptools", reason="building the plugin offline needs setuptools installed")
    source = tmp_path_factory.mktemp("source") / "plugin_pkg"
    shutil.copytree(PLUGIN, source)
    site = tmp_path_factory.mktemp("site")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--no-build-isolation", "--no-index", "--quiet",
         "--disable-pip-version-check", "--target", str(site), str(source)],
        check=True, capture_output=True, text=True, timeout=300,
    )
    assert (site / "hhrm_test_plugin.py").is_file()
    return site


def cli(*args: str, path: list[Path], **env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k != "HYBRID_HRM_NO_PLUGINS"}
    environment.update(PYTHONPATH=os.pathsep.join(str(p) for p in [*path, REPO]), **env)
    return subprocess.run([sys.executable, "-m", "hybrid_hrm.cli", *args], cwd=REPO, env=environment,
                          capture_output=True, text=True, timeout=300)


def listed(output: str) -> dict[str, str]:
    return dict(line.split("\t", 1) for line in output.splitlines() if "\t" in line)


def is_latin3_completion(answer: str, puzzle: str) -> bool:
    rows = [answer[i:i + 3] for i in (0, 3, 6)]
    lines = rows + ["".join(col) for col in zip(*rows)]
    return (len(answer) == 9 and all(sorted(line) == ["1", "2", "3"] for line in lines)
            and all(p in (".", a) for p, a in zip(puzzle, answer)))


def test_installed_plugin_is_listed_and_solves(plugin_site):
    domains = cli("domains", path=[plugin_site])
    assert domains.returncode == 0, domains.stderr
    assert listed(domains.stdout)["latin3"].startswith("3x3 Latin square")
    solved = cli("solve", "latin3", PUZZLE, "--mode", "symbolic", path=[plugin_site])
    assert solved.returncode == 0, solved.stderr
    status, answer = solved.stdout.split()[:2]
    assert status == "solved" and answer == "123312231" and is_latin3_completion(answer, PUZZLE)
    bad = cli("solve", "latin3", "12.4.....", "--mode", "symbolic", path=[plugin_site])
    assert bad.returncode == 2 and "'4' is not one of its values" in bad.stderr


def test_no_plugins_switch_hides_it(plugin_site):
    domains = cli("domains", path=[plugin_site], HYBRID_HRM_NO_PLUGINS="1")
    assert domains.returncode == 0 and "latin3" not in listed(domains.stdout)
    assert "sudoku" in listed(domains.stdout)
    solved = cli("solve", "latin3", PUZZLE, "--mode", "symbolic", path=[plugin_site], HYBRID_HRM_NO_PLUGINS="1")
    assert solved.returncode == 2 and "unknown domain 'latin3'" in solved.stderr


def test_duplicate_names_warn_and_keep_the_first(plugin_site, tmp_path):
    """A second distribution claiming 'latin3' and the built-in 'sudoku': both warned about, first kept."""
    info = tmp_path / "hhrm_dup_plugin-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: hhrm-dup-plugin\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(
        "[hybrid_hrm.domains]\nlatin3 = hhrm_test_plugin:Latin3\nsudoku = hhrm_test_plugin:Latin3\n"
    )
    domains = cli("domains", path=[plugin_site, tmp_path])
    assert domains.returncode == 0, domains.stderr
    assert "'latin3'" in domains.stderr and "'sudoku'" in domains.stderr and "ignored" in domains.stderr
    names = listed(domains.stdout)
    assert names["sudoku"].startswith("The Sudoku domain") and names["latin3"].startswith("3x3 Latin square")

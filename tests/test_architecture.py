"""The architecture, checked by tools: layers, no torch on the symbolic side, no circles, small modules."""

from __future__ import annotations

import sys
import textwrap
import tomllib
from pathlib import Path

import pytest

importlinter_cli = pytest.importorskip("importlinter.cli")

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("hybrid_hrm", "domains", "solvers")
MAX_MODULE_LINES = 400


def _lint(config: Path) -> int:
    return importlinter_cli.lint_imports(config_filename=str(config), no_cache=True, no_logo=True)


def test_the_package_keeps_its_import_contracts():
    assert _lint(ROOT / "pyproject.toml") == 0


def _fake_tree(tmp_path: Path, files: dict[str, str]) -> Path:
    """Our three packages as empty shells plus ``files``, and our import-linter contracts beside them."""
    for package in PACKAGES:
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text("")
    for name, text in files.items():
        (tmp_path / name).write_text(textwrap.dedent(text))
    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
    lines = ["[importlinter]", "root_packages =", *(f"    {p}" for p in PACKAGES), "include_external_packages = True"]
    for i, contract in enumerate(contracts):
        lines.append(f"[importlinter:contract:{i}]")
        for key, value in contract.items():
            if isinstance(value, list):
                lines.append(f"{key} =")
                lines += [f"    {v}" for v in value]
            else:
                lines.append(f"{key} = {value}")
    config = tmp_path / ".importlinter"
    config.write_text("\n".join(lines) + "\n")
    return config


@pytest.mark.parametrize(
    "files",
    [
        {"solvers/low.py": "import domains\n"},  # a lower layer imports a higher one
        {"domains/net.py": "import torch\n"},  # torch on the symbolic side
        {"hybrid_hrm/a.py": "from hybrid_hrm import b\n", "hybrid_hrm/b.py": "from hybrid_hrm import a\n"},  # circle
    ],
    ids=["layer crossed", "torch in domains", "import circle"],
)
def test_the_contracts_fail_when_broken(tmp_path, monkeypatch, files):
    config = _fake_tree(tmp_path, files)
    monkeypatch.syspath_prepend(str(tmp_path))
    for name in [m for m in sys.modules if m.split(".")[0] in PACKAGES]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.chdir(tmp_path)
    assert _lint(config) != 0


def test_no_module_is_over_400_lines():
    long = {
        str(path.relative_to(ROOT)): n
        for package in PACKAGES
        for path in (ROOT / package).rglob("*.py")
        if (n := len(path.read_text().splitlines())) > MAX_MODULE_LINES
    }
    assert long == {}


def test_a_clean_fake_tree_keeps_the_contracts(tmp_path, monkeypatch):
    """The broken cases above fail for their break, not for a bad configuration."""
    files = {"hybrid_hrm/top.py": "import domains\nimport torch\n", "domains/mid.py": "import solvers\n"}
    config = _fake_tree(tmp_path, files)
    monkeypatch.syspath_prepend(str(tmp_path))
    for name in [m for m in sys.modules if m.split(".")[0] in PACKAGES]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.chdir(tmp_path)
    assert _lint(config) == 0

"""The domain registry with broken plugins: one plugin that fails to load hides only itself.

Entry points are faked, as in ``tests/test_plugins.py``: in process, the
registry's ``metadata.entry_points`` is replaced and its tables restored
after each test; end to end, a ``*.dist-info`` folder with an
``entry_points.txt`` is put on ``PYTHONPATH`` of a ``hybrid-hrm``
subprocess.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from importlib import metadata
from pathlib import Path

import pytest

import domains
from domains import registry
from domains.registry import BrokenPluginError, broken, describe, describe_all
from solvers.errors import HybridHRMError, UnknownDomainError

REPO = Path(__file__).resolve().parents[1]
GROUP = registry.ENTRY_POINT_GROUP

PLUGINS = {
    "hhrm_fake_good": '''
        from domains.sudoku import SudokuDomain

        class Sudoku2(SudokuDomain):
            """A second Sudoku (test plugin)."""

            name = "sudoku2"
    ''',
    "hhrm_fake_import": "import hhrm_no_such_module_anywhere\n",
    "hhrm_fake_raises": '''
        def make():
            raise RuntimeError("the factory fell over")
    ''',
    "hhrm_fake_not_domain": '''
        def make():
            return 42
    ''',
}
ENTRIES = {
    "sudoku2": "hhrm_fake_good:Sudoku2",
    "ghost": "hhrm_fake_import:Ghost",
    "fragile": "hhrm_fake_raises:make",
    "wrongtype": "hhrm_fake_not_domain:make",
}


@pytest.fixture()
def fake_plugins(tmp_path, monkeypatch):
    """Registry tables copied (restored afterwards) and the fake plugins as its entry points."""
    for module, source in PLUGINS.items():
        (tmp_path / f"{module}.py").write_text(textwrap.dedent(source))
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delenv("HYBRID_HRM_NO_PLUGINS", raising=False)
    monkeypatch.setattr(registry, "_factories", {n: f for n, f in registry._factories.items()
                                                 if n not in registry._plugins})
    monkeypatch.setattr(registry, "_instances", {n: d for n, d in registry._instances.items()
                                                 if n not in registry._plugins})
    monkeypatch.setattr(registry, "_plugins", {})
    monkeypatch.setattr(registry, "_broken", {})
    monkeypatch.setattr(registry, "_plugins_loaded", False)
    entries = [metadata.EntryPoint(name, value, GROUP) for name, value in ENTRIES.items()]
    monkeypatch.setattr(registry.metadata, "entry_points", lambda group=None: entries if group == GROUP else [])
    return entries


def test_available_skips_broken_plugins_with_a_warning_naming_each(fake_plugins):
    with pytest.warns(UserWarning) as caught:
        names = domains.available()
    assert "sudoku2" in names and "sudoku" in names and "maze" in names
    assert not {"ghost", "fragile", "wrongtype"} & set(names)
    messages = "\n".join(str(w.message) for w in caught)
    assert "'ghost' (hhrm_fake_import:Ghost) failed to load: ModuleNotFoundError" in messages
    assert "'fragile' (hhrm_fake_raises:make) failed to load: RuntimeError: the factory fell over" in messages
    assert "'wrongtype'" in messages and "not a Domain" in messages


def test_get_of_a_broken_plugin_is_a_typed_error_saying_why(fake_plugins):
    with pytest.warns(UserWarning, match="ghost"):
        with pytest.raises(UnknownDomainError) as info:
            domains.get("ghost")
    with pytest.warns(UserWarning) as caught:
        domains.available()
    assert any("'fragile'" in str(w.message) for w in caught)
    assert isinstance(info.value, BrokenPluginError) and isinstance(info.value, HybridHRMError)
    assert "domain plugin 'ghost' (hhrm_fake_import:Ghost) failed to load" in str(info.value)
    assert "No module named 'hhrm_no_such_module_anywhere'" in str(info.value)
    for _ in range(2):  # asked again: the same answer (the failure is remembered, warned once)
        with pytest.raises(BrokenPluginError, match="fragile.*the factory fell over"):
            domains.get("fragile")
    assert domains.get("sudoku2").name == "sudoku2"  # the others still load


def test_describe_names_broken_plugins(fake_plugins):
    with pytest.warns(UserWarning):
        lines = dict(describe_all())
    assert lines["sudoku2"] == "A second Sudoku (test plugin)."
    assert lines["ghost"].startswith("(broken plugin: ModuleNotFoundError: No module named")
    assert lines["fragile"] == "(broken plugin: RuntimeError: the factory fell over)"
    assert lines["wrongtype"] == "(broken plugin: TypeError: its factory returned a value of type int, not a Domain)"
    assert lines["sudoku"] == describe("sudoku") and "sudoku" in lines
    assert set(broken()) == {"ghost", "fragile", "wrongtype"}


def test_registering_a_name_again_clears_its_broken_state(fake_plugins):
    with pytest.warns(UserWarning):
        domains.available()
    registry.register("ghost", domains.SudokuDomain, replace=True)
    assert "ghost" in domains.available() and "ghost" not in broken()


def test_a_failing_builtin_is_not_hidden(fake_plugins):
    """Only plugins are skipped: a registered (built-in) factory that raises is a bug and shows."""
    registry.register("selfbroken", lambda: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        domains.get("selfbroken")
    registry.register("notadomain", lambda: 42)
    with pytest.warns(UserWarning), pytest.raises(UnknownDomainError, match="did not return a Domain"):
        domains.get("notadomain")


# ------------------------------------------------------------------- end to end
def _fake_distribution(where: Path) -> None:
    info = where / "hhrm_ghost_plugin-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: hhrm-ghost-plugin\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[hybrid_hrm.domains]\nghost = hhrm_no_such_module_anywhere:Ghost\n")


def cli(*args: str, path: Path) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k != "HYBRID_HRM_NO_PLUGINS"}
    environment["PYTHONPATH"] = os.pathsep.join([str(path), str(REPO)])
    return subprocess.run([sys.executable, "-m", "hybrid_hrm.cli", *args], cwd=REPO, env=environment,
                          capture_output=True, text=True, timeout=300)


def test_cli_domains_survives_a_plugin_that_does_not_import(tmp_path):
    _fake_distribution(tmp_path)
    listing = cli("domains", path=tmp_path)
    assert listing.returncode == 0, listing.stderr
    assert "sudoku\t" in listing.stdout and "maze\t" in listing.stdout
    assert "'ghost'" in listing.stderr and "ModuleNotFoundError" in listing.stderr
    solved = cli("solve", "ghost", "1...", "--mode", "symbolic", path=tmp_path)
    assert solved.returncode == 2
    error = [line for line in solved.stderr.splitlines() if line.startswith("hybrid-hrm: error:")]
    assert len(error) == 1 and "domain plugin 'ghost'" in error[0] and "failed to load" in error[0]
    assert "No module named 'hhrm_no_such_module_anywhere'" in error[0]

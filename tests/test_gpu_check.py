"""scripts/gpu_check.sh: valid bash, and on a machine without a GPU it writes a report that says so."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "gpu_check.sh"
STEPS = ("tests", "bench-train", "train", "loop", "ddp")
pytestmark = pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")


def _has_gpu() -> bool:
    torch = pytest.importorskip("torch")
    return torch.cuda.is_available()


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(SCRIPT), *args], cwd=cwd, capture_output=True, text=True, timeout=120)


def test_the_script_is_valid_bash():
    assert subprocess.run(["bash", "-n", str(SCRIPT)], capture_output=True).returncode == 0


def test_dry_run_names_every_step_and_runs_none(tmp_path):
    report = tmp_path / "out" / "report.txt"
    proc = _run(str(report), "--dry-run", cwd=tmp_path)
    assert proc.returncode == 0 and f"wrote {report}" in proc.stdout
    text = report.read_text()
    for step in STEPS:
        assert f"== {step} (timeout " in text
    assert text.count("dry run: not run") == len(STEPS)
    assert "--device cuda" in text and "--nproc_per_node=1" in text and "--minutes 2" in text


def test_without_a_gpu_it_says_no_gpu_and_skips_the_steps(tmp_path):
    if _has_gpu():
        pytest.skip("this machine has a GPU: the script would run the steps")
    proc = subprocess.run(["bash", str(SCRIPT)], cwd=tmp_path, capture_output=True, text=True, timeout=120,
                          env={**__import__("os").environ, "OUT": str(tmp_path)})
    assert proc.returncode == 0, proc.stderr
    text = (tmp_path / "gpu_report.txt").read_text()
    assert "no GPU" in text and text.count("skipped: no GPU") == len(STEPS)


def test_a_bad_option_is_refused(tmp_path):
    proc = _run("--fast", cwd=tmp_path)
    assert proc.returncode == 2 and "unknown option --fast" in proc.stderr

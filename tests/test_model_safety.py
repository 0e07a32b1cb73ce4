"""An edited or absurd model config is refused at once; the network alone stops on time.

A sidecar edited to ``"h_cycles": 1000000000`` once hung ``hybrid-hrm solve
--mode neural``: HRMConfig now bounds every size, the sidecar's
``config_sha256`` catches the edit, and ``_neural`` checks the time budget
between segments.  The reliability bench keeps these cases.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from hybrid_hrm.bridge import BridgeConfig, HybridSolver
from hybrid_hrm.checkpoint import config_sha256, load_model, save_model
from hybrid_hrm.model import HRM, HRMConfig
from hybrid_hrm.model.options import MAX_SIZES, MAX_STEPS
from hybrid_hrm.reliability import RefusalCase, check_refusal, run_reliability
from hybrid_hrm.weights import WEIGHTS_DIR, shipped_weights
from solvers.base import Budget
from solvers.errors import CheckpointError, ConfigError, Status

REPO = Path(__file__).resolve().parents[1]
BASE = {"num_variables": 16, "num_values": 4, "hidden": 32, "heads": 2}
PUZZLE4 = ".13." "...." "3..4" "...."
HARD9 = "4...3.......6..8..........1....5..9..8....6...7.2........1.27..5.3....4.9........"


# ----------------------------------------------------------------- config bounds
@pytest.mark.parametrize("field", sorted(MAX_SIZES))
@pytest.mark.parametrize("over", [1, 10**9])
def test_every_size_past_its_bound_is_a_config_error_naming_field_and_bound(field, over):
    bound = MAX_SIZES[field]
    with pytest.raises(ConfigError, match=rf"HRMConfig\.{field} must be a whole number from 1 to {bound}"):
        HRMConfig(**{**BASE, field: bound + over})


def test_the_bounds_still_allow_big_networks():
    """A size-free maze network may run ~1000 steps; 4096 wide, 64 deep, a million variables."""
    assert HRMConfig(**{**BASE, "h_cycles": 1024, "l_cycles": 16}).h_cycles == 1024
    assert HRMConfig(**{**BASE, "h_cycles": 16, "l_cycles": 1024}).l_cycles == 1024
    assert HRMConfig(**{**BASE, "hidden": 4096, "heads": 64, "h_layers": 64, "l_layers": 64}).hidden == 4096
    assert HRMConfig(num_variables=1_000_000, num_values=2, hidden=64, heads=4).num_variables == 1_000_000
    assert HRMConfig(num_variables=3481, num_values=2, hidden=128, heads=4, positions="none", l_mixer="conv",
                     grid_height=59, grid_width=59, h_cycles=2, l_cycles=512)


def test_steps_per_segment_are_bounded():
    with pytest.raises(ConfigError, match=rf"h_cycles x l_cycles must be at most {MAX_STEPS}.*1024 x 1024"):
        HRMConfig(**{**BASE, "h_cycles": 1024, "l_cycles": 1024})


@pytest.mark.parametrize(
    "bad, field",
    [
        ({"expansion": float("nan")}, "expansion"),
        ({"expansion": 0}, "expansion"),
        ({"expansion": 1e9}, "expansion"),
        ({"expansion": "4"}, "expansion"),
        ({"num_groups": 10**9, "positions": "groups"}, "num_groups"),
        ({"grid_height": -1}, "grid_height"),
        ({"carry_state": "yes"}, "carry_state"),
        ({"domain": 3}, "domain"),
        ({"positions": ["rope"]}, "positions"),
        ({"num_variables": 1_000_000, "hidden": 4096, "heads": 64}, "num_variables x hidden"),
        ({"num_variables": 1_000_000, "num_groups": 1000, "positions": "groups"}, "num_variables x num_groups"),
    ],
)
def test_other_fields_are_checked_too(bad, field):
    with pytest.raises(ConfigError, match=field):
        HRMConfig(**{**BASE, **bad})


# ----------------------------------------------------------- the config checksum
@pytest.fixture()
def saved(tmp_path) -> Path:
    torch.manual_seed(0)
    return save_model(HRM(HRMConfig(**BASE, domain="sudoku")), tmp_path / "run" / "model.safetensors")


def _edit(path: Path, keep_digest: bool = True, **changes) -> None:
    sidecar_path = path.with_suffix(".json")
    side = json.loads(sidecar_path.read_text())
    side["config"].update(changes)
    if not keep_digest:
        side.pop("config_sha256")
    sidecar_path.write_text(json.dumps(side))


def test_save_writes_the_config_digest(saved):
    side = json.loads(saved.with_suffix(".json").read_text())
    assert side["config_sha256"] == config_sha256(side["config"])
    assert load_model(saved)[0].config.h_cycles == 2


@pytest.mark.parametrize("changes", [{"h_cycles": 3}, {"hidden": 64}, {"carry_state": False}])
def test_a_config_edited_within_bounds_is_refused(saved, changes):
    _edit(saved, **changes)
    with pytest.raises(CheckpointError, match="config in .*model.json was edited after saving"):
        load_model(saved)


@pytest.mark.parametrize("keep_digest", [True, False])
def test_a_config_edited_past_its_bounds_is_refused_naming_the_bound(saved, keep_digest):
    _edit(saved, keep_digest=keep_digest, h_cycles=10**9)
    with pytest.raises(CheckpointError, match="h_cycles must be a whole number from 1 to 1024"):
        load_model(saved)


def test_a_digest_that_is_not_text_is_refused(saved):
    side = json.loads(saved.with_suffix(".json").read_text())
    side["config_sha256"] = 12
    saved.with_suffix(".json").write_text(json.dumps(side))
    with pytest.raises(CheckpointError, match="edited"):
        load_model(saved)


@pytest.mark.parametrize("name", sorted(shipped_weights()))
def test_shipped_sidecars_carry_a_matching_config_digest(name):
    side = json.loads((WEIGHTS_DIR / f"{name}.json").read_text())
    assert side["config_sha256"] == config_sha256(side["config"])
    load_model(WEIGHTS_DIR / f"{name}.safetensors")


def test_the_cli_refuses_an_edited_sidecar_instead_of_hanging(tmp_path):
    """The reported hang: ``solve sudoku --mode neural --max-seconds 2`` on an edited sidecar."""
    run = tmp_path / "run"
    run.mkdir()
    shutil.copy(WEIGHTS_DIR / "sudoku9.safetensors", run / "model.safetensors")
    side = json.loads((WEIGHTS_DIR / "sudoku9.json").read_text())
    side["config"]["h_cycles"] = 1_000_000_000
    (run / "model.json").write_text(json.dumps(side))
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "hybrid_hrm.cli", "solve", "sudoku", "--mode", "neural", "--weights", str(run),
         "--device", "cpu", "--max-seconds", "2", HARD9],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 2, done.stderr
    assert "h_cycles must be a whole number from 1 to 1024" in done.stderr and time.perf_counter() - start < 60


# ------------------------------------------------------- the time budget, neural
def _slow_solver(max_cycles: int, pause: float) -> HybridSolver:
    """A tiny 4x4 model whose every segment takes ``pause`` seconds more."""
    torch.manual_seed(0)
    model = HRM(HRMConfig(**BASE, h_layers=1, l_layers=1, domain="sudoku"))
    solver = HybridSolver("sudoku", model, BridgeConfig(max_cycles=max_cycles), device="cpu")
    policy = solver._policies[(16, 4)]
    step = policy.step

    def slow_step(*args):
        time.sleep(pause)
        return step(*args)

    policy.step = slow_step
    return solver


def test_neural_segments_stop_when_the_time_budget_is_spent():
    solver = _slow_solver(max_cycles=1000, pause=0.02)
    start = time.perf_counter()
    result = solver.solve(PUZZLE4, mode="neural", budget=Budget(max_seconds=0.2))
    assert time.perf_counter() - start < 2.0
    assert 1 <= result.stats.network_calls < 1000
    # Cut short after a segment ran: the last answer is verified as usual, not "out of budget".
    assert result.status in (Status.SOLVED, Status.ANSWER_REJECTED)
    if result.status is Status.ANSWER_REJECTED:
        assert "the time budget was spent" in result.reason


def test_neural_without_a_segment_is_budget_exhausted():
    result = _slow_solver(max_cycles=3, pause=0.0).solve(PUZZLE4, mode="neural", budget=Budget(max_seconds=0))
    assert result.status is Status.BUDGET_EXHAUSTED and result.stats.network_calls == 0
    assert "before the network's first segment" in result.reason


def test_neural_without_a_time_limit_runs_every_segment():
    result = _slow_solver(max_cycles=3, pause=0.0).solve(PUZZLE4, mode="neural", budget=Budget(max_seconds=None))
    assert result.stats.network_calls == 3 and result.status in (Status.SOLVED, Status.ANSWER_REJECTED)


# --------------------------------------------------------- the reliability bench
def test_reliability_bench_has_the_refusal_categories():
    report = run_reliability(scale=0.005, seed=0)
    for name in ("model config bounds", "non-text inputs", "malformed puzzle file"):
        category = report["categories"][name]
        assert category["cases"] > 0 and category["failures"] == 0, category
    assert report["categories"]["non-text inputs"]["cases"] >= 2 * 9  # each input in both modes


def test_a_refusal_that_does_not_happen_is_a_failure():
    assert "accepted" in check_refusal(RefusalCase("x", lambda: None, ConfigError))
    assert "crash" in check_refusal(RefusalCase("x", lambda: 1 / 0, ConfigError))
    assert "expected a CheckpointError" in check_refusal(
        RefusalCase("x", lambda: HRMConfig(**{**BASE, "hidden": 0}), CheckpointError)
    )
    assert "refused" in check_refusal(RefusalCase("x", lambda: HRMConfig(**{**BASE, "hidden": 0}), None))
    assert check_refusal(RefusalCase("x", lambda: HRMConfig(**{**BASE, "hidden": 0}), ConfigError, "hidden")) is None

"""No training work is lost: guarded run folders, checkpoints on a signal, marked resumes, sound rotation."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from hybrid_hrm import checkpoint as ckpt
from hybrid_hrm.cli import main
from hybrid_hrm.model import HRM, HRMConfig
from hybrid_hrm.train import TrainConfig, Trainer
from solvers.errors import TrainingError

TINY = {"hidden": 32, "heads": 2, "h_layers": 1, "l_layers": 1}


def tiny(**kw) -> TrainConfig:
    base = dict(domain="sudoku", size=4, source="generate", train_puzzles=48, eval_puzzles=16, batch_size=16,
                segments=2, max_steps=3, model=TINY, checkpoint_seconds=1e9, threads=1)
    return TrainConfig(**{**base, **kw})


def log_rows(run: Path) -> list[dict]:
    return [json.loads(line) for line in (run / "log.jsonl").read_text().splitlines()]


def test_a_finished_run_is_not_overwritten_without_force(tmp_path):
    run = tmp_path / "run"
    Trainer(tiny(), run, progress=False).run()
    model_bytes = (run / "model.safetensors").read_bytes()
    with pytest.raises(TrainingError, match="--resume .* --force"):
        Trainer(tiny(seed=1), run, progress=False)
    assert (run / "model.safetensors").read_bytes() == model_bytes  # untouched by the refused run
    Trainer(tiny(seed=1, max_steps=2), run, progress=False, force=True).run()
    rows = log_rows(run)
    assert [r["event"] for r in rows if "event" in r] == ["start"]  # the old run's log is gone
    assert [r["step"] for r in rows if "event" not in r] == [1, 2]
    assert ckpt.latest_checkpoint(run).name == "step-00000002"


def test_resume_without_a_checkpoint_is_an_error(tmp_path):
    with pytest.raises(TrainingError, match="no checkpoint"):
        Trainer(tiny(), tmp_path / "empty", resume=True, progress=False)
    code = main(["train", "sudoku", "--size", "4", "--max-steps", "1", "--out", str(tmp_path / "e"), "--resume"])
    assert code == 2


def test_a_resume_is_marked_in_the_log(tmp_path):
    run = tmp_path / "run"
    Trainer(tiny(max_steps=2), run, progress=False).run()
    Trainer(tiny(max_steps=4), run, resume=True, progress=False).run()
    events = [r for r in log_rows(run) if "event" in r]
    assert [e["event"] for e in events] == ["start", "resume"]
    assert events[1]["step"] == 2 and events[1]["checkpoint"] == "step-00000002"
    assert [r["step"] for r in log_rows(run) if "event" not in r] == [1, 2, 3, 4]


def test_sigterm_saves_a_checkpoint_that_resumes(tmp_path, monkeypatch):
    run = tmp_path / "run"
    trainer = Trainer(tiny(max_steps=50), run, progress=False)
    real_batch = trainer.train_batch

    def batch_then_signal():
        metrics = real_batch()
        if trainer.step == 3:
            os.kill(os.getpid(), signal.SIGTERM)
        return metrics

    monkeypatch.setattr(trainer, "train_batch", batch_then_signal)
    result = trainer.run()
    assert result["interrupted"] == "SIGTERM" and result["steps"] == 3 and "eval" not in result
    assert ckpt.latest_checkpoint(run).name == "step-00000003"
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # the handler is put back
    resumed = Trainer(tiny(max_steps=4), run, resume=True, progress=False)
    assert resumed.step == 3
    resumed.run()
    assert [e["event"] for e in log_rows(run) if "event" in e] == ["start", "interrupted", "resume"]


def test_ctrl_c_on_the_command_line_keeps_a_checkpoint(tmp_path):
    run = tmp_path / "run"
    cmd = [sys.executable, "-m", "hybrid_hrm.cli", "train", "sudoku", "--size", "4", "--minutes", "5",
           "--train-puzzles", "48", "--eval-puzzles", "16", "--batch-size", "16", "--hidden", "32", "--heads", "2",
           "--threads", "1", "--quiet", "--out", str(run)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not (
        (run / "log.jsonl").is_file() and sum(1 for r in log_rows(run) if "event" not in r) >= 2
    ):
        time.sleep(0.2)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "--resume" in err
    latest = ckpt.latest_checkpoint(run)
    steps = [r["step"] for r in log_rows(run) if "event" not in r]
    assert latest is not None and latest.name == f"step-{steps[-1]:08d}"


def test_rotation_keeps_what_latest_points_at(tmp_path):
    """A checkpoint of a lower step than stale ones on disk is kept, and ``latest`` stays loadable."""
    model = HRM(HRMConfig(num_variables=16, num_values=4, hidden=16, heads=2))
    for step in (10, 20):
        (tmp_path / "checkpoints" / f"step-{step:08d}").mkdir(parents=True)
    for step in (1, 2, 3):
        ckpt.save_training_checkpoint(tmp_path, step, model, model, {"step": step}, {"step": step}, keep=2)
        latest = ckpt.latest_checkpoint(tmp_path)
        assert latest.name == f"step-{step:08d}"
        assert torch.load(latest / "resume.pt", weights_only=True)["step"] == step
    kept = sorted(p.name for p in (tmp_path / "checkpoints").glob("step-*"))
    assert kept == ["step-00000002", "step-00000003"]

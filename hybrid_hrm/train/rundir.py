"""A run directory that never loses work: guarded against overwrites, logged, saved on a signal.

* :func:`prepare_run_dir`: a folder that already holds a run is resumed
  (``--resume``) or replaced on purpose (``--force``), never silently
  overwritten; ``--resume`` on a folder without a checkpoint is an error.
* :class:`RunLog`: ``log.jsonl``, one JSON object per batch, with a marked
  line at every start and resume (so repeated step numbers are explained).
* :class:`StopSignals`: SIGINT and SIGTERM ask the run to stop after the
  current batch, so it can save a checkpoint; a second signal stops at once.

>>> import tempfile, pathlib
>>> out = pathlib.Path(tempfile.mkdtemp()) / "run"
>>> prepare_run_dir(out, resume=False, force=False)
>>> (out / "model.safetensors").write_bytes(b"x")
1
>>> prepare_run_dir(out, resume=False, force=False)
Traceback (most recent call last):
...
solvers.errors.TrainingError: ... already holds a training run; pass --resume to continue it or --force to replace it
"""

from __future__ import annotations

import json
import shutil
import signal
import threading
from pathlib import Path
from types import FrameType
from typing import Any

from solvers.errors import TrainingError

#: What a run writes into its folder (``--force`` removes exactly these).
RUN_FILES = ("model.safetensors", "model.json", "best.safetensors", "best.json", "log.jsonl", "result.json")
RUN_DIRS = ("checkpoints",)


def holds_run(out: Path) -> bool:
    """Does ``out`` hold (part of) a training run?"""
    return any((out / name).exists() for name in RUN_FILES + RUN_DIRS)


def prepare_run_dir(out: str | Path, *, resume: bool, force: bool, rank: int = 0) -> None:
    """Create ``out`` and check it may be written as this run asks (see the module docstring)."""
    out = Path(out)
    if resume and force:
        raise TrainingError("--resume continues a run and --force replaces it: pass one of them")
    if resume:
        if not (out / "checkpoints" / "latest").is_file():
            raise TrainingError(f"--resume: {out} holds no checkpoint to continue from (start without --resume)")
    elif holds_run(out) and rank == 0:
        if not force:
            raise TrainingError(
                f"{out} already holds a training run; pass --resume to continue it or --force to replace it"
            )
        _clear_run(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / f".write-test-{rank}"
        probe.write_bytes(b"ok")
        probe.unlink()
    except OSError as exc:
        raise TrainingError(f"cannot write to output directory {out}: {exc.strerror or exc}") from None


def _clear_run(out: Path) -> None:
    for name in RUN_FILES:
        (out / name).unlink(missing_ok=True)
    for name in RUN_DIRS:
        shutil.rmtree(out / name, ignore_errors=True)


class RunLog:
    """``log.jsonl`` of a run: batch metrics, and a marked line for each start or resume."""

    def __init__(self, path: Path, enabled: bool = True) -> None:
        self.path = path
        self.enabled = enabled

    def write(self, record: dict[str, Any]) -> None:
        if self.enabled:
            with open(self.path, "a") as handle:
                handle.write(json.dumps(record) + "\n")

    def mark(self, event: str, **fields: Any) -> None:
        """A line that is not a batch: ``{"event": "resume", "step": 120, ...}``."""
        self.write({"event": event, **fields})


class StopSignals:
    """Within ``with``: SIGINT/SIGTERM set :attr:`requested` (a second one raises KeyboardInterrupt).

    Outside the main thread signals cannot be caught; then this does nothing.
    """

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self) -> None:
        self.requested: str | None = None
        self._previous: dict[int, Any] = {}

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.requested is not None:
            raise KeyboardInterrupt
        self.requested = signal.Signals(signum).name

    def __enter__(self) -> "StopSignals":
        if threading.current_thread() is threading.main_thread():
            for sig in self.SIGNALS:
                self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for sig, previous in self._previous.items():
            signal.signal(sig, previous)
        self._previous.clear()


__all__ = ["RUN_FILES", "RunLog", "StopSignals", "holds_run", "prepare_run_dir"]

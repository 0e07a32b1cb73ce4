"""A training run: data, model, optimizer, checkpoints, validation, the run loop.

Runs are reproducible and resumable: batches are a function of
``(seed, rank, step)`` and checkpoints hold weights, optimizer and EMA.
Under ``torchrun`` the model is wrapped in DistributedDataParallel.  What
one batch computes is :mod:`hybrid_hrm.train.step`.
"""

from __future__ import annotations

import copy
import json
import shutil
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import torch

import domains
from domains.base import Domain
from solvers.errors import ConfigError, TrainingError

from .. import checkpoint as ckpt
from .. import distributed as dist_utils
from ..data import PuzzleSet, generate_puzzle_set, solved_puzzle_set, split
from ..model import HRM
from .config import TrainConfig, group_membership, model_config_for
from .evaluate import evaluate, validation_score
from .rundir import RunLog, StopSignals, prepare_run_dir
from .step import BatchStep


def load_puzzles(domain: Domain, config: TrainConfig, cache_dir: Path, progress: bool) -> PuzzleSet:
    """The puzzle set named by ``config.source`` (benchmark puzzles removed)."""
    total = config.train_puzzles + config.eval_puzzles
    source = config.source
    if source == "auto":
        source = "forum_hardest:train" if (domain.name == "sudoku" and config.size == 9) else "generate"
    if source == "generate":
        options = {"min_givens": config.min_givens} if config.min_givens else {}
        return generate_puzzle_set(domain, total, config.seed, size=config.size, **options)
    from domains.base import iter_puzzle_lines
    from domains.collections import COLLECTIONS, collection_lines

    if source.split(":")[0] in COLLECTIONS:
        lines = collection_lines(source)
    else:
        lines = list(iter_puzzle_lines(source))
    rng = np.random.default_rng([config.seed, 1])
    picked = [lines[i] for i in np.sort(rng.permutation(len(lines))[:total])]
    return solved_puzzle_set(domain, picked, cache_dir, progress)



class Trainer(BatchStep):
    """One training run: data, model, optimizer, checkpoints, validation (the batch math: :class:`BatchStep`)."""

    def __init__(
        self,
        config: TrainConfig,
        out_dir: str | Path,
        resume: bool = False,
        progress: bool = True,
        force: bool = False,
    ) -> None:
        self.config = config
        self.out = Path(out_dir)
        self.info = dist_utils.setup(config.device)
        self.progress = progress and self.info.is_main
        if config.threads:
            torch.set_num_threads(config.threads)
        prepare_run_dir(self.out, resume=resume, force=force, rank=self.info.rank)
        self.log = RunLog(self.out / "log.jsonl", enabled=self.info.is_main)
        #: Set when a signal stopped the run early (its name); the checkpoint then holds the last batch.
        self.interrupted: str | None = None
        self.domain = domains.get(config.domain)
        torch.manual_seed(config.seed)
        puzzles = self._load_data()
        self._build_model(puzzles)
        self._check_free_space()
        self.step = 0
        self.elapsed = 0.0
        self.grad_norm_mean: float | None = None  # running mean of accepted gradient norms
        self.skipped_updates = 0
        if resume:
            self._resume()
        self.net = self.model
        if self.info.enabled:
            ids = [self.info.device.index] if self.info.device.type == "cuda" else None
            self.net = torch.nn.parallel.DistributedDataParallel(self.model, device_ids=ids)
        self.autocast = self.info.device.type == "cuda"

    def _load_data(self) -> PuzzleSet:
        """The run's puzzles, split into training, held-out and (when validating) validation sets."""
        c = self.config
        puzzles = load_puzzles(self.domain, c, self.out / "cache", self.progress)
        self.train_set, self.eval_set = split(puzzles, c.eval_puzzles, c.seed)
        self.valid_set = None
        if c.validate_seconds:
            count = max(1, min(256, len(self.train_set) // 10))
            self.train_set, self.valid_set = split(self.train_set, count, c.seed + 1)
        self.best: dict[str, Any] | None = None  # {"score", "step", "weights"} of the best validated model
        self.template = puzzles.template
        return puzzles

    def _build_model(self, puzzles: PuzzleSet) -> None:
        """The model (fresh, or from ``init_from``), its EMA in TRM mode, and the optimizer."""
        c = self.config
        # A layer sound for every instance of the shape (structured domains such as
        # KenKen have per-instance constraints; their shared part prunes all of them).
        self.layer = self.domain.shape_layer(self.template)
        self.model_config = model_config_for(c, puzzles, self.layer)
        groups = self.model_config.positions == "groups"
        membership = group_membership(self.layer, self.template.num_variables) if groups else None
        self.model = HRM(self.model_config, membership).to(self.info.device)
        if c.init_from:
            self._init_from(c.init_from)
        self.ema = copy.deepcopy(self.model) if self.model_config.recursion == "trm" else None
        decay, no_decay = [], []
        for name, p in self.model.named_parameters():
            (no_decay if p.ndim < 2 or "embed" in name else decay).append(p)
        self.optimizer = torch.optim.AdamW(
            [{"params": decay, "weight_decay": c.weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
            lr=c.lr,
            betas=(0.9, 0.95),
        )

    def _init_from(self, weights: str) -> None:
        """Copy saved weights of the same architecture into the fresh model (grid size may differ)."""
        source, _ = ckpt.load_model(weights, domain=self.config.domain)
        state = source.state_dict()
        if source.config.num_groups == 0 and self.model_config.num_groups == 0:
            state["group_membership"] = self.model.group_membership  # [V, 0] either way: no groups
        try:
            self.model.load_state_dict(state)
        except RuntimeError as exc:
            first = str(exc).strip().splitlines()[-1].strip()
            raise ConfigError(f"cannot start from {weights}: its architecture differs ({first})") from None

    # ------------------------------------------------------------- resume/save
    def _check_free_space(self) -> None:
        """Fail at the start, not at the first checkpoint, when the disk cannot hold two."""
        weights = sum(p.numel() * p.element_size() for p in self.model.parameters())
        # model + EMA + raw weights, Adam's two moments, twice (two checkpoints kept), plus slack.
        need = 2 * 6 * weights + (1 << 20)
        free = shutil.disk_usage(self.out).free
        if free < need:
            raise TrainingError(
                f"not enough free disk space in {self.out}: {free:,} bytes free, checkpoints need about {need:,}"
            )

    def _resume(self) -> None:
        latest = ckpt.latest_checkpoint(self.out)
        if latest is None:
            raise TrainingError(f"--resume: {self.out} holds no checkpoint to continue from")
        state = ckpt.load_training_checkpoint(latest, self.model)
        saved = state.get("train_config", {})
        if saved.get("domain") != self.config.domain or saved.get("seed") != self.config.seed:
            raise ckpt.CheckpointError(f"{latest} belongs to another run (domain/seed differ)")
        self.optimizer.load_state_dict(state["optimizer"])
        self.step = int(state["step"])
        self.elapsed = float(state["elapsed"])
        self.grad_norm_mean = state.get("grad_norm_mean")
        self.skipped_updates = int(state.get("skipped_updates", 0))
        if self.valid_set is not None and (self.out / "best.safetensors").is_file():
            best, meta = ckpt.load_model(self.out / "best.safetensors")
            ev = meta["validation"]
            self.best = {"score": validation_score(ev), "step": meta["step"], "which": meta["which"], **ev,
                         "weights": best.state_dict()}
        if self.ema is not None and "ema" in state:
            self.ema.load_state_dict(state["ema"])
        # Batches logged after this checkpoint are redone: the marker says so.
        self.log.mark("resume", step=self.step, checkpoint=latest.name)

    def save(self) -> Path | None:
        if not self.info.is_main:
            return None
        resume = {
            "optimizer": self.optimizer.state_dict(),
            "step": self.step,
            "elapsed": self.elapsed,
            "grad_norm_mean": self.grad_norm_mean,
            "skipped_updates": self.skipped_updates,
            "train_config": _jsonable(asdict(self.config)),
        }
        if self.ema is not None:
            resume["ema"] = self.ema.state_dict()
        meta = {"step": self.step, "train_config": _jsonable(asdict(self.config))}
        return ckpt.save_training_checkpoint(self.out, self.step, self.model, self.ema or self.model, resume, meta)

    # --------------------------------------------------------------------- run
    def run(self) -> dict[str, Any]:
        """Train until the step or time budget ends (or SIGINT/SIGTERM), checkpointing; then evaluate.

        An interrupted run saves a checkpoint of its last batch and returns
        ``{"interrupted": signal name, ...}`` without the final evaluation.
        """
        c = self.config
        if self.step == 0:
            self.log.mark("start", train_config=_jsonable(asdict(c)))
        history: list[dict[str, Any]] = []
        with self._progress_bar() as bar, StopSignals() as signals:
            last_save = last_validation = time.perf_counter()
            validate_every = c.validate_seconds
            while not self._budget_done():
                t0 = time.perf_counter()
                metrics = self.train_batch()
                self.elapsed += time.perf_counter() - t0
                metrics["step"] = self.step
                history.append(metrics)
                self.log.write(metrics)
                _show(bar, metrics)
                if dist_utils.any_rank(signals.requested is not None, self.info):
                    self.interrupted = signals.requested or "SIGTERM"
                    break
                if c.validate_seconds and time.perf_counter() - last_validation >= validate_every:
                    began = time.perf_counter()
                    self.validate()
                    last_validation = time.perf_counter()
                    # Validation stays under a fifth of the wall time, however slow it is (30x30 mazes).
                    validate_every = max(c.validate_seconds, 4.0 * (last_validation - began))
                due_by_steps = c.checkpoint_steps is not None and self.step % c.checkpoint_steps == 0
                if due_by_steps or time.perf_counter() - last_save >= c.checkpoint_seconds:
                    self.save()
                    last_save = time.perf_counter()
        return self._finish(history)

    def _budget_done(self) -> bool:
        c = self.config
        if c.max_steps is not None and self.step >= c.max_steps:
            return True
        return c.minutes is not None and self.elapsed >= c.minutes * 60

    def _progress_bar(self):
        from tqdm import tqdm

        return tqdm(
            total=self.config.max_steps,
            initial=self.step,
            disable=not self.progress,
            desc=f"train {self.config.domain}",
            unit="batch",
            file=sys.stderr,
            dynamic_ncols=True,
            mininterval=0.5 if sys.stderr.isatty() else 30.0,
        )

    def _finish(self, history: list[dict[str, Any]]) -> dict[str, Any]:
        """Save the last state; evaluate the final (and best validated) weights unless interrupted."""
        c = self.config
        if c.validate_seconds and not self.interrupted:
            self.validate()
        self.save()
        result: dict[str, Any] = {"steps": self.step, "seconds": self.elapsed, "history": history}
        if self.interrupted:
            self.log.mark("interrupted", step=self.step, signal=self.interrupted)
            result["interrupted"] = self.interrupted
            dist_utils.barrier(self.info)
            return result
        if self.info.enabled:
            result["rank_checksums"] = self.rank_checksums()
        if self.info.is_main:
            final = self.ema or self.model
            result["eval"] = evaluate(final, self.domain, self.eval_set, c.segments, self.info.device)
            if self.best is not None:
                best = copy.deepcopy(final)
                best.load_state_dict(self.best["weights"])
                result["best"] = {k: v for k, v in self.best.items() if k != "weights"}
                result["best"]["eval"] = evaluate(best, self.domain, self.eval_set, c.segments, self.info.device)
        dist_utils.barrier(self.info)
        return result

    def validate(self) -> None:
        """Score the raw and EMA weights on the validation slice (``validation_score``); save the best so far."""
        if not self.info.is_main or self.valid_set is None:
            return
        candidates = [("raw", self.model)] + ([("ema", self.ema)] if self.ema is not None else [])
        for which, model in candidates:
            ev = evaluate(model, self.domain, self.valid_set, self.config.segments, self.info.device)
            score = validation_score(ev)
            if self.best is None or score > self.best["score"]:
                weights = {k: v.detach().clone() for k, v in model.state_dict().items()}
                self.best = {"score": score, "step": self.step, "weights": weights, "which": which, **ev}
                meta = {"step": self.step, "which": which, "validation": ev,
                        "train_config": _jsonable(asdict(self.config))}
                ckpt.save_model(model, self.out / "best.safetensors", meta)

    def rank_checksums(self) -> list[float]:
        """Sum of all parameters on every rank: equal when the ranks stay in sync."""
        import torch.distributed as dist

        local = float(sum(p.detach().double().sum().item() for p in self.model.parameters()))
        gathered: list[Any] = [None] * self.info.world_size
        dist.all_gather_object(gathered, local)
        return gathered


def _show(bar: Any, metrics: dict[str, Any]) -> None:
    bar.update(1)
    bar.set_postfix(
        loss=f"{metrics['loss']:.3f}", cell=f"{metrics['cell_acc']:.3f}", exact=f"{metrics['exact']:.2f}", refresh=False
    )


def _jsonable(d: dict) -> dict:
    return json.loads(json.dumps(d, default=str))

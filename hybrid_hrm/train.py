"""The training engine: deep supervision with the symbolic layer in the loop.

Each batch runs up to ``segments`` segments; every segment is one forward,
one backward and one optimizer step (the HRM paper's deep supervision).
Between segments the symbolic layer takes part, as it will at inference:
the subgoals H is most confident about that are right get committed and
``prune`` propagates them, so the network learns on the candidate arrays
the bridge will show it.  A share of each batch stays *neural* (givens
only, no pruning) so the network alone is trained and measured too.

Losses: cross-entropy on undecided variables; BCE of the proposal head
(is H's value for this variable right?); BCE of the Q-head whose target is
the domain's *verifier* on the whole answer (ACT halting).  Instances the
Q-head halts leave the batch early (single process), saving their compute.

Runs are reproducible and resumable: batches are a function of
``(seed, rank, step)`` and checkpoints hold weights, optimizer and EMA.
Under ``torchrun`` the model is wrapped in DistributedDataParallel.
"""

from __future__ import annotations

import copy
import json
import math
import shutil
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

import domains
from domains.base import Domain
from solvers.base import values_to_candidates
from solvers.errors import ConfigError, TrainingError

from . import checkpoint as ckpt
from . import distributed as dist_utils
from .data import PuzzleSet, generate_puzzle_set, make_batch, solved_puzzle_set, split
from .model import HRM, HRMConfig


@dataclass(frozen=True)
class TrainConfig:
    """Everything a training run depends on (saved in every checkpoint)."""

    domain: str = "sudoku"
    size: int = 9  # Sudoku side; other domains may ignore it
    source: str = "auto"  # "auto", "generate", a collection name or a file path
    train_puzzles: int = 4000
    #: Generator option: stop removing givens at this count (0: minimal puzzles). Minimal
    #: 16x16 Sudokus take ~20 s each to generate on a CPU; 120 givens take ~0.15 s.
    min_givens: int = 0
    eval_puzzles: int = 256
    batch_size: int = 128
    segments: int = 4  # deep-supervision segments per batch (M)
    lr: float | None = None  # None: the domain's preset (DOMAIN_PRESETS), else DEFAULT_LR
    weight_decay: float = 0.1
    warmup_steps: int = 20
    #: "constant" after warm-up, or "cosine": down to 10% at the end of the budget (steps or
    #: minutes, whichever ends first).  None: the domain's preset, else "constant".
    lr_schedule: str | None = None
    grad_clip: float = 1.0
    neural_share: float = 0.3  # share of a batch trained without the symbolic layer
    commit_per_segment: int = 2  # right subgoals committed between segments
    halt_exploration: float = 0.1  # HRM's ACT exploration probability
    #: Skip an update whose gradient norm is over this multiple of the running mean
    #: (0: never; a non-finite gradient is always skipped).  Long recurrences (mazes)
    #: collapsed right after such spikes.  None: the domain's preset, else 0.
    spike_factor: float | None = None
    #: Every this many seconds (and at least 4x the last validation's own time, so it
    #: costs under a fifth of the wall time), score the weights (raw and EMA) on a
    #: validation slice of the training puzzles and keep the best in ``best.safetensors``
    #: (what to ship when training oscillates).  0: never.  None: the domain's preset, else 0.
    #: ``minutes`` counts training time only.
    validate_seconds: float | None = None
    #: Start from these weights (a run directory or ``.safetensors``) instead of a random
    #: init: fine-tuning, or a curriculum from a smaller grid (a conv model has no
    #: size-bound parameter).  The architecture must match.
    init_from: str | None = None
    ema_decay: float = 0.999  # used when model.recursion == "trm"
    seed: int = 0
    minutes: float | None = None
    max_steps: int | None = None
    checkpoint_seconds: float = 120.0
    checkpoint_steps: int | None = None  # also save every this many batches
    device: str = "auto"
    threads: int | None = None
    model: dict[str, Any] = field(default_factory=dict)  # HRMConfig overrides

    def __post_init__(self) -> None:
        if self.minutes is None and self.max_steps is None:
            raise ConfigError("give --minutes or --max-steps")
        for name in ("batch_size", "segments", "train_puzzles", "eval_puzzles"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be >= 1")
        preset = DOMAIN_PRESETS.get(self.domain, {})
        if self.lr is None:
            object.__setattr__(self, "lr", preset.get("lr", DEFAULT_LR))
        if self.lr_schedule is None:
            object.__setattr__(self, "lr_schedule", preset.get("lr_schedule", "constant"))
        if self.spike_factor is None:
            object.__setattr__(self, "spike_factor", float(preset.get("spike_factor", 0.0)))
        if not (self.spike_factor == 0 or self.spike_factor > 1):
            raise ConfigError(f"spike_factor must be 0 (off) or > 1, got {self.spike_factor!r}")
        if self.validate_seconds is None:
            object.__setattr__(self, "validate_seconds", float(preset.get("validate_seconds", 0.0)))
        if not (self.validate_seconds >= 0 and math.isfinite(self.validate_seconds)):
            raise ConfigError(f"validate_seconds must be >= 0, got {self.validate_seconds!r}")
        if self.lr_schedule not in ("constant", "cosine"):
            raise ConfigError(f"lr_schedule must be 'constant' or 'cosine', got {self.lr_schedule!r}")
        if not (isinstance(self.lr, (int, float)) and self.lr > 0 and math.isfinite(self.lr)):
            raise ConfigError(f"lr must be a positive number, got {self.lr}")
        if self.minutes is not None and not (self.minutes > 0 and math.isfinite(self.minutes)):
            raise ConfigError(f"minutes must be a positive number, got {self.minutes}")
        if not isinstance(self.min_givens, int) or self.min_givens < 0:
            raise ConfigError(f"min_givens must be a whole number >= 0, got {self.min_givens!r}")
        if not 0.0 <= self.neural_share <= 1.0:
            raise ConfigError("neural_share must be in [0, 1]")


#: The CPU training preset: small enough that minutes of a 2-core CPU buy learning.
#: Measured on 4x4 Sudoku (network-alone exact solves of held-out puzzles):
#: constraint-group positions ("groups") 0.93 vs rotary 0.69 after 2 min;
#: TRM recursion 1.000 vs the paper's one-step gradient 0.965 after 5 min.
#: The model class keeps the paper's defaults (rotary, one-step); pass
#: ``--recursion hrm --positions rope`` to train that way.
DEFAULT_MODEL = {
    "hidden": 64,
    "heads": 4,
    "h_layers": 1,
    "l_layers": 1,
    "h_cycles": 2,
    "l_cycles": 2,
    "positions": "groups",
    "recursion": "trm",
}

DEFAULT_LR = 3e-3

#: Per-domain departures from DEFAULT_MODEL and the training defaults (explicit options win).
#: Mazes (measured on 9x9, 8 minutes, 1 thread): a shortest path is a wavefront across
#: the grid, which a 3x3 convolution iterated in L computes one cell per step; global
#: attention stayed at 0% network-alone on 11x11 after 15 minutes.  Backpropagating all
#: 16 steps (one H cycle) learned fast but collapsed again and again (96% -> 7% exact within
#: ten batches, even at lr 4e-5); TRM's recursion (a first pass of 8 L steps without
#: gradient, the second with it) learned smoothly to 98% held-out.  Spike skipping and
#: validation keep a late collapse from reaching the saved model.
DOMAIN_PRESETS: dict[str, dict[str, Any]] = {
    "maze": {
        "lr": 3e-4,
        "lr_schedule": "cosine",
        "spike_factor": 4.0,
        "validate_seconds": 30.0,
        "model": {"l_mixer": "conv", "positions": "none", "hidden": 32, "h_cycles": 2, "l_cycles": 8},
    },
}


def model_config_for(config: TrainConfig, ps: PuzzleSet, layer) -> HRMConfig:
    preset = DOMAIN_PRESETS.get(config.domain, {}).get("model", {})
    # A model trained on one segment never saw a carried state: it restarts every segment.
    overrides = {**DEFAULT_MODEL, "carry_state": config.segments > 1, **preset, **config.model}
    if overrides.get("positions") == "groups":
        overrides["num_groups"] = len(group_membership(layer, ps.template.num_variables)[0])
    if overrides.get("l_mixer") == "conv":
        shape = tuple(int(n) for n in ps.template.shape)
        if len(shape) != 2 or shape[0] * shape[1] != ps.template.num_variables:
            raise ConfigError(f"l_mixer='conv' needs variables on a grid; {config.domain} instances have shape {shape}")
        overrides["grid_height"], overrides["grid_width"] = shape
    return HRMConfig(
        num_variables=ps.template.num_variables,
        num_values=ps.template.num_values,
        domain=config.domain,
        **overrides,
    )


def group_membership(layer, num_variables: int) -> np.ndarray:
    """``[V, U]`` membership of variables in the layer's constraint groups."""
    groups = getattr(layer, "groups", None)
    if not groups:
        raise ConfigError("positions='groups' needs a symbolic layer with constraint groups")
    member = np.zeros((num_variables, len(groups)), dtype=np.float32)
    for u, group in enumerate(groups):
        member[list(group), u] = 1.0
    return member


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


class Trainer:
    """One training run (see the module docstring)."""

    def __init__(self, config: TrainConfig, out_dir: str | Path, resume: bool = False, progress: bool = True) -> None:
        self.config = config
        self.out = Path(out_dir)
        self.info = dist_utils.setup(config.device)
        self.progress = progress and self.info.is_main
        if config.threads:
            torch.set_num_threads(config.threads)
        try:
            self.out.mkdir(parents=True, exist_ok=True)
            probe = self.out / f".write-test-{self.info.rank}"
            probe.write_bytes(b"ok")
            probe.unlink()
        except OSError as exc:
            raise TrainingError(f"cannot write to output directory {self.out}: {exc.strerror or exc}") from None
        self.domain = domains.get(config.domain)
        torch.manual_seed(config.seed)
        puzzles = load_puzzles(self.domain, config, self.out / "cache", self.progress)
        self.train_set, self.eval_set = split(puzzles, config.eval_puzzles, config.seed)
        self.valid_set = None
        if config.validate_seconds:
            count = max(1, min(256, len(self.train_set) // 10))
            self.train_set, self.valid_set = split(self.train_set, count, config.seed + 1)
        self.best: dict[str, Any] | None = None  # {"score", "step", "weights"} of the best validated model
        self.template = puzzles.template
        # A layer sound for every instance of the shape (structured domains such as
        # KenKen have per-instance constraints; their shared part prunes all of them).
        self.layer = getattr(self.domain, "shape_layer", self.domain.layer)(self.template)
        self.model_config = model_config_for(config, puzzles, self.layer)
        membership = (
            group_membership(self.layer, self.template.num_variables)
            if self.model_config.positions == "groups"
            else None
        )
        self.model = HRM(self.model_config, membership).to(self.info.device)
        if config.init_from:
            self._init_from(config.init_from)
        self.ema = copy.deepcopy(self.model) if self.model_config.recursion == "trm" else None
        decay, no_decay = [], []
        for name, p in self.model.named_parameters():
            (no_decay if p.ndim < 2 or "embed" in name else decay).append(p)
        self.optimizer = torch.optim.AdamW(
            [{"params": decay, "weight_decay": config.weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
            lr=config.lr,
            betas=(0.9, 0.95),
        )
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
            return
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
            self.best = {"score": _score(ev), "step": meta["step"], "which": meta["which"], **ev,
                         "weights": best.state_dict()}
        if self.ema is not None and "ema" in state:
            self.ema.load_state_dict(state["ema"])

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

    # -------------------------------------------------------------------- step
    def lr_at(self, step: int) -> float:
        c = self.config
        lr = c.lr * min(1.0, (step + 1) / max(1, c.warmup_steps))
        if c.lr_schedule == "cosine":
            lr *= 0.1 + 0.45 * (1.0 + math.cos(math.pi * self.budget_spent()))
        return lr

    def budget_spent(self) -> float:
        """Share of the budget spent, 0..1: steps or minutes, whichever is further along."""
        c = self.config
        done = 0.0 if c.max_steps is None else self.step / max(1, c.max_steps)
        if c.minutes is not None:
            done = max(done, self.elapsed / (60.0 * c.minutes))
        return min(1.0, done)

    def train_batch(self) -> dict[str, float]:
        """One batch: up to ``segments`` segments, each with its optimizer step."""
        c = self.config
        givens, solutions = make_batch(self.domain, self.train_set, c.batch_size, c.seed, self.step, self.info.rank)
        rng = np.random.default_rng([c.seed, self.info.rank, self.step, 7])
        K = self.template.num_values
        cand = values_to_candidates(givens, K)
        symbolic = rng.random(len(givens)) >= c.neural_share
        if symbolic.any():
            pruned = self.layer.prune(cand[symbolic])
            # Instances propagation solves outright never reach the network at
            # inference: train on them without the symbolic layer instead.
            open_rows = (pruned.sum(-1) > 1).any(-1)
            rows = np.flatnonzero(symbolic)
            cand[rows[open_rows]] = pruned[open_rows]
            symbolic[rows[~open_rows]] = False
        # ACT exploration: some instances must run at least 2..segments segments (none with one segment).
        explore = rng.random(len(givens)) < c.halt_exploration
        min_segments = np.ones(len(givens), dtype=np.int64)
        if c.segments > 1:
            min_segments = np.where(explore, rng.integers(2, c.segments + 1, len(givens)), 1)
        tokens = torch.from_numpy(self.domain.encode_batch(givens)).to(self.info.device)
        target = torch.from_numpy(solutions).to(self.info.device)
        active = np.arange(len(givens))
        state = None
        metrics: dict[str, float] = {}
        puzzle_segments = 0  # puzzles actually run, summed over segments (ACT drops some)
        for segment in range(c.segments):
            puzzle_segments += len(active)
            for group in self.optimizer.param_groups:
                group["lr"] = self.lr_at(self.step)
            cand_t = torch.from_numpy(cand[active]).to(self.info.device)
            with torch.autocast(self.info.device.type, dtype=torch.bfloat16, enabled=self.autocast):
                out, state = self.net(tokens[active], cand_t, state)
            loss, seg_metrics, prediction, confident_order = self._loss(
                out, cand_t, target[active], cand[active], givens[active]
            )
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            grad_norm = float(torch.nn.utils.clip_grad_norm_(self.model.parameters(), c.grad_clip))
            if self._accept_update(grad_norm):
                self.optimizer.step()
            if self.ema is not None:
                # Warm-up of the EMA: short runs must not average in the random init.
                decay = min(c.ema_decay, (1 + self.step) / (10 + self.step))
                with torch.no_grad():
                    for pe, pm in zip(self.ema.parameters(), self.model.parameters()):
                        pe.lerp_(pm, 1.0 - decay)
            metrics = seg_metrics
            metrics["segments"] = segment + 1
            metrics["grad_norm"] = grad_norm
            metrics["skipped_updates"] = self.skipped_updates
            metrics["lr"] = self.lr_at(self.step)
            metrics["puzzle_segments"] = puzzle_segments
            if segment == c.segments - 1:
                break
            # The symbolic layer between segments: commit right subgoals, propagate.
            sub = symbolic[active]
            if sub.any() and c.commit_per_segment > 0:
                local = cand[active]
                rows = np.flatnonzero(sub)
                right = prediction[rows] == solutions[active][rows]
                undecided = local[rows].sum(-1) > 1
                order = confident_order[rows]
                for i, r in enumerate(rows):
                    picks = [v for v in order[i] if undecided[i, v] and right[i, v]][: c.commit_per_segment]
                    if picks:
                        local[r, picks] = False
                        local[r, picks, prediction[r, picks]] = True
                local[rows] = self.layer.prune(local[rows])
                cand[active] = local
            # ACT: drop instances the Q-head halts, and those propagation has fully
            # decided (symbolic halting: nothing left to learn on them). Single
            # process only: DDP ranks must run the same number of steps.
            if not self.info.enabled:
                halt = (out.q_halt.detach().float().cpu().numpy() > 0) & (segment + 1 >= min_segments[active])
                halt |= (cand[active].sum(-1) == 1).all(-1)
                if halt.all():
                    active = active[:0]
                    break
                if halt.any():
                    keep = ~halt
                    keep_t = torch.from_numpy(keep).to(self.info.device)
                    state = type(state)(state.z_H[keep_t], state.z_L[keep_t])
                    active = active[keep]
        metrics["active_end"] = len(active) / len(givens)
        self.step += 1
        return metrics

    def _accept_update(self, grad_norm: float) -> bool:
        """False for a non-finite gradient or a spike (see ``TrainConfig.spike_factor``)."""
        factor = self.config.spike_factor
        spike = factor and self.grad_norm_mean is not None and grad_norm > factor * self.grad_norm_mean
        if not math.isfinite(grad_norm):
            self.skipped_updates += 1
            return False
        mean = self.grad_norm_mean
        if spike:
            # Let the mean creep up, so a lasting change of scale is accepted after a few batches.
            self.grad_norm_mean = 0.9 * mean + 0.1 * factor * mean
            self.skipped_updates += 1
            return False
        self.grad_norm_mean = grad_norm if mean is None else 0.9 * mean + 0.1 * grad_norm
        return True

    def _loss(self, out, cand_t, target, cand_np, givens_np):
        undecided = cand_t.sum(-1) > 1  # [B, V]
        logits = out.logits
        ce_all = F.cross_entropy(logits.transpose(1, 2), target, reduction="none")  # [B, V]
        n_und = undecided.sum().clamp(min=1)
        ce = (ce_all * undecided).sum() / n_und
        prediction = logits.argmax(-1)  # [B, V]
        right = prediction == target
        prop_loss = (
            F.binary_cross_entropy_with_logits(out.proposal, right.float(), reduction="none") * undecided
        ).sum() / n_und
        pred_np = prediction.detach().cpu().numpy()
        valid = self.domain.verify_batch(self.template, pred_np, cand_np)
        q_target = torch.from_numpy(valid).to(out.q_halt.device).float()
        q_loss = F.binary_cross_entropy_with_logits(out.q_halt, q_target)
        loss = ce + 0.5 * prop_loss + 0.5 * q_loss
        confident_order = torch.argsort(out.proposal.detach(), dim=-1, descending=True).cpu().numpy()
        with torch.no_grad():
            acc = ((right & undecided).sum() / n_und).item()
            uniform = ((1.0 / cand_t.sum(-1).clamp(min=1)) * undecided).sum().item() / n_und.item()
        metrics = {"loss": float(loss.item()), "cell_acc": acc, "uniform_acc": uniform, "exact": float(valid.mean())}
        return loss, metrics, pred_np, confident_order

    # --------------------------------------------------------------------- run
    def run(self) -> dict[str, Any]:
        from tqdm import tqdm

        c = self.config
        budget_s = None if c.minutes is None else c.minutes * 60
        bar = tqdm(
            total=c.max_steps,
            initial=self.step,
            disable=not self.progress,
            desc=f"train {c.domain}",
            unit="batch",
            file=sys.stderr,
            dynamic_ncols=True,
            mininterval=0.5 if sys.stderr.isatty() else 30.0,
        )
        last_save = last_validation = time.perf_counter()
        validate_every = c.validate_seconds
        log_path = self.out / "log.jsonl"
        history = []
        while True:
            if c.max_steps is not None and self.step >= c.max_steps:
                break
            if budget_s is not None and self.elapsed >= budget_s:
                break
            t0 = time.perf_counter()
            metrics = self.train_batch()
            self.elapsed += time.perf_counter() - t0
            metrics["step"] = self.step
            history.append(metrics)
            if self.info.is_main:
                with open(log_path, "a") as f:
                    f.write(json.dumps(metrics) + "\n")
            bar.update(1)
            bar.set_postfix(
                loss=f"{metrics['loss']:.3f}",
                cell=f"{metrics['cell_acc']:.3f}",
                exact=f"{metrics['exact']:.2f}",
                refresh=False,
            )
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
        bar.close()
        if c.validate_seconds:
            self.validate()
        self.save()
        result = {"steps": self.step, "seconds": self.elapsed, "history": history}
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
        """Score (:func:`_score`) the raw and EMA weights on the validation slice; save the best so far."""
        if not self.info.is_main or self.valid_set is None:
            return
        candidates = [("raw", self.model)] + ([("ema", self.ema)] if self.ema is not None else [])
        for which, model in candidates:
            ev = evaluate(model, self.domain, self.valid_set, self.config.segments, self.info.device)
            score = _score(ev)
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


@torch.no_grad()
def evaluate(
    model: HRM, domain: Domain, ps: PuzzleSet, segments: int, device, batch_size: int = 256
) -> dict[str, float]:
    """Held-out metrics: the network alone (givens only) and on pruned candidates.

    ``cell_acc`` is accuracy on variables still undecided after propagation;
    ``uniform_acc`` is what a uniform pick among their candidates scores.
    """
    model.eval()
    layer = getattr(domain, "shape_layer", domain.layer)(ps.template)
    K = ps.template.num_values
    totals = {"neural_exact": 0.0, "cell_acc": 0.0, "uniform_acc": 0.0, "undecided": 0.0}
    for start in range(0, len(ps), batch_size):
        givens = ps.givens[start : start + batch_size].astype(np.int64)
        solutions = torch.from_numpy(ps.solutions[start : start + batch_size].astype(np.int64)).to(device)
        tokens = torch.from_numpy(domain.encode_batch(givens)).to(device)
        raw = values_to_candidates(givens, K)
        for mode, cand in (("neural", raw), ("pruned", layer.prune(raw))):
            cand_t = torch.from_numpy(cand).to(device)
            state = None
            for _ in range(segments):
                out, state = model(tokens, cand_t, state)
            pred = out.logits.argmax(-1)
            if mode == "neural":
                totals["neural_exact"] += float(domain.verify_batch(ps.template, pred.cpu().numpy(), raw).sum())
            else:
                und = cand_t.sum(-1) > 1
                totals["cell_acc"] += float(((pred == solutions) & und).sum())
                totals["uniform_acc"] += float(((1.0 / cand_t.sum(-1).clamp(min=1)) * und).sum())
                totals["undecided"] += float(und.sum())
    n_und = max(totals["undecided"], 1.0)
    model.train()
    return {
        "puzzles": len(ps),
        "neural_exact": totals["neural_exact"] / len(ps),
        "cell_acc": totals["cell_acc"] / n_und,
        "uniform_acc": totals["uniform_acc"] / n_und,
        "undecided_cells": totals["undecided"],
    }


def evaluate_checkpoint(weights: str | Path, config: TrainConfig, device: str = "cpu") -> dict[str, float]:
    """Evaluate saved weights on the held-out split of the run ``config`` describes."""
    from .checkpoint import load_model

    domain = domains.get(config.domain)
    puzzles = load_puzzles(domain, config, Path(weights).parent / "cache", progress=False)
    _, held_out = split(puzzles, config.eval_puzzles, config.seed)
    model, _ = load_model(weights, device=device, domain=config.domain)
    return evaluate(model, domain, held_out, config.segments, torch.device(device))


def _score(ev: dict[str, float]) -> float:
    """Validation score: network-alone exact rate, ties broken by accuracy on undecided cells."""
    return ev["neural_exact"] + 1e-3 * ev["cell_acc"]


def _jsonable(d: dict) -> dict:
    return json.loads(json.dumps(d, default=str))


def config_from_args(args) -> TrainConfig:
    model = {}
    for key in ("hidden", "heads", "h_layers", "l_layers", "h_cycles", "l_cycles", "recursion", "positions", "l_mixer"):
        value = getattr(args, key, None)
        if value is not None:
            model[key] = value
    return TrainConfig(
        domain=args.domain,
        size=args.size,
        source=args.source,
        train_puzzles=args.train_puzzles,
        eval_puzzles=args.eval_puzzles,
        min_givens=args.min_givens,
        batch_size=args.batch_size,
        segments=args.segments,
        lr=args.lr,
        seed=args.seed,
        minutes=args.minutes,
        warmup_steps=args.warmup_steps,
        lr_schedule=args.lr_schedule,
        spike_factor=args.spike_factor,
        validate_seconds=args.validate_seconds,
        init_from=args.init_from,
        max_steps=args.max_steps,
        device=args.device,
        threads=args.threads,
        checkpoint_seconds=args.checkpoint_seconds,
        model=model,
        checkpoint_steps=args.checkpoint_steps,
    )


def main_from_args(args) -> int:
    config = config_from_args(args)
    trainer = Trainer(config, args.out, resume=args.resume, progress=not args.quiet)
    result = trainer.run()
    if trainer.info.is_main:
        ev = result["eval"]
        cells = (
            f"cell accuracy on cells undecided after propagation {ev['cell_acc']:.3f} "
            f"(uniform guess {ev['uniform_acc']:.3f})"
            if ev["undecided_cells"]
            else "propagation decides every cell"
        )
        print(
            f"final eval on {ev['puzzles']} held-out puzzles: network alone exact {ev['neural_exact']:.3f}, {cells}; "
            f"{result['steps']} steps in {result['seconds'] / 60:.1f} min; model: {args.out}/model.safetensors"
        )
        if "best" in result:
            best = result["best"]
            cell = f", cell accuracy {best['eval']['cell_acc']:.3f}" if best["eval"]["undecided_cells"] else ""
            print(
                f"best validated weights ({best['which']}, step {best['step']}): held-out network alone exact "
                f"{best['eval']['neural_exact']:.3f}{cell}; model: {args.out}/best.safetensors"
            )
        summary = {k: v for k, v in result.items() if k != "history"}
        (Path(args.out) / "result.json").write_text(json.dumps(summary, indent=1))
    dist_utils.teardown(trainer.info)
    return 0


if __name__ == "__main__":  # torchrun --nproc_per_node=K -m hybrid_hrm.train sudoku ...
    import argparse

    from .train_cli import add_train_arguments

    parser = argparse.ArgumentParser(prog="python -m hybrid_hrm.train")
    add_train_arguments(parser)
    raise SystemExit(main_from_args(parser.parse_args()))

"""Train the size-free maze reasoner on small mazes, one supervised step of the wave trace per iteration.

Run:  python -m hybrid_hrm.train.reasoner --out runs/reasoner --minutes 30

Each iteration draws a batch of mazes from a pool of small generated mazes
(default 7x7 to 15x15, with and without loops) and their traces
(:mod:`solvers.graph_trace`), then, per maze, a random step ``t0`` of the
trace: from the true state at ``t0`` the network runs ``n`` steps without
gradient (``n`` random up to ``nograd_max``, its own state snapped as at
inference: *progressive* training), then ``grad_steps`` steps with gradient,
each supervised with the rule's next state from the state the network is in
(reached, parent, on-path: :func:`solvers.graph_trace.wave_step`; on the
trace this is the trace's next state; cells that change weigh
``change_weight`` times more); each gradient step starts from the snapped
state, as at inference.
Ablations: ``supervision="answer"`` (only the final on-path mark, from the
start, ``n + grad_steps`` reaching the trace's length: no step labels),
``progressive=False`` (one teacher-forced step, no rollout), ``recall=False``
(the maze enters only the first state), ``knockouts=(0.0,)`` (no loops).

Every ``eval_seconds`` the run evaluates the network alone (snapped, convergence
halt, verified) on held-out mazes: the pool's size range (selects
``best.safetensors``) and a few larger ones (logged, never selects).  The log
is ``log.jsonl`` in the run directory; ``model.safetensors`` is the last model.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

import domains
from solvers.errors import HybridHRMError
from solvers.graph_trace import wave_step

from ..checkpoint import save_model
from ..model.reasoner import ON_PATH, PARENT, REACHED, TRACE_CHANNELS, Reasoner, ReasonerConfig
from .reasoner_data import Batch, Sample, batch_of, make_pool, one_hot_state
from .rundir import RunLog, StopSignals, prepare_run_dir


@dataclass
class ReasonerTrainConfig:
    minutes: float = 30.0
    seed: int = 0
    pool: int = 3000
    sizes: tuple[int, ...] = tuple(range(7, 16))
    knockouts: tuple[float, ...] = (0.0, 0.05, 0.1)
    batch_size: int = 32
    lr: float = 1e-3
    supervision: str = "steps"  # "steps" (the trace) or "answer" (the final on-path mark only)
    progressive: bool = True
    nograd_max: int = 8
    grad_steps: int = 1
    change_weight: float = 5.0
    hidden: int = 64
    latent: int = 0
    recall: bool = True
    snap: bool = True
    eval_seconds: float = 120.0
    eval_sizes: tuple[int, ...] = (15, 30)
    eval_count: int = 48
    threads: int = 1
    model: dict = field(default_factory=dict)

    def model_config(self) -> ReasonerConfig:
        snap = self.snap and self.supervision == "steps"
        return ReasonerConfig(hidden=self.hidden, latent=self.latent, recall=self.recall, snap=snap, **self.model)


# --------------------------------------------------------------------- loss
def rule_step(x: torch.Tensor, state: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The wave's own next ``(reached, parent, on_path)`` from the trace channels of ``state`` (snapped)."""
    s = state[:, :TRACE_CHANNELS].detach().numpy()
    reached, parent, on = wave_step(
        x[:, 0].numpy() > 0.5, x[:, 2].numpy() > 0.5, s[:, 0] > 0.5, s[:, 1:6].argmax(1).astype(np.int8), s[:, 6] > 0.5
    )
    return (torch.from_numpy(reached).float(), torch.from_numpy(parent.astype(np.int64)), torch.from_numpy(on).float())


def step_loss(logits: torch.Tensor, target: tuple, prev: torch.Tensor, inside: torch.Tensor, weight: float):
    """Cross-entropy of one step's ``logits [B, 7, S, S]`` against the next state ``target``
    (cells that change weigh ``weight`` times more)."""
    reached, parent, on = target
    full = torch.cat([reached[:, None], F.one_hot(parent, 5).permute(0, 3, 1, 2).float(), on[:, None]], 1)
    changed = (full != prev).any(1).float()
    w = inside * (1.0 + (weight - 1.0) * changed)
    ce = (
        F.binary_cross_entropy_with_logits(logits[:, REACHED][:, 0], reached, reduction="none")
        + F.cross_entropy(logits[:, PARENT], parent, reduction="none")
        + F.binary_cross_entropy_with_logits(logits[:, ON_PATH][:, 0], on, reduction="none")
    )
    return (ce * w).sum() / w.sum()


def _tensors(b: Batch) -> dict:
    return {
        "x": torch.from_numpy(b.x),
        "reached": torch.from_numpy(b.reached),
        "parent": torch.from_numpy(b.parent),
        "on_path": torch.from_numpy(b.on_path),
        "steps": torch.from_numpy(b.steps),
        "inside": torch.from_numpy(b.inside).float(),
    }


def train_iteration(model: Reasoner, cfg: ReasonerTrainConfig, b: dict, rng: np.random.Generator) -> torch.Tensor:
    """The loss of one batch (see the module docstring)."""
    x, steps = b["x"], b["steps"]
    B, T = len(steps), int(steps.max())
    state = model.initial_state(x)
    if cfg.supervision == "answer":
        total = T + int(rng.integers(0, 9))
        k = min(cfg.grad_steps, total)
        with torch.no_grad():
            for _ in range(total - k):
                state = model.step(x, state)[1]
        for _ in range(k):
            logits, state = model.step(x, state)
        final = b["on_path"][torch.arange(B), steps]
        w = b["inside"]
        ce = F.binary_cross_entropy_with_logits(logits[:, ON_PATH][:, 0], final, reduction="none")
        return (ce * w).sum() / w.sum()
    t0 = torch.from_numpy(rng.integers(0, steps.numpy())).long()  # a step of each maze's trace
    idx = torch.arange(B)
    truth = torch.from_numpy(
        one_hot_state(b["reached"][idx, t0].numpy(), b["parent"][idx, t0].numpy(), b["on_path"][idx, t0].numpy())
    )
    if model.config.trace_state:
        state = torch.cat([truth, state[:, TRACE_CHANNELS:]], 1)
    n = int(rng.integers(0, cfg.nograd_max + 1)) if cfg.progressive else 0
    k = cfg.grad_steps if cfg.progressive else 1
    with torch.no_grad():
        for _ in range(n):
            lg, new = model.step(x, state)
            state = model.snapped(lg, new)
    loss = torch.zeros(())
    for _ in range(k):
        prev = state[:, :TRACE_CHANNELS].detach().round()
        target = rule_step(x, state)  # the rule applied to the state the network is in
        logits, soft = model.step(x, state)
        loss = loss + step_loss(logits, target, prev, b["inside"], cfg.change_weight)
        state = model.snapped(logits, soft).detach()
    return loss / k


# --------------------------------------------------------------- evaluation
@torch.no_grad()
def evaluate(model: Reasoner, samples: list[Sample], max_steps: int | None = None, batch: int = 64) -> dict:
    """The network alone on ``samples``: share verified optimal, mean steps, seconds per maze."""
    maze = domains.get("maze")
    model.eval()
    by_shape: dict[tuple, list[Sample]] = {}
    for s in samples:
        by_shape.setdefault(s.x.shape, []).append(s)
    solved, steps, start = 0, [], time.perf_counter()
    for group in by_shape.values():
        for i in range(0, len(group), batch):
            part = group[i : i + batch]
            x = torch.from_numpy(np.stack([s.x for s in part]))
            logits, _, n = model.run(x, max_steps)
            on = (logits[:, ON_PATH][:, 0] > 0).flatten(1).long().numpy()
            steps += n.tolist()
            solved += sum(maze.verify(s.instance, v).valid for s, v in zip(part, on))
    model.train()
    seconds = (time.perf_counter() - start) / max(len(samples), 1)
    return {"optimal": solved / max(len(samples), 1), "mean_steps": float(np.mean(steps)), "s_per_maze": seconds}


def held_out(seed: int, size: int, count: int) -> list[Sample]:
    """``count`` validation mazes of one size (a seed no training pool uses)."""
    return make_pool(seed + 10_000 + size, count, sizes=(size,), knockouts=(0.05,))


# ------------------------------------------------------------------ training
def train(cfg: ReasonerTrainConfig, out: str | Path, progress: bool = True, force: bool = False) -> dict:
    """Train for ``cfg.minutes``; returns the last evaluation.

    Writes ``out/log.jsonl`` (a marked line at start, every evaluation and the end), ``model``
    and ``best.safetensors``.  As with the HRM trainer, a folder that holds a run is replaced only
    with ``force``, and SIGINT/SIGTERM end the run after the current iteration with a last
    evaluation and save (nothing learned is lost).
    """
    torch.set_num_threads(cfg.threads)
    torch.manual_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    out = Path(out)
    prepare_run_dir(out, resume=False, force=force)
    log = RunLog(out / "log.jsonl")
    record = _recorder(log, progress)
    t_start = time.perf_counter()
    pool = make_pool(cfg.seed, cfg.pool, cfg.sizes, cfg.knockouts)
    val = {n: held_out(cfg.seed, n, cfg.eval_count if n <= 15 else max(cfg.eval_count // 2, 8)) for n in cfg.eval_sizes}
    model = Reasoner(cfg.model_config())
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=0.0)
    record({"event": "start", "config": asdict(cfg), "parameters": model.num_parameters(),
            "pool_seconds": round(time.perf_counter() - t_start, 1), "pool": len(pool)})
    run = _Progress(budget=cfg.minutes * 60.0, t_train=time.perf_counter())
    with StopSignals() as signals:
        while True:
            elapsed = time.perf_counter() - run.t_train
            done = elapsed >= run.budget or signals.requested is not None
            if done or time.perf_counter() - run.last_eval >= cfg.eval_seconds:
                _evaluate_and_save(model, val, out, run, elapsed, record)
                if done:
                    break
            run.losses.append(_iteration(model, opt, cfg, pool, rng, min(elapsed / run.budget, 1.0)))
            run.iteration += 1
    end = {"event": "end", "iterations": run.iteration, "best": run.best, **run.result}
    record(end if signals.requested is None else {**end, "interrupted": signals.requested})
    return run.result


@dataclass
class _Progress:
    """Where a reasoner run is: its clock (evaluation time excluded), counters and best score."""

    budget: float
    t_train: float
    last_eval: float = field(default_factory=time.perf_counter)
    iteration: int = 0
    best: float = -1.0
    losses: list[float] = field(default_factory=list)
    result: dict = field(default_factory=dict)


def _recorder(log: RunLog, progress: bool):
    def record(entry: dict) -> None:
        log.write(entry)
        if progress:
            print(json.dumps(entry), flush=True)

    return record


def _evaluate_and_save(model: Reasoner, val: dict, out: Path, run: _Progress, elapsed: float, record) -> None:
    """Score the held-out mazes, keep the best weights, save the current ones (time not counted)."""
    eval_start = time.perf_counter()
    run.result = {f"val{n}": evaluate(model, v)["optimal"] for n, v in val.items()}
    key = f"val{min(val)}"
    if run.result[key] >= run.best:
        run.best = run.result[key]
        save_model(model, out / "best.safetensors", {"iteration": run.iteration, "validation": run.result})
    loss = float(np.mean(run.losses)) if run.losses else None
    record({"event": "eval", "iteration": run.iteration, "train_minutes": round(elapsed / 60, 2), "loss": loss,
            **run.result, "eval_seconds": round(time.perf_counter() - eval_start, 1)})
    run.losses = []
    save_model(model, out / "model.safetensors", {"iteration": run.iteration, "validation": run.result})
    run.t_train += time.perf_counter() - eval_start  # evaluation time does not count as training time
    run.last_eval = time.perf_counter()


def _iteration(model: Reasoner, opt, cfg: ReasonerTrainConfig, pool: list, rng: np.random.Generator,
               spent: float) -> float:
    """One optimizer step on a random batch of the pool (cosine learning rate over the budget)."""
    for group in opt.param_groups:
        group["lr"] = cfg.lr * 0.5 * (1 + math.cos(math.pi * spent))
    picks = rng.choice(len(pool), size=cfg.batch_size, replace=False)
    loss = train_iteration(model, cfg, _tensors(batch_of([pool[i] for i in picks])), rng)
    opt.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
    return float(loss.detach())


def _parse(argv: list[str] | None = None) -> tuple[ReasonerTrainConfig, str, bool]:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    d = ReasonerTrainConfig()
    p.add_argument("--out", required=True)
    p.add_argument("--force", action="store_true", help="replace the run an existing --out folder holds")
    p.add_argument("--minutes", type=float, default=d.minutes)
    p.add_argument("--seed", type=int, default=d.seed)
    p.add_argument("--pool", type=int, default=d.pool)
    p.add_argument("--min-size", type=int, default=min(d.sizes))
    p.add_argument("--max-size", type=int, default=max(d.sizes))
    p.add_argument("--knockouts", default=",".join(map(str, d.knockouts)), help="comma-separated shares")
    p.add_argument("--supervision", choices=("steps", "answer"), default=d.supervision)
    p.add_argument("--no-progressive", action="store_true")
    p.add_argument("--no-recall", action="store_true")
    p.add_argument("--no-snap", action="store_true")
    for name in ("batch_size", "nograd_max", "grad_steps", "hidden", "latent", "eval_count"):
        p.add_argument("--" + name.replace("_", "-"), type=int, default=getattr(d, name))
    p.add_argument("--lr", type=float, default=d.lr)
    p.add_argument("--eval-seconds", type=float, default=d.eval_seconds)
    p.add_argument("--eval-sizes", default=",".join(map(str, d.eval_sizes)))
    a = p.parse_args(argv)
    cfg = ReasonerTrainConfig(
        minutes=a.minutes,
        seed=a.seed,
        pool=a.pool,
        sizes=tuple(range(a.min_size, a.max_size + 1)),
        knockouts=tuple(float(k) for k in a.knockouts.split(",")),
        batch_size=a.batch_size,
        lr=a.lr,
        supervision=a.supervision,
        progressive=not a.no_progressive,
        nograd_max=a.nograd_max,
        grad_steps=a.grad_steps,
        hidden=a.hidden,
        latent=a.latent,
        recall=not a.no_recall,
        snap=not a.no_snap,
        eval_seconds=a.eval_seconds,
        eval_sizes=tuple(int(n) for n in a.eval_sizes.split(",")),
        eval_count=a.eval_count,
    )
    return cfg, a.out, a.force


def main(argv: list[str] | None = None) -> int:
    """``python -m hybrid_hrm.train.reasoner``: a bad setting or a taken folder is one line and exit 2."""
    cfg, out, force = _parse(argv)
    try:
        train(cfg, out, force=force)
    except HybridHRMError as exc:
        print(f"hybrid_hrm.train.reasoner: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

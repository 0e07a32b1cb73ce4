"""``hybrid-hrm bench train``: training throughput and forward latency.

Measures, for the default CPU config and the *reference config* (hidden
128, 2+2 layers, 4 heads, expansion 4, H2/L2 cycles, 81 variables, batch
64, fp32), on the real training engine (symbolic layer included):

* training throughput in puzzle-segments/s (one segment = one forward with
  its backward and optimizer step, for one puzzle);
* forward latency (inference mode) at batch 1 and batch 256.

Prints a table and writes JSON.  To compare with the reference HRM code,
run it beside this in the same sitting on the same machine (the README
gives one such side-by-side measurement); ``--scale`` shortens the run.
"""

from __future__ import annotations

import platform
import tempfile
import time
from dataclasses import asdict
from datetime import datetime, timezone

import torch

from .bench import write_report
from .model import HRM
from .train import DEFAULT_MODEL, TrainConfig, Trainer

REFERENCE_MODEL = {
    "hidden": 128,
    "heads": 4,
    "expansion": 4.0,
    "h_layers": 2,
    "l_layers": 2,
    "h_cycles": 2,
    "l_cycles": 2,
    "positions": "rope",  # as the reference HRM code: rotary positions, one-step gradient
    "recursion": "hrm",
}
CONFIGS = {"default": (DEFAULT_MODEL, 128), "reference": (REFERENCE_MODEL, 64)}


def forward_latency_ms(model: HRM, batch: int, repeats: int) -> float:
    """Median wall time of one inference-mode forward (one segment) in ms."""
    V, K = model.config.num_variables, model.config.num_values
    device = next(model.parameters()).device
    tokens = torch.ones(batch, V, dtype=torch.long, device=device)
    cand = torch.ones(batch, V, K, dtype=torch.bool, device=device)
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)  # time the work, not its launch
    times = []
    with torch.inference_mode():
        model(tokens, cand)
        for _ in range(repeats):
            sync()
            start = time.perf_counter()
            model(tokens, cand)
            sync()
            times.append(time.perf_counter() - start)
    times.sort()
    return 1000 * times[len(times) // 2]


def bench_trainer(model_cfg: dict, batch: int, threads: int, seed: int, out: str, device: str = "cpu") -> Trainer:
    """A real training engine on 9x9 Sudoku (the model built as training builds it), on ``device``."""
    cfg = TrainConfig(
        domain="sudoku",
        size=9,
        source="forum_hardest:train",
        train_puzzles=256,
        eval_puzzles=16,
        batch_size=batch,
        max_steps=10**6,
        model=model_cfg,
        threads=threads,
        seed=seed,
        checkpoint_seconds=1e9,
        halt_exploration=0.0,
        device=device,
    )
    return Trainer(cfg, out, progress=False)


def training_throughput(trainer: Trainer, steps: int) -> float:
    """Puzzle-segments per second: ``steps`` batches after one warm-up batch.

    One puzzle-segment is one puzzle through one forward, backward and optimizer
    step; puzzles that ACT dropped from the batch are not counted."""
    trainer.train_batch()  # warm-up
    start = time.perf_counter()
    segments = 0.0
    for _ in range(steps):
        segments += trainer.train_batch()["puzzle_segments"]  # halted puzzles are not counted
    if trainer.info.device.type == "cuda":
        torch.cuda.synchronize()
    return segments / (time.perf_counter() - start)


def run_train_benchmark(args) -> int:
    threads = 2
    torch.set_num_threads(threads)
    device = getattr(args, "device", None) or "cpu"
    device = "cpu" if device == "auto" else device  # CPU unless a device is named (the figures compare so)
    scale = max(float(args.scale), 0.0)
    steps, repeats = max(1, round(5 * scale)), max(1, round(30 * scale))
    rows = {}
    for name, (model_cfg, batch) in CONFIGS.items():
        with tempfile.TemporaryDirectory() as tmp:
            trainer = bench_trainer(model_cfg, batch, threads, args.seed, tmp, device)
            throughput = training_throughput(trainer, steps)
            model = trainer.model.eval()
            rows[name] = {
                "params": model.num_parameters(),
                "batch": batch,
                "forward_b1_ms": forward_latency_ms(model, 1, repeats),
                "forward_b256_ms": forward_latency_ms(model, 256, max(1, repeats // 10)),
                "train_puzzle_segments_per_s": throughput,
                "model": asdict(model.config),
            }
        r = rows[name]
        print(
            f"{name:<10} params {r['params']:>8,}  batch {batch:>3}  train {r['train_puzzle_segments_per_s']:7.1f} "
            f"puzzle-segments/s  forward b1 {r['forward_b1_ms']:6.2f} ms  b256 {r['forward_b256_ms']:8.1f} ms",
            flush=True,
        )
    report = {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{platform.machine()} {platform.processor() or ''}".strip(),
        "torch": torch.__version__,
        "threads": threads,
        "device": device,
        "steps": steps,
        "configs": rows,
    }
    out = write_report(report, args.out or "bench-out/train.json")
    print(f"wrote {out}")
    return 0

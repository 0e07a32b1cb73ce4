"""``hybrid-hrm bench train`` builds its models as training does and measures them."""

from __future__ import annotations

import time

from hybrid_hrm.bench_train import CONFIGS, bench_trainer, forward_latency_ms, training_throughput


def _timed_batches(trainer):
    """Record each ``train_batch`` call: (start, end, puzzle-segments)."""
    calls = []
    real = trainer.train_batch

    def train_batch():
        start = time.perf_counter()
        metrics = real()
        calls.append((start, time.perf_counter(), metrics["puzzle_segments"]))
        return metrics

    trainer.train_batch = train_batch
    return calls


def _timed_forwards(model):
    """Record each forward: (start, end, batch size)."""
    calls, starts = [], []
    pre = model.register_forward_pre_hook(lambda m, args: starts.append(time.perf_counter()))
    post = model.register_forward_hook(
        lambda m, args, out: calls.append((starts[-1], time.perf_counter(), args[0].shape[0]))
    )
    return calls, (pre, post)


def test_both_configs_build_and_run_a_step(tmp_path):
    steps, batch = 2, 4
    for name, (model_cfg, _batch) in CONFIGS.items():
        trainer = bench_trainer(model_cfg, batch, 1, 0, str(tmp_path / name))
        assert trainer.config.batch_size == batch and trainer.config.domain == "sudoku"
        calls = _timed_batches(trainer)
        throughput = training_throughput(trainer, steps)
        returned = time.perf_counter()
        # One warm-up batch, then `steps` timed ones; the warm-up is neither timed nor counted.
        assert len(calls) == steps + 1
        timed = calls[1:]
        segments = sum(c[2] for c in timed)
        # Each puzzle runs at least its first segment, at most all of them (ACT drops halted ones).
        assert steps * batch <= segments <= steps * batch * trainer.config.segments
        # Puzzle-segments per second over the timed batches: between what their own durations
        # and the whole span from the end of the warm-up to the return allow.
        fastest = segments / sum(end - start for start, end, _ in timed)
        slowest = segments / (returned - calls[0][1])
        assert slowest <= throughput <= fastest, (slowest, throughput, fastest)

        model = trainer.model.eval()
        forwards, hooks = _timed_forwards(model)
        began = time.perf_counter()
        latency = forward_latency_ms(model, 1, 3)
        spent = time.perf_counter() - began
        for hook in hooks:
            hook.remove()
        assert len(forwards) == 3 + 1 and all(b == 1 for _, _, b in forwards)  # warm-up + repeats, batch 1
        # The median of 3 timed calls, in milliseconds: at least the median forward itself,
        # at most half the time the whole measurement took.
        inner = sorted(end - start for start, end, _ in forwards[1:])
        assert 1000 * inner[1] <= latency <= 1000 * spent / 2, (inner, latency, spent)
    reference = bench_trainer(CONFIGS["reference"][0], 4, 1, 0, str(tmp_path / "r")).model.config
    assert (reference.hidden, reference.h_layers, reference.l_layers, reference.heads) == (128, 2, 2, 4)
    assert (reference.h_cycles, reference.l_cycles, reference.recursion) == (2, 2, "hrm")
    assert (reference.num_variables, reference.num_values) == (81, 9)  # 9x9 Sudoku, as the docstring says

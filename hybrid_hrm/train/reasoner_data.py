"""Training data of the maze reasoner: small generated mazes and their wave traces, in batches.

A *pool* is a deterministic list of generated mazes (sizes ``sizes``, a share
``knockout`` of inner walls removed so that routes form loops) with the
trace of :mod:`solvers.graph_trace` of each.  The same seed gives the same
pool, so a benchmark can drop every test maze a training run saw
(:func:`pool_keys`, up to rotations and reflections).  Batches pad mazes to
the pool's largest side with walls (zero input), which the convolutions
treat as the grid's edge: the same maze, padded or not, has the same trace.

>>> pool = make_pool(seed=0, count=8, sizes=(7, 9), knockouts=(0.05,))
>>> len(pool), pool[0].trace.steps > 0
(8, True)
>>> b = batch_of([pool[0], pool[-1]])   # a 7x7 maze padded to 9x9
>>> b.x.shape[1:], b.reached.shape[0]
((3, 9, 9), 2)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import domains
from solvers.graph_trace import WaveTrace, trace_of_candidates, wave_ends


@dataclass(frozen=True)
class Sample:
    """One maze: input channels ``[3, H, W]`` (open, source, target), its trace and its instance."""

    x: np.ndarray
    trace: WaveTrace
    instance: object


@dataclass(frozen=True)
class Batch:
    """Padded arrays of a batch: ``x [B, 3, S, S]``, traces ``[B, T + 1, S, S]`` (the last state
    repeated past each maze's fixed point), ``steps [B]`` and the cells inside each maze ``[B, S, S]``."""

    x: np.ndarray
    reached: np.ndarray
    parent: np.ndarray
    on_path: np.ndarray
    steps: np.ndarray
    inside: np.ndarray


def sample_of(instance) -> Sample:
    """The input channels and trace of one maze instance."""
    H, W = instance.shape
    trace = trace_of_candidates(instance.candidates, H, W)
    source, target = wave_ends(instance.candidates, H, W)
    x = np.zeros((3, H * W), dtype=np.float32)
    x[0] = instance.candidates[:, 1]
    x[1, source] = 1.0
    x[2, target] = 1.0
    return Sample(x.reshape(3, H, W), trace, instance)


def make_pool(
    seed: int, count: int, sizes: tuple[int, ...] = tuple(range(7, 16)), knockouts: tuple[float, ...] = (0.0, 0.05, 0.1)
) -> list[Sample]:
    """``count`` mazes, spread evenly over ``sizes`` x ``knockouts``, each from its own seeded generator."""
    maze = domains.get("maze")
    cells = [(n, k) for n in sizes for k in knockouts]
    pool: list[Sample] = []
    for i, (n, k) in enumerate(cells):
        share = count // len(cells) + (i < count % len(cells))
        if share:
            rng = np.random.default_rng([seed, n, int(round(k * 1000))])
            pool += [sample_of(m) for m in maze.generate(rng, count=share, size=n, knockout=k)]
    return pool


def canonical(givens: np.ndarray, height: int, width: int) -> bytes:
    """The same key for a maze and its rotations and reflections (as examples/make_maze_benchmark.py)."""
    grid = np.asarray(givens).reshape(height, width)
    if height != width:
        forms = [grid, grid[::-1], grid[:, ::-1], grid[::-1, ::-1]]
    else:
        forms = [f for k in range(4) for r in [np.rot90(grid, k)] for f in (r, np.fliplr(r))]
    return min(np.ascontiguousarray(f).tobytes() for f in forms)


def pool_keys(pool: list[Sample]) -> set[bytes]:
    """The canonical keys of a pool's mazes."""
    return {canonical(s.instance.givens, *s.instance.shape) for s in pool}


def batch_of(samples: list[Sample]) -> Batch:
    """Pad ``samples`` to one square side with walls."""
    S = max(max(s.x.shape[1:]) for s in samples)
    T = max(s.trace.steps for s in samples)
    B = len(samples)
    x = np.zeros((B, 3, S, S), dtype=np.float32)
    reached = np.zeros((B, T + 1, S, S), dtype=np.float32)
    parent = np.zeros((B, T + 1, S, S), dtype=np.int64)
    on_path = np.zeros((B, T + 1, S, S), dtype=np.float32)
    inside = np.zeros((B, S, S), dtype=bool)
    steps = np.zeros(B, dtype=np.int64)
    for b, s in enumerate(samples):
        _, H, W = s.x.shape
        t = s.trace
        pad = np.r_[np.arange(t.steps + 1), np.full(T - t.steps, t.steps)]
        x[b, :, :H, :W] = s.x
        reached[b, :, :H, :W] = t.reached[pad]
        parent[b, :, :H, :W] = t.parent[pad]
        on_path[b, :, :H, :W] = t.on_path[pad]
        inside[b, :H, :W] = True
        steps[b] = t.steps
    return Batch(x, reached, parent, on_path, steps, inside)


def one_hot_state(reached: np.ndarray, parent: np.ndarray, on_path: np.ndarray) -> np.ndarray:
    """Trace arrays ``[..., H, W]`` as the 7-channel 0/1 state ``[..., 7, H, W]`` of the reasoner."""
    par = np.moveaxis(np.eye(5, dtype=np.float32)[parent], -1, -3)
    return np.concatenate([reached[..., None, :, :], par, on_path[..., None, :, :]], axis=-3).astype(np.float32)


__all__ = ["Batch", "Sample", "batch_of", "canonical", "make_pool", "one_hot_state", "pool_keys", "sample_of"]

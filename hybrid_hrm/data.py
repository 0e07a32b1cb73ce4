"""Training data from domains: puzzle sets with solutions, seeded splits, augmentation.

A :class:`PuzzleSet` holds givens and solutions as small integer arrays, so
a batch is a numpy gather, never a Python loop over puzzle objects.  Sets
come from a domain's generator or from puzzle files / bundled collections
(solved once by the symbolic layer and cached).  Puzzles that a benchmark
scores are removed before anything else happens (:func:`remove_benchmark_puzzles`).

Batches are a pure function of ``(seed, rank, step)``, so a resumed run
sees exactly the batches an uninterrupted run would have seen.

>>> import domains
>>> sudoku = domains.get("sudoku")
>>> ps = generate_puzzle_set(sudoku, count=8, seed=0, size=4)
>>> ps.givens.shape, ps.solutions.shape
((8, 16), (8, 16))
>>> g, s = make_batch(sudoku, ps, batch_size=5, seed=0, step=0)
>>> g.shape, bool(((g < 0) | (g == s)).all())
((5, 16), True)
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from domains.base import Domain, Instance, apply_symmetry
from domains.collections import BENCHMARK_ONLY, collection_lines
from solvers.base import Budget
from solvers.errors import Status, TrainingError


@dataclass(frozen=True, eq=False)
class PuzzleSet:
    """``N`` puzzles of one shape: ``givens`` and ``solutions`` ``[N, V]`` (-1 = blank)."""

    domain: str
    template: Instance  # an instance of the shape (for layers and symmetries)
    givens: np.ndarray
    solutions: np.ndarray

    def __len__(self) -> int:
        return int(self.givens.shape[0])

    def subset(self, index: np.ndarray) -> "PuzzleSet":
        return PuzzleSet(self.domain, self.template, self.givens[index], self.solutions[index])


def benchmark_lines() -> set[str]:
    """Every puzzle text a benchmark scores (bundled test splits)."""
    out: set[str] = set()
    for name in BENCHMARK_ONLY:
        out.update(collection_lines(name))
    return out


def remove_benchmark_puzzles(lines: list[str]) -> tuple[list[str], int]:
    """Drop lines that a benchmark scores; returns ``(kept, dropped_count)``."""
    banned = benchmark_lines()
    kept = [line for line in lines if line.split(":", 1)[0].strip() not in banned]
    return kept, len(lines) - len(kept)


def generate_puzzle_set(domain: Domain, count: int, seed: int, **options) -> PuzzleSet:
    """``count`` generated puzzles (with their unique solutions)."""
    instances = domain.generate(np.random.default_rng(seed), count=count, **options)
    if len(instances) < count:
        raise TrainingError(f"the {domain.name} generator gave {len(instances)} of {count} puzzles")
    return _stack(domain, instances)


def _stack(domain: Domain, instances: list[Instance]) -> PuzzleSet:
    givens = np.stack([i.givens for i in instances]).astype(np.int8)
    solutions = np.stack([i.solution for i in instances]).astype(np.int8)
    return PuzzleSet(domain.name, instances[0], givens, solutions)


def solved_puzzle_set(
    domain: Domain, lines: list[str], cache_dir: str | Path | None = None, progress: bool = False
) -> PuzzleSet:
    """Parse and solve puzzle lines with the symbolic layer (cached by content hash)."""
    lines, _dropped = remove_benchmark_puzzles(lines)
    if not lines:
        raise TrainingError("no training puzzles left after removing benchmark puzzles")
    key = hashlib.sha256(("\n".join(lines)).encode()).hexdigest()[:16]
    cache = Path(cache_dir) / f"puzzles-{domain.name}-{key}.npz" if cache_dir else None
    if cache is not None and cache.is_file():
        data = np.load(cache)
        template = domain.parse(lines[0])
        return PuzzleSet(domain.name, template, data["givens"], data["solutions"])
    from tqdm import tqdm

    instances = []
    for line in tqdm(lines, desc="solving training puzzles", disable=not progress, leave=False):
        inst = domain.parse(line)
        if inst.solution is None:
            r = domain.solve(inst, Budget(max_nodes=200_000, max_seconds=10.0))
            if r.status is not Status.SOLVED:
                continue  # unsolvable or too hard to label: not a training example
            inst = domain.with_givens(inst, inst.givens, solution=np.array(r.values))
        instances.append(inst)
    if not instances:
        raise TrainingError("none of the training puzzles could be solved")
    shapes = {i.shape for i in instances}
    if len(shapes) > 1:
        raise TrainingError(f"training puzzles of several shapes {sorted(shapes)}; use one size")
    ps = _stack(domain, instances)
    if cache is not None:
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_name(cache.name + ".tmp.npz")
        np.savez_compressed(tmp, givens=ps.givens, solutions=ps.solutions)
        tmp.replace(cache)
    return ps


def split(ps: PuzzleSet, eval_count: int, seed: int) -> tuple[PuzzleSet, PuzzleSet]:
    """Deterministic seeded split into ``(train, held_out)``."""
    if eval_count >= len(ps):
        raise TrainingError(f"cannot hold out {eval_count} of {len(ps)} puzzles")
    order = np.random.default_rng([seed, 9173]).permutation(len(ps))
    return ps.subset(np.sort(order[eval_count:])), ps.subset(np.sort(order[:eval_count]))


def make_batch(
    domain: Domain, ps: PuzzleSet, batch_size: int, seed: int, step: int, rank: int = 0, augment: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """The batch of ``(givens, solutions)`` ``[B, V]`` for ``(seed, rank, step)``."""
    rng = np.random.default_rng([seed, rank, step])
    index = rng.integers(0, len(ps), batch_size)
    givens = ps.givens[index].astype(np.int64)
    solutions = ps.solutions[index].astype(np.int64)
    if augment:
        for b in range(batch_size):
            perm, relabel = domain.random_symmetry(ps.template, rng)
            givens[b] = apply_symmetry(givens[b], perm, relabel)
            solutions[b] = apply_symmetry(solutions[b], perm, relabel)
    return givens, solutions

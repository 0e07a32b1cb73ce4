"""Bundled puzzle collections and their fixed train/test split.

Collections are addressed by name, optionally with a split:
``"top1465"``, ``"forum_hardest"``, ``"forum_hardest:test"`` (1,000 puzzles
kept out of training forever), ``"forum_hardest:train"`` (the rest).
The split is a fixed seeded permutation, so every machine agrees on it.

Examples
--------
>>> len(collection_lines("top1465"))
1465
>>> test = collection_lines("forum_hardest:test")
>>> train = collection_lines("forum_hardest:train", limit=2000)
>>> len(test), len(set(test) & set(train))
(1000, 0)
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np

from solvers.errors import InvalidPuzzleError

from .base import iter_puzzle_lines

DATA_DIR = Path(__file__).resolve().parent / "data"
COLLECTIONS: dict[str, tuple[str, str]] = {
    "top1465": ("sudoku", "sudoku/puzzles3_magictour_top1465.txt"),
    "forum_hardest": ("sudoku", "sudoku/puzzles5_forum_hardest_1905_11plus.txt.gz"),
    "serg": ("sudoku", "sudoku/puzzles7_serg_benchmark.txt.gz"),
    "hard16": ("sudoku", "sudoku/generated16_hard.txt"),
}
SPLIT_SEED = 20250626
TEST_SIZE = 1000
#: Collections that benchmarks score: training must never read them whole.
BENCHMARK_ONLY = ("top1465", "forum_hardest:test", "hard16")


def collection_path(name: str) -> Path:
    """Path of a bundled collection file."""
    base = name.split(":", 1)[0]
    if base not in COLLECTIONS:
        raise InvalidPuzzleError(f"unknown collection {name!r}; bundled: {', '.join(COLLECTIONS)}")
    return DATA_DIR / COLLECTIONS[base][1]


@functools.lru_cache(maxsize=8)
def _all_lines(base: str) -> tuple[str, ...]:
    return tuple(iter_puzzle_lines(collection_path(base)))


def collection_lines(name: str, limit: int | None = None) -> list[str]:
    """Puzzle lines of a bundled collection or split (``name[:train|:test]``)."""
    base, _, split = name.partition(":")
    lines = _all_lines(base)
    if split:
        if split not in ("train", "test"):
            raise InvalidPuzzleError(f"unknown split {split!r} (use 'train' or 'test')")
        order = np.random.default_rng(SPLIT_SEED).permutation(len(lines))
        chosen = order[:TEST_SIZE] if split == "test" else order[TEST_SIZE:]
        lines = tuple(lines[i] for i in np.sort(chosen))
    return list(lines[:limit] if limit is not None else lines)

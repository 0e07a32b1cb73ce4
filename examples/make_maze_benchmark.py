"""Write a file of generated mazes that no training run has seen, for ``hybrid-hrm bench maze``.

Run:  python examples/make_maze_benchmark.py --size 11 --seed 31111 --out bench-out/maze11_test.txt

A training run (``hybrid-hrm train maze --size N``) draws its mazes from the
generator with its ``--seed`` (default 0): ``--train-count`` of them (training
plus held-out puzzles, 4,256 by default).  This script draws test mazes with
another seed and drops every maze equal to a training maze, or to an earlier
test maze, up to the 8 rotations and reflections (training augments with them),
so the benchmark measures mazes the network has never seen.  Small sizes
repeat: on 9x9, about 7% of fresh mazes are dropped.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from domains.maze import MazeDomain


def canonical(givens: np.ndarray, height: int, width: int) -> bytes:
    """The same key for a maze and each of its rotations and reflections."""
    grid = givens.reshape(height, width)
    if height != width:
        forms = [grid, grid[::-1], grid[:, ::-1], grid[::-1, ::-1]]
    else:
        forms = [f for k in range(4) for r in [np.rot90(grid, k)] for f in (r, np.fliplr(r))]
    return min(np.ascontiguousarray(f).tobytes() for f in forms)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=11)
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=31111, help="the test mazes' seed")
    parser.add_argument("--train-seed", type=int, default=0, help="the training run's --seed")
    parser.add_argument("--train-count", type=int, default=4256, help="its --train-puzzles + --eval-puzzles")
    parser.add_argument("--out", default=None, help="default bench-out/maze<size>_test.txt")
    args = parser.parse_args()

    maze = MazeDomain()
    n = args.size
    training = maze.generate(np.random.default_rng(args.train_seed), count=args.train_count, size=n)
    seen = {canonical(m.givens, n, n) for m in training}
    rng = np.random.default_rng(args.seed)
    kept, dropped = [], 0
    while len(kept) < args.count:
        for m in maze.generate(rng, count=args.count - len(kept), size=n):
            key = canonical(m.givens, n, n)
            if key in seen:
                dropped += 1
                continue
            seen.add(key)
            kept.append(m)
    out = Path(args.out or f"bench-out/maze{n}_test.txt")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n\n".join(maze.format(m) for m in kept) + "\n")
    print(f"wrote {len(kept)} {n}x{n} mazes to {out} ({dropped} dropped: seen in training or already drawn)")


if __name__ == "__main__":
    main()

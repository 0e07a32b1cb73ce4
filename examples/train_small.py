"""Train a small model on 4x4 Sudoku for a few minutes, then solve with it.

Run:  python examples/train_small.py [--minutes 2] [--out runs/example4]
This script trains: it takes the minutes you give it (plus a few seconds).
"""

from __future__ import annotations

import argparse

import numpy as np

import domains
from hybrid_hrm.bridge import HybridSolver
from hybrid_hrm.train import TrainConfig, Trainer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--minutes", type=float, default=2.0)
    parser.add_argument("--out", default="runs/example4")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    config = TrainConfig(domain="sudoku", size=4, minutes=args.minutes, seed=args.seed)
    result = Trainer(config, args.out).run()  # tqdm progress bar on stderr
    ev = result["eval"]
    print(f"held-out: the network alone solves {ev['neural_exact']:.1%} of {ev['puzzles']} puzzles")
    solver = HybridSolver.load("sudoku", f"{args.out}/model.safetensors", device="auto")
    sudoku = domains.get("sudoku")
    puzzles = sudoku.generate(np.random.default_rng(args.seed + 1), count=5, size=4)
    for r in solver.solve(puzzles, mode="neural"):
        print(f"neural: {r.status:<16} {r.solution or r.puzzle}")
    for r in solver.solve(puzzles, mode="hybrid"):
        print(f"hybrid: {r.status:<16} {r.solution}")


if __name__ == "__main__":
    main()

"""A new puzzle domain in a few lines: declare it with sympy, train a model on it, solve, benchmark.

The anti-knight Latin square: a 5x5 grid, 1-5 once in every row and
column, and two cells a chess knight's move apart never equal.  Rows and
columns use python-constraint's AllDifferentConstraint; the knight rule is
a sympy relation ``Ne(x, y)`` per pair of cells, compiled by
``solvers.algebra``.  The generator fills a random grid and removes digits
while it stays the only completion.  Registered under its name, the
domain works everywhere a built-in does: the trainer, HybridSolver, the
benchmark, the command line (``hybrid-hrm solve knight5 ...`` after importing it).

Run:  python examples/custom_domain.py [--minutes 2] [--out runs/knight5]
This script trains: it takes the minutes you give it, plus puzzle generation and a short benchmark.
"""

from __future__ import annotations

import argparse

import numpy as np
from constraint import AllDifferentConstraint
from sympy import Ne, symbols

from domains.csp_domain import declare_domain
from hybrid_hrm.bench import BenchConfig, format_table, run_benchmark
from hybrid_hrm.bridge import HybridSolver
from hybrid_hrm.train import TrainConfig, Trainer

N = 5
grid = [[symbols(f"r{r + 1}c{c + 1}") for c in range(N)] for r in range(N)]
lines = grid + [list(column) for column in zip(*grid)]
knight_pairs = [(grid[r][c], grid[r + dr][c + dc]) for r in range(N) for c in range(N)
                for dr, dc in ((1, 2), (2, 1), (1, -2), (2, -1)) if 0 <= r + dr < N and 0 <= c + dc < N]
knight5 = declare_domain(
    "knight5",
    {cell.name: range(1, N + 1) for line in grid for cell in line},
    [*((AllDifferentConstraint(), [cell.name for cell in line]) for line in lines),
     *(Ne(x, y) for x, y in knight_pairs)],
    doc="5x5 anti-knight Latin square (examples/custom_domain.py)",
    register=True,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=2.0, help="training time")
    parser.add_argument("--out", default="runs/knight5", help="run directory")
    parser.add_argument("--puzzles", type=int, default=1000, help="generated training puzzles (~50 ms each)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    config = TrainConfig(domain="knight5", minutes=args.minutes, train_puzzles=args.puzzles, eval_puzzles=64,
                         batch_size=64, seed=args.seed)
    ev = Trainer(config, args.out, progress=False).run()["eval"]
    print(f"held-out: the network alone completes {ev['neural_exact']:.1%} of {ev['puzzles']} puzzles")

    weights = f"{args.out}/model.safetensors"
    puzzles = knight5.generate(np.random.default_rng(args.seed + 1), count=20)
    result = HybridSolver.load("knight5", weights).solve(knight5.format(puzzles[0]), mode="hybrid")
    print(f"{knight5.format(puzzles[0])} -> {result.status} {result.solution}")
    report = run_benchmark(knight5, puzzles, ["symbolic", "hybrid-uniform", "hybrid"], BenchConfig(weights=weights))
    print(format_table(report))


if __name__ == "__main__":
    main()

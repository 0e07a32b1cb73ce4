"""Neural vs symbolic vs hybrid (and the uniform-policy ablation) on the same puzzles.

Run:  python examples/compare_methods.py [--limit N]
Prints the benchmark table; every answer is checked by the verifier.
"""

from __future__ import annotations

import argparse

import domains
from domains.collections import collection_lines
from hybrid_hrm.bench import BenchConfig, format_table, run_benchmark


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--limit", type=int, default=100)
    parser.add_argument("--collection", default="forum_hardest:test")
    args = parser.parse_args()
    sudoku = domains.get("sudoku")
    puzzles = [sudoku.parse(line) for line in collection_lines(args.collection, limit=args.limit)]
    methods = ["neural", "symbolic", "hybrid-uniform", "hybrid", "hybrid-nosearch"]
    report = run_benchmark(sudoku, puzzles, methods, BenchConfig(max_seconds=5.0))
    print(format_table(report))


if __name__ == "__main__":
    main()

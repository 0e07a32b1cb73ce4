"""Solve famous hard Sudoku puzzles with the shipped hybrid model, one by one and as a batch.

Run:  python examples/solve_sudoku.py [--limit N]
Offline, CPU, well under a minute.
"""

from __future__ import annotations

import argparse
import time

import hybrid_hrm as hh
from domains.collections import collection_lines

FAMOUS = {
    "AI Escargot (Inkala 2006)": "1....7.9..3..2...8..96..5....53..9...1..8...26....4...3......1..4......7..7...3..",
    "Inkala 2012": "8..........36......7..9.2...5...7.......457.....1...3...1....68..85...1..9....4..",
    "Easter Monster": "1.......2.9.4...5...6...7...5.9.3.......7.......85..4.7.....6...3...9.8...2.....1",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--limit", type=int, default=200, help="puzzles of the batch (top1465)")
    args = parser.parse_args()
    solver = hh.HybridSolver.from_pretrained("sudoku")
    for name, puzzle in FAMOUS.items():
        r = solver.solve(puzzle)
        print(
            f"{name}: {r.status} in {r.stats.seconds * 1000:.1f} ms, {r.stats.cycles} cycles, "
            f"{r.stats.accepted}/{r.stats.proposed} subgoals accepted, {r.stats.search_nodes} nodes"
        )
        print(f"  {r.solution}")
    batch = collection_lines("top1465", limit=args.limit)
    start = time.perf_counter()
    results = solver.solve(batch)
    seconds = time.perf_counter() - start
    solved = sum(r.status is hh.Status.SOLVED for r in results)
    print(f"batch: {solved}/{len(batch)} solved and verified in {seconds:.2f} s ({len(batch) / seconds:.0f} puzzles/s)")


if __name__ == "__main__":
    main()

"""Follow the reasoning: solve one hard puzzle, print the trace and draw it.

Run:  python examples/explain_trace.py [--png trace.png] [--mode hybrid|hybrid-uniform]
Offline, CPU, a few seconds.
"""

from __future__ import annotations

import argparse

import hybrid_hrm as hh

PUZZLE = "4...3.......6..8..........1....5..9..8....6...7.2........1.27..5.3....4.9........"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--png", default="trace.png")
    parser.add_argument("--mode", default="hybrid", choices=["hybrid", "hybrid-uniform"])
    parser.add_argument("--puzzle", default=PUZZLE)
    args = parser.parse_args()
    if args.mode == "hybrid":
        solver = hh.HybridSolver.from_pretrained("sudoku")
    else:
        solver = hh.HybridSolver("sudoku")
    result = solver.solve(args.puzzle, mode=args.mode)
    print(result.trace.render())
    print(f"{result.status}: {result.solution}")
    rejected = [(v, k, why) for c in result.trace.cycles for v, k, why in c.rejected]
    for v, k, why in rejected[:3]:
        print(f"rejected {result.trace.name(v, k)} because {why}")
    print(f"wrote {result.trace.plot(args.png)}")


if __name__ == "__main__":
    main()

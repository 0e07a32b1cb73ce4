"""Follow the reasoning: solve one hard puzzle, print the trace and draw it.

Run:  python examples/explain_trace.py [--png trace.png] [--mode hybrid|hybrid-uniform]
Offline, CPU, a few seconds.
"""

from __future__ import annotations

import argparse

import hybrid_hrm as hh

PUZZLE = "7.8...3.....6.1...4.........6.....253...8.......1...9..9.5....2....7.4..........."  # top1465 #16


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--png", default="trace.png")
    parser.add_argument("--mode", default="hybrid", choices=["hybrid", "hybrid-uniform"])
    parser.add_argument("--puzzle", default=PUZZLE)
    args = parser.parse_args()
    # probe_nodes=0: no short plain search first, so the loop always runs and can be watched.
    config = hh.BridgeConfig(probe_nodes=0, max_cycles=4)
    if args.mode == "hybrid":
        solver = hh.HybridSolver.from_pretrained("sudoku", config=config)
    else:
        solver = hh.HybridSolver("sudoku", config=config)
    result = solver.solve(args.puzzle, mode=args.mode)
    print(result.trace.render())
    print(f"{result.status}: {result.solution}")
    rejected = [(v, k, why) for c in result.trace.cycles for v, k, why in c.rejected]
    for v, k, why in rejected[:3]:
        print(f"rejected {result.trace.name(v, k)} because {why}")
    print(f"wrote {result.trace.plot(args.png)}")


if __name__ == "__main__":
    main()

"""Generate hard mazes, solve them symbolically and with the hybrid loop, show the path and the trace.

Run:  python examples/solve_maze.py [--size 9] [--count 3] [--weights runs/maze11] [--png maze.png]
Offline, CPU, a few seconds.  The loop always runs with the uniform policy
(random subgoals, which the graph layer accepts or rejects with a reason);
where a model exists for the size (a shipped one, ``from_pretrained("maze")``,
or ``--weights``) it also runs the network alone and the full hybrid.  Every
answer printed was passed by the verifier: one shortest path from S to G.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import hybrid_hrm as hh
from domains.maze import MazeDomain


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=9, help="side of the generated mazes (Maze-Hard: 30)")
    parser.add_argument("--count", type=int, default=3, help="mazes to generate")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--weights", default=None, help="a trained maze model (run directory or .safetensors)")
    parser.add_argument("--full-pruning", action="store_true", help="also remove cells on no shortest path")
    parser.add_argument("--png", default="maze_trace.png", help="picture of the busiest hybrid trace")
    args = parser.parse_args()

    maze = MazeDomain(full_pruning=args.full_pruning)
    start = time.perf_counter()
    mazes = maze.generate(np.random.default_rng(args.seed), count=args.count, size=args.size)
    per_maze = (time.perf_counter() - start) * 1000 / max(len(mazes), 1)
    print(f"generated {len(mazes)} mazes {args.size}x{args.size} in {per_maze:.1f} ms each")

    uniform = hh.HybridSolver(maze, config=hh.BridgeConfig(seed=args.seed))
    solvers = [("symbolic", uniform), ("hybrid-uniform", uniform)]
    try:
        trained = hh.HybridSolver.load("maze", args.weights)  # weights None: the shipped maze models
    except hh.CheckpointError as exc:
        raise SystemExit(f"cannot load the maze model: {exc}") from None
    trained.domain = maze
    if mazes and trained.has_model_for(mazes[0]):
        solvers += [("neural", trained), ("hybrid", trained)]
    else:
        print(f"no model for {args.size}x{args.size} mazes (pass --weights); the uniform loop only")
    shown = None                       # the hybrid trace with the most subgoals, for the picture
    for i, inst in enumerate(mazes, 1):
        print(f"\nmaze {i}: shortest path {inst.meta['path_cells']} cells, "
              f"{inst.meta['path_count']} shortest path(s)")
        for mode, solver in solvers:
            r = solver.solve(inst, mode=mode)
            s = r.stats
            print(f"  {mode:15s} {r.status.value:17s} {s.seconds * 1000:7.1f} ms  {s.search_nodes:5d} nodes  "
                  f"{s.cycles} cycles  {s.accepted}/{s.proposed} subgoals accepted")
            if mode.startswith("hybrid") and (shown is None or s.proposed > shown.stats.proposed):
                shown = r
            if i == 1 and mode == solvers[-1][0] and r.solution:
                print(r.solution)
                print(r.trace.render())
    if shown is not None:
        print(f"\nwrote {shown.trace.plot(args.png)}")


if __name__ == "__main__":
    main()

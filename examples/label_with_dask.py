"""Label a puzzle collection on a Dask cluster: each worker solves pieces with the batched symbolic solver.

The worker function is :func:`hybrid_hrm.batch.solve_chunk`, the same one
``hybrid-hrm solve --workers N`` and ``solve_batch(..., workers=N)`` run
in local processes; here Dask ships the pieces to its workers (a
``LocalCluster`` of processes by default, or any cluster by its address)
and gathers the results in order.  Every answer is verified by the
batched verifier before it comes back; a puzzle gets a label only when its
solution is unique (``unique=True`` searches for a second one).

The labels are written as ``puzzle:1:solution`` lines, the tdoku form the
Sudoku parser reads back (and checks).  Without Dask installed
(``pip install 'hybrid-hrm[cluster]'``) the same function runs on a local
process pool instead, and the script says so.

Examples::

    python examples/label_with_dask.py --limit 2000 --workers 2 --out labels.txt
    python examples/label_with_dask.py --scheduler tcp://10.0.0.5:8786 --collection forum_hardest:train
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Callable, Sequence

from domains.collections import collection_lines
from hybrid_hrm.batch import BatchResult, solve_chunk
from hybrid_hrm.parallel import chunks, map_ordered
from solvers.base import Budget
from solvers.errors import Status


def solve_on_dask(pieces: Sequence[Sequence[str]], budget: Budget, workers: int, scheduler: str | None) -> list:
    """``solve_chunk`` on every piece on a Dask cluster, results in the order of the pieces."""
    from dask.distributed import Client, LocalCluster

    if scheduler:
        client, cluster = Client(scheduler), None
    else:
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None)
        client = Client(cluster)
    try:
        futures = client.map(solve_chunk, list(pieces), domain="sudoku", budget=budget, unique=True, pure=False)
        return client.gather(futures)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def solve_on_pool(pieces: Sequence[Sequence[str]], budget: Budget, workers: int, scheduler: str | None) -> list:
    """The same, on local worker processes (no Dask)."""
    return map_ordered(_solve_piece, [(piece, budget) for piece in pieces], workers)


def _solve_piece(args: tuple[Sequence[str], Budget]) -> BatchResult:
    piece, budget = args
    return solve_chunk(piece, "sudoku", budget, True)


def runner() -> tuple[str, Callable]:
    """Dask when it is installed, else the local pool: ``(what it is, how to run)``."""
    try:
        import dask.distributed  # noqa: F401
    except ImportError:
        return "a local process pool (dask is not installed: pip install 'hybrid-hrm[cluster]')", solve_on_pool
    return "Dask", solve_on_dask


def label(puzzles: Sequence[str], out: Path, workers: int = 2, chunk: int = 256, scheduler: str | None = None,
          budget: Budget | None = None) -> tuple[BatchResult, str]:
    """Solve ``puzzles`` in pieces of ``chunk`` on ``workers``, write the unique ones' labels to ``out``."""
    what, run = runner()
    pieces = chunks(list(puzzles), -(-len(puzzles) // chunk))
    found = BatchResult.concat(run(pieces, budget or Budget(), workers, scheduler))
    solutions = found.solutions()
    with open(out, "w") as f:
        for i, text in enumerate(puzzles):
            if found.status_of(i) is Status.SOLVED:  # unique: unique=True tells multiple_solutions apart
                f.write(f"{text.strip()}:1:{solutions[i]}\n")
    where = f"{what} ({scheduler})" if scheduler else (
        f"a Dask LocalCluster of {workers} worker processes" if what == "Dask" else what)
    return found, where


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--collection", default="forum_hardest:train", help="a bundled collection (or split)")
    p.add_argument("--limit", type=int, default=2000, help="at most this many puzzles")
    p.add_argument("--workers", type=int, default=2, help="worker processes of the local cluster")
    p.add_argument("--chunk", type=int, default=256, help="puzzles a task")
    p.add_argument("--scheduler", default=None, help="a running Dask scheduler's address (default: a local cluster)")
    p.add_argument("--out", default="labels.txt", help="where the labels go")
    args = p.parse_args()
    puzzles = collection_lines(args.collection, limit=args.limit)
    start = time.perf_counter()
    found, where = label(puzzles, Path(args.out), args.workers, args.chunk, args.scheduler)
    seconds = time.perf_counter() - start
    counts = found.counts()
    print(f"solved {len(puzzles)} puzzles on {where} in {seconds:.2f} s")
    print(f"labelled {counts.get('solved', 0)} unique, {counts.get('multiple_solutions', 0)} with more than one "
          f"solution, {len(puzzles) - counts.get('solved', 0) - counts.get('multiple_solutions', 0)} unsolved")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()

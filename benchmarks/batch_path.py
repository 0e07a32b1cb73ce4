"""Benchmark: the path around the search (batched), every core (workers), in one run on the same puzzles.

Measured (best of ``--repeats``, so that a busy machine's pauses drop out;
compare the ratios, which hold on a busy machine, more than the rates):

* puzzles/s of ``sudoku.solve(sudoku.parse(text))`` one at a time (the
  per-puzzle path), of ``solve_batch(texts)``, of ``solve_batch(instances)``
  (what ``bench --methods symbolic`` times) and of ``solve_batch(texts,
  workers=2)``, on top1465 and ``forum_hardest:test``; the answers and
  node counts are checked to be the same;
* the wall time of ``hybrid-hrm solve`` with ``--workers 1`` and ``2`` on
  1,000 and 20,000 puzzles, and after its first line;
* a control for how busy the machine is: a busy loop in one process
  against two at once (2.00x on two idle cores);
* one ``hybrid-hrm solve sudoku PUZZLE --mode symbolic``: its wall time with
  the numba cache warm, and with an empty one (compiling).

Example::

    python benchmarks/batch_path.py --repeats 2
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import domains  # noqa: E402
from domains.collections import collection_lines  # noqa: E402
from hybrid_hrm.batch import solve_batch  # noqa: E402

HARD = "4...3.......6..8..........1....5..9..8....6...7.2........1.27..5.3....4.9........"


def best(fn: Callable[[], object], repeats: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return min(times), out


def _spin(n: int = 20_000_000) -> None:
    x = 0
    for i in range(n):
        x += i


def cpu_control() -> float:
    """Speed-up of two busy loops at once over one (2.00 on two idle cores)."""
    start = time.perf_counter()
    _spin()
    one = time.perf_counter() - start
    procs = [multiprocessing.get_context("fork").Process(target=_spin) for _ in range(2)]
    start = time.perf_counter()
    [p.start() for p in procs]
    [p.join() for p in procs]
    return 2 * one / (time.perf_counter() - start)


def in_process(repeats: int) -> None:
    sudoku = domains.get("sudoku")
    solve_batch([HARD])  # load the compiled kernels
    for name in ("top1465", "forum_hardest:test"):
        texts = collection_lines(name)
        instances = [sudoku.parse(t) for t in texts]
        n = len(texts)
        t_one, ref = best(lambda texts=texts: [sudoku.solve(sudoku.parse(t)) for t in texts], repeats)
        t_texts, found = best(lambda texts=texts: solve_batch(texts), repeats)
        t_inst, _ = best(lambda instances=instances: solve_batch(instances, sudoku), repeats)
        t_two, two = best(lambda texts=texts: solve_batch(texts, workers=2), repeats)
        same = [r.nodes for r in ref] == found.nodes.tolist() == two.nodes.tolist()
        same &= all(list(r.values) == found.values[i].tolist() for i, r in enumerate(ref))
        print(f"{name} ({n}): one by one {n / t_one:,.0f}/s | solve_batch(texts) {n / t_texts:,.0f}/s "
              f"({t_one / t_texts:.2f}x) | solve_batch(instances) {n / t_inst:,.0f}/s | workers=2 "
              f"{n / t_two:,.0f}/s ({t_texts / t_two:.2f}x of workers=1) | same answers and nodes: {same}",
              flush=True)


def _cli(args: list[str], env: dict | None = None) -> tuple[float, float]:
    """Wall seconds of a ``hybrid-hrm`` command, and seconds to its first line of output."""
    start = time.monotonic()
    proc = subprocess.Popen(["hybrid-hrm", *args], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    first = None
    for _ in proc.stdout:
        first = first or time.monotonic() - start
    proc.wait()
    return time.monotonic() - start, first or 0.0


def cli(repeats: int) -> None:
    lines = collection_lines("top1465")
    with tempfile.TemporaryDirectory() as tmp:
        files = {
            "forum_hardest:test (1,000)": collection_lines("forum_hardest:test"),
            "top1465 x14 (20,000)": [lines[i % len(lines)] for i in range(20_000)],
        }
        for name, puzzles in files.items():
            path = Path(tmp) / "p.txt"
            path.write_text("\n".join(puzzles) + "\n")
            runs = {w: min(_cli(["solve", "sudoku", "--file", str(path), "--mode", "symbolic", "--workers", str(w)])
                           for _ in range(repeats)) for w in (1, 2)}
            (w1, f1), (w2, f2) = runs[1], runs[2]
            print(f"hybrid-hrm solve --mode symbolic, {name}: --workers 1 {w1:.2f} s, --workers 2 {w2:.2f} s "
                  f"({w1 / w2:.2f}x); after the first line {w1 - f1:.2f} s and {w2 - f2:.2f} s "
                  f"({(w1 - f1) / max(w2 - f2, 1e-9):.2f}x)", flush=True)
        empty = {**os.environ, "NUMBA_CACHE_DIR": str(Path(tmp) / "numba-cache")}  # nothing cached there yet
        wall = _cli(["solve", "sudoku", HARD, "--mode", "symbolic"], empty)[0]
        print(f"hybrid-hrm solve sudoku PUZZLE --mode symbolic, empty numba cache (compiling): {wall:.2f} s")
        wall = min(_cli(["solve", "sudoku", HARD, "--mode", "symbolic"])[0] for _ in range(max(repeats, 3)))
        print(f"hybrid-hrm solve sudoku PUZZLE --mode symbolic, warm numba cache: {wall:.2f} s", flush=True)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--skip-cli", action="store_true")
    args = p.parse_args()
    print(f"control: two busy loops at once run {cpu_control():.2f}x one (2.00 on 2 idle cores); "
          f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores", flush=True)
    in_process(args.repeats)
    if not args.skip_cli:
        cli(args.repeats)
    print(f"control again: {cpu_control():.2f}x; load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()

"""Benchmark: the symbolic core before and after it was compiled (solvers.kernels), in one run.

"Before" is the pure-Python search and all-different layer of an earlier
commit (``--before``, by default the parent of the commit that added
``solvers/kernels.py``, or ``HEAD`` while it is uncommitted), loaded from
git into temporary modules; "after" is the working tree.  Both run in
this process, one after the other on the same puzzles, so that their
ratio holds on a busy machine; the results are checked to be identical.

Measured:

* puzzles/s of ``sudoku.solve(inst)`` on top1465 (first 500) and on
  ``forum_hardest:test`` (first 200);
* seconds of ``sudoku.generate(rng, count=20, size=9)`` and
  ``size=16, min_givens=120`` (puzzles of the same kind, not the same puzzles: see ``compare_generate``);
* the first call's cost in a new process: compiling (an empty numba cache)
  and loading the cached machine code; and the wall time of the CLI solving
  one puzzle once the cache is filled.

Example::

    python benchmarks/compiled_core.py --solve-limit 100 --forum-limit 50
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import types
from pathlib import Path
from typing import Any, Callable

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import domains  # noqa: E402
from domains.collections import collection_lines  # noqa: E402

#: The old modules' imports of each other, pointed at the old copies.
_OLD_IMPORTS = {
    "from solvers.alldiff import": "from _before_alldiff import",
    "from solvers.search import": "from _before_search import",
}
_FIRST_CALL = (
    "import time; t = time.perf_counter(); import domains; s = domains.get('sudoku');"
    "i = s.parse('.13.' '....' '3..4' '....'); t1 = time.perf_counter(); s.solve(i);"
    "print(t1 - t, time.perf_counter() - t1)"
)


def default_before() -> str:
    """The parent of the commit that added ``solvers/kernels.py`` (``HEAD`` while it is not committed)."""
    added = subprocess.run(
        ["git", "log", "--diff-filter=A", "--format=%H", "--", "solvers/kernels.py"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout.split()
    return f"{added[-1]}^" if added else "HEAD"


def load_old_module(name: str, rev: str, path: str) -> types.ModuleType:
    """``path`` at ``rev`` as the module ``name``, its imports pointed at the old modules."""
    source = subprocess.run(["git", "show", f"{rev}:{path}"], cwd=ROOT, capture_output=True, text=True,
                            check=True).stdout
    package = path.split("/")[0]
    source = source.replace("from .", f"from {package}.")  # relative imports: the package's current modules
    for old, new in _OLD_IMPORTS.items():
        source = source.replace(old, new)
    module = types.ModuleType(name)
    module.__file__ = f"{rev}:{path}"
    sys.modules[name] = module
    exec(compile(source, module.__file__, "exec"), module.__dict__)
    return module


def before_domain(rev: str) -> Any:
    """A Sudoku domain on the old search and layer (the generator and layer code of ``rev`` too)."""
    old_search = load_old_module("_before_search", rev, "solvers/search.py")
    load_old_module("_before_alldiff", rev, "solvers/alldiff.py")
    old_sudoku = load_old_module("_before_sudoku", rev, "domains/sudoku.py")

    class BeforeSudoku(old_sudoku.SudokuDomain):
        def search(self, instance, candidates, budget=None, *, max_solutions=1, variable_order=None,
                   value_order=None, probs=None):
            layer = self.layer(instance)
            return old_search.search(layer, layer.masks(candidates), budget, max_solutions=max_solutions,
                                     variable_order=variable_order, value_order=value_order)

    return BeforeSudoku()


def timed(work: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    out = work()
    return time.perf_counter() - start, out


def solve_all(domain: Any, lines: list[str]) -> list[tuple[str, int, int, tuple[int, ...]]]:
    """Status, guesses, backtracks and answer of ``domain.solve`` on each puzzle (parsing outside the clock)."""
    instances = [domain.parse(line) for line in lines]
    start = time.perf_counter()
    results = [domain.solve(inst) for inst in instances]
    solve_all.seconds = time.perf_counter() - start
    return [(r.status.value, r.nodes, r.backtracks, tuple(r.values or ())) for r in results]


def compare_solve(name: str, before: Any, after: Any, lines: list[str]) -> None:
    """Puzzles/s before and after on ``lines``, and whether every status and answer is the same (the guesses
    differ since the root propagates intersections too: both counts are shown)."""
    old = solve_all(before, lines)
    old_seconds = solve_all.seconds
    new = solve_all(after, lines)
    new_seconds = solve_all.seconds
    n = len(lines)
    same = [(r[0], r[3]) for r in old] == [(r[0], r[3]) for r in new]
    print(f"solve {name} ({n}): before {n / old_seconds:8.0f}/s   after {n / new_seconds:8.0f}/s   "
          f"x{old_seconds / new_seconds:5.1f}   same answers: {'yes' if same else 'NO'}"
          f"   (guesses {sum(r[1] for r in old)} / {sum(r[1] for r in new)})")


def compare_generate(label: str, before: Any, after: Any, seed: int, **options: Any) -> None:
    """Seconds of ``generate`` before and after, and whether the puzzles are the same."""
    old_seconds, old = timed(lambda: before.generate(np.random.default_rng(seed), **options))
    new_seconds, new = timed(lambda: after.generate(np.random.default_rng(seed), **options))
    same = [p.givens.tolist() for p in old] == [p.givens.tolist() for p in new]
    # Not the same since the random fill's orders became arrays (random_guidance): other grids of the same
    # kind, so the counts are large enough for the means to compare.
    givens = [float(np.mean([(p.givens >= 0).sum() for p in ps])) for ps in (old, new)]
    print(f"generate {label}: before {old_seconds:7.2f} s   after {new_seconds:7.2f} s   "
          f"x{old_seconds / new_seconds:5.1f}   same puzzles: {'yes' if same else 'no'}"
          f"   (mean givens {givens[0]:.1f} / {givens[1]:.1f})")


def first_call_costs() -> None:
    """A new process's import and first solve: with an empty numba cache (compiles), then with it filled."""
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache}
        for label in ("compile (empty cache)", "load (cached)"):
            out = subprocess.run([sys.executable, "-c", _FIRST_CALL], cwd=ROOT, env=env, capture_output=True,
                                 text=True, check=True).stdout.split()
            print(f"first call in a new process, {label}: import {float(out[0]):.2f} s, "
                  f"first solve {float(out[1]):.2f} s")
        puzzle = collection_lines("top1465", limit=1)[0]
        command = [sys.executable, "-m", "hybrid_hrm.cli", "solve", "sudoku", puzzle, "--mode", "symbolic"]
        walls = []
        for _ in range(3):  # the cache is filled: the best of three, the machine is shared
            start = time.perf_counter()
            subprocess.run(command, cwd=ROOT, env=env, capture_output=True, check=True)
            walls.append(time.perf_counter() - start)
        print(f"`hybrid-hrm solve sudoku <puzzle> --mode symbolic`, cached: {min(walls):.2f} s wall (best of 3)")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", default=None, help="git revision of the pure-Python core")
    parser.add_argument("--solve-limit", type=int, default=500, help="top1465 puzzles")
    parser.add_argument("--forum-limit", type=int, default=200, help="forum_hardest:test puzzles")
    parser.add_argument("--no-generate", action="store_true", help="skip the generator timings")
    args = parser.parse_args(argv)
    rev = args.before or default_before()
    before, after = before_domain(rev), domains.get("sudoku")
    print(f"before: {rev} (pure Python)   after: working tree (compiled)")
    after.solve(after.parse(collection_lines("top1465", limit=1)[0]))  # load the compiled kernels, untimed
    compare_solve("top1465", before, after, collection_lines("top1465", limit=args.solve_limit))
    compare_solve("forum_hardest:test", before, after, collection_lines("forum_hardest:test", limit=args.forum_limit))
    if not args.no_generate:
        compare_generate("count=20 size=9", before, after, seed=0, count=20, size=9)
        compare_generate("count=20 size=16 min_givens=120", before, after, seed=0, count=20, size=16, min_givens=120)
    first_call_costs()


if __name__ == "__main__":
    main()

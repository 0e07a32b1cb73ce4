"""``hybrid-hrm bench reliability``: soundness and budgets at scale, every failure counted.

Each category builds puzzles whose right outcome is known, runs them through
the solver's modes, and counts a failure whenever:

* a ``solved`` answer fails an independent verification (the verifier, and
  equality with the known unique solution where there is one);
* an input without solution comes back ``solved``;
* a puzzle with several solutions is not reported as such when uniqueness
  is asked for;
* a time budget is overrun by more than one node's work (50 ms slack);
* an input that must be refused (a model config past its bounds, an edited
  sidecar, a puzzle that is not text, a puzzle file with one malformed line)
  is not refused with a typed error (a ``HybridHRMError`` subclass) within
  a few seconds, or a config at its bounds is refused.

``scale=1.0`` runs more than 10,000 cases; CI runs a small slice.

>>> report = run_reliability(scale=0.005, seed=0)
>>> report["total_failures"]
0
"""

from __future__ import annotations

import json
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np

import domains
from domains.base import Instance
from domains.collections import collection_lines
from solvers.base import Budget
from solvers.errors import CheckpointError, ConfigError, HybridHRMError, InvalidPuzzleError, Status

from .bridge import HybridSolver
from .modes import get_mode


@dataclass
class Case:
    instance: Instance
    expect: str  # "solved", "unsolvable", "multiple", "any" (budget may run out)
    solution: np.ndarray | None = None
    unique: bool = False
    budget: Budget = Budget(max_nodes=200_000, max_seconds=5.0)


@dataclass
class RefusalCase:
    """An input that must be refused with a typed error, quickly (or, ``expect=None``, accepted)."""

    label: str
    call: Callable[[], Any]
    expect: type[HybridHRMError] | None
    match: str = ""  # text the error message must hold (e.g. the line of a malformed puzzle)
    mode: str = "-"
    max_seconds: float = 5.0


def _with_duplicate(sudoku, inst: Instance, rng) -> Instance:
    """Two equal givens in one row: contradictory givens."""
    g = inst.givens.copy()
    n = inst.shape[0]
    r = rng.integers(n)
    a, b = rng.choice(n, 2, replace=False)
    value = g[r * n + a] if g[r * n + a] >= 0 else rng.integers(n)
    g[r * n + a] = g[r * n + b] = value
    return sudoku.with_givens(inst, g)


def _without_solution(sudoku, inst: Instance, rng) -> Instance | None:
    """One consistent extra given that differs from the unique solution."""
    layer = sudoku.layer(inst)
    for v in rng.permutation(np.flatnonzero(inst.givens < 0)):
        for k in rng.permutation(inst.num_values):
            if k == inst.solution[v]:
                continue
            g = inst.givens.copy()
            g[v] = k
            if layer.verify(g).consistent:
                return sudoku.with_givens(inst, g)
    return None


def build_cases(scale: float, seed: int) -> dict[str, list[Case]]:
    sudoku = domains.get("sudoku")
    rng = np.random.default_rng(seed)

    def n(full: int) -> int:
        return max(2, int(full * scale))

    generated9 = sudoku.generate(rng, count=n(600), size=9)
    generated4 = sudoku.generate(rng, count=n(2000), size=4)
    cases: dict[str, list[Case]] = {
        "bundled hard": [
            Case(sudoku.parse(t), "solved")
            for t in collection_lines("top1465", n(1465)) + collection_lines("forum_hardest:test", n(1000))
        ],
        "generated 9x9": [Case(i, "solved", i.solution, unique=True) for i in generated9],
        "generated 4x4": [Case(i, "solved", i.solution, unique=True) for i in generated4],
        "contradictory givens": [Case(_with_duplicate(sudoku, i, rng), "unsolvable") for i in generated9 + generated4],
        "no solution": [
            Case(c, "unsolvable")
            for c in (_without_solution(sudoku, i, rng) for i in generated9 + generated4)
            if c is not None
        ],
        "several solutions": [Case(sudoku.parse(t), "any", unique=True) for t in collection_lines("serg", n(2000))],
        "nearly empty": [
            Case(sudoku.with_givens(sudoku.empty(9), _sparse(rng, 9, k)), "multiple", unique=True)
            for k in rng.integers(0, 4, n(300))
        ],
        "16x16": [Case(i, "solved", i.solution) for i in sudoku.generate(rng, count=n(100), size=16, min_givens=150)],
        "pathological budget": [
            Case(sudoku.empty(16), "any", unique=True, budget=Budget(None, 0.05)) for _ in range(n(50))
        ],
    }
    return cases


def _sparse(rng, n: int, count: int) -> np.ndarray:
    g = np.full(n * n, -1)
    rows, cols = rng.permutation(n)[:count], rng.permutation(n)[:count]
    digits = rng.permutation(n)[:count]
    for r, c, d in zip(rows, cols, digits):
        g[r * n + c] = d
    return g


def check(case: Case, result, sudoku) -> str | None:
    """The failure this result shows, or ``None``."""
    inst = case.instance
    if result.status in (Status.SOLVED, Status.MULTIPLE_SOLUTIONS):
        if result.values is None or not sudoku.verify(inst, result.values).valid:
            return "an answer failed the verifier"
        if case.expect == "unsolvable":
            return "an input without solution came back solved"
        if (
            case.solution is not None
            and result.status is Status.SOLVED
            and not np.array_equal(result.values, case.solution)
        ):
            return "a different answer to a puzzle with a unique solution"
    if case.expect == "unsolvable" and result.status is not Status.UNSOLVABLE:
        if result.status is not Status.BUDGET_EXHAUSTED:
            return f"expected unsolvable, got {result.status.value}"
    if case.expect == "solved" and result.status is not Status.SOLVED:
        return f"expected solved, got {result.status.value}"
    if case.expect == "multiple" and case.unique and result.status is not Status.MULTIPLE_SOLUTIONS:
        return f"expected multiple_solutions, got {result.status.value}"
    if case.budget.max_seconds is not None and result.stats.seconds > case.budget.max_seconds + 0.05:
        return f"time budget overrun: {result.stats.seconds:.3f} s > {case.budget.max_seconds} s"
    return None


#: A small network config the bound cases vary one field of.
_BASE_CONFIG = {"num_variables": 16, "num_values": 4, "hidden": 32, "heads": 2}


def _config_cases() -> list[RefusalCase]:
    """Every bounded size of ``HRMConfig`` one past its bound and absurdly large: a ConfigError,
    not a network that allocates or loops for hours; and the largest sizes still accepted."""
    from .model import HRMConfig
    from .model.options import MAX_SIZES, MAX_STEPS

    def config(**changes: Any) -> Callable[[], Any]:
        return lambda: HRMConfig(**{**_BASE_CONFIG, **changes})

    cases = []
    for name, bound in MAX_SIZES.items():
        for value in (bound + 1, 10**9):
            cases.append(RefusalCase(f"HRMConfig({name}={value})", config(**{name: value}), ConfigError, name))
    cases += [
        RefusalCase(
            "HRMConfig(h_cycles=1024, l_cycles=1024)", config(h_cycles=1024, l_cycles=1024), ConfigError, str(MAX_STEPS)
        ),
        RefusalCase("HRMConfig(expansion=nan)", config(expansion=float("nan")), ConfigError, "expansion"),
        RefusalCase("HRMConfig(h_cycles=1024, l_cycles=16)", config(h_cycles=1024, l_cycles=16), None),
        RefusalCase("HRMConfig(hidden=4096, heads=64)", config(hidden=4096, heads=64), None),
    ]
    return cases


def _sidecar_cases(folder: Path) -> list[RefusalCase]:
    """A saved model whose sidecar was edited (``h_cycles`` huge, or small but changed, with
    and without its config checksum): a CheckpointError at load, before any network runs."""
    from .checkpoint import load_model, save_model
    from .model import HRM, HRMConfig

    path = save_model(HRM(HRMConfig(**_BASE_CONFIG, domain="sudoku")), folder / "edited" / "model.safetensors")
    original = json.loads(path.with_suffix(".json").read_text())

    def edited(h_cycles: int, keep_digest: bool) -> Callable[[], Any]:
        def call() -> Any:
            side = json.loads(json.dumps(original))
            side["config"]["h_cycles"] = h_cycles
            if not keep_digest:
                side.pop("config_sha256", None)
            path.with_suffix(".json").write_text(json.dumps(side))
            return load_model(path, domain="sudoku")

        return call

    expected = {(10**9, True): "from 1 to 1024", (10**9, False): "from 1 to 1024", (3, True): "was edited"}
    return [
        RefusalCase(
            f"sidecar h_cycles={h}{'' if keep else ', no config_sha256'}", edited(h, keep), CheckpointError, match
        )
        for (h, keep), match in expected.items()
    ]


#: Puzzles that are not text (nor a list of texts): each must be an InvalidPuzzleError-style refusal.
_NOT_TEXT: tuple[Any, ...] = (None, b"\xff\xfe\xfd", 42, 3.5, True, object(), [None], [b"\xff"], [42])


def _input_cases(solvers: dict[str, HybridSolver]) -> list[RefusalCase]:
    """``HybridSolver.solve`` of each non-text input, in every mode."""
    return [
        RefusalCase(f"solve({value!r})", lambda s=solver, v=value, m=mode: s.solve(v, mode=m), HybridHRMError, "", mode)
        for mode, solver in solvers.items()
        for value in _NOT_TEXT
    ]


def _file_cases(folder: Path, seed: int) -> list[RefusalCase]:
    """A puzzle file of good lines with one malformed line (a bad character, a short line,
    bytes that are not UTF-8): an InvalidPuzzleError naming that line (or the file)."""
    sudoku = domains.get("sudoku")
    good = collection_lines("top1465", 4)
    rng = np.random.default_rng(seed)
    bad_lines = {
        "bad character": good[0][:40].encode() + b"x" + good[0][41:].encode(),
        "short line": good[1][:60].encode(),
        "not UTF-8": b"\xff\xfe" + good[2][2:].encode(),
    }
    cases = []
    for kind, bad in bad_lines.items():
        at = int(rng.integers(0, len(good) + 1))
        lines = [g.encode() for g in good[:at]] + [bad] + [g.encode() for g in good[at:]]
        path = folder / f"{kind.replace(' ', '_')}.txt"
        path.write_bytes(b"\n".join(lines) + b"\n")
        where = path.name if kind == "not UTF-8" else f"line {at + 1}"
        cases.append(
            RefusalCase(f"{kind} at line {at + 1}", lambda p=path: sudoku.read_file(p), InvalidPuzzleError, where)
        )
    return cases


def check_refusal(case: RefusalCase) -> str | None:
    """The failure a refusal case shows, or ``None`` (the call is made here, and timed)."""
    start = time.perf_counter()
    try:
        case.call()
        error = None
    except HybridHRMError as exc:
        error = exc
    except Exception as exc:  # an untyped error is a failure to report
        return f"crash: {type(exc).__name__}: {exc}"
    seconds = time.perf_counter() - start
    if seconds > case.max_seconds:
        return f"took {seconds:.1f} s (more than {case.max_seconds} s) to answer"
    if case.expect is None:
        return None if error is None else f"refused, but it is within bounds: {error}"
    if error is None:
        return f"accepted, expected a {case.expect.__name__}"
    if not isinstance(error, case.expect):
        return f"expected a {case.expect.__name__}, got {type(error).__name__}: {error}"
    if case.match not in str(error):
        return f"the error does not name {case.match!r}: {error}"
    return None


def run_reliability(
    scale: float = 1.0,
    seed: int = 0,
    modes: tuple[str, ...] | None = None,
    weights: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict:
    """Run every category through every mode; return counts and failure examples.

    The puzzle categories run through each mode; the refusal categories (config bounds,
    edited sidecars, non-text inputs, a malformed file) check typed errors, once each.
    """
    modes = modes or ("symbolic", "hybrid-uniform") + (("hybrid",) if weights is not None else ())
    solvers = {mode: HybridSolver.for_mode("sudoku", mode, weights=weights) for mode in modes}
    report: dict[str, Any] = {"scale": scale, "seed": seed, "modes": list(modes), "categories": {}}
    with tempfile.TemporaryDirectory(prefix="hybrid-hrm-reliability-") as tmp:
        folder = Path(tmp)
        refusals = {
            "model config bounds": _config_cases() + _sidecar_cases(folder),
            "non-text inputs": _input_cases(solvers),
            "malformed puzzle file": _file_cases(folder, seed),
        }
        for name, cases in build_cases(scale, seed).items():
            _record(report, name, _run_category(cases, modes, solvers), progress)
        for name, refusal_cases in refusals.items():
            _record(report, name, _run_refusals(refusal_cases), progress)
    categories = report["categories"].values()
    report["total_cases"] = sum(c["cases"] for c in categories)
    report["total_failures"] = sum(c["failures"] for c in categories)
    return report


def _record(report: dict, name: str, category: dict, progress: Callable[[str], None] | None) -> None:
    """Add one category's counts to the report (and a progress line)."""
    report["categories"][name] = category
    if progress:
        progress(f"{name:<22} {category['cases']:>7} {category['failures']:>9}")


def _run_category(cases: list[Case], modes: tuple[str, ...], solvers: dict[str, HybridSolver]) -> dict:
    """Every case of one puzzle category through every mode: counts and up to 3 failure examples."""
    sudoku = domains.get("sudoku")
    failures, skipped, examples, start = 0, 0, [], time.perf_counter()
    for mode in modes:
        solver = solvers[mode]
        for case in cases:
            if get_mode(mode).needs_model and not solver.has_model_for(case.instance):
                skipped += 1  # no model of this size (16x16): the uniform loop covers it
                continue
            try:
                [result] = solver.solve_instances([case.instance], mode=mode, budget=case.budget, unique=case.unique)
                problem = check(case, result, sudoku)
            except Exception as exc:  # any crash is a failure to report, not to hide
                problem = f"crash: {type(exc).__name__}: {exc}"
            if problem:
                failures += 1
                if len(examples) < 3:
                    examples.append({"mode": mode, "puzzle": sudoku.format(case.instance), "problem": problem})
    return {
        "cases": len(cases) * len(modes) - skipped,
        "failures": failures,
        "skipped_no_model": skipped,
        "examples": examples,
        "seconds": time.perf_counter() - start,
    }


def _run_refusals(cases: list[RefusalCase]) -> dict:
    """Every refusal case once: counts and up to 3 failure examples (the same keys as a puzzle category)."""
    start = time.perf_counter()
    problems = [(case, check_refusal(case)) for case in cases]
    failed = [(case, problem) for case, problem in problems if problem]
    return {
        "cases": len(cases),
        "failures": len(failed),
        "skipped_no_model": 0,
        "examples": [{"mode": c.mode, "puzzle": c.label, "problem": p} for c, p in failed[:3]],
        "seconds": time.perf_counter() - start,
    }

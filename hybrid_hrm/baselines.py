"""Reference solvers the benchmark compares with: python-constraint2 and OR-Tools CP-SAT.

Both build the textbook model (one variable per cell, all-different per
group, givens fixed) from the domain's own all-different groups, so they
solve exactly the instances our layer solves.  python-constraint2 runs with
an explicit ``BacktrackingSolver(forwardcheck=True)``: its default solver
ran for minutes on some puzzles and cannot be interrupted, so use budgets
that fit your patience (the benchmark's ``--limit``).

Examples
--------
>>> import domains
>>> sudoku = domains.get("sudoku")
>>> inst = sudoku.parse(".13." "...." "3..4" "....")
>>> sudoku.format(inst, python_constraint_solve(sudoku, inst))
'4132234132141423'
"""

from __future__ import annotations

import multiprocessing
import time

import numpy as np

from domains.base import Domain, Instance
from solvers.errors import UnsupportedError


def applies_to(domain: Domain, instance: Instance) -> bool:
    """Can the baselines model this instance (all-different groups, the textbook model)?"""
    from solvers.alldiff import AllDifferentLayer

    return isinstance(domain.layer(instance), AllDifferentLayer)


def _groups(domain: Domain, instance: Instance) -> list[tuple[int, ...]]:
    if not applies_to(domain, instance):
        raise UnsupportedError(f"baselines need an all-different domain; {domain.name!r} is not one")
    return list(domain.layer(instance).groups)


def python_constraint_solve(domain: Domain, instance: Instance) -> np.ndarray | None:
    """Solve with python-constraint2's ``BacktrackingSolver(forwardcheck=True)``."""
    from constraint import AllDifferentConstraint, BacktrackingSolver, Problem

    problem = Problem(BacktrackingSolver(forwardcheck=True))
    K = instance.num_values
    for v, g in enumerate(instance.givens.tolist()):
        problem.addVariable(v, [g] if g >= 0 else list(range(K)))
    for group in _groups(domain, instance):
        problem.addConstraint(AllDifferentConstraint(), list(group))
    solution = problem.getSolution()
    if not solution:
        return None
    return np.array([solution[v] for v in range(instance.num_variables)], dtype=np.int64)


def python_constraint_within(
    domain: Domain, instance: Instance, max_seconds: float | None
) -> tuple[np.ndarray | None, float, bool]:
    """``python_constraint_solve`` under a wall-clock budget: ``(values, seconds, finished)``.

    python-constraint2's search cannot be interrupted from inside (one 16x16
    Sudoku ran past 5 minutes here), so it runs in a forked child that is
    killed when the budget is spent.  ``seconds`` is the child's own solving
    time (no fork overhead); ``finished`` is False when it was killed.

    >>> import domains
    >>> sudoku = domains.get("sudoku")
    >>> values, seconds, finished = python_constraint_within(sudoku, sudoku.parse(".13." "...." "3..4" "...."), 10.0)
    >>> finished, sudoku.format(sudoku.parse(".13." "...." "3..4" "...."), values)
    (True, '4132234132141423')
    """
    if max_seconds is None:
        start = time.perf_counter()
        values = python_constraint_solve(domain, instance)
        return values, time.perf_counter() - start, True
    ctx = multiprocessing.get_context("fork")
    receive, send = ctx.Pipe(duplex=False)
    child = ctx.Process(target=_solve_in_child, args=(domain, instance, send), daemon=True)
    child.start()
    send.close()
    finished = receive.poll(max_seconds + 1.0)  # a second of grace for the fork itself
    values, seconds = receive.recv() if finished else (None, float(max_seconds))
    if isinstance(values, BaseException):  # the child's error (say, an unsupported domain), raised here
        child.join()
        raise values
    if not finished:
        child.kill()
    child.join()
    receive.close()
    if seconds > max_seconds:  # finished within the grace, not within the budget
        return None, float(max_seconds), False
    return values, seconds, finished


def _solve_in_child(domain: Domain, instance: Instance, send) -> None:
    start = time.perf_counter()
    try:
        values = python_constraint_solve(domain, instance)
    except Exception as exc:  # sent back, so the parent raises the real error, not EOFError
        values = exc
    send.send((values, time.perf_counter() - start))
    send.close()


def ortools_available() -> bool:
    try:
        import ortools.sat.python.cp_model  # noqa: F401
    except ImportError:
        return False
    return True


def ortools_solve(domain: Domain, instance: Instance, max_seconds: float | None = 30.0) -> np.ndarray | None:
    """Solve with OR-Tools CP-SAT on one worker (``pip install hybrid-hrm[bench]``)."""
    if not ortools_available():
        raise UnsupportedError("OR-Tools is not installed: pip install 'hybrid-hrm[bench]'")
    from ortools.sat.python import cp_model

    model = cp_model.CpModel()
    K = instance.num_values
    cells = [model.NewIntVar(0, K - 1, f"x{v}") for v in range(instance.num_variables)]
    for v, g in enumerate(instance.givens.tolist()):
        if g >= 0:
            model.Add(cells[v] == g)
    for group in _groups(domain, instance):
        model.AddAllDifferent([cells[v] for v in group])
    solver = cp_model.CpSolver()
    solver.parameters.num_search_workers = 1
    if max_seconds is not None:
        solver.parameters.max_time_in_seconds = float(max_seconds)
    status = solver.Solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    return np.array([solver.Value(c) for c in cells], dtype=np.int64)

"""Reference solvers the benchmark compares with: python-constraint2, OR-Tools CP-SAT and a CDCL SAT solver.

All build the textbook model (one variable per cell, all-different per
group, givens fixed) from the domain's own all-different groups, so they
solve exactly the instances our layer solves; the SAT solver (python-sat's
Glucose 4) gets the standard encoding of it (:func:`sat_clauses`).  python-constraint2 runs with
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

import functools
import itertools
import multiprocessing
import threading
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


#: The python-sat solver the ``sat`` method runs (Glucose 4: faster than CaDiCaL 1.5.3 here, by 1.2x).
SAT_SOLVER = "glucose4"


def sat_available() -> bool:
    try:
        import pysat.solvers  # noqa: F401
    except ImportError:
        return False
    return True


@functools.lru_cache(maxsize=16)
def _sat_base(groups: tuple[tuple[int, ...], ...], num_variables: int, num_values: int) -> tuple[tuple[int, ...], ...]:
    """The clauses every instance of a layer shares (see :func:`sat_clauses`)."""
    K = num_values
    clauses: list[tuple[int, ...]] = []
    for v in range(num_variables):
        clauses.append(tuple(v * K + k + 1 for k in range(K)))  # some value
        clauses += [(-(v * K + a + 1), -(v * K + b + 1)) for a, b in itertools.combinations(range(K), 2)]  # one
    for group in groups:
        for k in range(K):  # at most one variable of the group takes value k
            clauses += [(-(a * K + k + 1), -(b * K + k + 1)) for a, b in itertools.combinations(group, 2)]
    return tuple(clauses)


def sat_clauses(domain: Domain, instance: Instance) -> list[tuple[int, ...]]:
    """The standard CNF of an all-different instance: boolean ``v*K + k + 1`` is "variable ``v`` takes value ``k``".

    Exactly one value per variable, at most one variable per group and
    value, and the instance's candidates as unit clauses (a given: its
    value; otherwise each value it rules out, negated).

    >>> import domains
    >>> sudoku = domains.get("sudoku")
    >>> clauses = sat_clauses(sudoku, sudoku.parse("1..." + "." * 12))
    >>> len(clauses), clauses[-1]
    (401, (1,))
    """
    V, K = instance.num_variables, instance.num_values
    units: list[tuple[int, ...]] = []
    for v, row in enumerate(np.asarray(instance.candidates, dtype=bool)):
        allowed = np.flatnonzero(row)
        if allowed.size == 1:
            units.append((v * K + int(allowed[0]) + 1,))
        elif allowed.size < K:
            units += [(-(v * K + k + 1),) for k in np.flatnonzero(~row).tolist()]
    return [*_sat_base(tuple(_groups(domain, instance)), V, K), *units]


def sat_solve(domain: Domain, instance: Instance, max_seconds: float | None = 30.0) -> tuple[np.ndarray | None, bool]:
    """Solve the CNF of :func:`sat_clauses` with a fresh python-sat solver: ``(values, finished)``.

    ``values`` is ``None`` when the formula is unsatisfiable (``finished``)
    or the time ran out first (not ``finished``).  ``pip install hybrid-hrm[bench]``.
    """
    if not sat_available():
        raise UnsupportedError("python-sat is not installed: pip install 'hybrid-hrm[bench]'")
    from pysat.solvers import Solver

    K = instance.num_values
    with Solver(name=SAT_SOLVER, bootstrap_with=sat_clauses(domain, instance)) as solver:
        timer = None if max_seconds is None else threading.Timer(float(max_seconds), solver.interrupt)
        if timer is not None:
            timer.start()
        try:
            satisfiable = solver.solve_limited(expect_interrupt=True)
        finally:
            if timer is not None:
                timer.cancel()
        if satisfiable is None:
            return None, False
        if not satisfiable:
            return None, True
        values = np.full(instance.num_variables, -1, dtype=np.int64)
        for literal in solver.get_model():
            if literal > 0:
                values[(literal - 1) // K] = (literal - 1) % K
        return values, True

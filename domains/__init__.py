"""Puzzle domains and their registry.

>>> import domains
>>> domains.get("sudoku").name
'sudoku'
"""

from importlib import import_module

from .base import Domain, Instance, apply_symmetry, validate_instance
from .maze import MazeDomain
from .registry import ENTRY_POINT_GROUP, available, get, register
from .sudoku import SudokuDomain

register("sudoku", SudokuDomain)
register("maze", MazeDomain)
# Declared CSP domains, imported on first use (they pull in sympy and networkx).
register("kenken", lambda: import_module("domains.kenken").KenKenDomain())
register("nqueens", lambda: import_module("domains.nqueens").NQueensDomain())
register("graph_coloring", lambda: import_module("domains.graph_coloring").GraphColoringDomain())

__all__ = [
    "Domain",
    "Instance",
    "SudokuDomain",
    "apply_symmetry",
    "validate_instance",
    "available",
    "get",
    "register",
    "ENTRY_POINT_GROUP",
]

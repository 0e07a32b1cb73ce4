"""Puzzle domains and their registry.

>>> import domains
>>> domains.get("sudoku").name
'sudoku'
"""

from .base import Domain, Instance, apply_symmetry, validate_instance
from .registry import ENTRY_POINT_GROUP, available, get, register
from .sudoku import SudokuDomain

register("sudoku", SudokuDomain)

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

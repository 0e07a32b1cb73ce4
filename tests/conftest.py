"""Shared fixtures: the Sudoku domain and a few puzzles with known answers."""

from __future__ import annotations

import numpy as np
import pytest

import domains

# A 9x9 from top1465 and its unique solution (checked by the verifier in tests).
HARD = "4...3.......6..8..........1....5..9..8....6...7.2........1.27..5.3....4.9........"


@pytest.fixture(scope="session")
def sudoku():
    return domains.get("sudoku")


@pytest.fixture(scope="session")
def generated9(sudoku):
    """A few generated 9x9 puzzles with their (unique) solutions."""
    return sudoku.generate(np.random.default_rng(7), count=4, size=9)

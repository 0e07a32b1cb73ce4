"""Parsing, formatting, verifying, generating and augmenting Sudoku."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domains import validate_instance
from solvers.errors import InvalidPuzzleError, Status
from tests.conftest import HARD


def test_parse_81_char_line_with_dots_and_zeros(sudoku):
    a = sudoku.parse(HARD)
    b = sudoku.parse(HARD.replace(".", "0"))
    assert a.shape == (9, 9) and a.num_values == 9
    assert np.array_equal(a.givens, b.givens)
    assert a.givens[0] == 3 and a.givens[1] == -1  # '4' is value index 3
    assert sudoku.format(a) == HARD


def test_parse_grid_with_spaces_newlines_and_decoration(sudoku):
    rows = [HARD[i * 9 : (i + 1) * 9] for i in range(9)]
    pretty = []
    for r, row in enumerate(rows):
        if r in (3, 6):
            pretty.append("------+-------+------")
        pretty.append(" | ".join(" ".join(row[c : c + 3]) for c in (0, 3, 6)))
    assert np.array_equal(sudoku.parse("\n".join(pretty)).givens, sudoku.parse(HARD).givens)


def test_parse_tdoku_format_keeps_a_checked_solution(sudoku, generated9):
    inst = generated9[0]
    text = f"{sudoku.format(inst)}:1:{sudoku.format(inst, inst.solution)}"
    parsed = sudoku.parse(text)
    assert np.array_equal(parsed.solution, inst.solution)
    wrong = inst.solution.copy()
    wrong[[0, 1]] = wrong[[1, 0]]
    with pytest.raises(InvalidPuzzleError, match="not a solution"):
        sudoku.parse(f"{sudoku.format(inst)}:1:{sudoku.format(inst, wrong)}")
    assert sudoku.parse(f"{sudoku.format(inst)}:").solution is None


def test_parse_4x4_and_16x16_sizes(sudoku):
    assert sudoku.parse(".13.....3..4....").shape == (4, 4)
    sixteen = sudoku.parse("G" + "." * 255)
    assert sixteen.shape == (16, 16) and sixteen.givens[0] == 15
    numeric = " ".join(["16", "10"] + ["0"] * 254)
    assert sudoku.parse(numeric).givens[:2].tolist() == [15, 9]


@pytest.mark.parametrize(
    "text, match, position",
    [
        ("1" * 80, "16, 81 or 256 cells, got 80", None),
        ("1" * 82, "got 82", None),
        ("x" + "." * 80, "bad character 'x'", 0),
        ("." * 40 + "\x00" + "." * 40, "bad character", 40),
        ("." * 10 + "é" + "." * 70, "bad character", 10),
        ("5" + "." * 14 + "5", "bad character '5' for a 4x4", 0),
        ("", "got 0", None),
        ("1:2:3:4", "more than 3 fields", None),
    ],
)
def test_malformed_input_raises_with_position(sudoku, text, match, position):
    with pytest.raises(InvalidPuzzleError, match=match) as info:
        sudoku.parse(text)
    assert info.value.position == position


def test_non_text_and_bad_bytes_are_rejected(sudoku):
    with pytest.raises(InvalidPuzzleError):
        sudoku.parse(12345)
    with pytest.raises(InvalidPuzzleError, match="UTF-8"):
        sudoku.parse(b"\xff\xfe" * 40)
    with pytest.raises(InvalidPuzzleError, match="too long"):
        sudoku.parse("." * 1_000_000)


def test_duplicate_givens_are_named_with_position(sudoku):
    inst = sudoku.parse("11" + "." * 79)
    with pytest.raises(InvalidPuzzleError, match=r"r1c2=1 conflicts with r1c1=1 \(row 1\)") as info:
        validate_instance(sudoku, inst)
    assert info.value.position == 1
    col = sudoku.parse("1" + "." * 8 + "1" + "." * 71)
    assert "column 1" in sudoku.verify(col, col.givens).reason()


def test_verifier_rejects_wrong_and_incomplete_answers(sudoku, generated9):
    inst = generated9[0]
    assert sudoku.verify(inst, inst.solution).valid
    partial = inst.solution.copy()
    partial[5] = -1
    v = sudoku.verify(inst, partial)
    assert v.consistent and not v.complete and not v.valid
    swapped = inst.solution.copy()
    free = np.flatnonzero(inst.givens < 0)
    a, b = free[0], next(x for x in free[1:] if inst.solution[x] != inst.solution[free[0]])
    swapped[[a, b]] = swapped[[b, a]]
    assert not sudoku.verify(inst, swapped).consistent
    changed_given = inst.solution.copy()
    g = np.flatnonzero(inst.givens >= 0)[0]
    changed_given[g] = (changed_given[g] + 1) % 9
    assert "not a candidate" in sudoku.verify(inst, changed_given).reason()


def test_generator_gives_unique_solutions(sudoku, generated9):
    for inst in generated9:
        r = sudoku.solve(inst, max_solutions=2)
        assert r.status is Status.SOLVED  # exactly one solution
        assert r.values == inst.solution.tolist()
        # The recorded difficulty is the guess count of the default search on that puzzle.
        assert inst.meta["guesses"] == sudoku.solve(inst).nodes


def test_generator_respects_difficulty(sudoku):
    rng = np.random.default_rng(1)
    puzzles = sudoku.generate(rng, count=2, size=9, min_guesses=1, max_attempts=400)
    assert puzzles and all(sudoku.solve(p).nodes >= 1 for p in puzzles)
    assert all(p.meta["guesses"] == sudoku.solve(p).nodes for p in puzzles)
    easy = sudoku.generate(rng, count=2, size=4, max_guesses=0)
    assert easy and all(sudoku.solve(p).nodes == 0 and p.meta["guesses"] == 0 for p in easy)
    # A top1465 puzzle is beyond propagation: the search guesses, and its answer verifies.
    hard = sudoku.parse(HARD)
    r = sudoku.solve(hard)
    assert r.status is Status.SOLVED and r.nodes > 0 and sudoku.verify(hard, np.asarray(r.values)).valid


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_augmentation_maps_solutions_to_solutions(sudoku, generated9, seed):
    rng = np.random.default_rng(seed)
    inst = generated9[seed % len(generated9)]
    aug = sudoku.augment(inst, rng)
    assert sudoku.verify(aug, aug.solution).valid
    assert (aug.givens >= 0).sum() == (inst.givens >= 0).sum()
    assert sudoku.solve(aug).values == aug.solution.tolist()


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_format_parse_round_trip(sudoku, seed):
    rng = np.random.default_rng(seed)
    size = [4, 9, 16][seed % 3]
    cells = rng.integers(-1, size, size * size)
    inst = sudoku.with_givens(sudoku.empty(size), cells)
    text = sudoku.format(inst)
    assert np.array_equal(sudoku.parse(text).givens, cells)
    assert np.array_equal(sudoku.parse(sudoku.format(inst, grid=True)).givens, cells)

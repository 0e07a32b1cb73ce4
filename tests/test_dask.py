"""Past one machine: the batched solver's worker function on a local Dask cluster (examples/label_with_dask.py)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

import domains
from domains.collections import collection_lines

pytest.importorskip("dask.distributed")
EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "label_with_dask.py"


def _example():
    spec = importlib.util.spec_from_file_location("label_with_dask", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_local_dask_cluster_labels_a_collection(tmp_path):
    example = _example()
    puzzles = collection_lines("forum_hardest:train", limit=300)
    out = tmp_path / "labels.txt"
    found, where = example.label(puzzles, out, workers=2, chunk=64)
    assert where == "a Dask LocalCluster of 2 worker processes"
    assert found.counts() == {"solved": 300}  # the forum puzzles have one solution each
    sudoku = domains.get("sudoku")
    lines = out.read_text().splitlines()
    assert len(lines) == 300
    for text, line in zip(puzzles, lines):
        puzzle, count, solution = line.split(":")
        assert (puzzle, count) == (text, "1")
        assert sudoku.parse(line).solution is not None  # the tdoku form: parse checks the solution

"""Every input answered clearly: typed errors and exit 2 for user mistakes, help that shows defaults,
honest statuses, trace counts and benchmark figures that add up."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import domains
import hybrid_hrm as hh
from hybrid_hrm.bench import BenchConfig, format_row, run_benchmark
from hybrid_hrm.bridge import BridgeConfig, HybridSolver
from hybrid_hrm.cli import main
from hybrid_hrm.model import HRM, HRMConfig
from solvers.errors import ConfigError, Status
from tests.conftest import HARD


def _exit(argv):
    try:
        return main(argv)
    except SystemExit as exc:
        return exc.code


@pytest.mark.parametrize("bad", [None, 12, 3.5])
def test_solve_of_a_non_puzzle_is_a_typed_error(bad):
    with pytest.raises(hh.HybridHRMError):
        HybridSolver("sudoku").solve(bad, mode="symbolic")


def test_version_and_help_show_defaults_and_choices(capsys):
    assert _exit(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"hybrid-hrm {hh.__version__}"
    assert _exit(["solve", "--help"]) == 0
    text = capsys.readouterr().out
    assert "(default: 10.0)" in text and "(default: 1000000)" in text and "hybrid-uniform" in text
    assert _exit(["bench", "--help"]) == 0
    text = capsys.readouterr().out
    assert "python-constraint" in text and "ortools" in text and "``" not in text
    assert _exit(["train", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "--checkpoint-seconds CHECKPOINT_SECONDS save a checkpoint this often (default: 120.0)" in text
    assert "--force" in text and "``" not in text


@pytest.mark.parametrize(
    "argv",
    [
        ["bench", "sudoku", "--limit", "1", "--sweep-cycles", "a,b"],
        ["bench", "sudoku", "--limit", "1", "--sweep-cycles", "0"],
        ["bench", "maze"],  # no puzzles named: a clear error, not a Sudoku collection
        ["bench", "nqueens", "--file", "x.txt", "--methods", "symbolic,python-constraint"],
        ["solve", "sudoku", HARD, "--bogus-flag"],
        ["explain", "sudoku", HARD, "--png", "/no/such/folder/trace.png", "--mode", "hybrid-uniform"],
    ],
)
def test_bad_values_exit_2_with_one_line(capsys, argv):
    assert _exit(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("hybrid-hrm: error:") and "internal" not in err[0]


def test_the_plugin_bench_line_runs_with_the_methods_that_apply(tmp_path, capsys):
    """``hybrid-hrm bench latin3 --file puzzles.txt``: the python-constraint baseline needs all-different
    groups, which a declared domain does not have, so the default is the symbolic layer alone."""
    from tests.plugin_pkg.hhrm_test_plugin import Latin3

    domains.register("latin3-bench", lambda: _renamed(Latin3(), "latin3-bench"), replace=True)
    f = tmp_path / "puzzles.txt"
    f.write_text("12.3.....\n.........\n")
    assert main(["bench", "latin3-bench", "--file", str(f), "--out", str(tmp_path / "b.json")]) == 0
    report = json.loads((tmp_path / "b.json").read_text())
    assert list(report["methods"]) == ["symbolic"] and report["methods"]["symbolic"]["solved"] == 2


def _renamed(domain, name):
    domain.name = name
    return domain


def test_bench_rows_print_dash_for_solvers_that_count_no_nodes_and_consistent_throughput(sudoku):
    puzzles = [sudoku.parse(HARD), sudoku.parse(".13.....3..4....")]
    report = run_benchmark(sudoku, puzzles, ["symbolic", "python-constraint"], BenchConfig())
    baseline = report["methods"]["python-constraint"]
    assert baseline["mean_nodes"] is None and format_row("python-constraint", baseline).split()[6] == "-"
    ours = report["methods"]["symbolic"]
    assert ours["puzzles_per_s"] == pytest.approx(1000.0 / ours["mean_ms"], rel=1e-6)
    assert ours["solved_per_puzzle"] == [True, True]


def test_the_networks_failed_answer_is_answer_rejected_with_whole_clauses(sudoku):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    model = HRM(HRMConfig(num_variables=81, num_values=9, hidden=16, heads=2, h_layers=1, l_layers=1))
    r = HybridSolver("sudoku", model, device="cpu").solve(HARD, mode="neural")
    assert r.status is Status.ANSWER_REJECTED and r.solution is None
    assert r.reason.startswith("the network's answer failed the verifier: ")
    assert len(r.reason) <= 360


def test_a_long_reason_is_cut_between_whole_clauses():
    from hybrid_hrm.neural import _first_clause

    clauses = [f"r{i}c1=1 conflicts with r{i}c2=1 (row {i})" for i in range(1, 40)]
    cut = _first_clause("; ".join(clauses))
    kept, more = cut.rsplit(" (and ", 1)
    assert kept.split("; ") == clauses[: len(kept.split("; "))] and len(kept) <= 300
    assert more == f"{len(clauses) - len(kept.split('; '))} more)"
    assert _first_clause("short") == "short"


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), per_cycle=st.integers(1, 16), nodes=st.integers(0, 12))
def test_trace_counts_add_up(seed, per_cycle, nodes):
    sudoku = domains.get("sudoku")
    [puzzle] = sudoku.generate(np.random.default_rng(seed), size=4)
    config = BridgeConfig(max_cycles=4, subgoals_per_cycle=per_cycle, probe_nodes=0, seed=seed)
    r = HybridSolver("sudoku", config=config).solve(puzzle, mode="hybrid-uniform-nosearch",
                                                     budget=hh.Budget(max_nodes=nodes))
    for c in r.trace.cycles:
        parts = len(c.accepted) + len(c.rejected) + len(c.implied) + len(c.contradicted) + c.unexamined
        assert parts == len(c.proposed)
        assert set(c.contradicted) <= set(c.backed_out)


def test_a_bridge_config_error_is_typed():
    with pytest.raises(ConfigError):
        BridgeConfig(max_cycles=-1)

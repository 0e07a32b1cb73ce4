"""The maze domain and its graph layer: parsing, generation, verification, propagation, solving."""

from __future__ import annotations

import gzip
import itertools

import networkx as nx
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import domains
from domains.maze import MazeDomain, default_min_path, endpoints
from hybrid_hrm.bridge import HybridSolver
from hybrid_hrm.cli import main
from solvers.base import Budget, values_to_candidates
from solvers.errors import ConfigError, InvalidPuzzleError, Status
from solvers.graph import ON, MazeLayer, maze_candidates

OPEN_BOX = ["#######",
            "#S   G#",
            "#     #",
            "#######"]
WALLED = ["#######",
          "#S # G#",
          "#     #",
          "#######"]
POCKET = ["#######",
          "#S   G#",
          "# ### #",
          "#     #",
          "#######",
          "#  #  #",
          "#######"]


@pytest.fixture(scope="module")
def maze() -> MazeDomain:
    return domains.get("maze")


@pytest.fixture(scope="module")
def mazes11(maze):
    return maze.generate(np.random.default_rng(11), count=6, size=11)


@pytest.fixture(scope="module")
def mazes30(maze):
    return maze.generate(np.random.default_rng(30), count=3, size=30)


def cell(rows: list[str], r: int, c: int) -> int:
    return r * len(rows[0]) + c


def path_values(rows: list[str], cells: list[tuple[int, int]]) -> np.ndarray:
    values = np.zeros(len(rows) * len(rows[0]), dtype=np.int64)
    for r, c in cells:
        values[cell(rows, r, c)] = 1
    return values


def open_graph(maze: MazeDomain, inst) -> nx.Graph:
    return maze.layer(inst).to_networkx(inst.candidates)


# --- parse and format ------------------------------------------------------------------


def test_parse_reads_walls_endpoints_and_shape(maze):
    inst = maze.parse("\n".join(WALLED))
    assert inst.shape == (4, 7) and inst.num_variables == 28 and inst.num_values == 2
    assert endpoints(inst) == (cell(WALLED, 1, 1), cell(WALLED, 1, 5))
    assert inst.givens[cell(WALLED, 1, 3)] == 0 and inst.givens[cell(WALLED, 2, 3)] == -1
    assert maze.encode(inst)[[8, 9, 12, 0]].tolist() == [3, 1, 3, 2]  # S, open, G, wall


def test_format_round_trips_in_every_text_form(maze, mazes11):
    rect = maze.generate(np.random.default_rng(5), size=9, width=15)[0]
    for inst in [*mazes11, rect]:
        for text in (maze.format(inst), maze.format(inst, grid=False), maze.format(inst, inst.solution)):
            again = maze.parse(text)
            assert again.shape == inst.shape and again.givens.tolist() == inst.givens.tolist()
            assert endpoints(again) == endpoints(inst)
        solved = maze.parse(maze.format(inst, inst.solution, grid=False))
        assert solved.solution.tolist() == inst.solution.tolist()
    square = maze.format(mazes11[0]).replace("\n", "")      # Maze-Hard's one-line form
    assert maze.parse(square).givens.tolist() == mazes11[0].givens.tolist()
    assert maze.parse(maze.format(mazes11[0]).replace(" ", ".")).givens.tolist() == mazes11[0].givens.tolist()


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_parse_format_round_trip_on_random_grids(maze, data):
    h, w = data.draw(st.integers(2, 6)), data.draw(st.integers(2, 6))
    chars = data.draw(st.lists(st.sampled_from("# "), min_size=h * w, max_size=h * w))
    s, g = data.draw(st.lists(st.integers(0, h * w - 1), min_size=2, max_size=2, unique=True))
    chars[s], chars[g] = "S", "G"
    text = "\n".join("".join(chars[r * w:(r + 1) * w]) for r in range(h))
    inst = maze.parse(text)
    assert maze.format(inst) == text
    assert maze.parse(maze.format(inst, grid=False)).givens.tolist() == inst.givens.tolist()


@pytest.mark.parametrize(
    "text, message, position",
    [
        ("#S#\n#x#\n#G#", "bad character 'x' at r2c2", 4),
        ("#S#\n# #\n###", "no goal 'G'", None),
        ("# #\n#G#\n###", "no start 'S'", None),
        ("SGG\n   ", "more than one goal 'G' (r1c2 and r1c3)", 2),
        ("S  \n  \nG  ", "row 2 has 2 cells, row 1 has 3: a maze must be rectangular", 3),
        ("", "empty maze", None),
        ("S#G#G", "must be square", None),
        ("#####/#So  #/# #G#/#####", "row 2 has 6 cells", 5),
        ("S/G", "at least 2 rows and columns", None),
        ("S o\n#oG\n   ", "the marked path is not a shortest path", None),
        ("So G\n####", "is broken", None),
    ],
)
def test_malformed_mazes_raise_with_position_and_reason(maze, text, message, position):
    with pytest.raises(InvalidPuzzleError) as info:
        maze.parse(text)
    assert message in str(info.value)
    assert info.value.position == position


def test_non_text_and_non_utf8_input(maze):
    with pytest.raises(InvalidPuzzleError, match="UTF-8"):
        maze.parse(b"\xff\xfe")
    with pytest.raises(InvalidPuzzleError, match="must be text"):
        maze.parse(12)  # type: ignore[arg-type]


# --- generator -------------------------------------------------------------------------


@pytest.mark.parametrize("size", [11, 30])
def test_generated_mazes_are_long_and_come_with_an_optimal_verified_path(maze, mazes11, mazes30, size):
    for inst in mazes11 if size == 11 else mazes30:
        assert inst.shape == (size, size)
        graph = open_graph(maze, inst)
        s, g = endpoints(inst)
        steps = nx.shortest_path_length(graph, s, g)
        assert inst.meta["path_cells"] == steps + 1 > default_min_path(size, size)
        assert maze.verify(inst, inst.solution).valid
        assert int(inst.solution.sum()) == steps + 1
        if size == 11:
            assert inst.meta["path_count"] == len(list(nx.all_shortest_paths(graph, s, g)))


def test_generator_options(maze):
    rng = np.random.default_rng(3)
    [rect] = maze.generate(rng, size=9, width=15, min_path=20)
    assert rect.shape == (9, 15) and rect.meta["path_cells"] > 20
    unique = maze.generate(rng, count=3, size=11, unique=True, knockout=0.2)
    assert [m.meta["path_count"] for m in unique] == [1, 1, 1]
    assert all(maze.solve(m, max_solutions=2).status is Status.SOLVED for m in unique)
    assert maze.generate(rng, count=2, size=7, min_path=10_000, max_attempts=3) == []
    with pytest.raises(ConfigError):
        maze.generate(rng, size=3)
    with pytest.raises(ConfigError):
        maze.generate(rng, size=9, knockout=1.5)


def test_every_symmetry_maps_a_maze_and_its_path_to_a_maze_and_a_path(maze, mazes11):
    inst = mazes11[0]
    seen = set()
    for seed in range(40):
        copy = maze.augment(inst, np.random.default_rng(seed))
        seen.add(tuple(copy.givens.tolist()))
        assert maze.verify(copy, copy.solution).valid
        assert copy.meta["path_cells"] == inst.meta["path_cells"]
    assert len(seen) == 8                               # the 8 rotations and reflections
    rect = maze.parse("S #\n  G")
    assert {tuple(maze.random_symmetry(rect, np.random.default_rng(i))[0]) for i in range(30)}.__len__() == 4


# --- verifier --------------------------------------------------------------------------


def verdict(maze, rows, cells):
    inst = maze.parse("\n".join(rows))
    values = path_values(rows, cells)
    result = maze.verify(inst, values)
    batch = maze.verify_batch(inst, values[None], inst.candidates[None])[0]
    assert batch == result.valid                         # the fast check agrees with the explaining one
    return result


def test_verifier_accepts_any_shortest_path(maze):
    top = [(1, c) for c in range(1, 6)]
    assert verdict(maze, OPEN_BOX, top).valid
    around = [(1, 1), (1, 2), (2, 2), (2, 3), (2, 4), (1, 4), (1, 5)]
    below = [(1, 1), (2, 1), (2, 2), (2, 3), (2, 4), (2, 5), (1, 5)]
    assert verdict(maze, WALLED, around).valid and verdict(maze, WALLED, below).valid


def test_verifier_rejects_a_longer_path(maze):
    v = verdict(maze, OPEN_BOX, [(1, 1), (2, 1), (2, 2), (2, 3), (2, 4), (2, 5), (1, 5)])
    assert not v.valid and v.complete
    assert "the path has 7 cells; a shortest path from S to G has 5 (2 steps too long)" in v.reason()


def test_verifier_rejects_a_broken_path(maze):
    v = verdict(maze, OPEN_BOX, [(1, 1), (1, 2), (1, 4), (1, 5)])
    assert not v.valid and "the path is broken" in v.reason() and "stops at r2c3" in v.reason()


def test_verifier_rejects_a_path_through_a_wall(maze):
    v = verdict(maze, WALLED, [(1, c) for c in range(1, 6)])
    assert not v.valid and "r2c4 is a wall" in v.reason()


def test_verifier_rejects_a_branch_and_stray_cells(maze):
    v = verdict(maze, OPEN_BOX, [(1, c) for c in range(1, 6)] + [(2, 3)])
    assert not v.valid and "the path branches at r2c4 (3 path neighbours)" in v.reason()
    v = verdict(maze, POCKET, [(1, c) for c in range(1, 6)] + [(5, 1)])
    assert not v.valid and "r6c2 is on but off the path" in v.reason()


def test_verifier_rejects_an_endpoint_left_off_and_bad_values(maze):
    inst = maze.parse("\n".join(OPEN_BOX))
    values = path_values(OPEN_BOX, [(1, c) for c in range(2, 6)])
    assert "r2c2 is S or G and must be on the path" in maze.verify(inst, values).reason()
    values[0] = 7
    assert "r1c1 has no value 7" in maze.verify(inst, values).reason()
    assert not maze.verify_batch(inst, values[None], inst.candidates[None])[0]


def test_partial_assignments_are_consistent_while_a_shortest_path_fits(maze):
    inst = maze.parse("\n".join(OPEN_BOX))
    partial = np.full(inst.num_variables, -1)
    partial[cell(OPEN_BOX, 1, 3)] = 1
    assert maze.verify(inst, partial).consistent and not maze.verify(inst, partial).complete
    partial[cell(OPEN_BOX, 1, 3)] = 0
    reason = maze.verify(inst, partial).reason()
    assert "the off cells block every shortest path from S to G (the best route left is 2 steps longer)" in reason
    partial[cell(OPEN_BOX, 1, 3)] = -1
    partial[cell(OPEN_BOX, 2, 3)] = 1
    assert "r3c4 is a detour of 2 steps" in maze.verify(inst, partial).reason()


# --- subgoal checks --------------------------------------------------------------------


def test_check_subgoal_gives_the_reason(maze):
    inst = maze.parse("\n".join(POCKET))
    layer = maze.layer(inst)
    masks = layer.masks(inst.candidates)
    assert layer.check_subgoal(masks, cell(POCKET, 2, 2), 1) == "r3c3 is a wall or ruled out"
    assert layer.check_subgoal(masks, cell(POCKET, 5, 1), 1) == "r6c2 is unreachable from S"
    assert layer.check_subgoal(masks, cell(POCKET, 3, 3), 1) == "r4c4 is a detour of 4 steps"
    assert layer.check_subgoal(masks, cell(POCKET, 1, 3), 1) is None
    assert layer.check_subgoal(masks, cell(POCKET, 1, 3), 0) == "r2c4 lies on every shortest path from S to G"
    assert layer.check_subgoal(masks, cell(POCKET, 3, 3), 0) is None
    assert layer.check_subgoal(masks, cell(POCKET, 1, 1), 0).startswith("r2c2 must be on")


def test_check_subgoal_knows_the_committed_waypoints():
    rows = ["S   ", "    ", "   G"]
    layer = MazeLayer(3, 4)
    masks = layer.masks(maze_candidates(rows))
    assert layer.check_subgoal(masks, 1, 1) is None and layer.check_subgoal(masks, 4, 1) is None
    masks[1] = 2                                               # commit r1c2
    assert layer.propagate(masks)
    why = layer.check_subgoal(masks, 4, 1)
    assert why == "r2c1 and r1c2 are the same distance from S: a shortest path passes only one of them"
    masks[6] = 2                                               # commit r2c3: r1c2 .. r2c3 leaves two ways
    assert layer.propagate(masks)
    assert layer.check_subgoal(masks, 8, 1) == "no shortest path from S to G passes r3c1 and every committed cell"
    assert layer.check_subgoal(masks, 9, 1).startswith("r3c2 and r2c3 are the same distance from S")


# --- propagation -----------------------------------------------------------------------


def random_maze(data) -> tuple[list[str], MazeLayer, int, int, nx.Graph] | None:
    h, w = data.draw(st.integers(2, 5), label="h"), data.draw(st.integers(2, 6), label="w")
    walls = data.draw(st.lists(st.booleans(), min_size=h * w, max_size=h * w), label="walls")
    s, g = data.draw(st.lists(st.integers(0, h * w - 1), min_size=2, max_size=2, unique=True), label="ends")
    walls[s] = walls[g] = False
    rows = ["".join("S" if v == s else "G" if v == g else "#" if walls[v] else " " for v in range(r * w, (r + 1) * w))
            for r in range(h)]
    layer = MazeLayer(h, w)
    graph = layer.to_networkx(maze_candidates(rows))
    if not nx.has_path(graph, s, g):
        return None
    return rows, layer, s, g, graph


def consistent(masks: list[int], path: set[int]) -> bool:
    return all(m >> (1 if v in path else 0) & 1 for v, m in enumerate(masks))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_propagation_is_sound_and_exact_against_brute_force(data):
    found = random_maze(data)
    if found is None:
        return
    rows, layer, s, g, graph = found
    paths = [set(p) for p in nx.all_shortest_paths(graph, s, g)]
    truth = sorted(paths[data.draw(st.integers(0, len(paths) - 1), label="path")])
    inner = [v for v in truth if v not in (s, g)]
    on = data.draw(st.lists(st.sampled_from(inner), unique=True), label="on") if inner else []
    others = [v for v in graph.nodes if v not in truth]
    off = data.draw(st.lists(st.sampled_from(others), unique=True), label="off") if others else []
    masks = layer.masks(maze_candidates(rows))
    for v in on:
        masks[v] = 2
    for v in off:
        masks[v] = 1
    # Solutions: shortest paths of the maze through the committed cells, avoiding the ruled-out ones.
    solutions = [p for p in paths if set(on) <= p and not p & set(off)]
    for full in (False, True):
        pruned = list(masks)
        assert MazeLayer(*layer.shape, full_pruning=full).propagate(pruned)
        assert all(consistent(pruned, p) for p in solutions)       # sound: no solution lost
        fixed_on = {v for v, m in enumerate(pruned) if m == 2}
        assert fixed_on == set.intersection(*solutions)            # exact: every shared cell is fixed
        still_on = {v for v, m in enumerate(pruned) if m & 2}
        if full or len(solutions) == 1:
            assert still_on == set.union(*solutions)
        else:
            assert still_on == {v for v, m in enumerate(masks) if m & 2}


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_one_decision_at_a_time_never_changes_the_answer(data):
    """The bridge's use: commit one value, propagate, repeat; compare with brute force on the original maze."""
    found = random_maze(data)
    if found is None:
        return
    rows, layer, s, g, graph = found
    layer = MazeLayer(*layer.shape, full_pruning=data.draw(st.booleans(), label="full"))
    paths = [set(p) for p in nx.all_shortest_paths(graph, s, g)]
    masks = layer.masks(maze_candidates(rows))
    assert layer.propagate(masks)
    for _ in range(layer.num_variables):
        open_cells = [v for v, m in enumerate(masks) if m == 3]
        if not open_cells:
            break
        v = data.draw(st.sampled_from(open_cells), label="cell")
        k = data.draw(st.integers(0, 1), label="value")
        why = layer.check_subgoal(masks, v, k)
        masks[v] = 1 << k
        assert (why is None) == any(consistent(masks, p) for p in paths), why   # the subgoal check is exact
        ok = layer.propagate(masks, (v,))
        assert ok == any(consistent(masks, p) for p in paths)   # no false contradiction, none missed
        if not ok:
            return
        assert all(consistent(masks, p) for p in paths if p >= {u for u, m in enumerate(masks) if m == 2}
                   and not p & {u for u, m in enumerate(masks) if m == 1})
    on = {v for v, m in enumerate(masks) if m == 2}
    assert on in paths                                          # decided: exactly one shortest path


def test_prune_batches_different_mazes_with_one_layer(maze, mazes11):
    layer = maze.layer(mazes11[0])
    batch = np.stack([m.candidates for m in mazes11])
    pruned, dead = layer.prune_with_status(batch)
    assert not dead.any()
    for inst, row in zip(mazes11, pruned):
        assert np.array_equal(row, layer.prune(inst.candidates))
        assert row[np.arange(inst.num_variables), inst.solution].all()   # the solution survives
    broken = batch[0].copy()
    s, g = endpoints(mazes11[0])
    for v in maze.layer(mazes11[0]).to_networkx(broken).neighbors(s):
        broken[v] = (True, False)                                         # wall S in
    pruned, dead = layer.prune_with_status(np.stack([broken, batch[1]]))
    assert dead.tolist() == [True, False] and not pruned[0].any(-1).all()


def test_full_pruning_leaves_only_cells_of_shortest_paths(mazes11):
    full = MazeDomain(full_pruning=True)
    for inst in mazes11:
        graph = full.layer(inst).to_networkx(inst.candidates)
        s, g = endpoints(inst)
        union = set().union(*map(set, nx.all_shortest_paths(graph, s, g)))
        pruned = full.layer(inst).prune(inst.candidates)
        assert set(np.flatnonzero(pruned[:, ON]).tolist()) == union


# --- search and solving ----------------------------------------------------------------


def test_search_budget_uniqueness_and_network_preference(maze):
    inst = maze.parse("\n".join(OPEN_BOX))
    assert maze.solve(inst, Budget(max_nodes=2, max_seconds=None)).status is Status.BUDGET_EXHAUSTED
    walled = maze.parse("\n".join(WALLED))
    assert maze.solve(walled, max_solutions=2).status is Status.MULTIPLE_SOLUTIONS
    below = path_values(WALLED, [(1, 1), (2, 1), (2, 2), (2, 3), (2, 4), (2, 5), (1, 5)])
    probs = np.stack([1 - below * 0.9, below * 0.9 + 0.05], -1)
    result = maze.search(walled, walled.candidates, None, probs=probs)
    assert result.status is Status.SOLVED and result.values == below.tolist()
    committed = walled.candidates.copy()
    committed[cell(WALLED, 1, 2)] = (False, True)                    # a waypoint A* alone would not take
    result = maze.search(walled, committed, None, probs=probs)
    assert result.status is Status.SOLVED and result.values[cell(WALLED, 1, 2)] == 1
    assert maze.verify(walled, np.array(result.values)).valid


@pytest.mark.parametrize("mode", ["symbolic", "hybrid-uniform"])
def test_hybrid_solver_returns_verified_optimal_paths(maze, mazes11, mazes30, mode):
    solver = HybridSolver("maze")
    for inst in [*mazes11[:3], *mazes30[:2]]:
        r = solver.solve(maze.format(inst), mode=mode)
        assert r.status is Status.SOLVED
        assert maze.verify(inst, r.values).valid
        assert int(r.values.sum()) == inst.meta["path_cells"]
        assert maze.parse(r.solution).solution.tolist() == r.values.tolist()


@pytest.mark.parametrize("mode", ["symbolic", "hybrid-uniform"])
def test_unreachable_goal_is_unsolvable(maze, mode):
    r = HybridSolver("maze").solve("#####\n#S#G#\n#####", mode=mode)
    assert r.status is Status.UNSOLVABLE and "not connected" in r.reason


def test_full_pruning_solves_in_the_loop(mazes11):
    solver = HybridSolver(MazeDomain(full_pruning=True))
    r = solver.solve(mazes11[1], mode="hybrid-uniform")
    assert r.status is Status.SOLVED and r.trace.search is None


def test_trace_picture(maze, mazes11, tmp_path):
    r = HybridSolver("maze").solve(mazes11[0], mode="hybrid-uniform")
    out = r.trace.plot(str(tmp_path / "maze.png"))
    assert out.stat().st_size > 1000


# --- files and the command line ---------------------------------------------------------


def test_read_file_grids_and_one_line_mazes(maze, mazes11, tmp_path):
    blocks = [maze.format(mazes11[0]), maze.format(mazes11[1], grid=False), maze.format(mazes11[2])]
    f = tmp_path / "mazes.txt.gz"
    with gzip.open(f, "wt") as handle:
        handle.write("\n" + "\n\n".join(blocks) + "\n\n\n")
    got = maze.read_file(f)
    assert [i.givens.tolist() for i in got] == [m.givens.tolist() for m in mazes11[:3]]
    assert len(maze.read_file(f, limit=2)) == 2
    bad = tmp_path / "bad.txt"
    bad.write_text(blocks[0] + "\n\n#S#\n#x#\n#G#\n")
    with pytest.raises(InvalidPuzzleError, match=r"bad.txt line 13: bad character 'x'"):
        maze.read_file(bad)
    with pytest.raises(InvalidPuzzleError, match="no such puzzle file"):
        maze.read_file(tmp_path / "none.txt")


def test_cli_solves_a_maze_given_as_an_argument(maze, mazes11, capsys):
    text = maze.format(mazes11[0], grid=False)
    assert main(["solve", "maze", text, "--mode", "symbolic"]) == 0
    status, solution = capsys.readouterr().out.split("\t", 1)
    assert status == "solved"
    assert maze.verify(mazes11[0], maze.parse(solution).solution).valid


def test_cli_solves_a_maze_file(maze, mazes11, tmp_path, capsys):
    f = tmp_path / "mazes.txt"
    f.write_text("\n\n".join(maze.format(m) for m in mazes11[:2]) + "\n")
    assert main(["solve", "maze", "--file", str(f), "--mode", "symbolic"]) == 0
    assert capsys.readouterr().out.count("solved") == 2


def test_registered_with_its_layer_attributes(maze, mazes11):
    assert "maze" in domains.available() and maze.name == "maze"
    layer = maze.layer(mazes11[0])
    assert layer.variable_names[12] == "r2c2" and layer.value_names == ["off", "on"]
    assert len(layer.groups) == 22 and all(len(g) == 11 for g in layer.groups)
    assert maze.vocab_size(mazes11[0]) == 4
    assert maze.layer(mazes11[1]) is layer
    assert np.array_equal(layer.candidates(layer.masks(mazes11[0].candidates)), mazes11[0].candidates)
    assert np.array_equal(values_to_candidates(mazes11[0].givens, 2), mazes11[0].candidates)
    assert list(itertools.islice(maze.generate(np.random.default_rng(0), size=5, min_path=3), 1))


def test_maze_benchmark_files_hold_no_training_maze(tmp_path):
    """The benchmark maker drops every maze a training run saw, up to rotations and reflections."""
    import importlib.util
    import subprocess
    import sys
    from pathlib import Path

    script = Path(__file__).resolve().parents[1] / "examples" / "make_maze_benchmark.py"
    spec = importlib.util.spec_from_file_location("make_maze_benchmark", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    canonical = module.canonical
    out = tmp_path / "m.txt"
    subprocess.run([sys.executable, str(script), "--size", "7", "--count", "60", "--train-count", "300",
                    "--out", str(out)], check=True, capture_output=True)
    maze = MazeDomain()
    test = maze.read_file(out)
    training = maze.generate(np.random.default_rng(0), count=300, size=7)
    seen = {canonical(m.givens, 7, 7) for m in training}
    keys = [canonical(m.givens, 7, 7) for m in test]
    assert len(test) == 60 and len(set(keys)) == 60 and not seen & set(keys)
    grid = training[0].givens.reshape(7, 7)
    assert canonical(np.rot90(grid).reshape(-1), 7, 7) == canonical(training[0].givens, 7, 7)

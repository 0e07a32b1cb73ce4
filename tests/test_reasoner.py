"""The size-free maze reasoner: the wave trace, the model's interface and halt, training, checkpoints, the bridge."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import domains
from hybrid_hrm.bridge import HybridSolver
from hybrid_hrm.checkpoint import load_model, save_model
from hybrid_hrm.model.reasoner import Reasoner, ReasonerConfig
from hybrid_hrm.train.reasoner import ReasonerTrainConfig, _tensors, evaluate, train_iteration
from hybrid_hrm.train.reasoner_data import batch_of, make_pool
from hybrid_hrm.weights import shipped_for
from solvers.errors import CheckpointError, ConfigError, InvalidPuzzleError, Status
from solvers.graph_trace import trace_of_candidates, wave_ends

MAZE = domains.get("maze")


@pytest.fixture(autouse=True)
def one_thread():
    """One thread: on a shared CPU, torch's default threads slow these small networks down several times."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


# --- 1. the trace -------------------------------------------------------------------------------------
@settings(max_examples=25, deadline=None)
@given(size=st.integers(5, 13), knockout=st.sampled_from([0.0, 0.05, 0.2]), seed=st.integers(0, 10_000))
def test_the_traced_path_is_a_shortest_path(size, knockout, seed):
    [m] = MAZE.generate(np.random.default_rng(seed), size=size, knockout=knockout, min_path=3)
    t = trace_of_candidates(m.candidates, size, size)
    assert MAZE.verify(m, t.path_values()).valid
    assert t.path_values().sum() == m.meta["path_cells"]
    source, _ = wave_ends(m.candidates, size, size)
    assert t.reached[0].sum() == 1 and t.reached[0].flat[source]
    # each step changes only cells next to a cell that changed the step before (a local rule)
    assert all((t.reached[i + 1] >= t.reached[i]).all() for i in range(t.steps))


def test_the_trace_breaks_ties_in_a_fixed_order():
    """On an open 3x3 field both routes around are shortest: the canonical one comes back every time."""
    m = MAZE.parse("S  \n   \n  G")
    paths = {tuple(trace_of_candidates(m.candidates, 3, 3).path_values()) for _ in range(3)}
    assert len(paths) == 1 and MAZE.verify(m, np.array(paths.pop())).valid


# --- 2. the model ----------------------------------------------------------------------------------------
def _tokens(instances):
    return torch.from_numpy(MAZE.encode_batch(np.stack([i.givens for i in instances])))


def _cand(instances):
    return torch.from_numpy(np.stack([i.candidates for i in instances]))


def test_the_convergence_halt_stops_before_the_budget_and_more_steps_change_nothing():
    model = Reasoner(ReasonerConfig(hidden=8))
    with torch.no_grad():  # a constant step: the state is a fixed point after one step
        for p in model.parameters():
            p.zero_()
    mazes = MAZE.generate(np.random.default_rng(0), count=3, size=9)
    out, state = model(_tokens(mazes), _cand(mazes))
    assert (out.steps == 1 + model.config.patience).all()
    budget = model.budget(Reasoner.encode(_tokens(mazes), _cand(mazes), (9, 9)))
    assert state is None and (out.q_halt > 0).all() and (out.steps < budget).all()
    longer, _ = model(_tokens(mazes), _cand(mazes), max_steps=2 * budget)
    assert torch.equal(out.logits, longer.logits) and torch.equal(out.steps, longer.steps)
    short, _ = model(_tokens(mazes), _cand(mazes), max_steps=1)
    assert (short.steps == 1).all()


def test_logits_are_masked_by_the_candidates():
    model = Reasoner(ReasonerConfig(hidden=8))
    [m] = MAZE.generate(np.random.default_rng(1), size=7)
    out, _ = model(_tokens([m]), _cand([m]))
    walls = ~torch.from_numpy(m.candidates[:, 1])
    assert (out.logits[0, walls, 1] < -1e4).all()


def test_a_non_square_grid_needs_its_shape():
    m = MAZE.parse("S  #\n## #\nG   ")
    model = Reasoner(ReasonerConfig(hidden=8))
    with pytest.raises(InvalidPuzzleError, match="not a square grid"):
        model(_tokens([m]), _cand([m]))
    out, _ = model(_tokens([m]), _cand([m]), shape=(3, 4))
    assert out.logits.shape == (1, 12, 2)


@pytest.mark.parametrize("bad", [{"hidden": 0}, {"num_variables": 81}, {"kind": "hrm"}, {"trace_state": False}])
def test_configs_out_of_bounds_are_refused(bad):
    with pytest.raises(ConfigError):
        ReasonerConfig(**bad)


# --- 3. training -----------------------------------------------------------------------------------------
def test_the_progressive_schedule_runs_a_no_grad_prefix_then_a_gradient_suffix(monkeypatch):
    model = Reasoner(ReasonerConfig(hidden=8))
    grads = []
    real = model.step
    monkeypatch.setattr(model, "step", lambda x, s: (grads.append(torch.is_grad_enabled()), real(x, s))[1])
    cfg = ReasonerTrainConfig(nograd_max=6, grad_steps=3)
    b = _tensors(batch_of(make_pool(0, 4, sizes=(7,), knockouts=(0.05,))))
    rng = np.random.default_rng(3)
    for _ in range(5):
        grads.clear()
        loss = train_iteration(model, cfg, b, rng)
        loss.backward()
        n = grads.index(True)
        assert grads == [False] * n + [True] * 3 and 0 <= n <= 6


def test_a_tiny_model_trained_on_7x7_extrapolates_to_11x11():
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    pool = make_pool(0, 96, sizes=(7,), knockouts=(0.0, 0.1))
    cfg = ReasonerTrainConfig(hidden=32, nograd_max=4, grad_steps=1, lr=1e-2)
    model = Reasoner(cfg.model_config())
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    for _ in range(400):  # about 4 s on one thread
        b = _tensors(batch_of([pool[i] for i in rng.choice(len(pool), 32, replace=False)]))
        loss = train_iteration(model, cfg, b, rng)
        opt.zero_grad()
        loss.backward()
        opt.step()
    big = make_pool(99, 24, sizes=(11,), knockouts=(0.05,))
    chance = evaluate(Reasoner(cfg.model_config()), big)["optimal"]
    assert chance == 0.0 and evaluate(model, big)["optimal"] > 0.3  # measured: 0.75


# --- 4. checkpoints ------------------------------------------------------------------------------------
def test_a_reasoner_round_trips_and_its_kind_is_checked(tmp_path):
    import json

    model = Reasoner(ReasonerConfig(hidden=8, latent=2))
    path = save_model(model, tmp_path / "r.safetensors", {"note": 1})
    loaded, meta = load_model(path, domain="maze")
    assert isinstance(loaded, Reasoner) and loaded.config == model.config and meta == {"note": 1}
    with pytest.raises(CheckpointError, match="trained on domain"):
        load_model(path, domain="sudoku")
    sidecar = json.loads(path.with_suffix(".json").read_text())
    assert sidecar["kind"] == "reasoner"
    for kind, match in (("builtins.eval", "unknown model kind"), ("hrm", "invalid model config")):
        path.with_suffix(".json").write_text(json.dumps({**sidecar, "kind": kind}))
        with pytest.raises(CheckpointError, match=match):
            load_model(path)


# --- 5. the bridge and the shipped model ---------------------------------------------------------------
def _solver():
    if not shipped_for("maze") or "maze" not in {p.stem for p in shipped_for("maze")}:
        pytest.skip("no shipped reasoner")
    return HybridSolver.from_pretrained("maze", device="cpu")


def test_the_same_weights_solve_9x9_and_59x59_in_every_mode():
    solver = _solver()
    assert isinstance(solver.model, Reasoner) and len(solver.any_size) == 1
    small = MAZE.generate(np.random.default_rng(4), count=2, size=9)
    [large] = MAZE.generate(np.random.default_rng(5), size=59)
    assert solver.has_model_for(small[0]) and solver.has_model_for(large)
    for mode in ("neural", "hybrid", "hybrid-nosearch"):
        for r, inst in zip(solver.solve(small, mode=mode), small):
            assert r.status is Status.SOLVED and MAZE.verify(inst, r.values).valid
    r = solver.solve(large, mode="neural")
    assert r.status is Status.SOLVED and MAZE.verify(large, r.values).valid


def test_malformed_mazes_still_get_typed_errors():
    solver = _solver()
    for text in ("S#\n#x", "S  \n   ", "S G\n G "):
        with pytest.raises(InvalidPuzzleError):
            solver.solve(text, mode="neural")
    rect = MAZE.parse("S  #\n## #\nG   ")  # 3x4: the size-free model reads square grids only
    assert not solver.has_model_for(rect)
    with pytest.raises(InvalidPuzzleError, match="not a square grid"):
        solver.solve(rect, mode="neural")
    assert solver.solve(rect, mode="hybrid-uniform").status is Status.SOLVED

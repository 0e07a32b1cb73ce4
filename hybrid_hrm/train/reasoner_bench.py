"""Benchmark of the maze reasoner: network-alone optimal rate by size and step budget, the loop, pictures.

Run:  python -m hybrid_hrm.train.reasoner_bench --weights hybrid_hrm/weights/maze.safetensors \\
          --maze30 bench-out/maze30_test.txt --out bench-out/reasoner

Test mazes no training run saw: 9x9 and 15x15 (the training sizes) drawn with
their own seeds, every maze equal to one of the training pool's (up to the 8
rotations and reflections) dropped; 30x30 from the file
``examples/make_maze_benchmark.py --size 30 --seed 30303 --train-count 2064``
writes; 45x45 and 59x59 generated with their own seeds (no training maze is
that large).  For each size the network runs, snapped, up to twice its
default step budget; at each budget of :data:`BUDGETS` its on-path mark is
decoded cell by cell and verified (a maze that halted keeps its answer).  Then
``HybridSolver.from_pretrained``-style solving through the bridge:
``neural`` on all 30x30 mazes (timed end to end), ``hybrid``,
``hybrid-nosearch`` and ``hybrid-uniform-nosearch`` on ``--loop-count`` of them.
Writes ``results.json``, ``docs/maze_steps.png`` and ``docs/maze59.png``.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch

import domains
from solvers.errors import Status

from ..bridge import HybridSolver
from ..checkpoint import load_model, read_sidecar
from ..model.reasoner import ON_PATH, REACHED, Reasoner
from .reasoner_data import Sample, canonical, make_pool, pool_keys, sample_of

#: Step budgets measured: these step counts, then the default budget and twice it (per batch).
STEPS = (16, 32, 64, 96, 128, 192, 256, 384, 512, 768, 1024, 1536)
BUDGETS = (*STEPS, "default", "2x default")


def unseen(size: int, count: int, seed: int, seen: set[bytes]) -> list[Sample]:
    """``count`` generated mazes of ``size`` whose canonical form is not in ``seen`` (nor drawn twice)."""
    maze = domains.get("maze")
    rng = np.random.default_rng(seed)
    kept: list[Sample] = []
    seen = set(seen)
    while len(kept) < count:
        for m in maze.generate(rng, count=count - len(kept), size=size):
            key = canonical(m.givens, size, size)
            if key not in seen:
                seen.add(key)
                kept.append(sample_of(m))
    return kept


@torch.no_grad()
def by_budget(model: Reasoner, samples: list[Sample], batch: int = 64) -> dict:
    """Optimal rate at each share of the default budget, the steps to convergence, seconds per maze."""
    maze = domains.get("maze")
    c = model.config
    solved = np.zeros(len(BUDGETS))
    steps_at: list[list[int]] = [[] for _ in BUDGETS]
    converged_steps: list[int] = []
    start = time.perf_counter()
    for i in range(0, len(samples), batch):
        part = samples[i : i + batch]
        x = torch.from_numpy(np.stack([s.x for s in part]))
        default = model.budget(x)
        at = {b: b for b in STEPS} | {"default": default, "2x default": 2 * default}
        marks = sorted(set(at.values()))
        state = model.initial_state(x)
        logits = torch.zeros(len(part), 7, *x.shape[2:])
        still = torch.zeros(len(part), dtype=torch.long)
        done_at = torch.full((len(part),), -1, dtype=torch.long)
        answers = {}
        for t in range(1, marks[-1] + 1):
            lg, new = model.step(x, state)
            new = model.snapped(lg, new)
            same = (new[:, :7] == state[:, :7]).flatten(1).all(1)
            live = done_at < 0  # a halted maze keeps its state (the convergence halt)
            state = torch.where(live[:, None, None, None], new, state)
            logits = torch.where(live[:, None, None, None], lg, logits)
            still = torch.where(same, still + 1, torch.zeros_like(still))
            done_at = torch.where(live & (still >= c.patience), torch.full_like(done_at, t), done_at)
            if t in marks:
                answers[t] = ((logits[:, ON_PATH][:, 0] > 0).flatten(1).long().numpy(), done_at.clone())
            if bool((done_at >= 0).all()):  # every maze halted: later budgets see the same answers
                for m in marks:
                    answers.setdefault(
                        m,
                        answers[t]
                        if t in answers
                        else ((logits[:, ON_PATH][:, 0] > 0).flatten(1).long().numpy(), done_at.clone()),
                    )
                break
        for j, b in enumerate(BUDGETS):
            t = at[b]
            on, halted = answers.get(t, answers[max(answers)])
            solved[j] += sum(maze.verify(s.instance, v).valid for s, v in zip(part, on))
            steps_at[j].append(t)
        converged_steps += done_at.tolist()
    seconds = (time.perf_counter() - start) / len(samples)
    return {
        "mazes": len(samples),
        "optimal_by_budget": {str(b): solved[j] / len(samples) for j, b in enumerate(BUDGETS)},
        "mean_steps_by_budget": {str(b): float(np.mean(steps_at[j])) for j, b in enumerate(BUDGETS)},
        "halted_share": float(np.mean([s >= 0 for s in converged_steps])),
        "mean_halt_step": float(np.mean([s for s in converged_steps if s >= 0] or [0])),
        "s_per_maze_2x": seconds,
    }


def bridge_modes(model: Reasoner, samples: list[Sample], modes: tuple[str, ...]) -> dict:
    """Each mode through :class:`HybridSolver` on ``samples``: optimal rate, wrong answers, seconds per maze."""
    maze = domains.get("maze")
    solver = HybridSolver(maze, model, device="cpu")
    out = {}
    for mode in modes:
        start = time.perf_counter()
        results = solver.solve([s.instance for s in samples], mode=mode)
        seconds = time.perf_counter() - start
        ok = [r.status is Status.SOLVED and maze.verify(s.instance, r.values).valid for r, s in zip(results, samples)]
        wrong = sum(r.status is Status.SOLVED and not k for r, k in zip(results, ok))
        out[mode] = {
            "mazes": len(samples),
            "optimal": float(np.mean(ok)),
            "wrong": int(wrong),
            "seconds_total": round(seconds, 1),
            "s_per_maze": seconds / len(samples),
        }
        print(mode, out[mode], flush=True)
    return out


def plot_steps(results: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.2))
    for size, r in results.items():
        xs = list(r["mean_steps_by_budget"].values())
        ys = [100 * v for v in r["optimal_by_budget"].values()]
        ax.plot(xs, ys, marker="o", label=f"{size}x{size} ({r['mazes']} mazes)")
    ax.set_xscale("log")
    ax.set_xlabel("step budget (the last two points: the default budget and twice it)")
    ax.set_ylabel("optimal, network alone (%)")
    ax.set_title("Maze reasoner trained on <= 15x15: accuracy against steps")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


@torch.no_grad()
def picture(model: Reasoner, sample: Sample, path: Path) -> bool:
    """The wave (arrival step of each cell) and the decoded path of one maze, side by side."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    x = torch.from_numpy(sample.x[None])
    state = model.initial_state(x)
    arrival = np.full(sample.x.shape[1:], np.nan)
    arrival[sample.x[1] > 0] = 0
    for t in range(1, model.budget(x) + 1):
        lg, new = model.step(x, state)
        new = model.snapped(lg, new)
        fresh = (new[0, REACHED][0] > 0.5).numpy() & np.isnan(arrival)
        arrival[fresh] = t
        if torch.equal(new, state):
            break
        state = new
    on = (lg[0, ON_PATH][0] > 0).numpy()
    valid = domains.get("maze").verify(sample.instance, on.reshape(-1).astype(np.int64)).valid
    walls = sample.x[0] == 0
    fig, axes = plt.subplots(1, 2, figsize=(11, 5.6))
    wave = np.ma.masked_invalid(arrival)
    axes[0].imshow(walls, cmap="Greys", vmin=0, vmax=1.5)
    im = axes[0].imshow(wave, cmap="viridis")
    fig.colorbar(im, ax=axes[0], fraction=0.046, label="step the wave reached the cell")
    axes[0].set_title(f"the network's breadth-first wave ({t} steps)")
    img = np.ones((*walls.shape, 3))
    img[walls] = 0.15
    img[on] = (0.85, 0.1, 0.1)
    axes[1].imshow(img)
    for ch, label in ((1, "S"), (2, "G")):
        r, c = np.argwhere(sample.x[ch] > 0)[0]
        axes[1].text(c, r, label, ha="center", va="center", color="white", fontsize=9, weight="bold")
    axes[1].set_title(f"decoded path ({int(on.sum())} cells, {'verified shortest' if valid else 'REJECTED'})")
    for a in axes:
        a.set_xticks([]), a.set_yticks([])
    H, W = walls.shape
    fig.suptitle(f"{H}x{W} maze solved by the network alone (trained on <= 15x15)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return valid


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--weights", required=True)
    p.add_argument("--maze30", default="bench-out/maze30_test.txt")
    p.add_argument("--out", default="bench-out/reasoner")
    p.add_argument("--counts", default="9:500,15:500,30:1000,45:200,59:100", help="size:count,...")
    p.add_argument("--loop-count", type=int, default=200)
    p.add_argument("--docs", default="docs")
    p.add_argument("--skip-bridge", action="store_true")
    p.add_argument("--only-bridge", action="store_true", help="only the bridge modes on 30x30 (another process)")
    a = p.parse_args(argv)
    torch.set_num_threads(1)
    model, _ = load_model(a.weights)
    model.eval()
    train = read_sidecar(a.weights).get("meta", {}).get("train_config", {})
    pool = make_pool(
        train.get("seed", 0),
        train.get("pool", 3000),
        tuple(train.get("sizes", range(7, 16))),
        tuple(train.get("knockouts", (0.0, 0.05, 0.1))),
    )
    seen = pool_keys(pool)
    maze = domains.get("maze")
    counts = dict(tuple(int(v) for v in item.split(":")) for item in a.counts.split(","))
    results: dict = {}
    sets: dict[int, list[Sample]] = {}
    for size, count in counts.items():
        if size == 30:
            text = Path(a.maze30).read_text().strip().split("\n\n")
            sets[size] = [sample_of(maze.parse(t)) for t in text[:count]]
        elif a.only_bridge:
            continue
        else:
            sets[size] = unseen(size, count, 50_000 + size, seen)
        if a.only_bridge:
            continue
        results[size] = by_budget(model, sets[size])
        print(size, json.dumps(results[size]), flush=True)
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    if a.only_bridge:
        loop = sets[30][: a.loop_count]
        report = {"bridge30_neural": bridge_modes(model, sets[30], ("neural",))}
        report["bridge30_loop"] = bridge_modes(model, loop, ("hybrid", "hybrid-nosearch", "hybrid-uniform-nosearch"))
        (out / "bridge.json").write_text(json.dumps(report, indent=1))
        return
    report = {"network_alone": results}
    plot_steps(results, Path(a.docs) / "maze_steps.png")
    if 59 in sets:
        report["picture59_valid"] = picture(model, sets[59][0], Path(a.docs) / "maze59.png")
    (out / "results.json").write_text(json.dumps(report, indent=1))
    if not a.skip_bridge and 30 in sets:
        report["bridge30_neural"] = bridge_modes(model, sets[30], ("neural",))
        (out / "results.json").write_text(json.dumps(report, indent=1))
        loop = sets[30][: a.loop_count]
        report["bridge30_loop"] = bridge_modes(model, loop, ("hybrid", "hybrid-nosearch", "hybrid-uniform-nosearch"))
        (out / "results.json").write_text(json.dumps(report, indent=1))
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()

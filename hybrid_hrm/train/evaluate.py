"""Held-out metrics of a model: the network alone, and on candidates the symbolic layer pruned."""

from __future__ import annotations

import numpy as np
import torch

from domains.base import Domain
from solvers.base import values_to_candidates

from ..data import PuzzleSet
from ..model import HRM


@torch.no_grad()
def evaluate(
    model: HRM, domain: Domain, ps: PuzzleSet, segments: int, device, batch_size: int = 256
) -> dict[str, float]:
    """Held-out metrics: the network alone (givens only) and on pruned candidates.

    ``cell_acc`` is accuracy on variables still undecided after propagation;
    ``uniform_acc`` is what a uniform pick among their candidates scores.
    """
    model.eval()
    layer = domain.shape_layer(ps.template)
    K = ps.template.num_values
    totals = {"neural_exact": 0.0, "cell_acc": 0.0, "uniform_acc": 0.0, "undecided": 0.0}
    for start in range(0, len(ps), batch_size):
        givens = ps.givens[start : start + batch_size].astype(np.int64)
        solutions = torch.from_numpy(ps.solutions[start : start + batch_size].astype(np.int64)).to(device)
        tokens = torch.from_numpy(domain.encode_batch(givens)).to(device)
        raw = values_to_candidates(givens, K)
        for mode, cand in (("neural", raw), ("pruned", layer.prune(raw))):
            cand_t = torch.from_numpy(cand).to(device)
            state = None
            for _ in range(segments):
                out, state = model(tokens, cand_t, state)
            pred = out.logits.argmax(-1)
            if mode == "neural":
                totals["neural_exact"] += float(domain.verify_batch(ps.template, pred.cpu().numpy(), raw).sum())
            else:
                und = cand_t.sum(-1) > 1
                totals["cell_acc"] += float(((pred == solutions) & und).sum())
                totals["uniform_acc"] += float(((1.0 / cand_t.sum(-1).clamp(min=1)) * und).sum())
                totals["undecided"] += float(und.sum())
    n_und = max(totals["undecided"], 1.0)
    model.train()
    return {
        "puzzles": len(ps),
        "neural_exact": totals["neural_exact"] / len(ps),
        "cell_acc": totals["cell_acc"] / n_und,
        "uniform_acc": totals["uniform_acc"] / n_und,
        "undecided_cells": totals["undecided"],
    }


def validation_score(ev: dict[str, float]) -> float:
    """Validation score: network-alone exact rate, ties broken by accuracy on undecided cells."""
    return ev["neural_exact"] + 1e-3 * ev["cell_acc"]

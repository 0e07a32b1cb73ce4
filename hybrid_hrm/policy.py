"""Policies: what proposes subgoals and orders the search.

:class:`NetworkPolicy` runs the HRM on a batch of candidate arrays (one
segment = one bridge cycle) on its device; :class:`UniformPolicy` is the
ablation: the same interface with uniform choices among the candidates
and random confidences, so a benchmark can measure what the network adds.

Both return numpy arrays: ``probs [B, V, K]`` (zero outside the
candidates), ``confidence [B, V]`` in ``[0, 1]`` and ``halt [B]``.

>>> import numpy as np
>>> pol = UniformPolicy(seed=0)
>>> cand = np.array([[[True, True, False], [False, False, True]]])
>>> step = pol.step(np.ones((1, 2), dtype=np.int64), cand, None)
>>> step.probs[0].round(2).tolist()  # uniform among the candidates
[[0.5, 0.5, 0.0], [0.0, 0.0, 1.0]]
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np


class PolicyStep(NamedTuple):
    probs: np.ndarray  # [B, V, K]
    confidence: np.ndarray  # [B, V]
    halt: np.ndarray  # [B] bool: the policy would stop here
    state: Any  # recurrent state (policy-specific), indexable by a batch index


class UniformPolicy:
    """Uniform values among the candidates, random confidences (seeded)."""

    name = "uniform"
    carries_state = False  # no state at all

    def __init__(self, seed: int = 0) -> None:
        self.rng = np.random.default_rng(seed)

    def step(self, tokens: np.ndarray, candidates: np.ndarray, state: Any) -> PolicyStep:
        # Uniform among the candidates, with a tiny random jitter so that the best
        # value (argmax) is a uniform random candidate, not always the first.
        cand = candidates.astype(np.float32) * (1.0 + 1e-3 * self.rng.random(candidates.shape, dtype=np.float32))
        probs = cand / np.maximum(cand.sum(-1, keepdims=True), 1e-12)
        confidence = self.rng.random(candidates.shape[:2]).astype(np.float32)
        return PolicyStep(probs, confidence, np.zeros(len(candidates), dtype=bool), None)

    @staticmethod
    def select(state: Any, index: np.ndarray) -> Any:
        return None


class NetworkPolicy:
    """The HRM as a policy: batched forward passes on ``device`` (no gradients)."""

    name = "network"

    def __init__(self, model, device) -> None:
        import torch

        self.torch = torch
        self.device = device
        self.model = model.to(device).eval()
        #: Does a segment continue from the last one's state (see ``HRMConfig.carry_state``)?
        self.carries_state = bool(getattr(model.config, "carry_state", True))

    def step(self, tokens: np.ndarray, candidates: np.ndarray, state: Any) -> PolicyStep:
        torch = self.torch
        with torch.inference_mode():
            tok = torch.from_numpy(np.ascontiguousarray(tokens)).to(self.device)
            cand = torch.from_numpy(np.ascontiguousarray(candidates)).to(self.device)
            out, new_state = self.model(tok, cand, state)
            probs = torch.softmax(out.logits, -1) * cand  # exactly 0 outside candidates
            confidence = torch.sigmoid(out.proposal)
            halt = out.q_halt > 0
        return PolicyStep(probs.float().cpu().numpy(), confidence.float().cpu().numpy(), halt.cpu().numpy(), new_state)

    def select(self, state: Any, index: np.ndarray) -> Any:
        if state is None:
            return None
        idx = self.torch.from_numpy(index).to(self.device)
        return type(state)(state.z_H[idx], state.z_L[idx])

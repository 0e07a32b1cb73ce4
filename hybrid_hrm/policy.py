"""Policies: what proposes subgoals and orders the search.

:class:`NetworkPolicy` runs the HRM on a batch of candidate arrays (one
segment = one bridge cycle) on its device; :class:`UniformPolicy` is the
ablation: the same interface with uniform choices among the candidates
and random confidences, so a benchmark can measure what the network adds.

Both return numpy arrays: ``probs [B, V, K]`` (zero outside the
candidates), ``confidence [B, V]`` in ``[0, 1]`` and ``halt [B]``, and both
own the order in which the fallback search tries variables and values
(:meth:`Policy.search_orders`).  A new policy implements :class:`Policy`.

>>> import numpy as np
>>> pol = UniformPolicy(seed=0)
>>> cand = np.array([[[True, True, False], [False, False, True]]])
>>> step = pol.step(np.ones((1, 2), dtype=np.int64), cand, None)
>>> step.probs[0].round(2).tolist()  # uniform among the candidates
[[0.5, 0.5, 0.0], [0.0, 0.0, 1.0]]
"""

from __future__ import annotations

from typing import Any, NamedTuple, Protocol

import numpy as np

from solvers.search import ValueOrder, VariableOrder, fewest_candidates_by, ranked_values

from .modes import Guide


class PolicyStep(NamedTuple):
    probs: np.ndarray  # [B, V, K]
    confidence: np.ndarray  # [B, V]
    halt: np.ndarray  # [B] bool: the policy would stop here
    state: Any  # recurrent state (policy-specific), indexable by a batch index


class Policy(Protocol):
    """What the loop needs from whatever proposes subgoals."""

    #: Which guide this is (traces and benchmarks name it).
    guide: Guide
    #: Does a segment continue from the previous segment's state?  (``False``: the same
    #: input gives the same answer every segment, so the network alone runs once.)
    carries_state: bool

    def step(self, tokens: np.ndarray, candidates: np.ndarray, state: Any) -> PolicyStep:
        """One segment on a batch: ``tokens [B, V]``, ``candidates [B, V, K]``, the last state (or ``None``)."""

    def select(self, state: Any, index: np.ndarray) -> Any:
        """The state of the batch rows ``index`` (instances that go on)."""

    def search_orders(self, probs: np.ndarray) -> tuple[VariableOrder, ValueOrder]:
        """Variable and value order of the complete search from this policy's last ``probs [V, K]``."""


def network_orders(probs: np.ndarray) -> tuple[VariableOrder, ValueOrder]:
    """Fewest candidates first, ties to the variable the network is least sure of; values by probability.

    "Least sure": the smallest margin between its two most probable values
    (fail first where the network cannot tell).  Measured on the first 300
    of forum_hardest:test, this tie-break costs 149.6 mean nodes in
    ``hybrid`` against 176.0 for ties to the *most* confident variable
    (150.2 for ``hybrid-uniform``): the network's value order alone does not
    shorten the search, its uncertainty chooses where to branch.

    >>> var, val = network_orders(np.array([[0.5, 0.5], [0.9, 0.1]]))
    >>> var([3, 3]), list(val(0, 3)), list(val(1, 3))
    (0, [0, 1], [0, 1])
    """
    top_two = -np.sort(-np.asarray(probs, dtype=np.float64), axis=-1)[:, :2]
    margin = top_two[:, 0] - (top_two[:, 1] if top_two.shape[1] > 1 else 0.0)
    return fewest_candidates_by(-margin), ranked_values(np.argsort(-probs, axis=-1, kind="stable"))


def score_orders(scores: np.ndarray) -> tuple[VariableOrder, ValueOrder]:
    """Fewest candidates first, ties to the highest score; values by score (the uniform policy's, on random
    scores).

    >>> var, val = score_orders(np.array([[0.5, 0.5], [0.9, 0.1]]))
    >>> var([3, 3]), list(val(1, 3))
    (1, [0, 1])
    """
    return fewest_candidates_by(scores.max(-1)), ranked_values(np.argsort(-scores, axis=-1, kind="stable"))


class UniformPolicy:
    """Uniform values among the candidates, random confidences (seeded)."""

    guide = Guide.UNIFORM
    carries_state = False  # no state at all

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed
        self.rng = np.random.default_rng(seed)

    def step(self, tokens: np.ndarray, candidates: np.ndarray, state: Any) -> PolicyStep:
        # Uniform among the candidates, with a tiny random jitter so that the best
        # value (argmax) is a uniform random candidate, not always the first.
        cand = candidates.astype(np.float32) * (1.0 + 1e-3 * self.rng.random(candidates.shape, dtype=np.float32))
        probs = cand / np.maximum(cand.sum(-1, keepdims=True), 1e-12)
        confidence = self.rng.random(candidates.shape[:2]).astype(np.float32)
        return PolicyStep(probs, confidence, np.zeros(len(candidates), dtype=bool), None)

    def select(self, state: Any, index: np.ndarray) -> Any:
        return None

    def search_orders(self, probs: np.ndarray) -> tuple[VariableOrder, ValueOrder]:
        """A uniform random order among the candidates (the same for the same seed)."""
        rng = np.random.default_rng(self.seed)
        return score_orders(probs * rng.random(probs.shape))


class NetworkPolicy:
    """The HRM as a policy: batched forward passes on ``device`` (no gradients)."""

    guide = Guide.NETWORK

    def __init__(self, model, device) -> None:
        import torch

        self.torch = torch
        self.device = device
        self.model = model.to(device).eval()
        #: Does a segment continue from the last one's state (see ``HRMConfig.carry_state``)?
        self.carries_state = bool(model.config.carry_state)

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

    def search_orders(self, probs: np.ndarray) -> tuple[VariableOrder, ValueOrder]:
        return network_orders(probs)

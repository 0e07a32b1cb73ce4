"""One training batch: deep supervision over segments, the symbolic layer between them.

Each batch runs up to ``segments`` segments; every segment is one forward,
one backward and one optimizer step (the HRM paper's deep supervision).
Between segments the symbolic layer takes part, as it will at inference:
the subgoals H is most confident about that are right get committed and
``prune`` propagates them.  A share of each batch stays *neural* (givens
only, no pruning) so the network alone is trained and measured too.

Losses: cross-entropy on undecided variables; BCE of the proposal head (is
H's value for this variable right?); BCE of the Q-head whose target is the
domain's *verifier* on the whole answer (ACT halting).  Instances the Q-head
halts leave the batch early (single process), saving their compute.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from solvers.base import values_to_candidates

from ..data import make_batch


@dataclass
class Batch:
    """One batch on its way through the segments (numpy on the CPU, tensors on the device)."""

    givens: np.ndarray  # [B, V]
    solutions: np.ndarray  # [B, V]
    cand: np.ndarray  # [B, V, K] current candidates
    symbolic: np.ndarray  # [B] pruned by the symbolic layer (else: the network alone)
    min_segments: np.ndarray  # [B] ACT exploration: segments an instance must run
    tokens: torch.Tensor
    target: torch.Tensor
    active: np.ndarray  # indices still in the batch


class BatchStep:
    """The math of one batch; :class:`~hybrid_hrm.train.Trainer` owns the model, optimizer and data."""

    # Set by the trainer.
    config: Any
    step: int
    elapsed: float
    grad_norm_mean: float | None
    skipped_updates: int

    def lr_at(self, step: int) -> float:
        """Learning rate at ``step``: linear warm-up, then constant or cosine to 10% of ``lr``."""
        c = self.config
        lr = c.lr * min(1.0, (step + 1) / max(1, c.warmup_steps))
        if c.lr_schedule == "cosine":
            lr *= 0.1 + 0.45 * (1.0 + math.cos(math.pi * self.budget_spent()))
        return lr

    def budget_spent(self) -> float:
        """Share of the budget spent, 0..1: steps or minutes, whichever is further along."""
        c = self.config
        done = 0.0 if c.max_steps is None else self.step / max(1, c.max_steps)
        if c.minutes is not None:
            done = max(done, self.elapsed / (60.0 * c.minutes))
        return min(1.0, done)

    def train_batch(self) -> dict[str, float]:
        """One batch: up to ``segments`` segments, each with its optimizer step."""
        c = self.config
        batch = self._prepare_batch()
        state = None
        metrics: dict[str, float] = {}
        puzzle_segments = 0  # puzzles actually run, summed over segments (ACT drops some)
        for segment in range(c.segments):
            puzzle_segments += len(batch.active)
            out, state, metrics, prediction, confident_order = self._segment(batch, state)
            metrics.update(segments=segment + 1, puzzle_segments=puzzle_segments)
            if segment == c.segments - 1:
                break
            self._commit_right_subgoals(batch, prediction, confident_order)
            state = self._act_halt(batch, out, state, segment)
            if not len(batch.active):
                break
        metrics["active_end"] = len(batch.active) / len(batch.givens)
        self.step += 1
        return metrics

    # ------------------------------------------------------------ the steps
    def _prepare_batch(self) -> Batch:
        """This step's puzzles; the symbolic share pruned; ACT exploration drawn."""
        c = self.config
        givens, solutions = make_batch(self.domain, self.train_set, c.batch_size, c.seed, self.step, self.info.rank)
        rng = np.random.default_rng([c.seed, self.info.rank, self.step, 7])
        cand = values_to_candidates(givens, self.template.num_values)
        symbolic = rng.random(len(givens)) >= c.neural_share
        if symbolic.any():
            pruned = self.layer.prune(cand[symbolic])
            # Instances propagation solves outright never reach the network at
            # inference: train on them without the symbolic layer instead.
            open_rows = (pruned.sum(-1) > 1).any(-1)
            rows = np.flatnonzero(symbolic)
            cand[rows[open_rows]] = pruned[open_rows]
            symbolic[rows[~open_rows]] = False
        # ACT exploration: some instances must run at least 2..segments segments (none with one segment).
        explore = rng.random(len(givens)) < c.halt_exploration
        min_segments = np.ones(len(givens), dtype=np.int64)
        if c.segments > 1:
            min_segments = np.where(explore, rng.integers(2, c.segments + 1, len(givens)), 1)
        device = self.info.device
        return Batch(
            givens, solutions, cand, symbolic, min_segments,
            tokens=torch.from_numpy(self.domain.encode_batch(givens)).to(device),
            target=torch.from_numpy(solutions).to(device),
            active=np.arange(len(givens)),
        )

    def _segment(self, batch: Batch, state):
        """One forward, backward and (unless the gradient spiked) optimizer step."""
        c, active = self.config, batch.active
        for group in self.optimizer.param_groups:
            group["lr"] = self.lr_at(self.step)
        cand_t = torch.from_numpy(batch.cand[active]).to(self.info.device)
        with torch.autocast(self.info.device.type, dtype=torch.bfloat16, enabled=self.autocast):
            out, state = self.net(batch.tokens[active], cand_t, state)
        loss, metrics, prediction, confident_order = self._loss(out, cand_t, batch.target[active], batch.cand[active])
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        grad_norm = float(torch.nn.utils.clip_grad_norm_(self.model.parameters(), c.grad_clip))
        if self._accept_update(grad_norm):
            self.optimizer.step()
        if self.ema is not None:
            # Warm-up of the EMA: short runs must not average in the random init.
            decay = min(c.ema_decay, (1 + self.step) / (10 + self.step))
            with torch.no_grad():
                for pe, pm in zip(self.ema.parameters(), self.model.parameters()):
                    pe.lerp_(pm, 1.0 - decay)
        metrics.update(grad_norm=grad_norm, skipped_updates=self.skipped_updates, lr=self.lr_at(self.step))
        return out, state, metrics, prediction, confident_order

    def _commit_right_subgoals(self, batch: Batch, prediction: np.ndarray, confident_order: np.ndarray) -> None:
        """The symbolic layer between segments: commit H's most confident right subgoals, propagate."""
        per_segment = self.config.commit_per_segment
        sub = batch.symbolic[batch.active]
        if not sub.any() or per_segment <= 0:
            return
        local = batch.cand[batch.active]
        rows = np.flatnonzero(sub)
        right = prediction[rows] == batch.solutions[batch.active][rows]
        undecided = local[rows].sum(-1) > 1
        order = confident_order[rows]
        for i, r in enumerate(rows):
            picks = [v for v in order[i] if undecided[i, v] and right[i, v]][:per_segment]
            if picks:
                local[r, picks] = False
                local[r, picks, prediction[r, picks]] = True
        local[rows] = self.layer.prune(local[rows])
        batch.cand[batch.active] = local

    def _act_halt(self, batch: Batch, out, state, segment: int):
        """Drop instances the Q-head halts and those propagation decided (single process only:
        DDP ranks must run the same number of steps)."""
        if self.info.enabled:
            return state
        active = batch.active
        halt = (out.q_halt.detach().float().cpu().numpy() > 0) & (segment + 1 >= batch.min_segments[active])
        halt |= (batch.cand[active].sum(-1) == 1).all(-1)
        if halt.all():
            batch.active = active[:0]
        elif halt.any():
            keep = ~halt
            keep_t = torch.from_numpy(keep).to(self.info.device)
            state = type(state)(state.z_H[keep_t], state.z_L[keep_t])
            batch.active = active[keep]
        return state

    def _accept_update(self, grad_norm: float) -> bool:
        """False for a non-finite gradient or a spike (see ``TrainConfig.spike_factor``)."""
        factor = self.config.spike_factor
        spike = factor and self.grad_norm_mean is not None and grad_norm > factor * self.grad_norm_mean
        if not math.isfinite(grad_norm):
            self.skipped_updates += 1
            return False
        mean = self.grad_norm_mean
        if spike:
            # Let the mean creep up, so a lasting change of scale is accepted after a few batches.
            self.grad_norm_mean = 0.9 * mean + 0.1 * factor * mean
            self.skipped_updates += 1
            return False
        self.grad_norm_mean = grad_norm if mean is None else 0.9 * mean + 0.1 * grad_norm
        return True

    def _loss(self, out, cand_t: torch.Tensor, target: torch.Tensor, cand_np: np.ndarray):
        """Cross-entropy on undecided cells, the proposal head's BCE, the Q-head's BCE on the verifier."""
        undecided = cand_t.sum(-1) > 1  # [B, V]
        logits = out.logits
        ce_all = F.cross_entropy(logits.transpose(1, 2), target, reduction="none")  # [B, V]
        n_und = undecided.sum().clamp(min=1)
        ce = (ce_all * undecided).sum() / n_und
        prediction = logits.argmax(-1)  # [B, V]
        right = prediction == target
        prop_loss = (
            F.binary_cross_entropy_with_logits(out.proposal, right.float(), reduction="none") * undecided
        ).sum() / n_und
        pred_np = prediction.detach().cpu().numpy()
        valid = self.domain.verify_batch(self.template, pred_np, cand_np)
        q_target = torch.from_numpy(valid).to(out.q_halt.device).float()
        q_loss = F.binary_cross_entropy_with_logits(out.q_halt, q_target)
        loss = ce + 0.5 * prop_loss + 0.5 * q_loss
        confident_order = torch.argsort(out.proposal.detach(), dim=-1, descending=True).cpu().numpy()
        with torch.no_grad():
            acc = ((right & undecided).sum() / n_und).item()
            uniform = ((1.0 / cand_t.sum(-1).clamp(min=1)) * undecided).sum().item() / n_und.item()
        metrics = {"loss": float(loss.item()), "cell_acc": acc, "uniform_acc": uniform, "exact": float(valid.mean())}
        return loss, metrics, pred_np, confident_order

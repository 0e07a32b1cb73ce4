"""A size-free recurrent reasoner for mazes: one weight-tied block of 3x3 convolutions, run until it converges.

The network learns one step of the breadth-first wave of
:mod:`solvers.graph_trace` (reached, parent direction, on-path), a rule that
depends on a cell's 4-neighbourhood only, so the same weights run on any
grid.  Every step:

    z     = concat(input, state)                  # input re-injected every step (recall)
    out   = conv1x1(relu(conv1x1(relu(conv3x3(z)))))
    state = trace channels of out (+ latent channels)

``input`` is 3 channels per cell: open, source, target (all zero outside the
grid and on walls, so zero padding is a wall).  With ``trace_state=True`` the
state *is* the trace: ``reached`` (1), ``parent`` (5: none, up, left, right,
down), ``on_path`` (1), probabilities, snapped to 0/1 and one-hot at
inference (``snap=True``) so that no error accumulates over hundreds of
steps; ``latent`` adds free channels.  The answer is the on-path channel.

Inference runs at most ``max_steps`` steps (default: twice the open cells
plus 16, more than the wave's fixed point ever needs) and halts when the
snapped state has not changed for ``patience`` steps.

:class:`Reasoner` offers the interface of :class:`~hybrid_hrm.model.HRM` to
the bridge: ``model(tokens [B, V], candidates [B, V, 2], state)`` returns
``(out, None)`` with ``out.logits [B, V, 2]`` (off/on, masked by the
candidates), ``out.proposal [B, V]`` (the on-path logit: path cells first)
and ``out.q_halt [B]`` (converged).  Cells whose candidates exclude ``on``
are walls to it, so the loop's pruning reaches the network.  Square grids
are read from ``V``; another shape is passed as ``shape=(H, W)``.

>>> import torch
>>> model = Reasoner(ReasonerConfig(hidden=8))
>>> tokens = torch.tensor([[3, 1, 1, 2, 2, 1, 1, 1, 3]])   # S . . / # # . / . . G
>>> cand = torch.ones(1, 9, 2, dtype=torch.bool)
>>> out, state = model(tokens, cand)
>>> out.logits.shape, out.proposal.shape, out.q_halt.shape, state is None
(torch.Size([1, 9, 2]), torch.Size([1, 9]), torch.Size([1]), True)
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from typing import Any, NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

from solvers.errors import ConfigError, InvalidPuzzleError

from .hrm import MASKED_LOGIT

#: Tokens of the maze domain (:mod:`domains.maze`): 1 open, 2 wall, 3 endpoint.
TOKEN_OPEN, TOKEN_WALL, TOKEN_END = 1, 2, 3
#: Trace channels: reached, parent (none, up, left, right, down), on-path.
REACHED, PARENT, ON_PATH = slice(0, 1), slice(1, 6), slice(6, 7)
TRACE_CHANNELS = 7
INPUT_CHANNELS = 3
KIND = "reasoner"
_MAX = {"hidden": 1024, "latent": 256, "patience": 1000, "extra_steps": 100_000}


@dataclass(frozen=True)
class ReasonerConfig:
    """Shape and inference options of one reasoner; saved with every checkpoint."""

    hidden: int = 32
    latent: int = 0  # free state channels beside the trace
    recall: bool = True  # the input is re-injected every step (False: only into the first state)
    trace_state: bool = True  # the state is the trace channels (False: latent only, trace read by a head)
    snap: bool = True  # snap the trace channels to 0/1 / one-hot at inference
    steps_per_open_cell: float = 2.0  # default step budget: this x open cells + extra_steps
    extra_steps: int = 16
    patience: int = 2  # halt when the snapped state has not changed for this many steps
    num_values: int = 2
    num_variables: int = 0  # 0: any grid (size-free)
    carry_state: bool = False  # every call runs the whole recurrence from the givens
    domain: str = "maze"
    kind: str = KIND

    def __post_init__(self) -> None:
        for name, high in _MAX.items():
            value = getattr(self, name)
            low = 0 if name in ("latent", "extra_steps") else 1
            if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
                raise ConfigError(f"ReasonerConfig.{name} must be a whole number from {low} to {high}, got {value!r}")
        for name in ("recall", "trace_state", "snap", "carry_state"):
            if not isinstance(getattr(self, name), bool):
                raise ConfigError(f"ReasonerConfig.{name} must be true or false, got {getattr(self, name)!r}")
        s = self.steps_per_open_cell
        if isinstance(s, bool) or not isinstance(s, (int, float)) or not 0 < s <= 64:
            raise ConfigError(f"ReasonerConfig.steps_per_open_cell must be in (0, 64], got {s!r}")
        if self.num_values != 2 or self.num_variables != 0 or self.carry_state:
            raise ConfigError("a reasoner serves mazes of any size: num_values 2, num_variables 0, no carried state")
        if not self.trace_state and self.latent < 1:
            raise ConfigError("trace_state=False needs latent channels to carry the state")
        if self.kind != KIND or not isinstance(self.domain, str):
            raise ConfigError(f"ReasonerConfig.kind must be {KIND!r}, got {self.kind!r}")

    @property
    def size_free(self) -> bool:
        """One model for every grid size (the bridge serves every maze with it)."""
        return self.num_variables == 0

    @property
    def shares_h_and_l(self) -> bool:
        """No H and L here: one weight-tied block."""
        return False

    @property
    def state_channels(self) -> int:
        return (TRACE_CHANNELS if self.trace_state else 0) + self.latent

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "ReasonerConfig":
        unknown = set(data) - {f.name for f in fields(cls)}
        if unknown:
            raise ConfigError(f"unknown reasoner config keys: {', '.join(sorted(unknown))}")
        return cls(**data)


class ReasonerOutput(NamedTuple):
    logits: torch.Tensor  # [B, V, 2] masked by the candidates
    proposal: torch.Tensor  # [B, V] on-path logits
    q_halt: torch.Tensor  # [B] > 0: converged
    steps: torch.Tensor  # [B] steps until the state stopped changing (or the budget)


class Reasoner(nn.Module):
    """The model (see the module docstring)."""

    def __init__(self, config: ReasonerConfig) -> None:
        super().__init__()
        self.config = c = config
        inputs = (INPUT_CHANNELS if c.recall else 0) + c.state_channels
        self.conv = nn.Conv2d(inputs, c.hidden, 3, padding=1)
        self.mix = nn.Conv2d(c.hidden, c.hidden, 1)
        self.out = nn.Conv2d(c.hidden, TRACE_CHANNELS + c.latent, 1)

    # ------------------------------------------------------------------ state
    def initial_state(self, x: torch.Tensor) -> torch.Tensor:
        """The state before step 1: the source reached, no parents, nothing on the path."""
        c = self.config
        B, _, H, W = x.shape
        parts = []
        if c.trace_state:
            none = torch.ones(B, 1, H, W, dtype=x.dtype, device=x.device)
            parts += [x[:, 1:2], none, x.new_zeros(B, 4, H, W), x.new_zeros(B, 1, H, W)]
        if c.latent:
            lat = x.new_zeros(B, c.latent, H, W)
            if not c.recall:  # without recall the maze enters once, through the first state
                k = min(INPUT_CHANNELS, c.latent)
                lat[:, :k] = x[:, :k]
            parts.append(lat)
        return torch.cat(parts, 1)

    def step(self, x: torch.Tensor, state: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """One step: ``(logits [B, 7, H, W] of the next trace, next state)`` (soft)."""
        c = self.config
        z = torch.cat([x, state], 1) if c.recall else state
        h = self.out(F.relu(self.mix(F.relu(self.conv(z)))))
        logits, latent = h[:, :TRACE_CHANNELS], h[:, TRACE_CHANNELS:]
        parts = (
            [torch.sigmoid(logits[:, REACHED]), torch.softmax(logits[:, PARENT], 1), torch.sigmoid(logits[:, ON_PATH])]
            if c.trace_state
            else []
        )
        if c.latent:
            parts.append(torch.tanh(latent))
        return logits, torch.cat(parts, 1)

    @staticmethod
    def snap_logits(logits: torch.Tensor) -> torch.Tensor:
        """The trace the logits decode to, as a 0/1 one-hot state ``[B, 7, H, W]``."""
        parent = F.one_hot(logits[:, PARENT].argmax(1), 5).permute(0, 3, 1, 2).to(logits.dtype)
        return torch.cat(
            [(logits[:, REACHED] > 0).to(logits.dtype), parent, (logits[:, ON_PATH] > 0).to(logits.dtype)], 1
        )

    def snapped(self, logits: torch.Tensor, state: torch.Tensor) -> torch.Tensor:
        """``state`` with its trace channels snapped (when the config snaps)."""
        c = self.config
        if not (c.snap and c.trace_state):
            return state
        return torch.cat([self.snap_logits(logits), state[:, TRACE_CHANNELS:]], 1)

    # ------------------------------------------------------------------ input
    @staticmethod
    def grid_shape(num_variables: int, shape: tuple[int, int] | None = None) -> tuple[int, int]:
        """``(H, W)``: ``shape`` when given, else the square of ``num_variables`` cells."""
        if shape is not None:
            H, W = int(shape[0]), int(shape[1])
            if H * W != num_variables:
                raise InvalidPuzzleError(f"shape {H}x{W} does not hold {num_variables} cells")
            return H, W
        side = math.isqrt(num_variables)
        if side * side != num_variables:
            raise InvalidPuzzleError(
                f"{num_variables} cells are not a square grid: pass the maze's shape to the reasoner"
            )
        return side, side

    @staticmethod
    def encode(tokens: torch.Tensor, candidates: torch.Tensor, shape: tuple[int, int]) -> torch.Tensor:
        """Input channels ``[B, 3, H, W]``: open (``on`` among the candidates), source, target.

        The endpoints are the two endpoint tokens; the source is the first in row-major order
        (as in :func:`solvers.graph_trace.wave_ends`).
        """
        B, V = tokens.shape
        H, W = shape
        ends = tokens == TOKEN_END
        if not bool((ends.sum(1) == 2).all()):
            raise InvalidPuzzleError("every maze needs exactly two endpoints (S and G)")
        open_ = candidates[..., 1] & (tokens != TOKEN_WALL)
        first = ends.to(torch.int8).argmax(1)  # index of the first endpoint
        source = torch.zeros_like(ends)
        source[torch.arange(B, device=tokens.device), first] = True
        target = ends & ~source
        x = torch.stack([open_ | ends, source, target], 1).float()
        return x.reshape(B, INPUT_CHANNELS, H, W)

    def budget(self, x: torch.Tensor) -> int:
        """Default step budget of a batch: ``steps_per_open_cell`` x its most open cells + ``extra_steps``."""
        c = self.config
        most_open = int(x[:, 0].flatten(1).sum(1).max().item()) if x.numel() else 0
        return int(c.steps_per_open_cell * most_open) + c.extra_steps

    # -------------------------------------------------------------- inference
    def run(self, x: torch.Tensor, max_steps: int | None = None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Steps until every maze converged or ``max_steps``: ``(last logits, converged [B], steps [B])``."""
        c = self.config
        limit = self.budget(x) if max_steps is None else int(max_steps)
        state = self.initial_state(x)
        B = x.shape[0]
        still = torch.zeros(B, dtype=torch.long, device=x.device)  # steps without a change
        steps = torch.zeros(B, dtype=torch.long, device=x.device)
        logits = torch.zeros(B, TRACE_CHANNELS, *x.shape[2:], device=x.device)
        active = torch.ones(B, dtype=torch.bool, device=x.device)
        for _ in range(limit):
            idx = active.nonzero().squeeze(1)
            if not idx.numel():
                break
            lg, new = self.step(x[idx], state[idx])
            new = self.snapped(lg, new)
            before = self.snap_logits(logits[idx]) if not (c.snap and c.trace_state) else state[idx, :TRACE_CHANNELS]
            after = self.snap_logits(lg) if not (c.snap and c.trace_state) else new[:, :TRACE_CHANNELS]
            same = (before == after).flatten(1).all(1)
            still[idx] = torch.where(same, still[idx] + 1, torch.zeros_like(still[idx]))
            steps[idx] += 1
            state[idx], logits[idx] = new, lg
            active[idx] = still[idx] < c.patience
        return logits, ~active, steps

    def forward(
        self,
        tokens: torch.Tensor,
        candidates: torch.Tensor,
        state: Any = None,
        *,
        shape: tuple[int, int] | None = None,
        max_steps: int | None = None,
    ) -> tuple[ReasonerOutput, None]:
        """The whole recurrence on a batch of mazes of one shape (see the module docstring)."""
        B, V = tokens.shape
        H, W = self.grid_shape(V, shape)
        x = self.encode(tokens, candidates.bool(), (H, W))
        logits, converged, steps = self.run(x, max_steps)
        on = logits[:, ON_PATH].reshape(B, V).float()
        values = torch.stack([torch.zeros_like(on), on], -1)
        values = values.masked_fill(~candidates.bool(), MASKED_LOGIT)
        q_halt = torch.where(converged, 10.0, -10.0).to(on.dtype)
        return ReasonerOutput(values, on, q_halt, steps), None

    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())


__all__ = ["KIND", "Reasoner", "ReasonerConfig", "ReasonerOutput"]

"""The Hierarchical Reasoning Model with a candidate-array input and three heads.

Two recurrent modules share one input ``x`` (token embedding + candidate
embedding + positions): the low-level module L runs ``l_cycles`` steps on
``(z_L, z_H + x)`` per high-level step, then H updates ``z_H = H(z_H, z_L)``;
``h_cycles`` such cycles make one *segment*.  Heads read ``z_H``:

* ``logits``   ``[B, V, K]``: values, masked by the candidates (a value the
  symbolic layer removed never gets probability);
* ``proposal`` ``[B, V]``: H's confidence that its value for a variable is
  right (the subgoals the bridge proposes);
* ``q_halt``   ``[B]``: ACT halting logit (is the whole answer right now?).

``recursion="hrm"`` is the paper's one-step gradient (only the last L and
H steps carry gradient).  ``recursion="trm"`` follows TRM: one shared
network plays both roles and the whole last recursion is backpropagated.

>>> import torch
>>> cfg = HRMConfig(num_variables=16, num_values=4, hidden=32, heads=2)
>>> model = HRM(cfg)
>>> tokens = torch.ones(3, 16, dtype=torch.long)
>>> cand = torch.ones(3, 16, 4, dtype=torch.bool)
>>> out, state = model(tokens, cand)
>>> out.logits.shape, out.proposal.shape, out.q_halt.shape
(torch.Size([3, 16, 4]), torch.Size([3, 16]), torch.Size([3]))
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from typing import Any, ClassVar, NamedTuple

import torch
from torch import nn

from solvers.errors import ConfigError

from .layers import Reasoner, Rotary
from .options import (
    L_MIXERS,
    MAX_ELEMENTS,
    MAX_EXPANSION,
    MAX_GRID_SIDE,
    MAX_GROUPS,
    MAX_SIZES,
    MAX_STEPS,
    POSITIONS,
    RECURSIONS,
)

#: Logit given to values outside the candidates (exp underflows to exactly 0 in fp16/fp32).
MASKED_LOGIT = -3.0e4


@dataclass(frozen=True)
class HRMConfig:
    """Shape and recursion of one model; saved with every checkpoint."""

    num_variables: int  # sequence length (81 for 9x9 Sudoku)
    num_values: int  # K (9 for 9x9 Sudoku)
    vocab_size: int | None = None  # default K + 2 (pad, blank, values)
    hidden: int = 128
    heads: int = 4
    expansion: float = 4.0
    h_layers: int = 2
    l_layers: int = 2
    h_cycles: int = 2
    l_cycles: int = 2
    #: "rope", "learned", "groups" (constraint-group embeddings) or "none" (a conv-only model
    #: then has no size-bound parameter: its weights can start a run on another grid size)
    positions: str = "rope"
    num_groups: int = 0  # constraint groups (positions="groups"), e.g. 27 for 9x9 Sudoku
    recursion: str = "hrm"  # "hrm" (one-step gradient) or "trm"
    #: How L mixes its tokens: "attention" (global) or "conv" (3x3 over a grid_height x grid_width
    #: layout, for mazes; H stays global unless recursion="trm", where H is L).
    l_mixer: str = "attention"
    grid_height: int = 0
    grid_width: int = 0
    #: A segment continues from the state the previous one left (trained with deep
    #: supervision over several segments).  False: every segment starts afresh from
    #: the initial state (trained with one segment; a carried state is foreign to it).
    carry_state: bool = True
    domain: str = ""  # the domain it was trained on (checked at load)

    def __post_init__(self) -> None:
        """Refuse a config outside its bounds (a :class:`ConfigError` naming the field and the
        bound), so an edited or corrupt sidecar fails at load instead of hanging a solve."""
        _check_sizes(self)
        if self.vocab_size is None:
            object.__setattr__(self, "vocab_size", self.num_values + 2)
        _check_products(self)
        _check_choices(self)

    #: The checkpoint kind of this config (the reasoner's is "reasoner").
    kind: ClassVar[str] = "hrm"

    @property
    def size_free(self) -> bool:
        """An HRM has per-position parameters or a fixed grid: it serves one shape."""
        return False

    @property
    def shares_h_and_l(self) -> bool:
        """TRM recursion: one network plays H and L (its ``H.`` weights are ``L``'s)."""
        return self.recursion == "trm"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "HRMConfig":
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ConfigError(f"unknown model config keys: {', '.join(sorted(unknown))}")
        return cls(**data)


def _whole(name: str, value: object, low: int, high: int) -> None:
    """Refuse ``HRMConfig.<name>`` unless it is an int (not a bool) in ``[low, high]``."""
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise ConfigError(f"HRMConfig.{name} must be a whole number from {low} to {high}, got {value!r}")


def _check_sizes(c: HRMConfig) -> None:
    """Each size within its bound (see :data:`~hybrid_hrm.model.options.MAX_SIZES`)."""
    for name, high in MAX_SIZES.items():
        if name != "vocab_size" or c.vocab_size is not None:
            _whole(name, getattr(c, name), 1, high)
    _whole("num_groups", c.num_groups, 0, MAX_GROUPS)
    _whole("grid_height", c.grid_height, 0, MAX_GRID_SIDE)
    _whole("grid_width", c.grid_width, 0, MAX_GRID_SIDE)
    if c.h_cycles * c.l_cycles > MAX_STEPS:
        raise ConfigError(
            f"HRMConfig.h_cycles x l_cycles must be at most {MAX_STEPS} network steps a segment, "
            f"got {c.h_cycles} x {c.l_cycles} = {c.h_cycles * c.l_cycles}"
        )
    e = c.expansion
    if isinstance(e, bool) or not isinstance(e, (int, float)) or not 0 < e <= MAX_EXPANSION:
        raise ConfigError(f"HRMConfig.expansion must be a number above 0 and at most {MAX_EXPANSION}, got {e!r}")


def _check_products(c: HRMConfig) -> None:
    """No tensor the config implies (embeddings, heads, states, membership) above :data:`MAX_ELEMENTS`."""
    D = c.hidden
    sizes = {
        "num_variables x hidden": c.num_variables * D,
        "num_variables x num_groups": c.num_variables * c.num_groups,
        "num_groups x hidden": c.num_groups * D,
        "vocab_size x hidden": c.vocab_size * D,
        "num_values x hidden": c.num_values * D,
        "hidden x hidden x expansion": int(D * D * c.expansion),
    }
    for what, size in sizes.items():
        if size > MAX_ELEMENTS:
            raise ConfigError(f"HRMConfig {what} must be at most {MAX_ELEMENTS} elements, got {size}")
    if D % c.heads or (D // c.heads) % 2:
        raise ConfigError(f"hidden {D} must split into an even head size over {c.heads} heads")


def _check_choices(c: HRMConfig) -> None:
    """The named choices (positions, recursion, L's mixer) and the fields they need."""
    if not isinstance(c.positions, str) or c.positions not in POSITIONS:
        raise ConfigError(f"positions must be one of {', '.join(POSITIONS)}, got {c.positions!r}")
    if c.positions == "groups" and c.num_groups < 1:
        raise ConfigError("positions='groups' needs num_groups >= 1")
    if not isinstance(c.recursion, str) or c.recursion not in RECURSIONS:
        raise ConfigError(f"recursion must be 'hrm' or 'trm', got {c.recursion!r}")
    if not isinstance(c.l_mixer, str) or c.l_mixer not in L_MIXERS:
        raise ConfigError(f"l_mixer must be 'attention' or 'conv', got {c.l_mixer!r}")
    if c.l_mixer == "conv" and c.grid_height * c.grid_width != c.num_variables:
        raise ConfigError(
            f"l_mixer='conv' needs grid_height x grid_width == num_variables ({c.num_variables}), "
            f"got {c.grid_height}x{c.grid_width}"
        )
    if not isinstance(c.carry_state, bool):
        raise ConfigError(f"HRMConfig.carry_state must be true or false, got {c.carry_state!r}")
    if not isinstance(c.domain, str):
        raise ConfigError(f"HRMConfig.domain must be text, got {c.domain!r}")


class HRMOutput(NamedTuple):
    logits: torch.Tensor  # [B, V, K] masked by candidates
    proposal: torch.Tensor  # [B, V] confidence logits
    q_halt: torch.Tensor  # [B]


class HRMState(NamedTuple):
    z_H: torch.Tensor  # [B, V, D]
    z_L: torch.Tensor  # [B, V, D]


class HRM(nn.Module):
    """The model (see the module docstring)."""

    def __init__(self, config: HRMConfig, group_membership=None) -> None:
        """``group_membership``: ``[V, num_groups]`` 0/1 array of which constraint
        groups each variable is in (positions="groups"; loaded from checkpoints)."""
        super().__init__()
        self.config = config
        c = config
        D = c.hidden
        self.token_embed = nn.Embedding(c.vocab_size, D)
        self.candidate_embed = nn.Linear(c.num_values, D, bias=False)
        rotary = Rotary(D // c.heads, c.num_variables) if c.positions == "rope" else None
        self.position_embed = nn.Parameter(torch.zeros(c.num_variables, D)) if c.positions == "learned" else None
        # Constraint-structure positions: a variable is the sum of its groups' embeddings,
        # so attention can find its peers (row, column, box) from the start.
        self.group_embed = nn.Parameter(torch.zeros(c.num_groups, D)) if c.positions == "groups" else None
        membership = torch.zeros(c.num_variables, max(c.num_groups, 0))
        if group_membership is not None:
            membership = torch.as_tensor(group_membership, dtype=torch.float32).reshape(membership.shape).clone()
        self.register_buffer("group_membership", membership)
        grid = (c.grid_height, c.grid_width) if c.l_mixer == "conv" else None
        self.L = Reasoner(c.l_layers, D, c.heads, c.expansion, rotary, grid)
        # TRM: one shared network plays H and L.
        self.H = self.L if c.recursion == "trm" else Reasoner(c.h_layers, D, c.heads, c.expansion, rotary)
        self.value_head = nn.Linear(D, c.num_values, bias=False)
        self.proposal_head = nn.Linear(D, 1, bias=False)
        self.q_head = nn.Linear(D, 1, bias=True)
        # Fixed initial states (truncated normal, std 1), as in the paper.
        self.register_buffer("h_init", nn.init.trunc_normal_(torch.empty(D), std=1.0, a=-2.0, b=2.0))
        self.register_buffer("l_init", nn.init.trunc_normal_(torch.empty(D), std=1.0, a=-2.0, b=2.0))
        self._init_weights()

    def _init_weights(self) -> None:
        for module in self.modules():
            if isinstance(module, nn.Linear):
                nn.init.trunc_normal_(module.weight, std=1.0 / math.sqrt(module.in_features), a=-2, b=2)
            elif isinstance(module, nn.Embedding):
                nn.init.trunc_normal_(module.weight, std=1.0 / math.sqrt(self.config.hidden), a=-2, b=2)
        if self.group_embed is not None:
            nn.init.trunc_normal_(self.group_embed, std=1.0, a=-2, b=2)
        nn.init.zeros_(self.q_head.weight)
        nn.init.constant_(self.q_head.bias, -5.0)  # start by never halting

    def initial_state(self, batch: int) -> HRMState:
        shape = (batch, self.config.num_variables, self.config.hidden)
        return HRMState(self.h_init.expand(shape), self.l_init.expand(shape))

    def embed(self, tokens: torch.Tensor, candidates: torch.Tensor) -> torch.Tensor:
        """Input ``x`` ``[B, V, D]`` from tokens ``[B, V]`` and candidates ``[B, V, K]``."""
        x = self.token_embed(tokens) * math.sqrt(self.config.hidden)
        x = x + self.candidate_embed(candidates.to(x.dtype))
        if self.position_embed is not None:
            x = x + self.position_embed
        if self.group_embed is not None:
            x = x + self.group_membership @ self.group_embed  # [V, D]
        return x

    def forward(
        self, tokens: torch.Tensor, candidates: torch.Tensor, state: HRMState | None = None
    ) -> tuple[HRMOutput, HRMState]:
        """One segment.  Returns the heads and the next state (detached)."""
        c = self.config
        if state is None or not c.carry_state:
            state = self.initial_state(tokens.shape[0])
        x = self.embed(tokens, candidates)
        z_H, z_L = state
        if c.recursion == "hrm":
            # One-step gradient: every step but the last L and the last H without grad.
            with torch.no_grad():
                for h_step in range(c.h_cycles):
                    for l_step in range(c.l_cycles):
                        last = h_step == c.h_cycles - 1 and l_step == c.l_cycles - 1
                        if not last:
                            z_L = self.L(z_L, z_H + x)
                    if h_step < c.h_cycles - 1:
                        z_H = self.H(z_H, z_L)
            z_L = self.L(z_L, z_H + x)
            z_H = self.H(z_H, z_L)
        else:
            # TRM: h_cycles recursions; all but the last without grad, the last fully backpropagated.
            with torch.no_grad():
                for _ in range(c.h_cycles - 1):
                    for _ in range(c.l_cycles):
                        z_L = self.L(z_L, z_H + x)
                    z_H = self.H(z_H, z_L)
            for _ in range(c.l_cycles):
                z_L = self.L(z_L, z_H + x)
            z_H = self.H(z_H, z_L)
        return self.heads(z_H, candidates), HRMState(z_H.detach(), z_L.detach())

    def heads(self, z_H: torch.Tensor, candidates: torch.Tensor) -> HRMOutput:
        logits = self.value_head(z_H).float()
        logits = logits.masked_fill(~candidates, MASKED_LOGIT)
        proposal = self.proposal_head(z_H).squeeze(-1).float()
        q_halt = self.q_head(z_H.mean(1)).squeeze(-1).float()
        return HRMOutput(logits, proposal, q_halt)

    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    """``"auto"``: CUDA when present, else CPU; anything else as given (validated).

    >>> resolve_device("cpu").type
    'cpu'
    """
    if isinstance(device, torch.device):
        return device
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise ConfigError(f"invalid device {device!r}: {exc}") from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ConfigError(f"device {device!r} asked for, but CUDA is not available")
    return dev

"""What a training run depends on: :class:`TrainConfig`, the CPU model preset, the model config.

Every field of :class:`TrainConfig` carries its command-line help in its
metadata: ``hybrid-hrm train`` derives its options from these fields, so an
option is added in one place.  A domain's own preset
(:meth:`domains.base.Domain.training_preset`) fills the fields left ``None``.

>>> TrainConfig(domain="maze", max_steps=1).lr_schedule   # the maze preset
'cosine'
>>> TrainConfig(max_steps=1, lr=-1)
Traceback (most recent call last):
...
solvers.errors.ConfigError: lr must be a positive number, got -1
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

import domains
from solvers.base import SymbolicLayer
from solvers.errors import ConfigError

from ..data import PuzzleSet

if TYPE_CHECKING:
    from ..model import HRMConfig

LR_SCHEDULES = ("constant", "cosine")


def _opt(default: Any, help: str, **extra: Any) -> Any:
    """A config field with its command-line help (and ``choices``, when given)."""
    return field(default=default, metadata={"help": help, **extra})


@dataclass(frozen=True)
class TrainConfig:
    """Everything a training run depends on (saved in every checkpoint)."""

    domain: str = _opt("sudoku", "the domain to train on", positional=True)
    size: int = _opt(9, "grid side: Sudoku 4, 9, 16; a maze N x N (other domains may ignore it)")
    source: str = _opt("auto", "'auto', 'generate', a bundled collection or a puzzle file")
    train_puzzles: int = _opt(4000, "training puzzles")
    #: Generator option: stop removing givens at this count (0: minimal puzzles). Minimal
    #: 16x16 Sudokus take ~20 s each to generate on a CPU; 120 givens take ~0.15 s.
    min_givens: int = _opt(0, "generated puzzles keep at least this many givens (fast 16x16)")
    eval_puzzles: int = _opt(256, "held-out puzzles scored at the end")
    batch_size: int = _opt(128, "puzzles per batch")
    segments: int = _opt(4, "deep-supervision segments per batch (M)")
    lr: float | None = _opt(None, "learning rate (the domain's preset, else 3e-3)")
    weight_decay: float = _opt(0.1, "AdamW weight decay")
    warmup_steps: int = _opt(20, "linear learning-rate warm-up, in batches")
    #: "constant" after warm-up, or "cosine": down to 10% at the end of the budget (steps or
    #: minutes, whichever ends first).  None: the domain's preset, else "constant".
    lr_schedule: str | None = _opt(None, "after warm-up (the domain's preset, else constant)",
                                   choices=LR_SCHEDULES)
    grad_clip: float = _opt(1.0, "gradient-norm clip")
    neural_share: float = _opt(0.3, "share of a batch trained without the symbolic layer")
    commit_per_segment: int = _opt(2, "right subgoals committed between segments")
    halt_exploration: float = _opt(0.1, "ACT exploration probability (HRM's)")
    #: Skip an update whose gradient norm is over this multiple of the running mean
    #: (0: never; a non-finite gradient is always skipped).  Long recurrences (mazes)
    #: collapsed right after such spikes.  None: the domain's preset, else 0.
    spike_factor: float | None = _opt(None, "skip updates whose gradient norm is over this x the mean (0: off)")
    #: Every this many seconds (and at least 4x the last validation's own time, so it
    #: costs under a fifth of the wall time), score the weights (raw and EMA) on a
    #: validation slice of the training puzzles and keep the best in ``best.safetensors``
    #: (what to ship when training oscillates).  0: never.  None: the domain's preset, else 0.
    #: ``minutes`` counts training time only.
    validate_seconds: float | None = _opt(None, "keep the best validated weights in best.safetensors (0: off)")
    #: Start from these weights (a run directory or ``.safetensors``) instead of a random
    #: init: fine-tuning, or a curriculum from a smaller grid (a conv model has no
    #: size-bound parameter).  The architecture must match.
    init_from: str | None = _opt(None, "start from these weights (fine-tuning, a smaller grid)")
    ema_decay: float = _opt(0.999, "EMA decay of the weights (TRM recursion)")
    seed: int = _opt(0, "seed of the data, the init and the batches")
    minutes: float | None = _opt(None, "training time budget")
    max_steps: int | None = _opt(None, "stop after this many batches")
    checkpoint_seconds: float = _opt(120.0, "save a checkpoint this often")
    checkpoint_steps: int | None = _opt(None, "also checkpoint every N batches")
    device: str = _opt("auto", "'auto' (CUDA when present), 'cpu', 'cuda:1', ...")
    threads: int | None = _opt(None, "CPU threads (default: torch's)")
    model: dict[str, Any] = field(default_factory=dict, metadata={"help": "HRMConfig overrides"})

    def __post_init__(self) -> None:
        if self.minutes is None and self.max_steps is None:
            raise ConfigError("give --minutes or --max-steps")
        for name in ("batch_size", "segments", "train_puzzles", "eval_puzzles"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be >= 1")
        self._fill_from_preset()
        self._check_ranges()

    def _fill_from_preset(self) -> None:
        """Fields left ``None`` take the domain's preset, else the trainer's default."""
        preset = domains.get(self.domain).training_preset()
        defaults = {"lr": DEFAULT_LR, "lr_schedule": "constant", "spike_factor": 0.0, "validate_seconds": 0.0}
        for name, default in defaults.items():
            if getattr(self, name) is None:
                chosen = getattr(preset, name)
                object.__setattr__(self, name, default if chosen is None else chosen)
        object.__setattr__(self, "spike_factor", float(self.spike_factor))
        object.__setattr__(self, "validate_seconds", float(self.validate_seconds))

    def _check_ranges(self) -> None:
        if not (self.spike_factor == 0 or self.spike_factor > 1):
            raise ConfigError(f"spike_factor must be 0 (off) or > 1, got {self.spike_factor!r}")
        if not (self.validate_seconds >= 0 and math.isfinite(self.validate_seconds)):
            raise ConfigError(f"validate_seconds must be >= 0, got {self.validate_seconds!r}")
        if self.lr_schedule not in LR_SCHEDULES:
            raise ConfigError(f"lr_schedule must be 'constant' or 'cosine', got {self.lr_schedule!r}")
        if not (isinstance(self.lr, (int, float)) and self.lr > 0 and math.isfinite(self.lr)):
            raise ConfigError(f"lr must be a positive number, got {self.lr}")
        if self.minutes is not None and not (self.minutes > 0 and math.isfinite(self.minutes)):
            raise ConfigError(f"minutes must be a positive number, got {self.minutes}")
        if not isinstance(self.min_givens, int) or self.min_givens < 0:
            raise ConfigError(f"min_givens must be a whole number >= 0, got {self.min_givens!r}")
        if not 0.0 <= self.neural_share <= 1.0:
            raise ConfigError("neural_share must be in [0, 1]")


#: The CPU training preset: small enough that minutes of a 2-core CPU buy learning.
#: Measured on 4x4 Sudoku (network-alone exact solves of held-out puzzles):
#: constraint-group positions ("groups") 0.93 vs rotary 0.69 after 2 min;
#: TRM recursion 1.000 vs the paper's one-step gradient 0.965 after 5 min.
#: The model class keeps the paper's defaults (rotary, one-step); pass
#: ``--recursion hrm --positions rope`` to train that way.
DEFAULT_MODEL = {
    "hidden": 64,
    "heads": 4,
    "h_layers": 1,
    "l_layers": 1,
    "h_cycles": 2,
    "l_cycles": 2,
    "positions": "groups",
    "recursion": "trm",
}

DEFAULT_LR = 3e-3


def model_config_for(config: TrainConfig, ps: PuzzleSet, layer: SymbolicLayer) -> HRMConfig:
    """The model a run trains: DEFAULT_MODEL, then the domain's preset, then the run's own overrides."""
    from ..model import HRMConfig

    domain = domains.get(config.domain)
    preset = domain.training_preset().model
    # A model trained on one segment never saw a carried state: it restarts every segment.
    overrides = {**DEFAULT_MODEL, "carry_state": config.segments > 1, **preset, **config.model}
    if overrides.get("positions") == "groups":
        overrides["num_groups"] = len(group_membership(layer, ps.template.num_variables)[0])
    if overrides.get("l_mixer") == "conv":
        shape = tuple(int(n) for n in ps.template.shape)
        if len(shape) != 2 or shape[0] * shape[1] != ps.template.num_variables:
            raise ConfigError(f"l_mixer='conv' needs variables on a grid; {config.domain} instances have shape {shape}")
        overrides["grid_height"], overrides["grid_width"] = shape
    overrides.setdefault("vocab_size", domain.vocab_size(ps.template))
    return HRMConfig(
        num_variables=ps.template.num_variables,
        num_values=ps.template.num_values,
        domain=config.domain,
        **overrides,
    )


def group_membership(layer: SymbolicLayer, num_variables: int) -> np.ndarray:
    """``[V, U]`` membership of variables in the layer's constraint groups."""
    groups = layer.groups
    if not groups:
        raise ConfigError("positions='groups' needs a symbolic layer with constraint groups")
    member = np.zeros((num_variables, len(groups)), dtype=np.float32)
    for u, group in enumerate(groups):
        member[list(group), u] = 1.0
    return member

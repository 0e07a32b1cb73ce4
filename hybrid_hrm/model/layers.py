"""Building blocks of the HRM: RMSNorm, SwiGLU, rotary attention, grid convolution, post-norm blocks.

All layers are bias-free; attention is non-causal and goes through
``torch.nn.functional.scaled_dot_product_attention`` (no flash-attn needed).
A block mixes its tokens either by attention (every variable sees every
other) or, for variables laid out on a grid (mazes), by a 3x3 convolution
(each cell sees its neighbours: one step of a wavefront per block).

>>> import torch
>>> block = Block(hidden=32, heads=4, expansion=2.0)
>>> block(torch.zeros(2, 5, 32)).shape
torch.Size([2, 5, 32])
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn


def rms_norm(x: torch.Tensor, eps: float = 1e-5) -> torch.Tensor:
    """RMS normalisation without a learned scale (as in the HRM paper)."""
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps)


def _multiple_of(x: float, m: int) -> int:
    return int(math.ceil(x / m) * m)


class SwiGLU(nn.Module):
    """Gated MLP: ``down(silu(gate(x)) * up(x))``, inner width ~ 2/3 * expansion * hidden."""

    def __init__(self, hidden: int, expansion: float) -> None:
        super().__init__()
        inner = _multiple_of(expansion * hidden * 2 / 3, 32)
        self.gate_up = nn.Linear(hidden, 2 * inner, bias=False)
        self.down = nn.Linear(inner, hidden, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        gate, up = self.gate_up(x).chunk(2, dim=-1)
        return self.down(F.silu(gate) * up)


class Rotary(nn.Module):
    """Rotary position embedding tables for a fixed sequence length."""

    def __init__(self, head_dim: int, seq_len: int, theta: float = 10000.0) -> None:
        super().__init__()
        inv = 1.0 / theta ** (torch.arange(0, head_dim, 2, dtype=torch.float32) / head_dim)
        angles = torch.outer(torch.arange(seq_len, dtype=torch.float32), inv)  # [S, D/2]
        self.register_buffer("cos", angles.cos(), persistent=False)
        self.register_buffer("sin", angles.sin(), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # x: [B, H, S, D]; rotate pairs (x1, x2) of the two halves.
        x1, x2 = x.chunk(2, dim=-1)
        cos, sin = self.cos.to(x.dtype), self.sin.to(x.dtype)
        return torch.cat((x1 * cos - x2 * sin, x1 * sin + x2 * cos), dim=-1)


class Attention(nn.Module):
    """Non-causal multi-head self-attention with optional rotary positions."""

    def __init__(self, hidden: int, heads: int, rotary: Rotary | None = None) -> None:
        super().__init__()
        if hidden % heads:
            raise ValueError(f"hidden {hidden} is not divisible by heads {heads}")
        self.heads = heads
        self.qkv = nn.Linear(hidden, 3 * hidden, bias=False)
        self.out = nn.Linear(hidden, hidden, bias=False)
        self.rotary = rotary

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        B, S, D = x.shape
        qkv = self.qkv(x).view(B, S, 3, self.heads, D // self.heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]  # [B, H, S, Dh]
        if self.rotary is not None:
            q, k = self.rotary(q), self.rotary(k)
        y = F.scaled_dot_product_attention(q, k, v)  # non-causal
        return self.out(y.transpose(1, 2).reshape(B, S, D))


class GridConv(nn.Module):
    """Token mixing by a 3x3 convolution over variables laid out ``height x width`` (row-major).

    Cells outside the grid read as zero.  Costs ``9 * hidden**2`` per cell,
    independent of the number of cells (attention grows with it).

    >>> GridConv(hidden=8, height=3, width=4)(torch.zeros(2, 12, 8)).shape
    torch.Size([2, 12, 8])
    """

    def __init__(self, hidden: int, height: int, width: int) -> None:
        super().__init__()
        self.height, self.width = height, width
        self.conv = nn.Conv2d(hidden, hidden, kernel_size=3, padding=1, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        B, S, D = x.shape  # S == height * width
        grid = x.transpose(1, 2).reshape(B, D, self.height, self.width)
        return self.conv(grid).reshape(B, D, S).transpose(1, 2)


class Block(nn.Module):
    """Post-norm block: ``h = norm(h + mix(h)); h = norm(h + mlp(h))``.

    ``mix`` is attention, or :class:`GridConv` when ``grid=(height, width)`` is given.
    """

    def __init__(
        self,
        hidden: int,
        heads: int,
        expansion: float,
        rotary: Rotary | None = None,
        grid: tuple[int, int] | None = None,
    ) -> None:
        super().__init__()
        self.attn = Attention(hidden, heads, rotary) if grid is None else GridConv(hidden, *grid)
        self.mlp = SwiGLU(hidden, expansion)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        h = rms_norm(h + self.attn(h))
        return rms_norm(h + self.mlp(h))


class Reasoner(nn.Module):
    """One recurrent module (H or L): a stack of blocks applied to ``state + injection``."""

    def __init__(
        self,
        layers: int,
        hidden: int,
        heads: int,
        expansion: float,
        rotary: Rotary | None,
        grid: tuple[int, int] | None = None,
    ) -> None:
        super().__init__()
        self.blocks = nn.ModuleList(Block(hidden, heads, expansion, rotary, grid) for _ in range(layers))

    def forward(self, state: torch.Tensor, injection: torch.Tensor) -> torch.Tensor:
        h = state + injection
        for block in self.blocks:
            h = block(h)
        return h

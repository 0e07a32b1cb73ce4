"""The model's choices as data, importable without torch (the command line lists them)."""

from __future__ import annotations

#: Position encodings: rotary, learned, constraint-group embeddings, or none (a conv model
#: then has no size-bound parameter).
POSITIONS = ("rope", "learned", "groups", "none")
#: "hrm": the paper's one-step gradient; "trm": TRM's full backprop through the last recursion.
RECURSIONS = ("hrm", "trm")
#: How L mixes its tokens: global attention, or a 3x3 convolution over a grid.
L_MIXERS = ("attention", "conv")

#: Upper bounds of the model's sizes (``HRMConfig`` refuses more): generous for any network
#: a user could want here, small enough that an edited or corrupt config is refused at once
#: instead of allocating for minutes or running for hours.
MAX_SIZES = {
    "num_variables": 1_000_000,
    "num_values": 10_000,
    "vocab_size": 1_000_002,
    "hidden": 4096,
    "heads": 128,
    "h_layers": 64,
    "l_layers": 64,
    "h_cycles": 1024,
    "l_cycles": 1024,
}
#: Network steps of one segment (``h_cycles * l_cycles``): a size-free maze network may
#: run ~1000 steps on a 59x59 maze.
MAX_STEPS = 16384
#: Most constraint groups, grid rows and grid columns (each).
MAX_GROUPS = 100_000
MAX_GRID_SIDE = 1_000_000
#: MLP width over hidden width.
MAX_EXPANSION = 16.0
#: Most elements of one tensor (or MLP) the config implies (embeddings, heads, states, group
#: membership): 2**28 float32 values are 1 GiB.
MAX_ELEMENTS = 2**28

"""The model's choices as data, importable without torch (the command line lists them)."""

from __future__ import annotations

#: Position encodings: rotary, learned, constraint-group embeddings, or none (a conv model
#: then has no size-bound parameter).
POSITIONS = ("rope", "learned", "groups", "none")
#: "hrm": the paper's one-step gradient; "trm": TRM's full backprop through the last recursion.
RECURSIONS = ("hrm", "trm")
#: How L mixes its tokens: global attention, or a 3x3 convolution over a grid.
L_MIXERS = ("attention", "conv")

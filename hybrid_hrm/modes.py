"""Modes of solving as data: which policy guides, whether the loop runs, whether search finishes.

A :class:`Mode` is a frozen record; :data:`MODES` is the one table of the
six named modes that the Python API, the command line, the benchmark and
the reliability runner all read.  ``hybrid-uniform*`` is the ablation: the
same loop with uniform choices, so a benchmark measures what the network adds.

Examples
--------
>>> get_mode("hybrid-nosearch")
Mode(name='hybrid-nosearch', guide=<Guide.NETWORK: 'network'>, loop=True, search=False)
>>> [m.name for m in MODES.values() if m.needs_model]
['hybrid', 'hybrid-nosearch', 'neural']
>>> get_mode("fast")
Traceback (most recent call last):
...
solvers.errors.ConfigError: unknown mode 'fast'; choose from hybrid, hybrid-nosearch, hybrid-uniform, ...
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from solvers.errors import ConfigError


class Guide(enum.StrEnum):
    """What proposes subgoals and orders the search: the trained network, uniform choices, or nothing."""

    NETWORK = "network"
    UNIFORM = "uniform"
    NONE = "fewest candidates"



@dataclass(frozen=True)
class Mode:
    """One way of solving.

    ``guide``: the policy of the loop and the search order.  ``loop``: the
    H/L cycles run with the symbolic layer between them (``False`` with a
    network: the network alone, then the verifier).  ``search``: a complete
    search finishes what the loop left (``False``: no search, the loop's
    own reach is measured).
    """

    name: str
    guide: Guide
    loop: bool
    search: bool

    @property
    def needs_model(self) -> bool:
        """Does this mode run a trained network?"""
        return self.guide is Guide.NETWORK

    @property
    def network_alone(self) -> bool:
        """The network's answer, verified, with no symbolic layer in between."""
        return self.needs_model and not self.loop


MODES: dict[str, Mode] = {
    m.name: m
    for m in (
        Mode("hybrid", Guide.NETWORK, loop=True, search=True),
        Mode("hybrid-nosearch", Guide.NETWORK, loop=True, search=False),
        Mode("hybrid-uniform", Guide.UNIFORM, loop=True, search=True),
        Mode("hybrid-uniform-nosearch", Guide.UNIFORM, loop=True, search=False),
        Mode("neural", Guide.NETWORK, loop=False, search=False),
        Mode("symbolic", Guide.NONE, loop=False, search=True),
    )
}


def get_mode(mode: str | Mode) -> Mode:
    """The mode of this name (a :class:`Mode` passes through); :class:`ConfigError` for an unknown name."""
    if isinstance(mode, Mode):
        return mode
    found = MODES.get(mode) if isinstance(mode, str) else None
    if found is None:
        raise ConfigError(f"unknown mode {mode!r}; choose from {', '.join(MODES)}")
    return found


__all__ = ["Guide", "MODES", "Mode", "get_mode"]

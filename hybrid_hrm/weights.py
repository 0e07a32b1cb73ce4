"""Shipped pretrained weights: where they live and which domains have them.

Weights ship inside the package (``hybrid_hrm/weights/<name>.safetensors``
with a ``<name>.json`` sidecar), so ``from_pretrained`` works offline.

>>> "no-such" in shipped_weights()
False
"""

from __future__ import annotations

from pathlib import Path

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"


def shipped_weights() -> dict[str, Path]:
    """Names of the shipped models -> their ``.safetensors`` path."""
    if not WEIGHTS_DIR.is_dir():
        return {}
    return {p.stem: p for p in sorted(WEIGHTS_DIR.glob("*.safetensors")) if p.with_suffix(".json").is_file()}


def shipped_for(name: str) -> list[Path]:
    """Shipped models for a domain name (``sudoku``: every ``sudoku*`` model,
    one per size) or for one model name (``sudoku4``)."""
    names = shipped_weights()
    if name in names:
        return [names[name]]
    return [p for n, p in names.items() if n.rstrip("0123456789") == name]


def has_shipped_weights(domain: str) -> bool:
    """Does the package ship a model for this domain?"""
    return bool(shipped_for(domain))

"""The neural side: layers and the HRM (see :mod:`hybrid_hrm.model.hrm`).

Names load on first use, so :mod:`hybrid_hrm.model.options` (the model's
choices) reads without importing torch.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = ("HRM", "HRMConfig", "HRMOutput", "HRMState", "MASKED_LOGIT", "resolve_device")


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module("hybrid_hrm.model.hrm"), name)
    raise AttributeError(f"module 'hybrid_hrm.model' has no attribute {name!r}")


__all__ = list(_EXPORTS)

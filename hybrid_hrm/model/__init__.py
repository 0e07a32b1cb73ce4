"""The neural side: layers and the HRM (see :mod:`hybrid_hrm.model.hrm`).

Names load on first use, so :mod:`hybrid_hrm.model.options` (the model's
choices) reads without importing torch.
"""

from __future__ import annotations

from ..lazy import lazy_exports

_EXPORTS = ("HRM", "HRMConfig", "HRMOutput", "HRMState", "MASKED_LOGIT", "resolve_device")


__getattr__ = lazy_exports({name: "hybrid_hrm.model.hrm" for name in _EXPORTS})


__all__ = list(_EXPORTS)

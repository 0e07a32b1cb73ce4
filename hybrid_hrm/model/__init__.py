"""The neural side: layers and the HRM (see :mod:`hybrid_hrm.model.hrm`)."""

from .hrm import HRM, MASKED_LOGIT, HRMConfig, HRMOutput, HRMState, resolve_device

__all__ = ["HRM", "HRMConfig", "HRMOutput", "HRMState", "MASKED_LOGIT", "resolve_device"]

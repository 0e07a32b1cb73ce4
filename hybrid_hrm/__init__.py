"""hybrid_hrm: a Hierarchical Reasoning Model whose subgoals a symbolic layer verifies.

The network (H proposes subgoals, L refines) and the symbolic layer
(verification, propagation, complete search) meet in :class:`HybridSolver`.
Heavy modules (torch) load on first use, so ``import hybrid_hrm`` is cheap.

>>> import hybrid_hrm as hh
>>> r = hh.solve(".13." "...." "3..4" "....", mode="symbolic")
>>> r.status.value, r.solution
('solved', '4132234132141423')
"""

from __future__ import annotations

from .errors import (
    CheckpointError,
    ConfigError,
    HybridHRMError,
    InvalidPuzzleError,
    Status,
    UnknownDomainError,
)
from .lazy import lazy_exports
from .result import SolveResult, SolveStats

__version__ = "0.1.0"

_LAZY = {
    "HybridSolver": "hybrid_hrm.bridge",
    "BridgeConfig": "hybrid_hrm.bridge",
    "solve": "hybrid_hrm.bridge",
    "solve_batch": "hybrid_hrm.batch",
    "BatchResult": "hybrid_hrm.batch",
    "HRM": "hybrid_hrm.model",
    "HRMConfig": "hybrid_hrm.model",
    "Budget": "solvers.base",
    "Mode": "hybrid_hrm.modes",
    "MODES": "hybrid_hrm.modes",
}


__getattr__ = lazy_exports(_LAZY)


__all__ = [
    "CheckpointError",
    "ConfigError",
    "HybridHRMError",
    "InvalidPuzzleError",
    "SolveResult",
    "SolveStats",
    "Status",
    "UnknownDomainError",
    *_LAZY,
]

"""The package's typed errors (re-exported from the torch-free :mod:`solvers.errors`)."""

from solvers import errors as _errors
from solvers.errors import (  # noqa: F401  (re-exported)  # noqa: F401
    BudgetExhausted,
    CheckpointError,
    ConfigError,
    HybridHRMError,
    InvalidPuzzleError,
    SoundnessError,
    Status,
    TrainingError,
    UnknownDomainError,
    UnsupportedError,
    WorkerError,
)

__all__ = list(_errors.__all__)

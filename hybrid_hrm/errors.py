"""The package's typed errors (re-exported from the torch-free :mod:`solvers.errors`)."""

from solvers.errors import (  # noqa: F401
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
)

__all__ = [
    "Status",
    "BudgetExhausted",
    "HybridHRMError",
    "InvalidPuzzleError",
    "UnknownDomainError",
    "ConfigError",
    "CheckpointError",
    "TrainingError",
    "UnsupportedError",
    "SoundnessError",
]

"""The symbolic layer: verification, propagation and search. Never imports torch.

>>> from solvers import AllDifferentLayer, search
>>> search(AllDifferentLayer([[0, 1]], 2), [3, 3]).values
[0, 1]
"""

from .alldiff import AllDifferentLayer
from .base import (
    UNASSIGNED,
    Budget,
    Propagator,
    SymbolicLayer,
    Verdict,
    Violation,
    candidates_to_masks,
    candidates_to_values,
    mask_array,
    masks_to_candidates,
    masks_to_values,
    values_to_candidates,
)
from .errors import Status
from .search import SearchResult, fewest_candidates, increasing_values, search

__all__ = [
    "AllDifferentLayer",
    "Budget",
    "Propagator",
    "SearchResult",
    "Status",
    "SymbolicLayer",
    "UNASSIGNED",
    "Verdict",
    "Violation",
    "candidates_to_masks",
    "candidates_to_values",
    "fewest_candidates",
    "increasing_values",
    "mask_array",
    "masks_to_candidates",
    "masks_to_values",
    "search",
    "values_to_candidates",
]

"""The complete search on a whole batch of instances of one all-different layer, in one compiled call.

:func:`search_many` takes the candidate bitmasks ``roots [B, V]`` of many
instances and returns arrays (statuses, first solutions, nodes, each
puzzle's own seconds): no Python object per puzzle, one dispatch into
:func:`solvers.batch_kernels.search_many` for the batch.  The statuses and
solutions are those :func:`solvers.search.search` gives each instance,
node for node.  The answers are *not* verified here: the caller runs the
verifier on them (:meth:`~solvers.alldiff.AllDifferentLayer.verify_batch`).

Examples
--------
>>> from solvers.alldiff import AllDifferentLayer
>>> layer = AllDifferentLayer([[0, 1, 2]], num_values=3)
>>> found = search_many(layer, np.array([[7, 7, 1], [1, 1, 7]]))
>>> [STATUSES[s].value for s in found.status], found.values.tolist(), found.nodes.tolist()
(['solved', 'unsolvable'], [[1, 2, 0], [-1, -1, -1]], [1, 0])
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from . import batch_kernels, kernels
from .alldiff import AllDifferentLayer
from .base import Budget
from .errors import ConfigError, Status, UnsupportedError
from .search import Guidance

#: The kernels' status codes, as :class:`Status` (``STATUSES[code]``).
STATUSES = tuple(Status(name) for name in kernels.STATUS_NAMES)
#: Each status's code in the arrays (its index in :data:`STATUSES`).
STATUS_CODE = {status: code for code, status in enumerate(STATUSES)}
_INT64_MAX = 2**63 - 1


@dataclass
class ManySearch:
    """What :func:`search_many` found, one row per instance.

    ``status [B]`` int8 codes (:data:`STATUSES`); ``values [B, V]`` the
    first solution, ``-1`` where the status is not solved or
    ``multiple_solutions``; ``nodes``, ``backtracks`` ``[B]``; ``seconds [B]``
    each search's own time, measured inside the compiled loop.
    """

    status: np.ndarray
    values: np.ndarray
    nodes: np.ndarray
    backtracks: np.ndarray
    seconds: np.ndarray

    @property
    def solved(self) -> np.ndarray:
        """``[B]``: a solution was found (``solved`` or ``multiple_solutions``)."""
        return (self.status == kernels.SOLVED) | (self.status == kernels.MULTIPLE_SOLUTIONS)


def _limits(budget: Budget) -> tuple[int, int]:
    """A budget as the kernel's node count and nanoseconds (``NO_LIMIT``: none)."""
    nodes = kernels.NO_LIMIT if budget.max_nodes is None else min(int(budget.max_nodes), _INT64_MAX)
    seconds = budget.max_seconds
    if seconds is None or not math.isfinite(seconds * 1e9) or seconds * 1e9 >= 2**62:
        return nodes, kernels.NO_LIMIT
    return nodes, int(seconds * 1e9)


def search_many(
    layer: AllDifferentLayer,
    roots: np.ndarray,
    budget: Budget | None = None,
    *,
    guidance: Guidance | None = None,
    max_solutions: int = 1,
) -> ManySearch:
    """Search every instance of ``roots [B, V]`` (candidate bitmasks, not modified), one budget each.

    ``guidance``: the orders (:class:`~solvers.search.Guidance`, shared by
    the batch; default: fewest candidates first, values in increasing
    order).  ``max_solutions=2`` tells unique from ``multiple_solutions``.
    Raises :class:`UnsupportedError` for a layer without a compiled form
    (more than 62 values).
    """
    arrays = getattr(layer, "batch_arrays", None)
    if arrays is None:
        raise UnsupportedError("a batched search needs an all-different layer of at most 62 values")
    V, K = layer.num_variables, layer.num_values
    guidance = guidance or Guidance.default(V, K)
    if not guidance.fits(V, K):
        raise ConfigError(f"guidance is not for {V} variables of {K} values")
    roots = np.ascontiguousarray(roots, dtype=np.int64)
    if roots.ndim != 2 or roots.shape[1] != V:
        raise ConfigError(f"roots must be [B, {V}] candidate bitmasks, got {list(roots.shape)}")
    if ((roots < 0) | (roots > layer.full_mask)).any():
        raise ConfigError(f"roots hold bits beyond the layer's {K} values")
    max_nodes, time_limit_ns = _limits(budget or Budget())
    status, values, nodes, backtracks, ns = batch_kernels.interruptible(
        batch_kernels.search_many,
        roots, arrays, guidance.value_rank, guidance.tie_score, max(1, int(max_solutions)), max_nodes, time_limit_ns,
    )
    return ManySearch(status, values, nodes, backtracks, ns / 1e9)

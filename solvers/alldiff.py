"""Propagation for all-different groups (Sudoku rows, columns, boxes, ...).

Two implementations of sound rules, one for each caller:

* :meth:`AllDifferentLayer.prune_with_status` (and so ``prune``) works on
  a whole batch of candidate arrays ``[B, V, K]`` with numpy matrix
  products (training and the bridge prune hundreds of instances at once,
  no Python loop per cell): the singles;
* :meth:`AllDifferentLayer.propagate` works on one instance in bitmask form
  with incremental updates, compiled (:mod:`solvers.propagation`: the search
  calls it at every node, where a numpy call's fixed cost would dominate):
  the singles, and from everything (``touched=None``) the intersections too (a stronger fixpoint);
  :meth:`AllDifferentLayer.compiled_search` runs the whole search of
  :func:`solvers.search.search` compiled, node for node the same.

Rules, applied to a fixpoint:

* naked single: a variable with one candidate removes it from its peers;
* hidden single: in a group of exactly ``K`` variables (every value must
  appear), a value that fits only one variable is that variable's value;
* intersection (pointing and claiming; ``propagate`` from everything only):
  where two exact groups meet in two or more variables, a value whose
  places in one of them all lie in the meeting leaves the other's rest;
* contradiction: a variable with no candidate, a value with no place in an
  exact group, or two values forced into one variable.

Examples
--------
>>> layer = AllDifferentLayer([[0, 1], [1, 2]], num_values=2)
>>> masks = [0b01, 0b11, 0b11]
>>> layer.propagate(masks)
True
>>> masks
[1, 2, 1]
"""

from __future__ import annotations

import math
import time
from typing import Sequence

import numpy as np

from . import batch_kernels, kernels
from .base import (
    UNASSIGNED,
    Budget,
    LayerDefaults,
    Verdict,
    Violation,
    candidate_mask_array,
    candidates_to_masks,
    masks_to_candidates,
)
from .dense import DenseGroups
from .errors import Status
from .search import CompiledSearch, Guidance, SearchResult

_NO_VARIABLES = np.empty(0, dtype=np.int64)
_NO_CANDIDATES = np.zeros((0, 0, 0), dtype=bool)
_NO_CANDIDATES_2D = np.zeros((0, 0), dtype=bool)
_INT64_MAX = 2**63 - 1


def _node_limit(max_nodes: int | None) -> int:
    """A node budget as the kernel's ``int64`` (``NO_LIMIT``: none)."""
    return kernels.NO_LIMIT if max_nodes is None else min(int(max_nodes), _INT64_MAX)


def _time_limit_ns(max_seconds: float | None) -> int:
    """A time budget in the kernel's nanoseconds (``NO_LIMIT``: none, or too long to matter)."""
    if max_seconds is None or not math.isfinite(max_seconds * 1e9) or max_seconds * 1e9 >= 2**62:
        return kernels.NO_LIMIT
    return int(max_seconds * 1e9)


class AllDifferentLayer(LayerDefaults, CompiledSearch):
    """A symbolic layer whose constraints are all-different groups.

    Parameters
    ----------
    groups:
        Lists of variable indices whose values must all differ.
    num_values:
        ``K``, the number of values every variable ranges over.
    variable_names, value_names, group_names:
        Words used in the reasons of violations (``"r4c7"``, ``"5"``,
        ``"row 4"``); indices are used when omitted.
    intersections:
        Whether :meth:`propagate` from everything (``touched=None``: a root,
        a refutation) adds pointing and claiming where two groups of ``K``
        variables meet in two or more (a Sudoku's boxes and lines); the
        search's other nodes use singles alone (see :mod:`solvers.propagation`); so do layers of > 62 values.

    ``masks``, ``candidates``, ``prune`` and ``check_subgoal`` are
    :class:`~solvers.base.LayerDefaults`'; ``prune_with_status``,
    ``verify_batch`` and ``explain_conflict`` are its own (vectorized, or
    naming the group), and so is ``compiled_search`` (a
    :class:`~solvers.search.CompiledSearch`: :func:`solvers.search.search`
    runs compiled on it).

    >>> layer = AllDifferentLayer([[0, 1]], 2)
    >>> layer.groups, layer.prune(np.array([[True, False], [True, True]])).astype(int).tolist()
    ([(0, 1)], [[1, 0], [0, 1]])
    """

    def __init__(
        self,
        groups: Sequence[Sequence[int]],
        num_values: int,
        *,
        variable_names: Sequence[str] | None = None,
        value_names: Sequence[str] | None = None,
        group_names: Sequence[str] | None = None,
        intersections: bool = True,
    ) -> None:
        self._groups = [tuple(int(v) for v in g) for g in groups]
        self.num_values = int(num_values)
        self.num_variables = 1 + max(max(g) for g in self.groups)
        V, K = self.num_variables, self.num_values
        self.variable_names = list(variable_names or [f"x{v}" for v in range(V)])
        self.value_names = list(value_names or [str(k) for k in range(K)])
        self.group_names = list(group_names or [f"group {i}" for i in range(len(self.groups))])
        self.full_mask = (1 << K) - 1
        peers: list[set[int]] = [set() for _ in range(V)]
        for g in self.groups:
            for v in g:
                peers[v].update(g)
        self.peers = [tuple(sorted(p - {v})) for v, p in enumerate(peers)]
        self._dense = DenseGroups.of(self.groups, V, K)  # the singles as matrix products, beyond 62 values
        # Flat arrays of the compiled kernels (one int64 bitmask per variable: at most 62 values).
        self._arrays = kernels.group_arrays(self.groups, V, K, intersections) if K <= kernels.MAX_VALUES else None

    @property
    def groups(self) -> list[tuple[int, ...]]:
        """The all-different groups as tuples of variable indices, in the order given."""
        return self._groups

    @property
    def batch_arrays(self) -> kernels.GroupArrays | None:
        """The groups as the compiled kernels take them (``uint32`` indices); ``None`` beyond 62 values."""
        return self._arrays

    # ------------------------------------------------------------------ search
    def propagate(self, masks: list[int], touched: Sequence[int] | None = None) -> bool:
        """Propagate in place on bitmasks; ``False`` on contradiction.

        ``touched``: variables decided since the last fixpoint, propagated by
        singles; ``None``: everything may have changed, so singles and
        intersections (see the class's ``intersections``).
        The work is :func:`solvers.kernels.propagate` (compiled); the list
        is copied into an ``int64`` array and back.  Layers of more than 62
        values (beyond one ``int64``) propagate with :meth:`prune_with_status`.

        >>> layer = AllDifferentLayer([[0, 1, 2]], 3)
        >>> masks = [0b011, 0b011, 0b111]
        >>> layer.propagate(masks), masks
        (True, [3, 3, 4])
        """
        if self._arrays is None:
            return self._propagate_wide(masks)
        state = np.array(masks, dtype=np.int64)
        ok = self.propagate_array(state, touched)
        masks[:] = state.tolist()
        return ok

    def propagate_array(self, masks: np.ndarray, touched: Sequence[int] | None = None) -> bool:
        """:meth:`propagate` on an ``int64`` :func:`~solvers.base.mask_array` in place: the compiled
        kernel works on the array itself, with no copy to or from Python integers.

        >>> layer = AllDifferentLayer([[0, 1, 2]], 3)
        >>> masks = np.array([0b011, 0b011, 0b111])
        >>> layer.propagate_array(masks), masks.tolist()
        (True, [3, 3, 4])
        """
        if self._arrays is None or masks.dtype != np.int64:
            return super().propagate_array(masks, touched)
        if touched is None:
            return bool(kernels.propagate(masks, _NO_VARIABLES, True, self._arrays))
        return bool(kernels.propagate(masks, np.asarray(touched, dtype=np.int64).reshape(-1), False, self._arrays))

    def _propagate_wide(self, masks: list[int]) -> bool:
        """:meth:`propagate` for ``K > 62`` (masks as Python integers): the batched rules on one instance."""
        V, K = self.num_variables, self.num_values
        cand, dead = self.prune_with_status(masks_to_candidates(masks, K)[None], max_iterations=V * K + 1)
        if dead[0]:
            return False
        masks[:] = candidates_to_masks(cand[0])
        return True

    def compiled_search(
        self, masks: Sequence[int], guidance: Guidance, budget: Budget, max_solutions: int
    ) -> SearchResult | None:
        """:func:`solvers.search.search` by :func:`solvers.kernels.search`; ``None`` where it does not apply.

        It does not apply beyond 62 values, to masks that are not ``V``
        subsets of the ``K`` values, or to guidance of another shape.

        >>> layer = AllDifferentLayer([[0, 1]], 2)
        >>> layer.compiled_search([3, 3], Guidance.default(2, 2), Budget(), 1).values
        [0, 1]
        """
        V, K = self.num_variables, self.num_values
        if self._arrays is None or len(masks) != V or not guidance.fits(V, K):
            return None
        try:
            root = np.array(masks, dtype=np.int64)
        except OverflowError:  # not a subset of 62 values
            return None
        if root.shape != (V,) or ((root < 0) | (root > self.full_mask)).any():
            return None
        start = time.perf_counter()
        status, solutions, nodes, backtracks = kernels.search(
            root,
            self._arrays,
            guidance.value_rank,
            guidance.tie_score,
            max(0, min(int(max_solutions), _INT64_MAX)),  # <= 0 stops at the first solution, as 1 does
            _node_limit(budget.max_nodes),
            _time_limit_ns(budget.max_seconds),
        )
        found = solutions.tolist()
        return SearchResult(
            status=Status(kernels.STATUS_NAMES[status]),
            values=found[0] if found else None,
            solutions=found,
            nodes=int(nodes),
            backtracks=int(backtracks),
            seconds=time.perf_counter() - start,
        )

    # ------------------------------------------------------------------- batch
    def prune_with_status(self, candidates: np.ndarray, max_iterations: int = 100) -> tuple[np.ndarray, np.ndarray]:
        """Sound propagation of a ``[V, K]`` or ``[B, V, K]`` candidate array, and a ``[B]`` contradiction flag.

        Returns a new array of the same shape.  A contradiction is marked,
        never raised: some variable of that instance has no candidate left
        (see :meth:`contradictions`; compiled, none has any).  Up to 62 values it is the search's own
        full propagation (:func:`solvers.batch_kernels.propagate_many`, with
        the intersections where the layer has them), so what training prunes
        is what the loop and the search see; beyond, batched singles in numpy
        (``max_iterations`` rounds at most).
        """
        cand = np.array(candidates, dtype=bool, copy=True)
        single_instance = cand.ndim == 2
        if single_instance:
            cand = cand[None]
        if self._arrays is not None and cand.shape[1:] == (self.num_variables, self.num_values):
            masks, ok = batch_kernels.propagate_many(candidate_mask_array(cand), self._arrays)
            cand = masks_to_candidates(masks, self.num_values)
            dead = ~ok | ~cand.any(-1).all(-1)
            cand[dead] = False  # no solution: no value is left anywhere (the kernel stops at the contradiction)
        else:
            cand, dead = self._dense.prune(cand, max_iterations)
        return (cand[0], dead[:1]) if single_instance else (cand, dead)

    @staticmethod
    def contradictions(candidates: np.ndarray) -> np.ndarray:
        """``[B]`` flag: some variable of the instance has no candidate."""
        cand = np.asarray(candidates, dtype=bool)
        return ~cand.any(-1).all(-1)

    # ------------------------------------------------------------------ verify
    def verify(self, values: np.ndarray, candidates: np.ndarray | None = None) -> Verdict:
        """Check a (partial) assignment; ``UNASSIGNED`` marks a free variable.

        ``candidates`` (the givens, or any pruned array) additionally
        requires every assigned value to be one of its variable's candidates.

        >>> layer = AllDifferentLayer([[0, 1]], 2, variable_names=["a", "b"],
        ...                           group_names=["pair"])
        >>> layer.verify(np.array([1, 1])).reason()
        'b=1 conflicts with a=1 (pair)'
        """
        values = np.asarray(values).reshape(-1)
        V, K = self.num_variables, self.num_values
        if values.shape[0] != V:
            return Verdict(False, False, (Violation((), f"expected {V} values, got {values.shape[0]}"),))
        if self._consistent(values, candidates):
            return Verdict(consistent=True, complete=bool((values >= 0).all()))
        violations: list[Violation] = []
        bad = np.flatnonzero((values < UNASSIGNED) | (values >= K))
        for v in bad:
            violations.append(Violation((int(v),), f"{self.variable_names[v]} has no value {values[v]}"))
        in_range = (values >= 0) & (values < K)
        ok_values = np.full(V, UNASSIGNED, dtype=np.int64)  # (np.where would wrap -1 for unsigned values)
        ok_values[in_range] = values[in_range]
        if candidates is not None:
            cand = np.asarray(candidates, dtype=bool).reshape(V, K)
            assigned = np.flatnonzero(ok_values >= 0)
            refused = assigned[~cand[assigned, ok_values[assigned]]]
            for v in refused:
                allowed = [self.value_names[k] for k in np.flatnonzero(cand[v])]
                violations.append(
                    Violation(
                        (int(v),),
                        f"{self.variable_names[v]}={self.value_names[ok_values[v]]} is not a "
                        f"candidate (allowed: {', '.join(allowed) or 'none'})",
                    )
                )
        for u, group in enumerate(self.groups):
            seen: dict[int, int] = {}
            for v in group:
                k = int(ok_values[v])
                if k < 0:
                    continue
                if k in seen:
                    w = seen[k]
                    name = self.value_names[k]
                    violations.append(
                        Violation(
                            (w, v),
                            f"{self.variable_names[v]}={name} conflicts with "
                            f"{self.variable_names[w]}={name} ({self.group_names[u]})",
                        )
                    )
                else:
                    seen[k] = v
        complete = bool((values >= 0).all())
        return Verdict(consistent=not violations, complete=complete, violations=tuple(violations))

    def _consistent(self, values: np.ndarray, candidates: np.ndarray | None) -> bool:
        """The compiled quick yes of :meth:`verify` (:func:`solvers.batch_kernels.consistent`); ``False``
        means "look closer": the Python checks then name every violation (or find none)."""
        if self._arrays is None or not np.issubdtype(values.dtype, np.signedinteger):  # int64 holds them exactly
            return False
        check = candidates is not None
        if check:
            cand = np.asarray(candidates)
            if cand.dtype != np.bool_ or cand.shape != (self.num_variables, self.num_values):
                return False
        else:
            cand = _NO_CANDIDATES_2D
        row = np.ascontiguousarray(values, dtype=np.int64)
        return bool(batch_kernels.consistent(row, self._arrays, self.num_values, np.ascontiguousarray(cand), check))

    def explain_conflict(self, values: np.ndarray, variable: int) -> str | None:
        """Why ``variable``'s value in ``values`` breaks a group, naming it first.

        >>> layer = AllDifferentLayer([[0, 1]], 2, variable_names=["a", "b"], group_names=["pair"])
        >>> layer.explain_conflict(np.array([1, 1]), 0)
        'a=1 conflicts with b=1 (pair)'
        """
        k = int(values[variable])
        for u, group in enumerate(self.groups):
            if variable not in group:
                continue
            for w in group:
                if w != variable and int(values[w]) == k:
                    name = self.value_names[k]
                    return (
                        f"{self.variable_names[variable]}={name} conflicts with "
                        f"{self.variable_names[w]}={name} ({self.group_names[u]})"
                    )
        return None

    def verify_batch(self, values: np.ndarray, candidates: np.ndarray | None = None) -> np.ndarray:
        """``[B]``: is each complete assignment ``values [B, V]`` valid (vectorized)?

        >>> layer = AllDifferentLayer([[0, 1]], 2)
        >>> layer.verify_batch(np.array([[0, 1], [1, 1], [0, -1]])).tolist()
        [True, False, False]
        """
        values = np.asarray(values)
        K = self.num_values
        compiled = self._arrays is not None and np.issubdtype(values.dtype, np.integer)
        if compiled and values.ndim == 2 and values.shape[1] == self.num_variables:
            # Compiled (solvers.batch_kernels.verify_many): the same checks, one pass over the batch.
            check = candidates is not None
            cand = np.ascontiguousarray(candidates, dtype=bool) if check else _NO_CANDIDATES
            if not check or cand.shape == (*values.shape, K):
                rows = np.ascontiguousarray(values, dtype=np.int64)
                return batch_kernels.interruptible(batch_kernels.verify_many, rows, self.batch_arrays, K, cand, check)
        ok = ((values >= 0) & (values < K)).all(-1)
        safe = np.clip(values, 0, K - 1)
        for size in sorted({len(g) for g in self.groups}):
            idx = np.array([g for g in self.groups if len(g) == size])  # [U, n]
            grouped = np.sort(safe[:, idx], axis=-1)  # [B, U, n]
            ok &= ~(grouped[..., 1:] == grouped[..., :-1]).any((-1, -2))
        if candidates is not None:
            cand = np.asarray(candidates, dtype=bool)
            ok &= np.take_along_axis(cand, safe[..., None], -1)[..., 0].all(-1)
        return ok

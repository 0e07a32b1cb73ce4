"""The nouns of the symbolic layer: verdicts, budgets and the layer protocol.

A *symbolic layer* knows the constraints of one domain shape and answers
three questions about candidate arrays (boolean ``[variables, K]`` or
``[batch, variables, K]``, the one currency between the neural and the
symbolic side):

* ``verify(values, candidates)`` -> :class:`Verdict`: is this (partial)
  assignment consistent, is it complete, and if not, which constraint is
  violated and why, in words a person can read;
* ``prune(candidates)`` -> candidates: sound propagation, the same shape back,
  a contradiction marked by a variable with no candidate left;
* ``propagate(masks)``: the same propagation on one instance in the bitmask
  form the search uses (``masks[v]`` has bit ``k`` set when value ``k`` is
  still a candidate of variable ``v``).

Examples
--------
>>> v = Verdict.ok(complete=True)
>>> v.valid
True
>>> Budget(max_nodes=10).max_nodes
10
"""

from __future__ import annotations

import abc
import math
from dataclasses import dataclass
from typing import Protocol, Sequence, runtime_checkable

import numpy as np

from .batch_kernels import bit_counts, pack_masks
from .errors import ConfigError, InvalidPuzzleError

#: Value of a variable with no value yet in an assignment array.
UNASSIGNED = -1


@dataclass(frozen=True)
class Violation:
    """One violated constraint: the variables involved and why, in words."""

    variables: tuple[int, ...]
    reason: str


@dataclass(frozen=True)
class Verdict:
    """What the symbolic layer says of an assignment.

    ``consistent``: no constraint is violated by the assigned variables.
    ``complete``: every variable has a value.  ``valid`` is both together,
    the only condition under which an answer may leave the package.
    """

    consistent: bool
    complete: bool
    violations: tuple[Violation, ...] = ()

    @property
    def valid(self) -> bool:
        return self.consistent and self.complete

    @staticmethod
    def ok(complete: bool) -> "Verdict":
        return Verdict(consistent=True, complete=complete)

    def reason(self) -> str:
        """All violation reasons joined in one line ('' when consistent)."""
        return "; ".join(v.reason for v in self.violations)


def _check_limit(name: str, value: float | int | None, integer: bool) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(f"{name} must be a number or None, got {value!r}")
    if integer and not float(value).is_integer():
        raise ConfigError(f"{name} must be a whole number, got {value!r}")
    if math.isnan(value) or value < 0:
        raise ConfigError(f"{name} must be >= 0, got {value!r}")


@dataclass(frozen=True)
class Budget:
    """Limits of one search: nodes (guesses) and wall-clock seconds.

    ``None`` means unlimited.  Both are checked before every node, so a
    budget is never overrun by more than one node's work.

    >>> Budget(max_nodes=-1)
    Traceback (most recent call last):
    ...
    solvers.errors.ConfigError: max_nodes must be >= 0, got -1
    """

    max_nodes: int | None = 2_000_000
    max_seconds: float | None = 30.0

    def __post_init__(self) -> None:
        _check_limit("max_nodes", self.max_nodes, integer=True)
        _check_limit("max_seconds", self.max_seconds, integer=False)


@runtime_checkable
class Propagator(Protocol):
    """What :func:`solvers.search.search` needs from a layer."""

    num_variables: int
    num_values: int

    def propagate(self, masks: list[int], touched: Sequence[int] | None = None) -> bool:
        """Propagate in place to a fixpoint; ``False`` on contradiction.

        ``touched``: the variables *decided* (one candidate left) since the last
        fixpoint, a hint the layer may use to work incrementally; ``None`` when
        anything else changed (a value removed from an undecided variable).
        """


@runtime_checkable
class SymbolicLayer(Propagator, Protocol):
    """Every member of a symbolic layer the engine uses (the bridge, search, trainer).

    A new layer subclasses :class:`LayerDefaults` and writes ``propagate``
    and ``verify``; the defaults give the rest, and a layer overrides one
    where it knows better (a vectorized ``prune_with_status``, a subgoal
    check beyond candidates, a constraint-level conflict explanation).
    """

    variable_names: Sequence[str]
    value_names: Sequence[str]

    @property
    def groups(self) -> Sequence[Sequence[int]]:
        """Constraint scopes as variable indices (empty: none worth embedding)."""

    def verify(self, values: np.ndarray, candidates: np.ndarray | None = None) -> Verdict:
        """Is this (partial) assignment consistent, complete; which constraint fails, why?"""

    def verify_batch(self, values: np.ndarray, candidates: np.ndarray | None = None) -> np.ndarray:
        """``[B]`` validity of complete assignments ``values [B, V]``."""

    def prune(self, candidates: np.ndarray) -> np.ndarray:
        """Sound propagation of ``[V, K]`` or ``[B, V, K]`` candidates, same shape back."""

    def prune_with_status(self, candidates: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`prune` with a ``[B]`` contradiction flag."""

    def masks(self, candidates: np.ndarray) -> list[int]:
        """Bitmask form of one ``[V, K]`` candidate array."""

    def propagate_array(self, masks: np.ndarray, touched: Sequence[int] | None = None) -> bool:
        """:meth:`propagate` in place on a :func:`mask_array` (the loop's form of the masks)."""

    def candidates(self, masks: Sequence[int]) -> np.ndarray:
        """``[V, K]`` candidate array of a list of bitmasks."""

    def check_subgoal(self, masks: Sequence[int], variable: int, value: int) -> str | None:
        """Why the subgoal ``variable=value`` is refused beyond its candidates (``None``: not refused)."""

    def explain_conflict(self, values: np.ndarray, variable: int) -> str | None:
        """The violated constraint of ``variable``'s value in ``values`` in words (``None``: no better words)."""


class LayerDefaults(abc.ABC):
    """The defaults of :class:`SymbolicLayer`: subclass it, write ``propagate`` and ``verify``.

    >>> class Different(LayerDefaults):
    ...     num_variables, num_values = 2, 2
    ...     variable_names, value_names = ("a", "b"), ("0", "1")
    ...     def propagate(self, masks, touched=None):
    ...         for v, w in ((0, 1), (1, 0)):
    ...             if masks[v] in (1, 2):
    ...                 masks[w] &= ~masks[v]
    ...         return all(masks)
    ...     def verify(self, values, candidates=None):
    ...         ok = values[0] < 0 or values[1] < 0 or values[0] != values[1]
    ...         return Verdict(bool(ok), bool((values >= 0).all()))
    >>> layer = Different()
    >>> isinstance(layer, SymbolicLayer)
    True
    >>> layer.prune(np.array([[True, False], [True, True]])).astype(int).tolist()
    [[1, 0], [0, 1]]
    >>> layer.verify_batch(np.array([[0, 1], [1, 1]])).tolist()
    [True, False]
    """

    num_variables: int
    num_values: int

    @property
    def groups(self) -> Sequence[Sequence[int]]:
        return ()

    @abc.abstractmethod
    def propagate(self, masks: list[int], touched: Sequence[int] | None = None) -> bool:
        """Propagate in place to a fixpoint; ``False`` on contradiction (see :class:`Propagator`)."""

    @abc.abstractmethod
    def verify(self, values: np.ndarray, candidates: np.ndarray | None = None) -> Verdict:
        """The verdict on a (partial) assignment (see :class:`SymbolicLayer`)."""

    def masks(self, candidates: np.ndarray) -> list[int]:
        return candidates_to_masks(candidates)

    def propagate_array(self, masks: np.ndarray, touched: Sequence[int] | None = None) -> bool:
        """:meth:`propagate` on a copy of ``masks`` as Python integers, written back (a layer whose
        propagation works on arrays overrides it and skips the copies).

        >>> class Different(LayerDefaults):  # two variables, two values, all different
        ...     num_variables, num_values = 2, 2
        ...     def propagate(self, masks, touched=None):
        ...         for v in (0, 1):
        ...             if masks[v] in (1, 2):
        ...                 masks[1 - v] &= ~masks[v]
        ...         return all(masks)
        ...     def verify(self, values, candidates=None):
        ...         return Verdict.ok(complete=True)
        >>> masks = mask_array([0b01, 0b11])
        >>> Different().propagate_array(masks), masks.tolist()
        (True, [1, 2])
        """
        state = masks.tolist()
        ok = self.propagate(state, touched)
        masks[:] = state
        return ok

    def candidates(self, masks: Sequence[int]) -> np.ndarray:
        return masks_to_candidates(masks, self.num_values)

    def prune(self, candidates: np.ndarray) -> np.ndarray:
        return self.prune_with_status(candidates)[0]

    def prune_with_status(self, candidates: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per instance :meth:`propagate`; a contradiction sets that whole instance to ``False``."""
        cand = np.array(candidates, dtype=bool, copy=True)
        single = cand.ndim == 2
        if single:
            cand = cand[None]
        if cand.ndim != 3 or cand.shape[1:] != (self.num_variables, self.num_values):
            raise InvalidPuzzleError(
                f"expected candidates of shape [B, {self.num_variables}, {self.num_values}], "
                f"got {list(np.shape(candidates))}"
            )
        dead = np.zeros(cand.shape[0], dtype=bool)
        for b in range(cand.shape[0]):
            masks = self.masks(cand[b])
            if self.propagate(masks):
                cand[b] = self.candidates(masks)
            else:
                dead[b] = True
                self.mark_contradiction(cand[b], masks)
        return (cand[0], dead[:1]) if single else (cand, dead)

    def mark_contradiction(self, row: np.ndarray, masks: list[int]) -> None:
        """Mark a contradictory instance's ``[V, K]`` candidates in place (default: no candidate at all)."""
        row[:] = False

    def verify_batch(self, values: np.ndarray, candidates: np.ndarray | None = None) -> np.ndarray:
        values = np.asarray(values)
        cands = [None] * len(values) if candidates is None else list(candidates)
        return np.array([self.verify(v, c).valid for v, c in zip(values, cands)], dtype=bool)

    def check_subgoal(self, masks: Sequence[int], variable: int, value: int) -> str | None:
        return None

    def explain_conflict(self, values: np.ndarray, variable: int) -> str | None:
        return None


# --- conversions between the two forms of candidates ------------------------


def candidate_mask_array(candidates: np.ndarray) -> np.ndarray:
    """``[..., V, K]`` boolean candidates (``K <= 62``) -> ``[..., V]`` int64 bitmasks (bit ``k``: value ``k``).

    >>> candidate_mask_array(np.array([[[True, False, True], [False, True, False]]])).tolist()
    [[5, 2]]
    """
    cand = np.ascontiguousarray(candidates, dtype=bool)
    if cand.ndim < 1 or cand.shape[-1] > 62:
        raise ValueError(f"bitmasks of one int64 hold at most 62 values, got shape {cand.shape}")
    return pack_masks(cand.reshape(-1, cand.shape[-1])).reshape(cand.shape[:-1])  # compiled


def candidates_to_masks(candidates: np.ndarray) -> list[int]:
    """``[V, K]`` boolean candidates -> list of V bitmasks.

    >>> candidates_to_masks(np.array([[True, False, True], [False, True, False]]))
    [5, 2]
    """
    cand = np.asarray(candidates, dtype=bool)
    if cand.shape[-1] > 62:  # beyond int64: exact Python integers
        return [sum(1 << int(k) for k in np.flatnonzero(row)) for row in cand]
    return candidate_mask_array(cand).tolist()


def mask_counts(masks: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    """``(counts [V], values [V])`` of candidate bitmasks: how many candidates each variable has, and its
    value where exactly one is left (``-1`` elsewhere); compiled where the masks fit an ``int64``.

    >>> counts, values = mask_counts([0b101, 0b010, 0])
    >>> counts.tolist(), values.tolist()
    ([2, 1, 0], [-1, 1, -1])
    """
    try:
        arr = np.ascontiguousarray(masks, dtype=np.int64)  # no copy of an int64 mask array
    except OverflowError:  # beyond 62 values: exact Python integers
        counts = np.array([m.bit_count() for m in masks], dtype=np.int64)
        values = np.array([m.bit_length() - 1 if c == 1 else -1 for m, c in zip(masks, counts)], dtype=np.int64)
        return counts, values
    return bit_counts(arr.reshape(-1))  # compiled


def mask_array(masks: Sequence[int]) -> np.ndarray:
    """Bitmasks (:meth:`SymbolicLayer.masks`) as one array: ``int64`` while they fit, Python integers
    (``object``) beyond 62 values; the hybrid loop's form (copied, counted and decided without a Python loop).

    >>> mask_array([5, 2])
    array([5, 2])
    >>> mask_array([2**70 - 1]).dtype
    dtype('O')
    """
    try:
        return np.array(masks, dtype=np.int64)
    except OverflowError:  # beyond 62 values: exact Python integers
        out = np.empty(len(masks), dtype=object)
        out[:] = list(masks)
        return out


def masks_to_candidates(masks: Sequence[int], num_values: int) -> np.ndarray:
    """Bitmasks ``[..., V]`` (a list, or an array of any leading shape) -> ``[..., V, K]`` boolean candidates.

    >>> masks_to_candidates([5, 2], 3).astype(int).tolist()
    [[1, 0, 1], [0, 1, 0]]
    """
    if num_values > 62:  # beyond int64: exact Python integers
        return np.array([[bool(m >> k & 1) for k in range(num_values)] for m in masks], dtype=bool).reshape(
            -1, num_values
        )
    arr = np.asarray(masks, dtype=np.int64)[..., None]
    return ((arr >> np.arange(num_values, dtype=np.int64)) & 1).astype(bool)


def masks_to_values(masks: Sequence[int]) -> np.ndarray:
    """Values of decided variables (single-bit masks), ``UNASSIGNED`` elsewhere.

    >>> masks_to_values([4, 3, 1]).tolist()
    [2, -1, 0]
    """
    return mask_counts(masks)[1]  # -1 (UNASSIGNED) where a variable is not decided


def values_to_candidates(values: np.ndarray, num_values: int) -> np.ndarray:
    """Assignment array (``UNASSIGNED`` = free) -> ``[..., V, K]`` candidates.

    >>> values_to_candidates(np.array([1, -1]), 2).astype(int).tolist()
    [[0, 1], [1, 1]]
    """
    values = np.asarray(values)
    onehot = values[..., None] == np.arange(num_values)
    return np.where((values < 0)[..., None], True, onehot)


def candidates_to_values(candidates: np.ndarray) -> np.ndarray:
    """Value of every variable with exactly one candidate, ``UNASSIGNED`` elsewhere."""
    cand = np.asarray(candidates, dtype=bool)
    single = cand.sum(-1) == 1
    return np.where(single, cand.argmax(-1), UNASSIGNED)

"""The ``Domain`` base class and the ``Instance`` record every domain produces.

A domain is a family of puzzles.  It turns text into an :class:`Instance`
(variables, ``K`` values, givens, initial candidates), an instance into
tokens for the network and into a symbolic layer for verification,
pruning and search, and back into text.  Subclasses give the few methods
marked abstract; the rest have sensible defaults.

Examples
--------
>>> import domains
>>> sudoku = domains.get("sudoku")
>>> inst = sudoku.parse("1..." "..2." ".3.." "...4")
>>> inst.num_variables, inst.num_values, inst.shape
(16, 4, (4, 4))
"""

from __future__ import annotations

import abc
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Iterator, Mapping, Sequence

import numpy as np

from solvers.base import UNASSIGNED, Budget, SymbolicLayer, Verdict, values_to_candidates
from solvers.errors import InvalidPuzzleError, UnsupportedError
from solvers.search import SearchResult, ValueOrder, VariableOrder
from solvers.search import search as depth_first_search

from .files import iter_numbered_lines, iter_puzzle_lines


@dataclass(frozen=True, eq=False)
class Instance:
    """One puzzle: ``V`` variables, each taking one of ``K`` values.

    ``givens``: ``[V]`` value indices, ``UNASSIGNED`` (-1) where free.
    ``candidates``: ``[V, K]`` booleans, what the puzzle itself allows.
    ``shape``: the domain's own size key (Sudoku: ``(9, 9)``); instances of
    one shape share a symbolic layer and a network.
    ``solution``: ``[V]`` values when the source carried one (generator,
    tdoku format), else ``None``.
    """

    domain: str
    shape: tuple[int, ...]
    givens: np.ndarray
    candidates: np.ndarray
    solution: np.ndarray | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def num_variables(self) -> int:
        return int(self.candidates.shape[0])

    @property
    def num_values(self) -> int:
        return int(self.candidates.shape[1])


@dataclass(frozen=True)
class PuzzleRecord:
    """One puzzle of a file as text, with the line it starts on (for error messages)."""

    line: int
    text: str


@dataclass(frozen=True)
class TrainingPreset:
    """A domain's departures from the trainer's defaults (``None``: the trainer's own).

    Explicit training options win over a preset; ``model`` holds
    :class:`~hybrid_hrm.model.HRMConfig` field overrides.
    """

    lr: float | None = None
    lr_schedule: str | None = None
    spike_factor: float | None = None
    validate_seconds: float | None = None
    model: Mapping[str, Any] = field(default_factory=dict)


class Domain(abc.ABC):
    """Base class of puzzle domains (see the module docstring).

    The hooks a plugin may override, each with a default that serves
    most domains: :meth:`shape_layer` (a layer sound for every instance of
    a shape, for training), :meth:`search` (the complete search; mazes use
    A*), :meth:`draw_trace` (a picture of a solve), :meth:`training_preset`,
    :meth:`read_records` (a file format of its own), :meth:`random_symmetry`
    and :meth:`generate`.
    """

    #: Registry name, lowercase letters, digits, ``_`` and ``-``.
    name: ClassVar[str] = ""

    # ----------------------------------------------------------- must give
    @abc.abstractmethod
    def parse(self, text: str) -> Instance:
        """Text -> instance; :class:`InvalidPuzzleError` on bad input."""

    @abc.abstractmethod
    def format(self, instance: Instance, values: np.ndarray | None = None) -> str:
        """Instance (with ``values`` filled in, when given) -> text."""

    @abc.abstractmethod
    def layer(self, instance: Instance) -> SymbolicLayer:
        """The symbolic layer (verify, prune, propagate) of this instance."""

    # ------------------------------------------------------------ defaults
    def parse_many(self, puzzles: Sequence[str] | np.ndarray) -> list[tuple[Instance, np.ndarray, np.ndarray]]:
        """The puzzles this domain reads as whole arrays: ``[(template, index [b], givens [b, V])]``.

        The puzzles at ``index`` (texts, or rows of a givens array ``[B, V]``)
        are instances of ``template``'s shape whose candidates are exactly
        their givens (``with_givens(template, givens[j])``); the rest are
        parsed one by one by :meth:`parse`.  The default takes none: a domain
        with a common text form overrides this (Sudoku's one-line forms).
        """
        return []

    def format_many(self, template: Instance, values: np.ndarray) -> list[str] | None:
        """The texts of ``values [b, V]`` for puzzles of ``template``'s shape, all at once, when a text
        depends on the values alone (Sudoku); ``None`` (the default): :meth:`format` each instance."""
        return None

    def encode(self, instance: Instance) -> np.ndarray:
        """Tokens for the network ``[V]`` (see :meth:`encode_batch`)."""
        return self.encode_batch(instance.givens[None])[0]

    def encode_batch(self, givens: np.ndarray) -> np.ndarray:
        """Tokens ``[B, V]``: 1 for a free variable, ``2 + value`` for a given.

        Token 0 is padding, as in the HRM paper's Sudoku encoding.
        """
        givens = np.asarray(givens)
        return np.where(givens < 0, 1, givens + 2).astype(np.int64)

    def vocab_size(self, instance: Instance) -> int:
        """Number of distinct tokens :meth:`encode` can produce (the network's embedding size)."""
        return instance.num_values + 2

    def shape_layer(self, instance: Instance) -> SymbolicLayer:
        """A layer sound for every instance of ``instance``'s shape (the trainer prunes batches with it).

        Domains whose constraints differ per instance (KenKen's cages) give
        the shared part; the default is :meth:`layer`.
        """
        return self.layer(instance)

    def training_preset(self) -> TrainingPreset:
        """How this domain trains best when the user says nothing (default: the trainer's defaults)."""
        return TrainingPreset()

    def draw_trace(self, trace: Any, path: str | Path) -> Path | None:
        """Draw a solve's trace to a PNG in this domain's own way; ``None``: use the generic boards."""
        return None

    def verify(self, instance: Instance, values: np.ndarray) -> Verdict:
        """The verifier: is ``values`` consistent with the constraints and givens?"""
        return self.layer(instance).verify(np.asarray(values), instance.candidates)

    def verify_batch(self, template: Instance, values: np.ndarray, candidates: np.ndarray) -> np.ndarray:
        """``[B]`` validity of complete assignments ``values [B, V]`` of instances
        of ``template``'s shape whose givens are encoded in ``candidates [B, V, K]``."""
        return self.layer(template).verify_batch(values, candidates)

    def search(
        self,
        instance: Instance,
        candidates: np.ndarray,
        budget: Budget | None = None,
        *,
        max_solutions: int = 1,
        variable_order: VariableOrder | None = None,
        value_order: ValueOrder | None = None,
        probs: np.ndarray | None = None,
    ) -> SearchResult:
        """Complete search from a (sound) candidate array ``[V, K]``.

        ``max_solutions=2`` answers "is it unique?".  The orders (or the
        network's ``probs [V, K]``, for domains with a search of their own)
        only decide which solution is found first, never whether one is.
        The default is depth-first search with propagation
        (:func:`solvers.search.search`).
        """
        layer = self.layer(instance)
        return depth_first_search(
            layer,
            layer.masks(candidates),
            budget,
            max_solutions=max_solutions,
            variable_order=variable_order,
            value_order=value_order,
        )

    def solve(self, instance: Instance, budget: Budget | None = None, *, max_solutions: int = 1) -> SearchResult:
        """The symbolic layer alone: propagation and complete search from the instance's candidates."""
        return self.search(instance, instance.candidates, budget, max_solutions=max_solutions)

    def generate(self, rng: np.random.Generator, count: int = 1, **options: Any) -> list[Instance]:
        """Random instances with their solutions (domains that can generate)."""
        raise UnsupportedError(f"domain {self.name!r} has no generator")

    def random_symmetry(self, instance: Instance, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """A random symmetry as ``(variable_permutation [V], value_permutation [K])``.

        Applying it maps an instance and its solution to an equivalent pair:
        ``new[i] = value_permutation[old[variable_permutation[i]]]``.
        The default is the identity (no augmentation).
        """
        return np.arange(instance.num_variables), np.arange(instance.num_values)

    def read_records(self, path: str | Path, limit: int | None = None) -> Iterator[PuzzleRecord]:
        """The puzzles of a text file (``.gz`` too), lazily: one a line, ``#`` comments.

        A domain with a file format of its own (mazes: grids over several
        lines) overrides this; parsing stays :meth:`parse`'s job.
        """
        for line, text in iter_numbered_lines(path, limit):
            yield PuzzleRecord(line, text)

    def read_file(self, path: str | Path, limit: int | None = None) -> list[Instance]:
        """Instances of a text file; an error names the line of the bad puzzle."""
        out = []
        for record in self.read_records(path, limit):
            try:
                out.append(self.parse(record.text))
            except InvalidPuzzleError as exc:
                raise InvalidPuzzleError(f"{Path(path).name} line {record.line}: {exc.reason}", exc.position) from None
        return out

    def view(self, instance: Instance, symmetry: tuple[np.ndarray, np.ndarray]) -> Instance:
        """The instance under a symmetry (a ``(variable_permutation, value_permutation)`` pair of
        :meth:`random_symmetry`): an equivalent puzzle whose answers map back one to one.

        Breadth in the loop runs trajectories on such views; a domain whose
        instances carry more than givens (endpoints, cages) overrides this.
        """
        perm, relabel = symmetry
        solution = None if instance.solution is None else apply_symmetry(instance.solution, perm, relabel)
        meta = {k: v for k, v in instance.meta.items() if k != "solution"}
        return self.with_givens(instance, apply_symmetry(instance.givens, perm, relabel), solution=solution, **meta)

    def with_givens(self, instance: Instance, givens: np.ndarray, **meta: Any) -> Instance:
        """A new instance of the same shape with other givens."""
        givens = np.asarray(givens, dtype=np.int64)
        return Instance(
            domain=instance.domain,
            shape=instance.shape,
            givens=givens,
            candidates=values_to_candidates(givens, instance.num_values),
            solution=meta.pop("solution", None),
            meta=meta,
        )


def apply_symmetry(values: np.ndarray, variable_perm: np.ndarray, value_perm: np.ndarray) -> np.ndarray:
    """Apply a symmetry to value arrays ``[..., V]`` (``UNASSIGNED`` stays free).

    >>> apply_symmetry(np.array([0, -1, 1]), np.array([2, 1, 0]), np.array([1, 0])).tolist()
    [0, -1, 1]
    """
    moved = np.asarray(values)[..., variable_perm]
    return np.where(moved < 0, UNASSIGNED, np.asarray(value_perm)[np.maximum(moved, 0)])


def validate_instance(domain: Domain, instance: Instance) -> None:
    """Raise :class:`InvalidPuzzleError` when the givens already break a constraint."""
    verdict = domain.verify(instance, instance.givens)
    if not verdict.consistent:
        first = verdict.violations[0]
        pos = first.variables[-1] if first.variables else None
        raise InvalidPuzzleError(f"contradictory givens: {first.reason}", position=pos)


__all__ = [
    "Domain",
    "Instance",
    "PuzzleRecord",
    "TrainingPreset",
    "apply_symmetry",
    "iter_numbered_lines",
    "iter_puzzle_lines",
    "validate_instance",
]
